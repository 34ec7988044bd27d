"""Benchmark: a Lambda cold start with graphworker against gremlinpython + Powertools, side by side.

Run: ``.venv/bin/python bench/cold_start.py [-n 7]``. A cold start pays for every import and
for the first connection, so each sample is a fresh Python process that does what a new Lambda
execution context does, and nothing else:

- ``graphworker``: import the ``transactions`` example handler module (the function's ``Handler``)
  and call its handler with a one-message SQS event; the worker opens its connection and writes
  the message's upserts in one request.
- ``peer``: a hand-written handler of the kind graphworker replaces: import gremlinpython and
  Powertools (``Logger``, ``Metrics``, ``batch``), then process the same event with Powertools'
  ``BatchProcessor``, sending one ``mergeV`` over a new ``DriverRemoteConnection``.
  ``peer +model`` also validates the body with the handler's Pydantic model (informational: the
  share of graphworker's cost that is the message model rather than the framework).
- ``... +IAM``: the same with IAM auth. The local endpoint (``graphworker gremlin-server --iam``)
  checks SigV4 on every handshake; test credentials are in the environment, as Lambda provides
  the execution role's. graphworker signs through its own client; the peer signs with botocore's
  ``SigV4Auth`` and passes the headers to gremlinpython, as AWS's Neptune samples do. Each IAM
  process then reconnects once and signs again, to measure a warm re-sign.

The endpoint runs in its own process on an OS-chosen port. Contenders take turns (A B C D A B C
D ...) so a drifting machine affects them alike; the first round is a warm-up (file cache) and
is not counted. Reported per contender, as medians of N: the whole process (spawn to exit,
interpreter start-up included; wall time, and CPU time, which a busy machine disturbs less), the
in-process part (first line of the script to the first
write acknowledged) split into imports and first invocation, and the SigV4 signing times (first
signing in the process, credential resolution included, and a warm re-sign). Ratios compare
each graphworker variant with the peer in the same mode. graphworker runs with the environment
template.yaml gives its functions (``DEPLOYED_ENV``; a test keeps the two equal), and its modules'
bytecode is written on the warm-up round like the installed packages' (pip compiles those).

``--package .aws-sam/build`` adds graphworker run from what ``sam build`` made, in an interpreter
without site-packages (``-S``: the function, its layer and the standard library, as in Lambda),
and from a copy of it without bytecode: what SAM's default Python builder would ship, compiled
again at every cold start because Lambda's code and layer folders are read-only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
ACCESS_KEY, SECRET_KEY, SESSION_TOKEN = "AKIDLOCALTEST", "local-test-secret-key", "local-test-session-token"

MESSAGE = {"transaction_id": "t-1", "account_id": "a-1", "card_id": "c-1", "merchant_id": "m-1",
           "merchant_name": "Corner Shop", "amount": 12.5, "currency": "EUR",
           "posted_at": "2026-01-01T12:00:00+00:00", "device_id": "d-1"}

# Code shared by both kinds of child: the event (passed as JSON) and a Lambda-like context.
# Written inline, not imported, so the children import nothing beyond what they measure.
_PRELUDE = """
import time
_T0 = time.perf_counter()
import json, os, sys
EVENT = json.loads(os.environ["GWBENCH_EVENT"])
class Context:
    function_name = "bench"
    memory_limit_in_mb = 512
    aws_request_id = "bench-request"
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:bench"
    def __init__(self):
        self._deadline = time.monotonic() + 30
    def get_remaining_time_in_millis(self):
        return int((self._deadline - time.monotonic()) * 1000)
def close_server_connections():
    import urllib.request
    request = urllib.request.Request(os.environ["GWBENCH_CONTROL"] + "/control/close-connections",
                                     data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()
def report(**figures):
    sys.stdout.flush()
    print("GWBENCH " + json.dumps(figures), flush=True)
"""

GRAPHWORKER_CHILD = _PRELUDE + """
import handlers.transactions as function_module
_T1 = time.perf_counter()
response = function_module.handler(EVENT, Context())
_T2 = time.perf_counter()
assert response == {"batchItemFailures": []}, response
resign = None
if os.environ.get("USE_IAM") == "true":
    # A warm re-sign: the server drops the connection, the next invocation reconnects and signs
    # again with the cached credentials and signing key (its time is in the EMF output).
    close_server_connections()
    second = dict(EVENT["Records"][0], messageId="bench-2")
    assert function_module.handler({"Records": [second]}, Context()) == {"batchItemFailures": []}
report(imports_ms=(_T1 - _T0) * 1000, first_invocation_ms=(_T2 - _T1) * 1000)
"""

PEER_CHILD = _PRELUDE + """
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import Merge, T
IAM = os.environ.get("USE_IAM") == "true"
if os.environ.get("GWBENCH_PEER_MODEL") == "1":
    # The same message model as the transactions handler, validated with Pydantic.
    import datetime as dt
    from pydantic import BaseModel, Field
    class TransactionPosted(BaseModel):
        transaction_id: str = Field(min_length=1)
        account_id: str = Field(min_length=1)
        card_id: str = Field(min_length=1)
        merchant_id: str = Field(min_length=1)
        merchant_name: str
        amount: float = Field(ge=0)
        currency: str = Field(min_length=3, max_length=3)
        posted_at: dt.datetime
        device_id: str | None = None
    def parse(body):
        return TransactionPosted.model_validate_json(body).model_dump()
else:
    parse = json.loads
if IAM:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.session import get_session
_T1 = time.perf_counter()
URL = os.environ["GWBENCH_URL"]
SIGN_MS = []
def signed_headers():
    started = time.perf_counter()
    if not hasattr(signed_headers, "credentials"):
        signed_headers.credentials = get_session().get_credentials()
    request = AWSRequest(method="GET", url=URL.replace("ws://", "http://", 1))
    SigV4Auth(signed_headers.credentials, "neptune-db", os.environ["AWS_REGION"]).add_auth(request)
    headers = dict(request.headers)
    SIGN_MS.append((time.perf_counter() - started) * 1000)
    return headers
logger = Logger(service="peer")
metrics = Metrics(namespace="bench", service="peer")
processor = BatchProcessor(event_type=EventType.SQS)
connection = None
def record_handler(record):
    global connection
    if connection is None:
        connection = DriverRemoteConnection(URL, "g", headers=signed_headers() if IAM else None)
    body = parse(record.body)
    g = traversal().with_remote(connection)
    written = (g.merge_v({T.id: "txn:" + body["transaction_id"]})
               .option(Merge.on_create, {T.label: "Transaction", "amount": body["amount"]})
               .id_().to_list())
    assert written, "empty answer"
    metrics.add_metric(name="UpsertsWritten", unit=MetricUnit.Count, value=1)
@metrics.log_metrics
def handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
response = handler(EVENT, Context())
_T2 = time.perf_counter()
assert response == {"batchItemFailures": []}, response
if IAM:
    signed_headers()  # the warm re-sign a reconnect would do
connection.close()
report(imports_ms=(_T1 - _T0) * 1000, first_invocation_ms=(_T2 - _T1) * 1000,
       first_sign_ms=SIGN_MS[0] if SIGN_MS else None, resign_ms=SIGN_MS[1] if len(SIGN_MS) > 1 else None)
"""


DEPLOYED_ENV = {"PYDANTIC_DISABLE_PLUGINS": "__all__"}
"""What template.yaml sets for graphworker's functions besides the connection (see its comment)."""


@dataclass
class Contender:
    name: str
    code: str
    iam: bool
    peer: str | None = None
    """The contender this one is compared with."""
    package: list[str] | None = None
    """Run from a ``sam build`` output: these folders (function, layer) and the standard library only."""
    no_bytecode: bool = False
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment for this contender's processes."""
    samples: list[dict[str, float | None]] = field(default_factory=list)

    def command(self) -> list[str]:
        if self.package is None:
            return [sys.executable, "-c", self.code]
        # -S: no site-packages, as in Lambda, where the function and its layers are all there is.
        return [sys.executable, "-S", "-c", f"import sys\nsys.path[:0] = {self.package!r}\n" + self.code]


def package_contenders(build_dir: Path, scratch: Path, iam: bool) -> list[Contender]:
    """graphworker run from what ``sam build`` made (bytecode compiled ahead), and from a copy
    without bytecode (what SAM's default Python builder ships: compiled at every cold start)."""
    import shutil

    function, layer = build_dir / "TransactionsFunction", build_dir / "DependenciesLayer" / "python"
    for path in (function, layer):
        if not path.is_dir():
            raise SystemExit(f"{path} not found: run `sam build` first (see README, Deploying)")
    bare = scratch / "no-bytecode"
    for path in (function, layer):
        shutil.copytree(path, bare / path.name, ignore=shutil.ignore_patterns("__pycache__"))
    out = []
    for suffix, is_iam in (("", False), (" +IAM", True)) if iam else (("", False),):
        peer = f"peer{suffix}"
        out.append(Contender(f"package{suffix}", GRAPHWORKER_CHILD, is_iam, peer, [str(function), str(layer)],
                             env=DEPLOYED_ENV))
        out.append(Contender(f"package, no .pyc{suffix}", GRAPHWORKER_CHILD, is_iam, peer,
                             [str(bare / function.name), str(bare / layer.name)], no_bytecode=True,
                             env=DEPLOYED_ENV))
    return out


def start_endpoint(iam: bool) -> tuple[subprocess.Popen[str], str]:
    """``graphworker gremlin-server`` on a free port, in its own process; returns it and its URL."""
    args = [sys.executable, "-m", "gwlocal.cli", "gremlin-server", "--port", "0", "--log-level", "WARNING"]
    if iam:
        args += ["--iam", "--iam-region", REGION, "--iam-access-key", ACCESS_KEY, "--iam-secret-key", SECRET_KEY]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"(ws://127\.0\.0\.1:\d+/gremlin)", line)
    if not found:
        proc.kill()
        raise RuntimeError(f"the endpoint did not start: {line!r}")
    return proc, found.group(1)


def child_env(iam: bool, url: str, scratch: Path) -> dict[str, str]:
    """A controlled environment: no inherited AWS or OTEL settings; IAM test credentials when asked."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "OTEL_", "POWERTOOLS_", "NEPTUNE_", "GRAPHWORKER_", "USE_IAM"))}
    # Bytecode is written on the warm-up round and used after, for graphworker's modules as for the
    # installed packages (pip compiles those at install; a deployed package ships it: deploy/).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    empty = scratch / "empty"
    empty.write_text("")
    record = {"messageId": "bench-1", "receiptHandle": "bench", "body": json.dumps(MESSAGE),
              "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000)),
                             "SenderId": "bench", "ApproximateFirstReceiveTimestamp": "0"},
              "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
              "eventSourceARN": f"arn:aws:sqs:{REGION}:000000000000:bench", "awsRegion": REGION}
    env.update({
        "GWBENCH_EVENT": json.dumps({"Records": [record]}),
        "GWBENCH_URL": url,
        "GWBENCH_CONTROL": url.replace("ws://", "http://").removesuffix("/gremlin"),
        "NEPTUNE_ENDPOINT": url,
        "USE_IAM": "true" if iam else "false",
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(empty),  # nothing from this machine's AWS set-up leaks in
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "GWBENCH_SCRATCH": str(scratch),
    })
    if iam:
        env.update({"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY})
    return env


def _emf_signing(stdout: str) -> tuple[float | None, float | None]:
    """(first, warm) ``SigV4SigningTime`` from graphworker's EMF lines."""
    first = warm = None
    for line in stdout.splitlines():
        if '"SigV4SigningTime"' not in line:
            continue
        blob = json.loads(line)
        values = blob["SigV4SigningTime"]
        value = float(values[0] if isinstance(values, list) else values)
        if blob.get("ColdStart") == "true":
            first = value
        else:
            warm = value
    return first, warm


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(contender: Contender, env: dict[str, str]) -> dict[str, float | None]:
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    if contender.no_bytecode:
        env = dict(env, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run(contender.command(), cwd=ROOT if contender.package is None else env["GWBENCH_SCRATCH"],
                          env=env, capture_output=True, text=True, timeout=120)
    wall_ms = (time.perf_counter() - started) * 1000
    cpu_ms = (_children_cpu_s() - cpu_before) * 1000
    result = next((line for line in reversed(proc.stdout.splitlines()) if line.startswith("GWBENCH ")), None)
    if proc.returncode != 0 or result is None:
        raise RuntimeError(f"{contender.name} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n"
                           f"{proc.stderr[-4000:]}")
    figures: dict[str, float | None] = json.loads(result.removeprefix("GWBENCH "))
    figures["process_ms"] = wall_ms
    figures["process_cpu_ms"] = cpu_ms
    figures["in_process_ms"] = float(figures["imports_ms"] or 0) + float(figures["first_invocation_ms"] or 0)
    if contender.code is GRAPHWORKER_CHILD:
        figures["first_sign_ms"], figures["resign_ms"] = _emf_signing(proc.stdout)
    return figures


def median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


COLUMNS = (("process_ms", "process"), ("process_cpu_ms", "process CPU"), ("in_process_ms", "in-process"),
           ("imports_ms", "imports"), ("first_invocation_ms", "1st invocation"), ("first_sign_ms", "1st SigV4"),
           ("resign_ms", "re-sign"))


def table(contenders: list[Contender]) -> str:
    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.1f}"

    head = ["contender (median ms)", *(title for _, title in COLUMNS), "process ratio", "CPU ratio",
            "in-process ratio"]
    rows = [head]
    medians = {c.name: {key: median([s.get(key) for s in c.samples]) for key, _ in COLUMNS} for c in contenders}
    for c in contenders:
        row = [c.name, *(fmt(medians[c.name][key]) for key, _ in COLUMNS)]
        for key in ("process_ms", "process_cpu_ms", "in_process_ms"):
            mine, theirs = medians[c.name][key], medians[c.peer][key] if c.peer else None
            row.append(f"{mine / theirs:.2f}x {c.peer}" if mine and theirs else "1.00x")
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7, help="counted runs per contender (median of N)")
    parser.add_argument("--no-iam", action="store_true", help="skip the IAM variants")
    parser.add_argument("--package", type=Path, metavar="BUILD_DIR",
                        help="also run graphworker from a sam build output (e.g. .aws-sam/build), with and "
                             "without its ahead-of-time bytecode")
    parser.add_argument("--json", type=Path, help="also write every sample as JSON here")
    args = parser.parse_args(argv)

    contenders = [Contender("peer", PEER_CHILD, iam=False),
                  Contender("peer +model", PEER_CHILD, iam=False, env={"GWBENCH_PEER_MODEL": "1"}),
                  Contender("graphworker", GRAPHWORKER_CHILD, False, "peer", env=DEPLOYED_ENV)]
    if not args.no_iam:
        contenders += [Contender("peer +IAM", PEER_CHILD, iam=True),
                       Contender("graphworker +IAM", GRAPHWORKER_CHILD, True, "peer +IAM", env=DEPLOYED_ENV)]
    plain, plain_url = start_endpoint(iam=False)
    iam_ep, iam_url = start_endpoint(iam=True) if not args.no_iam else (None, "")
    try:
        with tempfile.TemporaryDirectory() as scratch:
            if args.package:
                contenders += package_contenders(args.package.resolve(), Path(scratch), iam=not args.no_iam)
            envs = {c.name: {**child_env(c.iam, iam_url if c.iam else plain_url, Path(scratch)), **c.env}
                    for c in contenders}
            for round_ in range(args.runs + 1):
                for c in contenders:
                    figures = run_child(c, envs[c.name])
                    if round_ > 0:  # the first round warms the file cache
                        c.samples.append(figures)
                print(f"round {round_}/{args.runs} done", file=sys.stderr, flush=True)
    finally:
        for proc in (plain, iam_ep):
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
    print(f"Cold start: fresh process per sample, median of {args.runs} (Python {sys.version.split()[0]})")
    print(table(contenders))
    if args.json:
        args.json.write_text(json.dumps({c.name: c.samples for c in contenders}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
