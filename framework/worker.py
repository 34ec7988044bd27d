"""``GraphWorker``: an SQS-triggered Lambda handler that turns messages into graph upserts.

::

    worker = GraphWorker(service="orders")

    @worker.upserts(model=OrderPlaced)
    def to_graph(msg: OrderPlaced) -> Iterable[Write]:
        yield Vertex(id=msg.customer_id, label="Customer", props={"name": msg.name})
        yield Edge(label="PLACED", from_id=msg.customer_id, to_id=msg.order_id)

    handler = worker.handler   # returns {"batchItemFailures": [...]}

How an invocation runs (all on one event loop that lives as long as the execution context, so
the one graph connection survives between invocations), in three phases that cannot wait on
each other:

1. **Read and map** every record (:mod:`framework.records`, :mod:`framework.mapping`): a record
   of any shape is read without raising; its body is parsed with the model and the user's
   function runs; whatever fails (a missing body, JSON nested too deep, an exception of any
   type in the user's function, an invalid upsert) fails that message alone with its reason.
2. **Write** the batch once for all mapped messages (:class:`framework.batch_writer.BatchWriter`):
   upserts coalesced across messages, vertices first, in as few requests as the limits allow,
   bisection isolating elements Neptune refuses, a deadline guard that stops starting requests
   before the Lambda times out, and a hard stop that abandons anything still waiting.
3. **Report** through Powertools' batch processor (:class:`GraphBatchProcessor`, an
   ``AsyncBatchProcessor`` subclass): a message succeeds only if every one of its upserts was
   confirmed committed; the failures become ``batchItemFailures``.

FIFO queues (event source ARN ending in ``.fifo``) are written in rounds: the k-th message of
every message group in round k. When a message fails, the later messages of its group are not
written and are failed too (SQS must not apply them out of order); other groups go on.

Edges whose endpoint vertex does not exist yet (a standard queue delivers out of order) fail
their message with a retriable reason (Neptune's ``ConstraintViolationException``): SQS
redelivers it after the visibility timeout, when the vertex has usually arrived; after
``maxReceiveCount`` deliveries it goes to the DLQ. Endpoint vertices are never invented.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import AsyncBatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from pydantic import BaseModel

from . import lifecycle
from .batch_writer import BACKPRESSURE_KINDS, BatchWriter, WriteOutcome
from .batching import coalesce
from .client import GraphClient
from .deadline import InvocationDeadline
from .errors import GraphWorkerError
from .mapping import Mapper, MessageFailed, parse_body, run_mapper
from .records import InboundRecord, is_fifo_event, queue_name, read_record
from .redelivery import RedeliveryBackoff, enabled_from
from .telemetry import MetricsSink, Telemetry, force_flush, get_tracer
from .telemetry import catalog as m
from .upserts import Write
from .worker_config import WorkerConfig

__all__ = ["GraphBatchProcessor", "GraphWorker", "Mapper", "MessageFailed"]

_loop: asyncio.AbstractEventLoop | None = None
_loop_closer_installed = False


@dataclass(eq=False)
class _Message:
    """One record's work: its upserts, and whether they were all confirmed or why not."""

    record: InboundRecord
    upserts: list[Write] | None = None
    failure: tuple[str, str] | None = None
    done: bool = False
    """Every upsert confirmed committed."""

    @property
    def key(self) -> str:
        return str(self.record.index)

    @property
    def message_id(self) -> str | None:
        return self.record.message_id

    @property
    def group(self) -> str | None:
        return self.record.group_id

    def fail(self, kind: str, reason: str) -> None:
        if self.failure is None and not self.done:
            self.failure = (kind, reason)


class GraphWorker:
    """An SQS batch handler writing idempotent upserts to Neptune. See the module docstring.

    ``service`` names every signal: the Powertools logger, the ``service`` dimension of every
    metric and the ``service.name`` of spans (default: ``POWERTOOLS_SERVICE_NAME``, else
    ``graphworker``).
    """

    def __init__(self, service: str | None = None, *, config: WorkerConfig | None = None,
                 client: Callable[[], GraphClient] | None = None, telemetry: Telemetry | None = None,
                 logger: Logger | None = None) -> None:
        self.service = service
        self.config = config or WorkerConfig.from_env()
        self._client_factory = client
        self._telemetry = telemetry
        self._default_telemetry: Telemetry | None = None
        self._redelivery: RedeliveryBackoff | None = None
        self.logger = logger or Logger(service=service)
        self._model: type[BaseModel] | None = None
        self._mapper: Mapper | None = None
        self.cold = True
        """True until the first invocation: one worker per execution context, so this is its cold start."""
        self.handler: Callable[[dict[str, Any], Any], PartialItemFailureResponse] = (
            self.logger.inject_lambda_context(self._handle, clear_state=True))

    @property
    def redelivery(self) -> RedeliveryBackoff | None:
        """The execution context's redelivery backoff, or None when it is off (see :mod:`framework.redelivery`)."""
        if self._redelivery is None and enabled_from(self.config.redelivery_backoff, os.environ):
            self._redelivery = RedeliveryBackoff(base_s=self.config.redelivery_base_s,
                                                 max_s=self.config.redelivery_max_s)
        return self._redelivery

    @property
    def telemetry(self) -> Telemetry:
        """The worker's telemetry: the one given, else one named after ``service`` (made on first use)."""
        if self._telemetry is not None:
            return self._telemetry
        if self._default_telemetry is None:
            self._default_telemetry = Telemetry(tracer=get_tracer(self.service),
                                                metrics=MetricsSink(service=self.service))
        return self._default_telemetry

    async def aclose(self) -> None:
        """Release what the worker opened besides the graph client (the redelivery backoff's SQS client)."""
        if self._redelivery is not None:
            await self._redelivery.close()

    # ------------------------------------------------------------------ registration
    def upserts(self, model: type[BaseModel] | None = None) -> Callable[[Mapper], Mapper]:
        """Register the function mapping one message to its upserts (sync or async, may be a generator).

        ``model``: a Pydantic model the JSON body is validated into; without one the function
        gets the parsed JSON.
        """
        def register(fn: Mapper) -> Mapper:
            if self._mapper is not None:
                raise GraphWorkerError("this worker already has an upserts function")
            self._model, self._mapper = model, fn
            return fn

        return register

    # ------------------------------------------------------------------ entry points
    def _handle(self, event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
        """The Lambda entry point (sync): runs :meth:`process` on the execution context's loop."""
        global _loop, _loop_closer_installed
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise GraphWorkerError("worker.handler is the synchronous Lambda entry point; from async code "
                                   "await worker.process(event, context) instead")
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
        if not _loop_closer_installed:
            # Registered before the client's own exit hook, so it runs after it: close the
            # connection on the loop first, then the loop itself.
            atexit.register(_close_loop)
            _loop_closer_installed = True
        return _loop.run_until_complete(self.process(event, context))

    async def process(self, event: dict[str, Any], context: Any, *,
                      client: GraphClient | None = None) -> PartialItemFailureResponse:
        """Process one SQS event on the running loop; returns Powertools' partial batch response.

        ``client``: the graph client for this call; default: the worker's ``client`` factory, else
        the execution context's client (:func:`framework.lifecycle.get_client`).
        """
        if self._mapper is None:
            raise GraphWorkerError("no upserts function registered: decorate one with @worker.upserts(...)")
        records = event.get("Records") if isinstance(event, dict) else None
        if not isinstance(records, list):
            raise ValueError("not an SQS event: expected a dict with a 'Records' list")
        if client is None:
            client = (self._client_factory() if self._client_factory
                      else lifecycle.get_client(telemetry=self.telemetry))
        telemetry = self._telemetry or client.telemetry
        processor = GraphBatchProcessor(self, client, telemetry, context)
        with processor(records, processor.record_handler, context):
            await processor.process_records()
        return processor.response()

    # ------------------------------------------------------------------ mapping
    async def map_body(self, body: str) -> list[Write]:
        """Body -> model -> user function -> validated upserts; raises MessageFailed with the reason."""
        if self._mapper is None:
            raise GraphWorkerError("no upserts function registered: decorate one with @worker.upserts(...)")
        return await run_mapper(self._mapper, parse_body(body, self._model))

    async def map_record(self, record: SQSRecord | dict[str, Any]) -> list[Write]:
        """Like :meth:`map_body` for one SQS record (a Powertools ``SQSRecord`` or the raw dict)."""
        inbound = read_record(0, getattr(record, "raw_event", record))
        if inbound.body is None:
            raise MessageFailed("invalid_record", inbound.problem or "the record has no body")
        return await self.map_body(inbound.body)


class GraphBatchProcessor(AsyncBatchProcessor):
    """Powertools' ``AsyncBatchProcessor``, with the batch-wide write before the reporting.

    Differences from the base class, and why:

    - ``process_records`` (async) replaces ``async_process`` (sync), so the work runs on the
      caller's long-lived loop where the graph connection lives, not on a fresh loop per call.
    - Records are mapped, then written together, then reported: the record handler only reports
      an outcome decided before it runs, so no record can wait on another.
    - Records sharing a ``messageId`` are reported once: failed if any of them failed.
      Records without a usable ``messageId`` (never sent by Lambda) cannot appear in
      ``batchItemFailures``; they are logged and counted, and the rest of the batch goes on.
    - ``raise_on_entire_batch_failure`` is off: a batch in which every message failed is still
      reported message by message (SQS redelivers each), never as an invocation error.
    """

    def __init__(self, worker: GraphWorker, client: GraphClient, telemetry: Telemetry, context: Any) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.worker = worker
        self.client = client
        self.telemetry = telemetry
        self.context = context
        self._messages: list[_Message] = []
        self._by_id: dict[str, list[_Message]] = {}
        self.requests = 0

    def async_process(self) -> list[tuple[Any, ...]]:
        """Refused: Powertools' entry points (``async_process_partial_response``, ``async_batch_processor``)
        call this, which would run only the reporting step and answer every record as succeeded
        with nothing mapped or written. Drive the processor through ``GraphWorker.process``."""
        raise TypeError("GraphBatchProcessor writes the batch in process_records(): call GraphWorker.process() "
                        "(or worker.handler), not Powertools' async_process_partial_response/async_process")

    # -------------------------------------------------------------- Powertools hooks
    async def record_handler(self, record: SQSRecord) -> str:
        """Reports the outcome already decided for every record with this record's message id."""
        message_id = record.message_id
        for message in self._by_id.get(message_id, []):
            if message.failure is not None:
                kind, reason = message.failure
                raise MessageFailed(kind, reason)
            if not message.done:
                raise MessageFailed("write_failed", "not confirmed committed")
        return message_id

    async def process_records(self) -> None:
        cold, self.worker.cold = self.worker.cold, False
        self._messages = [_Message(read_record(i, raw)) for i, raw in enumerate(self.records)]
        self._by_id = {}
        for message in self._messages:
            if message.message_id is not None:
                self._by_id.setdefault(message.message_id, []).append(message)
            if message.record.problem is not None:
                message.fail("invalid_record", message.record.problem)
        deadline = InvocationDeadline.from_context(self.context, self.worker.config.deadline_margin_s)
        metrics = self.telemetry.metrics
        with self.telemetry.tracer.start_as_current_span(
            _function_name(self.context), kind=SpanKind.CONSUMER, attributes=_faas_attributes(self.context, cold),
        ) as span:
            metrics.add(m.MESSAGES_RECEIVED, len(self.records))
            metrics.add(m.BATCH_SIZE, len(self.records))
            if deadline is not None and deadline.soft_left() <= 0:
                self.worker.logger.warning(
                    "GRAPHWORKER_DEADLINE_MARGIN_S leaves no time to write in this invocation",
                    extra={"deadline_margin_s": self.worker.config.deadline_margin_s,
                           "remaining_ms": round((deadline.timeout_at - time.monotonic()) * 1000)})
            await self._map_and_write(deadline)
            failed = sum(1 for msg in self._messages if msg.failure is not None)
            span.set_attribute("messaging.batch.message_count", len(self.records))
            span.set_attribute("graphworker.failed_messages", failed)
            span.set_attribute("graphworker.requests", self.requests)
            if failed:
                span.set_status(Status(StatusCode.ERROR, f"{failed} message(s) failed"))
            self._report()
            limits = self.client.limits
            metrics.add(m.IN_FLIGHT_LIMIT, limits.limit)
            metrics.add(m.IN_FLIGHT_PEAK, limits.peak_in_flight)
            metrics.add(m.REQUEST_SIZE_LIMIT, limits.records)
            span.set_attribute("graphworker.in_flight_limit", limits.limit)
            span.set_attribute("graphworker.in_flight_peak", limits.peak_in_flight)
            span.set_attribute("graphworker.request_size_limit", limits.records)
            span.set_attribute("graphworker.breaker_state", self.client.breaker.state)
            limits.reset_peak()
            await self._delay_redeliveries(deadline)
            reported: set[str] = set()
            for message in self._messages:
                message_id = message.message_id
                if message_id is not None and message_id not in reported:
                    reported.add(message_id)
                    await self._async_process_record(message.record.raw)
        metrics.flush()
        force_flush(_flush_budget_ms(deadline))

    async def _delay_redeliveries(self, deadline: InvocationDeadline | None) -> None:
        """Messages failed by back-pressure come back later and later (see :mod:`framework.redelivery`)."""
        redelivery = self.worker.redelivery
        if redelivery is None:
            return
        delayed = [(msg.record, kind) for msg in self._messages if msg.failure is not None
                   and msg.record.message_id is not None for kind in [msg.failure[0]] if kind in BACKPRESSURE_KINDS]
        if not delayed:
            return
        until = deadline.timeout_at - 0.05 if deadline is not None else None
        try:
            async with asyncio.timeout_at(until):
                await redelivery.delay([record for record, _ in delayed], self.telemetry.metrics)
        except TimeoutError:
            self.worker.logger.warning("redelivery delays not all set before the deadline")

    # -------------------------------------------------------------- map, then write
    async def _map_and_write(self, deadline: InvocationDeadline | None) -> None:
        try:
            async with asyncio.timeout_at(deadline.hard if deadline else None):
                await self._map_all(deadline)
                await self._write_rounds(deadline)
        except TimeoutError:
            # The hard stop: something was still waiting. Nothing unconfirmed may be reported committed.
            self.telemetry.metrics.add(m.DEADLINE_STOPS, 1)
            for message in self._messages:
                message.fail("deadline", "abandoned at the invocation's hard deadline before it was confirmed "
                             "committed; SQS redelivers it")
        except Exception as exc:  # a bug or an unexpected failure: nothing unconfirmed may be reported committed
            self.worker.logger.exception("batch write failed unexpectedly")
            for message in self._messages:
                message.fail("write_failed", f"unexpected {type(exc).__name__}: {exc}")

    async def _map_all(self, deadline: InvocationDeadline | None) -> None:
        worker = self.worker

        async def map_one(message: _Message) -> None:
            assert message.record.body is not None
            try:
                message.upserts = await worker.map_body(message.record.body)
            except MessageFailed as exc:
                message.fail(exc.kind, exc.reason)
            except Exception as exc:  # map_body turns failures into MessageFailed; belt and braces
                message.fail("mapping_error", f"{type(exc).__name__}: {exc}")

        pending = [msg for msg in self._messages if msg.failure is None]
        # Mapping may use half the time before the deadline guard: one hanging message must
        # leave the others time to be written.
        until = None if deadline is None else time.monotonic() + max(deadline.soft_left(), 0.0) / 2
        try:
            async with asyncio.timeout_at(until):
                await asyncio.gather(*(map_one(msg) for msg in pending))
        except TimeoutError:
            for message in pending:
                if message.upserts is None:
                    message.fail("deadline", "the upserts function did not finish within half the time "
                                 "left before the deadline guard")

    async def _write_rounds(self, deadline: InvocationDeadline | None) -> None:
        writer = BatchWriter(self.client, max_upserts=self.worker.config.max_upserts_per_request,
                             max_bytes=self.worker.config.max_request_bytes)
        fifo = is_fifo_event(self.records)
        blocked: dict[str, str] = {}
        total = WriteOutcome()
        try:
            for round_ in _rounds(self._messages, fifo):
                batch: list[_Message] = []
                for message in round_:
                    if message.group is not None and message.group in blocked:
                        message.fail("fifo_blocked", f"an earlier message of group {message.group!r} failed "
                                     f"({blocked[message.group]}); FIFO order requires failing the rest of the group")
                    elif message.failure is None:
                        batch.append(message)
                    if message.group is not None and message.failure is not None:
                        blocked.setdefault(message.group, message.message_id or message.key)
                if not batch:
                    continue
                await self._write_round(writer, batch, deadline, total)
                for message in batch:
                    if message.group is not None and message.failure is not None:
                        blocked.setdefault(message.group, message.message_id or message.key)
        finally:
            self.requests = total.requests
            metrics = self.telemetry.metrics
            metrics.add(m.REQUESTS_PER_BATCH, total.requests)
            for metric, keys in ((m.UPSERTS_WRITTEN, total.committed - total.stale - total.deleted),
                                 (m.STALE_WRITES_SKIPPED, total.stale), (m.ELEMENTS_DELETED, total.deleted),
                                 (m.LATE_DELETES, total.late_deletes)):
                vertices = sum(1 for kind, _ in keys if kind == "v")
                if vertices:
                    metrics.add(metric, vertices, Kind="vertex")
                if len(keys) - vertices:
                    metrics.add(metric, len(keys) - vertices, Kind="edge")
            if total.deadline_stopped:
                metrics.add(m.DEADLINE_STOPS, 1)
            if total.late_deletes:
                self.worker.logger.warning(
                    "versioned deletes arrived after newer upserts of the same elements: skipped; properties "
                    "set only by writes older than the delete may remain",
                    extra={"elements": sorted(f"{kind}:{element}" for kind, element in total.late_deletes)[:20]})

    async def _write_round(self, writer: BatchWriter, batch: Sequence[_Message],
                           deadline: InvocationDeadline | None, total: WriteOutcome) -> None:
        plan = coalesce([(msg.key, msg.upserts or []) for msg in batch])
        for message in batch:
            if message.key in plan.rejected:
                message.fail("batch_conflict", plan.rejected[message.key])
        links = [Link(msg.record.trace_context) for msg in batch if msg.record.trace_context is not None]
        queue = queue_name(self.records)
        outcome = WriteOutcome()
        with self.telemetry.tracer.start_as_current_span(
            f"{queue} process", kind=SpanKind.CONSUMER, links=links,
            attributes={"messaging.system": "aws_sqs", "messaging.operation.type": "process",
                        "messaging.operation.name": "process",
                        "messaging.destination.name": queue,
                        "messaging.batch.message_count": len(batch),
                        "graphworker.elements": len(plan.elements)},
        ) as span:
            try:
                await writer.write(plan.vertices, plan.edges, deadline=deadline.soft if deadline else None,
                                   outcome=outcome)
            finally:
                total.merge(outcome)
                span.set_attribute("graphworker.requests", outcome.requests)
                span.set_attribute("graphworker.bisections", outcome.bisections)
                span.set_attribute("graphworker.stale_skipped", len(outcome.stale))
                if outcome.stale:
                    span.add_event("stale_writes_skipped", {
                        "graphworker.stale_skipped.vertex": sum(1 for k, _ in outcome.stale if k == "v"),
                        "graphworker.stale_skipped.edge": sum(1 for k, _ in outcome.stale if k == "e")})
        for message in batch:
            if message.failure is not None:
                continue
            for upsert in message.upserts or []:
                if upsert.key in outcome.committed:
                    continue
                kind = outcome.failure_kind.get(upsert.key) or (
                    "deadline" if upsert.key in outcome.deadline_keys else "write_failed")
                message.fail(kind, outcome.failed.get(upsert.key, "not committed"))
                break
            else:
                message.done = True

    def _report(self) -> None:
        metrics = self.telemetry.metrics
        now_ms = time.time() * 1000
        logger = self.worker.logger
        succeeded = 0
        failed: dict[str, int] = {}
        for message in self._messages:
            sent = message.record.sent_timestamp_ms
            if sent is not None:
                metrics.add(m.MESSAGE_AGE, max(now_ms - sent, 0.0))
            if message.failure is None:
                succeeded += 1
                continue
            kind, reason = message.failure
            failed[kind] = failed.get(kind, 0) + 1
            extra = {"reason_kind": kind, "reason": reason, "record_index": message.record.index}
            if message.message_id is None:
                logger.error("record cannot be reported in batchItemFailures (no usable messageId)", extra=extra)
                continue
            with logger.append_context_keys(correlation_id=message.message_id):
                logger.warning("message failed", extra=extra)
        if succeeded:  # one data point per batch: counts are summed, per message or not
            metrics.add(m.MESSAGES_SUCCEEDED, succeeded)
        for kind, count in failed.items():
            metrics.add(m.MESSAGES_FAILED, count, Reason=kind)


def _rounds(messages: Sequence[_Message], fifo: bool) -> list[list[_Message]]:
    """Standard queues: one round. FIFO: round k holds the k-th message of every group."""
    if not fifo or not messages:
        return [list(messages)]
    by_group: dict[str, list[_Message]] = {}
    for message in messages:
        by_group.setdefault(message.group or "", []).append(message)
    depth = max(len(v) for v in by_group.values())
    return [[group[k] for group in by_group.values() if k < len(group)] for k in range(depth)]


def _flush_budget_ms(deadline: InvocationDeadline | None) -> int:
    """Span export may take at most 2 s, and never past the invocation's timeout."""
    if deadline is None:
        return 2000
    return int(max(min(2.0, deadline.timeout_at - time.monotonic() - 0.05), 0.0) * 1000)


def _close_loop() -> None:
    """At interpreter exit: close the execution context's loop (after the client closed on it)."""
    global _loop
    loop, _loop = _loop, None
    if loop is not None and not loop.is_closed() and not loop.is_running():
        lifecycle.close_on_shutdown()
        loop.close()


def _function_name(context: Any) -> str:
    return str(getattr(context, "function_name", None) or "graphworker")


def _faas_attributes(context: Any, cold: bool) -> dict[str, Any]:
    attributes: dict[str, Any] = {"faas.trigger": "pubsub", "faas.coldstart": cold, "cloud.provider": "aws",
                                  "faas.name": _function_name(context)}
    request_id = getattr(context, "aws_request_id", None)
    if request_id:
        attributes["faas.invocation_id"] = str(request_id)
    arn = getattr(context, "invoked_function_arn", None)
    if arn:
        attributes["cloud.resource_id"] = str(arn)
    return attributes
