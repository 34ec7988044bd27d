"""Chaos decisions of the local endpoint: injected errors, conflicts and dropped responses.

Why a separate, seeded component: chaos runs must be reproducible (the same seed draws the same
faults in the same order) and every decision is counted, so a test can assert the framework
saw exactly the faults the endpoint made.
"""

from __future__ import annotations

import random

from .errors import NeptuneError, concurrent_modification
from .settings import EndpointSettings


class FaultPlan:
    """Draws faults from the current settings with one seeded RNG."""

    def __init__(self, seed: int | None) -> None:
        self._rng = random.Random(seed)
        self.injected_errors = 0
        self.injected_conflicts = 0

    def reseed(self, seed: int | None) -> None:
        self._rng = random.Random(seed)

    def injected_error(self, settings: EndpointSettings, *, is_write: bool) -> NeptuneError | None:
        """The chaos error for this request, if any (counted ones first, then by rate)."""
        inject = settings.inject
        if inject.writes_only and not is_write:
            return None
        fire = False
        if inject.count > 0:
            inject.count -= 1
            fire = True
        elif inject.rate > 0 and self._rng.random() < inject.rate:
            fire = True
        if not fire:
            return None
        self.injected_errors += 1
        if inject.code == "ConcurrentModificationException":
            return concurrent_modification("an element (injected by the local endpoint)")
        return NeptuneError(inject.code, f"{inject.code} injected by the local endpoint's chaos settings.")

    def injected_conflict(self, settings: EndpointSettings) -> NeptuneError | None:
        """A write conflict at ``conflict_rate``, for chaos beyond the real lock conflicts."""
        if settings.conflict_rate > 0 and self._rng.random() < settings.conflict_rate:
            self.injected_conflicts += 1
            return concurrent_modification("an element (conflict_rate chaos)")
        return None

    def drop_mode(self, settings: EndpointSettings) -> str | None:
        """``drop.mode`` when this request's response is to be dropped, else None."""
        drop = settings.drop
        if drop.count > 0:
            drop.count -= 1
            return drop.mode
        if drop.rate > 0 and self._rng.random() < drop.rate:
            return drop.mode
        return None
