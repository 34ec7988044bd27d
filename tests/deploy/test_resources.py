"""What an operator relies on once deployed: messages survive the stack, logs expire, every
network path the functions need exists, and every alarm stays within CloudWatch's limits."""

from __future__ import annotations

import re
from typing import Any

import pytest

from dashboards import alarms as a
from dashboards.deployment import FUNCTIONS, FunctionDeployment

from .cfn import ROOT, deployed_resources, parameter_values


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.logical_id)
def test_dead_letter_queues_outlive_the_stack_and_their_replacement(transformed, fn):
    dlq = transformed["Resources"][fn.dlq]
    assert dlq["DeletionPolicy"] == "Retain" and dlq["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.logical_id)
def test_each_function_logs_to_its_own_log_group_with_a_retention(transformed, fn: FunctionDeployment):
    stem = fn.logical_id.removesuffix("Function")
    group = transformed["Resources"][f"{stem}LogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    # The function writes there (Lambda would otherwise create /aws/lambda/NAME with no expiry),
    # and the group exists before the function can run (the reference orders them).
    function = transformed["Resources"][fn.logical_id]["Properties"]
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": f"{stem}LogGroup"}}


def _egress(resources: dict[str, Any], port: Any) -> list[dict[str, Any]]:
    rules = [dict(rule, GroupId={"Ref": "WorkerSecurityGroup"})
             for rule in resources["WorkerSecurityGroup"]["Properties"].get("SecurityGroupEgress", [])]
    rules += [r["Properties"] for r in resources.values() if r["Type"] == "AWS::EC2::SecurityGroupEgress"]
    return [r for r in rules if r["GroupId"] == {"Ref": "WorkerSecurityGroup"} and r["FromPort"] == port]


@pytest.mark.parametrize(("exporter", "endpoints"), [("none", "create"), ("otlp", "create"),
                                                     ("none", "none"), ("otlp", "none")])
def test_every_network_path_the_functions_use(source, exporter, endpoints):
    values = parameter_values(source, TracesExporter=exporter, VpcEndpoints=endpoints)
    resources = deployed_resources(source, values)
    # Neptune, both ways: the functions' egress and the cluster's ingress, on the Neptune port only.
    (neptune,) = _egress(resources, {"Ref": "NeptunePort"})
    assert neptune["DestinationSecurityGroupId"] == {"Ref": "NeptuneSecurityGroupId"}
    ingress = resources["NeptuneIngressFromWorkers"]["Properties"]
    assert ingress["SourceSecurityGroupId"] == {"Ref": "WorkerSecurityGroup"}
    endpoints_made = {r["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1]
                      for r in resources.values() if r["Type"] == "AWS::EC2::VPCEndpoint"}
    https = _egress(resources, 443)
    if endpoints == "none":
        # The operator's VPC provides the route (README, "Deploying"); the stack opens nothing more.
        assert endpoints_made == set() and https == []
        return
    assert endpoints_made == ({"sqs", "xray"} if exporter == "otlp" else {"sqs"})
    (rule,) = https
    assert rule["DestinationSecurityGroupId"] == {"Ref": "VpcEndpointSecurityGroup"}
    endpoint_sg = resources["VpcEndpointSecurityGroup"]["Properties"]
    assert endpoint_sg["SecurityGroupIngress"] == [{
        "Description": "HTTPS from graphworker functions", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "SourceSecurityGroupId": {"Ref": "WorkerSecurityGroup"}}]
    for r in resources.values():
        if r["Type"] == "AWS::EC2::VPCEndpoint":
            props = r["Properties"]
            assert props["VpcEndpointType"] == "Interface" and props["PrivateDnsEnabled"] is True
            assert props["SubnetIds"] == {"Ref": "VpcSubnetIds"}
            assert props["SecurityGroupIds"] == [{"Ref": "VpcEndpointSecurityGroup"}]


def test_the_cold_start_benchmark_runs_graphworker_as_deployed(source):
    """bench/cold_start.py gives graphworker the environment the template gives the functions
    (besides the connection), so its figures are the deployed configuration's."""
    import ast

    tree = ast.parse((ROOT / "bench" / "cold_start.py").read_text())
    (deployed,) = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                   and [getattr(t, "id", None) for t in node.targets] == ["DEPLOYED_ENV"]]
    env = source["Globals"]["Function"]["Environment"]["Variables"]
    assert deployed == {"PYDANTIC_DISABLE_PLUGINS": env["PYDANTIC_DISABLE_PLUGINS"]}


def test_functions_ship_framework_and_handlers_only_with_dependencies_in_one_layer(transformed):
    layers = [name for name, r in transformed["Resources"].items() if r["Type"] == "AWS::Lambda::LayerVersion"]
    assert len(layers) == 1
    for fn in FUNCTIONS:
        props = transformed["Resources"][fn.logical_id]["Properties"]
        assert props["Layers"] == [{"Ref": layers[0]},
                                   {"Fn::If": ["HasAdotLayer", {"Ref": "AdotLayerArn"}, {"Ref": "AWS::NoValue"}]}]
    package = ROOT / "deploy" / "function"
    assert sorted(p.name for p in package.iterdir()) == ["Makefile", "framework", "handlers"]
    assert (package / "framework").resolve() == ROOT / "framework"
    assert (package / "handlers").resolve() == ROOT / "handlers"
    assert sorted(p.name for p in (ROOT / "deploy" / "layer").iterdir()) == ["Makefile", "requirements.txt"]


# ------------------------------------------------------------------------------------- alarms
# CloudWatch's documented limits (PutMetricAlarm / PutCompositeAlarm API reference, CloudWatch quotas).
MAX_METRICS_PER_ALARM = 10
MAX_DIMENSIONS = 30
MAX_NAME = 255
MAX_DESCRIPTION = 1024
MAX_COMPOSITE_RULE = 10_240
MAX_ACTIONS = 5
MAX_STACK_NAME = 128
STATISTICS = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"}
COMPARISONS = {"GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold",
               "LessThanOrEqualToThreshold"}
MISSING_DATA = {"breaching", "notBreaching", "ignore", "missing"}


def _sub_length(value: Any, placeholder_length: int) -> int:
    """Length of a ``Fn::Sub`` text once substituted, with each ``${...}`` as long as given."""
    text = value["Fn::Sub"] if isinstance(value, dict) else value
    return len(re.sub(r"\$\{[^}]+\}", "x" * placeholder_length, text))


def _alarms(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r["Properties"] for name, r in template["Resources"].items() if r["Type"] == kind}


def test_every_alarm_is_within_cloudwatch_limits(transformed):
    alarms = _alarms(transformed, "AWS::CloudWatch::Alarm")
    assert alarms
    for name, props in alarms.items():
        assert _sub_length(props["AlarmName"], MAX_STACK_NAME) <= MAX_NAME, name
        assert _sub_length(props["AlarmDescription"], 20) <= MAX_DESCRIPTION, name
        assert props["ComparisonOperator"] in COMPARISONS and props["TreatMissingData"] in MISSING_DATA
        assert 1 <= props["DatapointsToAlarm"] <= props["EvaluationPeriods"], name
        for key in ("AlarmActions", "OKActions"):
            if key in props:
                (_, chosen, _) = props[key]["Fn::If"]
                assert len(chosen) <= MAX_ACTIONS
        if "Metrics" in props:
            queries = props["Metrics"]
            stats = [q for q in queries if "MetricStat" in q]
            assert len(stats) <= MAX_METRICS_PER_ALARM, f"{name}: {len(stats)} metrics"
            assert len(stats) <= a.MAX_ALARM_QUERIES, f"{name}: over graphworker's budget"
            assert [q.get("ReturnData", True) for q in queries].count(True) == 1, name
            ids = [q["Id"] for q in queries]
            assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-z][a-zA-Z0-9_]*", i) for i in ids), ids
            periods = {q["MetricStat"]["Period"] for q in stats}
            for q in stats:
                assert q["MetricStat"]["Stat"] in STATISTICS
                assert len(q["MetricStat"]["Metric"]["Dimensions"]) <= MAX_DIMENSIONS
            for q in queries:
                if "Expression" in q:  # every id an expression uses is defined in the alarm
                    used = set(re.findall(r"\b[a-z][a-zA-Z0-9_]*\b", q["Expression"])) - {"FILL", "IF"}
                    assert used <= set(ids), (name, used - set(ids))
        else:
            assert props["Statistic"] in STATISTICS and len(props["Dimensions"]) <= MAX_DIMENSIONS
            periods = {props["Period"]}
        (period,) = periods
        # Standard-resolution metrics (EMF through Powertools): periods of whole minutes, and an
        # alarm evaluates at most one day of them.
        assert period % 60 == 0 and period * props["EvaluationPeriods"] <= 86_400, name


def test_composite_alarm_rule_fits(transformed):
    composites = _alarms(transformed, "AWS::CloudWatch::CompositeAlarm")
    assert composites
    for props in composites.values():
        # Each ${Alarm} becomes an alarm name, at most 255 characters.
        assert _sub_length(props["AlarmRule"], MAX_NAME) <= MAX_COMPOSITE_RULE
        assert _sub_length(props["AlarmDescription"], 20) <= MAX_DESCRIPTION


def test_the_pending_requests_alarm_watches_the_writer(transformed):
    (props,) = [p for p in _alarms(transformed, "AWS::CloudWatch::Alarm").values()
                if p.get("MetricName") == "MainRequestQueuePendingRequests"]
    assert props["Namespace"] == "AWS/Neptune"
    assert props["Dimensions"] == [{"Name": "DBClusterIdentifier", "Value": {"Ref": "NeptuneClusterId"}},
                                   {"Name": "Role", "Value": "WRITER"}]
    assert "writer" in props["AlarmDescription"]["Fn::Sub"]


def test_every_makefile_built_resource_has_its_make_target(source):
    """``sam build`` runs ``make build-<LogicalId>`` for ``BuildMethod: makefile``; a resource
    without its target fails the build (caught here without the SAM CLI)."""
    for name, resource in source["Resources"].items():
        if resource.get("Metadata", {}).get("BuildMethod") != "makefile":
            continue
        props = resource["Properties"]
        folder = ROOT / (props.get("CodeUri") or props.get("ContentUri")
                         or source["Globals"]["Function"].get("CodeUri"))
        targets = {t for line in (folder / "Makefile").read_text().splitlines()
                   if not line.startswith(("\t", "#")) and ":" in line for t in line.split(":", 1)[0].split()}
        assert f"build-{name}" in targets, (name, folder)
