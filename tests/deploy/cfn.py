"""Reading template.yaml as CloudFormation does, offline: the SAM transform, Rules and Conditions.

The transform is AWS's own ``aws-sam-translator`` (what ``sam deploy`` and CloudFormation run),
given S3 placeholders for the local ``CodeUri``/``ContentUri`` exactly as ``sam package`` does, and
a region (a boto3 session object: no AWS call is made). Rules and Conditions are evaluated here
for given parameter values, with CloudFormation's semantics: parameter values are strings, a rule
applies when its ``RuleCondition`` holds, and then every ``Assert`` must hold.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


def source_template() -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse

    parsed: dict[str, Any] = yaml_parse(TEMPLATE.read_text())
    return parsed


def transformed_template() -> dict[str, Any]:
    """The template after the SAM transform (AWS::Serverless::* expanded into plain resources)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    template = copy.deepcopy(source_template())
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/function.zip"
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://bucket/layer.zip"

    def no_managed_policies() -> dict[str, str]:
        raise AssertionError("the template names no AWS managed policy for SAM to look up")

    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name="us-east-1"))
    out: dict[str, Any] = translator.translate(template, parameter_values={},
                                               get_managed_policy_map=no_managed_policies)
    return out


def parameter_values(template: dict[str, Any], **given: Any) -> dict[str, str]:
    """Every parameter's value as CloudFormation sees it (a string): ``given``, else the default."""
    values = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    values.update({k: str(v) for k, v in given.items()})
    values.setdefault("AWS::Region", "us-east-1")
    return values


def parameter_errors(template: dict[str, Any], values: dict[str, str]) -> list[str]:
    """Violations of the parameters' own constraints (AllowedValues, MinValue, MaxValue, ...)."""
    errors = []
    for name, spec in template["Parameters"].items():
        value = values.get(name, "")
        if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
            errors.append(f"{name}={value} not in AllowedValues")
        if spec.get("Type") == "Number" and value:
            number = float(value)
            if "MinValue" in spec and number < float(spec["MinValue"]):
                errors.append(f"{name}={value} below MinValue")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                errors.append(f"{name}={value} above MaxValue")
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            errors.append(f"{name} shorter than MinLength")
    return errors


def evaluate(expr: Any, values: dict[str, str], conditions: dict[str, bool] | None = None) -> Any:
    """A Rules/Conditions expression's value."""
    if isinstance(expr, str | int | float | bool):
        return str(expr) if not isinstance(expr, bool) else expr
    if isinstance(expr, list):
        return [evaluate(e, values, conditions) for e in expr]
    (fn, arg), = expr.items()
    if fn == "Ref":
        return values[arg]
    if fn == "Condition":
        assert conditions is not None, "Condition outside Conditions"
        return conditions[arg]
    args = evaluate(arg, values, conditions)
    if fn == "Fn::Equals":
        return args[0] == args[1]
    if fn == "Fn::Not":
        return not args[0]
    if fn == "Fn::And":
        return all(args)
    if fn == "Fn::Or":
        return any(args)
    if fn == "Fn::Contains":
        return args[1] in args[0]
    if fn == "Fn::EachMemberEquals":
        return all(v == args[1] for v in args[0])
    if fn == "Fn::EachMemberIn":
        return all(v in args[1] for v in args[0])
    raise NotImplementedError(fn)


def refused_by_rules(template: dict[str, Any], values: dict[str, str]) -> list[str]:
    """The ``AssertDescription`` of every rule assertion the values fail (empty: the stack proceeds)."""
    refused = []
    for name, rule in template.get("Rules", {}).items():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], values):
            continue
        for assertion in rule["Assertions"]:
            if not evaluate(assertion["Assert"], values):
                refused.append(f"{name}: {assertion.get('AssertDescription', '')}")
    return refused


def conditions(template: dict[str, Any], values: dict[str, str]) -> dict[str, bool]:
    """Every condition's value (conditions may refer to each other)."""
    out: dict[str, bool] = {}
    pending = dict(template.get("Conditions", {}))
    while pending:
        progressed = False
        for name, expr in list(pending.items()):
            try:
                out[name] = bool(evaluate(expr, values, out))
            except KeyError:
                continue
            del pending[name]
            progressed = True
        assert progressed, f"conditions refer to unknown ones: {sorted(pending)}"
    return out


def deployed_resources(template: dict[str, Any], values: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The resources CloudFormation creates for ``values``: those whose Condition holds."""
    conds = conditions(template, values)
    return {name: r for name, r in template["Resources"].items() if conds.get(r.get("Condition", ""), True)}
