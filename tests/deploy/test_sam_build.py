"""``sam build`` (no Docker: the makefile builds run here), then the built package itself.

The functions must hold ``framework/`` and ``handlers/`` and nothing else (no local tooling,
tests, benchmarks, docs, samconfig.toml or local run folders), each module with bytecode compiled
ahead for Python 3.11; the layer the runtime dependencies only. Then the built package is
imported and invoked in a fresh interpreter that sees nothing but the package and the standard
library (``-S``: no site-packages), against the local endpoint: what was built is all that runs.
Marked ``sam``: skipped with a how-to where the SAM CLI is missing, required in CI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gwlocal.gremlin_server.thread import EndpointThread
from gwlocal.package_report import LAMBDA_UNZIPPED_LIMIT, artifacts, report

from ..conftest import REQUIRE_SAM, sam_path
from .cfn import ROOT, source_template


def template_functions() -> list[str]:
    """Every function the template declares (the built package must hold each)."""
    resources = source_template()["Resources"]
    return sorted(name for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function")


pytestmark = pytest.mark.sam

TOOLING = {"gwlocal", "dashboards", "tests", "bench", "deploy", "README.md", "samconfig.toml", "template.yaml",
           "pyproject.toml", ".graphworker", "test-artifacts", "requirements.txt", "Makefile", ".ci"}
NOT_RUNTIME = {"matplotlib", "moto", "pytest", "hypothesis", "cfnlint", "samtranslator", "ruff", "mypy", "jsonschema"}


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    sam = sam_path()
    if sam is None:
        pytest.fail(f"{REQUIRE_SAM}=1 but the SAM CLI was not found (PATH or .venv-sam/bin/sam)")
    out = tmp_path_factory.mktemp("sam")
    env = dict(os.environ, SAM_CLI_TELEMETRY="0")
    result = subprocess.run(
        [sam, "build", "--template-file", str(ROOT / "template.yaml"), "--build-dir", str(out / "build"),
         "--cache-dir", str(out / "cache"), "--no-cached"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    yield out / "build"


def _pyc_is_unchecked(pyc: Path) -> bool:
    flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
    return flags == 0b01  # hash-based, source not checked (PEP 552)


def test_functions_hold_framework_and_handlers_only(build):
    found = {a.name: a for a in artifacts(build)}
    assert set(found) == {*template_functions(), "DependenciesLayer"}
    for name in template_functions():
        function = found[name]
        assert function.entries == ("framework", "handlers"), function.entries
        for package in ("framework", "handlers"):
            shipped = {p.relative_to(build / name / package) for p in (build / name / package).rglob("*.py")}
            source = {p.relative_to(ROOT / package) for p in (ROOT / package).rglob("*.py")}
            assert shipped == source, (name, package)
            for module in shipped:
                pyc = (build / name / package / module).parent / "__pycache__" / f"{module.stem}.cpython-311.pyc"
                assert pyc.exists() and _pyc_is_unchecked(pyc), pyc
        names = {p.name for p in (build / name).rglob("*")}
        assert not names & TOOLING, names & TOOLING


def test_the_layer_holds_the_runtime_dependencies_only(build):
    python = build / "DependenciesLayer" / "python"
    assert sorted(p.name for p in (build / "DependenciesLayer").iterdir()) == ["python"]
    top = {p.name for p in python.iterdir()}
    assert {"gremlin_python", "aiohttp", "aws_lambda_powertools", "pydantic", "opentelemetry", "backoff"} <= top
    assert not top & (NOT_RUNTIME | {"framework", "handlers", "gwlocal", "dashboards"})
    assert (python / "aiohttp" / "__pycache__" / "client.cpython-311.pyc").exists()
    assert all(a.unzipped < LAMBDA_UNZIPPED_LIMIT for a in artifacts(build))
    print("\n" + report(build))  # the sizes the README quotes (pytest -s shows them)


def test_the_built_package_alone_runs_a_handler(build, tmp_path):
    """A fresh interpreter without site-packages: only the built function, its layer and the
    standard library, as in Lambda. It imports the handler and writes one message."""
    message = {"transaction_id": "t-1", "account_id": "a-1", "card_id": "c-1", "merchant_id": "m-1",
               "merchant_name": "Shop", "amount": 3.5, "currency": "EUR", "posted_at": "2026-01-01T00:00:00Z"}
    event = {"Records": [{"messageId": "m-1", "receiptHandle": "r", "body": json.dumps(message),
                          "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
                          "messageAttributes": {}, "eventSource": "aws:sqs",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:q", "awsRegion": "us-east-1"}]}
    child = f"""
import json, sys
sys.path[:0] = [{str(build / "TransactionsFunction")!r}, {str(build / "DependenciesLayer" / "python")!r}]
import handlers.transactions as module
class Context:
    function_name = "built"; aws_request_id = "r"; memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:built"
    def get_remaining_time_in_millis(self): return 30000
print("RESPONSE " + json.dumps(module.handler(json.loads(sys.argv[1]), Context())))
outside = sorted(m.__file__ for m in list(sys.modules.values())
                 if getattr(m, "__file__", None) and "site-packages" in m.__file__)
print("OUTSIDE " + json.dumps(outside))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OTEL_", "POWERTOOLS_", "PYTHON"))}
    with EndpointThread() as ep:
        env.update({"NEPTUNE_ENDPOINT": ep.url, "USE_IAM": "false", "POWERTOOLS_SERVICE_NAME": "built",
                    "PYTHONDONTWRITEBYTECODE": "1"})
        result = subprocess.run([sys.executable, "-S", "-c", child, json.dumps(event)], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        written = ep.call(lambda e: (e.store.vertex("txn:t-1") is not None, e.store.vertex_count()))
    lines = {line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1]) for line in result.stdout.splitlines()
             if line.startswith(("RESPONSE ", "OUTSIDE "))}
    assert lines["RESPONSE"] == {"batchItemFailures": []}
    assert lines["OUTSIDE"] == []  # nothing came from the test environment's site-packages
    assert written == (True, 4)  # the transaction, its account, card and merchant
