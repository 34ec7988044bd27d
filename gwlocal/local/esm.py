"""A local event source mapping that behaves like Lambda's for SQS.

Each poller is one unit of concurrency (Lambda's ``MaximumConcurrency``): it long-polls the
queue, gathers up to ``batch_size`` messages within the batching window, invokes the handler in
its execution context with an event in Lambda's exact shape, deletes the messages not listed in
``batchItemFailures`` and leaves the rest to reappear after the visibility timeout (and, after
``maxReceiveCount`` receives, to be moved to the DLQ by SQS). An invocation that times out or
raises deletes nothing, as on Lambda.

What it reports about each message goes to callbacks (``on_committed``, ``on_exhausted``), so
the bookkeeping of a long run stays in one compact place (:class:`gwlocal.local.ledger.Ledger`).
"""

from __future__ import annotations

import asyncio
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .contexts import ExecutionContext, InvocationResult
from .sqs import LocalQueues, to_lambda_record


@dataclass
class EsmStats:
    invocations: int = 0
    cold_starts: int = 0
    recycled: int = 0
    failed_invocations: int = 0
    reported_failures: int = 0
    deleted: int = 0
    delete_failures: int = 0
    """Receipt handles DeleteMessageBatch refused (the message then reappears and is redelivered)."""
    over_visibility_timeout: int = 0
    """Invocations that ran longer than the visibility timeout: their messages may have been
    delivered again meanwhile (AWS advises a visibility timeout of 6x the function timeout)."""
    invocation_ms: array[float] = field(default_factory=lambda: array("f"))
    """Kept as 4-byte floats: a long run's bookkeeping should not show up as handler memory growth."""
    errors: list[str] = field(default_factory=list)


class EventSourceMapping:
    def __init__(self, queues: LocalQueues, new_context: Callable[[int], ExecutionContext], *, concurrency: int,
                 batch_size: int, batching_window_s: float, idle_recycle_s: float, max_invocations: int,
                 max_receive_count: int, on_committed: Callable[[str, float], None] = lambda mid, ms: None,
                 on_exhausted: Callable[[str], None] = lambda mid: None) -> None:
        self.queues = queues
        self.on_committed = on_committed
        self.on_exhausted = on_exhausted
        self.max_receive_count = max_receive_count
        self.new_context = new_context
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.batching_window_s = batching_window_s
        self.idle_recycle_s = idle_recycle_s
        self.max_invocations = max_invocations
        self.stats = EsmStats()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._contexts: dict[int, ExecutionContext] = {}

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._poller(i), name=f"esm-poller-{i}") for i in range(self.concurrency)]

    def check(self) -> None:
        """Raise the first poller crash, if any (a crashed poller would silently stop consuming)."""
        for task in self._tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise RuntimeError(f"event source mapping {task.get_name()} crashed") from task.exception()

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for context in list(self._contexts.values()):
            await context.close()
        self._contexts.clear()

    async def _poller(self, slot: int) -> None:
        while not self._stop.is_set():
            messages = await self._collect()
            if not messages:
                continue
            context = await self._context(slot)
            event = {"Records": [to_lambda_record(m, queue_arn=self.queues.arn, region=self.queues.region)
                                 for m in messages]}
            result = await context.invoke(event)
            await self._settle(messages, result)

    async def _collect(self) -> list[dict[str, Any]]:
        """One batch: up to batch_size messages, waiting at most the batching window after the first."""
        batch: list[dict[str, Any]] = []
        first_at: float | None = None
        while len(batch) < self.batch_size and not self._stop.is_set():
            if first_at is not None and time.monotonic() - first_at >= self.batching_window_s:
                break
            wait = 0 if first_at is not None else 1
            received = await self.queues.receive(self.batch_size - len(batch), wait_s=wait)
            if not received:
                if first_at is None:
                    return batch  # nothing arrived during the long poll: poll again (or stop)
                await asyncio.sleep(min(0.05, self.batching_window_s))
                continue
            if first_at is None:
                first_at = time.monotonic()
            batch.extend(received)
        return batch

    async def _context(self, slot: int) -> ExecutionContext:
        context = self._contexts.get(slot)
        if context is not None:
            idle = time.monotonic() - context.last_used
            if (self.max_invocations and context.invocations >= self.max_invocations) or idle > self.idle_recycle_s:
                await context.close()
                self.stats.recycled += 1
                context = None
        if context is None:
            context = self.new_context(slot)
            self._contexts[slot] = context
        return context

    async def _settle(self, messages: list[dict[str, Any]], result: InvocationResult) -> None:
        stats = self.stats
        stats.invocations += 1
        stats.cold_starts += int(result.cold)
        stats.invocation_ms.append(result.duration_ms)
        if result.duration_ms > self.queues.visibility_timeout_s * 1000:
            stats.over_visibility_timeout += 1
        if result.response is None:
            stats.failed_invocations += 1
            if result.error:
                stats.errors.append(result.error)
            failed = {str(m["MessageId"]) for m in messages}
        else:
            failed = {f["itemIdentifier"] for f in result.response.get("batchItemFailures", [])}
            stats.reported_failures += len(failed)
        for message in messages:
            receives = int(str(message.get("Attributes", {}).get("ApproximateReceiveCount", "1")))
            if message["MessageId"] in failed and receives >= self.max_receive_count:
                self.on_exhausted(str(message["MessageId"]))
        if result.response is None:
            return
        done = [m for m in messages if m["MessageId"] not in failed]
        if not done:
            return
        refused = set(await self.queues.delete([str(m["ReceiptHandle"]) for m in done]))
        stats.delete_failures += len(refused)
        now_ms = time.time() * 1000
        for message in done:
            if message["ReceiptHandle"] in refused:
                continue  # still in the queue: it will be delivered (and committed) again
            stats.deleted += 1
            sent = int(str(message.get("Attributes", {}).get("SentTimestamp", now_ms)))
            self.on_committed(str(message["MessageId"]), max(now_ms - sent, 0.0))
