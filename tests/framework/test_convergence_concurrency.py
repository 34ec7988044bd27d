"""Two execution contexts racing on the same elements with different versions still converge.

Each context has its own connection; both write the same vertices and edges at interleaved
versions, concurrently, while the endpoint holds locks for a while so their transactions really
overlap (real ``ConcurrentModificationException``s, retried). The check-and-write of each element
happens in one request (one transaction), so whichever commits last, the graph ends at the newest
version of every property.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from framework import Edge, GraphClient, GraphWorker, KeepMax, Vertex, WorkerConfig
from framework.upserts import edge_id
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

from .conftest import local_config

IDS = [f"v{i}" for i in range(4)]


def message(version: int, rng: random.Random) -> str:
    ids = rng.sample(IDS, 3)
    return json.dumps({"v": version, "ids": ids})


def make_worker(endpoint, captured, seed: int) -> tuple[GraphWorker, GraphClient]:
    client = GraphClient(local_config(endpoint, max_attempts=30, backoff_base_s=0.001, backoff_max_s=0.02,
                                      retry_budget=1000), telemetry=captured.telemetry, rng=random.Random(seed))
    worker = GraphWorker(service="race", config=WorkerConfig(deadline_margin_s=1.0), telemetry=captured.telemetry,
                         client=lambda: client)

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        version = msg["v"]
        for vid in msg["ids"]:
            yield Vertex(vid, "N", {"name": f"{vid}@{version}", "peak": KeepMax(version)}, version=version)
        yield Edge("LINK", msg["ids"][0], msg["ids"][1], {"at": version}, version=version)

    return worker, client


async def test_two_contexts_racing_converge_to_the_newest_versions(endpoint, captured):
    rng = random.Random(11)
    versions = list(range(1, 41))
    rng.shuffle(versions)
    bodies = {v: message(v, random.Random(v)) for v in versions}
    # The two contexts take alternate versions, each in its own shuffled order, 4 messages a batch.
    plans = [versions[0::2], versions[1::2]]
    endpoint.apply_settings({"hold_ms": 3.0})
    workers = [make_worker(endpoint, captured, seed) for seed in (1, 2)]

    async def run(worker: GraphWorker, mine: list[int]) -> None:
        for start in range(0, len(mine), 4):
            batch = [sqs_record(bodies[v], message_id=f"m{v}") for v in mine[start:start + 4]]
            response = await worker.process(sqs_event(batch), LocalLambdaContext(timeout_s=20))
            assert response == {"batchItemFailures": []}

    try:
        await asyncio.gather(*(run(w, plan) for (w, _), plan in zip(workers, plans, strict=True)))
    finally:
        for _, client in workers:
            await client.close()
    assert captured.count("ConcurrentModificationConflicts") > 0  # they really raced

    newest: dict[str, int] = {}
    edges: dict[tuple[str, str], int] = {}
    for version in versions:
        msg = json.loads(bodies[version])
        for vid in msg["ids"]:
            newest[vid] = max(newest.get(vid, 0), version)
        pair = (msg["ids"][0], msg["ids"][1])
        edges[pair] = max(edges.get(pair, 0), version)
    store = endpoint.store
    for vid, version in newest.items():
        vertex = store.vertex(vid)
        assert [vp.value for vp in vertex.properties["name"]] == [f"{vid}@{version}"]
        assert [vp.value for vp in vertex.properties["peak"]] == [version]
    for (a, b), version in edges.items():
        assert store.edge(edge_id("LINK", a, b)).properties["at"] == version
