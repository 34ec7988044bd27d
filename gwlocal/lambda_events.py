"""SQS events in Lambda's exact shape, and a Lambda context with a real deadline.

Why here (local tooling, not the framework): tests and the local event source mapping must
hand the handler exactly what Lambda hands it (field names, string-typed attributes, the
``eventSourceARN``), so the handler code path is the one that runs in AWS.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

DEFAULT_REGION = "us-east-1"
DEFAULT_ACCOUNT = "000000000000"


def queue_arn(name: str, *, region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def sqs_record(body: str, *, queue: str = "graphworker-queue", message_id: str | None = None,
               receive_count: int = 1, sent_timestamp_ms: int | None = None, group_id: str | None = None,
               deduplication_id: str | None = None, sequence_number: str | None = None,
               trace_header: str | None = None, message_attributes: dict[str, dict[str, Any]] | None = None,
               region: str = DEFAULT_REGION, account: str = DEFAULT_ACCOUNT) -> dict[str, Any]:
    """One record as Lambda's SQS event source mapping delivers it."""
    sent = sent_timestamp_ms if sent_timestamp_ms is not None else int(time.time() * 1000)
    attributes: dict[str, str] = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(sent),
        "SenderId": "AIDALOCALSENDER",
        "ApproximateFirstReceiveTimestamp": str(sent),
    }
    if trace_header is not None:
        attributes["AWSTraceHeader"] = trace_header
    if group_id is not None:
        attributes["MessageGroupId"] = group_id
        attributes["MessageDeduplicationId"] = deduplication_id or hashlib.sha256(body.encode()).hexdigest()
        attributes["SequenceNumber"] = sequence_number or str(sent) + "0" * 6
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "local-" + uuid.uuid4().hex,
        "body": body,
        "attributes": attributes,
        "messageAttributes": message_attributes or {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),  # SQS's own body checksum
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn(queue, region=region, account=account),
        "awsRegion": region,
    }


def sqs_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def string_attribute(value: str) -> dict[str, Any]:
    """A ``messageAttributes`` entry in Lambda's shape."""
    return {"stringValue": value, "stringListValues": [], "binaryListValues": [], "dataType": "String"}


@dataclass
class LocalLambdaContext:
    """The Lambda context object, with a real deadline counted from its creation."""

    function_name: str = "graphworker-local"
    timeout_s: float = 30.0
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    region: str = DEFAULT_REGION
    account: str = DEFAULT_ACCOUNT
    function_version: str = "$LATEST"
    _deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._deadline - time.monotonic()) * 1000), 0)
