"""A small chaos run of real framework code, written in the local run's output-folder contract.

Why not canned files: the dashboard must be proven on what the framework really emits under
pressure. Here the identity example's mapping runs in real ``GraphWorker`` instances (three
"execution contexts", each with its own ``GraphClient``) against the local Gremlin endpoint over
real sockets, with chaos on (injected conflicts, throttles, dropped connections, lock holds on
a hot device vertex). EMF lines come from the real ``MetricsSink``, spans from a real
OpenTelemetry provider. SQS is the local SQS server (fauxqs, in its own process): a work queue
with a redrive policy to a DLQ (``maxReceiveCount`` 2), received from and deleted over SQS's
protocol like the local pipeline's event source mapping does. One liberty with time: a message
the handler reports failed is made visible again at once (ChangeMessageVisibility 0) instead of
after the queue's visibility timeout, so the run needs no timers; redrive to the DLQ is the
server's own, on the receive after the last allowed one.

Samples of the endpoint's ``/stats`` and of the queue are taken after every invocation (an
event) rather than once a second, and the run takes a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
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
from gwlocal.lambda_events import LocalLambdaContext
from gwlocal.local.outputs import JsonlSpanExporter
from gwlocal.local.sqs import SQS_BATCH_MAX, LocalQueues, Outgoing, to_lambda_record
from gwlocal.local.sqs_servers import fauxqs_server
from handlers import identity

MAX_RECEIVE = 2
"""Receives before the server moves a message to the DLQ: poison needs two invocations."""
CHAOS = {
    "conflict_rate": 0.3,  # most invocations see one: the 5% alarm needs 3 of 5 buckets (50 ms here) breaching
    "hold_ms": 2.0,
    "drop": {"count": 2, "rate": 0.05},  # the first two requests for sure, then 5%
    "inject": {"code": "ThrottlingException", "count": 1, "rate": 0.04, "writes_only": True},
}


@dataclass
class _Outstanding:
    """What this run knows of the queue: messages not yet deleted or dead-lettered, by id."""

    sent_ms: dict[str, int] = field(default_factory=dict)
    in_flight: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def oldest_age_s(self, now: float) -> float:
        oldest = min(self.sent_ms.values(), default=None)
        return 0.0 if oldest is None else round(now - oldest / 1000, 3)


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
    server = fauxqs_server(log_path=out / "sqs-server.log")
    sqs_url = server.start()
    try:
        with (out / "metrics.emf.jsonl").open("w") as emf, (out / "spans.jsonl").open("w") as spans, \
                (out / "endpoint-stats.jsonl").open("w") as endpoint_stats, (out / "sqs-stats.jsonl").open("w") as sqs:
            report = asyncio.run(_run(_Files(emf, spans, endpoint_stats, sqs), sqs_url, messages=messages,
                                      poison=poison, contexts=contexts, batch_size=batch_size, seed=seed))
    finally:
        server.stop()
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


async def _run(files: _Files, sqs_url: str, *, messages: int, poison: int, contexts: int, batch_size: int,
               seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    endpoint = GremlinEndpoint(seed=seed)
    await endpoint.start("127.0.0.1", 0)
    endpoint.apply_settings(CHAOS)
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonlSpanExporter(files.spans)))
    clients: list[GraphClient] = []
    try:
        async with LocalQueues(sqs_url, name="identity-queue", visibility_timeout_s=30,
                               max_receive_count=MAX_RECEIVE) as queues:
            bodies = _bodies(messages, poison, rng)
            outstanding = _Outstanding()
            for start in range(0, len(bodies), SQS_BATCH_MAX):
                now_ms = int(time.time() * 1000)
                chunk = bodies[start:start + SQS_BATCH_MAX]
                for message_id in await queues.send_batch([Outgoing(body) for body in chunk]):
                    outstanding.sent_ms[message_id] = now_ms
            poison_ids = {mid for mid, body in zip(list(outstanding.sent_ms), bodies, strict=True)
                          if body.startswith("{not")}

            async def sample() -> None:
                _write(files.endpoint_stats, {"t": time.time(), **endpoint.stats_json()})
                stats, now = await queues.stats(), time.time()
                _write(files.sqs, {"t": now, "queue_visible": stats.queue_visible,
                                   "queue_in_flight": stats.queue_in_flight, "dlq_visible": stats.dlq_visible,
                                   "oldest_message_age_s": outstanding.oldest_age_s(now)})

            await sample()
            committed: set[str] = set()

            async def execution_context(number: int) -> None:
                telemetry = Telemetry(tracer=provider.get_tracer("graphworker"),
                                      metrics=MetricsSink(namespace="graphworker", service=identity.worker.service,
                                                          stream=files.emf))
                config = GraphConfig.from_env({}, endpoint=f"127.0.0.1:{endpoint.port}", tls=False, max_attempts=8,
                                              backoff_base_s=0.002, backoff_max_s=0.02,
                                              # The chaos rates are far above a real database's: a retry
                                              # budget and breaker sized for them keep valid messages out
                                              # of this run's 2-receive DLQ (both have their own tests).
                                              retry_budget=10_000.0, breaker_failures=50)
                client = GraphClient(config, telemetry=telemetry, rng=random.Random(seed + number))
                clients.append(client)
                worker = GraphWorker(service=identity.worker.service, config=WorkerConfig(), client=lambda: client,
                                     telemetry=telemetry)
                worker.upserts(model=identity.IdentityObserved)(identity.to_graph)
                while outstanding.sent_ms:
                    received = await queues.receive(batch_size, wait_s=0)
                    if not received:
                        # Nothing visible: the rest is in other contexts' hands (or just moved to
                        # the DLQ). Wait for one of them to settle a batch, then look again.
                        if outstanding.in_flight:
                            outstanding.changed.clear()
                            await outstanding.changed.wait()
                        else:
                            await _settle_dead_letters(queues, outstanding)
                        continue
                    outstanding.in_flight += len(received)
                    try:
                        event = {"Records": [to_lambda_record(m, queue_arn=queues.arn, region=queues.region)
                                             for m in received]}
                        response = await worker.process(event, LocalLambdaContext(function_name="identity-graph-local"))
                        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
                        done = [m for m in received if m["MessageId"] not in failed]
                        assert not await queues.delete([m["ReceiptHandle"] for m in done])
                        committed.update(m["MessageId"] for m in done)
                        for m in done:
                            outstanding.sent_ms.pop(m["MessageId"], None)
                        await _visible_again(queues, [m for m in received if m["MessageId"] in failed])
                    finally:
                        outstanding.in_flight -= len(received)
                        outstanding.changed.set()
                    await sample()

            await asyncio.gather(*(execution_context(n) for n in range(contexts)))
            for client in clients:
                await client.close()
                client.telemetry.metrics.flush()
            await sample()
            in_dlq = await queues.drain_dlq()
        stats = endpoint.stats_json()
    finally:
        for client in clients:
            await client.close()
        await endpoint.stop()
    return {
        "messages_sent": messages + poison,
        "committed": len(committed),
        "failed": messages + poison - len(committed),
        "in_dlq": len(in_dlq),
        "poison_sent": poison,
        "poison_in_dlq": len(poison_ids & set(in_dlq)),
        "valid_in_dlq": len(set(in_dlq) - poison_ids),
        "errors_by_code": stats["errors_by_code"],
        "chaos": CHAOS,
    }


async def _visible_again(queues: LocalQueues, failed: list[dict[str, Any]]) -> None:
    """Make reported failures visible now: the visibility timeout, compressed to nothing."""
    for start in range(0, len(failed), SQS_BATCH_MAX):
        chunk = failed[start:start + SQS_BATCH_MAX]
        response = await queues.client.call("ChangeMessageVisibilityBatch", {"QueueUrl": queues.url, "Entries": [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(chunk)]})
        assert not response.get("Failed"), response["Failed"]


async def _settle_dead_letters(queues: LocalQueues, outstanding: _Outstanding) -> None:
    """Nothing visible or in flight: what is still outstanding went to the DLQ. Check, then forget it.

    The server moves a message out of receives to the DLQ on the receive that would exceed
    ``maxReceiveCount``, so an empty receive with nothing in flight means exactly that.
    """
    stats = await queues.stats()
    if stats.queue_visible or stats.queue_in_flight or not outstanding.sent_ms:
        return  # not settled on the server yet (the next receive will see), or another context settled it
    assert stats.dlq_visible == len(outstanding.sent_ms), (stats, len(outstanding.sent_ms))
    outstanding.sent_ms.clear()
