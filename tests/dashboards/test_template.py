"""template.yaml: generated blocks up to date, valid for cfn-lint, and consistent with the code.

The template is read with cfn-lint's own YAML decoder (short-form intrinsics become
``{"Ref": ...}``/``{"Fn::...": ...}`` dicts), the same reading ``cfn-lint template.yaml`` does.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from dashboards import alarms, deployment, readme
from dashboards.deployment import FUNCTIONS, VISIBILITY_MAPPING
from dashboards.render import TEMPLATE
from dashboards.render import main as render_main
from dashboards.template import render_template
from framework.config import SERIALIZERS, GraphConfig
from framework.telemetry.catalog import NAMESPACE_DEFAULT
from framework.telemetry.tracing import exporter_name
from framework.worker_config import WorkerConfig

from .framework_scan import ROOT, env_like_constants, env_reads

SET_BY_LAMBDA = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_LAMBDA_FUNCTION_NAME"}
"""Read by the framework, set by the Lambda runtime (and reserved: a template may not set them);
the credentials are the execution role's, which IAM signing reads from the environment."""
LEGACY_FALLBACKS = {"AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL_SQS"}
"""Read only when set, as the AWS SDK does: the session token's legacy name, and the SDK's own
variable for a non-default SQS endpoint (the local pipeline's SQS; in AWS the default is right)."""
LAMBDA_RESERVED = SET_BY_LAMBDA | {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
}


@pytest.fixture(scope="module")
def template() -> Any:
    return cfn_yaml.load(str(TEMPLATE))


def function_env(template: Any, logical_id: str) -> dict[str, Any]:
    """A function's environment as SAM merges it: Globals, then the function's own variables."""
    merged = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    own = template["Resources"][logical_id]["Properties"].get("Environment", {}).get("Variables", {})
    merged.update(own)
    return merged


def default_env(template: Any, env: dict[str, Any], **parameters: str) -> dict[str, str]:
    """The environment a deployment with default parameters (plus ``parameters``) would get."""
    values = {name: str(p.get("Default", "")) for name, p in template["Parameters"].items()}
    values.update(parameters)

    def resolve(value: Any) -> str:
        if isinstance(value, str):
            return value
        if "Ref" in value:
            return values[value["Ref"]]
        if "Fn::Sub" in value:
            return re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], value["Fn::Sub"])
        raise AssertionError(f"unexpected environment value {value!r}")

    return {key: resolve(value) for key, value in env.items()}


# ------------------------------------------------------------------------------ generated blocks
def test_generated_blocks_are_up_to_date():
    text = TEMPLATE.read_text()
    assert render_template(text) == text, "template.yaml is out of date: run python -m dashboards.render --write"
    assert render_main(["--check"]) == 0


def test_readme_alarm_table_is_up_to_date():
    text = (ROOT / "README.md").read_text()
    assert readme.with_table(text) == text, "run: python -m dashboards.render --write"
    for alarm in alarms.ALARMS:
        assert f"`{alarm.parameter}` ({alarm.default:g} {alarm.unit})" in text


def test_render_detects_a_hand_edit(tmp_path):
    text = TEMPLATE.read_text()
    block = '  ConflictRateAlarmPercent:\n    Type: "Number"\n    Default: '
    edited = text.replace(block + "5\n", block + "7\n")
    assert edited != text
    copy = tmp_path / "template.yaml"
    copy.write_text(edited)
    no_readme = str(tmp_path / "README.md")
    assert render_main(["--check", "--template", str(copy), "--readme", no_readme]) == 1
    assert render_main(["--write", "--template", str(copy), "--readme", no_readme]) == 0
    assert copy.read_text() == TEMPLATE.read_text()


def test_cfn_lint_passes():
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert cfn_lint, "cfn-lint is part of the test extras"
    result = subprocess.run([cfn_lint, str(TEMPLATE)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------- environment check
def test_the_scanner_sees_every_reader():
    """If the framework starts reading variables some other way, this fails rather than the
    environment check silently passing: every variable-shaped constant must be a recognised read."""
    reads = env_reads()
    files = {where.split(":")[0] for places in reads.values() for where in places}
    assert {"framework/config.py", "framework/worker_config.py", "framework/telemetry/metrics.py",
            "framework/telemetry/tracing.py"} <= files
    unexplained = set(env_like_constants()) - set(reads)
    assert not unexplained, f"variable-like constants the scanner does not see read: {unexplained}"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.logical_id)
def test_every_variable_the_framework_reads_is_set_for_each_function(template, fn):
    env = function_env(template, fn.logical_id)
    missing = {var: sorted(where) for var, where in env_reads().items()
               if var not in env and var not in SET_BY_LAMBDA | LEGACY_FALLBACKS}
    assert not missing, f"{fn.logical_id} does not set (read at): {missing}"
    assert not set(env) & LAMBDA_RESERVED, "reserved Lambda variables must not be set by the template"


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.logical_id)
def test_template_defaults_are_the_framework_defaults(template, fn):
    env = default_env(template, function_env(template, fn.logical_id), NeptuneEndpoint="db.example.com")
    env["AWS_REGION"] = "us-east-1"  # set by Lambda
    deployed = GraphConfig.from_env(env)
    library = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "db.example.com", "AWS_REGION": "us-east-1"})
    # Deliberate difference: the template signs with IAM by default (Neptune's recommended set-up).
    assert deployed.use_iam and not library.use_iam
    assert dataclasses.replace(deployed, use_iam=False) == library
    assert WorkerConfig.from_env(env) == WorkerConfig()
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE_DEFAULT
    assert exporter_name(env) == "none"
    otlp = default_env(template, function_env(template, fn.logical_id), TracesExporter="otlp")
    assert exporter_name(otlp) == "otlp"
    assert otlp["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == "http://localhost:4318/v1/traces"
    assert tuple(template["Parameters"]["NeptuneSerializer"]["AllowedValues"]) == SERIALIZERS


# ------------------------------------------------------------------------- functions and queues
@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.logical_id)
def test_function_handler_service_and_event_source(template, fn):
    props = template["Resources"][fn.logical_id]["Properties"]
    assert props["Handler"] == fn.handler
    module_name, _, attr = fn.handler.rpartition(".")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attr))
    # The metrics' service dimension (alarms, dashboard) is POWERTOOLS_SERVICE_NAME.
    assert module.worker.service == fn.service
    env = function_env(template, fn.logical_id)
    assert env["POWERTOOLS_SERVICE_NAME"] == env["OTEL_SERVICE_NAME"] == fn.service
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.11" and globals_["CodeUri"] == "deploy/function"
    (event,) = props["Events"].values()
    assert event["Type"] == "SQS"
    source = event["Properties"]
    assert source["Queue"] == {"Fn::GetAtt": [fn.queue, "Arn"]}
    assert source["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert source["BatchSize"] == {"Ref": "BatchSize"}
    assert source["MaximumBatchingWindowInSeconds"] == {"Ref": "MaximumBatchingWindow"}
    assert source["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "MaximumConcurrency"}}


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.logical_id)
def test_queue_redrive_and_visibility_timeout(template, fn):
    queue = template["Resources"][fn.queue]["Properties"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [fn.dlq, "Arn"]},
                                      "maxReceiveCount": {"Ref": "MaxReceiveCount"}}
    assert queue["VisibilityTimeout"] == {"Fn::FindInMap": [VISIBILITY_MAPPING, {"Ref": "FunctionTimeout"},
                                                            {"Ref": "MaximumBatchingWindow"}]}
    dlq = template["Resources"][fn.dlq]["Properties"]
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]


def test_visibility_table_covers_every_allowed_parameter_value(template):
    params = template["Parameters"]
    timeouts = [int(v) for v in params["FunctionTimeout"]["AllowedValues"]]
    windows = [int(v) for v in params["MaximumBatchingWindow"]["AllowedValues"]]
    assert tuple(timeouts) == deployment.FUNCTION_TIMEOUTS_S and tuple(windows) == deployment.BATCHING_WINDOWS_S
    assert int(params["FunctionTimeout"]["Default"]) in timeouts
    table = template["Mappings"][VISIBILITY_MAPPING]
    for t in timeouts:
        for w in windows:
            visibility = table[str(t)][str(w)]
            assert 6 * t + w <= visibility <= 43_200  # AWS guidance; SQS maximum (12 h)


def test_vpc_and_security_groups(template):
    vpc = template["Globals"]["Function"]["VpcConfig"]
    assert vpc == {"SubnetIds": {"Ref": "VpcSubnetIds"}, "SecurityGroupIds": [{"Ref": "WorkerSecurityGroup"}]}
    ingress = template["Resources"]["NeptuneIngressFromWorkers"]["Properties"]
    assert ingress["GroupId"] == {"Ref": "NeptuneSecurityGroupId"}
    assert ingress["SourceSecurityGroupId"] == {"Ref": "WorkerSecurityGroup"}
    assert ingress["FromPort"] == ingress["ToPort"] == {"Ref": "NeptunePort"}


def test_optional_adot_layer(template):
    assert template["Globals"]["Function"]["Layers"] == [
        {"Ref": "DependenciesLayer"}, {"Fn::If": ["HasAdotLayer", {"Ref": "AdotLayerArn"}, {"Ref": "AWS::NoValue"}]}]
    assert template["Parameters"]["AdotLayerArn"]["Default"] == ""


def test_requirements_txt_is_the_runtime_dependencies():
    """``sam build`` installs the layer's requirements.txt; it must be exactly pyproject's dependencies."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = [line.strip() for line in (ROOT / "deploy" / "layer" / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == project["dependencies"]
    assert not any(dep.startswith("matplotlib") for dep in lines)


def test_samconfig_deploys_this_template():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    deploy = config["default"]["deploy"]["parameters"]
    assert "CAPABILITY_IAM" in deploy["capabilities"]
    assert deploy["resolve_s3"] is True  # the template is over 51,200 bytes: it goes through S3
    assert config["default"]["global"]["parameters"]["stack_name"]
