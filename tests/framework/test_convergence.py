"""Order-safe writes: versions, merge rules, deletes and tombstones, through the real worker.

Every scenario writes through ``GraphWorker.process`` to the local endpoint over a real socket
and then compares what the graph holds, values included.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from framework.merge_rules import AddToSet, KeepMax, KeepMin
from framework.upserts import DeleteEdge, DeleteVertex, Edge, Vertex, edge_id
from framework.versions import BORN_KEY, TOMBSTONE_LABEL, VERSION_KEY, tombstone_id, version_number
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

UTC = dt.UTC


def op_to_write(op: dict[str, Any]) -> Any:
    """Test messages are JSON descriptions of writes."""
    version = op.get("v")
    if isinstance(version, str):
        version = dt.datetime.fromisoformat(version)
    props: dict[str, Any] = dict(op.get("props", {}))
    for key, rule in op.get("merge", {}).items():
        kind, value = rule
        props[key] = {"max": KeepMax, "min": KeepMin}[kind](value) if kind != "set" else AddToSet(*value)
    kind = op["op"]
    if kind == "v":
        return Vertex(op["id"], op.get("label", "U"), props, version=version)
    if kind == "e":
        return Edge(op.get("label", "L"), op["from"], op["to"], props, version=version)
    if kind == "dv":
        return DeleteVertex(op["id"], version=version)
    return DeleteEdge(op.get("label", "L"), op["from"], op["to"], version=version)


@pytest.fixture
def worker(endpoint, captured, client_factory) -> GraphWorker:
    w = GraphWorker(service="convergence", config=WorkerConfig(deadline_margin_s=1.0),
                    telemetry=captured.telemetry, client=client_factory())

    @w.upserts()
    def to_graph(ops: list[dict[str, Any]]):
        return [op_to_write(op) for op in ops]

    return w


async def send(worker: GraphWorker, *messages: list[dict[str, Any]]) -> set[str]:
    records = [sqs_record(json.dumps(ops), message_id=f"m{i}") for i, ops in enumerate(messages)]
    response = await worker.process(sqs_event(records), LocalLambdaContext(timeout_s=10))
    return {f["itemIdentifier"] for f in response["batchItemFailures"]}


def props(endpoint, vertex_id: str) -> dict[str, Any] | None:
    vertex = endpoint.store.vertex(vertex_id)
    if vertex is None:
        return None
    out: dict[str, Any] = {}
    for key, values in vertex.properties.items():
        if key.startswith("gw:") and key != VERSION_KEY:
            continue  # graphworker's bookkeeping (gw:born, gw:v:<key>); the version is checked
        got = [vp.value for vp in values]
        out[key] = got[0] if len(got) == 1 and key != "tags" else sorted(got)
    return out


def v(id_: str, version: Any, **values: Any) -> dict[str, Any]:
    return {"op": "v", "id": id_, "v": version, "props": values}


async def test_newest_version_wins_in_any_order(endpoint, worker, captured):
    for version in (5, 3, 7, 6, 7):
        assert await send(worker, [v("a", version, name=f"n{version}")]) == set()
    assert props(endpoint, "a") == {"name": "n7", VERSION_KEY: 7}
    assert captured.count("StaleWritesSkipped", Kind="vertex") == 2  # 3 and 6 were older
    assert captured.count("UpsertsWritten", Kind="vertex") == 3  # the second 7 is an idempotent no-op


async def test_an_equal_version_is_an_idempotent_no_op(endpoint, worker):
    await send(worker, [v("a", 4, name="first")])
    await send(worker, [v("a", 4, name="other content, same version")])
    assert props(endpoint, "a")["name"] == "first"


async def test_plain_properties_follow_the_version_of_their_newest_writer(endpoint, worker):
    await send(worker, [v("a", 6, a=0, b=9, c=1)])
    # One batch: version 5 sets a and b, version 7 sets a. Applied one by one, 5 is stale and 7
    # sets a; coalesced, b must not be taken from version 5.
    assert await send(worker, [v("a", 5, a=1, b=2)], [v("a", 7, a=3)]) == set()
    assert props(endpoint, "a") == {"a": 3, "b": 9, "c": 1, VERSION_KEY: 7}


async def test_each_property_is_newest_wins_on_its_own(endpoint, worker):
    """A partial update that arrives late still sets the properties no newer write set."""
    await send(worker, [v("a", 6, q=6)])  # newest, but only q
    assert await send(worker, [v("a", 5, p="p5", q=5)]) == set()  # older: p lands, q does not
    assert props(endpoint, "a") == {"p": "p5", "q": 6, VERSION_KEY: 6}
    await send(worker, [v("a", 4, p="p4")], [v("a", 7, p="p7")], [v("a", 3, q=3)])
    assert props(endpoint, "a") == {"p": "p7", "q": 6, VERSION_KEY: 7}


async def test_datetime_versions_compare_to_the_microsecond(endpoint, worker):
    early = "2026-11-26T10:00:00.000001+00:00"
    late = "2026-11-26T11:00:00.000002+01:00"  # 10:00:00.000002 UTC: one microsecond later
    await send(worker, [v("a", late, name="late")], [v("a", early, name="early")])
    assert props(endpoint, "a") == {
        "name": "late", VERSION_KEY: version_number(dt.datetime.fromisoformat(late))}
    await send(worker, [v("a", early, name="early")])
    assert props(endpoint, "a")["name"] == "late"


async def test_merge_rules_converge_in_any_order(endpoint, worker):
    writes = [{"op": "v", "id": "u", "merge": {"last": ["max", n], "first": ["min", n], "tags": ["set", [f"t{n}"]]}}
              for n in (4, 9, 1, 9, 6)]
    for write in writes:
        await send(worker, [write])
    await send(worker, *[[w] for w in writes])  # redelivered, all in one batch
    assert props(endpoint, "u") == {"last": 9, "first": 1, "tags": ["t1", "t4", "t6", "t9"]}


async def test_versioned_delete_leaves_a_tombstone_that_stops_older_upserts(endpoint, worker, captured):
    await send(worker, [v("a", 5, name="five")])
    assert await send(worker, [{"op": "dv", "id": "a", "v": 6}]) == set()
    assert props(endpoint, "a") is None
    tomb = endpoint.store.vertex(tombstone_id("v", "a"))
    assert tomb is not None and tomb.label == TOMBSTONE_LABEL
    assert [vp.value for vp in tomb.properties[VERSION_KEY]] == [6]
    assert await send(worker, [v("a", 4, name="four")]) == set()  # older: stays deleted
    assert props(endpoint, "a") is None
    assert await send(worker, [v("a", 6, name="six")]) == set()  # a delete wins a tie
    assert props(endpoint, "a") is None
    assert await send(worker, [v("a", 8, name="eight")]) == set()  # newer: recreated
    assert props(endpoint, "a") == {"name": "eight", VERSION_KEY: 8}
    assert captured.count("ElementsDeleted", Kind="vertex") == 1
    assert captured.count("StaleWritesSkipped", Kind="vertex") == 2


async def test_a_delete_older_than_the_element_is_skipped(endpoint, worker, captured):
    await send(worker, [v("a", 9, name="nine")])
    assert await send(worker, [{"op": "dv", "id": "a", "v": 3}]) == set()
    assert props(endpoint, "a") == {"name": "nine", VERSION_KEY: 9}
    assert captured.count("StaleWritesSkipped", Kind="vertex") == 1


async def test_deleting_what_is_absent_succeeds_and_is_idempotent(endpoint, worker):
    assert await send(worker, [{"op": "dv", "id": "ghost"}], [{"op": "de", "from": "x", "to": "y"}]) == set()
    assert await send(worker, [{"op": "dv", "id": "ghost", "v": 2}], [{"op": "dv", "id": "ghost", "v": 2}]) == set()
    assert props(endpoint, "ghost") is None


async def test_vertex_delete_removes_its_edges_and_stops_older_edge_writes(endpoint, worker):
    await send(worker, [v("a", 1), v("b", 1), {"op": "e", "from": "a", "to": "b", "v": 2, "props": {"w": 1}}])
    assert endpoint.store.edge_count() == 1
    await send(worker, [{"op": "dv", "id": "a", "v": 3}])
    assert endpoint.store.edge_count() == 0 and props(endpoint, "a") is None
    # A late copy of the edge write (version 2 < the endpoint's delete at 3) is stale, not a failure.
    assert await send(worker, [{"op": "e", "from": "a", "to": "b", "v": 2, "props": {"w": 1}}]) == set()
    assert endpoint.store.edge_count() == 0


async def test_edge_delete_and_recreate(endpoint, worker):
    await send(worker, [v("a", 1), v("b", 1)])
    edge = {"op": "e", "from": "a", "to": "b", "props": {"w": 1}}
    await send(worker, [{**edge, "v": 5}])
    await send(worker, [{"op": "de", "from": "a", "to": "b", "v": 6}])
    assert endpoint.store.edge(edge_id("L", "a", "b")) is None
    await send(worker, [{**edge, "v": 4}])
    assert endpoint.store.edge(edge_id("L", "a", "b")) is None
    await send(worker, [{**edge, "v": 7, "props": {"w": 7}}])
    assert endpoint.store.edge(edge_id("L", "a", "b")).properties == {"w": 7, VERSION_KEY: 7, BORN_KEY: 7,
                                                                     "gw:v:w": 7}


async def test_a_batch_with_delete_and_newer_upserts_recreates_from_scratch(endpoint, worker):
    await send(worker, [v("c", 3, old="x", name="c3")])
    assert await send(worker, [v("c", 4, name="c4")], [{"op": "dv", "id": "c", "v": 5}],
                      [v("c", 6, name="c6")]) == set()
    assert props(endpoint, "c") == {"name": "c6", VERSION_KEY: 6}  # "old" died with the delete


async def test_unversioned_writes_are_last_writer_wins(endpoint, worker):
    await send(worker, [v("a", 5, name="five")])
    await send(worker, [{"op": "v", "id": "a", "props": {"name": "plain"}}])
    assert props(endpoint, "a") == {"name": "plain", VERSION_KEY: 5}  # overwritten, version kept
    await send(worker, [{"op": "dv", "id": "a"}])
    assert props(endpoint, "a") is None
    assert endpoint.store.vertex(tombstone_id("v", "a")) is None  # no tombstone without a version
    await send(worker, [{"op": "dv", "id": "a"}], [{"op": "v", "id": "a", "props": {"name": "again"}}])
    assert props(endpoint, "a") == {"name": "again"}


@pytest.mark.parametrize(("write", "reason"), [
    ({"op": "v", "id": "a", "v": "2026-11-26T10:00:00"}, "timezone-aware"),
    ({"op": "v", "id": "a", "v": 2**70}, "64 bits"),
])
async def test_bad_versions_fail_only_their_message(endpoint, worker, captured, write, reason, caplog):
    failed = await send(worker, [write], [v("ok", 1, name="fine")])
    assert failed == {"m0"}
    assert props(endpoint, "ok") == {"name": "fine", VERSION_KEY: 1}
    logged = [r.__dict__.get("reason", "") for r in caplog.records if r.getMessage() == "message failed"]
    assert len(logged) == 1 and reason in logged[0]


async def test_a_version_of_the_wrong_type_fails_its_message(endpoint, captured, client_factory):
    w = GraphWorker(service="c", config=WorkerConfig(deadline_margin_s=1.0), telemetry=captured.telemetry,
                    client=client_factory())

    @w.upserts()
    def to_graph(msg: dict[str, Any]):
        return [Vertex(msg["id"], "U", version=msg["v"])]

    records = [sqs_record(json.dumps({"id": "a", "v": "7"}), message_id="str"),
               sqs_record(json.dumps({"id": "b", "v": True}), message_id="bool"),
               sqs_record(json.dumps({"id": "c", "v": 7.5}), message_id="float"),
               sqs_record(json.dumps({"id": "d", "v": 7}), message_id="ok")]
    response = await w.process(sqs_event(records), LocalLambdaContext(timeout_s=10))
    assert {f["itemIdentifier"] for f in response["batchItemFailures"]} == {"str", "bool", "float"}
    assert captured.count("MessagesFailed", Reason="invalid_upsert") == 3
    assert endpoint.store.vertex("d") is not None


async def test_mixed_version_kinds_for_one_element_fail_the_later_message(endpoint, worker, caplog):
    failed = await send(worker, [v("a", 5, name="int")], [v("a", "2026-11-26T10:00:00+00:00", name="dt")],
                        [v("b", 1)])
    assert failed == {"m1"}
    assert props(endpoint, "a")["name"] == "int"
    logged = [r.__dict__.get("reason", "") for r in caplog.records if r.getMessage() == "message failed"]
    assert "one kind of version per element" in logged[0]


async def test_mixed_merge_rules_for_one_property_fail_the_later_message(endpoint, worker):
    failed = await send(worker, [{"op": "v", "id": "a", "merge": {"seen": ["max", 3]}}],
                        [{"op": "v", "id": "a", "merge": {"seen": ["min", 1]}}],
                        [{"op": "v", "id": "a", "props": {"seen": 2}}])
    assert failed == {"m1", "m2"}
    assert props(endpoint, "a") == {"seen": 3}


def test_merge_rule_validation():
    with pytest.raises(Exception, match="only vertex properties"):
        Edge("L", "a", "b", {"tags": AddToSet("x")}).validate()
    with pytest.raises(Exception, match="timezone-aware"):
        Vertex("a", "U", {"seen": KeepMax(dt.datetime(2026, 1, 1))}).validate()
    with pytest.raises(Exception, match="reserved"):
        Vertex("gw:tombstone:v:x", "U").validate()
    with pytest.raises(Exception, match="reserved"):
        Vertex("a", "U", {"gw:version": 1}).validate()
    Vertex("a", "U", {"seen": KeepMax(dt.datetime(2026, 1, 1, tzinfo=UTC)), "tags": AddToSet("x", "y")},
           version=dt.datetime(2026, 1, 1, tzinfo=UTC)).validate()


async def test_a_late_vertex_delete_still_removes_the_edges_that_existed_before_it(endpoint, worker, captured,
                                                                                     caplog):
    # Version order: a@1, b@1, edge@2, delete a@5, a@6 (recreated), edge2@7 (to the new a).
    # Delivered: the recreation and the new edge first, the delete last.
    await send(worker, [v("a", 1, p="a1"), v("b", 1, p="b1")])
    await send(worker, [{"op": "e", "from": "a", "to": "b", "v": 2, "props": {"w": 2}}])
    await send(worker, [v("a", 6, p="a6")])
    await send(worker, [{"op": "e", "label": "NEW", "from": "b", "to": "a", "v": 7, "props": {"w": 7}}])
    assert await send(worker, [{"op": "dv", "id": "a", "v": 5}]) == set()
    assert endpoint.store.edge(edge_id("L", "a", "b")) is None  # it existed before the delete: gone
    assert endpoint.store.edge(edge_id("NEW", "b", "a")) is not None  # written after it: kept
    assert props(endpoint, "a") == {"p": "a6", VERSION_KEY: 6}  # full-state upserts stay exact
    # The vertex lived across the delete (born at 1): reported, not quiet.
    assert captured.count("LateDeletes", Kind="vertex") == 1
    assert any("arrived after newer upserts" in r.getMessage() for r in caplog.records)


async def test_a_delete_of_an_earlier_life_is_merely_stale(endpoint, worker, captured):
    await send(worker, [v("a", 1, p="a1")])
    await send(worker, [{"op": "dv", "id": "a", "v": 2}])
    await send(worker, [v("a", 3, p="a3")])  # born at 3, after the delete
    await send(worker, [{"op": "dv", "id": "a", "v": 2}])  # redelivered
    assert props(endpoint, "a") == {"p": "a3", VERSION_KEY: 3}
    assert captured.count("LateDeletes", Kind="vertex") == 0



async def test_a_life_that_a_batch_recreates_is_born_at_its_oldest_write_newer_than_the_delete(endpoint, worker,
                                                                                               captured):
    """One batch holding a write older than the delete (skipped) and one newer (recreates the element):
    the new life starts at the newer one, so a delete between the two belongs to the old life."""
    await send(worker, [v("a", 1, p="a1")])
    await send(worker, [{"op": "dv", "id": "a", "v": 4}])
    await send(worker, [v("a", 2, p="a2"), v("a", 6, p="a6")])  # one batch: 2 is older than the delete
    assert props(endpoint, "a") == {"p": "a6", VERSION_KEY: 6}
    assert [p.value for p in endpoint.store.vertex("a").properties["gw:born"]] == [6]
    await send(worker, [{"op": "dv", "id": "a", "v": 5}])  # of the old life: stale, not late
    assert props(endpoint, "a") == {"p": "a6", VERSION_KEY: 6}
    assert captured.count("LateDeletes", Kind="vertex") == 0

async def test_64_bit_integers_round_trip(endpoint, worker, captured):
    values = {"big": 2**40, "max": 2**63 - 1, "min": -(2**63), "small": 7}
    assert await send(worker, [v("a", 2**62, **values)], [{"op": "v", "id": "b", "props": values}]) == set()
    assert props(endpoint, "a") == {**values, VERSION_KEY: 2**62}
    assert props(endpoint, "b") == values
    # Refused before anything is sent, as an invalid upsert (not a write the database refused).
    requests = endpoint.stats.requests_total
    failed = await send(worker, [v("c", 1, too_big=2**63)])
    assert failed == {"m0"} and props(endpoint, "c") is None
    assert endpoint.stats.requests_total == requests
    assert captured.count("MessagesFailed", Reason="invalid_upsert") == 1


async def test_a_batch_older_than_a_delete_lands_only_its_newer_writes(endpoint, worker):
    await send(worker, [v("a", 1, p="p1")])
    await send(worker, [{"op": "dv", "id": "a", "v": 5}])
    # One batch: p at version 3 belongs before the delete; q at version 7 recreates the vertex.
    assert await send(worker, [v("a", 3, p="p3")], [v("a", 7, q="q7")]) == set()
    assert props(endpoint, "a") == {"q": "q7", VERSION_KEY: 7}


async def test_a_delete_under_edges_of_the_next_life_keeps_an_empty_vertex(endpoint, worker):
    # Version order: a@1 {p, q}, b@1, delete a@5, a@6 {p} (recreated), edge a->b @7.
    # Delivered: the edge lands on the old a before both the delete and the recreation.
    await send(worker, [v("a", 1, p="p1", q="q1"), v("b", 1)])
    await send(worker, [{"op": "e", "from": "a", "to": "b", "v": 7, "props": {"w": 7}}])
    assert await send(worker, [{"op": "dv", "id": "a", "v": 5}]) == set()
    assert endpoint.store.edge(edge_id("L", "a", "b")) is not None  # newer than the delete: kept
    assert props(endpoint, "a") == {}  # the old life's properties are gone with it
    await send(worker, [v("a", 6, p="p6")])
    assert props(endpoint, "a") == {"p": "p6", VERSION_KEY: 6}  # q died with the delete
