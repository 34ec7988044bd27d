"""Tombstones: kept out of users' reads, purged by age, by the function and by the command."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import T
from gremlin_python.structure.graph import Graph

from framework import DeleteVertex, GraphWorker, Vertex, WorkerConfig, purge_tombstones, without_tombstones
from framework.errors import ConfigError
from framework.tombstones import retention_from_env, user_properties
from framework.versions import DELETED_AT_KEY, TOMBSTONE_LABEL, VERSION_KEY, tombstone_id
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

g = traversal().with_graph(Graph())
HOUR = 3600.0


@pytest.fixture
def worker(endpoint, captured, client_factory) -> GraphWorker:
    w = GraphWorker(service="tombstones", config=WorkerConfig(deadline_margin_s=1.0), telemetry=captured.telemetry,
                    client=client_factory())

    @w.upserts()
    def to_graph(msg: dict[str, Any]):
        if msg.get("delete"):
            return [DeleteVertex(msg["id"], version=msg["v"])]
        return [Vertex(msg["id"], "U", {"name": msg["id"]}, version=msg["v"])]

    return w


async def write(worker: GraphWorker, *messages: dict[str, Any]) -> None:
    records = [sqs_record(json.dumps(m), message_id=f"m{i}") for i, m in enumerate(messages)]
    response = await worker.process(sqs_event(records), LocalLambdaContext(timeout_s=10))
    assert response == {"batchItemFailures": []}


async def test_reads_can_leave_tombstones_and_bookkeeping_out(endpoint, worker, make_client):
    await write(worker, {"id": "a", "v": 1}, {"id": "b", "v": 1})
    await write(worker, {"id": "b", "v": 2, "delete": True})
    client = make_client()
    assert sorted(await client.submit(g.V().id_())) == ["a", tombstone_id("v", "b")]
    assert await client.submit(without_tombstones(g.V()).id_()) == ["a"]
    (props,) = await client.submit(g.V("a").value_map())
    assert VERSION_KEY in props and user_properties(props) == {"name": ["a"]}


async def test_purge_drops_only_tombstones_older_than_the_retention(endpoint, worker, make_client):
    await write(worker, *({"id": f"v{i}", "v": 1} for i in range(5)))
    await write(worker, *({"id": f"v{i}", "v": 2, "delete": True} for i in range(5)))
    client = make_client()
    now = dt.datetime.now(dt.UTC)
    fresh = await purge_tombstones(client, older_than_s=HOUR, now=now)
    assert (fresh.purged, fresh.complete) == (0, True)
    later = await purge_tombstones(client, older_than_s=HOUR, batch=2, now=now + dt.timedelta(hours=2))
    assert (later.purged, later.requests, later.complete) == (5, 3, True)
    assert await client.submit(g.V().has_label(TOMBSTONE_LABEL).count()) == [0]
    assert endpoint.store.vertex_count() == 0


async def test_a_purge_stops_at_its_deadline(endpoint, make_client):
    client = make_client()
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    for i in range(3):
        await client.submit(g.add_v(TOMBSTONE_LABEL).property(T.id, f"gw:tombstone:v:x{i}")
                            .property(DELETED_AT_KEY, old).id_())
    result = await purge_tombstones(client, older_than_s=HOUR, batch=1, deadline=time.monotonic() - 1)
    assert (result.purged, result.requests, result.complete) == (0, 0, False)
    result = await purge_tombstones(client, older_than_s=HOUR, batch=1)
    assert (result.purged, result.complete) == (3, True)


def test_retention_setting():
    assert retention_from_env({}) == 15 * 24 * HOUR
    assert retention_from_env({"GRAPHWORKER_TOMBSTONE_RETENTION_S": "7200"}) == 7200
    for bad in ("60", "nan", "inf", "x"):
        with pytest.raises(ConfigError, match="GRAPHWORKER_TOMBSTONE_RETENTION_S"):
            retention_from_env({"GRAPHWORKER_TOMBSTONE_RETENTION_S": bad})


def _seed_old_tombstones(url: str, count: int) -> None:
    import asyncio

    from framework.client import GraphClient
    from framework.config import GraphConfig

    async def seed() -> None:
        client = GraphClient(GraphConfig.from_env({}, endpoint=url, tls=False))
        try:
            for i in range(count):
                await client.submit(g.add_v(TOMBSTONE_LABEL).property(T.id, f"gw:tombstone:v:old{i}")
                                    .property(DELETED_AT_KEY, dt.datetime(2020, 1, 1, tzinfo=dt.UTC)).id_())
            await client.submit(g.add_v(TOMBSTONE_LABEL).property(T.id, "gw:tombstone:v:new")
                                .property(DELETED_AT_KEY, dt.datetime.now(dt.UTC)).id_())
        finally:
            await client.close()

    asyncio.run(seed())


def test_the_scheduled_purge_function(execution_context, monkeypatch):
    from gwlocal.gremlin_server.thread import EndpointThread
    from handlers import purge

    with EndpointThread() as ep:
        _seed_old_tombstones(ep.url, 4)
        monkeypatch.setenv("NEPTUNE_ENDPOINT", ep.url)
        monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
        monkeypatch.setenv("GRAPHWORKER_TOMBSTONE_RETENTION_S", "86400")
        monkeypatch.setattr(purge, "_loop", None)
        outcome = purge.handler({"source": "aws.events"}, LocalLambdaContext(function_name="purge"))
        assert outcome["purged"] == 4 and outcome["complete"] and outcome["retention_s"] == 86400
        assert ep.control.stats()["vertices"] == 1  # the fresh one stays
        loop = purge._loop
        assert loop is not None
        from framework import lifecycle

        loop.run_until_complete(lifecycle.close_client())
        loop.close()


def test_the_purge_command(capsys):
    from gwlocal.cli import main
    from gwlocal.gremlin_server.thread import EndpointThread

    with EndpointThread() as ep:
        _seed_old_tombstones(ep.url, 2)
        assert main(["purge-tombstones", "--endpoint", ep.url, "--older-than", "30d"]) == 0
        assert "purged 2 tombstone(s)" in capsys.readouterr().out
        assert ep.control.stats()["vertices"] == 1


async def _old_tombstones(client, count: int) -> None:
    for i in range(count):
        await client.submit(g.add_v(TOMBSTONE_LABEL).property(T.id, f"gw:tombstone:v:old{i}")
                            .property(DELETED_AT_KEY, dt.datetime(2020, 1, 1, tzinfo=dt.UTC)).id_())


@pytest.mark.parametrize("older_than_s", [0, -1.0, float("nan")])
async def test_a_purge_needs_a_positive_age(make_client, older_than_s):
    with pytest.raises(ValueError) as refused:
        await purge_tombstones(make_client(), older_than_s=older_than_s)
    assert str(refused.value) == f"older_than_s must be a positive number of seconds, got {older_than_s!r}"


async def test_a_purge_by_a_sub_second_age_and_its_span(make_client, captured):
    client = make_client()
    await _old_tombstones(client, 1)
    result = await purge_tombstones(client, older_than_s=0.5)
    assert (result.purged, result.requests, result.complete) == (1, 1, True)
    (span,) = captured.spans("gremlin purge tombstones")
    assert span.attributes["db.query.summary"] == "purge tombstones"


async def test_a_purge_request_is_bounded_by_the_deadline(endpoint, make_client):
    """A request that does not answer (the database holds its locks) ends at the purge's deadline."""
    from framework.errors import DeadlineExceeded

    client = make_client(request_timeout_s=60.0)
    await _old_tombstones(client, 1)
    endpoint.apply_settings({"hold_ms": 60_000})
    try:
        with pytest.raises(DeadlineExceeded):
            await purge_tombstones(client, older_than_s=HOUR, deadline=time.monotonic() + 0.3)
    finally:
        endpoint.apply_settings({"hold_ms": 0})
        endpoint.release_holds()


async def test_the_scheduled_purge_keeps_two_seconds_for_reporting(endpoint, make_client, captured, monkeypatch):
    from framework.tombstones import scheduled_purge

    monkeypatch.setenv("GRAPHWORKER_TOMBSTONE_RETENTION_S", "7200")
    client = make_client()
    await _old_tombstones(client, 3)
    late = await scheduled_purge(LocalLambdaContext(timeout_s=1.9), client=client, metrics=captured.telemetry.metrics)
    assert late == {"purged": 0, "requests": 0, "complete": False, "retention_s": 7200}  # under 2 s left: none
    # 0.8 s left after the 2 s margin (one local request takes milliseconds); a 3 s margin would leave none
    done = await scheduled_purge(LocalLambdaContext(timeout_s=2.8), client=client, metrics=captured.telemetry.metrics)
    assert done == {"purged": 3, "requests": 1, "complete": True, "retention_s": 7200}
    assert captured.values("TombstonesPurged") == [0.0, 3.0]
    assert await scheduled_purge(None, client=client, metrics=captured.telemetry.metrics) == {
        "purged": 0, "requests": 1, "complete": True, "retention_s": 7200}  # no context: no deadline


async def test_a_tombstone_records_what_was_deleted_and_the_newest_delete(endpoint, worker, make_client):
    from framework.versions import TOMBSTONE_KIND_KEY, TOMBSTONE_OF_KEY

    await write(worker, {"id": "a", "v": 1})
    await write(worker, {"id": "a", "v": 2, "delete": True})
    client = make_client()
    tomb = tombstone_id("v", "a")
    (first,) = await client.submit(g.V(tomb).value_map())
    assert (first[TOMBSTONE_KIND_KEY], first[TOMBSTONE_OF_KEY], first[VERSION_KEY]) == (["vertex"], ["a"], [2])
    await write(worker, {"id": "a", "v": 5, "delete": True})  # a newer delete moves the tombstone on
    (newer,) = await client.submit(g.V(tomb).value_map())
    assert newer[VERSION_KEY] == [5] and newer[DELETED_AT_KEY][0] >= first[DELETED_AT_KEY][0]
    await write(worker, {"id": "a", "v": 3, "delete": True})  # an older one changes nothing
    (after,) = await client.submit(g.V(tomb).value_map())
    assert after == newer
    await write(worker, {"id": "a", "v": 4})  # an upsert older than the delete stays deleted
    assert await client.submit(g.V("a").count()) == [0]


async def test_an_edge_tombstone_names_the_edge(endpoint, captured, client_factory, make_client):
    from framework import DeleteEdge, Edge, edge_id
    from framework.versions import TOMBSTONE_KIND_KEY, TOMBSTONE_OF_KEY

    w = GraphWorker(service="edges", config=WorkerConfig(deadline_margin_s=1.0), telemetry=captured.telemetry,
                    client=client_factory())

    @w.upserts()
    def to_graph(msg: dict[str, Any]):
        if msg.get("delete"):
            return [DeleteEdge("L", "a", "b", version=msg["v"])]
        return [Vertex("a", "U"), Vertex("b", "U"), Edge("L", "a", "b", {"w": msg["v"]}, version=msg["v"])]

    await write(w, {"v": 1})
    await write(w, {"v": 2, "delete": True})
    client = make_client()
    (tomb,) = await client.submit(g.V(tombstone_id("e", edge_id("L", "a", "b"))).value_map())
    assert (tomb[TOMBSTONE_KIND_KEY], tomb[TOMBSTONE_OF_KEY], tomb[VERSION_KEY]) == (
        ["edge"], [edge_id("L", "a", "b")], [2])
    assert await client.submit(g.E().count()) == [0]
    await write(w, {"v": 3})  # newer than the delete: the edge is back, with its own property
    assert await client.submit(g.E(edge_id("L", "a", "b")).values("w")) == [3]
