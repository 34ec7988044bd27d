"""Local SQS: moto's server (or a given endpoint), a queue with a DLQ, Lambda-shaped records.

Why moto's *server* rather than its in-process mocks: the event source mapping talks to SQS
over HTTP with a real aiobotocore client, exactly as code against AWS would, and moto's server
implements what the pipeline depends on: long polling, visibility timeouts, receive counts and
redrive to a dead-letter queue after ``maxReceiveCount`` receives.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from aiobotocore.session import get_session

from ..lambda_events import DEFAULT_REGION

LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class MotoServer:
    """moto's threaded server on an OS-chosen port."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> str:
        self._server.start()
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()


@dataclass
class QueueStats:
    queue_visible: int
    queue_in_flight: int
    dlq_visible: int


class LocalQueues:
    """A work queue and its DLQ on one SQS endpoint. Use as ``async with``."""

    def __init__(self, endpoint_url: str, *, name: str, visibility_timeout_s: int, max_receive_count: int,
                 fifo: bool = False, region: str = DEFAULT_REGION) -> None:
        self.endpoint_url = endpoint_url
        self.name = name + (".fifo" if fifo and not name.endswith(".fifo") else "")
        self.fifo = fifo
        self.visibility_timeout_s = visibility_timeout_s
        self.max_receive_count = max_receive_count
        self.region = region
        self._stack = AsyncExitStack()
        self._consume = asyncio.Lock()
        self.client: Any = None
        self.url = ""
        self.arn = ""
        self.dlq_url = ""
        self.dlq_arn = ""

    async def __aenter__(self) -> LocalQueues:
        self.client = await self._stack.enter_async_context(get_session().create_client(
            "sqs", region_name=self.region, endpoint_url=self.endpoint_url, **LOCAL_CREDENTIALS))
        fifo_attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "false"} if self.fifo else {}
        dlq_name = self.name.replace(".fifo", "") + "-dlq" + (".fifo" if self.fifo else "")
        self.dlq_url = (await self.client.create_queue(QueueName=dlq_name, Attributes=fifo_attrs))["QueueUrl"]
        self.dlq_arn = await self._arn(self.dlq_url)
        redrive = json.dumps({"deadLetterTargetArn": self.dlq_arn, "maxReceiveCount": str(self.max_receive_count)})
        self.url = (await self.client.create_queue(QueueName=self.name, Attributes={
            "VisibilityTimeout": str(self.visibility_timeout_s), "RedrivePolicy": redrive, **fifo_attrs,
        }))["QueueUrl"]
        self.arn = await self._arn(self.url)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    async def _arn(self, url: str) -> str:
        attrs = await self.client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return str(attrs["Attributes"]["QueueArn"])

    async def send(self, body: str, *, group_id: str | None = None, dedup_id: str | None = None,
                   trace_header: str | None = None, traceparent: str | None = None) -> str:
        kwargs: dict[str, Any] = {"QueueUrl": self.url, "MessageBody": body}
        if group_id is not None:
            kwargs["MessageGroupId"] = group_id
            kwargs["MessageDeduplicationId"] = dedup_id or str(time.time_ns())
        if trace_header:
            kwargs["MessageSystemAttributes"] = {"AWSTraceHeader": {"DataType": "String", "StringValue": trace_header}}
        if traceparent:
            kwargs["MessageAttributes"] = {"traceparent": {"DataType": "String", "StringValue": traceparent}}
        return str((await self.client.send_message(**kwargs))["MessageId"])

    async def receive(self, max_messages: int, wait_s: int) -> list[dict[str, Any]]:
        """Up to ``max_messages`` (<= 10, SQS's limit per call), long-polling up to ``wait_s``.

        Receives and deletes are serialized: moto's server is not safe against concurrent
        receives that move the same message to the DLQ (it can lose the message). Real SQS has
        no such limit; here it only costs some polling concurrency.
        """
        async with self._consume:
            response = await self.client.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=max(1, min(max_messages, 10)), WaitTimeSeconds=wait_s,
                AttributeNames=["All"], MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
        return list(response.get("Messages", []))

    async def delete(self, receipt_handles: list[str]) -> None:
        for start in range(0, len(receipt_handles), 10):
            chunk = receipt_handles[start:start + 10]
            async with self._consume:
                    await self.client.delete_message_batch(QueueUrl=self.url, Entries=[
                    {"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(chunk)])

    async def stats(self) -> QueueStats:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        main = (await self.client.get_queue_attributes(QueueUrl=self.url, AttributeNames=names))["Attributes"]
        dlq = (await self.client.get_queue_attributes(QueueUrl=self.dlq_url, AttributeNames=names))["Attributes"]
        return QueueStats(int(main["ApproximateNumberOfMessages"]), int(main["ApproximateNumberOfMessagesNotVisible"]),
                          int(dlq["ApproximateNumberOfMessages"]) + int(dlq["ApproximateNumberOfMessagesNotVisible"]))

    async def dlq_message_ids(self, expected: set[str]) -> list[str]:
        """Ids of the messages in the DLQ, looking until the ``expected`` ones were all seen.

        SQS moves a message that used up its receives to the DLQ on the next receive from the
        queue, so one receive (with a zero visibility timeout) is made first. DLQ messages are
        read with a visibility timeout, so each read returns others; they stay in the DLQ and
        become visible again a minute later.
        """
        async with self._consume:
            await self.client.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                              WaitTimeSeconds=0)
        seen: dict[str, None] = {}
        give_up = time.monotonic() + self.visibility_timeout_s + 3.0
        while True:
            response = await self.client.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10,
                                                         VisibilityTimeout=60, WaitTimeSeconds=0)
            batch = [m["MessageId"] for m in response.get("Messages", [])]
            seen.update(dict.fromkeys(batch))
            if (expected <= seen.keys() and not batch) or time.monotonic() > give_up:
                return list(seen)
            if not batch:
                await asyncio.sleep(0.2)  # waiting for in-flight messages to become visible again


def to_lambda_record(message: dict[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """An SQS ``ReceiveMessage`` result as Lambda's event source mapping hands it to a function.

    Lambda renames fields (``MessageId`` -> ``messageId``...), lower-camel-cases message
    attribute fields and adds ``eventSource``, ``eventSourceARN`` and ``awsRegion``.
    """
    attributes = {k: str(v) for k, v in message.get("Attributes", {}).items()}
    message_attributes = {}
    for name, attr in message.get("MessageAttributes", {}).items():
        message_attributes[name] = {
            "stringValue": attr.get("StringValue"),
            "binaryValue": attr.get("BinaryValue"),
            "stringListValues": attr.get("StringListValues", []),
            "binaryListValues": attr.get("BinaryListValues", []),
            "dataType": attr.get("DataType", "String"),
        }
        if message_attributes[name]["binaryValue"] is None:
            del message_attributes[name]["binaryValue"]
        if message_attributes[name]["stringValue"] is None:
            del message_attributes[name]["stringValue"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
