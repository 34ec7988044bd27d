"""Classification of every Neptune error code and of non-Neptune error responses."""

from __future__ import annotations

import json

import pytest

from framework import errors as e
from framework.neptune_codes import NEPTUNE_ERROR_CODES

EXPECTED = {
    "ConcurrentModificationException": e.ConflictError,
    "ReadOnlyViolationException": e.ReadOnlyViolation,
    "ThrottlingException": e.ThrottledError,
    "TimeLimitExceededException": e.ThrottledError,
    "MemoryLimitExceededException": e.ThrottledError,
    "QueryLimitExceededException": e.ThrottledError,
    "TooManyRequestsException": e.ThrottledError,
    "ConstraintViolationException": e.TransientError,
    "InternalFailureException": e.TransientError,
    "CancelledByUserException": e.TransientError,
    "FailureByQueryException": e.TransientError,
    "MalformedQueryException": e.PermanentError,
    "InvalidParameterException": e.PermanentError,
    "BadRequestException": e.PermanentError,
    "AccessDeniedException": e.AuthError,
}


@pytest.mark.parametrize("code", sorted(NEPTUNE_ERROR_CODES))
def test_every_code_is_classified_by_its_json(code):
    row = NEPTUNE_ERROR_CODES[code]
    message = json.dumps({"requestId": "r-1", "code": code, "detailedMessage": "details"})
    err = e.parse_neptune_error(row.http_status, message)
    assert (err.code, err.request_id, err.detailed_message, err.status) == (code, "r-1", "details", row.http_status)
    if code in EXPECTED:
        assert type(err) is EXPECTED[code]
    # Neptune's "OK to retry" column decides retriability, except ReadOnlyViolation (retry after
    # reconnecting to the writer) which the table lists as not retriable as is.
    if code == "ReadOnlyViolationException":
        assert isinstance(err, e.ReconnectError)
    else:
        assert isinstance(err, e.RetriableError) == row.retry_ok


def test_the_message_text_is_never_matched():
    # A permanent code whose message mentions a retriable one stays permanent.
    message = json.dumps({"requestId": "r", "code": "MalformedQueryException",
                          "detailedMessage": "ConcurrentModificationException ThrottlingException"})
    assert type(e.parse_neptune_error(400, message)) is e.PermanentError


@pytest.mark.parametrize(("status", "cls"), [(500, e.TransientError), (597, e.TransientError),
                                             (499, e.PermanentError), (400, e.PermanentError)])
def test_non_neptune_errors_fall_back_to_the_status(status, cls):
    err = e.parse_neptune_error(status, "java.lang.RuntimeException: boom")
    assert type(err) is cls and err.code is None


def test_error_class_labels_are_stable():
    assert e.ConflictError("x").error_class == "conflict"
    assert e.ConnectionLost("x").error_class == "connection"
    assert e.ThrottledError("x").error_class == "throttled"
    assert e.PermanentError("x").error_class == "permanent"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_the_error_says_the_code_and_neptunes_message(code):
    err = e.parse_neptune_error(400, json.dumps({"code": code, "detailedMessage": "what Neptune said"}))
    assert str(err) == f"{code}: what Neptune said"


@pytest.mark.parametrize(("body", "message", "detail", "request_id"), [
    ({"code": "ThrottlingException"}, "ThrottlingException: ", "", None),                 # no detailed message
    ({"code": "ThrottlingException", "requestId": 7}, "ThrottlingException: ", "", None),  # a request id not a string
    ({"code": "ThrottlingException", "detailedMessage": 12, "requestId": "r"}, "ThrottlingException: 12", "12", "r"),
])
def test_odd_neptune_bodies_are_read_defensively(body, message, detail, request_id):
    err = e.parse_neptune_error(429, json.dumps(body))
    assert (str(err), err.detailed_message, err.request_id, err.status) == (message, detail, request_id, 429)


@pytest.mark.parametrize(("status", "text", "message"), [
    (500, "java.lang.RuntimeException: boom", "server error 500: java.lang.RuntimeException: boom"),
    (499, "", "request error 499: (no message)"),
    (503, None, "server error 503: (no message)"),
    (400, "[1, 2]", "request error 400: [1, 2]"),           # JSON, but not Neptune's object
    (400, '{"code": 5}', 'request error 400: {"code": 5}'),  # an object without a code string
])
def test_other_servers_errors_say_the_status_and_their_text(status, text, message):
    err = e.parse_neptune_error(status, text)
    assert str(err) == message and err.status == status and err.detailed_message == text and err.code is None


def test_retry_stopped_and_circuit_open_keep_their_message_and_details():
    last = e.ThrottledError("ThrottlingException: busy", code="ThrottlingException")
    stopped = e.DeadlineExceeded("deadline near", last)
    assert (str(stopped), stopped.last_error) == ("deadline near", last)
    refused = e.CircuitOpen("circuit breaker open (x); not sent", retry_after_s=2.5)
    assert (str(refused), refused.retry_after_s) == ("circuit breaker open (x); not sent", 2.5)
