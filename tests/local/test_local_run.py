"""``graphworker local`` run in-process with small numbers: a real local SQS server (fauxqs, or
moto's), the real local Gremlin endpoint (both in child processes, as the command runs them),
real handler modules in Lambda-like execution contexts.

Each run waits for poison messages to reach the DLQ; tests use a 1 s visibility timeout and a
maxReceiveCount of 2 so that takes seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from framework.upserts import Edge
from gwlocal.cli import build_parser
from gwlocal.lambda_events import sqs_record
from gwlocal.local.cli import options_from_args
from gwlocal.local.runner import LocalOptions, LocalRun
from gwlocal.local.sqs import to_lambda_record

README = Path(__file__).resolve().parents[2] / "README.md"

# LocalRun.run writes os.environ itself (GRAPHWORKER_DEADLINE_MARGIN_S; the IAM run's test credentials),
# and moto's servers in one process share their queues: put both back after each test.
pytestmark = pytest.mark.usefixtures("environ_restored", "moto_state_reset")

REPORT_KEYS = {"messages_sent", "committed", "failed", "in_dlq", "duplicates_absorbed", "vertices", "edges",
               "gremlin_requests", "latency_ms", "graph_check"}


def run(tmp_path: Path, **overrides) -> dict:
    overrides.setdefault("dashboard_pngs", False)  # PNGs cost seconds; one test draws them
    overrides.setdefault("rate", 0)
    overrides.setdefault("visibility_timeout_s", 1)
    overrides.setdefault("max_receive_count", 2)
    overrides.setdefault("max_duration_s", 90)
    options = LocalOptions(output=tmp_path / "out", report_json=tmp_path / "report.json", progress=False,
                           **overrides)
    return __import__("asyncio").run(LocalRun(options).run())


def test_default_run_is_green_and_writes_every_output(tmp_path):
    report = run(tmp_path, messages=60, poison_rate=0.1, duplicate_rate=0.1, seed=3, dashboard_pngs=True)
    assert report["ok"], report
    assert Path(report["dashboard"]["html"]).is_file() and report["dashboard"]["pngs"] > 10
    assert REPORT_KEYS <= set(report)
    assert set(report["latency_ms"]) == {"p50", "p95", "p99"}
    assert set(report["graph_check"]) >= {"expected", "found", "missing", "unexpected"}
    assert report["graph_check"]["missing"] == report["graph_check"]["unexpected"] == 0
    assert report["poison_sent"] > 0 and report["poison_in_dlq"] == report["poison_sent"]
    assert report["committed"] == report["valid_messages"] and report["lost"] == 0
    assert report["duplicates_absorbed"] == report["duplicates_sent"] > 0
    assert json.loads((tmp_path / "report.json").read_text()) == json.loads(json.dumps(report))
    out = tmp_path / "out"
    for name in ("metrics.emf.jsonl", "spans.jsonl", "endpoint-stats.jsonl", "sqs-stats.jsonl", "handler.log",
                 "report.json"):
        assert (out / name).stat().st_size > 0, name
    emf = [json.loads(line) for line in (out / "metrics.emf.jsonl").read_text().splitlines()]
    assert any("MessagesSucceeded" in blob for blob in emf)
    spans = [json.loads(line) for line in (out / "spans.jsonl").read_text().splitlines()]
    assert {"local-transactions", "graphworker-transactions process"} <= {s["name"] for s in spans}
    for name in ("gremlin-server.log", "sqs-server.log"):
        assert (out / name).exists(), name
    # Poison messages were logged with their message id as correlation id.
    logged = [json.loads(line) for line in (out / "handler.log").read_text().splitlines()]
    assert any(entry.get("correlation_id") and entry.get("reason_kind") == "invalid_message" for entry in logged)


def test_iam_run_signs_every_connection(tmp_path, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)
    report = run(tmp_path, messages=30, iam=True, handler="identity", seed=2)
    assert report["ok"], report
    assert report["sigv4_signing_ms"]["p50"] > 0
    assert report["errors_by_code"] == {}
    assert "AWS_ACCESS_KEY_ID" not in os.environ  # the run's test credentials were for the run only


def test_chaos_with_iam_is_green(tmp_path, monkeypatch):
    """Issue 9, item 7: the chaos set-up once reset the endpoint's settings, dropping the run's
    IAM credential, and the final graph check died with a 403. Sent for 5 s at 25/s, so writes
    span the chaos failover at 4 s and every connection is signed again on reconnecting."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)
    report = run(tmp_path, messages=125, rate=25, chaos=True, iam=True, seed=9, concurrency=2)
    assert report["ok"], report
    assert report["graph_check"]["ok"] and report["graph_check"]["found"] > 0
    assert report["endpoint"]["connections"]["auth_failures"] == 0
    assert report["endpoint"]["failovers"] >= 1 and report["reconnects"] > 0
    assert report["sigv4_signing_ms"]["p50"] > 0


def test_moto_remains_selectable(tmp_path):
    report = run(tmp_path, messages=30, sqs="moto", seed=8)
    assert report["ok"], report
    assert report["sqs"] == "moto" and report["poison_in_dlq"] == report["poison_sent"]


def test_short_soak_in_a_fresh_process_is_green_with_every_soak_figure(tmp_path):
    """``--soak N``: the soak preset (chaos, as fast as SQS takes them), a few thousand messages,
    run as the command runs: in a fresh interpreter, so the memory criterion meets the process's
    start-up (first imports, first execution contexts, the redelivery backoff's first SQS client
    at the first back-pressure failure, in whichever wave the chaos brings it) and must not read it
    as a leak (see ``runner.rss_figures``; the rule itself is pinned in test_soak_memory.py)."""
    argv = ["local", "--soak", "2500", "--seed", "11", "--no-progress", "--no-dashboard",
            "--output", str(tmp_path / "out"), "--report-json", str(tmp_path / "report.json")]
    options = options_from_args(build_parser().parse_args(argv))
    assert (options.messages, options.chaos, options.rate, options.concurrency, options.waves) == (
        2500, True, 0.0, 2, 10)
    assert options.max_rss_growth_pct == 10
    # Below the test's own time limit (pyproject), so a slow run fails with its output.
    proc = subprocess.run([sys.executable, "-m", "gwlocal.cli", *argv], capture_output=True, text=True, timeout=110)
    assert proc.returncode == 0, (proc.stdout[-4000:], proc.stderr[-4000:])
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["ok"], report
    # GREEN, criterion by criterion.
    assert report["lost"] == 0 and report["committed"] == report["valid_messages"]
    assert report["graph_check"]["ok"] and report["graph_check"]["duplicates"] == 0
    assert report["poison_sent"] > 0 and report["poison_in_dlq"] == report["poison_sent"] == report["in_dlq"]
    assert report["valid_in_dlq"] == 0
    assert report["open_connections_at_end"] == 0
    rss = report["handler_rss_mb"]
    assert 0 < rss["final"] <= rss["peak"] and rss["growth_pct"] < 10
    assert rss["baseline_from"] == "wave_1" and len(rss["wave_levels"]) == 10
    assert rss["baseline"] == rss["wave_levels"][0] > 0
    assert "handler memory (RSS MB)" in proc.stdout and "from wave 1's level" in proc.stdout
    # Every fault of --chaos happened, and the soak figures are there.
    assert report["conflicts"] > 0 and report["errors_by_code"].get("ThrottlingException", 0) > 0
    assert report["endpoint"]["dropped_responses"] > 0 and report["endpoint"]["failovers"] >= 1
    assert report["endpoint"]["connections"]["idle_closes"] > 0  # in the lulls between the waves
    assert report["duplicates_absorbed"] == report["duplicates_sent"] > 0
    assert len(report["throughput_over_time"]) == 10 and report["throughput_msg_s"] > 0
    assert report["max_message_age_s"] > 0 and set(report["cpu_ms_per_message"]) == {
        "handler", "gremlin_endpoint", "sqs"}
    samples = [json.loads(line) for line in (tmp_path / "out" / "sqs-stats.jsonl").read_text().splitlines()]
    assert samples[-1]["committed"] == report["committed"] and all("handler_rss_mb" in s for s in samples)


def test_every_documented_report_key_is_reported(tmp_path):
    section = README.read_text().split("`report.json` / `--report-json` keys (stable):", 1)[1].split("\n\n", 2)[1]
    documented = {key for row in section.splitlines()[2:] for key in re.findall(r"`([a-z0-9_]+)`", row.split("|")[1])}
    report = run(tmp_path, messages=20, seed=12, dashboard=False)
    nested = {k for v in report.values() if isinstance(v, dict) for k in v}
    assert documented - set(report) - nested == set()
    assert {"messages_sent", "graph_check", "handler_rss_mb", "open_connections_at_end"} <= documented


def test_ctrl_c_stops_the_run_and_its_servers(tmp_path):
    # SIGINT's default disposition in the child: a test run started in the background by a shell
    # without job control inherits SIGINT ignored, and Python keeps it ignored (Ctrl-C would do nothing).
    proc = subprocess.Popen([sys.executable, "-m", "gwlocal.cli", "local", "--messages", "100000", "--rate", "50",
                             "--no-dashboard", "--output", str(tmp_path / "out")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the first progress line: the servers are up
        assert first.startswith("["), first
        children = [int(pid) for task in Path(f"/proc/{proc.pid}/task").iterdir()
                    for pid in (task / "children").read_text().split()]
        assert len(children) == 2  # the Gremlin endpoint and fauxqs
        watches = [os.pidfd_open(pid) for pid in children]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
        assert proc.stderr is not None and "interrupted" in proc.stderr.read()
        for watch in watches:
            ready, _, _ = select.select([watch], [], [], 10.0)
            assert ready, "a local server outlived the interrupted run"
            os.close(watch)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_readme_and_ci_install_the_local_sqs():
    first_command = re.search(r"```bash\n(.*?)\n", README.read_text()).group(1)  # type: ignore[union-attr]
    ci = (README.parent / ".ci" / "run").read_text()
    for text in (first_command, ci):
        assert "npm ci --prefix gwlocal/local/fauxqs" in text


def test_fifo_run(tmp_path):
    """Checked on what SQS and the graph hold afterwards, not on the runner's own ``ok``: the queue is
    left empty, the DLQ holds the poison messages and nothing else, and the graph (read here, from an
    endpoint this test owns) holds exactly the valid messages' elements with their values."""
    import asyncio

    from gwlocal.gremlin_server.thread import EndpointThread
    from gwlocal.local.loadgen import generate
    from handlers.transactions import worker

    sent = generate("transactions", 40, seed=4, poison_rate=LocalOptions.poison_rate,
                    duplicate_rate=LocalOptions.duplicate_rate)
    poison = [m for m in sent if m.kind == "poison"]
    expected_vertices: dict[str, set[tuple[str, tuple]]] = {}
    expected_edges: set[tuple[str, str, str]] = set()
    for message in sent:
        if message.kind == "poison":
            continue
        for u in asyncio.run(worker.map_body(message.body)):
            if isinstance(u, Edge):
                expected_edges.add((u.label, u.from_id, u.to_id))
            else:
                expected_vertices.setdefault(u.id, set()).add(
                    (u.label, _values({k: [v] for k, v in u.props.items()})))
    with EndpointThread(seed=4) as ep:
        report = run(tmp_path, messages=40, fifo=True, seed=4, gremlin_endpoint=ep.url)
        vertices, edges = ep.call(lambda e: (
            {v.id: (v.label, _values({k: [vp.value for vp in vps] for k, vps in v.properties.items()
                                      if not k.startswith("gw:")}))
             for v in e.store.vertices()},
            {(x.label, x.out_v.id, x.in_v.id) for x in e.store.edges()}))
    assert report["left_in_queue"] == 0  # read from SQS at the end of the run
    assert report["poison_in_dlq"] == len(poison) > 0 and report["valid_in_dlq"] == 0  # the DLQ, drained
    assert edges == expected_edges
    assert set(vertices) == set(expected_vertices)
    assert {vid: vertices[vid] for vid, c in expected_vertices.items() if vertices[vid] not in c} == {}


def _values(props: dict[str, list]) -> tuple:
    """Property values as Neptune keeps them: datetimes in UTC without a zone (Gremlin dates have none)."""
    def stored(value):
        return value.astimezone(dt.UTC).replace(tzinfo=None) if isinstance(value, dt.datetime) and value.tzinfo \
            else value
    return tuple(sorted((k, tuple(map(stored, values))) for k, values in props.items()))


def test_from_file(tmp_path):
    lines = [json.dumps({"user_id": f"u{i}", "observed_at": "2026-11-01T00:00:00Z", "email": "x@example.com"})
             for i in range(5)] + ["not json"]
    source = tmp_path / "messages.jsonl"
    source.write_text("\n".join(lines) + "\n")
    report = run(tmp_path, handler="identity", from_file=source)
    assert report["ok"], report
    assert (report["messages_sent"], report["committed"], report["in_dlq"]) == (6, 5, 1)
    assert report["vertices"] == 6  # five users and the one shared email


def test_lambda_record_shape_matches_lambdas():
    message = {
        "MessageId": "m-1", "ReceiptHandle": "rh", "Body": "{}", "MD5OfBody": "x",
        "Attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1", "AWSTraceHeader": "Root=1-a-b"},
        "MessageAttributes": {"traceparent": {"DataType": "String", "StringValue": "00-x"}},
    }
    record = to_lambda_record(message, queue_arn="arn:aws:sqs:us-east-1:000000000000:q", region="us-east-1")
    reference = sqs_record("{}", queue="q")
    assert set(record) == set(reference)
    assert record["messageAttributes"]["traceparent"]["stringValue"] == "00-x"
    assert record["eventSourceARN"].endswith(":q")


def test_help_documents_every_option():
    sub = build_parser()._subparsers._group_actions[0].choices["local"]
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert action.help and len(action.help) > 10, action.option_strings


def test_unknown_handler_is_refused(tmp_path):
    with pytest.raises(ValueError, match="--handler"):
        LocalRun(LocalOptions(handler="nope", output=tmp_path))


@pytest.fixture(scope="module")
def chaos_report(tmp_path_factory) -> dict:
    # Sent at 25 messages/s, writes go on past the chaos failover at 4 s: every execution context
    # then meets ReadOnlyViolation and reconnects, so the run has reconnects whatever the draws.
    return run(tmp_path_factory.mktemp("chaos"), messages=125, rate=25, chaos=True, seed=6, concurrency=3)


def test_chaos_run_loses_nothing(chaos_report):
    report = chaos_report
    assert report["ok"], report
    assert report["lost"] == 0 and report["poison_in_dlq"] == report["poison_sent"]
    assert report["graph_check"]["missing"] == report["graph_check"]["unexpected"] == 0  # nothing lost or doubled
    assert report["conflicts"] > 0 and report["reconnects"] > 0 and report["retries"] > 0


@pytest.mark.chromium
def test_chaos_run_dashboard_draws_in_chromium(chaos_report, tmp_path):
    from tests.dashboards.test_browser import _Dom, run_chromium

    url = Path(chaos_report["dashboard"]["html"]).resolve().as_uri()
    dumped = run_chromium(tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = _Dom()
    dom.feed(dumped.stdout)
    charts_with_series = {chart for chart, _ in dom.paths}
    for key in ("conflict-rate", "reconnects", "messages"):
        assert any(key in chart for chart in charts_with_series), (key, sorted(charts_with_series))
    lines = {chart for chart, attrs in dom.paths if float(attrs.get("data-length") or 0) > 0}
    assert any("messages" in chart for chart in lines)  # a multi-second series drew as a line
