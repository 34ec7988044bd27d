"""The local dashboard as one self-contained HTML page: inline SVG charts, inline CSS, no network.

Why SVG drawn here rather than a charting library in the browser: the page must open offline
and from a file (no CDN), stay readable without JavaScript, and be deterministic to test. A
few lines of inline script only measure the drawn paths after layout (``data-length``), which is
how the headless-browser test proves that the charts really drew.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math

from .model import AlarmResult, Chart, Dashboard, Series

WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 58, 14, 12, 34
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf", "#aec7e8", "#98df8a", "#c5b0d5")
ALARM_RED = "#d62728"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.3g}"
    return f"{value:.2g}"


def y_top(chart: Chart) -> float:
    values = [v for s in chart.series for v in s.values if v is not None]
    top = max(values, default=0.0)
    for t in chart.thresholds:
        top = max(top, t.value * 1.25 if t.value > 0 else 1.0)
    return top or 1.0


def _path(series: Series, xs: list[float], sx: float, sy: float, y0: float) -> tuple[str, list[tuple[float, float]]]:
    parts: list[str] = []
    points: list[tuple[float, float]] = []
    pen_down = False
    for x, v in zip(xs, series.values, strict=True):
        if v is None:
            pen_down = False
            continue
        px, py = LEFT + x * sx, y0 - v * sy
        parts.append(f"{'L' if pen_down else 'M'}{px:.1f},{py:.1f}")
        points.append((px, py))
        pen_down = True
    return " ".join(parts), points


def chart_svg(chart: Chart, dashboard: Dashboard) -> str:
    tl = dashboard.timeline
    span = tl.count * tl.bucket_s
    xs = [x + tl.bucket_s / 2 for x in tl.xs()]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ticks = nice_ticks(y_top(chart))
    top = ticks[-1]
    sx, sy = plot_w / span, plot_h / top
    y0 = TOP + plot_h
    out = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{html.escape(chart.title)}" '
           f'data-chart="{chart.slug}">']
    for lo, hi in sorted({iv for t in chart.thresholds for iv in t.intervals}):
        out.append(f'<rect class="fired" x="{LEFT + lo * sx:.1f}" y="{TOP}" width="{max((hi - lo) * sx, 1):.1f}" '
                   f'height="{plot_h}" fill="{ALARM_RED}" fill-opacity="0.12"/>')
    for tick in ticks:
        y = y0 - tick * sy
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{fmt(tick)}</text>')
    for tick in nice_ticks(span, 6):
        if tick > span + 1e-9:
            continue
        x = LEFT + tick * sx
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y0 + 4}" stroke="#888"/>')
        out.append(f'<text x="{x:.1f}" y="{y0 + 16}" text-anchor="middle" class="tick">{fmt(tick)}</text>')
    out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y0}" y2="{y0}" stroke="#888"/>')
    out.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle" class="axis">'
               f'seconds since start (bucket {tl.bucket_s:g} s)</text>')
    out.append(f'<text x="12" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" class="axis" '
               f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{html.escape(chart.unit)}</text>')
    for threshold in chart.thresholds:
        y = y0 - threshold.value * sy
        out.append(f'<line class="threshold" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{ALARM_RED}" stroke-dasharray="6 4" stroke-width="1.5" '
                   f'data-value="{threshold.value:g}"/>')
        out.append(f'<text x="{WIDTH - RIGHT - 2}" y="{y - 4:.1f}" text-anchor="end" class="threshold-label">'
                   f'{html.escape(threshold.label)}</text>')
    drawn = [s for s in chart.series if s.has_data]
    for i, series in enumerate(drawn):
        color = PALETTE[i % len(PALETTE)]
        d, points = _path(series, xs, sx, sy, y0)
        out.append(f'<path class="series" d="{d}" fill="none" stroke="{color}" stroke-width="1.8" '
                   f'data-series="{html.escape(series.label)}"/>')
        out.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2" fill="{color}"/>' for px, py in points)
    if not drawn:
        out.append(f'<text x="{LEFT + plot_w / 2:.1f}" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
                   f'class="nodata">no data in this run</text>')
    out.append("</svg>")
    return "".join(out)


def _legend(chart: Chart) -> str:
    items = [f'<li><span class="swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
             f'{html.escape(s.label)}</li>' for i, s in enumerate(s for s in chart.series if s.has_data)]
    items += [f'<li><span class="swatch dashed"></span>{html.escape(t.label)}'
              f'{" - <b>would have fired</b>" if t.intervals else ""}</li>' for t in chart.thresholds]
    return f'<ul class="legend">{"".join(items)}</ul>'


def _card(chart: Chart, dashboard: Dashboard) -> str:
    badge = '<span class="badge">ALARM</span>' if chart.fired else ""
    notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in dict.fromkeys(chart.notes))
    return (f'<figure class="card{" fired" if chart.fired else ""}" id="{chart.slug}">'
            f'<figcaption>{html.escape(chart.title)} {badge}</figcaption>'
            f'{chart_svg(chart, dashboard)}{_legend(chart)}{notes}</figure>')


def _alarm_row(result: AlarmResult) -> str:
    if result.fired:
        state = f'<span class="badge">would have fired</span> at {result.first_fired:g} s'
    elif result.has_data:
        state = "OK"
    else:
        state = f'<span class="muted">{html.escape(result.note or "no data")}</span>'
    threshold = "" if result.threshold is None else f"&gt; {result.threshold:g} {html.escape(result.unit)}"
    peak = "" if result.peak is None else f"{fmt(result.peak)}"
    return (f'<tr class="{"fired" if result.fired else ""}"><td>{html.escape(result.name)}</td>'
            f'<td>{threshold}</td><td>{peak}</td><td>{state}</td>'
            f'<td class="desc">{html.escape(result.description)}</td></tr>')


CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:20px;color:#222;background:#fafafa}
h1{margin:0 0 4px}h2{margin:28px 0 4px;border-bottom:1px solid #ddd}
.meta,.muted,.note{color:#666;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin:8px 0;background:#fff}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
td.desc{max-width:640px;color:#444}
tr.fired td{background:#fdecea}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(500px,1fr));gap:12px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;margin:0;padding:8px}
.card.fired{border-color:#d62728}
figcaption{font-weight:600;font-size:14px;margin-bottom:4px}
.badge{background:#d62728;color:#fff;border-radius:3px;padding:1px 6px;font-size:11px;font-weight:600}
.legend{list-style:none;padding:0;margin:4px 0 0;font-size:12px;columns:2}
.swatch{display:inline-block;width:14px;height:3px;margin:0 6px 3px 0;vertical-align:middle}
.swatch.dashed{border-top:2px dashed #d62728;height:0}
svg text{font-size:11px;fill:#555}svg .threshold-label{fill:#d62728}svg .nodata{fill:#999;font-size:13px}
"""

SCRIPT = """
(function(){
  var drawn = 0;
  document.querySelectorAll('path.series').forEach(function(p){
    var length = p.getTotalLength();
    p.setAttribute('data-length', length.toFixed(1));
    if (length > 0) { drawn += 1; }
  });
  document.body.setAttribute('data-series-drawn', String(drawn));
  document.body.setAttribute('data-charts', String(document.querySelectorAll('svg.chart').length));
})();
"""


def render_html(dashboard: Dashboard) -> str:
    run = dashboard.run
    tl = dashboard.timeline
    started = dt.datetime.fromtimestamp(tl.start, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if tl.start else "-"
    fired = [r for r in dashboard.alarms if r.fired]
    report = ""
    if run.report:
        rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(json.dumps(v))}</td></tr>"
                       for k, v in run.report.items())
        report = f"<h2>Report</h2><table>{rows}</table>"
    alarms = ("<h2>Alarms</h2><p class=\"meta\">The template's alarms with their default thresholds (or those "
              "given with --threshold), evaluated on this run's buckets with each alarm's M-of-N rule.</p>"
              "<table><tr><th>alarm</th><th>threshold</th><th>peak</th><th>state</th><th>what to do</th></tr>"
              + "".join(_alarm_row(r) for r in dashboard.alarms) + "</table>")
    sections = "".join(
        f'<section><h2>{html.escape(s.title)}</h2><p class="meta">{html.escape(s.note)}</p>'
        f'<div class="grid">{"".join(_card(c, dashboard) for c in s.charts)}</div></section>'
        for s in dashboard.sections)
    warnings = ""
    if run.warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in run.warnings)
        warnings = f'<h2>Input warnings</h2><ul class="note">{items}</ul>'
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>graphworker local dashboard - {html.escape(run.directory.name)}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<h1>graphworker local dashboard</h1>"
        f"<p class=\"meta\">run {html.escape(str(run.directory))} - started {started} - "
        f"{tl.count * tl.bucket_s:g} s in {tl.count} buckets of {tl.bucket_s:g} s - "
        f"{len(fired)} alarm(s) would have fired. Same widgets as the CloudWatch dashboard "
        "(dashboards/layout.py); red dashed lines are alarm thresholds, red bands when an alarm "
        f"would have been in ALARM.</p>{report}{alarms}{sections}{warnings}"
        f"<script>{SCRIPT}</script></body></html>")
