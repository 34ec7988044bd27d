"""A circuit breaker per execution context: stop sending to a database that is down or drowning.

Why: retries with backoff and a retry budget absorb short trouble. When the database stays
overloaded or unreachable beyond that, every further request only adds load (or waits for a
timeout) and every message of the batch fails anyway. The breaker then *opens*: requests fail
at once without touching Neptune (their messages go back to SQS, with a redelivery delay, see
:mod:`framework.redelivery`), until a cool-down has passed; then one *probe* request goes
through (half-open): success closes the breaker, failure opens it again for twice as long (up
to ``max_cooldown_s``).

What opens it: ``failure_threshold`` requests in a row that failed for good because of the
database's state (throttling or limits after the retries, timeouts, connections that could not
be made, the retry budget spent); any success resets the count. Conflicts and content errors
(a malformed value, a missing endpoint vertex) say nothing about the database's health and do
not count.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    failure_threshold: int = 3
    cooldown_s: float = 5.0
    max_cooldown_s: float = 60.0
    enabled: bool = True


class CircuitBreaker:
    """``allow()`` before a request; ``record_success()``/``record_failure()`` after it."""

    def __init__(self, settings: BreakerSettings | None = None, *, clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[str, str], None] | None = None) -> None:
        self.settings = settings or BreakerSettings()
        self.state = CLOSED
        self._clock = clock
        self._failures = 0
        self._cooldown = self.settings.cooldown_s
        self._opened_at = 0.0
        self._probe_out = False
        self.reason = ""
        self.on_change = on_change
        self.transitions: list[tuple[float, str, str]] = []
        """(time, new state, reason): the history tests and the local report read."""

    def allow(self) -> bool:
        """May a request go now? In half-open state exactly one probe is let through."""
        if not self.settings.enabled or self.state == CLOSED:
            return True
        if self.state == OPEN:
            if self._clock() - self._opened_at < self._cooldown:
                return False
            self._move(HALF_OPEN, "cool-down over: probing")
        if self._probe_out:
            return False
        self._probe_out = True
        return True

    def blocked(self) -> bool:
        """Open and still cooling down (a check that takes no probe)."""
        return self.settings.enabled and self.state == OPEN and self._clock() - self._opened_at < self._cooldown

    def retry_after_s(self) -> float:
        """How long until the breaker lets a probe through (0 when closed)."""
        if self.state != OPEN:
            return 0.0
        return max(self._cooldown - (self._clock() - self._opened_at), 0.0)

    def record_success(self) -> None:
        self._failures = 0
        if self.state != CLOSED:
            self._probe_out = False
            self._cooldown = self.settings.cooldown_s
            self._move(CLOSED, "probe succeeded")

    def record_failure(self, reason: str) -> None:
        """A request failed for good because of the database's state."""
        if not self.settings.enabled:
            return
        self._failures += 1
        if self.state == HALF_OPEN:
            self._probe_out = False
            self._cooldown = min(self._cooldown * 2, self.settings.max_cooldown_s)
            self._open(f"probe failed: {reason}")
        elif self.state == CLOSED and self._failures >= self.settings.failure_threshold:
            self._open(f"{self._failures} requests in a row failed: {reason}")

    def release_probe(self) -> None:
        """A probe ended without telling anything (e.g. a content error): let another one go."""
        self._probe_out = False

    def _open(self, reason: str) -> None:
        self._opened_at = self._clock()
        self._move(OPEN, reason)

    def _move(self, state: str, reason: str) -> None:
        if state == self.state:
            return
        self.state = state
        self.reason = reason
        self.transitions.append((time.time(), state, reason))
        if self.on_change is not None:
            self.on_change(state, reason)
