"""The README's generated tables: alarms (from :mod:`dashboards.alarms`) and metrics (from the
framework's metric catalog), so the docs cannot drift from the code.

``python -m dashboards.render --write`` rewrites each table between its README markers
(``<!-- alarms-table:start/end -->``, ``<!-- metrics-table:start/end -->``); tests fail when
the README and the definitions disagree.
"""

from __future__ import annotations

from framework.telemetry import CATALOG

from . import alarms as a
from .alarms import AlarmDef, Query
from .aws import AwsMetric

START, END = "<!-- alarms-table:start -->", "<!-- alarms-table:end -->"
METRICS_START, METRICS_END = "<!-- metrics-table:start -->", "<!-- metrics-table:end -->"


def _watches(alarm: AlarmDef) -> str:
    signal = alarm.signal
    if isinstance(signal, Query):
        namespace = signal.metric.namespace if isinstance(signal.metric, AwsMetric) else "graphworker"
        return f"`{namespace}` `{signal.metric.name}` ({signal.stat})"
    numerator = sorted({f"`{q.metric.name}`" for q in signal.numerator})
    denominator = sorted({f"`{q.metric.name}` {q.stat}" for q in signal.denominator})
    return f"{' + '.join(numerator)} as % of {' + '.join(denominator)} (request attempts)"


def render_table() -> str:
    lines = ["| alarm | per | watches | threshold parameter (default) | in ALARM when, and what to do |",
             "| --- | --- | --- | --- | --- |"]
    for alarm in a.ALARMS:
        per = "function" if alarm.scope == "function" else "cluster"
        routed = "notifies `AlarmTopicArn`" if alarm.pages else "feeds the composite"
        lines.append(f"| {alarm.title} | {per} | {_watches(alarm)} | `{alarm.parameter}` ({alarm.default:g} "
                     f"{alarm.unit}) | {alarm.describe(f'{alarm.default:g}')} ({routed}) |")
    composite = a.DATABASE_UNDER_PRESSURE
    children = ", ".join(dict.fromkeys(c.title.lower() for c in composite.children))
    lines.append(f"| {composite.title} (composite) | stack | any of: {children} | - | {composite.description} "
                 "(notifies `AlarmTopicArn`) |")
    return "\n".join(lines)


def render_metrics_table() -> str:
    lines = ["| metric | unit | dimensions | meaning |", "| --- | --- | --- | --- |"]
    for m in CATALOG:
        dims = ", ".join(m.dimensions) or "-"
        if m.rollup:
            dims += " (and rolled up: service only)"
        lines.append(f"| `{m.name}` | {m.unit} | {dims} | {m.description} |")
    return "\n".join(lines)


def _between(readme: str, start: str, end: str, body: str) -> str:
    head, _, rest = readme.partition(start)
    _, _, tail = rest.partition(end)
    if not rest:
        raise ValueError(f"README has no {start} marker")
    return f"{head}{start}\n{body}\n{end}{tail}"


def with_table(readme: str) -> str:
    """``readme`` with both generated tables brought up to date."""
    readme = _between(readme, START, END, render_table())
    return _between(readme, METRICS_START, METRICS_END, render_metrics_table())
