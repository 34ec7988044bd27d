"""Property: whatever the batch and whatever fails, a message is reported succeeded exactly when
every upsert it asked for was committed, with the values the batch asked for.

Random batches mix good messages, poison messages, label conflicts between messages, edges to
vertices that never arrive, and duplicate elements; the endpoint adds injected conflicts and
dropped requests (dropped before execution, so "not answered" means "not applied" and the
committed state is knowable). Hypothesis runs derandomized: the same examples every run.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framework.client import GraphClient
from framework.config import GraphConfig
from framework.telemetry import MetricsSink, Telemetry
from framework.upserts import Edge, Vertex, edge_id
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.gremlin_server.thread import EndpointThread
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

VERTEX_IDS = [f"v{i}" for i in range(6)]
NEVER_CREATED = ["ghost-1", "ghost-2"]

vertex_op = st.tuples(st.just("v"), st.sampled_from(VERTEX_IDS), st.sampled_from(["A", "B"]),
                      st.integers(min_value=0, max_value=3))
edge_op = st.tuples(st.just("e"), st.sampled_from(VERTEX_IDS + NEVER_CREATED[:1]),
                    st.sampled_from(VERTEX_IDS + NEVER_CREATED), st.sampled_from(["KNOWS", "OWNS"]))
message = st.one_of(
    st.lists(st.one_of(vertex_op, edge_op), min_size=1, max_size=4),
    st.just("poison"),
)
batches = st.lists(message, min_size=1, max_size=10)
chaos = st.fixed_dictionaries({
    "conflicts": st.integers(min_value=0, max_value=3),
    "drops": st.integers(min_value=0, max_value=1),
    "max_upserts": st.sampled_from([1, 2, 3, 100]),
})


@pytest.fixture(scope="module")
def endpoint_thread():
    with EndpointThread(seed=0) as ep:
        yield ep


def to_upserts(ops: list[Any]) -> list[Vertex | Edge]:
    out: list[Vertex | Edge] = []
    for op in ops:
        if op[0] == "v":
            out.append(Vertex(id=op[1], label=op[2], props={"n": op[3]}))
        else:
            out.append(Edge(label=op[3], from_id=op[1], to_id=op[2]))
    return out


def final_vertices(batch: list[Any]) -> dict[str, tuple[str, int]]:
    """The label and ``n`` each vertex should end with: the batch's messages are coalesced and later
    ones win property keys, except messages refused before writing (poison, or contradicting an
    earlier message about what a vertex is)."""
    final: dict[str, tuple[str, int]] = {}
    for i, ops in enumerate(batch):
        if ops == "poison" or _contradicts_earlier(batch, i):
            continue
        for op in ops:
            if op[0] == "v":
                final[op[1]] = (op[2], op[3])
    return final


def committed(store: Any, upsert: Vertex | Edge, final: dict[str, tuple[str, int]]) -> bool:
    """The graph holds ``upsert`` with the values the batch asked for (not merely an element of that id)."""
    if isinstance(upsert, Vertex):
        vertex = store.vertex(upsert.id)
        label, n = final.get(upsert.id, (None, None))
        return (vertex is not None and vertex.label == upsert.label == label
                and [vp.value for vp in vertex.properties.get("n", [])] == [n])
    edge = store.edge(edge_id(upsert.label, upsert.from_id, upsert.to_id))
    return edge is not None and (edge.label, edge.out_v.id, edge.in_v.id) == (upsert.label, upsert.from_id,
                                                                              upsert.to_id)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches, faults=chaos)
def test_reported_outcome_matches_what_was_committed(endpoint_thread, batch, faults):
    ep = endpoint_thread
    ep.call(lambda e: e.reset(graph=True, stats=True, settings=True, seed=0))
    ep.control.settings(inject={"code": "ConcurrentModificationException", "count": faults["conflicts"]},
                        drop={"count": faults["drops"], "mode": "before_execute"})
    records = [sqs_record("{poison" if ops == "poison" else json.dumps(ops), message_id=f"m{i}")
               for i, ops in enumerate(batch)]

    async def run() -> dict[str, Any]:
        telemetry = Telemetry(metrics=MetricsSink(stream=_Discard()))
        client = GraphClient(GraphConfig.from_env({}, endpoint=f"127.0.0.1:{ep.port}", tls=False,
                                                  backoff_base_s=0.001, backoff_max_s=0.002, max_attempts=6),
                             telemetry=telemetry, rng=random.Random(1))
        worker = GraphWorker(service="prop", client=lambda: client, telemetry=telemetry,
                             config=WorkerConfig(max_upserts_per_request=faults["max_upserts"]))

        @worker.upserts()
        def to_graph(ops: list[Any]) -> list[Vertex | Edge]:
            return to_upserts(ops)

        try:
            return await worker.process(sqs_event(records), LocalLambdaContext())
        finally:
            await client.close()

    response = asyncio.run(run())
    failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
    store = ep.endpoint.store
    final = final_vertices(batch)
    for i, ops in enumerate(batch):
        message_id = f"m{i}"
        if ops == "poison":
            assert message_id in failed
            continue
        all_committed = all(committed(store, u, final) for u in to_upserts(ops))
        if message_id in failed:
            # Failed messages are exactly those with something not committed as asked, or that were
            # refused before writing because they contradict an earlier message of the batch.
            assert not all_committed or _contradicts_earlier(batch, i), (message_id, ops)
        else:
            assert all_committed, (message_id, ops)


def _contradicts_earlier(batch: list[Any], index: int) -> bool:
    labels: dict[str, str] = {}
    for i, ops in enumerate(batch[: index + 1]):
        if ops == "poison":
            continue
        mine: dict[str, str] = {}
        conflict = False
        for op in ops:
            if op[0] != "v":
                continue
            known = mine.get(op[1]) or labels.get(op[1])
            if known is not None and known != op[2]:
                conflict = True
                break
            mine[op[1]] = op[2]
        if i == index:
            return conflict
        if not conflict:
            labels.update(mine)
    return False


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

