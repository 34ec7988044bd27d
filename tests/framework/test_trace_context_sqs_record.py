"""``message_span_context``: the producer's span context of a Powertools ``SQSRecord``.

A W3C ``traceparent`` message attribute wins over the ``AWSTraceHeader`` system attribute; an
unusable ``traceparent`` (malformed, empty, or binary) falls back to the X-Ray header; with neither
there is no context.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from opentelemetry.trace import SpanContext, TraceFlags

from framework.trace_context import message_span_context

W3C_TRACE, W3C_SPAN = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
TRACEPARENT = f"00-{W3C_TRACE}-{W3C_SPAN}-01"
XRAY = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"
FROM_W3C = SpanContext(int(W3C_TRACE, 16), int(W3C_SPAN, 16), is_remote=True, trace_flags=TraceFlags(1))
FROM_XRAY = SpanContext(int("5759e988bd862e3fe1be46a994272793", 16), int("53995c3f42cd8ad8", 16), is_remote=True,
                        trace_flags=TraceFlags(0))


def _record(message_attributes: dict[str, Any] | None = None, trace_header: str | None = None) -> SQSRecord:
    attributes = {"ApproximateReceiveCount": "1"}
    if trace_header is not None:
        attributes["AWSTraceHeader"] = trace_header
    return SQSRecord({"messageId": "m1", "body": "{}", "attributes": attributes,
                      "messageAttributes": message_attributes or {}})


def _string(value: str) -> dict[str, Any]:
    return {"stringValue": value, "dataType": "String"}


def test_a_traceparent_attribute_wins_over_the_xray_header():
    assert message_span_context(_record({"traceparent": _string(TRACEPARENT)}, XRAY)) == FROM_W3C
    assert message_span_context(_record({"traceparent": _string(TRACEPARENT)})) == FROM_W3C


def test_the_xray_header_is_used_without_a_traceparent_attribute():
    assert message_span_context(_record({}, XRAY)) == FROM_XRAY
    assert message_span_context(_record({"tenant": _string("acme")}, XRAY)) == FROM_XRAY  # other attributes only


def test_an_unusable_traceparent_falls_back_to_the_xray_header():
    assert message_span_context(_record({"traceparent": _string("not a traceparent")}, XRAY)) == FROM_XRAY
    assert message_span_context(_record({"traceparent": _string("")}, XRAY)) == FROM_XRAY
    binary = {"stringValue": None, "binaryValue": "AAEC", "dataType": "Binary"}  # no string value
    assert message_span_context(_record({"traceparent": binary}, XRAY)) == FROM_XRAY


def test_neither_source_gives_no_context():
    assert message_span_context(_record()) is None
    assert message_span_context(_record({"tenant": _string("acme")})) is None
    assert message_span_context(_record({"traceparent": _string("bad")})) is None
    assert message_span_context(_record({}, "Root=1-5759e988-bd862e3fe1be46a994272793")) is None  # no Parent
