"""The deployed dashboard and alarms: valid CloudWatch syntax, and no drift from the code.

Everything here is read from template.yaml (what CloudFormation deploys), not from the Python
that generated it, so a hand edit or a stale render is caught too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cfnlint.decode import cfn_yaml

from dashboards import alarms as a
from dashboards.aws import AWS_NAMESPACES
from dashboards.cloudwatch import placeholders, resolve
from dashboards.deployment import NAMESPACE_PARAMETER
from dashboards.render import TEMPLATE, example_values
from framework import errors
from framework.telemetry.catalog import BY_NAME, CATALOG

from .framework_scan import emitted_metrics

SCHEMA = json.loads((Path(__file__).parent / "dashboard_body.schema.json").read_text())
APP = f"${{{NAMESPACE_PARAMETER}}}"
"""How graphworker's own namespace appears in the template (a parameter)."""


@pytest.fixture(scope="module")
def template() -> Any:
    return cfn_yaml.load(str(TEMPLATE))


@pytest.fixture(scope="module")
def body_text(template) -> str:
    return template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]


@pytest.fixture(scope="module")
def body(body_text) -> dict[str, Any]:
    return json.loads(resolve(body_text, example_values()))


def metric_rows(body: dict[str, Any]) -> list[tuple[dict[str, Any], list[Any]]]:
    return [(w, row) for w in body["widgets"] if w["type"] == "metric" for row in w["properties"]["metrics"]]


def dashboard_metrics(body_text: str) -> set[tuple[str, str]]:
    """(namespace, metric) pairs on the dashboard: metric rows and SEARCH expressions."""
    raw = json.loads(re.sub(r":\$\{[A-Za-z]+\}", ":0", body_text))  # numeric placeholders (thresholds)
    found: set[tuple[str, str]] = set()
    for _, row in metric_rows(raw):
        if isinstance(row[0], dict):
            for namespace, name in re.findall(r"\{\\?\"?([^,\"\\]+)\\?\"?,[^}]*\} MetricName=\"(\w+)\"",
                                              row[0]["expression"]):
                found.add((namespace, name))
        else:
            found.add((row[0], row[1]))
    return found


def alarm_metrics(template) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        stats = [q["MetricStat"]["Metric"] for q in props.get("Metrics", []) if "MetricStat" in q]
        if "MetricName" in props:
            stats.append(props)
        for metric in stats:
            namespace = metric["Namespace"]
            namespace = APP if namespace == {"Ref": NAMESPACE_PARAMETER} else namespace
            found.add((namespace, metric["MetricName"]))
    return found


# -------------------------------------------------------------------------------------- syntax
def test_dashboard_body_matches_the_schema(body):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(body)


def test_dashboard_body_rules_the_schema_cannot_say(body, body_text):
    assert len(body_text.encode()) < 1_000_000  # PutDashboard limit on DashboardBody
    assert placeholders(body_text) <= set(example_values())
    for widget in body["widgets"]:
        assert widget["x"] + widget["width"] <= 24
    for widget in (w for w in body["widgets"] if w["type"] == "metric"):
        ids: set[str] = set()
        expressions: list[str] = []
        for row in widget["properties"]["metrics"]:
            if isinstance(row[0], dict):
                options = row[0]
                expressions.append(options["expression"])
            else:
                options = row[-1] if isinstance(row[-1], dict) else {}
                names = row[:-1] if options else row
                assert all(isinstance(part, str) for part in names), row
                assert len(names) % 2 == 0, f"dimension names and values must pair up: {row}"
            if "id" in options:
                assert options["id"] not in ids, f"duplicate id in {widget['properties']['title']}"
                ids.add(options["id"])
        for expression in expressions:
            if expression.startswith("SEARCH("):
                assert re.fullmatch(r"SEARCH\('\{\"[^\"]+\",[\w,]+\} MetricName=\"\w+\"', '\w+', 60\)", expression)
                continue
            referenced = set(re.findall(r"\b([a-z][a-zA-Z0-9_]*)\b", expression)) - {"FILL", "IF"}
            assert referenced <= ids, f"{expression} refers to unknown ids {referenced - ids}"


def test_alarm_thresholds_are_drawn_from_template_parameters(template, body_text):
    for alarm in a.ALARMS:
        parameter = template["Parameters"][alarm.parameter]
        assert parameter["Type"] == "Number" and float(parameter["Default"]) == alarm.default
        assert f'"value":${{{alarm.parameter}}}' in body_text, f"{alarm.key}: no threshold line on the dashboard"


# --------------------------------------------------------------------------------------- drift
def test_every_metric_the_code_emits_is_on_the_dashboard(body_text):
    shown = {name for namespace, name in dashboard_metrics(body_text) if namespace == APP}
    emitted = set(emitted_metrics())
    assert emitted, "the scanner found no emitted metric"
    assert emitted <= shown, f"emitted but not on the dashboard: {sorted(emitted - shown)}"
    assert {m.name for m in CATALOG} <= shown, "every catalog metric has a place on the dashboard"


def test_every_dashboard_and_alarm_metric_is_the_catalogs_or_an_aws_services(template, body_text):
    emitted = emitted_metrics()
    for namespace, name in dashboard_metrics(body_text) | alarm_metrics(template):
        if namespace == APP:
            assert name in BY_NAME, f"{name} is not in framework/telemetry/catalog.py"
            assert name in emitted, f"{name} is in the catalog but nothing emits it"
        else:
            assert namespace in AWS_NAMESPACES, f"{namespace}/{name}"


def test_alarm_dimension_values_are_ones_the_code_emits(template):
    """An alarm on ``Outcome="errors"`` would never fire: every explicit dimension value must be a
    literal at an emit site or come from the framework's own tables."""
    emitted = emitted_metrics()
    tables = set(errors.ERROR_CLASS_LABELS.values()) | set(errors.THROTTLE_CODES)
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        for query in resource["Properties"].get("Metrics", []):
            metric = query.get("MetricStat", {}).get("Metric")
            if metric is None or metric["Namespace"] != {"Ref": NAMESPACE_PARAMETER}:
                continue
            for dim in metric["Dimensions"]:
                if dim["Name"] == "service":
                    continue
                literals = emitted[metric["MetricName"]].get(dim["Name"], set())
                assert dim["Value"] in literals | tables, (metric["MetricName"], dim)


# -------------------------------------------------------------------------------------- alarms
def test_alarms_tell_the_operator_what_to_do(template):
    kinds = {"AWS::CloudWatch::Alarm": 0, "AWS::CloudWatch::CompositeAlarm": 0}
    for logical, resource in template["Resources"].items():
        if resource["Type"] not in kinds:
            continue
        kinds[resource["Type"]] += 1
        props = resource["Properties"]
        description = props["AlarmDescription"]
        text = description if isinstance(description, str) else description["Fn::Sub"]
        assert 120 < len(text) <= 1024, logical
        assert re.search(r"\b(lower|raise|check|find|fix|redrive|scale|look|watch|send)\b", text, re.I), logical
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            assert isinstance(props["Threshold"], dict) and props["Threshold"]["Ref"] in template["Parameters"]
            metric_stats = [q for q in props.get("Metrics", []) if "MetricStat" in q]
            assert len(metric_stats) <= 10, f"{logical}: metric-math alarms allow 10 metrics"
    per_function = sum(1 for x in a.ALARMS if x.scope == "function")
    assert kinds["AWS::CloudWatch::Alarm"] == per_function * 2 + len(a.ALARMS) - per_function
    assert kinds["AWS::CloudWatch::CompositeAlarm"] == 1


def test_composite_alarm_is_any_of_the_pressure_alarms(template):
    composite = template["Resources"]["DatabaseUnderPressureAlarm"]["Properties"]
    children = re.findall(r'ALARM\("\$\{(\w+)\}"\)', composite["AlarmRule"]["Fn::Sub"])
    assert children and all(template["Resources"][c]["Type"] == "AWS::CloudWatch::Alarm" for c in children)
    assert " OR ".join(f'ALARM("${{{c}}}")' for c in children) == composite["AlarmRule"]["Fn::Sub"]
    keys = {x.key for x in a.ALARMS if x.in_composite}
    assert {next(k for k in keys if c.endswith(f"{k}Alarm")) for c in children} == keys
    assert "AlarmActions" in composite


def test_the_required_alarms_exist(template):
    watched = set()
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            props = resource["Properties"]
            names = [q["MetricStat"]["Metric"]["MetricName"] for q in props.get("Metrics", []) if "MetricStat" in q]
            watched.update(names or [props["MetricName"]])
    assert {"ConcurrentModificationConflicts", "GremlinRetries", "GremlinThrottles", "ApproximateAgeOfOldestMessage",
            "ApproximateNumberOfMessagesVisible", "MainRequestQueuePendingRequests", "Throttles"} <= watched


def test_ratio_alarm_expression():
    ratio = a.CONFLICT_RATE.signal
    assert isinstance(ratio, a.Ratio)
    assert ratio.expression("f0_") == ("IF((FILL(f0_attempts, 0)) > 0, 100 * (FILL(f0_conflicts, 0)) / "
                                       "(FILL(f0_attempts, 0)), 0)")


def test_alarm_queries_cannot_enumerate_dimension_values():
    """An alarm adding one query per error class would break the deploy at the 11th class: the
    definitions refuse it, and the budget (half CloudWatch's limit) is checked as alarms are made."""
    with pytest.raises(ValueError, match="rollup"):
        a.Query(BY_NAME["GremlinRequestFailures"], "Sum")  # dimensioned, not rolled up
    a.Query(BY_NAME["GremlinRetries"], "Sum")  # rolled up: the total in one query
    a.Query(BY_NAME["GremlinRetries"], "Sum", (("ErrorClass", "conflict"),))  # one fixed value
    many = a.Ratio(tuple(a.Query(BY_NAME["GremlinRetries"], "Sum", (("ErrorClass", str(i)),), f"r{i}")
                         for i in range(a.MAX_ALARM_QUERIES)), (a.Query(BY_NAME["GremlinRequestLatency"],
                                                                        "SampleCount"),))
    with pytest.raises(ValueError, match="budget"):
        a.AlarmDef(key="K", title="t", parameter="P", default=1.0, unit="%", scope="function", signal=many,
                   description="d")
    assert a.MAX_ALARM_QUERIES * 2 <= a.CLOUDWATCH_MAX_ALARM_METRICS
