"""How the batch writer classifies and reports failures: the reasons messages fail with, which failures
are split (bisected), which are retried, the deadline guard, and the bisection span."""

from __future__ import annotations

import time

from opentelemetry.trace import StatusCode

from framework.batch_writer import BatchWriter, WriteOutcome, is_content_error, unavailable_reason
from framework.batching import coalesce
from framework.errors import (
    AuthError,
    ConflictError,
    ConnectionLost,
    PermanentError,
    RetryStopped,
    ThrottledError,
    TransientError,
)
from framework.upserts import Vertex
from framework.versions import late_delete_token, stale_token

GUARD = "the invocation's deadline was near (deadline guard)"
INJECTED = "{0}: {0} injected by the local endpoint's chaos settings."


def _vertices(*ids: str):
    return coalesce([("m", [Vertex(i, "Doc") for i in ids])]).vertices


async def _write(client, *ids: str, deadline: float | None = None) -> WriteOutcome:
    return await BatchWriter(client, max_upserts=50, max_bytes=1_000_000).write(_vertices(*ids), [],
                                                                                 deadline=deadline)


def test_a_connection_that_could_not_be_made_is_the_database_being_unreachable():
    refused = ConnectionLost("connection refused", cause="refused")
    expected = "the database could not be reached: ConnectionLost: connection refused"
    assert unavailable_reason(refused) == expected
    assert unavailable_reason(RetryStopped("stopped retrying", refused)) == expected
    assert unavailable_reason(ConnectionLost("connection reset by peer", cause="reset")) is None
    assert unavailable_reason(RetryStopped("stopped retrying", None)) is None


def test_a_refused_handshake_names_the_code_and_neptunes_message():
    denied = AuthError("HTTP 403", code="AccessDeniedException", detailed_message="Missing Authentication Token")
    assert unavailable_reason(denied) == ("the database refused the connection: AccessDeniedException: "
                                          "Missing Authentication Token")
    bare = AuthError("HTTP 403 Forbidden", code="AccessDeniedException")
    assert unavailable_reason(bare) == "the database refused the connection: AccessDeniedException: HTTP 403 Forbidden"


def test_only_content_errors_are_content_errors():
    assert is_content_error(PermanentError("bad", code="MalformedQueryException"))
    assert is_content_error(TransientError("no vertex", code="ConstraintViolationException"))
    assert not is_content_error(AuthError("HTTP 403", code="AccessDeniedException"))
    assert not is_content_error(TransientError("busy", code="InternalFailureException"))
    assert not is_content_error(ThrottledError("slow down", code="ThrottlingException"))
    assert not is_content_error(ConflictError("conflict", code="ConcurrentModificationException"))


async def test_the_deadline_guard_fails_every_element_without_sending(endpoint, make_client):
    outcome = await _write(make_client(), "a", "b", deadline=time.monotonic() - 1)
    keys = {("v", "a"), ("v", "b")}
    assert outcome.failed == {k: f"not written: {GUARD}" for k in keys}
    assert outcome.failure_kind == {k: "deadline" for k in keys}
    assert outcome.deadline_keys == keys and outcome.deadline_stopped
    assert outcome.requests == 0 and endpoint.stats.requests_total == 0


async def test_a_refused_content_is_not_retried(endpoint, make_client):
    endpoint.apply_settings({"inject": {"code": "ConstraintViolationException", "count": 5}})
    outcome = await _write(make_client(max_attempts=3), "a")
    assert endpoint.stats.requests_total == 1
    assert outcome.failure_kind == {("v", "a"): "write_failed"}
    assert outcome.failed == {("v", "a"): INJECTED.format("ConstraintViolationException")}


async def test_a_failure_after_the_retry_budget_names_the_last_error(endpoint, make_client):
    endpoint.apply_settings({"inject": {"code": "ThrottlingException", "count": 5}})
    outcome = await _write(make_client(max_attempts=3, retry_budget=0), "a")
    assert outcome.failure_kind == {("v", "a"): "database_busy"}
    assert outcome.failed == {("v", "a"): "RetryBudgetExhausted: " + INJECTED.format("ThrottlingException")}


async def test_conflicts_beyond_the_retry_budget_are_split(endpoint, make_client, captured):
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 1}})
    outcome = await _write(make_client(max_attempts=3, retry_budget=0), "a", "b")
    assert outcome.committed == {("v", "a"), ("v", "b")} and outcome.failed == {}
    assert outcome.bisections == 1 and outcome.requests == 3
    (span,) = captured.spans("graphworker.bisect")
    assert span.attributes["error.type"] == "RetryBudgetExhausted"
    assert span.attributes["graphworker.elements"] == 2
    assert span.status.status_code == StatusCode.UNSET


async def test_a_bisection_that_isolates_only_failures_is_an_error_span(endpoint, make_client, captured):
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 3}})
    outcome = await _write(make_client(max_attempts=1), "a", "b")
    assert outcome.committed == set() and set(outcome.failed) == {("v", "a"), ("v", "b")}
    (span,) = captured.spans("graphworker.bisect")
    assert span.attributes["error.type"] == "ConcurrentModificationException"
    assert span.status.status_code == StatusCode.ERROR
    assert span.status.description == "isolated failing elements"


def test_each_stale_or_late_delete_token_confirms_one_element():
    """The same element twice in a request, answered by its token twice: both are confirmed."""
    (vertex,) = _vertices("x")
    for token in (stale_token("v", "x"), late_delete_token("v", "x")):
        outcome = WriteOutcome()
        BatchWriter._confirm([vertex, vertex], ["x", "x"], [token, token], outcome)
        assert outcome.failed == {} and outcome.committed == {vertex.key} and outcome.stale == {vertex.key}


async def test_the_halves_of_a_bisection_keep_the_deadline(endpoint, make_client):
    """The first half is held by the database past the deadline: it fails by the deadline (not
    waiting for the answer), and the second half is not sent."""
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 1}, "hold_ms": 3000})
    outcome = await _write(make_client(max_attempts=1), "a", "b", deadline=time.monotonic() + 0.5)
    assert outcome.committed == set() and outcome.bisections == 1
    assert outcome.failure_kind == {("v", "a"): "deadline", ("v", "b"): "deadline"}
    assert outcome.failed == {("v", "a"): f"not committed: {GUARD}", ("v", "b"): f"not written: {GUARD}"}


async def test_the_second_half_of_a_bisection_keeps_the_deadline(endpoint, make_client):
    """The first half fails at once; the second is held past the deadline and fails by it."""
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 2}, "hold_ms": 3000})
    outcome = await _write(make_client(max_attempts=1), "a", "b", deadline=time.monotonic() + 0.5)
    assert outcome.committed == set() and outcome.bisections == 1
    assert outcome.failure_kind == {("v", "a"): "database_busy", ("v", "b"): "deadline"}
    assert outcome.failed[("v", "b")] == f"not committed: {GUARD}"
