"""Trace context read from SQS messages: what the processing span's links will say.

A link carries the producer's trace id, span id, whether it came from another process
(``is_remote``) and whether the producer sampled it; a malformed or all-zero id gives no link.
"""

from __future__ import annotations

import pytest
from opentelemetry.trace import TraceFlags

from framework.trace_context import from_traceparent, from_xray_header

TRACE = "0af7651916cd43dd8448eb211c80319c"
SPAN = "b7ad6b7169203331"


@pytest.mark.parametrize(("flags", "sampled"), [("01", True), ("00", False), ("03", True), ("02", False),
                                                ("ff", True), ("10", False)])
def test_traceparent_gives_ids_remote_and_only_the_sampled_bit(flags: str, sampled: bool) -> None:
    context = from_traceparent(f"00-{TRACE}-{SPAN}-{flags}")
    assert context is not None
    assert (context.trace_id, context.span_id) == (int(TRACE, 16), int(SPAN, 16))
    assert context.is_remote is True
    assert context.trace_flags == (TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    assert context.trace_flags.sampled is sampled


def test_traceparent_is_read_case_and_whitespace_insensitively() -> None:
    context = from_traceparent(f"  00-{TRACE.upper()}-{SPAN.upper()}-01\n")
    assert context is not None and (context.trace_id, context.span_id) == (int(TRACE, 16), int(SPAN, 16))


@pytest.mark.parametrize("value", [
    f"00-{'0' * 32}-{SPAN}-01",          # all-zero trace id: invalid per W3C
    f"00-{TRACE}-{'0' * 16}-01",         # all-zero span id
    f"01-{TRACE}-{SPAN}-01",             # unknown version
    f"00-{TRACE}-{SPAN}",                # no flags
    f"00-{TRACE[:-1]}-{SPAN}-01",        # short trace id
    f"00-{TRACE}-{SPAN}-01-extra",
    "",
])
def test_a_malformed_or_zero_traceparent_gives_no_link(value: str) -> None:
    assert from_traceparent(value) is None


def test_only_zero_is_an_invalid_id() -> None:
    context = from_traceparent(f"00-{'0' * 31}1-{'0' * 15}1-01")
    assert context is not None and (context.trace_id, context.span_id) == (1, 1)


XRAY_TRACE = 0x5759E988BD862E3FE1BE46A994272793
XRAY_PARENT = 0x53995C3F42CD8AD8


@pytest.mark.parametrize(("sampled", "flags"), [(";Sampled=1", TraceFlags.SAMPLED), (";Sampled=0", TraceFlags.DEFAULT),
                                                ("", TraceFlags.DEFAULT), (";Sampled=?", TraceFlags.DEFAULT)])
def test_xray_header_gives_ids_remote_and_sampling(sampled: str, flags: TraceFlags) -> None:
    context = from_xray_header(f"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8{sampled}")
    assert context is not None
    assert (context.trace_id, context.span_id) == (XRAY_TRACE, XRAY_PARENT)
    assert context.is_remote is True
    assert context.trace_flags == flags


@pytest.mark.parametrize("value", ["Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",  # no parent
                                   "Parent=53995c3f42cd8ad8;Sampled=1",                      # no root
                                   "Sampled=1", ""])
def test_an_xray_header_without_root_or_parent_gives_no_link(value: str) -> None:
    assert from_xray_header(value) is None
