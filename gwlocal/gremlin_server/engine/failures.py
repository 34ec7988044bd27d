"""Engine failures, each one of Neptune's published error codes.

Why a module of constructors: the server turns any ``NeptuneError`` into Neptune's error JSON, so
the engine must never leak a bare Python exception for a query-level problem; keeping the codes
and message wording here makes the choice of code for each failure reviewable in one place.
"""

from __future__ import annotations

from ..errors import NeptuneError, invalid_parameter, malformed, unsupported_step

__all__ = [
    "NeptuneError",
    "constraint_violation",
    "invalid_parameter",
    "lambda_rejected",
    "malformed",
    "time_limit_exceeded",
    "unsupported",
    "unsupported_operation",
    "unsupported_step",
]


def constraint_violation(message: str) -> NeptuneError:
    return NeptuneError("ConstraintViolationException", message)


def time_limit_exceeded() -> NeptuneError:
    return NeptuneError(
        "TimeLimitExceededException",
        "A timeout occurred within the Amazon Neptune engine while processing the request: "
        "the query exceeded its evaluation timeout.",
    )


def unsupported_operation(message: str) -> NeptuneError:
    return NeptuneError("UnsupportedOperationException", message)


def unsupported(what: str) -> NeptuneError:
    """A step form (not a whole step) the local endpoint does not implement, e.g. ``order(local)``."""
    return unsupported_step(what)


def lambda_rejected(step: str) -> NeptuneError:
    return NeptuneError(
        "MalformedQueryException",
        f"Unsupported step '{step}' with a lambda argument: Neptune does not support lambda steps.",
    )
