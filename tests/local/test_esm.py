"""The event source mapping against the local SQS: what a handler's ``batchItemFailures`` do.

The handler here is a scripted one (it fails the records whose body says so): what is under
test is the mapping and the queue, the way Lambda's would treat any handler's answer.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from gwlocal.local.contexts import InvocationResult
from gwlocal.local.esm import EventSourceMapping
from gwlocal.local.sqs import LocalQueues, Outgoing


class ScriptedContext:
    """An execution context whose handler fails every record with body ``fail``."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        self.invocations = 0
        self.last_used = time.monotonic()

    async def invoke(self, event: dict[str, Any]) -> InvocationResult:
        self.events.append(event)
        self.invocations += 1
        failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "fail"]
        return InvocationResult({"batchItemFailures": failures}, 1.0, self.invocations == 1)

    async def close(self) -> None:
        pass


async def test_reported_failures_come_back_until_the_dlq_and_successes_are_deleted(fauxqs_url):
    events: list[dict[str, Any]] = []
    committed: dict[str, float] = {}
    exhausted: list[str] = []
    out_of_receives = asyncio.Event()

    def on_exhausted(message_id: str) -> None:
        exhausted.append(message_id)
        out_of_receives.set()

    async with LocalQueues(fauxqs_url, name="esm-test", visibility_timeout_s=1, max_receive_count=2) as queues:
        ids = await queues.send_batch([Outgoing("ok-1"), Outgoing("fail"), Outgoing("ok-2")])
        esm = EventSourceMapping(queues, lambda slot: ScriptedContext(events), concurrency=2, batch_size=10,  # type: ignore[arg-type,return-value]
                                 batching_window_s=0.05, idle_recycle_s=60, max_invocations=0, max_receive_count=2,
                                 on_committed=committed.__setitem__, on_exhausted=on_exhausted)
        esm.start()
        try:
            await asyncio.wait_for(out_of_receives.wait(), 30)
            # The failed message is out of receives: a later receive moves it to the DLQ (the
            # queue lives in another process; its state is polled).
            for _ in range(300):
                stats = await queues.stats()
                if stats.queue_in_flight + stats.queue_visible == 0:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail(f"the queue never emptied: {stats}")
            esm.check()
        finally:
            await esm.stop()
        in_dlq = await queues.drain_dlq()
    assert set(committed) == {ids[0], ids[2]} and exhausted == [ids[1]] and in_dlq == [ids[1]]
    deliveries = [r for e in events for r in e["Records"] if r["body"] == "fail"]
    assert [r["attributes"]["ApproximateReceiveCount"] for r in deliveries] == ["1", "2"]
    records = [r for e in events for r in e["Records"]]
    assert all(r["eventSourceARN"] == queues.arn and r["eventSource"] == "aws:sqs" for r in records)
    assert esm.stats.reported_failures == 2 and esm.stats.deleted == 2
