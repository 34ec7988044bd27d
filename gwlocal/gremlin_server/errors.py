"""Errors the local endpoint returns, in exactly Neptune's shape.

Neptune reports an engine error as JSON ``{"requestId", "code", "detailedMessage"}`` carried in
the Gremlin response's status message; the response status code is the HTTP status Neptune's
error table gives for that code. Every failure inside the endpoint (engine, wire, faults) is a
``NeptuneError`` so the server has one place that turns failures into responses.
"""

from __future__ import annotations

import json

from framework.neptune_codes import NEPTUNE_ERROR_CODES


class NeptuneError(Exception):
    """A Neptune engine error with one of the published codes."""

    def __init__(self, code: str, detailed_message: str) -> None:
        if code not in NEPTUNE_ERROR_CODES:
            raise ValueError(f"unknown Neptune error code {code!r}")
        super().__init__(f"{code}: {detailed_message}")
        self.code = code
        self.detailed_message = detailed_message

    @property
    def http_status(self) -> int:
        return NEPTUNE_ERROR_CODES[self.code].http_status

    def status_message(self, request_id: str) -> str:
        """The JSON Neptune puts in the response status message."""
        return json.dumps(
            {"requestId": request_id, "code": self.code, "detailedMessage": self.detailed_message}
        )


def malformed(message: str) -> NeptuneError:
    return NeptuneError("MalformedQueryException", message)


def invalid_parameter(message: str) -> NeptuneError:
    return NeptuneError("InvalidParameterException", message)


def unsupported_step(name: str) -> NeptuneError:
    """An unsupported step fails loudly, never with a wrong answer."""
    return NeptuneError(
        "MalformedQueryException",
        f"Unsupported step '{name}': the local Gremlin endpoint does not implement it "
        "(see README, 'Local Gremlin endpoint', 'Supported steps').",
    )


def concurrent_modification(element: str) -> NeptuneError:
    return NeptuneError(
        "ConcurrentModificationException",
        f"Failed to complete operation on {element} due to conflicting concurrent operations. "
        "Please retry. 0 transactions are currently rolled back.",
    )


def read_only_violation() -> NeptuneError:
    return NeptuneError(
        "ReadOnlyViolationException",
        "The request is rejected because it violates some read-only constraint, "
        "such as a designation of a replica as read-only.",
    )
