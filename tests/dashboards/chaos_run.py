"""A small chaos run of real framework code, written in the local run's output-folder contract.

Why not canned files: the dashboard must be proven on what the framework really emits under
pressure. Here the identity example's mapping runs in real ``GraphWorker`` instances (three
"execution contexts", each with its own ``GraphClient``) against the local Gremlin endpoint over
real sockets, with chaos on (injected conflicts, throttles, dropped connections, lock holds on
a hot device vertex). EMF lines come from the real ``MetricsSink``, spans from a real
OpenTelemetry provider. Only SQS is simulated, by a tiny in-memory queue with a redrive policy
(failed messages come back at once; after ``max_receive`` receives they go to the DLQ).

Samples of the endpoint's ``/stats`` and of the queue are taken after every invocation (an
event) rather than once a second, so the run needs no timers and takes about a second.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from framework.client import GraphClient
from framework.config import GraphConfig
from framework.telemetry import MetricsSink, Telemetry
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.gremlin_server.server import GremlinEndpoint
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record
from gwlocal.local.outputs import JsonlSpanExporter
from handlers import identity

CHAOS = {
    "conflict_rate": 0.15,
    "hold_ms": 2.0,
    "drop": {"count": 2, "rate": 0.05},  # the first two requests for sure, then 5%
    "inject": {"code": "ThrottlingException", "count": 1, "rate": 0.04, "writes_only": True},
}


@dataclass
class _Message:
    message_id: str
    body: str
    sent_ms: int
    receives: int = 0


@dataclass
class MiniQueue:
    """Just enough SQS: receive up to N, delete the successes, redrive after ``max_receive``."""

    max_receive: int = 2
    visible: deque[_Message] = field(default_factory=deque)
    in_flight: int = 0
    dlq: list[_Message] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def send(self, message_id: str, body: str) -> None:
        self.visible.append(_Message(message_id, body, int(time.time() * 1000)))

    def receive(self, limit: int) -> list[_Message]:
        batch = [self.visible.popleft() for _ in range(min(limit, len(self.visible)))]
        for message in batch:
            message.receives += 1
        self.in_flight += len(batch)
        return batch

    def settle(self, batch: list[_Message], failed: set[str]) -> None:
        self.in_flight -= len(batch)
        for message in batch:
            if message.message_id in failed:
                (self.dlq if message.receives >= self.max_receive else self.visible).append(message)
        self.changed.set()

    def sample(self) -> dict[str, Any]:
        now = time.time()
        oldest = min((m.sent_ms for m in self.visible), default=None)
        return {"t": now, "queue_visible": len(self.visible), "queue_in_flight": self.in_flight,
                "dlq_visible": len(self.dlq),
                "oldest_message_age_s": 0.0 if oldest is None else round(now - oldest / 1000, 3)}


def _bodies(count: int, poison: int, rng: random.Random) -> list[str]:
    bodies = []
    for i in range(count):
        body: dict[str, Any] = {"user_id": f"u{i}", "name": f"User {i}", "observed_at": "2026-11-01T00:00:00Z",
                                "email": f"shared{i % 3}@example.com", "ip": f"10.0.0.{i % 5}"}
        if i % 2 == 0:
            body["device_id"] = "d-hot"  # one hot vertex: concurrent batches contend for its lock
        bodies.append(json.dumps(body))
    for _ in range(poison):
        bodies.insert(rng.randrange(len(bodies)), "{not json")
    return bodies


def _write(stream: TextIO, data: dict[str, Any]) -> None:
    stream.write(json.dumps(data) + "\n")
    stream.flush()


@dataclass
class _Files:
    emf: TextIO
    spans: TextIO
    endpoint_stats: TextIO
    sqs: TextIO


def chaos_run(out: Path, *, messages: int = 150, poison: int = 3, contexts: int = 3, batch_size: int = 5,
              seed: int = 11) -> dict[str, Any]:
    """Run the chaos load; write the five files into ``out``; return the report."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "metrics.emf.jsonl").open("w") as emf, (out / "spans.jsonl").open("w") as spans, \
            (out / "endpoint-stats.jsonl").open("w") as endpoint_stats, (out / "sqs-stats.jsonl").open("w") as sqs:
        report = asyncio.run(_run(_Files(emf, spans, endpoint_stats, sqs), messages=messages, poison=poison,
                                  contexts=contexts, batch_size=batch_size, seed=seed))
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


async def _run(files: _Files, *, messages: int, poison: int, contexts: int, batch_size: int,
               seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    endpoint = GremlinEndpoint(seed=seed)
    await endpoint.start("127.0.0.1", 0)
    endpoint.apply_settings(CHAOS)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonlSpanExporter(files.spans)))
    queue = MiniQueue()
    for i, body in enumerate(_bodies(messages, poison, rng)):
        queue.send(f"m-{i}", body)

    def sample() -> None:
        _write(files.endpoint_stats, {"t": time.time(), **endpoint.stats_json()})
        _write(files.sqs, queue.sample())

    sample()
    committed = 0
    clients: list[GraphClient] = []

    async def execution_context(number: int) -> None:
        nonlocal committed
        telemetry = Telemetry(tracer=provider.get_tracer("graphworker"),
                              metrics=MetricsSink(namespace="graphworker", service=identity.worker.service,
                                                  stream=files.emf))
        config = GraphConfig.from_env({}, endpoint=f"127.0.0.1:{endpoint.port}", tls=False, max_attempts=5,
                                      backoff_base_s=0.002, backoff_max_s=0.02)
        client = GraphClient(config, telemetry=telemetry, rng=random.Random(seed + number))
        clients.append(client)
        worker = GraphWorker(service=identity.worker.service, config=WorkerConfig(), client=lambda: client,
                             telemetry=telemetry)
        worker.upserts(model=identity.IdentityObserved)(identity.to_graph)
        while True:
            batch = queue.receive(batch_size)
            if not batch:
                if queue.in_flight == 0:
                    queue.changed.set()  # wake the other contexts: the queue has drained
                    return
                queue.changed.clear()
                await queue.changed.wait()
                continue
            event = sqs_event([sqs_record(m.body, message_id=m.message_id, receive_count=m.receives,
                                          sent_timestamp_ms=m.sent_ms, queue="identity-queue") for m in batch])
            response = await worker.process(event, LocalLambdaContext(function_name="identity-graph-local"))
            failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
            committed += len(batch) - len(failed)
            queue.settle(batch, failed)
            sample()

    try:
        await asyncio.gather(*(execution_context(n) for n in range(contexts)))
        for client in clients:
            await client.close()
            client.telemetry.metrics.flush()
        sample()
        stats = endpoint.stats_json()
    finally:
        await endpoint.stop()
    return {
        "messages_sent": messages + poison,
        "committed": committed,
        "failed": messages + poison - committed,
        "in_dlq": len(queue.dlq),
        "poison_sent": poison,
        "errors_by_code": stats["errors_by_code"],
        "chaos": CHAOS,
    }
