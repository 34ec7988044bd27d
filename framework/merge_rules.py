"""Property merge rules: values that converge without versions, whatever the delivery order.

Why: a plain property is last-writer-wins, so with SQS's out-of-order, at-least-once delivery an
older message written late overwrites a newer value. Some values do not need a version to
converge, because the rule for combining them is commutative, associative and idempotent:

- :class:`KeepMax` keeps the largest value ever written (``last_seen``);
- :class:`KeepMin` keeps the smallest (``first_seen``);
- :class:`AddToSet` adds values to a set (``tags``, ``aliases``), stored with Neptune's ``set``
  cardinality: one vertex property per distinct value (vertices only: edge properties hold one
  value).

Use them as property values: ``Vertex(id=..., label=..., props={"last_seen": KeepMax(ts)})``.
Any order of deliveries and any number of redeliveries give the same stored value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

Comparable = str | int | float | dt.datetime
"""What KeepMax/KeepMin accept: values Gremlin orders (one type per property)."""
SetMember = str | bool | int | float | dt.datetime


@dataclass(frozen=True, slots=True)
class KeepMax:
    """Store ``value`` unless the stored value is greater (or equal)."""

    value: Comparable
    rule: ClassVar[str] = "keep_max"

    def combine(self, other: MergeValue) -> MergeValue:
        assert isinstance(other, KeepMax)
        return other if _less(self.value, other.value) else self


@dataclass(frozen=True, slots=True)
class KeepMin:
    """Store ``value`` unless the stored value is smaller (or equal)."""

    value: Comparable
    rule: ClassVar[str] = "keep_min"

    def combine(self, other: MergeValue) -> MergeValue:
        assert isinstance(other, KeepMin)
        return other if _less(other.value, self.value) else self


@dataclass(frozen=True, slots=True, init=False)
class AddToSet:
    """Add ``values`` to the property's set of distinct values (vertex properties only)."""

    values: frozenset[SetMember]
    rule: ClassVar[str] = "add_to_set"

    def __init__(self, *values: SetMember | Iterable[SetMember]) -> None:
        flat: list[Any] = []
        for value in values:
            if isinstance(value, set | frozenset | list | tuple):
                flat.extend(value)
            else:
                flat.append(value)
        object.__setattr__(self, "values", frozenset(flat))

    def combine(self, other: MergeValue) -> MergeValue:
        assert isinstance(other, AddToSet)
        return AddToSet(self.values | other.values)

    def sorted_values(self) -> list[SetMember]:
        """Deterministic order for requests (sets have none)."""
        return sorted(self.values, key=lambda v: (type(v).__name__, repr(v)))


MergeValue = KeepMax | KeepMin | AddToSet
MERGE_TYPES = (KeepMax, KeepMin, AddToSet)


def _less(a: Any, b: Any) -> bool:
    try:
        return bool(a < b)
    except TypeError:  # batches refuse mixed types for one property; order them stably anyway
        return (type(a).__name__, repr(a)) < (type(b).__name__, repr(b))
