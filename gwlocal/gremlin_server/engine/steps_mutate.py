"""Mutating steps: ``addV``, ``addE`` (+ ``from``/``to``), ``property`` and ``drop``.

Every write goes through the request's :class:`~gwlocal.gremlin_server.graph.Transaction`, which
enforces Neptune's data rules (string ids, value types, duplicate ids, missing endpoints) and
takes the write locks. What this module adds is Gremlin's shape of those writes: cardinality
(Neptune's default for vertex properties is ``set``), ``property(T.id, ...)`` only while an element
is being created (TinkerPop folds ``addV().property(...)`` into the ``addV`` step), and
``property(Map)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from gremlin_python.process.traversal import Bytecode, Cardinality, T
from gremlin_python.structure.graph import Vertex

from ..graph import DEFAULT_VERTEX_LABEL, EdgeRecord, VertexPropertyRecord, VertexRecord
from .elements import EdgeProperty
from .failures import constraint_violation, invalid_parameter, malformed, unsupported_operation
from .pipeline import Build, Pipeline, Step, no_args, select_value
from .traverser import Context, Traverser

DEFAULT_CARDINALITY = Cardinality.set_
"""Neptune: a vertex property written without a cardinality is ``set`` (TinkerGraph: ``single``)."""

META_PROPERTIES_UNSUPPORTED = "Properties on a vertex property is not supported"
"""Neptune's own message (code UnsupportedOperationException) for meta-properties."""


class CardValue:
    """A value wrapped with its cardinality (TinkerPop 3.7 ``CardinalityValue``, e.g. ``single(30)``).

    Immutable by convention; a plain slots class because batches create thousands of them."""

    __slots__ = ("cardinality", "value")

    def __init__(self, cardinality: Cardinality, value: Any) -> None:
        self.cardinality = cardinality
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CardValue) and (self.cardinality, self.value) == (other.cardinality, other.value)

    def __hash__(self) -> int:
        return hash((id(self.cardinality), self.value))

    def __repr__(self) -> str:
        return f"CardValue({self.cardinality!r}, {self.value!r})"


def cardinality_value(value: Any) -> CardValue | None:
    """gremlinpython sends ``CardinalityValue.single(x)`` as bytecode ``CardinalityValueTraversal``."""
    if isinstance(value, Bytecode) and len(value.source_instructions) == 1 and not value.step_instructions:
        instruction = value.source_instructions[0]
        if instruction[0] == "CardinalityValueTraversal" and len(instruction) == 3:
            return CardValue(instruction[1], instruction[2])
    return None


def check_cardinality(cardinality: Cardinality) -> Cardinality:
    """Neptune supports ``single`` and ``set`` vertex properties only; ``list`` is refused loudly."""
    if cardinality is Cardinality.list_:
        raise unsupported_operation(
            "list cardinality is not supported by Neptune: vertex properties are single or set"
        )
    return cardinality


@dataclass
class PropertySpec:
    """One ``property(...)`` write: optional cardinality, key (a String, T.id/T.label, or a child
    traversal whose first result is the key), value (a constant, a :class:`CardValue`, or a child
    traversal evaluated per traverser)."""

    cardinality: Cardinality | None
    key: Any
    value: Any

    def resolve(self, ctx: Context, t: Traverser) -> tuple[Cardinality | None, Any, Any]:
        """(cardinality, key, value) for this traverser; a traversal that produces nothing is an
        error, as TinkerPop's ``TraversalUtil.apply`` makes it."""
        key, value, cardinality = self.key, self.value, self.cardinality
        if isinstance(key, Pipeline):
            found, key = key.first(ctx, t)
            if not found:
                raise invalid_parameter("property(traversal, value): the key traversal produced nothing")
            if not isinstance(key, str) and key not in (T.id, T.id_, T.label):
                raise invalid_parameter(f"property(traversal, value): the key traversal gave {key!r}, not a String")
        if isinstance(value, Pipeline):
            found, value = value.first(ctx, t)
            if not found:
                raise invalid_parameter(f"property('{key}'): the value traversal produced nothing")
        if isinstance(value, CardValue):
            cardinality, value = value.cardinality, value.value
        return cardinality, key, value


def write_property(ctx: Context, element: Any, cardinality: Cardinality | None, key: Any, value: Any) -> None:
    """Set one property on an existing element with Neptune's rules."""
    if not isinstance(key, str):
        raise invalid_parameter(f"property({key!r}): T.id and T.label can only be set when the element is created")
    if isinstance(element, VertexRecord):
        card = check_cardinality(cardinality or DEFAULT_CARDINALITY)
        ctx.txn.set_vertex_property(element, key, value, card)
    elif isinstance(element, EdgeRecord):
        if cardinality not in (None, Cardinality.single):
            raise invalid_parameter(f"Edge property '{key}' cannot have {cardinality.name} cardinality")
        ctx.txn.set_edge_property(element, key, value)
    elif isinstance(element, VertexPropertyRecord):
        raise unsupported_operation(META_PROPERTIES_UNSUPPORTED)
    else:
        raise invalid_parameter(f"property() needs a vertex or an edge, got {type(element).__name__} {element!r}")


class PropertyStep(Step):
    mutating = True

    def __init__(self, name: str, specs: list[PropertySpec]) -> None:
        super().__init__(name)
        self.specs = specs
        self.writes_token = False
        """Whether a spec sets ``T.id``/``T.label``: only allowed right after ``addV``/``addE``."""
        for spec in specs:
            if spec.key is T.id or spec.key is T.id_ or spec.key is T.label:
                self.writes_token = True

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            yield self.one(ctx, t)

    def at_most_one(self) -> bool:
        return True

    def one(self, ctx: Context, t: Traverser) -> Traverser:
        for spec in self.specs:
            cardinality, key, value = spec.resolve(ctx, t)
            write_property(ctx, t.obj, cardinality, key, value)
        return t


class AddElementStep(Step):
    """Shared by ``addV``/``addE``: the label and the ``property()`` calls folded into creation."""

    mutating = True

    def __init__(self, name: str, label: str | Pipeline | None) -> None:
        super().__init__(name)
        self.label = label
        self.specs: list[PropertySpec] = []

    def absorb(self, step: PropertyStep) -> None:
        self.specs.extend(step.specs)

    def _creation(self, ctx: Context, t: Traverser, default_label: str) -> tuple[Any, Any, list[tuple[Any, ...]]]:
        label: Any = default_label
        if isinstance(self.label, Pipeline):
            found, label = self.label.first(ctx, t)
            if not found:
                raise invalid_parameter(f"{self.name}(): the label traversal produced nothing")
        elif self.label is not None:
            label = self.label
        element_id: Any = None
        props: list[tuple[Any, ...]] = []
        for spec in self.specs:
            cardinality, key, value = spec.resolve(ctx, t)
            if key is T.id or key is T.id_:
                element_id = value
            elif key is T.label:
                label = value
            else:
                props.append((cardinality, key, value))
        return label, element_id, props


class AddVertexStep(AddElementStep):
    """``addV``. Neptune: ``addV(label)`` with the id of an existing vertex adds ``label`` to that
    vertex (and the properties), if it lacks it; with a label it has, the id is a duplicate."""

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            label, vertex_id, props = self._creation(ctx, t, DEFAULT_VERTEX_LABEL)
            existing = ctx.store.vertex(vertex_id) if vertex_id is not None else None
            if existing is not None:
                v = ctx.txn.add_vertex_labels(existing, label)
            else:
                v = ctx.txn.add_vertex(label, vertex_id)
            for cardinality, key, value in props:
                write_property(ctx, v, cardinality, key, value)
            yield t.split(v)


class AddEdgeStep(AddElementStep):
    """``addE(label).from(x).to(y)``; mid-traversal the current vertex is the missing end."""

    def __init__(self, name: str, label: str | Pipeline | None, is_start: bool) -> None:
        super().__init__(name, label)
        self.is_start = is_start
        self.ends: dict[str, tuple[str, Any]] = {}

    def set_endpoint(self, direction: str, value: Any) -> None:
        if direction in self.ends:
            raise malformed(f"addE() already has a {direction}() modulator")
        if isinstance(value, Pipeline):
            self.ends[direction] = ("traversal", value)
        elif isinstance(value, str):
            self.ends[direction] = ("label", value)
        elif isinstance(value, Vertex | VertexRecord):
            self.ends[direction] = ("id", value.id)
        else:
            raise malformed(f"{direction}() takes a step label, a Vertex or a traversal, got {value!r}")

    def _end(self, ctx: Context, t: Traverser, direction: str) -> VertexRecord | str:
        if direction not in self.ends:
            if self.is_start:
                raise malformed(f"addE() as a start step needs both from() and to(); {direction}() is missing")
            return _as_vertex(t.obj, "addE()")
        kind, arg = self.ends[direction]
        if kind == "id":
            return str(arg)
        if kind == "label":
            found, obj = select_value(t, ctx, arg)
            if not found:
                raise invalid_parameter(f"{direction}('{arg}'): no step is labelled '{arg}' (from/to take step labels)")
            return _as_vertex(obj, f"{direction}('{arg}')")
        pipeline: Pipeline = arg
        found, obj = pipeline.first(ctx, t)
        if not found:
            raise constraint_violation(
                f"Cannot create edge: the {direction}() vertex {_describe(pipeline)} does not exist. "
                "It may be created by a later request; retry."
            )
        return _as_vertex(obj, f"{direction}()")

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            if self.label is None:
                raise malformed("addE() needs an edge label")
            label, edge_id, props = self._creation(ctx, t, "edge")
            out_v, in_v = self._end(ctx, t, "from"), self._end(ctx, t, "to")
            e = ctx.txn.add_edge(label, out_v, in_v, edge_id)
            for cardinality, key, value in props:
                write_property(ctx, e, cardinality, key, value)
            yield t.split(e)


def _as_vertex(obj: Any, where: str) -> VertexRecord | str:
    if isinstance(obj, VertexRecord):
        return obj
    if isinstance(obj, Vertex):
        return str(obj.id)
    raise invalid_parameter(f"{where} needs a vertex, got {type(obj).__name__} {obj!r}")


def _describe(pipeline: Pipeline) -> str:
    """Name the missing vertex for ``V('id')`` children, the usual shape; else the traversal."""
    steps = pipeline.steps
    ids = getattr(steps[0], "ids", None) if len(steps) == 1 and steps[0].name == "V" else None
    if ids and len(ids) == 1:
        return f"with id '{ids[0]}'"
    return f"selected by {[s.name for s in steps]}"


class DropStep(Step):
    mutating = True

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        txn = ctx.txn
        for t in stream:
            obj = t.obj
            if isinstance(obj, VertexRecord):
                txn.remove_vertex(obj)
            elif isinstance(obj, EdgeRecord):
                txn.remove_edge(obj)
            elif isinstance(obj, VertexPropertyRecord):
                txn.remove_vertex_property(obj)
            elif isinstance(obj, EdgeProperty):
                txn.remove_edge_property(obj.edge, obj.key)
            else:
                raise invalid_parameter(f"drop() needs a graph element or property, got {type(obj).__name__}")
        yield from ()


# --------------------------------------------------------------------------- factories
def _value(b: Build, value: Any) -> Any:
    wrapped = cardinality_value(value)
    if wrapped is not None:
        return wrapped
    if isinstance(value, Bytecode):
        return b.child(value)
    return value


def _property(b: Build) -> Step:
    args = list(b.args)
    cardinality: Cardinality | None = None
    if args and isinstance(args[0], Cardinality):
        cardinality = args.pop(0)
    if len(args) == 1 and isinstance(args[0], dict):
        specs = [PropertySpec(cardinality, k, _value(b, v)) for k, v in args[0].items()]
        for spec in specs:
            if not isinstance(spec.key, str):
                raise invalid_parameter(f"property(Map) keys must be Strings, got {spec.key!r}")
        return PropertyStep(b.name, specs)
    if len(args) < 2:
        raise malformed(f"property() takes a key and a value (or a Map), got {b.args!r}")
    if len(args) > 2:
        raise unsupported_operation(META_PROPERTIES_UNSUPPORTED)
    key, value = args
    if isinstance(key, Bytecode):
        key = b.child(key)
    elif not isinstance(key, str) and key not in (T.id, T.id_, T.label):
        raise invalid_parameter(f"property() key must be a String, T.id, T.label or a traversal, got {key!r}")
    return PropertyStep(b.name, [PropertySpec(cardinality, key, _value(b, value))])


def _label_arg(b: Build, required: bool) -> str | Pipeline | None:
    b.arity(1 if required else 0, 1)
    if not b.args:
        return None
    label = b.args[0]
    if isinstance(label, Bytecode):
        return b.child(label)
    if not isinstance(label, str):
        raise invalid_parameter(f"{b.name}() label must be a String, got {type(label).__name__} {label!r}")
    return label


def _add_v(b: Build) -> Step:
    return AddVertexStep(b.name, _label_arg(b, required=False))


def _add_e(b: Build) -> Step:
    return AddEdgeStep(b.name, _label_arg(b, required=True), b.is_start)


STEPS: dict[str, Callable[[Build], Step]] = {
    "addV": _add_v,
    "addE": _add_e,
    "property": _property,
    "drop": no_args(DropStep),
}
