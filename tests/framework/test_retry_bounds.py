"""The retry loop's exact words and numbers: each way it stops says why, how long it waits,
what the hook is told, what the budget does at its edges, and the policy's defaults.

The deadline side runs on an injected clock (``call_with_retries(clock=...)``), so "ms left"
is exact; the waits come from a seeded ``random.Random`` and are recomputed from the same seed.
"""

from __future__ import annotations

import logging
import random

import pytest

from framework.errors import ConflictError, DeadlineExceeded, RetryBudgetExhausted, ThrottledError
from framework.retry import RetryBudget, RetryPolicy, call_with_retries

POLICY = RetryPolicy(max_attempts=5, max_time_s=30, base_s=0.001, max_backoff_s=0.004, min_attempt_s=0.5)


class Clock:
    """A clock the attempts move forward (``time.monotonic`` stand-in)."""

    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def failing(clock: Clock, *, step: float = 0.0, times: int = 1000, exc: type[Exception] = ConflictError):
    calls: list[float] = []

    async def attempt() -> str:
        calls.append(clock.now)
        clock.now += step
        if len(calls) <= times:
            raise exc(f"failure {len(calls)}")
        return "ok"

    return attempt, calls


async def test_deadline_too_close_to_start_says_how_close():
    clock = Clock()
    attempt, calls = failing(clock)
    with pytest.raises(DeadlineExceeded) as err:
        await call_with_retries(attempt, policy=POLICY, budget=RetryBudget(10, 0), deadline=100.25, clock=clock)
    assert str(err.value) == "deadline too close to start a request (250 ms left)"
    assert err.value.last_error is None and calls == []


async def test_deadline_exactly_at_the_minimum_still_starts():
    clock = Clock()
    attempt, calls = failing(clock, times=0)
    assert await call_with_retries(attempt, policy=POLICY, budget=RetryBudget(10, 0), deadline=100.5,
                                   clock=clock) == "ok"
    assert calls == [100.0]


async def test_stopped_before_a_retry_too_close_to_the_deadline():
    clock = Clock()
    attempt, calls = failing(clock, step=0.75)  # the first attempt leaves 250 ms: too little for another
    with pytest.raises(DeadlineExceeded) as err:
        await call_with_retries(attempt, policy=POLICY, budget=RetryBudget(10, 0), deadline=101.0, clock=clock)
    assert str(err.value) == "stopped retrying: 250 ms left before the deadline"
    assert isinstance(err.value.last_error, ConflictError) and str(err.value.last_error) == "failure 1"
    assert calls == [100.0]


async def test_stopped_past_the_deadline_says_none_left():
    clock = Clock()
    attempt, _ = failing(clock, step=2.0)
    with pytest.raises(DeadlineExceeded) as err:
        await call_with_retries(attempt, policy=POLICY, budget=RetryBudget(10, 0), deadline=101.0, clock=clock)
    assert str(err.value) == "stopped retrying: 0 ms left before the deadline"


async def test_out_of_attempts_near_the_deadline_is_a_deadline_stop():
    clock = Clock()
    attempt, calls = failing(clock, step=0.375)  # second attempt ends with 250 ms left
    policy = RetryPolicy(max_attempts=2, max_time_s=30, base_s=0.001, max_backoff_s=0.004, min_attempt_s=0.5)
    with pytest.raises(DeadlineExceeded) as err:
        await call_with_retries(attempt, policy=policy, budget=RetryBudget(10, 0), deadline=101.0, clock=clock)
    assert str(err.value) == "deadline reached while retrying; last error: failure 2"
    assert str(err.value.last_error) == "failure 2" and len(calls) == 2


async def test_out_of_attempts_far_from_the_deadline_raises_the_last_error():
    clock = Clock()
    attempt, calls = failing(clock, step=0.1)
    policy = RetryPolicy(max_attempts=2, max_time_s=30, base_s=0.001, max_backoff_s=0.004, min_attempt_s=0.5)
    with pytest.raises(ConflictError, match=r"^failure 2$"):
        await call_with_retries(attempt, policy=policy, budget=RetryBudget(10, 0), deadline=110.0, clock=clock)
    assert len(calls) == 2


async def test_budget_stop_says_so_with_the_last_error():
    clock = Clock()
    attempt, calls = failing(clock)
    with pytest.raises(RetryBudgetExhausted) as err:
        await call_with_retries(attempt, policy=POLICY, budget=RetryBudget(2, 0), clock=clock)
    assert str(err.value) == "retry budget exhausted; last error: failure 3"
    assert str(err.value.last_error) == "failure 3" and len(calls) == 3


async def test_caller_refused_retry_is_raised_at_once_without_spending():
    clock = Clock()
    attempt, calls = failing(clock, exc=ThrottledError)
    budget = RetryBudget(10, 0)
    seen: list[Exception] = []

    def retryable(exc):
        seen.append(exc)
        return False

    with pytest.raises(ThrottledError, match=r"^failure 1$"):
        await call_with_retries(attempt, policy=POLICY, budget=budget, retryable=retryable, clock=clock)
    assert len(calls) == 1 and [str(e) for e in seen] == ["failure 1"]
    assert budget.tokens == 10


async def test_caller_accepted_retry_goes_on():
    clock = Clock()
    attempt, calls = failing(clock, times=2)
    assert await call_with_retries(attempt, policy=POLICY, budget=RetryBudget(10, 0), clock=clock,
                                   retryable=lambda exc: True) == "ok"
    assert len(calls) == 3


async def test_waits_are_full_jitter_over_capped_exponential_backoff():
    clock = Clock()
    attempt, _ = failing(clock, times=4)
    told: list[tuple[str, int, float]] = []

    async def on_retry(exc, tries, wait):  # an async hook is awaited
        told.append((str(exc), tries, wait))

    assert await call_with_retries(attempt, policy=POLICY, budget=RetryBudget(10, 0), rng=random.Random(9),
                                   on_retry=on_retry, clock=clock) == "ok"
    same = random.Random(9)
    expected = [same.uniform(0, cap) for cap in (0.001, 0.002, 0.004, 0.004)]
    assert told == [(f"failure {n}", n, w) for n, w in zip(range(1, 5), expected, strict=True)]
    assert all(isinstance(t, int) and isinstance(w, float) for _, t, w in told)


async def test_success_refills_the_budget_up_to_its_capacity():
    clock = Clock()
    budget = RetryBudget(3, 2.5)
    attempt, _ = failing(clock, times=1)
    assert await call_with_retries(attempt, policy=POLICY, budget=budget, clock=clock) == "ok"
    assert budget.tokens == 3  # 3 - 1 + 2.5, capped
    budget.tokens = 0.25
    budget.on_success()
    assert budget.tokens == 2.75


def test_budget_spends_down_to_exactly_zero():
    budget = RetryBudget(2, 0)
    assert budget.try_spend() and budget.tokens == 1
    assert budget.try_spend(1.0) and budget.tokens == 0
    assert not budget.try_spend() and budget.tokens == 0
    budget = RetryBudget(1.5, 0)
    assert not budget.try_spend(2.0) and budget.tokens == 1.5


def test_policy_defaults():
    p = RetryPolicy()
    assert (p.max_attempts, p.max_time_s, p.base_s, p.max_backoff_s, p.min_attempt_s) == (6, 20.0, 0.05, 5.0, 0.05)


async def test_time_left_before_the_deadline_caps_the_retrying_time():
    """The deadline also bounds backoff's own timer (max_time): with 50 ms left, retrying stops
    after about 50 ms of real time, long before 200 attempts. The injected clock stands still
    here, so only that cap can stop it."""
    clock = Clock()
    attempt, calls = failing(clock)
    policy = RetryPolicy(max_attempts=200, max_time_s=30, base_s=0.001, max_backoff_s=0.002, min_attempt_s=0.01)
    with pytest.raises(ConflictError):
        await call_with_retries(attempt, policy=policy, budget=RetryBudget(1000, 0), rng=random.Random(1),
                                deadline=100.05, clock=clock)
    assert 2 <= len(calls) < 200


WIDE = RetryPolicy(max_attempts=5, max_time_s=30, base_s=0.001, max_backoff_s=0.004, min_attempt_s=2.0)


async def test_time_left_is_reported_in_whole_milliseconds():
    clock = Clock()
    attempt, calls = failing(clock)
    with pytest.raises(DeadlineExceeded) as err:
        await call_with_retries(attempt, policy=WIDE, budget=RetryBudget(10, 0), deadline=101.5, clock=clock)
    assert str(err.value) == "deadline too close to start a request (1500 ms left)"
    attempt, calls = failing(clock, step=1.5)  # the first attempt leaves 1.5 s: under the 2 s minimum
    with pytest.raises(DeadlineExceeded) as err:
        await call_with_retries(attempt, policy=WIDE, budget=RetryBudget(10, 0), deadline=103.0, clock=clock)
    assert str(err.value) == "stopped retrying: 1500 ms left before the deadline"
    assert calls == [100.0]


async def test_retries_are_not_logged(caplog):
    """Retries are reported as metrics and span events; the backoff library logs nothing."""
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    attempt, _ = failing(clock, times=2)
    assert await call_with_retries(attempt, policy=POLICY, budget=RetryBudget(10, 0), clock=clock) == "ok"
    attempt, _ = failing(clock, exc=ThrottledError)
    with pytest.raises(ThrottledError):
        await call_with_retries(attempt, policy=POLICY, budget=RetryBudget(10, 0), clock=clock)
    assert caplog.records == []
