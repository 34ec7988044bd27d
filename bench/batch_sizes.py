"""Benchmark: how the per-request upsert limit changes the cost of one SQS batch.

Run: ``.venv/bin/python bench/batch_sizes.py``. For each ``max_upserts_per_request`` the same
batches (10 SQS messages x 3 upserts, the Lambda default batch size, and 100-message batches)
go through ``GraphWorker.process`` to the local endpoint over a real socket, with the endpoint
adding a fixed per-request latency that stands in for the Lambda->Neptune round trip. Prints
wall time, requests and upserts/s side by side, with ratios against one upsert per request.
Absolute numbers are this machine's; the ratios are what justify the default.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time

from framework.client import GraphClient
from framework.config import GraphConfig
from framework.telemetry import MetricsSink, Telemetry
from framework.upserts import Edge, Vertex
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.gremlin_server.server import GremlinEndpoint
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record


class _Null:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


async def run_one(ep: GremlinEndpoint, limit: int, messages: int, rounds: int) -> tuple[float, int]:
    telemetry = Telemetry(metrics=MetricsSink(stream=_Null()))
    client = GraphClient(GraphConfig.from_env({}, endpoint=f"127.0.0.1:{ep.port}", tls=False),
                         telemetry=telemetry, rng=random.Random(1))
    worker = GraphWorker(service="bench", client=lambda: client, telemetry=telemetry,
                         config=WorkerConfig(max_upserts_per_request=limit))

    @worker.upserts()
    def to_graph(msg: dict[str, int]):
        yield Vertex(id=f"c{msg['c']}", label="Customer", props={"n": msg["i"]})
        yield Vertex(id=f"o{msg['i']}", label="Order", props={"total": msg["i"] * 1.5})
        yield Edge(label="PLACED", from_id=f"c{msg['c']}", to_id=f"o{msg['i']}")

    before = ep.stats.write_requests
    started = time.perf_counter()
    for r in range(rounds):
        records = [sqs_record(json.dumps({"i": r * messages + i, "c": (r * messages + i) % 7}), message_id=f"{r}-{i}")
                   for i in range(messages)]
        response = await worker.process(sqs_event(records), LocalLambdaContext())
        assert not response["batchItemFailures"], response
    elapsed = time.perf_counter() - started
    await client.close()
    return elapsed, ep.stats.write_requests - before


async def main_async(latency_ms: float, rounds: int) -> None:
    ep = GremlinEndpoint(seed=0)
    await ep.start()
    try:
        for messages in (10, 100):
            print(f"\nbatches of {messages} messages (3 upserts each), {rounds} batches, "
                  f"{latency_ms:g} ms per-request latency")
            print(f"{'max upserts/request':>20} {'requests':>9} {'wall ms':>9} {'upserts/s':>10} {'vs 1/request':>13}")
            base = None
            for limit in (1, 10, 50, 100, 250, 500):
                ep.reset(graph=True, stats=False)
                ep.apply_settings({"latency_ms": latency_ms})
                elapsed, requests = await run_one(ep, limit, messages, rounds)
                ups = messages * 3 * rounds / elapsed
                base = base or ups
                print(f"{limit:>20} {requests:>9} {elapsed * 1000:>9.0f} {ups:>10.0f} {ups / base:>12.1f}x")
    finally:
        await ep.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=2.0, help="endpoint latency per request")
    parser.add_argument("--rounds", type=int, default=5, help="batches per setting")
    args = parser.parse_args()
    asyncio.run(main_async(args.latency_ms, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
