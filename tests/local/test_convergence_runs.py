"""``graphworker local`` proves convergence and honesty: out-of-order histories end GREEN only when
the graph holds the newest state, values included; a worker that lies about commits is caught."""

from __future__ import annotations

import json

import pytest

from .test_local_run import run


def test_out_of_order_identity_histories_converge(tmp_path):
    report = run(tmp_path, handler="identity", out_of_order=True, messages=240, seed=4, dashboard=False)
    check = report["graph_check"]
    assert report["ok"], report
    assert check["value_mismatches"] == 0 and check["values_checked"] > 300
    assert check["ambiguous_properties"] == 0  # every value in the example is order-safe


def test_out_of_order_transaction_lifecycles_converge(tmp_path):
    report = run(tmp_path, handler="transactions", out_of_order=True, messages=240, seed=5, dashboard=False)
    assert report["ok"], report
    assert report["graph_check"]["value_mismatches"] == 0 and report["graph_check"]["values_checked"] > 200


def test_a_worker_reporting_failed_writes_as_committed_fails_the_run(tmp_path):
    lines = tmp_path / "load.jsonl"
    lines.write_text("\n".join(json.dumps({"i": i}) for i in range(1, 31)))
    report = run(tmp_path, handler="tests.local.lying_handler", from_file=lines, dashboard=False)
    assert not report["ok"]
    assert report["lost"] == 0  # every message was reported committed...
    check = report["graph_check"]
    assert not check["ok"] and check["missing"] == 6  # ...but six edges to "ghost" were never written
    assert all(sample[3] == f"a{sample[3][1:]}" for sample in check["missing_sample"])


@pytest.mark.parametrize("mode", ["throttle", "down"])
def test_an_outage_sends_no_valid_message_to_the_dlq(tmp_path, mode):
    # Local defaults otherwise (visibility 2 s, maxReceiveCount 5): the redelivery backoff, not a
    # longer timeout, keeps the valid messages out of the DLQ while the database is away.
    report = run(tmp_path, scenario="outage", outage_mode=mode, scenario_start_s=1.0, scenario_duration_s=6.0,
                 messages=200, rate=50, seed=2, dashboard=False, visibility_timeout_s=2, max_receive_count=5)
    assert report["ok"], report
    assert report["valid_in_dlq"] == 0 and report["lost"] == 0 and report["poison_in_dlq"] == report["poison_sent"]
    assert report["redelivery_delays"] > 0  # the outage did fail messages, and they were delayed
    reasons = report["failed_by_reason"]
    assert reasons.get("circuit_open", 0) + reasons.get("database_busy", 0) + reasons.get(
        "database_unavailable", 0) > 0
    assert report["breaker_transitions"].get("open", 0) >= 1 and report["breaker_transitions"].get("closed", 0) >= 1
    assert report["scenario"]["name"] == "outage" and report["scenario"]["ended_s"] is not None


def test_an_overload_lowers_the_in_flight_limit_and_loses_nothing(tmp_path):
    report = run(tmp_path, scenario="overload", scenario_start_s=1.0, scenario_duration_s=6.0, messages=900,
                 rate=150, seed=3, dashboard=False, visibility_timeout_s=2, max_receive_count=5)
    assert report["ok"], report
    limit = report["in_flight_limit"]
    assert limit["min"] < limit["max"]  # it came down while the database was slow, and back up
    assert report["retry_amplification"] >= 1.0
