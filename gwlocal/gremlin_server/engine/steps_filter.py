"""Filter steps: ``has*``, ``is``, ``where``, ``not``/``and``/``or``, ``dedup``, ``limit``/``range``/``tail``,
``filter`` and ``none`` (which gremlinpython's ``iterate()`` appends)."""

from __future__ import annotations

import abc
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from gremlin_python.process.traversal import Bytecode, P, Scope, T

from ..graph import EdgeRecord, VertexPropertyRecord, VertexRecord
from .elements import EdgeProperty, LinkedSet, has_property, label_matches, property_values, reference_id
from .failures import invalid_parameter, malformed, unsupported
from .pipeline import IDENTITY, Build, By, Pipeline, Step, no_args, ring, select_value
from .predicates import bind_scope_values, evaluate, scope_keys, validate
from .traverser import Context, Traverser
from .values import freeze, is_number


class FilterStep(Step):
    """A step that keeps or drops each traverser; subclasses implement :meth:`keep`."""

    @abc.abstractmethod
    def keep(self, ctx: Context, t: Traverser) -> bool:
        """Keep ``t`` or drop it (every filter step defines it)."""

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            if self.keep(ctx, t):
                yield t

    def at_most_one(self) -> bool:
        return True

    def one(self, ctx: Context, t: Traverser) -> Traverser | None:
        return t if self.keep(ctx, t) else None


def _labels_of(label: str) -> list[str]:
    return [label, *label.split("::")] if "::" in label else [label]


class HasStep(FilterStep):
    """``has(key)``, ``has(key, value|P|traversal)``, ``has(label, key, value|P)``, with ``T`` keys."""

    def __init__(self, name: str, key: Any, test: P | Pipeline | None, label: str | None = None) -> None:
        super().__init__(name)
        self.key = key
        self.test = test
        self.label = label
        self._property_key: str | None = key if type(key) is str else None
        """The key when it is a plain String, the usual case: its values are read directly,
        without the ``T`` token comparisons of :meth:`_candidates` (aenum equality is slow)."""

    def _candidates(self, obj: Any) -> list[Any]:
        key = self.key
        if key in (T.id, T.id_):
            return [obj.id] if isinstance(obj, VertexRecord | EdgeRecord | VertexPropertyRecord) else []
        if key is T.label:
            if isinstance(obj, VertexRecord | EdgeRecord):
                return _labels_of(obj.label)
            return [obj.key] if isinstance(obj, VertexPropertyRecord) else []
        if key is T.key:
            return [obj.key] if isinstance(obj, VertexPropertyRecord | EdgeProperty) else []
        if key is T.value:
            return [obj.value] if isinstance(obj, VertexPropertyRecord | EdgeProperty) else []
        return property_values(obj, key)

    def keep(self, ctx: Context, t: Traverser) -> bool:
        obj = t.obj
        if self.label is not None:
            if not isinstance(obj, VertexRecord | EdgeRecord) or not label_matches(obj.label, self.label):
                return False
        key = self._property_key
        candidates = self._candidates(obj) if key is None else property_values(obj, key)
        test = self.test
        if test is None:
            return bool(candidates)
        if isinstance(test, Pipeline):
            return any(test.productive(ctx, t.split(c)) for c in candidates)
        return _holds(ctx, test, candidates)


class HasNotStep(FilterStep):
    def __init__(self, name: str, key: str) -> None:
        super().__init__(name)
        self.key = key

    def keep(self, ctx: Context, t: Traverser) -> bool:
        return not has_property(t.obj, self.key)


class IsStep(FilterStep):
    def __init__(self, name: str, predicate: P) -> None:
        super().__init__(name)
        self.predicate = predicate

    def keep(self, ctx: Context, t: Traverser) -> bool:
        return _holds(ctx, self.predicate, (t.obj,))


def _holds(ctx: Context, p: P, candidates: Any) -> bool:
    """Does ``p`` hold for any candidate? When none passes and one comparison was Gremlin's ``ERROR``
    (``lt`` across types, NaN ...), the error is counted so an enclosing ``not()`` filters too: in
    TinkerPop's ternary logic ``not(ERROR)`` is ``ERROR``, not ``true``."""
    error = False
    for c in candidates:
        result = evaluate(p, c)
        if result is True:
            return True
        if result is None:
            error = True
    if error:
        ctx.errors += 1
    return False


class TraversalFilterStep(FilterStep):
    """``filter(t)``, ``not(t)``, ``and(t...)``, ``or(t...)``, ``where(t)`` (with ``as()`` ends)."""

    def __init__(self, name: str, children: list[Pipeline]) -> None:
        super().__init__(name)
        self.children = children
        labelled = False
        for child in children:
            child_steps = child.steps
            if child_steps and (child_steps[0].labels or child_steps[-1].labels):
                labelled = True
        self._labelled_ends = labelled
        """Whether a child may start or end with an ``as()`` label (``where(as('a').out().as('b'))``);
        when none does, each child is simply tested for a result."""

    def _productive(self, ctx: Context, t: Traverser, child: Pipeline) -> bool:
        if not self._labelled_ends:
            return child.productive(ctx, t)
        start, end = child.start_label, child.end_label
        if start is None and end is None:
            return child.productive(ctx, t)
        origin = t
        if start is not None:
            found, obj = select_value(t, ctx, start)
            if not found:
                return False
            origin = t.split(obj)
        if end is None:
            return child.productive(ctx, origin)
        found, expected = select_value(t, ctx, end)
        if not found:
            return False
        return any(freeze(r.obj) == freeze(expected) for r in child.results(ctx, origin))

    def keep(self, ctx: Context, t: Traverser) -> bool:
        if self.name == "not":
            errors = ctx.errors
            child = self.children[0]
            if child.productive(ctx, t) if not self._labelled_ends else self._productive(ctx, t, child):
                return False
            return ctx.errors == errors  # not(ERROR) is ERROR: filtered as well
        if self.name == "or":
            return any(self._productive(ctx, t, c) for c in self.children)
        return all(self._productive(ctx, t, c) for c in self.children)


class WherePredicateStep(FilterStep):
    """``where(P)`` / ``where('a', P)``: P's operands are ``as()`` labels (or side-effect keys).

    The ``by()``s form TinkerPop's traversal ring: the first projects the start object, the next
    ones project the operands in order, round-robin (``where('a', gt('b').or(eq('b'))).by('age')
    .by('age').by(in('knows').values('age'))``). An unproductive projection filters the traverser.
    """

    def __init__(self, name: str, start_key: str | None, predicate: P) -> None:
        super().__init__(name)
        self.start_key = start_key
        self.predicate = predicate
        self.keys = scope_keys(predicate)
        self.bys: list[By] = []

    def add_by(self, by: By) -> None:
        self.bys.append(by)

    def keep(self, ctx: Context, t: Traverser) -> bool:
        if self.start_key is None:
            start_obj = t.obj
        else:
            found, start_obj = select_value(t, ctx, self.start_key)
            if not found:
                return False
        ok, start = ring(self.bys, 0).project(ctx, t.split(start_obj))
        if not ok:
            return False
        values: list[Any] = []
        for i, key in enumerate(self.keys, start=1):
            found, obj = select_value(t, ctx, key)
            if not found:
                return False
            ok, value = ring(self.bys, i).project(ctx, t.split(obj))
            if not ok:
                return False
            values.append(value)
        return _holds(ctx, bind_scope_values(self.predicate, iter(values)), (start,))


class DedupStep(Step):
    def __init__(self, name: str, scope: Scope, labels: list[str]) -> None:
        super().__init__(name)
        self.scope = scope
        self.dedup_labels = labels
        self.by: By | None = None

    def is_barrier(self) -> bool:
        return self.scope is not Scope.local

    def add_by(self, by: By) -> None:
        if self.by is not None:
            raise malformed("dedup() takes one by() modulator")
        self.by = by

    def _key(self, ctx: Context, t: Traverser) -> tuple[bool, Any]:
        by = self.by or IDENTITY
        if not self.dedup_labels:
            return by.project(ctx, t)
        parts = []
        for label in self.dedup_labels:
            found, obj = select_value(t, ctx, label)
            if not found:
                return False, None
            ok, value = by.project(ctx, t.split(obj))
            if not ok:
                return False, None
            parts.append(value)
        return True, parts

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        if self.scope is Scope.local:
            for t in stream:
                if not isinstance(t.obj, list | tuple | set | frozenset):
                    yield t
                    continue
                seen_local: dict[Any, Any] = {}
                for item in t.obj:
                    seen_local.setdefault(freeze(item), item)
                yield t.split(LinkedSet(seen_local.values()))  # TinkerPop: a (Linked)Set
            return
        seen: set[Any] = ctx.step_state(self, set)
        for t in stream:
            ok, key = self._key(ctx, t)
            if not ok:
                continue
            frozen = freeze(key)
            if frozen not in seen:
                seen.add(frozen)
                yield t


class RangeStep(Step):
    """``limit``/``range``/``tail`` over the whole stream. Lazy: stops pulling once satisfied."""

    barrier = True

    def __init__(self, name: str, low: int, high: int) -> None:
        super().__init__(name)
        self.low = low
        self.high = high

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        if self.name == "tail":
            yield from deque(stream, maxlen=self.low) if self.low > 0 else ()
            return
        if self.high == 0 or (self.high != -1 and self.high <= self.low):
            return
        counter = ctx.step_state(self, lambda: [0])  # shared by the passes of an enclosing repeat()
        if self.high != -1 and counter[0] >= self.high:
            return
        for t in stream:
            i = counter[0]
            counter[0] = i + 1
            if i >= self.low:
                yield t
            if self.high != -1 and i + 1 >= self.high:
                return


class LocalRangeStep(Step):
    """``limit``/``range``/``tail`` with ``Scope.local``: applied to the collection in each traverser
    (TinkerPop's ``RangeLocalStep``/``TailLocalStep``). A Map keeps the entries in range; a list or set
    keeps its items in range -- or, when exactly one item is asked for (``limit(local, 1)``,
    ``tail(local, 1)``), becomes that item, and a traverser with nothing to give is filtered out.
    Anything that is not a collection passes unchanged."""

    def __init__(self, name: str, low: int, high: int) -> None:
        super().__init__(name)
        self.low = low
        self.high = high

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            obj = t.obj
            if not isinstance(obj, dict | list | tuple | set | frozenset):
                yield t
                continue
            low, high = self.low, self.high
            if self.name == "tail":
                high = len(obj)
                low = high - self.low
            found, value = _local_range(obj, low, high)
            if found:
                yield t.split(value)


def _local_range(obj: Any, low: int, high: int) -> tuple[bool, Any]:
    if isinstance(obj, dict):
        items = list(obj.items())
        return True, dict(items[max(low, 0):] if high == -1 else items[max(low, 0):max(high, 0)])
    items = list(obj)
    picked = items[max(low, 0):] if high == -1 else items[max(low, 0):max(high, 0)]
    if high != -1 and high - low == 1:
        return (True, picked[0]) if picked else (False, None)
    return True, (LinkedSet(picked) if isinstance(obj, set | frozenset) else picked)


class SampleStep(Step):
    """``sample(n)``: ``n`` traversers drawn at random without replacement, weighted by the ``by()``
    projection (a number; unproductive or non-numeric weighs nothing), from the store's seeded rng;
    ``sample(local, n)`` draws from the collection in each traverser."""

    def __init__(self, name: str, scope: Scope, amount: int) -> None:
        super().__init__(name)
        self.scope = scope
        self.amount = amount
        self.by: By | None = None

    def is_barrier(self) -> bool:
        return self.scope is not Scope.local

    def add_by(self, by: By) -> None:
        if self.by is not None:
            raise malformed("sample() takes one by() modulator")
        self.by = by

    def _draw(self, ctx: Context, items: list[Any], weights: list[float]) -> list[int]:
        chosen: list[int] = []
        indexes = [i for i, w in enumerate(weights) if w > 0]
        while indexes and len(chosen) < self.amount:
            total = sum(weights[i] for i in indexes)
            point = ctx.rng.random() * total
            for position, i in enumerate(indexes):
                point -= weights[i]
                if point < 0 or position == len(indexes) - 1:
                    chosen.append(indexes.pop(position))
                    break
        return chosen

    def _weight(self, ctx: Context, t: Traverser) -> float:
        if self.by is None:
            return 1.0
        ok, value = self.by.project(ctx, t)
        return float(value) if ok and is_number(value) else 0.0

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        if self.scope is Scope.local:
            for t in stream:
                obj = t.obj
                if isinstance(obj, dict):
                    entries = list(obj.items())
                    picked = self._draw(ctx, entries, [1.0] * len(entries))
                    yield t.split(dict(entries[i] for i in sorted(picked)))
                elif isinstance(obj, list | tuple | set | frozenset):
                    items = list(obj)
                    picked = self._draw(ctx, items, [1.0] * len(items))
                    yield t.split([items[i] for i in sorted(picked)])
                else:
                    yield t
            return
        traversers = list(stream)
        weights = [self._weight(ctx, t) for t in traversers]
        for i in self._draw(ctx, traversers, weights):
            yield traversers[i]


class NoneStep(Step):
    """``none()``: runs everything before it for its side effects, returns nothing."""

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for _ in stream:
            pass
        yield from ()


# --------------------------------------------------------------------------- factories
def _predicate(value: Any) -> P:
    if isinstance(value, P):
        validate(value)
        return value
    return P.eq(value)


def _value_test(b: Build, value: Any) -> P | Pipeline:
    return b.child(value) if isinstance(value, Bytecode) else _predicate(value)


def _key(b: Build, key: Any) -> Any:
    if key is None:
        return key  # property keys are Strings: has(null, v) matches nothing (TinkerPop "Has Step")
    if isinstance(key, str) or key in (T.id, T.id_, T.label, T.key, T.value):
        return key
    raise invalid_parameter(f"{b.name}() key must be a String or a T token, got {key!r}")


def _has(b: Build) -> Step:
    b.arity(1, 3)
    args = b.args
    if len(args) == 1:
        return HasStep(b.name, _key(b, args[0]), None)
    if len(args) == 2:
        return HasStep(b.name, _key(b, args[0]), _value_test(b, args[1]))
    label = args[0]
    if not isinstance(label, str):
        raise invalid_parameter(f"has(label, key, value) needs a String label, got {label!r}")
    return HasStep(b.name, _key(b, args[1]), _value_test(b, args[2]), label=label)


def _flat(args: list[Any]) -> list[Any]:
    out: list[Any] = []
    for a in args:
        if isinstance(a, list | tuple | set):
            out.extend(a)
        else:
            out.append(a)
    return out


def _has_id(b: Build) -> Step:
    b.arity(1)
    if len(b.args) == 1 and isinstance(b.args[0], P):
        return HasStep(b.name, T.id, _predicate(b.args[0]))
    return HasStep(b.name, T.id, P.within([reference_id(i) for i in _flat(b.args)]))


def _has_label(b: Build) -> Step:
    b.arity(1)
    if len(b.args) == 1 and isinstance(b.args[0], P):
        return HasStep(b.name, T.label, _predicate(b.args[0]))
    return HasStep(b.name, T.label, P.within(_flat(b.args)))


def _has_not(b: Build) -> Step:
    b.arity(1, 1)
    key = b.args[0]
    if not isinstance(key, str):
        raise unsupported(f"hasNot({key!r})")
    return HasNotStep(b.name, key)


def _is(b: Build) -> Step:
    b.arity(1, 1)
    return IsStep(b.name, _predicate(b.args[0]))


def _children(b: Build, minimum: int) -> list[Pipeline]:
    if len(b.args) < minimum or not all(isinstance(a, Bytecode) for a in b.args):
        raise malformed(f"{b.name}() takes {minimum}+ anonymous traversals, got {b.args!r}")
    return [b.child(a) for a in b.args]


def _traversal_filter(minimum: int, maximum: int | None) -> Callable[[Build], Step]:
    def make(b: Build) -> Step:
        b.arity(minimum, maximum)
        return TraversalFilterStep(b.name, _children(b, minimum))

    return make


def _where_predicate(p: P) -> P:
    """``where(P)``'s operands name ``as()`` labels or side-effect keys (TinkerPop: ``P<String>``);
    ``where(gt(30))`` would silently match nothing, so it is refused (compare values with ``is()``)."""
    validate(p)
    for key in scope_keys(p):
        if not isinstance(key, str):
            raise invalid_parameter(
                f"where() predicates take step labels or side-effect keys (Strings), got {key!r}; "
                "use is() to compare values"
            )
    return p


def _where(b: Build) -> Step:
    b.arity(1, 2)
    args = b.args
    if len(args) == 1 and isinstance(args[0], Bytecode):
        return TraversalFilterStep(b.name, [b.child(args[0])])
    if len(args) == 1 and isinstance(args[0], P):
        return WherePredicateStep(b.name, None, _where_predicate(args[0]))
    if len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], P):
        return WherePredicateStep(b.name, args[0], _where_predicate(args[1]))
    raise malformed(f"where() takes a traversal, a P, or a label and a P; got {args!r}")


def _scope(args: list[Any]) -> tuple[Scope, list[Any]]:
    if args and isinstance(args[0], Scope):
        return args[0], args[1:]
    return Scope.global_, args


def _dedup(b: Build) -> Step:
    scope, labels = _scope(b.args)
    if not all(isinstance(label, str) for label in labels):
        raise malformed(f"dedup() takes step labels, got {labels!r}")
    return DedupStep(b.name, scope, labels)


def _int(b: Build, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_parameter(f"{b.name}() takes integers, got {value!r}")
    return value


def _range(b: Build) -> Step:
    scope, rest = _scope(b.args)
    cls: type[RangeStep | LocalRangeStep] = LocalRangeStep if scope is Scope.local else RangeStep
    if b.name == "limit":
        if len(rest) != 1:
            raise malformed("limit() takes one number")
        return cls(b.name, 0, _int(b, rest[0]))
    if b.name == "tail":
        if len(rest) > 1:
            raise malformed("tail() takes at most one number")
        return cls(b.name, _int(b, rest[0]) if rest else 1, -1)
    if b.name == "skip":
        if len(rest) != 1:
            raise malformed("skip() takes one number")
        return cls("range", _int(b, rest[0]), -1)
    if len(rest) != 2:
        raise malformed("range() takes a low and a high bound")
    low, high = _int(b, rest[0]), _int(b, rest[1])
    if low < 0 or (high != -1 and high < low):
        raise invalid_parameter(f"range() needs 0 <= low <= high (or high -1), got {low}, {high}")
    return cls(b.name, low, high)


def _sample(b: Build) -> Step:
    scope, rest = _scope(b.args)
    if len(rest) != 1:
        raise malformed(f"sample() takes an amount, got {b.args!r}")
    return SampleStep(b.name, scope, _int(b, rest[0]))


STEPS: dict[str, Callable[[Build], Step]] = {
    "sample": _sample,
    "has": _has,
    "hasId": _has_id,
    "hasLabel": _has_label,
    "hasNot": _has_not,
    "is": _is,
    "where": _where,
    "filter": _traversal_filter(1, 1),
    "not": _traversal_filter(1, 1),
    "and": _traversal_filter(1, None),
    "or": _traversal_filter(1, None),
    "dedup": _dedup,
    "limit": _range,
    "range": _range,
    "tail": _range,
    "skip": _range,
    "none": no_args(NoneStep),
}
