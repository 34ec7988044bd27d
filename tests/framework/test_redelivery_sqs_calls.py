"""What the redelivery backoff asks SQS for, call by call: one client per region (made with the
queue's region and the configured endpoint), one GetQueueUrl per queue, and the entries of each
ChangeMessageVisibilityBatch (ids, receipt handles, delays by receive count).

The SQS client is replaced at the AWS boundary (the backoff's client factory) by a recorder, so
every argument that would go on the wire is seen exactly; ``test_redelivery.py`` and
``test_sqs_api.py`` make the same calls against a real SQS server.
"""

from __future__ import annotations

import random
from typing import Any

from framework.records import read_record
from framework.redelivery import QueueRef, RedeliveryBackoff

ARN = "arn:aws:sqs:eu-west-1:123456789012:orders"
ASKED_URL = "https://queue.example/custom/orders"  # what GetQueueUrl answers: not the conventional form


class High(random.Random):
    """Jitter pinned to the top of its range: the delay is the ceiling itself."""

    def uniform(self, a: float, b: float) -> float:
        return b


class RecordingSqs:
    def __init__(self, *, url_denied: bool) -> None:
        self.url_denied = url_denied
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.closed = False

    async def get_queue_url(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("GetQueueUrl", kwargs))
        if self.url_denied:
            raise PermissionError("AccessDenied: sqs:GetQueueUrl")
        return {"QueueUrl": ASKED_URL}

    async def change_message_visibility_batch(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("ChangeMessageVisibilityBatch", kwargs))
        return {"Successful": [{"Id": e["Id"]} for e in kwargs["Entries"]]}

    async def close(self) -> None:
        self.closed = True


class RecordingFactory:
    """Stands in for the SQS client factory (the AWS boundary): records each client made and its calls."""

    def __init__(self, *, url_denied: bool = False) -> None:
        self.url_denied = url_denied
        self.created: list[tuple[str, str | None]] = []
        self.clients: list[RecordingSqs] = []

    def __call__(self, region: str, endpoint: str | None) -> RecordingSqs:
        self.created.append((region, endpoint))
        client = RecordingSqs(url_denied=self.url_denied)
        self.clients.append(client)
        return client


def _record(index: int, receive_count: int) -> Any:
    return read_record(index, {"messageId": f"m{index}", "receiptHandle": f"handle-{index}", "body": "{}",
                               "eventSourceARN": ARN,
                               "attributes": {"ApproximateReceiveCount": str(receive_count)}})


async def test_one_client_and_one_url_lookup_serve_every_batch(monkeypatch, captured):
    session = RecordingFactory()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "")  # set but empty: no endpoint
    backoff = RedeliveryBackoff(base_s=60, max_s=3600, rng=High(), client_factory=session)
    try:
        await backoff.delay([_record(0, 1), _record(1, 3)], captured.telemetry.metrics)
        await backoff.delay([_record(2, 2)], captured.telemetry.metrics)
    finally:
        await backoff.close()
    assert session.created == [("eu-west-1", None)]
    (client,) = session.clients
    assert client.calls == [
        ("GetQueueUrl", {"QueueName": "orders", "QueueOwnerAWSAccountId": "123456789012"}),
        ("ChangeMessageVisibilityBatch", {"QueueUrl": ASKED_URL, "Entries": [
            {"Id": "0", "ReceiptHandle": "handle-0", "VisibilityTimeout": 60},
            {"Id": "1", "ReceiptHandle": "handle-1", "VisibilityTimeout": 960}]}),
        ("ChangeMessageVisibilityBatch", {"QueueUrl": ASKED_URL, "Entries": [
            {"Id": "0", "ReceiptHandle": "handle-2", "VisibilityTimeout": 240}]}),
    ]
    assert client.closed
    assert captured.values("RedeliveryDelay") == [60, 960, 240]


async def test_without_get_queue_url_the_configured_endpoint_gives_the_url(monkeypatch, captured):
    session = RecordingFactory(url_denied=True)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:4566/")
    backoff = RedeliveryBackoff(base_s=60, max_s=3600, rng=High(), client_factory=session)
    try:
        await backoff.delay([_record(0, 1)], captured.telemetry.metrics)
        await backoff.delay([_record(1, 1)], captured.telemetry.metrics)
    finally:
        await backoff.close()
    assert session.created == [("eu-west-1", "http://127.0.0.1:4566/")]
    (client,) = session.clients
    local_url = "http://127.0.0.1:4566/123456789012/orders"
    assert client.calls == [
        ("GetQueueUrl", {"QueueName": "orders", "QueueOwnerAWSAccountId": "123456789012"}),  # asked once only
        ("ChangeMessageVisibilityBatch", {"QueueUrl": local_url, "Entries": [
            {"Id": "0", "ReceiptHandle": "handle-0", "VisibilityTimeout": 60}]}),
        ("ChangeMessageVisibilityBatch", {"QueueUrl": local_url, "Entries": [
            {"Id": "0", "ReceiptHandle": "handle-1", "VisibilityTimeout": 60}]}),
    ]
    assert captured.count("RedeliveryBackoffErrors") == 0


def test_only_trailing_slashes_are_dropped_from_the_endpoint():
    queue = QueueRef("eu-west-1", "123456789012", "orders")
    assert queue.url("http://127.0.0.1:4566/PREFIX/") == "http://127.0.0.1:4566/PREFIX/123456789012/orders"
    assert queue.url("http://127.0.0.1:4566/PREFIX") == "http://127.0.0.1:4566/PREFIX/123456789012/orders"
