"""Side-effect steps: ``aggregate('x')`` (a barrier), ``aggregate(local, 'x')``/``store('x')`` (lazy) and
``cap('x', ...)``. (``group('x')``/``groupCount('x')`` live with their reducing twins in ``steps_map``.)

Side effects live in the request's :class:`~.traverser.Context` for the length of the request, as in
TinkerPop; ``select('x')`` reads them too. An aggregate is a list (TinkerPop's ``BulkSet``, which
gremlinpython reads as a list); a side effect given with ``withSideEffect('x', [...])`` is added to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gremlin_python.process.traversal import Scope

from .failures import invalid_parameter, malformed
from .pipeline import IDENTITY, Build, By, Step
from .traverser import Context, Traverser


class AggregateStep(Step):
    local_barrier = True

    def __init__(self, name: str, scope: Scope, key: str) -> None:
        super().__init__(name)
        self.scope = scope
        self.key = key
        self.by: By | None = None

    def is_barrier(self) -> bool:
        return self.scope is not Scope.local

    def add_by(self, by: By) -> None:
        if self.by is not None:
            raise malformed(f"{self.name}() takes one by() modulator")
        self.by = by

    def _collection(self, ctx: Context) -> Any:
        found = ctx.side_effects.get(self.key)
        if found is None:
            found = ctx.side_effects[self.key] = []
        elif not isinstance(found, list | set):
            raise invalid_parameter(f"{self.name}('{self.key}'): the side effect '{self.key}' holds a "
                                    f"{type(found).__name__}, not a collection")
        return found

    def _add(self, ctx: Context, collection: Any, t: Traverser) -> None:
        ok, value = (self.by or IDENTITY).project(ctx, t)
        if not ok:
            return
        if isinstance(collection, list):
            collection.append(value)
        else:
            collection.add(value)

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        collection = self._collection(ctx)
        if self.scope is Scope.local:
            for t in stream:
                self._add(ctx, collection, t)
                yield t
            return
        drained = list(stream)
        for t in drained:
            self._add(ctx, collection, t)
        yield from drained


class CapStep(Step):
    """Drains its input, then emits the side effect (one key) or a Map of them (several keys)."""

    barrier = True
    reducing = True

    def __init__(self, name: str, keys: list[str]) -> None:
        super().__init__(name)
        self.keys = keys

    def _value(self, ctx: Context, key: str) -> Any:
        present, value = ctx.side_effect(key)
        if not present:
            raise invalid_parameter(f"The side-effect key does not exist in the side-effects: {key}")
        return list(value) if isinstance(value, set) else value

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for _ in stream:
            pass
        if len(self.keys) == 1:
            yield ctx.fresh(self._value(ctx, self.keys[0]))
        else:
            yield ctx.fresh({key: self._value(ctx, key) for key in self.keys})


def _key(b: Build, value: Any) -> str:
    if not isinstance(value, str):
        raise invalid_parameter(f"{b.name}() takes a side-effect key (a String), got {value!r}")
    return value


def _aggregate(b: Build) -> Step:
    args = list(b.args)
    scope = Scope.global_ if b.name == "aggregate" else Scope.local
    if args and isinstance(args[0], Scope):
        if b.name == "store":
            raise malformed("store() takes only a side-effect key")
        scope = args.pop(0)
    if len(args) != 1:
        raise malformed(f"{b.name}() takes a side-effect key, got {b.args!r}")
    return AggregateStep(b.name, scope, _key(b, args[0]))


def _cap(b: Build) -> Step:
    b.arity(1)
    return CapStep(b.name, [_key(b, k) for k in b.args])


STEPS: dict[str, Callable[[Build], Step]] = {
    "aggregate": _aggregate,
    "store": _aggregate,
    "cap": _cap,
}
