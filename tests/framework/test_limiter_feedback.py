"""The adaptive limit's feedback arithmetic, step by step: how much one good answer raises the
in-flight limit, where "good" ends (exactly ``TOLERANCE`` x the floor is still good), when the
request size grows back, and when the latency floor is re-measured from a fresh window."""

from __future__ import annotations

from framework.limiter import FLOOR_WINDOW, GROW_EVERY, AdaptiveLimit, LimitSettings


def test_a_good_answer_raises_the_limit_by_one_over_the_limit():
    limit = AdaptiveLimit(LimitSettings(max_in_flight=64, initial_in_flight=4))
    limit.on_success(0.01, 10)
    assert limit.limit == 4  # 4.25
    for _ in range(3):
        limit.on_success(0.01, 10)
    assert limit.limit == 4  # 4.25 + 1/4.25 + ...: still below 5 after four good answers
    limit.on_success(0.01, 10)
    assert limit.limit == 5
    one = AdaptiveLimit(LimitSettings(max_in_flight=64, initial_in_flight=1))
    one.on_success(0.01, 10)
    assert one.limit == 2  # 1 + 1/1


def test_exactly_tolerance_times_the_floor_is_still_a_good_answer():
    limit = AdaptiveLimit(LimitSettings(max_in_flight=64, initial_in_flight=1))
    limit.on_success(0.5, 10)   # the floor; good: 1 -> 2
    limit.on_success(1.0, 10)   # 2.0 x the floor: still good, 2 -> 2.5
    assert limit.limit == 2
    limit.on_success(1.0001, 10)  # beyond: cut by 10%, 2.5 -> 2.25
    limit.on_success(1.0001, 10)  # 2.25 -> 2.025
    limit.on_success(1.0001, 10)  # -> 1.8225
    assert limit.limit == 1


def _shrunk(limit: AdaptiveLimit) -> int:
    limit.on_success(0.01, 10)  # the floor; one good answer
    limit.on_pushback(heavy=True)  # halves the size, resets the good-answer count
    return limit.records


def test_the_size_grows_after_every_grow_every_good_answers():
    limit = AdaptiveLimit(LimitSettings(max_records=200, min_records=20))
    assert _shrunk(limit) == 100
    sizes = []
    for _ in range(2 * GROW_EVERY):
        limit.on_success(0.01, 10)
        sizes.append(limit.records)
    assert sizes == [100] * (GROW_EVERY - 1) + [126] * GROW_EVERY + [158]


def test_a_slow_answer_starts_the_good_answer_count_again():
    limit = AdaptiveLimit(LimitSettings(max_records=200, min_records=20))
    assert _shrunk(limit) == 100
    for _ in range(GROW_EVERY - 1):
        limit.on_success(0.01, 10)
    limit.on_success(1.0, 10)  # slow: the count starts again
    sizes = []
    for _ in range(GROW_EVERY):
        limit.on_success(0.01, 10)
        sizes.append(limit.records)
    assert sizes == [100] * (GROW_EVERY - 1) + [126]


def test_the_floor_follows_the_minimum_of_each_fresh_window():
    """One fast answer, then only slower ones: they count as slow until the window that held the fast
    answer is over and a whole window of slower ones has been seen (sample 2 x FLOOR_WINDOW)."""
    limit = AdaptiveLimit(LimitSettings(max_in_flight=64, initial_in_flight=1))
    limit.on_success(0.01, 10)
    assert limit.limit == 2
    first_good = None
    for sample in range(2, 3 * FLOOR_WINDOW):
        limit.on_success(0.05, 10)  # 5 x the fast one: slow while that is the floor (the limit falls to 1)
        if limit.limit > 1:
            first_good = sample
            break
    assert first_good == 2 * FLOOR_WINDOW


async def test_the_peak_starts_at_zero_and_follows_the_slots_taken():
    limit = AdaptiveLimit(LimitSettings(max_in_flight=8, initial_in_flight=4))
    assert limit.peak_in_flight == 0
    assert await limit.acquire() and await limit.acquire()
    assert limit.peak_in_flight == 2
