"""Reading SQS records defensively: whatever a record holds, this never raises.

Why its own layer: a Lambda SQS event is JSON that graphworker does not control. Lambda's event
source mapping always sends well-formed records, but tests, replays, hand-built events and bugs
upstream do not, and one record whose ``body`` is missing, whose ``attributes`` are ``null`` or
whose ``traceparent`` is a Binary attribute must fail alone with a clear reason, never raise out of
the batch and never stall it. Every field is read here, once, into an :class:`InboundRecord`;
the rest of the framework only sees that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import SpanContext

from .trace_context import from_traceparent, from_xray_header

MAX_MESSAGE_ID_LENGTH = 256
"""Longer ``messageId`` values are not SQS message ids (SQS uses 36-character UUIDs)."""


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """One record of an SQS event, read without trusting its shape.

    ``message_id`` is None when the record has no usable ``messageId`` (it then cannot be
    reported in ``batchItemFailures``). ``problem`` says why the record cannot be processed
    (its message then fails with reason ``invalid_record``); None for a well-formed record.
    """

    index: int
    raw: Any
    message_id: str | None
    body: str | None
    group_id: str | None
    receive_count: int | None
    sent_timestamp_ms: int | None
    trace_context: SpanContext | None
    problem: str | None
    receipt_handle: str | None = None
    source_arn: str | None = None

    @property
    def reportable(self) -> bool:
        return self.message_id is not None


def read_record(index: int, raw: Any) -> InboundRecord:
    """Read ``raw`` (the ``index``-th element of ``Records``) into an :class:`InboundRecord`."""
    if not isinstance(raw, Mapping):
        return InboundRecord(index, raw, None, None, None, None, None, None,
                             f"record #{index} is a {type(raw).__name__}, not an object")
    message_id = _message_id(raw.get("messageId"))
    problems: list[str] = []
    if message_id is None:
        problems.append(f"record #{index} has no usable messageId ({_describe(raw.get('messageId'))})")
    body = raw.get("body")
    if not isinstance(body, str):
        problems.append(f"body is {_describe(body)}, expected a string")
        body = None
    attributes = raw.get("attributes")
    if attributes is None:
        attributes = {}
    elif not isinstance(attributes, Mapping):
        problems.append(f"attributes is {_describe(attributes)}, expected an object")
        attributes = {}
    group_id = _string(attributes.get("MessageGroupId"))
    if _is_fifo(raw) and group_id is None:
        problems.append("record from a FIFO queue without attributes.MessageGroupId")
    return InboundRecord(
        index=index,
        raw=raw,
        message_id=message_id,
        body=body,
        group_id=group_id,
        receive_count=_positive_int(attributes.get("ApproximateReceiveCount")),
        sent_timestamp_ms=_positive_int(attributes.get("SentTimestamp")),
        trace_context=_trace_context(raw.get("messageAttributes"), attributes.get("AWSTraceHeader")),
        problem="; ".join(problems) or None,
        receipt_handle=_string(raw.get("receiptHandle")),
        source_arn=_string(raw.get("eventSourceARN")),
    )


def is_fifo_event(records: list[Any]) -> bool:
    """True when the event comes from a FIFO queue (its source ARN ends in ``.fifo``)."""
    return any(isinstance(r, Mapping) and _is_fifo(r) for r in records)


def queue_name(records: list[Any]) -> str:
    """The queue's name from the first record's ``eventSourceARN`` (``sqs`` when absent)."""
    for raw in records:
        if isinstance(raw, Mapping):
            arn = raw.get("eventSourceARN")
            if isinstance(arn, str) and arn:
                return arn.rsplit(":", 1)[-1] or "sqs"
    return "sqs"


def _is_fifo(raw: Mapping[str, Any]) -> bool:
    arn = raw.get("eventSourceARN")
    return isinstance(arn, str) and arn.endswith(".fifo")


def _message_id(value: Any) -> str | None:
    if not isinstance(value, str) or not value or len(value) > MAX_MESSAGE_ID_LENGTH:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: it could not be sent back to Lambda as JSON
        return None
    return value


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        return int(value)
    return None


def _trace_context(message_attributes: Any, xray_header: Any) -> SpanContext | None:
    """The producer's trace context: a W3C ``traceparent`` String attribute, else ``AWSTraceHeader``.

    Anything else (a Binary attribute, a malformed value, a missing field) means no link.
    """
    if isinstance(message_attributes, Mapping):
        attribute = message_attributes.get("traceparent")
        if isinstance(attribute, Mapping):
            value = attribute.get("stringValue")
            if isinstance(value, str):
                context = from_traceparent(value)
                if context is not None:
                    return context
    if isinstance(xray_header, str):
        return from_xray_header(xray_header)
    return None


def _describe(value: Any) -> str:
    if value is None:
        return "missing or null"
    if isinstance(value, str):
        return "an empty string" if not value else f"a string of {len(value)} characters"
    return f"a {type(value).__name__}"
