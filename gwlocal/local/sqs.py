"""The run's queues: a work queue and its DLQ on a local SQS server, over SQS's own protocol.

The event source mapping and the producer talk to a real SQS server over HTTP, so what the
handler is handed comes out of a real ReceiveMessage (through :mod:`.sqs_client`, SQS's JSON
protocol without the SDK's cost per call). Batch APIs are used wherever SQS has them
(SendMessageBatch, DeleteMessageBatch: 10 entries a call), because the local servers' cost
is per call.

Concurrency: fauxqs (the default server) handles each call atomically on one event loop, so
pollers receive and delete concurrently. moto's server is not safe against concurrent receives
that move the same message to the DLQ (it can lose or duplicate the message); with
``serialize_consumers`` (set for ``--sqs moto``) receives and deletes go one at a time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..lambda_events import DEFAULT_REGION
from .sqs_client import SqsJsonClient

LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
"""For SDK clients of the local servers (tests, benchmarks): any key works, none is checked."""
SQS_BATCH_MAX = 10
"""Entries per SendMessageBatch / DeleteMessageBatch call, and messages per ReceiveMessage
call: SQS's limit."""


class SqsBatchError(RuntimeError):
    """A batch call reported entries it could not apply, for a reason retrying will not fix."""


@dataclass(frozen=True)
class Outgoing:
    """One message to send."""

    body: str
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass
class QueueStats:
    queue_visible: int
    queue_in_flight: int
    dlq_visible: int


class LocalQueues:
    """A work queue and its DLQ on one SQS endpoint. Use as ``async with``.

    Queue names are stable (they name the spans, as the queue does in AWS); queues left over
    on a long-lived SQS endpoint (``--sqs-endpoint``) are purged first, so a run never sees a
    previous run's messages.
    """

    def __init__(self, endpoint_url: str, *, name: str, visibility_timeout_s: int, max_receive_count: int,
                 fifo: bool = False, region: str = DEFAULT_REGION, serialize_consumers: bool = False,
                 max_connections: int = 32) -> None:
        self.endpoint_url = endpoint_url
        base = name.removesuffix(".fifo")
        self.name = base + (".fifo" if fifo else "")
        self.dlq_name = base + "-dlq" + (".fifo" if fifo else "")
        self.fifo = fifo
        self.visibility_timeout_s = visibility_timeout_s
        self.max_receive_count = max_receive_count
        self.region = region
        self.max_connections = max_connections
        self._consume: asyncio.Lock | contextlib.nullcontext[None] = (
            asyncio.Lock() if serialize_consumers else contextlib.nullcontext())
        self.client: SqsJsonClient
        self.url = ""
        self.arn = ""
        self.dlq_url = ""
        self.dlq_arn = ""

    async def __aenter__(self) -> LocalQueues:
        self.client = SqsJsonClient(self.endpoint_url, region=self.region, max_connections=self.max_connections)
        try:
            fifo_attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "false"} if self.fifo else {}
            self.dlq_url = (await self.client.call("CreateQueue", {"QueueName": self.dlq_name,
                                                                  "Attributes": fifo_attrs}))["QueueUrl"]
            self.dlq_arn = await self._arn(self.dlq_url)
            redrive = json.dumps({"deadLetterTargetArn": self.dlq_arn,
                                  "maxReceiveCount": str(self.max_receive_count)})
            self.url = (await self.client.call("CreateQueue", {"QueueName": self.name, "Attributes": {
                "VisibilityTimeout": str(self.visibility_timeout_s), "RedrivePolicy": redrive, **fifo_attrs,
            }}))["QueueUrl"]
            self.arn = await self._arn(self.url)
            for url in (self.url, self.dlq_url):
                await self.client.call("PurgeQueue", {"QueueUrl": url})
        except BaseException:
            await self.client.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()

    async def _arn(self, url: str) -> str:
        attrs = await self.client.call("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["QueueArn"]})
        return str(attrs["Attributes"]["QueueArn"])

    async def send_batch(self, messages: Sequence[Outgoing]) -> list[str]:
        """Up to 10 messages in one SendMessageBatch; returns their message ids, in order.

        Entries SQS failed on its side (``SenderFault`` false) are sent again; an entry refused
        as the sender's fault raises :class:`SqsBatchError`.
        """
        if not 1 <= len(messages) <= SQS_BATCH_MAX:
            raise ValueError(f"a batch holds 1 to {SQS_BATCH_MAX} messages, got {len(messages)}")
        ids: dict[int, str] = {}
        pending = dict(enumerate(messages))
        for _attempt in range(5):
            response = await self.client.call("SendMessageBatch", {
                "QueueUrl": self.url, "Entries": [self._entry(i, m) for i, m in pending.items()]})
            for ok in response.get("Successful", []):
                ids[int(ok["Id"])] = str(ok["MessageId"])
                pending.pop(int(ok["Id"]), None)
            refused = [f for f in response.get("Failed", []) if f.get("SenderFault")]
            if refused:
                raise SqsBatchError(f"SendMessageBatch refused {len(refused)} entries: {refused[:3]}")
            if not pending:
                return [ids[i] for i in range(len(messages))]
        raise SqsBatchError(f"SendMessageBatch kept failing {len(pending)} entries")

    def _entry(self, index: int, m: Outgoing) -> dict[str, Any]:
        entry: dict[str, Any] = {"Id": str(index), "MessageBody": m.body}
        if self.fifo:
            entry["MessageGroupId"] = m.group_id or "default"
            entry["MessageDeduplicationId"] = m.dedup_id or secrets.token_hex(16)
        return entry

    async def receive(self, max_messages: int, wait_s: int) -> list[dict[str, Any]]:
        """Up to ``max_messages`` (at most 10 per call, SQS's limit), long-polling up to ``wait_s``."""
        async with self._consume:
            response = await self.client.call("ReceiveMessage", {
                "QueueUrl": self.url, "MaxNumberOfMessages": max(1, min(max_messages, SQS_BATCH_MAX)),
                "WaitTimeSeconds": wait_s, "MessageAttributeNames": ["All"], "MessageSystemAttributeNames": ["All"]})
        return list(response.get("Messages", []))

    async def delete(self, receipt_handles: Sequence[str], *, queue_url: str | None = None) -> list[str]:
        """DeleteMessageBatch, 10 handles a call; returns the handles SQS did not delete."""
        failed: list[str] = []
        for start in range(0, len(receipt_handles), SQS_BATCH_MAX):
            chunk = list(receipt_handles[start:start + SQS_BATCH_MAX])
            async with self._consume:
                response = await self.client.call("DeleteMessageBatch", {"QueueUrl": queue_url or self.url, "Entries": [
                    {"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(chunk)]})
            failed += [chunk[int(f["Id"])] for f in response.get("Failed", [])]
        return failed

    async def stats(self) -> QueueStats:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        main = (await self.client.call("GetQueueAttributes", {"QueueUrl": self.url, "AttributeNames": names}))[
            "Attributes"]
        dlq = (await self.client.call("GetQueueAttributes", {"QueueUrl": self.dlq_url, "AttributeNames": names}))[
            "Attributes"]
        return QueueStats(int(main["ApproximateNumberOfMessages"]), int(main["ApproximateNumberOfMessagesNotVisible"]),
                          int(dlq["ApproximateNumberOfMessages"]) + int(dlq["ApproximateNumberOfMessagesNotVisible"]))

    async def drain_dlq(self, *, idle_polls: int = 3) -> list[str]:
        """Receive and delete everything in the DLQ; return the message ids found there.

        Deleting is what lets a FIFO DLQ hand out the next message of a group (a group with a
        message in flight is locked). The queues belong to this run and go away with it, so
        emptying the DLQ loses nothing a user could still look at.
        """
        found: dict[str, None] = {}
        empty = 0
        while empty < idle_polls:
            async with self._consume:
                response = await self.client.call("ReceiveMessage", {
                    "QueueUrl": self.dlq_url, "MaxNumberOfMessages": SQS_BATCH_MAX, "WaitTimeSeconds": 0})
            messages = response.get("Messages", [])
            if not messages:
                empty += 1
                continue
            empty = 0
            found.update(dict.fromkeys(str(m["MessageId"]) for m in messages))
            await self.delete([str(m["ReceiptHandle"]) for m in messages], queue_url=self.dlq_url)
        return list(found)


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
            "binaryValue": _base64(attr.get("BinaryValue")),
            "stringListValues": attr.get("StringListValues", []),
            "binaryListValues": [_base64(v) for v in attr.get("BinaryListValues", [])],
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


def _base64(value: str | bytes | None) -> str | None:
    """Binary attribute values as Lambda hands them over: base64 text (an SDK decodes them to bytes)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return value
