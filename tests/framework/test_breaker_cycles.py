"""The circuit breaker across more than one open/close cycle, on an injected clock: a breaker that
has closed again opens and probes exactly as a fresh one does, and a released probe lets the next
request be the probe."""

from __future__ import annotations

from framework.breaker import CLOSED, HALF_OPEN, OPEN, BreakerSettings, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _open(breaker: CircuitBreaker) -> None:
    for _ in range(breaker.settings.failure_threshold):
        breaker.record_failure("ThrottlingException")
    assert breaker.state == OPEN


def test_a_breaker_closed_by_a_probe_opens_and_probes_again_like_a_fresh_one():
    clock = Clock()
    breaker = CircuitBreaker(BreakerSettings(cooldown_s=5.0, max_cooldown_s=60.0), clock=clock)
    _open(breaker)
    clock.now += 5.0
    assert breaker.allow() and breaker.state == HALF_OPEN
    breaker.record_failure("still throttled")  # the probe failed: cool down twice as long
    assert breaker.retry_after_s() == 10.0
    clock.now += 10.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == CLOSED

    _open(breaker)  # the second cycle: the cool-down is back at its start, and a probe goes again
    assert breaker.retry_after_s() == 5.0 and breaker.blocked() and not breaker.allow()
    clock.now += 5.0
    assert breaker.allow() and breaker.state == HALF_OPEN
    assert not breaker.allow()  # exactly one probe


def test_a_released_probe_lets_the_next_request_probe():
    clock = Clock()
    breaker = CircuitBreaker(BreakerSettings(cooldown_s=5.0), clock=clock)
    _open(breaker)
    clock.now += 5.0
    assert breaker.allow() and not breaker.allow()
    breaker.release_probe()  # the probe told nothing (a content error)
    assert breaker.allow() and breaker.state == HALF_OPEN
    assert not breaker.allow()


def test_blocked_is_true_only_while_open_and_cooling_down():
    clock = Clock()
    clock.now = 1.0  # early on a fresh clock: a closed breaker is still not blocked
    breaker = CircuitBreaker(BreakerSettings(cooldown_s=5.0), clock=clock)
    assert not breaker.blocked()
    _open(breaker)
    assert breaker.blocked()
    clock.now += 4.999
    assert breaker.blocked()
    clock.now = 6.0  # exactly the cool-down later: a probe may go
    assert not breaker.blocked() and breaker.retry_after_s() == 0.0
    assert breaker.allow() and not breaker.blocked()  # half-open: not blocked
