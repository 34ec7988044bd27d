"""The client's pure classifications: which failures count against the database, which pushback
is "heavy", and the span summary of a traversal.

These decide what the circuit breaker counts and how the adaptive limits react, so each branch
is pinned with a real error instance of each kind (as the protocol and retry layers build them).
"""

from __future__ import annotations

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import Bytecode
from gremlin_python.structure.graph import Graph

from framework.client import database_failure, is_heavy, summarize
from framework.errors import (
    AuthError,
    CircuitOpen,
    ConflictError,
    ConnectionLost,
    DeadlineExceeded,
    EmptyResponse,
    PermanentError,
    RequestEncodingError,
    RequestSkipped,
    RetryBudgetExhausted,
    ThrottledError,
    TransientError,
    error_for_code,
)

g = traversal().with_graph(Graph())


@pytest.mark.parametrize(("exc", "counts"), [
    # The budget running out says the database is sick, whatever the last error was.
    (RetryBudgetExhausted("retry budget exhausted", None), True),
    (RetryBudgetExhausted("retry budget exhausted", ConflictError("c")), True),
    # A deadline counts only when it stopped retries of a failure that counts.
    (DeadlineExceeded("deadline", ThrottledError("t", code="ThrottlingException")), True),
    (DeadlineExceeded("deadline", ConflictError("c", code="ConcurrentModificationException")), False),
    (DeadlineExceeded("deadline", None), False),
    # Contention and content errors say nothing about the database's health.
    (ConflictError("c", code="ConcurrentModificationException"), False),
    (RequestEncodingError("bad text"), False),
    (PermanentError("p", code="MalformedQueryException"), False),
    # Refusals, pushback and broken connections do.
    (AuthError("a", code="AccessDeniedException"), True),
    (ThrottledError("t", code="ThrottlingException"), True),
    (ConnectionLost("lost", cause="reset"), True),
    (EmptyResponse("empty"), True),
    # Transient: all but a missing edge endpoint (ConstraintViolation), which is content.
    (error_for_code("ConstraintViolationException", "no such vertex"), False),
    (error_for_code("InternalFailureException", "oops"), True),
    (TransientError("server error 500: x", status=500), True),
    # Not a request failure at all.
    (CircuitOpen("open", retry_after_s=1.0), False),
    (RequestSkipped("withdrawn"), False),
    (ValueError("bug"), False),
])
def test_database_failure_counts_what_the_breaker_should(exc, counts):
    assert database_failure(exc) is counts


def test_constraint_violation_is_told_apart_by_its_exact_code():
    assert isinstance(error_for_code("ConstraintViolationException", "x"), TransientError)
    for code in ("constraintviolationexception", "CONSTRAINTVIOLATIONEXCEPTION", "ConstraintViolation"):
        assert database_failure(TransientError("x", code=code)) is True


@pytest.mark.parametrize(("exc", "heavy"), [
    (ThrottledError("t", code="TimeLimitExceededException"), True),
    (ThrottledError("t", code="MemoryLimitExceededException"), True),
    (ThrottledError("t", code="ThrottlingException"), False),
    (ThrottledError("t", code="TooManyRequestsException"), False),
    (ConnectionLost("no response", cause="timeout"), True),
    (ConnectionLost("slow connect", cause="connect_timeout"), False),
    (ConnectionLost("refused", cause="refused"), False),
    (ConnectionLost("full", cause="handshake", status=429), False),
    (ConflictError("c", code="ConcurrentModificationException"), False),
])
def test_is_heavy_only_for_requests_that_were_too_much(exc, heavy):
    assert is_heavy(exc) is heavy


def test_summary_lists_the_first_six_distinct_step_names():
    t = g.V().has("name", "a").out("x").in_("y").both().values("name").limit(1).count()
    assert summarize(t.bytecode) == "V has out in both values"
    assert summarize(g.V().out().out().id_().bytecode) == "V out id"


def test_summary_of_something_without_steps_is_traversal():
    assert summarize(Bytecode()) == "traversal"
    assert summarize(object()) == "traversal"
