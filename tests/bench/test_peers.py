"""``bench/peers.py`` in a tiny configuration: it runs end to end, and its graph check can fail.

Real processes throughout: the endpoint is ``graphworker gremlin-server`` on a free port, every
contender its own Python process over real sockets. No timing is asserted (benchmarks print
numbers; tests prove the machinery).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--regime", "2:1:40", "--batch-size", "10", "--seed", "5"]


@pytest.fixture(scope="module")
def peers() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("peers_bench", ROOT / "bench" / "peers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["peers_bench"] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("peers_bench", None)


def as_read_back(expected: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The expected graph in the shape ``read_graph`` returns (naive UTC datetimes, vertex values in lists)."""
    def wire(value: Any) -> Any:
        return value.astimezone(dt.UTC).replace(tzinfo=None) if isinstance(value, dt.datetime) else value

    vertices = [{"id": vid, "label": label, "props": {k: [wire(v)] for k, v in props.items()}}
                for vid, (label, props) in expected.vertices.items()]
    edges = [{"id": eid, "label": label, "out": out_id, "in": in_id, "props": {k: wire(v) for k, v in props.items()}}
             for eid, (label, out_id, in_id, props) in expected.edges.items()]
    return vertices, edges


def test_the_workload_is_seeded_and_covers_every_value_type(peers: ModuleType) -> None:
    first = peers.build_workload(3, 50, 10)
    assert first == peers.build_workload(3, 50, 10)
    assert first != peers.build_workload(4, 50, 10)
    assert [len(b) for b in first] == [10] * 5
    expected = peers.expected_graph(first)
    values = [v for _, props in expected.vertices.values() for v in props.values()]
    values += [v for *_, props in expected.edges.values() for v in props.values()]
    kinds = {type(v) for v in values}
    assert kinds == {str, bool, int, float, dt.datetime}
    assert any(isinstance(v, int) and not isinstance(v, bool) and v >= 2**31 for v in values)
    assert any(isinstance(v, str) and not v.isascii() for v in values)
    # merchants repeat within a batch (so updates and coalescing are exercised), never across batches
    merchants = [vid for vid in expected.vertices if vid.startswith("merch-")]
    assert len(merchants) < 50
    assert {m.split("-")[1] for m in merchants} == {f"{b:05d}" for b in range(5)}


def test_the_graph_check_compares_values(peers: ModuleType) -> None:
    expected = peers.expected_graph(peers.build_workload(1, 20, 10))
    vertices, edges = as_read_back(expected)
    assert peers.check_graph(expected, vertices, edges) == []

    merchant = next(v for v in vertices if v["id"].startswith("merch-"))
    account = next(v for v in vertices if v["id"].startswith("acct-"))
    breakages: list[tuple[str, Any]] = [
        ("two values", lambda: merchant["props"]["risk"].append(0.123)),
        ("int for float", lambda: account["props"].__setitem__("balance", [int(account["props"]["balance"][0])])),
        ("int for bool", lambda: account["props"].__setitem__("active", [int(account["props"]["active"][0])])),
        ("a millisecond off", lambda: merchant["props"].__setitem__(
            "last_seen", [merchant["props"]["last_seen"][0] + dt.timedelta(milliseconds=1)])),
        ("missing property", lambda: account["props"].pop("score")),
        ("extra property", lambda: account["props"].__setitem__("extra", ["x"])),
        ("wrong label", lambda: account.__setitem__("label", "Merchant")),
        ("missing vertex", lambda: vertices.remove(merchant)),
        ("unexpected edge", lambda: edges.append({**edges[0], "id": "pay-x"})),
        ("swapped endpoints", lambda: edges[0].update({"out": edges[0]["in"], "in": edges[0]["out"]})),
        ("edge value", lambda: edges[1]["props"].__setitem__("currency", "XXX")),
    ]
    for what, breakage in breakages:
        vertices, edges = as_read_back(expected)
        merchant = next(v for v in vertices if v["id"].startswith("merch-"))
        account = next(v for v in vertices if v["id"].startswith("acct-"))
        breakage()
        assert peers.check_graph(expected, vertices, edges), what


def test_the_benchmark_runs_every_contender_and_checks_the_graph(peers: ModuleType, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "peers.json"
    assert peers.main([*TINY, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 execution contexts, 1 ms per request, 40 messages in SQS batches of 10" in printed
    (regime,) = json.loads(out.read_text())
    rows = {row["contender"]: row for row in regime["rows"]}
    assert set(rows) == set(peers.CONTENDERS)
    for row in rows.values():
        assert row["problems"] == [] and row["failed_messages"] == 0, row
        assert row["cpu_us_per_msg"] > 0 and row["msgs_per_s"] > 0
    assert rows["blog"]["requests"] == rows["connect-per-invocation"]["requests"] == 40  # one per message
    assert rows["batched"]["requests"] == 2 * 4  # vertices, then edges, per batch


def test_a_broken_contender_fails_the_graph_check(peers: ModuleType) -> None:
    regime = peers.Regime(2, 1.0, 40)
    specs = [peers.ContenderSpec("batched", "hand-written batched"),
             peers.ContenderSpec("broken", "broken: set cardinality", ROOT / "tests" / "bench" / "broken_contender.py")]
    endpoint = peers.EndpointProcess(workers=8)
    try:
        rows = peers.run_regime(regime, specs, endpoint=endpoint, batch_size=10, seed=5)
    finally:
        endpoint.stop()
    good, broken = rows
    assert good.ok and good.problems == []
    # every request succeeded: only the value check sees the merchants holding several values
    assert broken.failed_messages == 0 and not broken.ok
    assert any(p.startswith("vertex 'merch-") and "expected [" in p for p in broken.problems), broken.problems
    assert "FAILED" in peers.format_table(regime, rows, 10)
