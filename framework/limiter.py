"""Adaptive limits: how many requests an execution context keeps in flight, and how big they are.

Why adaptive: a fixed pace is blind to the database. Neptune executes about 2 x vCPU queries at a
time and queues up to ~8,000 more; beyond that it answers ``ThrottlingException``, and a query's
timeout clock starts when it enters the queue, so a deep queue turns into timeouts. Nothing but
the function itself slows the writers down (with ``ReportBatchItemFailures`` Lambda keeps polling
at full speed), so each execution context measures the database's answers and adapts.

The algorithm (chosen after Netflix concurrency-limits' AIMD/Gradient2 and Envoy's adaptive
concurrency filter, kept simple because one Lambda execution context sees few requests):

- **Latency floor.** The lowest request latency recently seen, re-measured from a fresh window
  every ``FLOOR_WINDOW`` samples, like Envoy's periodic minimum, so a floor seen when the
  database was idle does not stay forever. (Requests differ in size; the tolerance below is wide
  enough for that, while a building queue multiplies latency.)
- **Additive increase.** An answer within ``TOLERANCE`` x the floor raises the in-flight limit by
  ``1/limit`` (about +1 per round trip of ``limit`` requests, AIMD's slow probe upwards), and
  every ``GROW_EVERY`` such answers grow the request size by 25%, up to Neptune's guidance (about
  200 records and at most 1,500 Gremlin steps per request).
- **Multiplicative decrease.** Latency above ``TOLERANCE`` x the floor (a queue is building)
  cuts the limit by 10%; pushback halves it: a full queue (``ThrottlingException``, a
  connection-limit refusal) the limit only (smaller requests would be more requests), a request
  that was too much (``TimeLimitExceeded``, ``MemoryLimitExceeded``, a request timeout) the
  request size too. The size starts at Neptune's guidance (about 200 records) and grows back by
  25% every ``GROW_EVERY`` good answers.
- **Conflicts are not overload.** ``ConcurrentModificationException`` means writers contend for
  the same elements; it leaves the limits alone (the batch writer keeps conflicting elements
  apart instead, see :mod:`framework.request_planner`).

The state lives as long as the execution context's client, so what one invocation learned the
next one starts from.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

TOLERANCE = 2.0
FLOOR_WINDOW = 200
GROW_EVERY = 8


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """Bounds of the adaptive limits; ``adaptive=False`` keeps both at their maximum."""

    max_in_flight: int = 8
    initial_in_flight: int = 4
    max_records: int = 200
    """Neptune's guidance: about 200 records (an element's label, or one property) per request."""
    min_records: int = 20
    max_steps: int = 1500
    """Neptune may refuse a request of more than about 1,500 Gremlin steps."""
    adaptive: bool = True


class AdaptiveLimit:
    """The in-flight limit (a semaphore whose size adapts) and the request size, in records."""

    def __init__(self, settings: LimitSettings | None = None) -> None:
        self.settings = s = settings or LimitSettings()
        self._limit = float(s.initial_in_flight if s.adaptive else s.max_in_flight)
        self.records = s.max_records
        """Starts at Neptune's guidance (about 200 records), the recommended starting point."""
        self.in_flight = 0
        self.peak_in_flight = 0
        self._floor: float | None = None
        self._window_min: float | None = None
        self._samples = 0
        self._good = 0
        self._waiters: list[asyncio.Future[None]] = []
        self.pushbacks = 0

    @property
    def limit(self) -> int:
        return max(1, int(self._limit))

    async def acquire(self, deadline: float | None = None) -> bool:
        """Wait for an in-flight slot, at most until ``deadline``; False when the deadline came first."""
        while self.in_flight >= self.limit:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except TimeoutError:
                return False
            finally:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        return True

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        """Let every waiter re-check the limit (few waiters: one batch's requests)."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def reset_peak(self) -> None:
        self.peak_in_flight = self.in_flight

    # ------------------------------------------------------------------ feedback
    def on_success(self, latency_s: float, records: int) -> None:
        """A request of ``records`` records answered in ``latency_s``."""
        if not self.settings.adaptive:
            return
        self._track_floor(latency_s)
        floor = self._floor
        assert floor is not None
        if latency_s <= floor * TOLERANCE:
            self._limit = min(float(self.settings.max_in_flight), self._limit + 1.0 / max(self._limit, 1.0))
            self._good += 1
            if self._good >= GROW_EVERY:
                self._good = 0
                self.records = min(self.settings.max_records, int(self.records * 1.25) + 1)
            self._wake()
        else:
            self._limit = max(1.0, self._limit * 0.9)
            self._good = 0

    def on_pushback(self, *, heavy: bool = False) -> None:
        """The database pushed back: halve the in-flight limit.

        ``heavy``: the request itself was too much (``TimeLimitExceeded``, ``MemoryLimitExceeded``,
        a request timeout): halve the request size too. A full queue (``ThrottlingException``, a
        connection-limit refusal) is about how many requests arrive, not how big they are: smaller
        requests would only mean more of them.
        """
        self.pushbacks += 1
        if not self.settings.adaptive:
            return
        self._limit = max(1.0, self._limit * 0.5)
        if heavy:
            self.records = max(self.settings.min_records, self.records // 2)
        self._good = 0

    def _track_floor(self, value: float) -> None:
        self._samples += 1
        self._window_min = value if self._window_min is None else min(self._window_min, value)
        if self._floor is None or value < self._floor:
            self._floor = value
        if self._samples >= FLOOR_WINDOW:  # re-measure: the floor follows the recent minimum
            self._floor, self._window_min, self._samples = self._window_min, None, 0
