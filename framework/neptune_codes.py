"""Neptune's published graph engine error codes, in one table.

Why a table: the framework classifies failures by the ``code`` field of Neptune's error JSON
(never by message text or stack traces), and the local Gremlin endpoint (``gwlocal``) raises
exactly these codes with these HTTP statuses. Keeping both on one table means the stand-in and
the client cannot drift apart. Source: Amazon Neptune user guide, "Graph Engine Error Messages
and Codes" (the ``retry_ok`` column is that page's "OK to retry?").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NeptuneErrorCode:
    """One row of Neptune's engine error table."""

    name: str
    http_status: int
    retry_ok: bool
    description: str


_ROWS: tuple[NeptuneErrorCode, ...] = (
    NeptuneErrorCode("AccessDeniedException", 403, False, "Authentication or authorization failure."),
    NeptuneErrorCode("BadRequestException", 400, False, "The request could not be processed (e.g. too large)."),
    NeptuneErrorCode("CancelledByUserException", 500, True, "The query was cancelled by the user."),
    NeptuneErrorCode(
        "ConcurrentModificationException", 500, True,
        "Operation failed due to conflicting concurrent operations (please retry).",
    ),
    NeptuneErrorCode(
        "ConstraintViolationException", 400, True,
        "A constraint was violated, e.g. an edge whose endpoint vertex does not exist (yet).",
    ),
    NeptuneErrorCode("FailureByQueryException", 500, True, "The query failed at run time."),
    NeptuneErrorCode("IllegalArgumentException", 400, False, "An argument is not valid."),
    NeptuneErrorCode("InternalFailureException", 500, True, "Unexpected internal failure."),
    NeptuneErrorCode("InvalidParameterException", 400, False, "A parameter or value is not valid."),
    NeptuneErrorCode("MalformedQueryException", 400, False, "The query is malformed or unsupported."),
    NeptuneErrorCode("MemoryLimitExceededException", 500, True, "The query ran out of memory."),
    NeptuneErrorCode("MethodNotAllowedException", 405, False, "The HTTP method is not allowed."),
    NeptuneErrorCode("MissingParameterException", 400, False, "A required parameter is missing."),
    NeptuneErrorCode("QueryLimitExceededException", 500, True, "Too many concurrent queries."),
    NeptuneErrorCode("QueryTooLargeException", 400, False, "The query is larger than allowed."),
    NeptuneErrorCode(
        "ReadOnlyViolationException", 400, False,
        "A write was sent to a read-only instance (a replica, or a writer that just failed over).",
    ),
    NeptuneErrorCode("ThrottlingException", 500, True, "The request queue is full; slow down."),
    NeptuneErrorCode("TimeLimitExceededException", 500, True, "The query exceeded its time limit."),
    NeptuneErrorCode("TooManyRequestsException", 429, True, "Too many requests."),
    NeptuneErrorCode("UnsupportedOperationException", 400, False, "The operation is not supported."),
)

NEPTUNE_ERROR_CODES: dict[str, NeptuneErrorCode] = {row.name: row for row in _ROWS}
"""Neptune error code name -> its row in the published table."""
