"""``P``/``TextP`` evaluation with Gremlin's ternary boolean logic.

A predicate evaluates to ``True``, ``False`` or ``None`` (Gremlin's ``ERROR``: e.g. ``lt`` across
types or against NaN). ``and``/``or``/``not`` combine the three values as TinkerPop specifies and a
filter keeps a traverser only on ``True``; that is why ``not(lt('a'))`` on a number filters it out
rather than letting it through.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from typing import Any

from gremlin_python.process.traversal import P, TextP

from .failures import invalid_parameter, unsupported
from .values import compare, equals

Ternary = bool | None


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def _cmp(test: Callable[[int], bool]) -> Callable[[Any, Any], Ternary]:
    def run(x: Any, operand: Any) -> Ternary:
        c = compare(x, operand)
        return None if c is None else test(c)

    return run


def _within(x: Any, values: Any) -> Ternary:
    return any(equals(x, v) for v in _as_list(values))


def _without(x: Any, values: Any) -> Ternary:
    return not any(equals(x, v) for v in _as_list(values))


def _text(test: Callable[[str, str], bool], negate: bool) -> Callable[[Any, Any], Ternary]:
    def run(x: Any, operand: Any) -> Ternary:
        if not isinstance(x, str) or not isinstance(operand, str):
            return None
        result = test(x, operand)
        return not result if negate else result

    return run


@functools.lru_cache(maxsize=256)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """``TextP.regex`` uses Java's ``Pattern.find()``: a match anywhere in the string, like
    ``re.search``. The common syntax is shared; Java-only constructs (possessive quantifiers ...)
    fail to compile here and are refused."""
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise invalid_parameter(f"TextP.regex: invalid regular expression {pattern!r}: {exc}") from exc


def _regex(negate: bool) -> Callable[[Any, Any], Ternary]:
    def run(x: Any, operand: Any) -> Ternary:
        if not isinstance(x, str) or not isinstance(operand, str):
            return None
        found = compile_regex(operand).search(x) is not None
        return not found if negate else found

    return run


_SIMPLE: dict[str, Callable[[Any, Any], Ternary]] = {
    "eq": lambda x, v: equals(x, v),
    "neq": lambda x, v: not equals(x, v),
    "lt": _cmp(lambda c: c < 0),
    "lte": _cmp(lambda c: c <= 0),
    "gt": _cmp(lambda c: c > 0),
    "gte": _cmp(lambda c: c >= 0),
    "within": _within,
    "without": _without,
    "containing": _text(lambda s, v: v in s, negate=False),
    "notContaining": _text(lambda s, v: v in s, negate=True),
    "startingWith": _text(str.startswith, negate=False),
    "notStartingWith": _text(str.startswith, negate=True),
    "endingWith": _text(str.endswith, negate=False),
    "notEndingWith": _text(str.endswith, negate=True),
    "regex": _regex(negate=False),
    "notRegex": _regex(negate=True),
}

SUPPORTED_OPERATORS = frozenset(_SIMPLE) | {"between", "inside", "outside", "and", "or", "not"}


def _and(a: Ternary, b: Ternary) -> Ternary:
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a: Ternary, b: Ternary) -> Ternary:
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def evaluate(p: P, x: Any) -> Ternary:
    """Evaluate predicate ``p`` against value ``x``."""
    op = p.operator
    if op in _SIMPLE:
        return _SIMPLE[op](x, p.value)
    if op == "and":
        return _and(evaluate(p.value, x), evaluate(p.other, x))
    if op == "or":
        return _or(evaluate(p.value, x), evaluate(p.other, x))
    if op == "not":
        inner = evaluate(p.value, x)
        return None if inner is None else not inner
    if op in ("between", "inside", "outside"):
        low, high = _bounds(p)
        lo, hi = compare(x, low), compare(x, high)
        if lo is None or hi is None:
            return None
        if op == "between":
            return lo >= 0 and hi < 0
        if op == "inside":
            return lo > 0 and hi < 0
        return lo < 0 or hi > 0
    raise unsupported(f"{type(p).__name__}.{op}")


def _bounds(p: P) -> tuple[Any, Any]:
    if p.other is None and isinstance(p.value, list | tuple) and len(p.value) == 2:
        return p.value[0], p.value[1]
    return p.value, p.other


def passes(p: P, x: Any) -> bool:
    """Binary reduction for filters: only ``True`` passes."""
    return evaluate(p, x) is True


def validate(p: P) -> None:
    """Refuse unsupported operators when the query is compiled, not halfway through it."""
    if not isinstance(p, P):
        return
    if p.operator not in SUPPORTED_OPERATORS:
        raise unsupported(f"{'TextP' if isinstance(p, TextP) else 'P'}.{p.operator}")
    if p.operator in ("regex", "notRegex"):
        if not isinstance(p.value, str):
            raise invalid_parameter(f"TextP.{p.operator} takes a String pattern, got {p.value!r}")
        compile_regex(p.value)
    if p.operator in ("and", "or"):
        validate(p.value)
        validate(p.other)
    elif p.operator == "not":
        validate(p.value)


_TWO_OPERANDS = frozenset({"between", "inside", "outside"})
_COLLECTIONS = (list, tuple, set, frozenset)


def scope_keys(p: P) -> list[Any]:
    """The ``as()``/side-effect keys a ``where(P)`` predicate names, in TinkerPop's order.

    As ``WherePredicateStep`` does: a leaf names one key, and when its operand is a collection
    (``within('a')`` is ``within(['a'])``) the key is the collection's first item. ``between``/
    ``inside``/``outside`` name two (they are and/or of two comparisons in TinkerPop).
    """
    if p.operator in ("and", "or"):
        return scope_keys(p.value) + scope_keys(p.other)
    if p.operator == "not":
        return scope_keys(p.value)
    if p.operator in _TWO_OPERANDS:
        low, high = _bounds(p)
        return [low, high]
    value = p.value
    if isinstance(value, _COLLECTIONS):
        items = list(value)
        return items[:1]
    return [value]


def bind_scope_values(p: P, values: Iterator[Any]) -> P:
    """A copy of ``p`` whose operands are the values of its :func:`scope_keys`, in the same order.

    The value of a collection operand's key replaces the whole collection: ``where(within('a'))``
    with ``a = ['josh', 'peter']`` tests ``within(['josh', 'peter'])`` (TinkerPop's ``setValue``).
    """
    cls = type(p)
    if p.operator in ("and", "or"):
        return cls(p.operator, bind_scope_values(p.value, values), bind_scope_values(p.other, values))
    if p.operator == "not":
        return cls(p.operator, bind_scope_values(p.value, values))
    if p.operator in _TWO_OPERANDS:
        return cls(p.operator, next(values), next(values))
    value = next(values)
    if isinstance(p.value, _COLLECTIONS) and p.operator in ("within", "without"):
        value = list(value) if isinstance(value, _COLLECTIONS) else [value]
    return cls(p.operator, value)
