"""``mergeV()``/``mergeE()``: TinkerPop 3.7 upsert semantics, with Neptune's data rules.

Semantics (TinkerPop "Gremlin Semantics", mergeV/mergeE, and the reference ``MergeStep``):

* the search map (argument, child traversal result, or -- no-arg form, mid-traversal only -- the
  incoming Map) selects elements by ``T.id``, ``T.label``, String property keys and, for edges,
  ``Direction.OUT``/``Direction.IN`` (a vertex id, a ``Vertex``, or the placeholder ``Merge.outV``/
  ``Merge.inV`` that ``option(Merge.outV|inV, Map|traversal)`` fills in);
* every match is returned, after ``option(Merge.onMatch, Map|traversal)`` is applied to it (for the
  start-step form the onMatch traversal runs on the matched element); the onMatch map may only
  have String keys (ids, labels and endpoints are immutable);
* no match: create from the search map merged with ``option(Merge.onCreate, ...)``, which may add
  keys but never override the search map's values;
* ``null`` values are refused, ``T.label`` must be a String, a ``null`` option map means empty.

Cardinality: a value wrapped as ``CardinalityValue.single(x)`` (3.7) uses that cardinality. A plain
value uses the graph's default cardinality -- that is what TinkerPop's ``MergeVertexStep`` does
(``graph.features().vertex().getCardinality(key)``), and Neptune's default is ``set``: so a plain
``onMatch`` value is *added* to a Neptune vertex's existing values, it does not replace them. Use
``single(x)`` to replace. See :data:`ON_MATCH_CARDINALITY`.

Neptune: a new edge whose endpoint vertex does not exist fails with ``ConstraintViolationException``
naming the missing id (retriable: the vertex may arrive in a later request).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aenum import Enum
from gremlin_python.process.traversal import Bytecode, Cardinality, Direction, Merge, T
from gremlin_python.structure.graph import Vertex

from ..graph import EdgeRecord, GraphStore, VertexRecord, validate_key, validate_label
from ..wire.tokens import wire_name
from .elements import is_element, label_matches, property_values
from .failures import constraint_violation, invalid_parameter, malformed
from .pipeline import Build, Pipeline, Step
from .steps_mutate import DEFAULT_CARDINALITY, CardValue, cardinality_value, check_cardinality
from .traverser import Context, Traverser
from .values import equals

ON_MATCH_CARDINALITY = DEFAULT_CARDINALITY
"""Cardinality for plain (unwrapped) onMatch values: the graph default, ``set`` on Neptune."""

_VERTEX_TOKENS = (T.id, T.label)
_EDGE_TOKENS = (T.id, T.label, Direction.OUT, Direction.IN)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, CardValue) else value


def _normalise(raw: Any, what: str) -> dict[Any, Any]:
    """A materialised map: ``None`` means empty; CardinalityValue bytecode becomes :class:`CardValue`."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise invalid_parameter(f"{what} expects a Map, got {type(raw).__name__} {raw!r}")
    for v in raw.values():
        if isinstance(v, Bytecode):
            break
    else:
        return raw  # nothing to unwrap: the Map itself (never mutated by the merge steps)
    out: dict[Any, Any] = {}
    for k, v in raw.items():
        if isinstance(v, Bytecode):
            wrapped = cardinality_value(v)
            if wrapped is None:
                raise invalid_parameter(f"{what}: a Map value cannot be a traversal (key {k!r})")
            v = wrapped
        out[k] = v
    return out


_MERGE_ARGUMENT = "merge"
"""The key of the step's own (search) Map among its constant maps."""

ON_CREATE, ON_MATCH, OUT_V, IN_V = "onCreate", "onMatch", "outV", "inV"
_OPTION_KEYS = {id(Merge.on_create): ON_CREATE, id(Merge.on_match): ON_MATCH, id(Merge.out_v): OUT_V,
                id(Merge.in_v): IN_V}
"""Options are kept by the token's Gremlin name: aenum members hash in Python code, and a batch of
upserts looks its options up thousands of times per request."""


def _option_key(token: Any) -> str | None:
    return _OPTION_KEYS.get(id(token))


class MergeStep(Step):
    """Shared machinery; ``kind`` is ``"V"`` or ``"E"``."""

    mutating = True

    def at_most_one(self) -> bool:
        """A constant search Map with ``T.id`` matches or creates exactly one element."""
        return isinstance(self.merge, dict) and any(k is T.id for k in self.merge)

    def one(self, ctx: Context, t: Traverser) -> Traverser | None:
        for result in self.apply(ctx, iter((t,))):
            return result
        return None

    def __init__(self, name: str, merge: dict[Any, Any] | Pipeline | None, is_start: bool) -> None:
        super().__init__(name)
        self.merge = merge
        self.is_start = is_start
        self.options: dict[str, dict[Any, Any] | Pipeline | None] = {}
        """By option name (:data:`ON_CREATE` ...)."""
        self.option_cardinality: dict[str, Cardinality] = {}
        self._constant: dict[str, dict[Any, Any]] = {}
        """Constant maps (the argument, onCreate, onMatch), normalised once; never mutated."""
        self._validated: set[str] = set()

    allowed_options: tuple[str, ...] = (ON_CREATE, ON_MATCH)

    def add_option(self, token: Any, value: Any, cardinality: Cardinality | None = None) -> None:
        key = _option_key(token)
        if key is None or key not in self.allowed_options:
            raise malformed(f"option({token}) is not valid for {self.name}()")
        if key in self.options:
            raise malformed(f"{self.name}() already has option({token.name})")
        if cardinality is not None:
            if key not in (ON_CREATE, ON_MATCH):
                raise malformed(f"option({token.name}) does not take a cardinality")
            self.option_cardinality[key] = cardinality
        self.options[key] = value

    def _option_map(self, ctx: Context, token: str, t: Traverser, what: str) -> dict[Any, Any]:
        """An onCreate/onMatch map; ``option(token, Map, Cardinality)`` gives its plain String-keyed
        values that cardinality (values already wrapped, e.g. ``single(x)``, keep theirs). A constant
        map is prepared once per request and shared: callers must not mutate it."""
        spec = self.options[token]
        if not isinstance(spec, Pipeline):
            cached = self._constant.get(token)
            if cached is None:
                cached = self._constant[token] = self._with_cardinality(token, _normalise(spec, what))
            return cached
        return self._with_cardinality(token, self._materialise(ctx, spec, t, what))

    def _with_cardinality(self, token: str, m: dict[Any, Any]) -> dict[Any, Any]:
        cardinality = self.option_cardinality.get(token)
        if cardinality is None:
            return m
        return {k: CardValue(cardinality, v) if isinstance(k, str) and not isinstance(v, CardValue) and v is not None
                else v for k, v in m.items()}

    # ----------------------------------------------------------------- maps
    def _materialise(
        self, ctx: Context, spec: dict[Any, Any] | Pipeline | None, t: Traverser, what: str
    ) -> dict[Any, Any]:
        if isinstance(spec, Pipeline):
            _, raw = spec.first(ctx, t)
            return _normalise(raw, what)
        return _normalise(spec, what)

    def _search_map(self, ctx: Context, t: Traverser, tokens: tuple[Any, ...]) -> dict[Any, Any]:
        """The validated search map (a shared constant when given as a Map: do not mutate)."""
        if self.merge is None:
            m = _normalise(t.obj, f"{self.name}()")
        elif isinstance(self.merge, Pipeline):
            m = self._materialise(ctx, self.merge, t, f"{self.name}()")
        else:
            cached = self._constant.get(_MERGE_ARGUMENT)
            if cached is None:
                cached = _normalise(self.merge, f"{self.name}()")
                self._validate(cached, tokens, on_match=False)
                self._constant[_MERGE_ARGUMENT] = cached
            return cached
        self._validate(m, tokens, on_match=False)
        return m

    def _check_constant_on_match(self, ctx: Context, t: Traverser) -> None:
        """TinkerPop validates a constant onMatch Map up front, whether or not anything matches."""
        if ON_MATCH in self._validated or ON_MATCH not in self.options:
            return
        spec = self.options[ON_MATCH]
        if isinstance(spec, Pipeline):
            return
        # Keys and null values are all the check reads: the raw Map will do (CardinalityValue
        # wrappers are not null), sparing the normalised copy when nothing matches.
        self._validate(spec if isinstance(spec, dict) else _normalise(spec, "option(onMatch)"), (), on_match=True)
        self._validated.add(ON_MATCH)

    def _validate(self, m: dict[Any, Any], tokens: tuple[Any, ...], on_match: bool) -> None:
        """TinkerPop's ``MergeStep.validate``, with its messages: no null values, String keys (plus
        the step's tokens outside onMatch), no hidden (``~``) keys or labels, String labels."""
        for k, v in m.items():
            if type(k) is str and k and k[0] != "~" and v is not None:
                continue  # the common case: a plain property key with a value
            if v is None:
                raise invalid_parameter(f"{self.name}() does not allow null Map values - check: {_show(k)}")
            if on_match:
                if not isinstance(k, str):
                    raise invalid_parameter(f"option(onMatch) expects keys in Map to be of String - check: {_show(k)}")
                validate_key(k)
                continue
            if isinstance(k, str):
                validate_key(k)
            elif id(k) not in _token_ids(tokens):
                raise invalid_parameter(
                    f"{self.name}() and option(onCreate) args expect keys in Map to be either String or "
                    f"[{', '.join(_show(x) for x in tokens)}] - check: {_show(k)}"
                )
            if k is T.label:
                if not isinstance(v, str):
                    raise invalid_parameter(
                        f"{self.name}() and option(onCreate) args expect T.label value to be of String - "
                        f"found: {type(v).__name__}"
                    )
                validate_label(v)
            if k is Direction.OUT and isinstance(v, Merge) and v is not Merge.out_v:
                raise invalid_parameter(f"Only Merge.outV token may be used for Direction.OUT, found: {v}")
            if k is Direction.IN and isinstance(v, Merge) and v is not Merge.in_v:
                raise invalid_parameter(f"Only Merge.inV token may be used for Direction.IN, found: {v}")

    def _on_create(self, ctx: Context, t: Traverser, search: dict[Any, Any], tokens: tuple[Any, ...]) -> dict[Any, Any]:
        if ON_CREATE not in self.options:
            return dict(search)
        extra = self._option_map(ctx, ON_CREATE, t, "option(onCreate)")
        if ON_CREATE not in self._validated:
            self._validate(extra, tokens, on_match=False)
            if not isinstance(self.options[ON_CREATE], Pipeline):
                self._validated.add(ON_CREATE)
        for k, v in extra.items():
            if k in search and not _same(v, search[k]):
                raise invalid_parameter(
                    f"option(onCreate) cannot override values from merge() argument: ({_show(k)}, {_show(_plain(v))})"
                )
        return {**extra, **search}

    def _on_match(self, ctx: Context, t: Traverser, element: Any) -> dict[Any, Any] | None:
        spec = self.options.get(ON_MATCH)
        if spec is None and ON_MATCH not in self.options:
            return None
        if not self.is_start and isinstance(spec, Pipeline) and is_element(t.obj):
            # TinkerPop 3.7's GuardRailStep: mid-traversal, an onMatch *traversal* would run on the
            # incoming element (say g.V().mergeE(...)) and could mutate it by mistake; 3.x refuses.
            raise invalid_parameter(
                f"The incoming traverser for {_JAVA_STEP[self.name]} cannot be an Element")
        # Start-step form: the onMatch traversal runs on the matched element (TinkerPop 3.6+).
        origin = t.split(element) if self.is_start else t
        m = self._option_map(ctx, ON_MATCH, origin, "option(onMatch)")
        if isinstance(spec, Pipeline):
            self._validate(m, (), on_match=True)
        return m


_JAVA_STEP = {"mergeV": "MergeVertexStep", "mergeE": "MergeEdgeStep"}
_TOKEN_IDS: dict[int, frozenset[int]] = {}


def _token_ids(tokens: tuple[Any, ...]) -> frozenset[int]:
    """The tokens' identities (aenum members hash in Python code; identity is what matters)."""
    found = _TOKEN_IDS.get(id(tokens))
    if found is None:
        found = _TOKEN_IDS[id(tokens)] = frozenset(id(t) for t in tokens)
    return found


def _same(a: Any, b: Any) -> bool:
    """Equal for the onCreate override check: values by Gremlin equality, vertices by id."""
    a, b = _plain(a), _plain(b)
    if isinstance(a, Vertex | VertexRecord):
        a = a.id
    if isinstance(b, Vertex | VertexRecord):
        b = b.id
    return bool(a == b or equals(a, b))


def _show(value: Any) -> str:
    """A Map key or value as TinkerPop's messages print it (``T.id`` is ``id``, ``Direction.OUT`` ``OUT``)."""
    if isinstance(value, Enum):
        return wire_name(value)
    return str(value)


def search_vertices(store: GraphStore, m: dict[Any, Any]) -> list[VertexRecord]:
    vertex_id = m.get(T.id, _MISSING)
    if vertex_id is not _MISSING:
        found = store.vertex(vertex_id)
        if found is None:
            return []
        candidates = [found]
    else:
        candidates = store.vertices()
    label = m.get(T.label)
    props = [(k, _plain(v)) for k, v in m.items() if isinstance(k, str)]
    return [
        v
        for v in candidates
        if (label is None or label_matches(v.label, label))
        and all(any(equals(pv, want) for pv in property_values(v, k)) for k, want in props)
    ]


class MergeVertexStep(MergeStep):
    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            search = self._search_map(ctx, t, _VERTEX_TOKENS)
            self._check_constant_on_match(ctx, t)
            matches = search_vertices(ctx.store, search)
            set_property = ctx.txn.set_vertex_property
            for v in matches:
                updates = self._on_match(ctx, t, v)
                if updates:
                    for key, value in updates.items():
                        if type(value) is CardValue:
                            set_property(v, key, value.value, check_cardinality(value.cardinality))
                        else:
                            set_property(v, key, value, ON_MATCH_CARDINALITY)
                yield t.split(v)
            if matches:
                continue
            create = self._on_create(ctx, t, search, _VERTEX_TOKENS)
            v = ctx.txn.add_vertex(create.get(T.label, "vertex"), create.get(T.id))
            for key, value in create.items():
                if type(key) is str:
                    if type(value) is CardValue:
                        set_property(v, key, value.value, check_cardinality(value.cardinality))
                    else:
                        set_property(v, key, value, DEFAULT_CARDINALITY)
            yield t.split(v)


class MergeEdgeStep(MergeStep):
    allowed_options: tuple[str, ...] = (ON_CREATE, ON_MATCH, OUT_V, IN_V)

    def _resolve_ends(self, ctx: Context, t: Traverser, m: dict[Any, Any]) -> dict[Any, Any]:
        out_end, in_end = m.get(Direction.OUT), m.get(Direction.IN)
        if (out_end is None or type(out_end) is str) and (in_end is None or type(in_end) is str):
            return m  # ids already: nothing to resolve (the common case; callers never mutate it)
        resolved = dict(m)
        for direction, token, key in ((Direction.OUT, Merge.out_v, OUT_V), (Direction.IN, Merge.in_v, IN_V)):
            value = resolved.get(direction)
            if value is None:
                continue
            if value is token:
                if key not in self.options:
                    raise invalid_parameter(
                        f"option({token.name}) must be specified if it is used for {direction.name}"
                    )
                resolved[direction] = self._option_vertex(ctx, t, token, key)
            elif isinstance(value, Vertex | VertexRecord):
                resolved[direction] = value.id
        return resolved

    def _option_vertex(self, ctx: Context, t: Traverser, token: Merge, key: str) -> Any:
        spec = self.options[key]
        value: Any = spec
        if isinstance(spec, Pipeline):
            found, value = spec.first(ctx, t)
            if not found:
                raise constraint_violation(
                    f"Could not resolve vertex for option({token.name}): the traversal produced nothing"
                )
        if isinstance(value, Vertex | VertexRecord):
            return value.id
        if isinstance(value, dict):
            matches = search_vertices(ctx.store, _normalise(value, f"option({token.name})"))
            if not matches:
                raise constraint_violation(
                    f"Could not resolve vertex for option({token.name}): no vertex matches {value!r}"
                )
            return matches[0].id
        raise invalid_parameter(f"option({token.name}) must give a Map or a Vertex, got {value!r}")

    def _search(self, store: GraphStore, m: dict[Any, Any]) -> list[EdgeRecord]:
        edge_id = m.get(T.id, _MISSING)
        candidates: list[EdgeRecord] = []
        if edge_id is not _MISSING:
            found = store.edge(edge_id)
            if found is None:
                return []  # the usual upsert of a new edge: nothing else to look at
            candidates = [found]
        label = m.get(T.label)
        labels = [label] if label is not None else []
        out_id, in_id = m.get(Direction.OUT), m.get(Direction.IN)
        if edge_id is _MISSING:
            if out_id is not None:
                v = store.vertex(out_id)
                candidates = store.out_edges(v, labels) if v is not None else []
            elif in_id is not None:
                v = store.vertex(in_id)
                candidates = store.in_edges(v, labels) if v is not None else []
            else:
                candidates = store.edges()
        props = [(k, _plain(v)) for k, v in m.items() if isinstance(k, str)]
        return [
            e
            for e in candidates
            if (label is None or e.label == label)
            and (out_id is None or e.out_v.id == out_id)
            and (in_id is None or e.in_v.id == in_id)
            and all(k in e.properties and equals(e.properties[k], want) for k, want in props)
        ]

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            unresolved = self._search_map(ctx, t, _EDGE_TOKENS)
            self._check_constant_on_match(ctx, t)
            search = self._resolve_ends(ctx, t, unresolved)
            matches = self._search(ctx.store, search)
            for e in matches:
                updates = self._on_match(ctx, t, e)
                for key, value in (updates or {}).items():
                    if isinstance(value, CardValue) and value.cardinality is not Cardinality.single:
                        raise invalid_parameter(
                            f"Edge property '{key}' cannot have {value.cardinality.name} cardinality"
                        )
                    ctx.txn.set_edge_property(e, key, _plain(value))
                yield t.split(e)
            if matches:
                continue
            create = self._resolve_ends(ctx, t, {**self._on_create(ctx, t, unresolved, _EDGE_TOKENS), **search})
            if Direction.OUT not in create:
                raise invalid_parameter("Out Vertex not specified in onCreate - edge cannot be created")
            if Direction.IN not in create:
                raise invalid_parameter("In Vertex not specified in onCreate - edge cannot be created")
            e = ctx.txn.add_edge(create.get(T.label, "edge"), _id(create[Direction.OUT]), _id(create[Direction.IN]),
                                 create.get(T.id), missing_vertex=_missing_end)
            for key, value in create.items():
                if isinstance(key, str):
                    ctx.txn.set_edge_property(e, key, _plain(value))
            yield t.split(e)


_MISSING = object()


def _missing_end(side: str, vertex_id: str) -> str:
    """TinkerPop's wording for a mergeE endpoint that does not exist (the code stays Neptune's
    retriable ConstraintViolationException: the vertex may be written by a later request)."""
    return (f"Vertex id could not be resolved from mergeE: {vertex_id} (the {side} vertex with id "
            f"'{vertex_id}' does not exist; it may be created by a later request: retry)")


def _id(value: Any) -> Any:
    return value.id if isinstance(value, Vertex | VertexRecord) else value


def _merge_arg(b: Build) -> dict[Any, Any] | Pipeline | None:
    b.arity(0, 1)
    if not b.args:
        if b.is_start:
            raise malformed(f"{b.name}() without an argument cannot start a traversal")
        return None
    arg = b.args[0]
    if isinstance(arg, Bytecode):
        return b.child(arg)
    if arg is None:
        return {}
    if not isinstance(arg, dict):
        raise invalid_parameter(f"{b.name}() takes a Map or a traversal, got {type(arg).__name__}")
    return _normalise(arg, f"{b.name}()")


def _merge_v(b: Build) -> Step:
    return MergeVertexStep(b.name, _merge_arg(b), b.is_start)


def _merge_e(b: Build) -> Step:
    return MergeEdgeStep(b.name, _merge_arg(b), b.is_start)


STEPS: dict[str, Callable[[Build], Step]] = {"mergeV": _merge_v, "mergeE": _merge_e}
