"""graphworker's error hierarchy: every failure classified by what the caller should do next.

Why classes rather than flags: retry loops, the SQS batch layer and metrics all branch on the
same question ("retry as is? reconnect first? back off harder? give up?"), so the answer is the
exception's type, decided once here from Neptune's error JSON (the ``code`` field, never message
text or stack traces) and from the transport's failure kind.

::

    GraphWorkerError
    ├── ConfigError                  a setting is missing or malformed (names the variable)
    ├── GraphRequestError            one Gremlin request failed
    │   ├── RetriableError           OK to retry (Neptune's table says so)
    │   │   ├── ConflictError        ConcurrentModificationException: back off, retry
    │   │   ├── ReconnectError       reconnect first, then retry
    │   │   │   ├── ConnectionLost   closed/reset/refused socket, failed handshake, idle close
    │   │   │   ├── EmptyResponse    no/short result where one was expected (never a success)
    │   │   │   ├── ReadOnlyViolation  wrote to a reader or an ex-writer after failover
    │   │   │   └── CredentialsRejected  handshake 403: refresh credentials, reconnect once
    │   │   ├── ThrottledError       Throttling, TimeLimitExceeded, MemoryLimitExceeded,
    │   │   │                        QueryLimitExceeded, TooManyRequests: back off harder
    │   │   └── TransientError       other retry-OK codes: ConstraintViolation (an edge's endpoint
    │   │                            may not exist yet), InternalFailure, CancelledByUser, ...
    │   └── PermanentError           malformed query, invalid parameter, request too large: do not retry
    │       ├── AuthError            handshake refused (403) after a credential refresh
    │       └── RequestEncodingError the request could not be serialized (client side)
    ├── CircuitOpen                  the circuit breaker is open: not sent (database down or drowning)
    ├── RequestSkipped               withdrawn by its caller before it was sent
    └── RetryStopped                 retrying stopped before success
        ├── DeadlineExceeded         the caller's deadline (Lambda time left minus margin)
        └── RetryBudgetExhausted     the process-wide retry budget is spent (sick database)
"""

from __future__ import annotations

import json
from typing import Any

from .neptune_codes import NEPTUNE_ERROR_CODES


class GraphWorkerError(Exception):
    """Base of every error graphworker raises."""


class ConfigError(GraphWorkerError):
    """A configuration value is missing or malformed; the message names the variable."""


class GraphRequestError(GraphWorkerError):
    """A Gremlin request failed. ``code`` is Neptune's error code when the server sent one."""

    def __init__(self, message: str, *, code: str | None = None, request_id: str | None = None,
                 status: int | None = None, detailed_message: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.request_id = request_id
        self.status = status
        self.detailed_message = detailed_message

    @property
    def error_class(self) -> str:
        """Short class label used as a metric dimension (e.g. ``conflict``)."""
        return ERROR_CLASS_LABELS.get(type(self), "unknown")


class RetriableError(GraphRequestError):
    """Neptune says the request may be retried."""


class ConflictError(RetriableError):
    """ConcurrentModificationException: conflicting concurrent writes; back off and retry."""


class ReconnectError(RetriableError):
    """The connection is unusable or points at the wrong instance: reconnect, then retry."""


class ConnectionLost(ReconnectError):
    """The socket closed, reset, refused, or the WebSocket handshake failed.

    ``cause`` says which (closed, idle, reset, refused, handshake, connect_timeout, timeout,
    protocol); it becomes the ``Cause`` dimension of the reconnect metric.
    """

    def __init__(self, message: str, *, cause: str = "closed", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.cause = cause


class EmptyResponse(ReconnectError):
    """A result was expected but none (or too little) arrived: treated as a failure, never success."""


class ReadOnlyViolation(ReconnectError):
    """A write reached a read-only instance (a replica, or a writer that just failed over)."""


class CredentialsRejected(ReconnectError):
    """The handshake got HTTP 403: the signature's credentials may be stale; refresh, reconnect once."""


class ThrottledError(RetriableError):
    """The database is pushing back (queue full, time or memory limits): back off."""


class TransientError(RetriableError):
    """Another retry-OK code, e.g. ConstraintViolationException for a not-yet-existing endpoint."""


class PermanentError(GraphRequestError):
    """Retrying the same request cannot succeed."""


class AuthError(PermanentError):
    """The handshake was refused (HTTP 403) even after refreshing credentials.

    Not a content error: every request of the batch would meet the same refusal, so the batch
    fails once with the server's reason (``detailed_message``) instead of being bisected.
    """


class RequestEncodingError(PermanentError):
    """The request could not be serialized (e.g. text that is not valid Unicode): its content is at fault."""


class CircuitOpen(GraphWorkerError):
    """The execution context's circuit breaker is open: the request was not sent at all.

    ``retry_after_s``: when the breaker will let a probe through. See :mod:`framework.breaker`.
    """

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RequestSkipped(GraphWorkerError):
    """The caller withdrew the request before it was sent (e.g. its batch learned the database is down)."""


class RetryStopped(GraphWorkerError):
    """Retrying stopped before the request succeeded; ``last_error`` is the final failure."""

    def __init__(self, message: str, last_error: BaseException | None) -> None:
        super().__init__(message)
        self.last_error = last_error


class DeadlineExceeded(RetryStopped):
    """The caller's deadline would pass before another attempt could finish."""


class RetryBudgetExhausted(RetryStopped):
    """The process-wide retry budget is spent: fail fast instead of hammering the database."""


ERROR_CLASS_LABELS: dict[type[GraphRequestError], str] = {
    # The ``ErrorClass`` metric dimension of each class (dashboards and alarms read this table).
    ConflictError: "conflict",
    ConnectionLost: "connection",
    EmptyResponse: "empty_response",
    ReadOnlyViolation: "read_only",
    CredentialsRejected: "credentials",
    ThrottledError: "throttled",
    TransientError: "transient",
    PermanentError: "permanent",
    AuthError: "auth",
    RequestEncodingError: "permanent",
    GraphRequestError: "unknown",
}

THROTTLE_CODES = frozenset({  # Neptune codes classified as ThrottledError (the ``Code`` dimension)
    "ThrottlingException", "TimeLimitExceededException", "MemoryLimitExceededException",
    "QueryLimitExceededException", "TooManyRequestsException",
})


def error_for_code(code: str, detailed_message: str, *, request_id: str | None = None,
                   status: int | None = None) -> GraphRequestError:
    """The right exception for a Neptune error ``code`` (see the module docstring)."""
    kwargs: dict[str, Any] = {"code": code, "request_id": request_id, "status": status,
                              "detailed_message": detailed_message}
    message = f"{code}: {detailed_message}"
    if code == "ConcurrentModificationException":
        return ConflictError(message, **kwargs)
    if code == "ReadOnlyViolationException":
        return ReadOnlyViolation(message, **kwargs)
    if code in THROTTLE_CODES:
        return ThrottledError(message, **kwargs)
    if code == "AccessDeniedException":
        return AuthError(message, **kwargs)
    row = NEPTUNE_ERROR_CODES.get(code)
    if row is not None and row.retry_ok:
        return TransientError(message, **kwargs)
    return PermanentError(message, **kwargs)


def parse_neptune_error(status_code: int, status_message: str | None) -> GraphRequestError:
    """Classify a Gremlin error response from its status code and Neptune's JSON message.

    A status message that is not Neptune's JSON (another server, a proxy) is classified by
    the status code alone: 5xx transient, anything else permanent.
    """
    body: Any = None
    if status_message:
        try:
            body = json.loads(status_message)
        except ValueError:
            body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        return error_for_code(
            body["code"], str(body.get("detailedMessage", "")),
            request_id=body.get("requestId") if isinstance(body.get("requestId"), str) else None,
            status=status_code,
        )
    text = status_message or "(no message)"
    if status_code >= 500:
        return TransientError(f"server error {status_code}: {text}", status=status_code,
                              detailed_message=status_message)
    return PermanentError(f"request error {status_code}: {text}", status=status_code,
                          detailed_message=status_message)
