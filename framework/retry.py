"""Retries with the ``backoff`` library: exponential, full jitter, bounded by tries, time,
the caller's deadline and a process-wide retry budget.

Why all four bounds: max tries and max time stop one request; the deadline (Lambda time left
minus a margin) makes sure a retry never outlives the invocation that would report its result;
the budget stops a fleet of execution contexts from multiplying load on a database that is
already failing (each retry spends a token, each success returns a fraction of one).
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import backoff

from .errors import DeadlineExceeded, GraphRequestError, RetriableError, RetryBudgetExhausted

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to retry one request."""

    max_attempts: int = 6
    max_time_s: float = 20.0
    base_s: float = 0.05
    max_backoff_s: float = 5.0
    min_attempt_s: float = 0.05
    """An attempt is not started with less than this left before the deadline."""


class RetryBudget:
    """A token bucket shared by every request of an execution context."""

    def __init__(self, capacity: float, refill_per_success: float) -> None:
        self.capacity = capacity
        self.refill_per_success = refill_per_success
        self.tokens = capacity

    def try_spend(self, cost: float = 1.0) -> bool:
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True

    def on_success(self) -> None:
        self.tokens = min(self.capacity, self.tokens + self.refill_per_success)


RetryHook = Callable[[GraphRequestError, int, float], Awaitable[None] | None]
"""Called before each backoff sleep with (error, attempt number that failed, wait seconds)."""


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    budget: RetryBudget,
    deadline: float | None = None,
    rng: random.Random | None = None,
    on_retry: RetryHook | None = None,
    clock: Callable[[], float] = time.monotonic,
    retryable: Callable[[GraphRequestError], bool] | None = None,
) -> T:
    """Run ``attempt`` until it succeeds, a non-retriable error occurs, or a bound is hit.

    Raises the last error itself when attempts or max time run out (or the error is not
    retriable, or ``retryable`` says the caller wants it at once), :class:`DeadlineExceeded`
    when the deadline stops retrying and :class:`RetryBudgetExhausted` when the budget does (both
    carry ``last_error``).
    ``deadline`` is a ``clock()`` value (``time.monotonic`` by default).
    """
    jitter_rng = rng or random.Random()
    stopped: dict[str, Any] = {"tries": 0}

    def remaining() -> float | None:
        return None if deadline is None else deadline - clock()

    max_time = policy.max_time_s
    left = remaining()
    if left is not None:
        if left < policy.min_attempt_s:
            raise DeadlineExceeded(f"deadline too close to start a request ({left * 1000:.0f} ms left)", None)
        max_time = min(max_time, left)

    async def guarded() -> T:
        left = remaining()
        if left is not None and left < policy.min_attempt_s:
            raise DeadlineExceeded(
                f"stopped retrying: {max(left, 0) * 1000:.0f} ms left before the deadline",
                stopped.get("last"))
        stopped["tries"] += 1
        return await attempt()

    def giveup(exc: Exception) -> bool:
        stopped["last"] = exc
        if not isinstance(exc, RetriableError):
            return True
        if retryable is not None and not retryable(exc):
            return True  # the caller handles this one itself (e.g. by splitting the request)
        if stopped["tries"] >= policy.max_attempts:
            return True  # out of attempts: no retry, so no token is spent
        if not budget.try_spend():
            stopped["budget"] = True
            return True
        return False

    async def before_sleep(details: Any) -> None:
        if on_retry is not None:
            result = on_retry(details["exception"], int(details["tries"]), float(details["wait"]))
            if result is not None:
                await result

    retrying = backoff.on_exception(
        backoff.expo,
        RetriableError,
        max_tries=policy.max_attempts,
        max_time=max_time,
        jitter=lambda value: jitter_rng.uniform(0, value),
        giveup=giveup,
        on_backoff=before_sleep,
        raise_on_giveup=True,
        logger=None,  # retries are reported as metrics and span events, not as log lines
        base=2,
        factor=policy.base_s,
        max_value=policy.max_backoff_s,
    )(guarded)
    try:
        result: T = await retrying()
    except RetriableError as exc:
        if stopped.get("budget"):
            raise RetryBudgetExhausted(f"retry budget exhausted; last error: {exc}", exc) from exc
        left = remaining()
        if left is not None and left < policy.min_attempt_s:
            raise DeadlineExceeded(f"deadline reached while retrying; last error: {exc}", exc) from exc
        raise
    budget.on_success()
    return result
