"""An edge whose endpoint vertex failed in the same batch is not sent: it fails with the vertex's
reason and failure kind. Deleting an edge does not need its endpoints, so it is still sent."""

from __future__ import annotations

import pytest

from framework.batch_writer import BatchWriter
from framework.batching import coalesce
from framework.upserts import DeleteEdge, Edge, Vertex


async def _write(client, *writes):
    plan = coalesce([("m", list(writes))])
    return plan, await BatchWriter(client, max_upserts=50, max_bytes=1_000_000).write(plan.vertices, plan.edges,
                                                                                       deadline=None)


async def _conflicts(endpoint, make_client, *writes):
    """The whole request and then its first half (the first vertex alone) conflict."""
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 2}})
    return await _write(make_client(max_attempts=1), *writes)


@pytest.mark.parametrize(("failed", "written", "edge_from", "edge_to"),
                         [("a", "b", "a", "b"), ("d", "c", "c", "d")], ids=["from", "to"])
async def test_an_edge_whose_endpoint_vertex_failed_fails_with_its_reason_and_kind(endpoint, make_client, failed,
                                                                                   written, edge_from, edge_to):
    plan, outcome = await _conflicts(endpoint, make_client, Vertex(failed, "V"), Vertex(written, "V"),
                                     Edge("L", edge_from, edge_to))
    (edge,) = plan.edges
    reason = outcome.failed[("v", failed)]
    assert outcome.failure_kind == {("v", failed): "database_busy", edge.key: "database_busy"}
    assert outcome.failed[edge.key] == f"not written: its endpoint vertex '{failed}' failed in this batch ({reason})"
    assert outcome.committed == {("v", written)}


async def test_deleting_an_edge_does_not_wait_for_its_endpoints(endpoint, make_client):
    plan, outcome = await _conflicts(endpoint, make_client, Vertex("a", "V"), Vertex("b", "V"),
                                     DeleteEdge("L", "a", "b"))
    (edge,) = plan.edges
    assert set(outcome.failed) == {("v", "a")}
    assert outcome.committed == {("v", "b"), edge.key} and outcome.deleted == {edge.key}
