"""Traversers and the per-request execution context.

A traverser is immutable: the current object, its path, the vertex an edge was reached from (for
``otherV()``) and its loop counters (for ``repeat()``/``loops()``). Immutability lets filters pass
traversers through untouched and lets branches share them safely.

The path is a tuple of ``(object, labels)`` entries, oldest first. TinkerPop only records a full path
when the traversal needs one (``path()``, ``simplePath()``, ``cyclicPath()``): so does the engine. A
plain :class:`Traverser` records only the objects an ``as()`` labelled (what ``select``/``where``
need); a :class:`PathTraverser` (chosen by the compiler when a path step is present) records every
object a step moved it to. Recording everything costs an allocation per step, hence the split.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..graph import GraphStore, Transaction
from .failures import time_limit_exceeded

_TICKS_PER_DEADLINE_CHECK = 256

PathEntry = tuple[Any, tuple[str, ...]]
Loops = tuple[tuple[str | None, int], ...]
"""Loop counters of the enclosing ``repeat()``s, innermost last: ``(loop name, count)``."""


class Traverser:
    """A traverser recording only ``as()``-labelled objects in its path."""

    __slots__ = ("came_from", "loops", "obj", "path")

    def __init__(self, obj: Any, path: tuple[PathEntry, ...] = (), came_from: Any = None, loops: Loops = ()) -> None:
        self.obj = obj
        self.path = path
        self.came_from = came_from
        self.loops = loops

    def split(self, obj: Any, came_from: Any = None) -> Traverser:
        """The same traverser history, now at ``obj``."""
        return Traverser(obj, self.path, came_from, self.loops)

    def labelled(self, labels: Iterable[str]) -> Traverser:
        return Traverser(self.obj, (*self.path, (self.obj, tuple(labels))), self.came_from, self.loops)

    def labelled_values(self, label: str) -> list[Any]:
        return [obj for obj, labels in self.path if label in labels]

    def with_loops(self, loops: Loops) -> Traverser:
        return Traverser(self.obj, self.path, self.came_from, loops)

    def fresh(self, obj: Any) -> Traverser:
        """A new traverser (no history) of the same kind: what a reducing barrier emits."""
        return Traverser(obj)

    def full_path(self) -> tuple[PathEntry, ...]:
        raise NotImplementedError("only a PathTraverser records its full path")

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.obj!r})"


class PathTraverser(Traverser):
    """A traverser recording every object it visited, each with the ``as()`` labels it got there."""

    __slots__ = ()

    def split(self, obj: Any, came_from: Any = None) -> Traverser:
        return PathTraverser(obj, (*self.path, (obj, ())), came_from, self.loops)

    def labelled(self, labels: Iterable[str]) -> Traverser:
        path = self.path
        if path and path[-1][0] is self.obj:
            last_obj, last_labels = path[-1]
            path = (*path[:-1], (last_obj, (*last_labels, *labels)))
        else:
            path = (*path, (self.obj, tuple(labels)))
        return PathTraverser(self.obj, path, self.came_from, self.loops)

    def with_loops(self, loops: Loops) -> Traverser:
        return PathTraverser(self.obj, self.path, self.came_from, loops)

    def fresh(self, obj: Any) -> Traverser:
        return PathTraverser(obj, ((obj, ()),))

    def full_path(self) -> tuple[PathEntry, ...]:
        return self.path


class _Starter:
    """The object of the traverser a root traversal starts from (TinkerPop's ``UNION_STARTER``): a
    start step replaces it; ``g.union(...)`` filters it out of its children's results."""

    def __repr__(self) -> str:
        return "STARTER"


STARTER: Any = _Starter()


def root_traverser(track_paths: bool) -> Traverser:
    """The traverser a root traversal starts from (nothing yet: the start step splits it)."""
    return PathTraverser(STARTER) if track_paths else Traverser(STARTER)


class Context:
    """What every step needs: the transaction (all reads and writes), the deadline, the rng and the
    traversal's side effects (``withSideEffect``, ``aggregate``, ``groupCount('x')`` ...)."""

    def __init__(
        self,
        txn: Transaction,
        *,
        deadline: float | None = None,
        side_effects: dict[str, Any] | None = None,
        track_paths: bool = False,
    ) -> None:
        self.txn = txn
        self.store: GraphStore = txn.store
        self.rng: random.Random = txn.store.rng
        self.deadline = deadline
        self.side_effects: dict[str, Any] = side_effects or {}
        self.track_paths = track_paths
        self.errors = 0
        """Predicate evaluations that were Gremlin's ``ERROR`` (see ``steps_filter._holds``)."""
        self.persistent: dict[int, Any] = {}
        """State of steps that must outlive one run of their traversal (see :meth:`step_state`)."""
        self._ticks = 0

    def step_state(self, step: object, make: Callable[[], Any]) -> Any:
        """The run state of a stateful step (``dedup``'s seen set, ``limit``'s count). Fresh per run,
        unless an enclosing ``repeat()`` registered the step in :attr:`persistent`: TinkerPop keeps a
        step's state for the whole execution of a global child, so ``repeat(out().dedup())`` never
        revisits a vertex from one pass to the next."""
        key = id(step)
        if key not in self.persistent:
            return make()
        state = self.persistent[key]
        if state is None:
            state = self.persistent[key] = make()
        return state

    def fresh(self, obj: Any) -> Traverser:
        """A new traverser with no history (what start and reducing steps emit)."""
        return PathTraverser(obj, ((obj, ()),)) if self.track_paths else Traverser(obj)

    def side_effect(self, key: str) -> tuple[bool, Any]:
        """(present, value) of a side effect; accumulating ones (``group('x')``) are reduced here."""
        if key not in self.side_effects:
            return False, None
        value = self.side_effects[key]
        final = getattr(value, "final", None)
        return True, (final(self) if callable(final) else value)

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
            self._ticks += 1
            if self._ticks % _TICKS_PER_DEADLINE_CHECK == 0:
                self.check_deadline()
            yield t
