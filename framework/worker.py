"""``GraphWorker``: an SQS-triggered Lambda handler that turns messages into graph upserts.

::

    worker = GraphWorker(service="orders")

    @worker.upserts(model=OrderPlaced)
    def to_graph(msg: OrderPlaced) -> Iterable[Upsert]:
        yield Vertex(id=msg.customer_id, label="Customer", props={"name": msg.name})
        yield Edge(label="PLACED", from_id=msg.customer_id, to_id=msg.order_id)

    handler = worker.handler   # returns {"batchItemFailures": [...]}

How an invocation runs (all on one event loop that lives as long as the execution context, so
the one graph connection survives between invocations):

1. Powertools' batch processor (:class:`GraphBatchProcessor`, an ``AsyncBatchProcessor``
   subclass) runs the record handler for every record concurrently. The record handler parses
   the body with the model, runs the user's function and validates its upserts; a message that
   fails any of that is failed alone with its reason (poison message).
2. When every record has been mapped, the batch is written once for all of them: upserts are
   coalesced across messages, vertices first, in as few requests as the limits allow, with
   bisection isolating elements Neptune refuses, and a deadline guard that stops starting
   requests before the Lambda times out.
3. Each record handler then succeeds only if every one of its message's upserts was committed;
   Powertools turns the failures into ``batchItemFailures``.

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
import inspect
import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import AsyncBatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from pydantic import BaseModel, ValidationError

from . import lifecycle
from .batch_writer import BatchWriter, WriteOutcome
from .batching import coalesce
from .client import GraphClient
from .errors import GraphWorkerError
from .telemetry import Telemetry, force_flush
from .telemetry import catalog as m
from .trace_context import message_span_context
from .upserts import Edge, Upsert, UpsertValidationError, Vertex
from .worker_config import WorkerConfig

Mapper = Callable[[Any], Iterable[Upsert]] | Callable[[Any], Any]

_loop: asyncio.AbstractEventLoop | None = None


class MessageFailed(GraphWorkerError):
    """Raised inside the record handler so Powertools reports the message in batchItemFailures."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason


@dataclass(eq=False)
class _Message:
    message_id: str
    index: int
    group: str | None
    record: SQSRecord | None = None
    upserts: list[Upsert] | None = None
    failure: tuple[str, str] | None = None

    def fail(self, kind: str, reason: str) -> None:
        if self.failure is None:
            self.failure = (kind, reason)


class GraphWorker:
    """An SQS batch handler writing idempotent upserts to Neptune. See the module docstring."""

    def __init__(self, service: str | None = None, *, config: WorkerConfig | None = None,
                 client: Callable[[], GraphClient] | None = None, telemetry: Telemetry | None = None,
                 logger: Logger | None = None) -> None:
        self.service = service
        self.config = config or WorkerConfig.from_env()
        self._client_factory = client
        self._telemetry = telemetry
        self.logger = logger or Logger(service=service)
        self._model: type[BaseModel] | None = None
        self._mapper: Mapper | None = None
        self.cold = True
        """True until the first invocation: one worker per execution context, so this is its cold start."""
        self.handler: Callable[[dict[str, Any], Any], PartialItemFailureResponse] = (
            self.logger.inject_lambda_context(self._handle, clear_state=True))

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
        global _loop
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise GraphWorkerError("worker.handler is the synchronous Lambda entry point; from async code "
                                   "await worker.process(event, context) instead")
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
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
            client = self._client_factory() if self._client_factory else lifecycle.get_client()
        telemetry = self._telemetry or client.telemetry
        processor = GraphBatchProcessor(self, client, telemetry, context)
        with processor(records, processor.record_handler, context):
            await processor.process_records()
        return processor.response()

    # ------------------------------------------------------------------ mapping
    async def map_record(self, record: SQSRecord) -> list[Upsert]:
        """Body -> model -> user function -> validated upserts; raises MessageFailed with the reason."""
        try:
            if self._model is not None:
                payload: Any = self._model.model_validate_json(record.body)
            else:
                payload = json.loads(record.body)
        except ValidationError as exc:
            raise MessageFailed("invalid_message", f"body does not match {self._model.__name__}: "  # type: ignore[union-attr]
                                f"{exc.errors(include_url=False)}") from exc
        except ValueError as exc:
            raise MessageFailed("invalid_message", f"body is not valid JSON: {exc}") from exc
        assert self._mapper is not None
        try:
            produced = self._mapper(payload)
            if inspect.isawaitable(produced):
                produced = await produced
            if inspect.isasyncgen(produced):
                upserts = [u async for u in produced]
            else:
                upserts = list(produced or ())
        except Exception as exc:
            raise MessageFailed("mapping_error", f"the upserts function raised {type(exc).__name__}: {exc}") from exc
        checked: list[Upsert] = []
        for upsert in upserts:
            if not isinstance(upsert, Vertex | Edge):
                raise MessageFailed("invalid_upsert", f"the upserts function yielded {type(upsert).__name__}, "
                                    "expected Vertex or Edge")
            try:
                upsert.validate()
            except UpsertValidationError as exc:
                raise MessageFailed("invalid_upsert", str(exc)) from exc
            checked.append(upsert)
        return checked


class GraphBatchProcessor(AsyncBatchProcessor):
    """Powertools' ``AsyncBatchProcessor``, with a batch-wide write between mapping and reporting.

    Differences from the base class, and why:

    - ``process_records`` (async) replaces ``async_process`` (sync), so the work runs on the
      caller's long-lived loop where the graph connection lives, not on a fresh loop per call.
    - Record handlers wait at a barrier until every record is mapped, then one batch write
      serves them all; each handler raises if its own message was not fully committed.
    - ``raise_on_entire_batch_failure`` is off: a batch in which every message failed is still
      reported message by message (SQS redelivers each), never as an invocation error.
    """

    def __init__(self, worker: GraphWorker, client: GraphClient, telemetry: Telemetry, context: Any) -> None:
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.worker = worker
        self.client = client
        self.telemetry = telemetry
        self.context = context
        self._messages: dict[str, _Message] = {}
        self._mapped = 0
        self._written: asyncio.Future[None] | None = None
        self.requests = 0

    # -------------------------------------------------------------- Powertools hooks
    async def record_handler(self, record: SQSRecord) -> str:
        message = self._messages[record.message_id]
        message.record = record
        try:
            message.upserts = await self.worker.map_record(record)
        except MessageFailed as exc:
            message.fail(exc.kind, exc.reason)
        self._mapped += 1
        if self._mapped == len(self.records):
            asyncio.get_running_loop().create_task(self._write_batch())
        assert self._written is not None
        await asyncio.shield(self._written)
        if message.failure is not None:
            kind, reason = message.failure
            raise MessageFailed(kind, reason)
        return message.message_id

    async def process_records(self) -> None:
        cold, self.worker.cold = self.worker.cold, False
        self._written = asyncio.get_running_loop().create_future()
        self._messages = {}
        for index, raw in enumerate(self.records):
            record = SQSRecord(raw)
            group = record.attributes.message_group_id if _is_fifo(raw) else None
            self._messages.setdefault(record.message_id, _Message(record.message_id, index, group, record))
        metrics = self.telemetry.metrics
        with self.telemetry.tracer.start_as_current_span(
            _function_name(self.context), kind=SpanKind.CONSUMER, attributes=_faas_attributes(self.context, cold),
        ) as span:
            metrics.add(m.MESSAGES_RECEIVED, len(self.records))
            metrics.add(m.BATCH_SIZE, len(self.records))
            if self.records:
                await asyncio.gather(*(self._async_process_record(r) for r in self.records))
            failed = sum(1 for msg in self._messages.values() if msg.failure)
            span.set_attribute("messaging.batch.message_count", len(self.records))
            span.set_attribute("graphworker.failed_messages", failed)
            span.set_attribute("graphworker.requests", self.requests)
            if failed:
                span.set_status(Status(StatusCode.ERROR, f"{failed} message(s) failed"))
        metrics.flush()
        force_flush()

    # -------------------------------------------------------------- the batch write
    async def _write_batch(self) -> None:
        assert self._written is not None
        try:
            await self._write_rounds()
        except Exception as exc:  # a bug or an unexpected failure: nothing may be reported as committed
            self.worker.logger.exception("batch write failed unexpectedly")
            for message in self._messages.values():
                message.fail("write_failed", f"unexpected {type(exc).__name__}: {exc}")
        finally:
            self._report()
            self._written.set_result(None)

    async def _write_rounds(self) -> None:
        margin = self.worker.config.deadline_margin_s
        deadline = None
        if self.context is not None and hasattr(self.context, "get_remaining_time_in_millis"):
            deadline = lifecycle.deadline_from_context(self.context, margin_s=margin)
        writer = BatchWriter(self.client, max_upserts=self.worker.config.max_upserts_per_request,
                             max_bytes=self.worker.config.max_request_bytes)
        blocked: dict[str, str] = {}
        total = WriteOutcome()
        for round_ in _rounds(sorted(self._messages.values(), key=lambda msg: msg.index)):
            batch: list[_Message] = []
            for message in round_:
                if message.group is not None and message.group in blocked:
                    message.fail("fifo_blocked", f"an earlier message of group {message.group!r} failed "
                                 f"({blocked[message.group]}); FIFO order requires failing the rest of the group")
                elif message.failure is None:
                    batch.append(message)
                if message.group is not None and message.failure is not None:
                    blocked.setdefault(message.group, message.message_id)
            if not batch:
                continue
            outcome = await self._write_round(writer, batch, deadline)
            total.committed |= outcome.committed
            total.requests += outcome.requests
            total.bisections += outcome.bisections
            total.deadline_stopped |= outcome.deadline_stopped
            for message in batch:
                if message.group is not None and message.failure is not None:
                    blocked.setdefault(message.group, message.message_id)
        self.requests = total.requests
        metrics = self.telemetry.metrics
        metrics.add(m.REQUESTS_PER_BATCH, total.requests)
        vertices = sum(1 for kind, _ in total.committed if kind == "v")
        if vertices:
            metrics.add(m.UPSERTS_WRITTEN, vertices, Kind="vertex")
        if len(total.committed) - vertices:
            metrics.add(m.UPSERTS_WRITTEN, len(total.committed) - vertices, Kind="edge")
        if total.deadline_stopped:
            metrics.add(m.DEADLINE_STOPS, 1)

    async def _write_round(self, writer: BatchWriter, batch: Sequence[_Message],
                           deadline: float | None) -> WriteOutcome:
        plan = coalesce([(msg.message_id, msg.upserts or []) for msg in batch])
        for message in batch:
            if message.message_id in plan.rejected:
                message.fail("batch_conflict", plan.rejected[message.message_id])
        links = [Link(ctx) for msg in batch if msg.record is not None
                 for ctx in [message_span_context(msg.record)] if ctx is not None]
        with self.telemetry.tracer.start_as_current_span(
            f"{_queue_name(self.records)} process", kind=SpanKind.CONSUMER, links=links,
            attributes={"messaging.system": "aws_sqs", "messaging.operation.type": "process",
                        "messaging.operation.name": "process",
                        "messaging.destination.name": _queue_name(self.records),
                        "messaging.batch.message_count": len(batch),
                        "graphworker.elements": len(plan.elements)},
        ) as span:
            outcome = await writer.write(plan.vertices, plan.edges, deadline=deadline)
            span.set_attribute("graphworker.requests", outcome.requests)
            span.set_attribute("graphworker.bisections", outcome.bisections)
        for message in batch:
            if message.failure is not None:
                continue
            for upsert in message.upserts or []:
                if upsert.key in outcome.committed:
                    continue
                kind = "deadline" if upsert.key in outcome.deadline_keys else "write_failed"
                message.fail(kind, outcome.failed.get(upsert.key, "not committed"))
                break
        return outcome

    def _report(self) -> None:
        metrics = self.telemetry.metrics
        now_ms = time.time() * 1000
        for message in self._messages.values():
            if message.record is not None:
                sent = message.record.attributes.sent_timestamp
                if sent and sent.isdigit():
                    metrics.add(m.MESSAGE_AGE, max(now_ms - int(sent), 0.0))
            if message.failure is None:
                metrics.add(m.MESSAGES_SUCCEEDED, 1)
                continue
            kind, reason = message.failure
            metrics.add(m.MESSAGES_FAILED, 1, Reason=kind)
            with self.worker.logger.append_context_keys(correlation_id=message.message_id):
                self.worker.logger.warning("message failed", extra={"reason_kind": kind, "reason": reason})


def _rounds(messages: Sequence[_Message]) -> list[list[_Message]]:
    """Standard queues: one round. FIFO: round k holds the k-th message of every group."""
    if not messages or messages[0].group is None:
        return [list(messages)]
    by_group: dict[str, list[_Message]] = {}
    for message in messages:
        by_group.setdefault(message.group or "", []).append(message)
    depth = max(len(v) for v in by_group.values())
    return [[group[k] for group in by_group.values() if k < len(group)] for k in range(depth)]


def _is_fifo(raw: dict[str, Any]) -> bool:
    return str(raw.get("eventSourceARN", "")).endswith(".fifo")


def _queue_name(records: Sequence[dict[str, Any]]) -> str:
    arn = str(records[0].get("eventSourceARN", "")) if records else ""
    return arn.rsplit(":", 1)[-1] or "sqs"


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

