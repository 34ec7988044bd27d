"""The README's alarm table, rendered from :mod:`dashboards.alarms` (so the docs cannot drift).

``python -m dashboards.render --write`` rewrites the table between the README's
``<!-- alarms-table:start -->`` and ``<!-- alarms-table:end -->`` markers; a test fails when the
README and the alarm definitions disagree.
"""

from __future__ import annotations

from . import alarms as a
from .alarms import AlarmDef, Query
from .aws import AwsMetric

START, END = "<!-- alarms-table:start -->", "<!-- alarms-table:end -->"


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


def with_table(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    if not rest:
        raise ValueError(f"README has no {START} marker")
    return f"{head}{START}\n{render_table()}\n{END}{tail}"
