"""CloudWatch artefacts generated from :mod:`dashboards.layout` and :mod:`dashboards.alarms`.

- :func:`dashboard_body`: the ``DashboardBody`` of the template's ``AWS::CloudWatch::Dashboard``,
  a JSON text for ``Fn::Sub`` whose ``${...}`` placeholders name the template's parameters and
  resources (namespace, queues, functions, cluster, alarm thresholds, alarm ARNs).
- :func:`alarm_resources` and :func:`threshold_parameters`: the alarms (one per function for
  function-scoped alarms), the composite alarm, and a template parameter per threshold.

graphworker's metrics are published per dimension set (``service`` plus the metric's own
dimensions, e.g. ``Cause``), so dashboard lines use ``SEARCH`` over that exact schema: one line
per function and dimension value, including values that appear only later. Alarms cannot use
``SEARCH``: they read a metric's rolled-up total (``service`` only; see the catalog's ``rollup``)
or name explicit dimension values, within :data:`dashboards.alarms.MAX_ALARM_QUERIES` queries.
"""

from __future__ import annotations

import json
import re
from typing import Any

from framework.telemetry.catalog import MetricDef

from . import alarms as a
from .alarms import AlarmDef, CompositeDef, Query, Ratio
from .aws import AwsMetric
from .deployment import CLUSTER_PARAMETER, FUNCTIONS, NAMESPACE_PARAMETER, FunctionDeployment
from .layout import SECTIONS, AlarmLine, AppLine, AwsLine, Widget

GRID_WIDTH = 24
WIDGET_WIDTH = 8
WIDGET_HEIGHT = 6
ALARM_COLOR = "#d62728"

_RAW = re.compile(r'"@raw:(.*?)@"')


def _raw(text: str) -> str:
    """A value written into the JSON text without quotes (a number substituted by ``Fn::Sub``)."""
    return f"@raw:{text}@"


def _kebab(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", key).lower()


# ---------------------------------------------------------------------------------------- alarms
def alarm_logical_id(alarm: AlarmDef | CompositeDef, fn: FunctionDeployment | None = None) -> str:
    if isinstance(alarm, CompositeDef):
        return f"{alarm.key}Alarm"
    if alarm.scope == "cluster":
        return f"Neptune{alarm.key}Alarm"
    assert fn is not None
    return f"{fn.logical_id.removesuffix('Function')}{alarm.key}Alarm"


def alarm_instances() -> list[tuple[AlarmDef, FunctionDeployment | None]]:
    """Every alarm of the template: function-scoped ones once per function, cluster ones once."""
    out: list[tuple[AlarmDef, FunctionDeployment | None]] = []
    for alarm in a.ALARMS:
        if alarm.scope == "function":
            out.extend((alarm, fn) for fn in FUNCTIONS)
        else:
            out.append((alarm, None))
    return out


def _dimensions(query: Query, fn: FunctionDeployment | None) -> list[dict[str, Any]]:
    metric = query.metric
    if isinstance(metric, AwsMetric):
        if metric.resource == "cluster":
            value: Any = {"Ref": CLUSTER_PARAMETER}
        else:
            assert fn is not None
            value = fn.intrinsic(metric.resource)
        return [{"Name": metric.dimension, "Value": value}, *({"Name": k, "Value": v} for k, v in metric.extra)]
    assert fn is not None
    dims = [{"Name": "service", "Value": fn.service}]
    dims.extend({"Name": k, "Value": v} for k, v in query.dimensions)
    return dims


def _namespace(metric: MetricDef | AwsMetric) -> Any:
    return metric.namespace if isinstance(metric, AwsMetric) else {"Ref": NAMESPACE_PARAMETER}


def _actions() -> dict[str, Any]:
    topic = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
    return {"AlarmActions": topic, "OKActions": topic}


def alarm_resource(alarm: AlarmDef, fn: FunctionDeployment | None) -> dict[str, Any]:
    """One ``AWS::CloudWatch::Alarm``."""
    where = fn.title if fn is not None else "neptune"
    props: dict[str, Any] = {
        "AlarmName": {"Fn::Sub": f"${{AWS::StackName}}-{where}-{_kebab(alarm.key)}"},
        "AlarmDescription": {"Fn::Sub": alarm.describe(f"${{{alarm.parameter}}}")},
        "ComparisonOperator": alarm.comparison,
        "Threshold": {"Ref": alarm.parameter},
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "TreatMissingData": alarm.treat_missing_data,
    }
    signal = alarm.signal
    if isinstance(signal, Ratio):
        metrics: list[dict[str, Any]] = [
            {"Id": q.id, "ReturnData": False,
             "MetricStat": {"Metric": {"Namespace": _namespace(q.metric), "MetricName": q.metric.name,
                                       "Dimensions": _dimensions(q, fn)},
                            "Period": a.PERIOD_S, "Stat": q.stat}}
            for q in signal.queries]
        metrics.append({"Id": "rate", "Label": f"{alarm.title} ({alarm.unit})",
                        "Expression": signal.expression(), "ReturnData": True})
        props["Metrics"] = metrics
    else:
        props.update({
            "Namespace": _namespace(signal.metric),
            "MetricName": signal.metric.name,
            "Dimensions": _dimensions(signal, fn),
            "Statistic": signal.stat,
            "Period": a.PERIOD_S,
        })
    if alarm.pages:
        props.update(_actions())
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": props}


def composite_resource(composite: CompositeDef) -> dict[str, Any]:
    children = [alarm_logical_id(alarm, fn) for alarm, fn in alarm_instances() if alarm in composite.children]
    rule = " OR ".join(f'ALARM("${{{logical}}}")' for logical in children)
    props: dict[str, Any] = {
        "AlarmName": {"Fn::Sub": f"${{AWS::StackName}}-{_kebab(composite.key)}"},
        "AlarmDescription": composite.description,
        "AlarmRule": {"Fn::Sub": rule},
    }
    if composite.pages:
        props.update(_actions())
    return {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": props}


def alarm_resources() -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every alarm and the composite alarm."""
    out = {alarm_logical_id(alarm, fn): alarm_resource(alarm, fn) for alarm, fn in alarm_instances()}
    out[alarm_logical_id(a.DATABASE_UNDER_PRESSURE)] = composite_resource(a.DATABASE_UNDER_PRESSURE)
    return out


def threshold_parameters() -> dict[str, dict[str, Any]]:
    """One ``Number`` parameter per alarm threshold; its default is the alarm's default."""
    return {
        alarm.parameter: {
            "Type": "Number",
            "Default": _number(alarm.default),
            "MinValue": 0,
            "Description": f"{alarm.title} alarm: in ALARM above this many {alarm.unit} in {alarm.window}.",
        }
        for alarm in a.ALARMS
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# ------------------------------------------------------------------------------------- dashboard
def _search(metric: MetricDef, stat: str) -> str:
    schema = ",".join(["service", *metric.dimensions])
    return (f"SEARCH('{{\"${{{NAMESPACE_PARAMETER}}}\",{schema}}} MetricName=\"{metric.name}\"', "
            f"'{stat}', {a.PERIOD_S})")


def _aws_metric_row(metric: AwsMetric, stat: str, fn: FunctionDeployment | None, label: str,
                    **extra: Any) -> list[Any]:
    value = f"${{{CLUSTER_PARAMETER}}}" if fn is None else fn.ref(metric.resource)
    fixed = [part for pair in metric.extra for part in pair]
    return [metric.namespace, metric.name, metric.dimension, value, *fixed, {"stat": stat, "label": label, **extra}]


def _app_metric_row(query: Query, fn: FunctionDeployment, **options: Any) -> list[Any]:
    assert isinstance(query.metric, MetricDef)
    row: list[Any] = [f"${{{NAMESPACE_PARAMETER}}}", query.metric.name, "service", fn.service]
    for k, v in query.dimensions:
        row.extend([k, v])
    row.append({"stat": query.stat, **options})
    return row


def _widget_metrics(widget: Widget) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for i, line in enumerate(widget.lines):
        if isinstance(line, AppLine):
            rows.append([{"expression": _search(line.metric, line.stat), "id": f"s{i}",
                          "label": f"{line.metric.name} {line.stat}"}])
        elif isinstance(line, AwsLine):
            if line.metric.resource == "cluster":
                rows.append(_aws_metric_row(line.metric, line.stat, None, f"{line.metric.label} {line.stat}"))
            else:
                for fn in FUNCTIONS:
                    rows.append(_aws_metric_row(line.metric, line.stat, fn,
                                                f"{fn.title} {line.metric.resource} {line.metric.name}"))
        elif isinstance(line, AlarmLine):
            signal = line.alarm.signal
            assert isinstance(signal, Ratio), "an AlarmLine draws a ratio alarm's value"
            for j, fn in enumerate(FUNCTIONS):
                prefix = f"f{j}_"
                for q in signal.queries:
                    rows.append(_app_metric_row(q, fn, id=f"{prefix}{q.id}", visible=False))
                rows.append([{"expression": signal.expression(prefix), "id": f"f{j}_rate",
                              "label": f"{fn.title} {line.alarm.title.lower()} ({line.alarm.unit})"}])
    return rows


def _metric_widget(widget: Widget, x: int, y: int) -> dict[str, Any]:
    props: dict[str, Any] = {
        "title": widget.title,
        "view": "timeSeries",
        "stacked": False,
        "region": "${AWS::Region}",
        "period": a.PERIOD_S,
        "metrics": _widget_metrics(widget),
        "yAxis": {"left": {"label": widget.unit, "showUnits": False, "min": 0}},
        "legend": {"position": "bottom"},
    }
    if widget.alarms:
        props["annotations"] = {"horizontal": [
            {"label": f"{alarm.title} alarm ({alarm.unit})", "value": _raw(f"${{{alarm.parameter}}}"),
             "color": ALARM_COLOR}
            for alarm in widget.alarms]}
    return {"type": "metric", "x": x, "y": y, "width": WIDGET_WIDTH, "height": WIDGET_HEIGHT, "properties": props}


def _text_widget(markdown: str, y: int, height: int) -> dict[str, Any]:
    return {"type": "text", "x": 0, "y": y, "width": GRID_WIDTH, "height": height,
            "properties": {"markdown": markdown}}


def dashboard_widgets() -> list[dict[str, Any]]:
    """The widgets, laid out top to bottom: a header, the alarms' states, then each section."""
    widgets = [_text_widget(
        "# graphworker\nSQS -> Lambda -> Neptune. Red lines are alarm thresholds (template parameters); "
        "the alarm widget below shows their state. Lines per function come from SEARCH over "
        "graphworker's EMF metrics.", 0, 2)]
    arns = [f"${{{alarm_logical_id(alarm, fn)}.Arn}}" for alarm, fn in alarm_instances()]
    arns.insert(0, f"${{{alarm_logical_id(a.DATABASE_UNDER_PRESSURE)}.Arn}}")
    widgets.append({"type": "alarm", "x": 0, "y": 2, "width": GRID_WIDTH, "height": 4,
                    "properties": {"title": "Alarms", "alarms": arns, "sortBy": "stateUpdatedTimestamp"}})
    y = 6
    per_row = GRID_WIDTH // WIDGET_WIDTH
    for section in SECTIONS:
        widgets.append(_text_widget(f"## {section.title}\n{section.note}", y, 1))
        y += 1
        for i, widget in enumerate(section.widgets):
            widgets.append(_metric_widget(widget, (i % per_row) * WIDGET_WIDTH, y + (i // per_row) * WIDGET_HEIGHT))
        y += -(-len(section.widgets) // per_row) * WIDGET_HEIGHT
    return widgets


def dashboard_body() -> str:
    """The ``Fn::Sub`` input: JSON text, one widget per line (reviewable diffs), with placeholders."""
    lines = [json.dumps(w, separators=(",", ":")) for w in dashboard_widgets()]
    text = '{"widgets":[\n' + ",\n".join(lines) + "\n]}"
    return _RAW.sub(r"\1", text)


def resolve(body: str, values: dict[str, str]) -> str:
    """Substitute ``${Name}`` placeholders like ``Fn::Sub`` does (for tests and inspection)."""
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for ${{{name}}}")
        return values[name]

    return re.sub(r"\$\{([^}!][^}]*)\}", sub, body)


def placeholders(body: str) -> set[str]:
    """Every ``${Name}`` in ``body``."""
    return set(re.findall(r"\$\{([^}!][^}]*)\}", body))
