"""The local dashboard's charts as PNG images, drawn with matplotlib (Agg: no display needed).

Why matplotlib: it installs from PyPI as wheels on any fresh machine (no browser, no system
libraries), and PNGs are what one pastes into an issue or a review. It is a local-tooling
dependency (the ``local`` extra), never shipped to Lambda.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .html import ALARM_RED, PALETTE
from .model import Chart, Dashboard


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - the local extra is part of the test set-up
        raise RuntimeError("PNG charts need matplotlib: pip install 'graphworker[local]' "
                           "(or pass --no-png)") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def render_pngs(dashboard: Dashboard, directory: Path) -> list[Path]:
    """One PNG per chart, named after the chart's slug; returns their paths."""
    plt = _pyplot()
    directory.mkdir(parents=True, exist_ok=True)
    tl = dashboard.timeline
    xs = [x + tl.bucket_s / 2 for x in tl.xs()]
    paths = []
    fig, ax = plt.subplots(figsize=(6.4, 3.4), dpi=100)  # one figure, cleared per chart: much faster
    try:
        for chart in dashboard.charts():
            ax.clear()
            _draw(ax, chart, xs, tl.count * tl.bucket_s, tl.bucket_s)
            fig.subplots_adjust(left=0.1, right=0.98, top=0.9, bottom=0.15)
            path = directory / f"{chart.slug}.png"
            fig.savefig(path)
            paths.append(path)
    finally:
        plt.close(fig)
    return paths


def _draw(ax: Any, chart: Chart, xs: list[float], span: float, bucket_s: float) -> None:
    drawn = [s for s in chart.series if s.has_data]
    for i, series in enumerate(drawn):
        ys = [float("nan") if v is None else v for v in series.values]
        ax.plot(xs, ys, marker="o", markersize=2.5, linewidth=1.5, color=PALETTE[i % len(PALETTE)],
                label=series.label)
    for threshold in chart.thresholds:
        ax.axhline(threshold.value, color=ALARM_RED, linestyle="--", linewidth=1.2,
                   label=threshold.label + (" - would have fired" if threshold.intervals else ""))
        for lo, hi in threshold.intervals:
            ax.axvspan(lo, hi, color=ALARM_RED, alpha=0.12, linewidth=0)
    if not drawn:
        ax.text(0.5, 0.5, "no data in this run", transform=ax.transAxes, ha="center", va="center", color="#999")
    for note in dict.fromkeys(chart.notes):
        ax.text(0.99, 0.02, note, transform=ax.transAxes, ha="right", va="bottom", fontsize=7, color="#666")
    ax.set_xlim(0, span)
    ax.set_ylim(bottom=0)
    ax.set_title(chart.title + ("  [ALARM]" if chart.fired else ""), fontsize=10,
                 color=ALARM_RED if chart.fired else "black")
    ax.set_xlabel(f"seconds since start (bucket {bucket_s:g} s)", fontsize=8)
    ax.set_ylabel(chart.unit, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, color="#e5e5e5")
    if drawn or chart.thresholds:
        ax.legend(fontsize=6, loc="best", framealpha=0.8)
