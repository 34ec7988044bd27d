"""TinkerPop's ``Operator``s (``fold(seed, operator)``): ``sum``, ``minus``, ``mult``, ``div``, ``min``,
``max``, ``assign``, ``and``, ``or``, ``addAll``, ``sumLong``.

Arithmetic follows Java's ``NumberHelper`` where a client can see it: integers stay integers (``div``
of two integers truncates toward zero, as Java's integer division does), a float anywhere makes a
float, division by integer zero is an error; ``min``/``max`` compare with Gremlin's comparability.
"""

from __future__ import annotations

from typing import Any

from gremlin_python.process.traversal import Operator
from gremlin_python.statics import long

from ..wire.tokens import wire_name
from .failures import invalid_parameter
from .values import compare, is_number


def _numbers(op: str, a: Any, b: Any) -> None:
    if not (is_number(a) and is_number(b)):
        raise invalid_parameter(f"Operator.{op} expects numbers, got {a!r} and {b!r}")


def _div(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        if b == 0:
            raise invalid_parameter("Operator.div: division by zero")
        quotient = abs(a) // abs(b)
        return quotient if (a >= 0) == (b >= 0) else -quotient
    return a / b if b != 0 else (float("nan") if a == 0 else float("inf") * (1 if a > 0 else -1))


def _either(a: Any, b: Any) -> tuple[bool, Any]:
    """Java's null handling for and/or/addAll: one null gives the other value."""
    if a is None or b is None:
        return True, (a if b is None else b)
    return False, None


def apply_operator(operator: Operator, a: Any, b: Any) -> Any:
    name = wire_name(operator)
    if name in ("sum", "minus", "mult", "div", "sumLong"):
        _numbers(name, a, b)
        if name == "sum":
            return a + b
        if name == "sumLong":
            return long(int(a) + int(b))
        if name == "minus":
            return a - b
        if name == "mult":
            return a * b
        return _div(a, b)
    if name in ("min", "max"):
        c = compare(a, b)
        if c is None:
            raise invalid_parameter(f"Operator.{name} cannot compare {a!r} and {b!r}")
        return (a if c <= 0 else b) if name == "min" else (a if c >= 0 else b)
    if name == "assign":
        return b
    if name in ("and", "or"):
        done, value = _either(a, b)
        if done:
            return value
        if not isinstance(a, bool) or not isinstance(b, bool):
            raise invalid_parameter(f"Operator.{name} expects booleans, got {a!r} and {b!r}")
        return (a and b) if name == "and" else (a or b)
    if name == "addAll":
        done, value = _either(a, b)
        if done:
            return value
        if isinstance(a, dict) and isinstance(b, dict):
            return {**a, **b}
        if isinstance(a, list | tuple) and isinstance(b, list | tuple | set | frozenset):
            return [*a, *b]
        if isinstance(a, set | frozenset) and isinstance(b, list | tuple | set | frozenset):
            return {*a, *b}
        raise invalid_parameter(
            f"Objects must be both of Map or Collection: a={type(a).__name__} b={type(b).__name__}")
    raise invalid_parameter(f"Operator.{name} is not supported")
