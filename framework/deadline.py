"""An invocation's deadlines, from the Lambda context: when to stop starting work, when to stop waiting.

Why two: a Lambda invocation that is still running at its timeout is killed, and SQS then
redelivers its *whole* batch, good messages included, until they land in the DLQ. So:

- ``soft`` = timeout - ``GRAPHWORKER_DEADLINE_MARGIN_S``: no request, retry, connect or mapping
  starts after it, and every request's own timeout ends by it (the deadline guard);
- ``hard`` = timeout - a third of the margin (at least 50 ms before the timeout): anything still
  waiting then (a request the database never answers, a user's async mapping function that
  hangs) is abandoned; its messages are reported failed, so the invocation still returns its
  ``batchItemFailures`` before Lambda's timeout.

Times are ``time.monotonic()`` values, which is also the event loop's clock, so they can be
given to ``asyncio.timeout_at``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

MIN_HARD_MARGIN_S = 0.05


@dataclass(frozen=True, slots=True)
class InvocationDeadline:
    soft: float
    hard: float
    timeout_at: float
    """When Lambda kills the invocation."""

    @classmethod
    def from_context(cls, context: Any, margin_s: float) -> InvocationDeadline | None:
        """From ``context.get_remaining_time_in_millis()``; None without a usable Lambda context."""
        remaining_fn = getattr(context, "get_remaining_time_in_millis", None)
        if not callable(remaining_fn):
            return None
        try:
            remaining_ms = float(remaining_fn())
        except (TypeError, ValueError):
            return None
        if remaining_ms != remaining_ms:  # NaN from a broken stand-in: no deadline at all is safer than NaN
            return None
        now = time.monotonic()
        end = now + max(remaining_ms, 0.0) / 1000.0
        hard_margin = max(margin_s / 3.0, MIN_HARD_MARGIN_S)
        return cls(soft=end - margin_s, hard=max(end - hard_margin, now), timeout_at=end)

    def soft_left(self) -> float:
        return self.soft - time.monotonic()
