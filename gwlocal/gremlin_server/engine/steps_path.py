"""Path steps: ``path()``, ``simplePath()`` and ``cyclicPath()``, with ``from()``/``to()`` and ``by()``.

These are the steps that make the compiler record full paths (``needs_path``): every object a
traverser was moved to, with the ``as()`` labels it got there (see ``traverser.py``). Semantics are
TinkerPop 3.7's ``PathStep``/``PathFilterStep``: ``from('a')``/``to('b')`` cut the path to the part
between the last objects labelled ``a`` and ``b`` (both included); the ``by()``s project the path's
objects round-robin, and a path with an unproductive projection is filtered out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gremlin_python.structure.graph import Path

from .failures import invalid_parameter, malformed
from .pipeline import Build, By, Step, no_args, ring
from .traverser import Context, PathEntry, Traverser
from .values import freeze


def sub_path(entries: tuple[PathEntry, ...], from_label: str | None, to_label: str | None) -> tuple[PathEntry, ...]:
    """TinkerPop's ``Path.subPath``: the entries between the last ``from`` and ``to`` labels."""
    if from_label is None and to_label is None:
        return entries
    from_index = to_index = -1
    for i in range(len(entries) - 1, -1, -1):
        labels = entries[i][1]
        if from_index == -1 and from_label in labels:
            from_index = i
        if to_index == -1 and to_label in labels:
            to_index = i
    if from_label is not None and from_index == -1:
        raise invalid_parameter(f"Could not locate path from-label: {from_label}")
    if to_label is not None and to_index == -1:
        raise invalid_parameter(f"Could not locate path to-label: {to_label}")
    from_index = 0 if from_index == -1 else from_index
    to_index = len(entries) - 1 if to_index == -1 else to_index
    if from_index > to_index:
        raise invalid_parameter(f"Could not isolate path between from-label {from_label} and to-label {to_label}")
    return entries[from_index:to_index + 1]


class _PathReading(Step):
    """Shared by the path steps: the ``from``/``to`` labels and the ``by()`` ring."""

    needs_path = True

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.bys: list[By] = []
        self.ends: dict[str, str] = {}

    def add_by(self, by: By) -> None:
        self.bys.append(by)

    def set_endpoint(self, direction: str, value: Any) -> None:
        if not isinstance(value, str):
            raise malformed(f"{self.name}().{direction}() takes a step label, got {value!r}")
        if direction in self.ends:
            raise malformed(f"{self.name}() already has a {direction}() modulator")
        self.ends[direction] = value

    def entries(self, ctx: Context, t: Traverser) -> tuple[PathEntry, ...] | None:
        """The (sub)path with its objects projected by the ``by()``s; ``None`` if one is unproductive."""
        entries = sub_path(t.full_path(), self.ends.get("from"), self.ends.get("to"))
        if not self.bys:
            return entries
        projected: list[PathEntry] = []
        for i, (obj, labels) in enumerate(entries):
            ok, value = ring(self.bys, i).project(ctx, t.split(obj))
            if not ok:
                return None
            projected.append((value, labels))
        return tuple(projected)


class PathStep(_PathReading):
    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            entries = self.entries(ctx, t)
            if entries is not None:
                yield t.split(Path([set(labels) for _, labels in entries], [obj for obj, _ in entries]))


class PathFilterStep(_PathReading):
    """``simplePath()`` keeps paths without a repeated object; ``cyclicPath()`` the others."""

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        simple = self.name == "simplePath"
        for t in stream:
            entries = self.entries(ctx, t)
            if entries is None:
                continue
            seen = {freeze(obj) for obj, _ in entries}
            if (len(seen) == len(entries)) == simple:
                yield t


STEPS: dict[str, Callable[[Build], Step]] = {
    "path": no_args(PathStep),
    "simplePath": no_args(PathFilterStep),
    "cyclicPath": no_args(PathFilterStep),
}
