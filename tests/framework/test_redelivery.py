"""Redelivery backoff against a real SQS API (moto's server on a free port): messages failed by
back-pressure get their own, longer visibility timeout; a poison message does not.

The queue's visibility timeout is 1 s; after 1.5 s the poison message is back and the
back-pressured ones are not (their delay is 22.5-30 s). The wait is real time passing, which is
what is being tested, so it cannot be an awaited event.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from framework import GraphWorker, Vertex, WorkerConfig
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
