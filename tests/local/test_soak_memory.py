"""The soak's memory criterion (``handler_rss_mb``, :func:`gwlocal.local.runner.rss_figures`) on
synthetic RSS samples: the rule itself, without a run's timing.

The samples are shaped like a 10-wave soak's: one every 0.1 s, a wave every 4 s, the first
sample just before the first wave (the sampler starts before the producer). The wave levels of
the step cases are those of real fresh-process 2,500-message soaks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from gwlocal.local.runner import MB, rss_figures

WAVES, WAVE_S, STEP_S, FIRST_WAVE_AT = 10, 4.0, 0.1, 0.05
KEYS = {"peak", "final", "first_10pct", "last_10pct", "wave_levels", "baseline", "baseline_from", "growth_pct"}


def soak(rss_mb: Callable[[float], float], waves: int = WAVES) -> dict:
    """``rss_figures`` of a 40 s run in ``waves`` waves whose RSS at time t (seconds since the first
    sample) is ``rss_mb(t)``."""
    times = [i * STEP_S for i in range(int(WAVES * WAVE_S / STEP_S) + 1)]
    starts = [FIRST_WAVE_AT + k * WAVES * WAVE_S / waves for k in range(waves)]
    return rss_figures(times, [int(rss_mb(t) * MB) for t in times], starts)


def wave_of(t: float) -> int:
    return min(max(int((t - FIRST_WAVE_AT) // WAVE_S), 0), WAVES - 1)


def startup_then(level: Callable[[float], float]) -> Callable[[float], float]:
    """50 MB at the first sample, ramping to ``level`` over the first wave's first 2 s (imports,
    first execution contexts, allocator warm-up), plus 0.2 MB in each wave's first 2 s (a burst's
    transient working set, freed before the lull)."""
    def rss(t: float) -> float:
        if t < 2.0:
            return 50 + (level(2.0) - 50) * t / 2.0
        return level(t) + (0.2 if FIRST_WAVE_AT < t % WAVE_S < 2.0 else 0.0)
    return rss


def stepwise(levels: Sequence[float]) -> Callable[[float], float]:
    """Each wave at its level (after the start-up ramp)."""
    return startup_then(lambda t: levels[wave_of(t)])


def test_startup_in_the_first_wave_then_flat_is_no_growth():
    figures = soak(startup_then(lambda t: 60.0))
    assert figures["baseline_from"] == "wave_1" and figures["baseline"] == 60.0
    assert figures["wave_levels"] == [60.0] * WAVES
    assert figures["growth_pct"] == 0.0
    assert figures["first_10pct"] < 58 and figures["last_10pct"] == 60.1  # the ramp, as the first tenth sees it


# The redelivery backoff's first SQS client (aiobotocore imported, botocore's SQS model loaded) is
# created on the first back-pressure failure, which the chaos brings in any wave; the other
# execution context's client and the allocator's and collector's settling follow in the next waves.
EARLY_STEP = [60.2, 61.0, 61.5, 77.8, 79.6, 80.1, 80.5, 80.7, 80.7, 80.7]
MIDDLE_STEP = [59.7, 61.2, 77.9, 79.0, 79.1, 80.6, 80.6, 80.6, 80.6, 80.6]
LATE_STEP = [60.9, 61.5, 62.2, 62.2, 62.2, 62.6, 62.6, 78.7, 78.6, 78.6]


@pytest.mark.parametrize("levels", [EARLY_STEP, MIDDLE_STEP, LATE_STEP], ids=["early", "middle", "late"])
def test_a_one_off_step_and_its_settling_are_not_growth(levels):
    figures = soak(stepwise(levels))
    assert figures["wave_levels"] == levels
    assert figures["growth_pct"] < 4
    # Measured from the first tenth, or from the end of the first wave, the step reads as a leak.
    assert (figures["last_10pct"] - figures["first_10pct"]) / figures["first_10pct"] > 0.25
    assert (figures["final"] - figures["baseline"]) / figures["baseline"] > 0.25


@pytest.mark.parametrize("step_mb", [0.0, 16.0])
def test_steady_growth_across_the_waves_is_flagged(step_mb):
    """A leak: +0.9 MB a wave (1.5% of 60 MB), with or without a one-off step on top."""
    figures = soak(startup_then(lambda t: 60.0 + 0.9 * t / WAVE_S + (step_mb if t > 17.3 else 0.0)))
    assert figures["growth_pct"] == pytest.approx(0.9 * 9 / figures["baseline"] * 100, abs=0.05)
    assert figures["growth_pct"] > 10  # RED under --soak's limit


def test_a_leak_seen_in_most_waves_of_each_half_is_flagged():
    """RSS grows in pages and arenas, so a leak can skip a wave now and then: +2 MB in 3 of the
    first half's 4 rises and 3 of the last half's 5, it is still each half's median rise."""
    leaky = {1, 2, 4, 5, 7, 9}  # the waves whose level is 2 MB above the previous wave's
    figures = soak(stepwise([60.0 + 2.0 * sum(1 for k in leaky if k <= wave) for wave in range(WAVES)]))
    assert figures["growth_pct"] == pytest.approx(2.0 * 9 / 60.0 * 100, abs=0.05)


def test_without_waves_growth_is_from_the_first_to_the_last_tenth():
    figures = soak(lambda t: 50.0 + t / 4.0, waves=1)  # 50 MB to 60 MB over the run
    assert figures["wave_levels"] == [] and figures["baseline_from"] == "first_10pct"
    assert figures["baseline"] == figures["first_10pct"]
    assert figures["growth_pct"] == pytest.approx(
        (figures["last_10pct"] - figures["first_10pct"]) / figures["first_10pct"] * 100, abs=0.2)
    assert figures["growth_pct"] > 10


def test_every_figure_is_there_in_every_case():
    assert set(rss_figures([], [], [])) == KEYS
    assert set(soak(lambda t: 60.0, waves=1)) == KEYS
    assert set(soak(lambda t: 60.0)) == KEYS
