"""Traversers and the per-request execution context.

A traverser is immutable: the current object, the ``as()``-labelled history needed by ``select``/
``where``/``dedup(labels)``, and (for ``otherV()``) the vertex an edge was reached from. Immutability
lets filters pass traversers through untouched and lets branches share them safely.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..graph import GraphStore, Transaction
from .failures import time_limit_exceeded

_TICKS_PER_DEADLINE_CHECK = 256


@dataclass(frozen=True, slots=True)
class Traverser:
    obj: Any
    path: tuple[tuple[str, Any], ...] = ()
    came_from: Any = None

    def split(self, obj: Any, came_from: Any = None) -> Traverser:
        """The same traverser history, now at ``obj``."""
        return Traverser(obj, self.path, came_from)

    def labelled(self, labels: Iterable[str]) -> Traverser:
        extra = tuple((label, self.obj) for label in labels)
        return Traverser(self.obj, self.path + extra, self.came_from)

    def labelled_values(self, label: str) -> list[Any]:
        return [obj for name, obj in self.path if name == label]


class Context:
    """What every step needs: the transaction (all reads and writes), the deadline, the rng."""

    def __init__(
        self,
        txn: Transaction,
        *,
        deadline: float | None = None,
        side_effects: dict[str, Any] | None = None,
    ) -> None:
        self.txn = txn
        self.store: GraphStore = txn.store
        self.rng: random.Random = txn.store.rng
        self.deadline = deadline
        self.side_effects: dict[str, Any] = side_effects or {}
        self._ticks = 0

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise time_limit_exceeded()

    def tick(self) -> None:
        """Count one traverser operation; look at the clock every few hundred."""
        self._ticks += 1
        if self._ticks % _TICKS_PER_DEADLINE_CHECK == 0:
            self.check_deadline()

    def ticking(self, stream: Iterable[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            self.tick()
            yield t
