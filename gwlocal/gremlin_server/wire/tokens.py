"""Gremlin tokens shared by the GraphBinary and GraphSON codecs.

Both formats carry the same things (enum names, predicate operators, strategy class names, epoch
milliseconds); this module turns those wire forms into the gremlinpython objects the engine works
with, and back, so the two codecs cannot disagree on what a value means.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import warnings
from functools import cache
from typing import Any

from aenum import Enum
from gremlin_python.process import strategies as _strategies
from gremlin_python.process.traversal import (
    DT,
    Barrier,
    Cardinality,
    Column,
    Direction,
    Merge,
    Operator,
    Order,
    P,
    Pick,
    Pop,
    Scope,
    T,
    TextP,
    TraversalStrategy,
)

from .messages import WireError

#: Every Gremlin enum the wire can carry, by the type name both formats use for it (GraphSON's
#: ``g:<name>`` tag; GraphBinary identifies them by type code, see ``graphbinary.py``).
ENUMS: dict[str, type[Enum]] = {
    "Barrier": Barrier,
    "Cardinality": Cardinality,
    "Column": Column,
    "Direction": Direction,
    "DT": DT,
    "Merge": Merge,
    "Operator": Operator,
    "Order": Order,
    "Pick": Pick,
    "Pop": Pop,
    "Scope": Scope,
    "T": T,
}

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def wire_name(member: Enum) -> str:
    """The Gremlin (Java) name of an enum member: ``T.id`` -> ``"id"``, ``Merge.on_create`` ->
    ``"onCreate"``, ``Cardinality.list_`` -> ``"list"``, ``Direction.OUT`` -> ``"OUT"``.

    gremlinpython has several Python members for one Gremlin constant (``T.id``/``T.id_``,
    ``Operator.min``/``Operator.min_``, ``Direction.from_`` aliasing ``OUT``); comparing wire names is
    the reliable way for the engine to test which constant it got.
    """
    name = str(member.name)
    if isinstance(member, Direction):
        return name
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


_ENUM_CACHE: dict[tuple[Any, str], Enum] = {}
"""(enum type, Gremlin name) -> member: decoding a batch meets the same few tokens thousands of times."""


def enum_from_wire(enum_type: type[Enum], name: str) -> Enum:
    """The canonical gremlinpython member for a Gremlin enum name (memoised :func:`_enum_from_wire`)."""
    key = (enum_type, name)
    member = _ENUM_CACHE.get(key)
    if member is None:
        member = _enum_from_wire(enum_type, name)
        if len(_ENUM_CACHE) < 4096:  # names come from clients: keep the cache bounded
            _ENUM_CACHE[key] = member
    return member


def _enum_from_wire(enum_type: type[Enum], name: str) -> Enum:
    """The canonical gremlinpython member for a Gremlin enum name.

    Canonical means: the plain snake_case member when gremlinpython has one (``T.id``,
    ``Operator.min``, ``Merge.on_create``), else the one with the trailing underscore gremlinpython
    uses to dodge Python keywords/builtins (``Cardinality.list_``, ``Scope.global_``, ``Pick.any_``).
    """
    members = enum_type.__members__
    if enum_type is Direction:
        candidates = [name, name.upper()]
    else:
        snake = _CAMEL_BOUNDARY.sub("_", name).lower()
        candidates = [snake, snake + "_", name]
    for candidate in candidates:
        if candidate in members:
            member: Enum = members[candidate]
            return member
    raise WireError(f"unknown {enum_type.__name__} value {name!r}")


def enum_type_name(member: Enum) -> str:
    """The GraphSON type name (``g:<name>``) of an enum member's type."""
    for type_name, enum_type in ENUMS.items():
        if isinstance(member, enum_type):
            return type_name
    raise WireError(f"enum {type(member).__name__} has no Gremlin wire form")


# --------------------------------------------------------------------------- predicates
#: Operators whose value is a collection (``P.within(["a", "b"])``); GraphBinary flattens it into
#: the argument list, GraphSON v2 writes it as a plain array.
COLLECTION_OPERATORS = frozenset({"within", "without"})
#: Operators with two operands (``P.between(1, 5)``, ``p1.and_(p2)``): value and other.
BINARY_OPERATORS = frozenset({"between", "inside", "outside", "and", "or"})


def predicate_from_args(cls: type[P], operator: str, args: list[Any]) -> P:
    """Rebuild a ``P``/``TextP`` from its operator and flat argument list (GraphBinary's shape).

    gremlinpython writes ``value`` alone, or ``value, other``, or the items of a list ``value``;
    this inverts that so the engine sees the predicate exactly as the client built it.
    """
    if operator in COLLECTION_OPERATORS:
        return cls(operator, list(args))
    if operator in BINARY_OPERATORS and len(args) == 2:
        return cls(operator, args[0], args[1])
    if len(args) == 1:
        return cls(operator, args[0])
    if not args:
        return cls(operator, None)
    # A single-operand predicate given a list (``P.eq([1, 2])``): gremlinpython flattened it.
    return cls(operator, list(args))


def predicate_class(type_name: str) -> type[P]:
    cls: type[P] = TextP if type_name == "TextP" else P
    return cls


# --------------------------------------------------------------------------- strategies
@cache
def _strategy_classes() -> dict[str, tuple[type[TraversalStrategy], str]]:
    """gremlinpython's strategy classes by simple name, with their Java class names.

    The fully qualified name only exists on instances, so each class is instantiated once with
    ``None`` for any required constructor argument (e.g. ``SeedStrategy(seed)``).
    """
    found: dict[str, tuple[type[TraversalStrategy], str]] = {}
    cls: Any
    for name, cls in list(vars(_strategies).items()):
        if not (inspect.isclass(cls) and issubclass(cls, TraversalStrategy)) or cls is TraversalStrategy:
            continue
        params = [
            p for p in inspect.signature(cls.__init__).parameters.values()
            if p.name != "self" and p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        try:
            with warnings.catch_warnings():  # e.g. ProductiveByStrategy warns it is deprecated
                warnings.simplefilter("ignore")
                probe: Any = cls(*([None] * len(params)))
            fqcn = probe.fqcn
        except Exception:  # pragma: no cover - a gremlinpython strategy we cannot probe
            continue
        if fqcn:
            found[name] = (cls, fqcn)
    return found


def _simple_name(class_name: str) -> str:
    return class_name.rsplit(".", 1)[-1].rsplit("$", 1)[-1]


def make_strategy(class_name: str, configuration: dict[str, Any]) -> TraversalStrategy:
    """A strategy instance from its (simple or fully qualified) class name and configuration.

    Known strategies come back as gremlinpython's own class (``OptionsStrategy`` ...) so code like
    ``type(s) is OptionsStrategy`` works on the server exactly as in gremlinpython's driver; others
    as a plain ``TraversalStrategy`` carrying the name and ``fqcn``.
    """
    simple = _simple_name(class_name)
    known = _strategy_classes().get(simple)
    if known is None:
        fqcn = class_name if "." in class_name else None
        return TraversalStrategy(strategy_name=simple, configuration=dict(configuration), fqcn=fqcn)
    cls, default_fqcn = known
    strategy: TraversalStrategy = object.__new__(cls)
    TraversalStrategy.__init__(
        strategy,
        configuration=dict(configuration),
        fqcn=class_name if "." in class_name else default_fqcn,
    )
    return strategy


def strategy_class(class_name: str) -> type[TraversalStrategy] | None:
    """gremlinpython's class for a Java strategy class name, if it has one."""
    known = _strategy_classes().get(_simple_name(class_name))
    return known[0] if known else None


def is_strategy_type_name(type_name: str) -> bool:
    """Whether a GraphSON ``g:<name>`` tag names a traversal strategy (gremlinpython writes a
    strategy as ``g:<StrategyName>`` with its configuration as the value)."""
    return type_name.endswith("Strategy") or type_name in _strategy_classes()


# --------------------------------------------------------------------------- time
_EPOCH = dt.datetime(1970, 1, 1)


def datetime_to_millis(value: dt.datetime) -> int:
    """Epoch milliseconds, as Gremlin's Date carries them. Naive datetimes are taken as UTC,
    exactly as gremlinpython's writers treat them."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    micros = (value - _EPOCH) // dt.timedelta(microseconds=1)
    return (micros + 500) // 1000


def millis_to_datetime(millis: int) -> dt.datetime:
    """A naive UTC datetime, as gremlinpython's readers return Gremlin Dates (computed without a
    float round trip so millisecond values come back exactly)."""
    return _EPOCH + dt.timedelta(milliseconds=millis)
