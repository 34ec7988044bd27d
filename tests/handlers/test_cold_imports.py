"""A cold start pays for every import: a handler module imports only what its configuration uses.

Each case runs in a fresh Python process with a controlled environment (nothing inherited from
this machine's AWS, OpenTelemetry or graphworker settings): it imports a handler module exactly
as Lambda does, optionally processes a one-message SQS event against the local endpoint (started
here, on an OS-chosen port), and reports ``sys.modules``. The test fails when a module the
configuration does not need is there, and, for the configurations that do need one, when it is
missing (so the check is known to see what it looks for).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gwlocal.gremlin_server.settings import EndpointSettings
from gwlocal.gremlin_server.thread import EndpointThread
from tests.otlp_receiver import otlp_receiver

ROOT = Path(__file__).resolve().parents[2]

NEVER = ("gwlocal", "dashboards", "tests", "bench", "moto", "pytest", "hypothesis", "matplotlib", "boto3",
         "aws_lambda_powertools.utilities.parser")
"""Never in a function: local tooling, test tools, and Powertools' own Pydantic event models
(loaded by its batch utility when pydantic is imported before it; graphworker never uses them)."""
IAM = ("framework.signing", "framework.sigv4")
SDK = ("botocore.auth", "botocore.credentials", "botocore.session", "botocore.utils", "aiobotocore")
"""The AWS SDK: only to resolve credentials the environment does not hold (not in Lambda). The
``botocore`` package root alone is imported by Powertools itself (a user-agent hook; no submodule)."""
AIOHTTP = ("aiohttp", "yarl", "multidict")
"""aiohttp and what its client pulls in (~100 ms of a cold start): the Neptune WebSocket is
framework.websocket, on the standard library. aiohttp is loaded only by the SDK (credentials not in
the environment) and by the redelivery backoff's SQS calls, which a default invocation makes none of."""
TRACING = ("opentelemetry.sdk",)
OTLP = ("opentelemetry.exporter",)

MESSAGES = {
    "handlers.transactions": {"transaction_id": "t-1", "account_id": "a-1", "card_id": "c-1", "merchant_id": "m-1",
                              "merchant_name": "Shop", "amount": 3.5, "currency": "EUR",
                              "posted_at": "2026-01-01T00:00:00Z"},
    "handlers.identity": {"user_id": "u-1", "email": "ada@example.com", "observed_at": "2026-01-01T00:00:00Z"},
}

CHILD = """
import json, os, sys, time
module_name = sys.argv[1]
module = __import__(module_name, fromlist=["handler"])
after_import = sorted(sys.modules)
after_invoke = None
if os.environ.get("CHILD_EVENT"):
    class Context:
        function_name = "cold-imports"
        aws_request_id = "r-1"
        invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:cold-imports"
        memory_limit_in_mb = 512
        def get_remaining_time_in_millis(self):
            return 30000
    response = module.handler(json.loads(os.environ["CHILD_EVENT"]), Context())
    assert response == {"batchItemFailures": []}, response
    after_invoke = sorted(sys.modules)
print("CHILD " + json.dumps({"import": after_import, "invoke": after_invoke}))
"""


def _event(module: str) -> str:
    record = {"messageId": "m-1", "receiptHandle": "r", "body": json.dumps(MESSAGES[module]),
              "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
              "messageAttributes": {}, "eventSource": "aws:sqs",
              "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:cold-imports", "awsRegion": "us-east-1"}
    return json.dumps({"Records": [record]})


def run_child(module: str, tmp_path: Path, env: dict[str, str], invoke: bool) -> dict[str, set[str]]:
    empty = tmp_path / "empty"
    empty.write_text("")
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "OTEL_", "POWERTOOLS_", "NEPTUNE_", "GRAPHWORKER_", "USE_IAM"))}
    base.update({"AWS_CONFIG_FILE": str(empty), "AWS_SHARED_CREDENTIALS_FILE": str(empty),
                 "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
                 "POWERTOOLS_SERVICE_NAME": "cold-imports", "OTEL_TRACES_EXPORTER": "none"})
    base.update(env)
    if invoke:
        base["CHILD_EVENT"] = _event(module)
    proc = subprocess.run([sys.executable, "-c", CHILD, module], cwd=ROOT, env=base, capture_output=True,
                          text=True, timeout=60)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("CHILD ")), None)
    assert proc.returncode == 0 and line, (f"child failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                                           f"{proc.stderr[-3000:]}")
    found = json.loads(line.removeprefix("CHILD "))
    return {k: set(v) for k, v in found.items() if v is not None}


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    """The modules of ``modules`` that are, or are inside, one of ``prefixes``."""
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.fixture(scope="module")
def plain_endpoint() -> Iterator[EndpointThread]:
    with EndpointThread() as ep:
        yield ep


@pytest.fixture(scope="module")
def iam_endpoint() -> Iterator[EndpointThread]:
    settings = EndpointSettings().patched({"iam": {"enabled": True, "region": "us-east-1", "credentials": [
        {"access_key": "AKIDCOLD", "secret_key": "cold-secret", "session_token": "cold-token"}]}})
    with EndpointThread(settings) as ep:
        yield ep


@pytest.fixture
def otlp_receiver_url() -> Iterator[tuple[str, list[bytes]]]:
    with otlp_receiver() as received:
        yield received


@pytest.mark.parametrize("module", sorted(MESSAGES))
def test_default_configuration_imports_no_iam_sdk_tracing_sdk_or_tooling(module, plain_endpoint, tmp_path):
    mods = run_child(module, tmp_path, {"NEPTUNE_ENDPOINT": plain_endpoint.url, "USE_IAM": "false"}, invoke=True)
    for phase in ("import", "invoke"):
        assert loaded(mods[phase], NEVER + IAM + SDK + TRACING + OTLP + AIOHTTP) == [], phase
    # The write went over the stdlib WebSocket (so the check sees what it looks for).
    assert "framework.worker" in mods["import"] and "framework.websocket" in mods["invoke"]


def test_iam_with_environment_credentials_signs_without_the_aws_sdk(iam_endpoint, tmp_path):
    mods = run_child("handlers.transactions", tmp_path, {
        "NEPTUNE_ENDPOINT": iam_endpoint.url, "USE_IAM": "true", "AWS_ACCESS_KEY_ID": "AKIDCOLD",
        "AWS_SECRET_ACCESS_KEY": "cold-secret", "AWS_SESSION_TOKEN": "cold-token"}, invoke=True)
    assert loaded(mods["import"], IAM) == []  # nothing is signed before the first connection
    assert loaded(mods["invoke"], IAM) == sorted(IAM)  # the signed handshake was accepted
    assert loaded(mods["invoke"], NEVER + SDK + TRACING + OTLP + AIOHTTP) == []


def test_iam_without_environment_credentials_resolves_them_through_the_sdk(iam_endpoint, tmp_path):
    # A shared credentials file stands for the rest of the provider chain (a profile on a laptop,
    # a container or instance role in AWS): only then is the SDK imported.
    creds = tmp_path / "credentials"
    creds.write_text("[default]\naws_access_key_id = AKIDCOLD\naws_secret_access_key = cold-secret\n"
                     "aws_session_token = cold-token\n")
    mods = run_child("handlers.transactions", tmp_path, {
        "NEPTUNE_ENDPOINT": iam_endpoint.url, "USE_IAM": "true", "AWS_SHARED_CREDENTIALS_FILE": str(creds)},
        invoke=True)
    assert loaded(mods["import"], SDK + IAM) == []
    assert {"aiobotocore.session", "framework.signing"} <= mods["invoke"]


def test_otlp_exporter_is_imported_only_when_configured(plain_endpoint, otlp_receiver_url, tmp_path):
    url, bodies = otlp_receiver_url
    mods = run_child("handlers.transactions", tmp_path, {
        "NEPTUNE_ENDPOINT": plain_endpoint.url, "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": url}, invoke=True)
    assert loaded(mods["import"], TRACING + OTLP) == []
    assert loaded(mods["invoke"], TRACING) and loaded(mods["invoke"], OTLP)
    assert loaded(mods["invoke"], NEVER + IAM + SDK + AIOHTTP) == []
    assert len(bodies) >= 1  # the invocation's spans reached the collector before it returned
