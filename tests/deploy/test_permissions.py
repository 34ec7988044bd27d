"""Least privilege, read from the transformed template (what CloudFormation creates): each
function's role can do exactly the listed actions on the listed resources, and nothing else; SAM
adds no role or managed policy of its own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dashboards.deployment import FUNCTIONS, FunctionDeployment

from .cfn import conditions, parameter_values

VPC_ACTIONS = {"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
               "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"}
XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                "xray:GetSamplingTargets"}
NEPTUNE_ACTIONS = {"neptune-db:connect", "neptune-db:ReadDataViaQuery", "neptune-db:WriteDataViaQuery",
                   "neptune-db:DeleteDataViaQuery"}


def minimum(fn: FunctionDeployment) -> set[tuple[frozenset[str], str]]:
    """(actions, resource) a function needs, every configuration: this list is the documentation."""
    stem = fn.logical_id.removesuffix("Function")
    return {
        # The event source (receive, delete; GetQueueAttributes is checked when Lambda creates the
        # mapping) and per-message redelivery delays (GetQueueUrl once, then
        # ChangeMessageVisibility[Batch]), own queue only.
        (frozenset({"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}), json.dumps({"Fn::GetAtt": [fn.queue, "Arn"]})),
        # Its own log group (declared in the template, so no CreateLogGroup).
        (frozenset({"logs:CreateLogStream", "logs:PutLogEvents"}),
         json.dumps({"Fn::GetAtt": [f"{stem}LogGroup", "Arn"]})),
        # Attaching to the VPC: EC2 cannot scope these to resources.
        (frozenset(VPC_ACTIONS), json.dumps("*")),
    }


def statements(policy_document: dict[str, Any]) -> set[tuple[frozenset[str], str]]:
    out = set()
    for statement in policy_document["Statement"]:
        assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a.endswith("*") for a in actions), actions
        out.add((frozenset(actions), json.dumps(statement["Resource"])))
    return out


def role_of(transformed: dict[str, Any], fn: FunctionDeployment) -> tuple[str, dict[str, Any]]:
    function = transformed["Resources"][fn.logical_id]
    assert function["Type"] == "AWS::Lambda::Function"
    role_ref = function["Properties"]["Role"]
    assert role_ref == {"Fn::GetAtt": [f"{fn.logical_id}Role", "Arn"]}
    return f"{fn.logical_id}Role", transformed["Resources"][f"{fn.logical_id}Role"]["Properties"]


def role_statements(role: dict[str, Any], traces: bool) -> set[tuple[frozenset[str], str]]:
    """The role's inline statements, with ``Fn::If [ExportsTraces, ...]`` resolved."""
    out: set[tuple[frozenset[str], str]] = set()
    for policy in role["Policies"]:
        if "Fn::If" in policy:
            condition, then, otherwise = policy["Fn::If"]
            assert condition == "ExportsTraces" and otherwise == {"Ref": "AWS::NoValue"}
            if not traces:
                continue
            policy = then
        out |= statements(policy["PolicyDocument"])
    return out


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.logical_id)
@pytest.mark.parametrize("traces", [False, True], ids=["no-traces", "otlp"])
def test_each_function_role_is_exactly_the_minimum(transformed, fn, traces):
    _, role = role_of(transformed, fn)
    assert role["AssumeRolePolicyDocument"]["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    expected = minimum(fn) | ({(frozenset(XRAY_ACTIONS), json.dumps("*"))} if traces else set())
    assert role_statements(role, traces) == expected
    # Neptune data access: the one managed policy, only with IAM auth.
    assert role["ManagedPolicyArns"] == [{"Fn::If": ["UseIamAuth", {"Ref": "NeptuneDataAccessPolicy"},
                                                     {"Ref": "AWS::NoValue"}]}]
    assert set(role) <= {"AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns", "Description"}


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.logical_id)
def test_a_functions_queue_permissions_are_its_event_sources_queue(transformed, fn):
    (mapping,) = [r["Properties"] for r in transformed["Resources"].values()
                  if r["Type"] == "AWS::Lambda::EventSourceMapping"
                  and r["Properties"]["FunctionName"] == {"Ref": fn.logical_id}]
    _, role = role_of(transformed, fn)
    sqs = [resource for actions, resource in role_statements(role, traces=True)
           if any(a.startswith("sqs:") for a in actions)]
    assert sqs == [json.dumps(mapping["EventSourceArn"])]


def test_neptune_data_access_is_scoped_to_the_cluster(transformed, source):
    policy = transformed["Resources"]["NeptuneDataAccessPolicy"]
    assert policy["Condition"] == "UseIamAuth"
    ((actions, resource),) = statements(policy["Properties"]["PolicyDocument"])
    assert actions == NEPTUNE_ACTIONS
    assert json.loads(resource) == {
        "Fn::Sub": "arn:${AWS::Partition}:neptune-db:${AWS::Region}:${AWS::AccountId}:${NeptuneClusterResourceId}/*"}
    for use_iam, exists in (("true", True), ("false", False)):
        assert conditions(source, parameter_values(source, UseIam=use_iam))["UseIamAuth"] is exists


def test_no_other_identity_or_permission_resources(transformed):
    iam = {name: r["Type"] for name, r in transformed["Resources"].items()
           if r["Type"].startswith("AWS::IAM::") or r["Type"] == "AWS::Lambda::Permission"}
    assert iam == {"IdentityFunctionRole": "AWS::IAM::Role", "TransactionsFunctionRole": "AWS::IAM::Role",
                   "PurgeFunctionRole": "AWS::IAM::Role", "PurgeFunctionDailyPermission": "AWS::Lambda::Permission",
                   "ConcurrencyControlFunctionRole": "AWS::IAM::Role",
                   "ConcurrencyControlFunctionPressureAlarmPermission": "AWS::Lambda::Permission",
                   "NeptuneDataAccessPolicy": "AWS::IAM::ManagedPolicy"}


def test_the_concurrency_control_can_only_set_this_stacks_event_sources(transformed):
    role = transformed["Resources"]["ConcurrencyControlFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role  # no Neptune, no queue: it never touches data
    mappings = [fn.logical_id + "Queue" for fn in FUNCTIONS]
    arns = [json.dumps({"Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
                                   f"event-source-mapping:${{{m}}}"}) for m in mappings]
    statements_ = role_statements(role, traces=False)
    assert statements_ == {
        (frozenset({"lambda:UpdateEventSourceMapping"}), json.dumps([json.loads(a) for a in arns])),
        (frozenset({"logs:CreateLogStream", "logs:PutLogEvents"}),
         json.dumps({"Fn::GetAtt": ["ConcurrencyControlLogGroup", "Arn"]}))}
    for mapping in mappings:
        assert transformed["Resources"][mapping]["Type"] == "AWS::Lambda::EventSourceMapping"
    # Invoked only by the rule on the composite alarm's state changes.
    rule = transformed["Resources"]["ConcurrencyControlFunctionPressureAlarm"]["Properties"]
    assert rule["EventPattern"] == {"source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
                                    "resources": [{"Fn::GetAtt": ["DatabaseUnderPressureAlarm", "Arn"]}]}
    permission = transformed["Resources"]["ConcurrencyControlFunctionPressureAlarmPermission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    env = transformed["Resources"]["ConcurrencyControlFunction"]["Properties"]["Environment"]["Variables"]
    assert env["GRAPHWORKER_PRESSURE_CONCURRENCY"] == "2" and env["GRAPHWORKER_NORMAL_CONCURRENCY"] == {
        "Ref": "MaximumConcurrency"}


@pytest.mark.parametrize("traces", [False, True], ids=["no-traces", "otlp"])
def test_the_purge_function_reaches_its_log_group_and_neptune_only(transformed, traces):
    function = transformed["Resources"]["PurgeFunction"]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": ["PurgeFunctionRole", "Arn"]}
    role = transformed["Resources"]["PurgeFunctionRole"]["Properties"]
    expected = {(frozenset({"logs:CreateLogStream", "logs:PutLogEvents"}),
                 json.dumps({"Fn::GetAtt": ["PurgeLogGroup", "Arn"]})),
                (frozenset(VPC_ACTIONS), json.dumps("*"))}
    expected |= {(frozenset(XRAY_ACTIONS), json.dumps("*"))} if traces else set()
    assert role_statements(role, traces) == expected  # no queue at all
    assert role["ManagedPolicyArns"] == [{"Fn::If": ["UseIamAuth", {"Ref": "NeptuneDataAccessPolicy"},
                                                     {"Ref": "AWS::NoValue"}]}]
    # Only its daily schedule may invoke it.
    permission = transformed["Resources"]["PurgeFunctionDailyPermission"]["Properties"]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["PurgeFunctionDaily", "Arn"]}
    assert transformed["Resources"]["PurgeFunctionDaily"]["Properties"]["ScheduleExpression"] == "rate(1 day)"
