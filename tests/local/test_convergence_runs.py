"""``graphworker local`` proves convergence and honesty: out-of-order histories end GREEN only when
the graph holds the newest state, values included; a worker that lies about commits is caught."""

from __future__ import annotations

import json

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
