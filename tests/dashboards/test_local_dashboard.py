"""``graphworker dashboard``: the CloudWatch dashboard's widgets drawn from a local run's files."""

from __future__ import annotations

import json
import re

import pytest

from dashboards import alarms as a
from dashboards.alarms import Thresholds
from dashboards.layout import widgets
from framework.telemetry.catalog import BY_NAME
from gwlocal.cli import main
from gwlocal.dashboard import render_dashboard
from gwlocal.dashboard.model import Timeline, apply_stat, build_dashboard
from gwlocal.dashboard.output import DashboardOutput
from gwlocal.dashboard.rundata import load_run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chart(output: DashboardOutput, title_prefix: str):
    return next(c for c in output.dashboard.charts() if c.title.startswith(title_prefix))


def result(output: DashboardOutput, alarm: a.AlarmDef | a.CompositeDef):
    return [r for r in output.dashboard.alarms if r.alarm is alarm]


def test_chaos_run_through_the_local_sqs_dead_letters_only_poison(chaos_report):
    # The run's queue and DLQ are the local SQS server's; these counts come from its DLQ.
    assert chaos_report["committed"] == chaos_report["messages_sent"] - chaos_report["poison_sent"]
    assert chaos_report["poison_in_dlq"] == chaos_report["poison_sent"] == chaos_report["in_dlq"] > 0
    assert chaos_report["valid_in_dlq"] == 0


def test_chaos_run_shows_conflicts_and_reconnects(rendered, chaos_report):
    assert chaos_report["errors_by_code"].get("ConcurrentModificationException", 0) > 0
    retries = chart(rendered, "Retries")
    assert any(s.label.startswith("ConcurrentModificationConflicts") and s.has_data for s in retries.series)
    assert any("ErrorClass=conflict" in s.label and s.has_data for s in retries.series)
    reconnects = chart(rendered, "Reconnects")
    assert any(s.label.startswith("GremlinReconnects Cause=") and s.has_data for s in reconnects.series)


def test_alarms_that_would_have_fired_are_marked(rendered, chaos_report):
    (conflicts,) = result(rendered, a.CONFLICT_RATE)
    assert conflicts.name == "identity-graph: Conflict rate" and conflicts.fired
    assert conflicts.peak is not None and conflicts.peak > a.CONFLICT_RATE.default
    assert result(rendered, a.DATABASE_UNDER_PRESSURE)[0].fired
    (dlq,) = result(rendered, a.DLQ_NOT_EMPTY)
    assert dlq.fired == (chaos_report["in_dlq"] > 0) and dlq.peak == chaos_report["in_dlq"]
    (age,) = result(rendered, a.OLDEST_MESSAGE_AGE)
    assert age.has_data and not age.fired  # a one-second run has no 5-minute-old message
    (throttles,) = result(rendered, a.LAMBDA_THROTTLES)
    assert not throttles.has_data and "no local equivalent" in throttles.note
    rate = chart(rendered, "Conflict rate")
    assert rate.fired and rate.thresholds[0].value == a.CONFLICT_RATE.default


def test_same_widgets_as_cloudwatch_and_every_local_stand_in_has_data(rendered):
    charts = rendered.dashboard.charts()
    assert [c.title for c in charts] == [w.title for w in widgets()]
    empty = {c.title for c in charts if not any(s.has_data for s in c.series)}
    # No SigV4 signing without IAM; no CPU metric on the local endpoint; whether a request fails
    # for good (retries exhausted) depends on timing.
    assert {"SigV4 signing time, cold vs warm (by ColdStart)", "Neptune CPU"} <= empty
    assert empty <= {"SigV4 signing time, cold vs warm (by ColdStart)", "Neptune CPU",
                     "Requests failed for good (by ErrorClass)",
                     "Delivery order: stale writes skipped, deletes, late deletes (by Kind)",
                     # a short chaos run rarely opens the breaker; its messages are not backed off
                     "Circuit breaker: transitions (by State) and requests not sent",
                     "Redelivery backoff: delays set (s) and failed calls"}
    concurrency = chart(rendered, "Lambda concurrency")
    peak = max(v for s in concurrency.series if "ConcurrentExecutions" in s.label for v in s.values if v is not None)
    assert peak == 3  # three execution contexts worked at once


def test_html_is_self_contained(rendered):
    page = rendered.html.read_text()
    assert page.count('<svg class="chart"') == len(widgets())
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page, re.I)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert re.search(r'<line class="threshold"[^>]*data-value="5"', page)
    assert "would have fired" in page


def test_pngs_one_per_chart(rendered):
    assert len(rendered.pngs) == len(widgets())
    for path in rendered.pngs:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000, path
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == (640, 340)
    summary = json.loads(rendered.summary.read_text())
    assert any(x["fired"] for x in summary["alarms"])


def test_cli_writes_the_page_and_prints_its_path(chaos_dir, tmp_path, capsys):
    assert main(["dashboard", str(chaos_dir), "--out", str(tmp_path), "--no-png"]) == 0
    out = capsys.readouterr().out
    assert f"dashboard: {tmp_path / 'index.html'}" in out and "would have fired" in out
    assert (tmp_path / "index.html").exists() and not (tmp_path / "png").exists()


def test_cli_threshold_override_changes_what_fires(chaos_dir, tmp_path, capsys):
    assert main(["dashboard", str(chaos_dir), "--out", str(tmp_path), "--no-png",
                 "--threshold", "ConflictRateAlarmPercent=100"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    conflict = next(x for x in summary["alarms"] if x["name"].endswith("Conflict rate"))
    assert conflict["threshold"] == 100 and not conflict["fired"]
    with pytest.raises(SystemExit, match="unknown alarm threshold"):
        main(["dashboard", str(chaos_dir), "--out", str(tmp_path), "--no-png", "--threshold", "Nope=1"])


def test_a_broken_run_folder_still_renders_with_warnings(chaos_dir, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    lines = (chaos_dir / "metrics.emf.jsonl").read_text().splitlines()
    (run / "metrics.emf.jsonl").write_text("\n".join(lines) + "\n" + lines[-1][:40])  # killed mid-line
    (run / "sqs-stats.jsonl").write_text('{"t": 1, "queue_visible": 1}\n[1, 2]\n')
    output = render_dashboard(run, pngs=False)
    warnings = output.dashboard.run.warnings
    assert any("metrics.emf.jsonl" in w and "not JSON" in w for w in warnings)
    assert any("spans.jsonl: missing" in w for w in warnings) and any("report.json: missing" in w for w in warnings)
    assert "Input warnings" in output.html.read_text()
    assert chart(output, "Retries").series


# ---------------------------------------------------------------------------------------- units
def test_timeline_buckets():
    tl = Timeline.for_range(100.0, 130.0)
    assert (tl.bucket_s, tl.count) == (1, 30)
    assert tl.index(100.0) == 0 and tl.index(129.99) == 29 and tl.index(130.0) == 29
    assert tl.bucketed([(100.2, 1), (100.7, 3), (102.5, 5)], "Sum")[:3] == [4, None, 5]
    assert Timeline.for_range(0, 0.6).bucket_s == 0.05


def test_statistics():
    values = [float(v) for v in range(1, 101)]
    assert apply_stat(values, "p50") == 50 and apply_stat(values, "p99") == 99
    assert apply_stat(values, "SampleCount") == 100 and apply_stat(values, "Average") == 50.5
    assert apply_stat([7.0], "p99") == 7


def _emf(t: float, name: str, values: list[float], **dims: str) -> str:
    """An EMF line as MetricsSink writes it (a rollup metric also under ``service`` alone)."""
    rollup = [["service"]] if dims and BY_NAME[name].rollup else []
    directive = {"Namespace": "graphworker", "Dimensions": [["service", *dims], *rollup],
                 "Metrics": [{"Name": name, "Unit": "Count"}]}
    return json.dumps({"_aws": {"Timestamp": int(t * 1000), "CloudWatchMetrics": [directive]},
                       "service": "svc", **dims, name: values})


def test_alarm_fires_only_after_m_of_n_breaching_periods(tmp_path):
    """Conflict rate 50% in buckets 2, 3 and 5 of 10: the 3-of-5 rule is met at bucket 5."""
    lines = []
    for second in range(10):
        t = 1000 + second + 0.5
        lines.append(_emf(t, "GremlinRequestLatency", [1.0] * 4, Outcome="ok"))
        if second in (2, 3, 5):
            lines.append(_emf(t, "ConcurrentModificationConflicts", [1.0, 1.0]))
            lines.append(_emf(t, "GremlinRequestLatency", [1.0] * 4, Outcome="error"))
    (tmp_path / "metrics.emf.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "sqs-stats.jsonl").write_text(json.dumps({"t": 1000.0, "queue_visible": 0}) + "\n" +
                                              json.dumps({"t": 1030.0, "queue_visible": 0}) + "\n")
    dashboard = build_dashboard(load_run(tmp_path))
    assert dashboard.timeline.bucket_s == 1
    (conflicts,) = [r for r in dashboard.alarms if r.alarm is a.CONFLICT_RATE]
    assert conflicts.values[:6] == [0.0, 0.0, 25.0, 25.0, 0.0, 25.0]
    assert conflicts.intervals == [(5.0, 7.0)]  # 3 breaching of the 5 buckets ending at 5 and at 6
    relaxed = build_dashboard(load_run(tmp_path), Thresholds().with_overrides({"ConflictRateAlarmPercent": 30}))
    assert not next(r for r in relaxed.alarms if r.alarm is a.CONFLICT_RATE).fired
