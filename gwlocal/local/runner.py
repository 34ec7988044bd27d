"""``graphworker local``: run the real pipeline end to end on one machine and report on it.

SQS (moto's server) -> a Lambda-like event source mapping -> N execution contexts running a
real graphworker handler -> the local Gremlin endpoint. Optionally with the endpoint's chaos
and IAM modes. Ends with a report that includes a check that the graph holds exactly what the
valid messages asked for.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import T
from gremlin_python.structure.graph import Graph
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from framework.client import GraphClient
from framework.config import GraphConfig
from framework.telemetry import Telemetry
from framework.upserts import Edge, Vertex
from framework.worker import MessageFailed

from ..gremlin_server.control import AsyncControlClient
from ..gremlin_server.settings import EndpointSettings
from ..gremlin_server.thread import EndpointThread
from ..lambda_events import sqs_record
from .chaos import CHAOS, CHAOS_FAILOVER_EVERY_S
from .contexts import ExecutionContext, find_worker, fresh_module
from .esm import EventSourceMapping
from .loadgen import HANDLERS, Message, from_file, generate
from .options import LocalOptions
from .outputs import CountingMetricsSink, JsonlSpanExporter, OutputDir
from .sqs import LocalQueues, MotoServer

IAM_TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIDGRAPHWORKERLOCAL",
    "AWS_SECRET_ACCESS_KEY": "graphworker-local-secret",
}

_g = traversal().with_graph(Graph())


@dataclass
class _Sent:
    message: Message
    sent_at: float


@dataclass
class RunState:
    sent: dict[str, _Sent] = field(default_factory=dict)
    producer_done: bool = False


class LocalRun:
    def __init__(self, options: LocalOptions) -> None:
        self.o = options
        if options.handler not in HANDLERS and "." not in options.handler:
            raise ValueError(f"--handler must be one of {', '.join(HANDLERS)} or a module path")
        self.module = HANDLERS.get(options.handler, options.handler)
        self.state = RunState()
        self.poison_bodies: set[str] = set()
        """Bodies the handler refuses (found by mapping every sent body, as the handler would)."""

    async def run(self) -> dict[str, Any]:
        o = self.o
        started = time.monotonic()
        out = OutputDir(o.output)
        os.environ.setdefault("GRAPHWORKER_DEADLINE_MARGIN_S", str(o.deadline_margin_s))
        if o.iam:
            os.environ.update(IAM_TEST_CREDENTIALS)
            os.environ.setdefault("AWS_REGION", "us-east-1")
            os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
        endpoint_thread = None
        moto = None
        provider = TracerProvider(shutdown_on_exit=False)
        provider.add_span_processor(SimpleSpanProcessor(JsonlSpanExporter(out.spans)))
        # The handler's own service name, so local EMF lines match what the function logs in AWS.
        self._checker = find_worker(fresh_module(self.module))  # maps bodies for the graph check too
        service = self._checker.service or o.handler
        sink = CountingMetricsSink(out.emf, namespace="graphworker", service=service)
        telemetry = Telemetry(tracer=provider.get_tracer("graphworker"), metrics=sink)
        try:
            if o.gremlin_endpoint is None:
                settings = EndpointSettings()
                if o.iam:
                    settings = settings.patched({"iam": {"enabled": True, "credentials": [{
                        "access_key": IAM_TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                        "secret_key": IAM_TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]}]}})
                endpoint_thread = EndpointThread(settings, seed=o.seed).start()
                gremlin_url = endpoint_thread.url
            else:
                gremlin_url = o.gremlin_endpoint
            control = AsyncControlClient(gremlin_url.replace("ws://", "http://").replace("/gremlin", ""))
            if o.sqs_endpoint is None:
                moto = MotoServer()
                sqs_url = moto.start()
            else:
                sqs_url = o.sqs_endpoint
            config = GraphConfig.from_env({}, endpoint=gremlin_url, tls=False, use_iam=o.iam,
                                          region=os.environ.get("AWS_REGION", "us-east-1"))
            messages = self._load()
            log_stream = (o.output / "handler.log").open("w")

            redirected: list[Any] = []

            def new_context(slot: int) -> ExecutionContext:
                context = ExecutionContext(slot, self.module, config, telemetry, function_name=f"local-{o.handler}",
                                           timeout_s=o.function_timeout_s, seed=o.seed * 1000 + slot)
                redirected.append(_log_to(context, log_stream))
                return context

            async with LocalQueues(sqs_url, name=f"graphworker-{o.handler}", fifo=o.fifo,
                                   visibility_timeout_s=o.visibility_timeout_s,
                                   max_receive_count=o.max_receive_count) as queues:
                esm = EventSourceMapping(queues, new_context, concurrency=o.concurrency, batch_size=o.batch_size,
                                         batching_window_s=o.batching_window_s, idle_recycle_s=o.idle_recycle_s,
                                         max_invocations=o.max_invocations, max_receive_count=o.max_receive_count)
                if o.chaos:
                    await control.settings(**CHAOS)
                esm.start()
                tasks = [asyncio.create_task(self._produce(queues, messages)),
                         asyncio.create_task(self._sample(queues, control, esm, sink, out, started))]
                if o.chaos:
                    tasks.append(asyncio.create_task(self._chaos(control)))
                finished = await self._wait_until_settled(esm, started)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await esm.stop()
                if o.chaos:
                    await control.reset(graph=False, stats=False, settings=True)
                if o.iam:
                    await control.settings(iam={"enabled": True})
                dlq_ids = await queues.dlq_message_ids(expected=esm.stats.exhausted)
                final_queues = await queues.stats()
                stats = await control.stats()
                check = await self._graph_check(config, telemetry, [s.message.body for s in self.state.sent.values()])
            for handler in redirected:  # the logging handlers outlive the run; give them back stdout
                if handler is not None:
                    handler.setStream(sys.stdout)
            log_stream.close()
            provider.force_flush()
            sink.flush()
            report = self._report(esm, sink, stats, dlq_ids, check, finished, time.monotonic() - started)
            report["left_in_queue"] = final_queues.queue_visible + final_queues.queue_in_flight
            report["output_dir"] = str(o.output)
            out.write_report(report)
            if o.dashboard:
                from ..dashboard import render_dashboard

                drawn = render_dashboard(o.output, pngs=o.dashboard_pngs)
                report["dashboard"] = {"html": str(drawn.html), "pngs": len(drawn.pngs),
                                       "alarms_fired": drawn.fired}
                out.write_report(report)
            if o.report_json:
                o.report_json.parent.mkdir(parents=True, exist_ok=True)
                o.report_json.write_text(out.path.joinpath("report.json").read_text())
            return report
        finally:
            provider.shutdown()
            out.close()
            if endpoint_thread is not None:
                endpoint_thread.stop()
            if moto is not None:
                moto.stop()

    # ------------------------------------------------------------------ pieces
    def _load(self) -> list[Message]:
        o = self.o
        if o.from_file is not None:
            return from_file(o.from_file)
        return generate(o.handler, o.messages, seed=o.seed, poison_rate=o.poison_rate,
                        duplicate_rate=o.duplicate_rate)

    async def _produce(self, queues: LocalQueues, messages: list[Message]) -> None:
        interval = 1.0 / self.o.rate if self.o.rate > 0 else 0.0
        start = time.monotonic()
        for i, message in enumerate(messages):
            delay = start + i * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the producer to --rate
            message_id = await queues.send(message.body, group_id=message.group if queues.fifo else None,
                                           dedup_id=f"{i}" if queues.fifo else None)
            self.state.sent[message_id] = _Sent(message, time.time())
        self.state.producer_done = True

    async def _sample(self, queues: LocalQueues, control: AsyncControlClient, esm: EventSourceMapping,
                      sink: CountingMetricsSink, out: OutputDir, started: float) -> None:
        last_requests, last_t = 0, time.monotonic()
        while True:
            now = time.time()
            stats = await control.stats()
            q = await queues.stats()
            oldest = min((s.sent_at for mid, s in self.state.sent.items() if mid not in esm.stats.committed),
                         default=now)
            out.sample(out.endpoint_stats, now, stats)
            out.sample(out.sqs_stats, now, {"queue_visible": q.queue_visible, "queue_in_flight": q.queue_in_flight,
                                            "dlq_visible": q.dlq_visible,
                                            "oldest_message_age_s": round(now - oldest, 3)})
            mono = time.monotonic()
            rps = (stats["requests_total"] - last_requests) / max(mono - last_t, 1e-6)
            last_requests, last_t = stats["requests_total"], mono
            if self.o.progress:
                line = (f"[{mono - started:5.1f}s] sent {len(self.state.sent):>5}  committed "
                        f"{len(esm.stats.committed):>5}  failed {esm.stats.reported_failures:>4}  in DLQ "
                        f"{q.dlq_visible:>3}  req/s {rps:>6.0f}  conflicts "
                        f"{stats['errors_by_code'].get('ConcurrentModificationException', 0):>4}  reconnects "
                        f"{int(sink.totals['GremlinReconnects']):>4}")
                if sys.stdout.isatty():
                    print("\r" + line, end="", flush=True)
                else:
                    print(line, flush=True)
            await asyncio.sleep(1.0)  # one sample a second is the file contract

    async def _chaos(self, control: AsyncControlClient) -> None:
        modes = ["after_commit", "before_execute"]
        flips = 0
        while True:
            await asyncio.sleep(CHAOS_FAILOVER_EVERY_S)
            await control.failover()
            await control.settings(drop={"mode": modes[flips % 2]})
            flips += 1

    async def _wait_until_settled(self, esm: EventSourceMapping, started: float) -> bool:
        """Until every sent message is committed or in the DLQ (True), or the time limit (False)."""
        while time.monotonic() - started < self.o.max_duration_s:
            esm.check()
            state = self.state
            settled = esm.stats.committed.keys() | esm.stats.exhausted
            if state.producer_done and settled >= state.sent.keys():
                return True
            await asyncio.sleep(0.2)  # checking progress, not waiting for an event we could await
        return False

    async def _graph_check(self, config: GraphConfig, telemetry: Telemetry,
                           bodies: list[str]) -> dict[str, Any]:
        worker = self._checker
        expected: set[tuple[str, ...]] = set()
        for body in bodies:
            try:
                upserts = await worker.map_record(_record(body))
            except MessageFailed:
                self.poison_bodies.add(body)
                continue
            for u in upserts:
                if isinstance(u, Vertex):
                    expected.add(("vertex", u.id, u.label))
                elif isinstance(u, Edge):
                    expected.add(("edge", u.edge_id, u.label, u.from_id, u.to_id))
        client = GraphClient(config, telemetry=telemetry)
        try:
            vertices = await client.submit(_g.V().project("id", "label").by(T.id).by(T.label), read=True)
            edges = await client.submit(_g.E().project("id", "label", "out", "in").by(T.id).by(T.label)
                                        .by(__.out_v().id_()).by(__.in_v().id_()), read=True)
        finally:
            await client.close()
        found: set[tuple[str, ...]] = {("vertex", v["id"], v["label"]) for v in vertices}
        found |= {("edge", e["id"], e["label"], e["out"], e["in"]) for e in edges}
        missing, unexpected = expected - found, found - expected
        return {"expected": len(expected), "found": len(found), "missing": len(missing),
                "unexpected": len(unexpected), "ok": not missing and not unexpected,
                "missing_sample": sorted(map(list, missing))[:10],
                "unexpected_sample": sorted(map(list, unexpected))[:10]}

    def _report(self, esm: EventSourceMapping, sink: CountingMetricsSink, stats: dict[str, Any], dlq_ids: list[str],
                check: dict[str, Any], finished: bool, duration_s: float) -> dict[str, Any]:
        sent = self.state.sent
        committed_ids = set(esm.stats.committed)
        kinds = {mid: s.message.kind for mid, s in sent.items()}
        dlq = set(dlq_ids)
        poison = {mid for mid, s in sent.items() if s.message.body in self.poison_bodies}
        valid = set(sent) - poison
        lost = sorted(valid - committed_ids)
        latencies = list(esm.stats.committed.values())
        requests = int(stats["requests_total"])
        report = {
            "handler": self.o.handler,
            "messages_sent": len(sent),
            "valid_messages": len(valid),
            "poison_sent": len(poison),
            "duplicates_sent": sum(1 for k in kinds.values() if k == "duplicate"),
            "committed": len(committed_ids),
            "failed": len(set(sent) - committed_ids),
            "in_dlq": len(dlq),
            "poison_in_dlq": len(poison & dlq),
            "lost": len(lost),
            "lost_sample": lost[:10],
            "duplicates_absorbed": sum(1 for mid in committed_ids if kinds.get(mid) == "duplicate"),
            "vertices": int(stats["vertices"]),
            "edges": int(stats["edges"]),
            "gremlin_requests": requests,
            "requests_per_message": round(requests / max(len(committed_ids), 1), 3),
            "latency_ms": _percentiles(latencies),
            "invocation_ms": _percentiles(esm.stats.invocation_ms),
            "invocations": esm.stats.invocations,
            "cold_starts": esm.stats.cold_starts,
            "contexts_recycled": esm.stats.recycled,
            "failed_invocations": esm.stats.failed_invocations,
            "batch_item_failures": esm.stats.reported_failures,
            "conflicts": int(stats["errors_by_code"].get("ConcurrentModificationException", 0)),
            "reconnects": int(sink.totals["GremlinReconnects"]),
            "retries": int(sink.totals["GremlinRetries"]),
            "errors_by_code": stats["errors_by_code"],
            "chaos": self.o.chaos,
            "iam": self.o.iam,
            "sigv4_signing_ms": _percentiles(sink.values.get("SigV4SigningTime", [])),
            "finished": finished,
            "duration_s": round(duration_s, 2),
            "graph_check": check,
        }
        report["ok"] = bool(finished and not lost and check["ok"] and poison <= dlq)
        return report


def _record(body: str) -> Any:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    return SQSRecord(sqs_record(body))


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    if len(values) == 1:
        return {"p50": round(values[0], 2), "p95": round(values[0], 2), "p99": round(values[0], 2)}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(q[49], 2), "p95": round(q[94], 2), "p99": round(q[98], 2)}


def _log_to(context: ExecutionContext, stream: Any) -> Any:
    """Send the handler's Powertools log lines to the run's handler.log instead of the terminal."""
    handler = context.worker.logger.registered_handler
    if hasattr(handler, "setStream"):
        handler.setStream(stream)
        return handler
    return None
