"""The retry loop on its own: bounds, budget, deadline, hooks (attempts are plain coroutines)."""

from __future__ import annotations

import random
import time

import pytest

from framework.errors import (
    ConflictError,
    DeadlineExceeded,
    PermanentError,
    RetryBudgetExhausted,
    ThrottledError,
)
from framework.retry import RetryBudget, RetryPolicy, call_with_retries

FAST = RetryPolicy(max_attempts=5, max_time_s=5, base_s=0.001, max_backoff_s=0.004, min_attempt_s=0.01)


def failing(times: int, exc: type[Exception] = ConflictError):
    calls = []

    async def attempt() -> str:
        calls.append(time.monotonic())
        if len(calls) <= times:
            raise exc(f"failure {len(calls)}")
        return "ok"

    return attempt, calls


async def test_retries_until_success_and_refills_budget():
    attempt, calls = failing(2)
    budget = RetryBudget(capacity=10, refill_per_success=0.5)
    waits: list[float] = []
    result = await call_with_retries(attempt, policy=FAST, budget=budget, rng=random.Random(1),
                                     on_retry=lambda exc, tries, wait: waits.append(wait))
    assert result == "ok" and len(calls) == 3
    assert budget.tokens == 8.5  # two retries spent, one success returned half a token
    assert len(waits) == 2 and all(0 <= w <= FAST.max_backoff_s for w in waits)


async def test_full_jitter_is_seeded():
    async def run(seed: int) -> list[float]:
        attempt, _ = failing(4)
        waits: list[float] = []
        await call_with_retries(attempt, policy=FAST, budget=RetryBudget(10, 0), rng=random.Random(seed),
                                on_retry=lambda exc, tries, wait: waits.append(wait))
        return waits

    assert await run(3) == await run(3)
    assert await run(3) != await run(4)


async def test_permanent_errors_are_not_retried():
    attempt, calls = failing(1, PermanentError)
    with pytest.raises(PermanentError):
        await call_with_retries(attempt, policy=FAST, budget=RetryBudget(10, 0))
    assert len(calls) == 1


async def test_max_attempts_raise_the_last_error():
    attempt, calls = failing(100, ThrottledError)
    budget = RetryBudget(10, 0)
    with pytest.raises(ThrottledError, match="failure 5"):
        await call_with_retries(attempt, policy=FAST, budget=budget)
    assert len(calls) == 5
    assert budget.tokens == 6  # four retries; the fifth failure spends nothing


async def test_budget_exhaustion_stops_retrying():
    attempt, calls = failing(100)
    with pytest.raises(RetryBudgetExhausted) as err:
        await call_with_retries(attempt, policy=FAST, budget=RetryBudget(1, 0))
    assert len(calls) == 2
    assert isinstance(err.value.last_error, ConflictError)


async def test_no_attempt_starts_past_the_deadline():
    policy = RetryPolicy(max_attempts=1000, max_time_s=30, base_s=0.02, max_backoff_s=0.02, min_attempt_s=0.01)
    attempt, calls = failing(10_000)
    deadline = time.monotonic() + 0.2
    with pytest.raises(DeadlineExceeded) as err:
        await call_with_retries(attempt, policy=policy, budget=RetryBudget(1000, 0), deadline=deadline)
    assert calls and max(calls) <= deadline - policy.min_attempt_s
    assert isinstance(err.value.last_error, ConflictError)


async def test_a_passed_deadline_makes_no_attempt():
    attempt, calls = failing(0)
    with pytest.raises(DeadlineExceeded):
        await call_with_retries(attempt, policy=FAST, budget=RetryBudget(1, 0), deadline=time.monotonic())
    assert calls == []
