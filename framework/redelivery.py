"""Redelivery backoff: a message failed by back-pressure comes back later, and later each time.

Why: with ``ReportBatchItemFailures`` a failed message reappears after the queue's visibility
timeout, and every reappearance counts towards ``maxReceiveCount``. During an outage (the
database throttling or down) every valid message would burn one receive per visibility timeout
and walk into the dead-letter queue within a few timeouts. Instead, a message that failed for
the database's sake (``database_busy``, ``circuit_open``, ``deadline``; never a poison message,
which should reach the DLQ promptly) gets its own visibility timeout, exponential in its
``ApproximateReceiveCount``, with jitter so a backlog does not come back all at once:

    delay(n) = min(max_s, base_s * 4 ** (n - 1)) * uniform(0.75, 1.0)

set with SQS ``ChangeMessageVisibilityBatch`` on the queue whose URL ``GetQueueUrl`` gives (the
function's role allows exactly those, on its own queue). With the template's defaults (60 s base,
3,600 s cap, ``maxReceiveCount`` 5) the four delays before the fifth receive add up to at least
0.75 x (60 + 240 + 960 + 3,600) s = 61 minutes: an outage that long sends no valid message to
the DLQ.

The SQS client (:class:`framework.sqs_api.SqsApi`: two signed JSON calls, no SDK) is imported and
created only the first time a delay is needed, so a healthy cold start never pays for it, and a
context under back-pressure does not load an SDK either. A failed call is counted
(``RedeliveryBackoffErrors``) and logged by the caller; the message then simply reappears after
the queue's visibility timeout.

``GRAPHWORKER_REDELIVERY_BACKOFF``: ``auto`` (default: on inside Lambda, off elsewhere, e.g. in
unit tests without an SQS), ``true`` or ``false``. ``AWS_ENDPOINT_URL_SQS`` (the SDK's own
variable) points it at a local SQS.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .records import InboundRecord
from .telemetry import MetricsSink
from .telemetry import catalog as m

SQS_MAX_VISIBILITY_S = 43_200
FACTOR = 4


def enabled_from(value: str, env: Mapping[str, str]) -> bool:
    """``auto`` means: inside Lambda (``AWS_LAMBDA_FUNCTION_NAME`` is set)."""
    if value == "auto":
        return bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
    return value == "true"


@dataclass(frozen=True, slots=True)
class QueueRef:
    region: str
    account: str
    name: str

    @classmethod
    def from_arn(cls, arn: str) -> QueueRef | None:
        parts = arn.split(":")
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not all(parts[3:]):
            return None
        return cls(parts[3], parts[4], parts[5])

    def url(self, endpoint: str | None) -> str:
        if endpoint:
            return f"{endpoint.rstrip('/')}/{self.account}/{self.name}"
        return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.name}"


class RedeliveryBackoff:
    """Sets back-pressured messages' visibility; one per execution context (its SQS client is reused)."""

    def __init__(self, *, base_s: int = 60, max_s: int = 3600, rng: random.Random | None = None,
                 client_factory: Callable[[str, str | None], Any] | None = None) -> None:
        self.base_s = base_s
        self.max_s = max(max_s, base_s)
        self._rng = rng or random.Random()
        self._clients: dict[str, Any] = {}
        self._urls: dict[QueueRef, str] = {}
        self._client_factory = client_factory or _sqs_api
        """``(region, endpoint) -> client`` with ``get_queue_url``, ``change_message_visibility_batch``
        and ``close`` (SqsApi's; tests record calls through another)."""

    def delay_for(self, receive_count: int | None) -> int:
        """Seconds until the ``receive_count``-th delivery's message reappears."""
        n = max(receive_count or 1, 1)
        ceiling = min(self.max_s, self.base_s * FACTOR ** min(n - 1, 30), SQS_MAX_VISIBILITY_S)
        return max(1, round(float(ceiling) * self._rng.uniform(0.75, 1.0)))

    async def delay(self, records: Sequence[InboundRecord], metrics: MetricsSink) -> None:
        """ChangeMessageVisibilityBatch for ``records`` (10 entries a call, per queue)."""
        by_queue: dict[QueueRef, list[InboundRecord]] = {}
        for record in records:
            queue = QueueRef.from_arn(record.source_arn or "")
            if queue is None or record.receipt_handle is None:
                continue
            by_queue.setdefault(queue, []).append(record)
        endpoint = os.environ.get("AWS_ENDPOINT_URL_SQS") or None
        for queue, pending in by_queue.items():
            client = await self._client(queue.region, endpoint)
            url = await self._queue_url(client, queue, endpoint)
            for start in range(0, len(pending), 10):
                chunk = pending[start:start + 10]
                entries = []
                for i, record in enumerate(chunk):
                    delay = self.delay_for(record.receive_count)
                    metrics.add(m.REDELIVERY_DELAYS, delay)
                    entries.append({"Id": str(i), "ReceiptHandle": record.receipt_handle, "VisibilityTimeout": delay})
                try:
                    answer = await client.change_message_visibility_batch(QueueUrl=url, Entries=entries)
                except Exception:  # any SDK failure: the message reappears after the queue's timeout
                    metrics.add(m.REDELIVERY_ERRORS, len(entries))
                    continue
                if answer.get("Failed"):
                    metrics.add(m.REDELIVERY_ERRORS, len(answer["Failed"]))

    async def _queue_url(self, client: Any, queue: QueueRef, endpoint: str | None) -> str:
        """The queue's URL, asked once per queue (SQS's GetQueueUrl); the conventional form if that fails."""
        url = self._urls.get(queue)
        if url is None:
            try:
                answer = await client.get_queue_url(QueueName=queue.name, QueueOwnerAWSAccountId=queue.account)
                url = str(answer["QueueUrl"])
            except Exception:  # no permission or an old stand-in: the documented URL form
                url = queue.url(endpoint)
            self._urls[queue] = url
        return url

    async def _client(self, region: str, endpoint: str | None) -> Any:
        client = self._clients.get(region)
        if client is None:
            client = self._clients[region] = self._client_factory(region, endpoint)
        return client

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.close()


def _sqs_api(region: str, endpoint: str | None) -> Any:
    from .sqs_api import SqsApi  # only when a delay is needed (cold start)

    return SqsApi(region, endpoint=endpoint)
