"""Map, projection and reducing steps: ``id``/``label``/``values``/``valueMap``/``elementMap``/
``properties``/``key``/``value``, ``constant``/``identity``/``inject``, ``select``/``project``,
``fold``/``unfold``, ``count``/``sum``/``max``/``min``/``mean``, ``group``/``groupCount``, ``order``
and ``barrier``."""

from __future__ import annotations

import abc
import copy
from collections.abc import Callable, Iterator
from typing import Any

from gremlin_python.process.traversal import Bytecode, Column, Direction, Operator, Order, Pop, Scope, T
from gremlin_python.statics import long
from gremlin_python.structure.graph import Path

from ..graph import EdgeRecord, VertexPropertyRecord, VertexRecord
from .elements import EdgeProperty, MapEntry, attach, element_id, element_label, property_objects
from .failures import invalid_parameter, malformed, unsupported
from .operators import apply_operator
from .pipeline import IDENTITY, Build, By, IdentityStep, Pipeline, Step, no_args, project_column, ring, select_value
from .traverser import Context, Traverser
from .values import freeze, is_number, order_key


class MapStep(Step):
    """One object in, one object out (``map`` returns it)."""

    @abc.abstractmethod
    def map(self, ctx: Context, t: Traverser) -> Any:
        """The object ``t`` maps to (every map step defines it)."""

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            yield t.split(self.map(ctx, t))

    def at_most_one(self) -> bool:
        return True

    def one(self, ctx: Context, t: Traverser) -> Traverser | None:
        return t.split(self.map(ctx, t))


class IdStep(MapStep):
    def map(self, ctx: Context, t: Traverser) -> Any:
        return element_id(t.obj, "id")


class LabelStep(MapStep):
    def map(self, ctx: Context, t: Traverser) -> Any:
        return element_label(t.obj, "label")


class KeyValueStep(MapStep):
    """``key()``/``value()`` of a vertex property or an edge property."""

    def map(self, ctx: Context, t: Traverser) -> Any:
        obj = t.obj
        if not isinstance(obj, VertexPropertyRecord | EdgeProperty):
            raise invalid_parameter(f"{self.name}() expects a property, got {type(obj).__name__}")
        return obj.key if self.name == "key" else obj.value


class ConstantStep(MapStep):
    def __init__(self, name: str, value: Any) -> None:
        super().__init__(name)
        self.value = value

    def map(self, ctx: Context, t: Traverser) -> Any:
        return self.value

    def one(self, ctx: Context, t: Traverser) -> Traverser | None:
        return t.split(self.value)


class PropertiesStep(Step):
    """``properties(keys...)`` (property objects) and ``values(keys...)`` (their values)."""

    def __init__(self, name: str, keys: list[str]) -> None:
        super().__init__(name)
        self.keys = keys

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        as_values = self.name == "values"
        for t in stream:
            for p in property_objects(t.obj, self.keys):
                yield t.split(p.value if as_values else p)


WITH_TOKENS = "~tinkerpop.valueMap.tokens"
WITH_IDS, WITH_LABELS, WITH_ALL = 1, 2, 15


class ValueMapStep(MapStep):
    """``valueMap([true,] keys...)``: vertex values are lists (multi-properties), edge values not."""

    def __init__(self, name: str, tokens: int, keys: list[str]) -> None:
        super().__init__(name)
        self.tokens = tokens
        """``WithOptions`` bits: ids 1, labels 2, keys 4, values 8 (``valueMap(true)`` is all)."""
        self.keys = keys
        self.bys: list[By] = []

    def add_by(self, by: By) -> None:
        """The ``by()``s project the values key by key, round-robin (TinkerPop's traversal ring)."""
        self.bys.append(by)

    def add_with(self, key: Any, value: Any) -> None:
        """``with(WithOptions.tokens[, WithOptions.ids|labels|...])``, TinkerPop's only valueMap option."""
        if key != WITH_TOKENS:
            raise malformed(f"with({key!r}) is not an option of valueMap(); it takes with(WithOptions.tokens[, ...])")
        if isinstance(value, bool):
            self.tokens = WITH_ALL if value else 0
        elif isinstance(value, int) and 0 <= value <= WITH_ALL:
            self.tokens |= value
        else:
            raise invalid_parameter(
                "WithOptions.tokens requires Integer arguments (possible values are: "
                f"WithOptions.[none|ids|labels|keys|values|all]), got {value!r}")

    def map(self, ctx: Context, t: Traverser) -> Any:
        obj = t.obj
        result: dict[Any, Any] = {}
        if isinstance(obj, VertexPropertyRecord | EdgeProperty):
            return result  # Neptune has no meta-properties
        if not isinstance(obj, VertexRecord | EdgeRecord):
            raise invalid_parameter(f"valueMap() expects an element, got {type(obj).__name__}")
        if self.tokens & WITH_IDS:
            result[T.id] = obj.id
        if self.tokens & WITH_LABELS:
            result[T.label] = obj.label
        wanted = set(self.keys)
        if isinstance(obj, VertexRecord):
            for key, vps in obj.properties.items():
                if vps and (not wanted or key in wanted):
                    result[key] = [vp.value for vp in vps]
        else:
            for key, value in obj.properties.items():
                if not wanted or key in wanted:
                    result[key] = value
        if self.bys:
            index = 0
            for key, value in list(result.items()):
                if isinstance(key, str):
                    ok, projected = ring(self.bys, index).project(ctx, t.split(value))
                    index += 1
                    if ok:
                        result[key] = projected
                    else:
                        del result[key]  # an unproductive by() drops the key
        return result


def _reference(v: VertexRecord) -> dict[Any, Any]:
    return {T.id: v.id, T.label: v.label}


class ElementMapStep(MapStep):
    """``elementMap(keys...)``: tokens plus one value per key (the last, as TinkerPop's step does);
    edges add ``Direction.IN``/``Direction.OUT`` -> ``{T.id, T.label}``."""

    def __init__(self, name: str, keys: list[str]) -> None:
        super().__init__(name)
        self.keys = keys

    def map(self, ctx: Context, t: Traverser) -> Any:
        obj = t.obj
        if not isinstance(obj, VertexRecord | EdgeRecord):
            raise invalid_parameter(f"elementMap() expects an element, got {type(obj).__name__}")
        result: dict[Any, Any] = {T.id: obj.id, T.label: obj.label}
        if isinstance(obj, EdgeRecord):
            result[Direction.IN] = _reference(obj.in_v)
            result[Direction.OUT] = _reference(obj.out_v)
        for p in property_objects(obj, self.keys):
            result[p.key] = p.value
        return result


class TraversalSelectStep(Step):
    """``select(traversal)`` (TinkerPop 3.7): the key to select is the traversal's first result."""

    def __init__(self, name: str, pop: str, key: Pipeline) -> None:
        super().__init__(name)
        self.pop = pop
        self.key = key
        self.bys: list[By] = []

    def add_by(self, by: By) -> None:
        if self.bys:
            raise malformed("select(traversal) takes one by() modulator")
        self.bys.append(by)

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            found, key = self.key.first(ctx, t)
            if not found:
                continue
            found, obj = select_value(t, ctx, key, self.pop)
            if not found:
                continue
            ok, value = ring(self.bys, 0).project(ctx, t.split(obj))
            if ok:
                yield t.split(value)


class SelectStep(Step):
    def __init__(self, name: str, pop: str, keys: list[Any]) -> None:
        super().__init__(name)
        self.pop = pop
        self.keys = keys
        self.bys: list[By] = []

    def add_by(self, by: By) -> None:
        self.bys.append(by)

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            if len(self.keys) == 1 and isinstance(self.keys[0], Column):
                yield t.split(project_column(t.obj, self.keys[0])[1])
                continue
            values: dict[Any, Any] = {}
            for i, key in enumerate(self.keys):
                found, obj = select_value(t, ctx, key, self.pop)
                if not found:
                    break
                ok, value = ring(self.bys, i).project(ctx, t.split(obj))
                if not ok:
                    break
                values[key] = value
            else:
                yield t.split(values[self.keys[0]] if len(self.keys) == 1 else values)


class ProjectStep(MapStep):
    def __init__(self, name: str, keys: list[str]) -> None:
        super().__init__(name)
        self.keys = keys
        self.bys: list[By] = []

    def add_by(self, by: By) -> None:
        self.bys.append(by)

    def map(self, ctx: Context, t: Traverser) -> Any:
        result: dict[str, Any] = {}
        for i, key in enumerate(self.keys):
            ok, value = ring(self.bys, i).project(ctx, t)
            if ok:  # an unproductive by() leaves the key out (TinkerPop 3.7)
                result[key] = value
        return result


class UnfoldStep(Step):
    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        tick = ctx.tick
        for t in stream:
            obj = t.obj
            if isinstance(obj, dict):
                for k, v in obj.items():
                    tick()
                    yield t.split(MapEntry(k, v))
            elif isinstance(obj, Path):
                for item in obj.objects:
                    tick()
                    yield t.split(item)
            elif isinstance(obj, list | tuple | set | frozenset):
                for item in obj:
                    tick()
                    yield t.split(item)
            else:
                yield t


class InjectStep(Step):
    def __init__(self, name: str, values: list[Any], is_start: bool) -> None:
        super().__init__(name)
        self.values = values
        self.is_start = is_start

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        injected = [ctx.fresh(attach(ctx.store, v)) for v in self.values]
        tick = ctx.tick
        if self.is_start:
            for _ in stream:
                for t in injected:
                    tick()
                    yield t
            return
        for t in injected:
            tick()
            yield t
        yield from stream


class BarrierStep(Step):
    barrier = True
    local_barrier = True

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        yield from list(stream)


# --------------------------------------------------------------------------- reducing
def _sum(values: list[Any], step: str) -> Any:
    total: Any = 0
    for v in values:
        if not is_number(v):
            raise invalid_parameter(f"{step}() expects numbers, got {type(v).__name__} {v!r}")
        total += v
    return total


def _reduce(name: str, values: list[Any]) -> tuple[bool, Any]:
    """Reduce a list for count/sum/max/min/mean; (False, None) when there is no result.

    TinkerPop 3.7 ("Sum Step", "Max Step" ...): ``null``s are ignored, but if every value is
    ``null`` the result is ``null``; an empty input has no result at all.
    """
    if name == "count":
        return True, long(len(values))
    if not values:
        return False, None
    present = [v for v in values if v is not None]
    if not present:
        return True, None
    if name == "sum":
        return True, _sum(present, name)
    if name == "mean":
        return True, _sum(present, name) / len(present)
    if name == "max":
        return True, max(present, key=order_key)
    return True, min(present, key=order_key)


class ReduceStep(Step):
    """``count``/``sum``/``max``/``min``/``mean``, global (a barrier) or ``local`` (per collection)."""

    reducing = True

    def is_barrier(self) -> bool:
        return self.scope is not Scope.local

    def __init__(self, name: str, scope: Scope) -> None:
        super().__init__(name)
        self.scope = scope

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        if self.scope is Scope.local:
            for t in stream:
                obj = t.obj
                if isinstance(obj, dict):
                    items = list(obj.values()) if self.name != "count" else list(obj)
                elif isinstance(obj, list | tuple | set | frozenset):
                    items = list(obj)
                else:
                    items = [obj]
                ok, value = _reduce(self.name, items)
                if ok:
                    yield t.split(value)
            return
        ok, value = _reduce(self.name, [t.obj for t in stream])
        if ok:
            yield ctx.fresh(value)


class FoldStep(Step):
    """``fold()`` (a list) and ``fold(seed, operator)`` (a reduction, TinkerPop's ``Operator``s)."""

    reducing = True
    barrier = True

    def __init__(self, name: str, seed: Any = None, operator: Operator | None = None) -> None:
        super().__init__(name)
        self.seed = seed
        self.operator = operator

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        if self.operator is None:
            yield ctx.fresh([t.obj for t in stream])
            return
        result = copy.deepcopy(self.seed)
        for t in stream:
            result = apply_operator(self.operator, result, t.obj)
        yield ctx.fresh(result)


def _map_key(key: Any) -> Any:
    """A Python-usable dict key for a group key (lists become tuples)."""
    if isinstance(key, list):
        return tuple(_map_key(k) for k in key)
    if isinstance(key, dict):
        return tuple((_map_key(k), _map_key(v)) for k, v in key.items())
    if isinstance(key, set):
        return frozenset(_map_key(k) for k in key)
    return key


class Grouping:
    """What ``group()``/``groupCount()`` and their side-effect forms share: the ``by()``s and the
    reduction of a group's members to its value, with TinkerPop 3.7's rules (``GroupStep``):

    * the key ``by`` projects each traverser (an unproductive projection skips the traverser);
    * ``groupCount`` counts the members (a Long);
    * a value ``by`` that is not a traversal (``by('age')``, ``by(T.id)``, ``by()``) folds the members'
      projections into a list (unproductive ones are left out), as does ``by(identity())``;
    * a value traversal holding a barrier (``count()``, ``fold()``, ``tail()``, ``order()``, ``dedup()``
      ...) runs over all the members and the group's value is its *first* result (``by(tail())``
      gives the last member itself, ``by(values('age').fold())`` a list); no result, no key;
    * a value traversal without a barrier gives each member's first result, and the last member's
      wins (``by(constant(1))`` is ``1``); no member productive, no key.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.bys: list[By] = []

    def add_by(self, by: By) -> None:
        limit = 1 if self.name == "groupCount" else 2
        if len(self.bys) == limit:
            raise malformed(f"{self.name}() takes at most {limit} by() modulators")
        self.bys.append(by)

    def key(self, ctx: Context, t: Traverser) -> tuple[bool, Any]:
        return (self.bys[0] if self.bys else IDENTITY).project(ctx, t)

    def value(self, ctx: Context, members: list[Traverser]) -> tuple[bool, Any]:
        if self.name == "groupCount":
            return True, long(len(members))
        by = self.bys[1] if len(self.bys) > 1 else IDENTITY
        if by.kind == "traversal" and not _is_identity(by.arg):
            pipeline: Pipeline = by.arg
            if pipeline.global_barrier is not None:
                for r in pipeline.run(ctx, members):
                    return True, r.obj
                return False, None
            found, last = False, None
            for t in members:
                ok, value = pipeline.first(ctx, t)
                if ok:
                    found, last = True, value
            return found, last
        values = []
        for t in members:
            ok, value = by.project(ctx, t) if by.kind != "traversal" else (True, t.obj)
            if ok:
                values.append(value)
        return True, values

    def reduce(self, ctx: Context, groups: dict[Any, tuple[Any, list[Traverser]]]) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key, members in groups.values():
            ok, value = self.value(ctx, members)
            if ok:
                result[_map_key(key)] = value
        return result


def _is_identity(pipeline: Pipeline) -> bool:
    return len(pipeline.steps) == 1 and type(pipeline.steps[0]) is IdentityStep and not pipeline.steps[0].labels


class GroupStep(Step):
    """``group().by(key).by(value)`` and ``groupCount().by(key)``: a reducing barrier emitting one Map."""

    reducing = True
    barrier = True

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.grouping = Grouping(name)

    def add_by(self, by: By) -> None:
        self.grouping.add_by(by)

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        groups: dict[Any, tuple[Any, list[Traverser]]] = {}
        for t in stream:
            ok, key = self.grouping.key(ctx, t)
            if ok:
                groups.setdefault(freeze(key), (key, []))[1].append(t)
        yield ctx.fresh(self.grouping.reduce(ctx, groups))


def _column_key(i: int) -> Callable[[tuple[Traverser, list[Any]]], tuple[Any, ...]]:
    def key(row: tuple[Traverser, list[Any]]) -> tuple[Any, ...]:
        return order_key(row[1][i])

    return key


class OrderStep(Step):
    def __init__(self, name: str, scope: Scope) -> None:
        super().__init__(name)
        self.scope = scope
        self.bys: list[By] = []

    def is_barrier(self) -> bool:
        return self.scope is not Scope.local

    def add_by(self, by: By) -> None:
        self.bys.append(by)

    def _sort(self, ctx: Context, traversers: list[Traverser]) -> list[Traverser]:
        bys = self.bys or [IDENTITY]
        rows: list[tuple[Traverser, list[Any]]] = []
        for t in traversers:
            keys: list[Any] = []
            for by in bys:
                if by.order is Order.shuffle:
                    keys.append(None)
                    continue
                ok, value = by.project(ctx, t)
                if not ok:
                    break  # unproductive by(): the traverser is filtered out (TinkerPop 3.7)
                keys.append(value)
            else:
                rows.append((t, keys))
        for i in reversed(range(len(bys))):
            order = bys[i].order or Order.asc
            if order is Order.shuffle:
                ctx.rng.shuffle(rows)
            else:
                rows.sort(key=_column_key(i), reverse=order is Order.desc)
        return [row[0] for row in rows]

    def _sort_local(self, ctx: Context, t: Traverser) -> Any:
        """``order(local)``: a collection becomes a sorted list, a Map a Map with its entries sorted
        (``by(values, desc)``, ``by(keys)``); anything else passes unchanged (TinkerPop "Order Step")."""
        obj = t.obj
        if isinstance(obj, dict):
            entries = [t.split(MapEntry(k, v)) for k, v in obj.items()]
            return {e.obj.key: e.obj.value for e in self._sort(ctx, entries)}
        if isinstance(obj, list | tuple | set | frozenset):
            return [x.obj for x in self._sort(ctx, [t.split(x) for x in obj])]
        return obj

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        if self.scope is Scope.local:
            for t in stream:
                yield t.split(self._sort_local(ctx, t))
            return
        yield from self._sort(ctx, list(stream))


class GroupSideEffectStep(Step):
    """``group('x')``/``groupCount('x')``: each traverser passes through and joins its group in the
    side effect ``x``, read (reduced) by ``cap('x')`` or ``select('x')``. Every step naming ``x`` adds
    to the same side effect (``union(groupCount('m').by('lang'), groupCount('m').by('name'))``)."""

    def __init__(self, name: str, key: str) -> None:
        super().__init__(name)
        self.key = key
        self.grouping = Grouping(name)

    def add_by(self, by: By) -> None:
        self.grouping.add_by(by)

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        state = ctx.side_effects.get(self.key)
        if not isinstance(state, GroupState):
            state = GroupState()
            ctx.side_effects[self.key] = state
        for t in stream:
            ok, key = self.grouping.key(ctx, t)
            if ok:
                state.add(key, t, self.grouping)
            yield t


class GroupState:
    """The side effect of ``group('x')``/``groupCount('x')``: each group's members so far (and the
    grouping that reduces them), reduced when read."""

    def __init__(self) -> None:
        self.groups: dict[Any, tuple[Any, list[Traverser], Grouping]] = {}

    def add(self, key: Any, t: Traverser, grouping: Grouping) -> None:
        self.groups.setdefault(freeze(key), (key, [], grouping))[1].append(t)

    def final(self, ctx: Context) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key, members, grouping in self.groups.values():
            ok, value = grouping.value(ctx, members)
            if ok:
                result[_map_key(key)] = value
        return result


# --------------------------------------------------------------------------- factories
def _scope(b: Build) -> tuple[Scope, list[Any]]:
    if b.args and isinstance(b.args[0], Scope):
        return b.args[0], b.args[1:]
    return Scope.global_, list(b.args)


def _keys(b: Build, args: list[Any]) -> list[str]:
    """Property keys; a ``null`` key names no property and is ignored (TinkerPop 3.7)."""
    keys = [a for a in args if a is not None]
    if not all(isinstance(a, str) for a in keys):
        raise invalid_parameter(f"{b.name}() takes property keys (strings), got {args!r}")
    return keys


def _properties(b: Build) -> Step:
    return PropertiesStep(b.name, _keys(b, b.args))


def _value_map(b: Build) -> Step:
    args = list(b.args)
    tokens = 0
    if args and isinstance(args[0], bool):
        tokens = WITH_ALL if args.pop(0) else 0
    return ValueMapStep(b.name, tokens, _keys(b, args))


def _element_map(b: Build) -> Step:
    return ElementMapStep(b.name, _keys(b, b.args))


def _constant(b: Build) -> Step:
    b.arity(1, 1)
    return ConstantStep(b.name, b.args[0])


_POPS = {Pop.first: "first", Pop.last: "last", Pop.all_: "all", Pop.mixed: "mixed"}


def _select(b: Build) -> Step:
    args = list(b.args)
    pop = "last"
    if args and isinstance(args[0], Pop):
        pop = _POPS[args.pop(0)]
    if len(args) == 1 and isinstance(args[0], Column):
        return SelectStep(b.name, pop, args)
    if len(args) == 1 and isinstance(args[0], Bytecode):
        return TraversalSelectStep(b.name, pop, b.child(args[0]))
    if not args or not all(isinstance(a, str) for a in args):
        raise unsupported(f"select({', '.join(repr(a) for a in b.args)})")
    return SelectStep(b.name, pop, args)


def _project(b: Build) -> Step:
    b.arity(1)
    if not all(isinstance(a, str) for a in b.args):
        raise invalid_parameter(f"project() takes keys (strings), got {b.args!r}")
    keys = list(b.args)
    if len(set(keys)) != len(keys):
        raise invalid_parameter(f"project() keys must be unique, got {keys!r}")
    return ProjectStep(b.name, keys)


def _inject(b: Build) -> Step:
    return InjectStep(b.name, list(b.args), b.is_start)


def _barrier(b: Build) -> Step:
    if b.args and not (len(b.args) == 1 and isinstance(b.args[0], int) and not isinstance(b.args[0], bool)):
        raise unsupported(f"barrier({b.args[0]!r})")
    return BarrierStep(b.name)


def _reduce_step(b: Build) -> Step:
    scope, rest = _scope(b)
    if rest:
        raise malformed(f"{b.name}() takes only a Scope, got {b.args!r}")
    return ReduceStep(b.name, scope)


def _fold(b: Build) -> Step:
    if not b.args:
        return FoldStep(b.name)
    if len(b.args) != 2 or not isinstance(b.args[1], Operator):
        raise malformed(f"fold() takes no arguments or a seed and an Operator, got {b.args!r}")
    return FoldStep(b.name, b.args[0], b.args[1])


def _group(b: Build) -> Step:
    if not b.args:
        return GroupStep(b.name)
    b.arity(1, 1)
    key = b.args[0]
    if not isinstance(key, str):
        raise invalid_parameter(f"{b.name}() takes a side-effect key (a String), got {key!r}")
    return GroupSideEffectStep(b.name, key)


def _order(b: Build) -> Step:
    scope, rest = _scope(b)
    if rest:
        raise malformed(f"order() takes only a Scope, got {b.args!r}")
    return OrderStep(b.name, scope)


STEPS: dict[str, Callable[[Build], Step]] = {
    "id": no_args(IdStep),
    "label": no_args(LabelStep),
    "key": no_args(KeyValueStep),
    "value": no_args(KeyValueStep),
    "values": _properties,
    "properties": _properties,
    "valueMap": _value_map,
    "elementMap": _element_map,
    "constant": _constant,
    "select": _select,
    "project": _project,
    "fold": _fold,
    "unfold": no_args(UnfoldStep),
    "inject": _inject,
    "barrier": _barrier,
    "count": _reduce_step,
    "sum": _reduce_step,
    "max": _reduce_step,
    "min": _reduce_step,
    "mean": _reduce_step,
    "group": _group,
    "groupCount": _group,
    "order": _order,
}
