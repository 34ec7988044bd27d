"""Redelivery backoff against a real SQS API (moto's server on a free port): messages failed by
back-pressure get their own, longer visibility timeout; a poison message does not.

The queue's visibility timeout is 1 s; after 1.5 s the poison message is back and the
back-pressured ones are not (their delay is 22.5-30 s). The wait is real time passing, which is
what is being tested, so it cannot be an awaited event.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from framework import GraphWorker, Vertex, WorkerConfig
from framework.records import read_record
from framework.redelivery import SQS_MAX_VISIBILITY_S, QueueRef, RedeliveryBackoff
from framework.sqs_api import SqsApiError
from gwlocal.lambda_events import LocalLambdaContext
from gwlocal.local.sqs import to_lambda_record

REGION = "us-east-1"


@pytest.fixture(scope="module")
def sqs_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(autouse=True)
def moto_connections_ended() -> Iterator[None]:
    """moto's server handles each client connection on a thread of its own, which ends once the client
    has closed the connection; wait for those of this test, so none is left running after it."""
    before = set(threading.enumerate())
    yield
    for thread in set(threading.enumerate()) - before:
        if thread.name.endswith("(process_request_thread)"):
            thread.join(timeout=10)


@pytest.fixture
def aws_env(monkeypatch, sqs_url, tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    for var, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_DEFAULT_REGION": REGION,
                       "AWS_ENDPOINT_URL_SQS": sqs_url, "AWS_CONFIG_FILE": str(empty),
                       "AWS_SHARED_CREDENTIALS_FILE": str(empty), "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


async def test_backpressured_messages_come_back_later_and_poison_does_not(endpoint, captured, client_factory,
                                                                          aws_env, sqs_url):
    from aiobotocore.session import get_session

    async with get_session().create_client("sqs", region_name=REGION, endpoint_url=sqs_url) as sqs:
        url = (await sqs.create_queue(QueueName=f"redelivery-{time.time_ns()}",
                                      Attributes={"VisibilityTimeout": "1"}))["QueueUrl"]
        arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
        for body in (json.dumps({"id": "a"}), json.dumps({"id": "b"}), "{poison"):
            await sqs.send_message(QueueUrl=url, MessageBody=body)
        received: list[dict[str, Any]] = []
        while len(received) < 3:
            answer = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                               WaitTimeSeconds=1)
            received += answer.get("Messages", [])
        event = {"Records": [to_lambda_record(m, queue_arn=arn, region=REGION) for m in received]}

        endpoint.apply_settings({"inject": {"code": "ThrottlingException", "rate": 1.0}})
        worker = GraphWorker(service="redelivery", telemetry=captured.telemetry,
                             config=WorkerConfig(deadline_margin_s=1.0, redelivery_backoff="true",
                                                 redelivery_base_s=30, redelivery_max_s=600),
                             client=client_factory(max_attempts=1))

        @worker.upserts()
        def to_graph(msg: dict[str, Any]):
            return [Vertex(msg["id"], "V")]

        try:
            response = await worker.process(event, LocalLambdaContext(timeout_s=10))
        finally:
            assert worker.redelivery is not None
            await worker.redelivery.close()
        assert len(response["batchItemFailures"]) == 3
        delays = captured.values("RedeliveryDelay")
        assert len(delays) == 2 and all(22.5 <= d <= 30 for d in delays)  # first receive: the base delay
        assert captured.count("RedeliveryBackoffErrors") == 0

        await asyncio.sleep(1.5)  # past the queue's own 1 s visibility timeout
        answer = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        assert [m["Body"] for m in answer.get("Messages", [])] == ["{poison"]


class Jitter(random.Random):
    """The backoff's injected random source, pinned to one end of its jitter range."""

    def __init__(self, end: str) -> None:
        super().__init__(0)
        self.end = end

    def uniform(self, a: float, b: float) -> float:
        return a if self.end == "low" else b


def test_delays_grow_fourfold_from_the_base_up_to_the_cap() -> None:
    top = RedeliveryBackoff(rng=Jitter("high"))  # the template's defaults: 60 s base, 3,600 s cap
    assert [top.delay_for(n) for n in (1, 2, 3, 4, 5, 50)] == [60, 240, 960, 3600, 3600, 3600]
    assert top.delay_for(None) == top.delay_for(0) == 60  # no ApproximateReceiveCount: a first receive
    low = RedeliveryBackoff(rng=Jitter("low"))
    assert [low.delay_for(n) for n in (1, 2, 3, 4)] == [45, 180, 720, 2700]  # 0.75 of each


def test_delays_never_exceed_sqs_maximum_visibility_and_a_cap_below_the_base_is_the_base() -> None:
    assert RedeliveryBackoff(base_s=60, max_s=10**6, rng=Jitter("high")).delay_for(20) == SQS_MAX_VISIBILITY_S
    assert RedeliveryBackoff(base_s=100, max_s=10, rng=Jitter("high")).delay_for(3) == 100
    assert RedeliveryBackoff(base_s=1, max_s=1, rng=Jitter("low")).delay_for(1) == 1  # never 0 (0 = visible now)


def test_jittered_delays_stay_within_three_quarters_and_all_of_the_ceiling() -> None:
    backoff = RedeliveryBackoff(base_s=60, max_s=3600, rng=random.Random(11))
    for n, ceiling in ((1, 60), (2, 240), (3, 960), (6, 3600)):
        delays = {backoff.delay_for(n) for _ in range(200)}
        assert min(delays) >= 0.75 * ceiling and max(delays) <= ceiling and len(delays) > 5


@pytest.mark.parametrize(("arn", "expected"), [
    ("arn:aws:sqs:eu-west-1:123456789012:orders", QueueRef("eu-west-1", "123456789012", "orders")),
    ("arn:aws:sqs:eu-west-1:123456789012:orders.fifo", QueueRef("eu-west-1", "123456789012", "orders.fifo")),
    ("arn:aws:sns:eu-west-1:123456789012:orders", None),       # not a queue
    ("urn:aws:sqs:eu-west-1:123456789012:orders", None),
    ("arn:aws:sqs::123456789012:orders", None),                # no region
    ("arn:aws:sqs:eu-west-1::orders", None),                   # no account
    ("arn:aws:sqs:eu-west-1:123456789012:", None),             # no name
    ("arn:aws:sqs:eu-west-1:123456789012", None),
    ("arn:aws:sqs:eu-west-1:123456789012:orders:extra", None),
    ("", None),
])
def test_queue_arns_are_read_strictly(arn: str, expected: QueueRef | None) -> None:
    assert QueueRef.from_arn(arn) == expected


def test_queue_urls_are_the_regional_endpoint_or_the_configured_one() -> None:
    queue = QueueRef("eu-west-1", "123456789012", "orders")
    assert queue.url(None) == "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
    assert queue.url("http://127.0.0.1:4566/") == "http://127.0.0.1:4566/123456789012/orders"
    assert queue.url("http://127.0.0.1:4566") == "http://127.0.0.1:4566/123456789012/orders"


async def _received(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    """``count`` distinct messages, received (each once) and then made visible again at once."""
    messages: list[dict[str, Any]] = []
    while len(messages) < count:
        answer = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                           VisibilityTimeout=60, WaitTimeSeconds=1)
        messages += answer.get("Messages", [])
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                   for i, m in enumerate(messages[start:start + 10])]
        assert not (await sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)).get("Failed")
    return messages


async def _queue(sqs: Any) -> tuple[str, str]:
    url = (await sqs.create_queue(QueueName=f"backoff-{time.time_ns()}"))["QueueUrl"]
    arn = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"]))["Attributes"]["QueueArn"]
    return url, arn


async def test_every_record_is_hidden_in_batches_of_ten_and_unusable_ones_are_skipped(aws_env, sqs_url, captured):
    """12 messages (two ChangeMessageVisibilityBatch calls: SQS takes at most 10 entries); each message is
    visible again when the backoff starts, so whatever it does not hide is received at once afterwards."""
    from aiobotocore.session import get_session

    async with get_session().create_client("sqs", region_name=REGION, endpoint_url=sqs_url) as sqs:
        url, arn = await _queue(sqs)
        for i in range(13):
            await sqs.send_message(QueueUrl=url, MessageBody=str(i))
        messages = await _received(sqs, url, 13)
        records = [read_record(i, to_lambda_record(m, queue_arn=arn, region=REGION)) for i, m in enumerate(messages)]
        skipped = read_record(99, {**to_lambda_record(messages[12], queue_arn=arn, region=REGION),
                                   "eventSourceARN": "not-an-arn"})
        backoff = RedeliveryBackoff(base_s=60, max_s=600, rng=random.Random(1))
        try:
            await backoff.delay([skipped, *records[:12]], captured.telemetry.metrics)
        finally:
            await backoff.close()
        assert len(captured.values("RedeliveryDelay")) == 12 and captured.count("RedeliveryBackoffErrors") == 0
        answer = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        assert [m["Body"] for m in answer.get("Messages", [])] == [messages[12]["Body"]]  # only the skipped one


async def test_failed_entries_and_failed_calls_are_counted_and_other_queues_still_delayed(aws_env, sqs_url, captured):
    from aiobotocore.session import get_session

    async with get_session().create_client("sqs", region_name=REGION, endpoint_url=sqs_url) as sqs:
        url, arn = await _queue(sqs)
        for i in range(2):
            await sqs.send_message(QueueUrl=url, MessageBody=str(i))
        messages = await _received(sqs, url, 2)
        good = read_record(0, to_lambda_record(messages[0], queue_arn=arn, region=REGION))
        stale = read_record(1, {**to_lambda_record(messages[1], queue_arn=arn, region=REGION),
                                "receiptHandle": "not-a-receipt-handle"})
        gone_arn = arn.rsplit(":", 1)[0] + ":no-such-queue"
        gone = [read_record(10 + i, {**to_lambda_record(messages[0], queue_arn=gone_arn, region=REGION),
                                     "messageId": f"gone-{i}"}) for i in range(12)]
        backoff = RedeliveryBackoff(rng=random.Random(1))
        try:
            await backoff.delay([*gone, good, stale], captured.telemetry.metrics)
        finally:
            await backoff.close()
        # the missing queue's 12 entries (both of its calls) fail, and the bad receipt handle; the good one is hidden
        assert captured.count("RedeliveryBackoffErrors") == 13
        answer = await sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        assert [m["Body"] for m in answer.get("Messages", [])] == [messages[1]["Body"]]


async def test_the_client_is_closed_and_made_again_after_close(aws_env, sqs_url, captured):
    from aiobotocore.session import get_session

    async with get_session().create_client("sqs", region_name=REGION, endpoint_url=sqs_url) as sqs:
        url, arn = await _queue(sqs)
        backoff = RedeliveryBackoff(rng=random.Random(1))
        for round_ in range(2):
            await sqs.send_message(QueueUrl=url, MessageBody=str(round_))
            (message,) = await _received(sqs, url, 1)
            await backoff.delay([read_record(0, to_lambda_record(message, queue_arn=arn, region=REGION))],
                                captured.telemetry.metrics)
            (client,) = backoff._clients.values()
            await backoff.close()
            assert client._session is None  # its HTTP session is closed: no socket left behind
            with pytest.raises(SqsApiError, match="ClientClosed"):
                await client.get_queue_url(QueueName="x", QueueOwnerAWSAccountId="1")
        assert captured.count("RedeliveryBackoffErrors") == 0 and len(captured.values("RedeliveryDelay")) == 2
