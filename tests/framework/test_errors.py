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
