"""Trace context carried by SQS messages, turned into OpenTelemetry span contexts for links.

Why links, not parents: one Lambda invocation processes many messages, each possibly from a
different trace; the messaging conventions link the processing span to every message's
producer context instead of picking one parent. Sources, in order: a W3C ``traceparent``
message attribute (set by OpenTelemetry producers), then the ``AWSTraceHeader`` system
attribute (set by SQS from X-Ray).
"""

from __future__ import annotations

import re
from typing import Any

from opentelemetry.trace import SpanContext, TraceFlags

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_XRAY_ROOT = re.compile(r"Root=1-([0-9a-f]{8})-([0-9a-f]{24})")
_XRAY_PARENT = re.compile(r"Parent=([0-9a-f]{16})")
_XRAY_SAMPLED = re.compile(r"Sampled=([01])")


def from_traceparent(value: str) -> SpanContext | None:
    match = _TRACEPARENT.match(value.strip().lower())
    if not match:
        return None
    trace_id, span_id, flags = (int(match.group(1), 16), int(match.group(2), 16), int(match.group(3), 16))
    if trace_id == 0 or span_id == 0:
        return None
    return SpanContext(trace_id, span_id, is_remote=True, trace_flags=TraceFlags(flags & 1))


def from_xray_header(value: str) -> SpanContext | None:
    root, parent = _XRAY_ROOT.search(value), _XRAY_PARENT.search(value)
    if not root or not parent:
        return None
    sampled = _XRAY_SAMPLED.search(value)
    flags = TraceFlags.SAMPLED if sampled and sampled.group(1) == "1" else TraceFlags.DEFAULT
    return SpanContext(int(root.group(1) + root.group(2), 16), int(parent.group(1), 16), is_remote=True,
                       trace_flags=TraceFlags(flags))


def message_span_context(record: Any) -> SpanContext | None:
    """The producer's span context of an SQS record (Powertools ``SQSRecord``), if it carries one."""
    attributes = record.message_attributes
    if attributes and "traceparent" in attributes:
        value = attributes["traceparent"].string_value  # Powertools wraps the raw attribute here
        context = from_traceparent(value) if value else None
        if context is not None:
            return context
    header = record.attributes.aws_trace_header
    return from_xray_header(header) if header else None
