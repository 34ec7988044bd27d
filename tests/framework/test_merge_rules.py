"""Merge rules combined within a batch: what value one request carries for a property two messages set.

Within a batch the combined rule must equal what the graph would hold after both messages, in any
order: KeepMax keeps the greater value and KeepMin the smaller; on a tie the first one stays, so an
int and an equal float do not swap types; values of different types (refused within one batch,
but ordered anyway) are ordered by type name, then by their repr, the same whichever comes first.
"""

from __future__ import annotations

import datetime as dt

import pytest

from framework.merge_rules import AddToSet, KeepMax, KeepMin

EARLY = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
LATE = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(("a", "b", "high", "low"), [(1, 2, 2, 1), (2.5, 1, 2.5, 1), ("a", "b", "b", "a"),
                                                     (EARLY, LATE, LATE, EARLY)])
def test_keep_max_and_min_combine_to_the_extreme_in_either_order(a, b, high, low):
    assert KeepMax(a).combine(KeepMax(b)) == KeepMax(b).combine(KeepMax(a)) == KeepMax(high)
    assert KeepMin(a).combine(KeepMin(b)) == KeepMin(b).combine(KeepMin(a)) == KeepMin(low)


def test_on_a_tie_the_first_value_stays_with_its_type():
    assert type(KeepMax(1).combine(KeepMax(1.0)).value) is int
    assert type(KeepMax(1.0).combine(KeepMax(1)).value) is float
    assert type(KeepMin(1).combine(KeepMin(1.0)).value) is int
    assert type(KeepMin(1.0).combine(KeepMin(1)).value) is float


@pytest.mark.parametrize(("a", "b", "high", "low"), [
    ("a", 1, "a", 1),              # "int" < "str"
    (EARLY, "z", "z", EARLY),      # "datetime" < "str"
    (10, "9", "9", 10),            # by type name first, not by value
    (2.5, 3, 3, 2.5),              # int and float compare by value
])
def test_values_of_different_types_are_ordered_stably(a, b, high, low):
    assert KeepMax(a).combine(KeepMax(b)).value == high and KeepMax(b).combine(KeepMax(a)).value == high
    assert KeepMin(a).combine(KeepMin(b)).value == low and KeepMin(b).combine(KeepMin(a)).value == low


def test_unorderable_values_of_one_type_are_ordered_by_repr():
    assert KeepMax(1j).combine(KeepMax(2j)).value == 2j and KeepMax(2j).combine(KeepMax(1j)).value == 2j
    assert KeepMin(1j).combine(KeepMin(2j)).value == 1j and KeepMin(2j).combine(KeepMin(1j)).value == 1j


def test_add_to_set_combines_to_the_union_and_sorts_stably():
    merged = AddToSet(1, "a").combine(AddToSet(["b", 1], EARLY))
    assert merged == AddToSet(1, "a", "b", EARLY)
    assert merged.sorted_values() == [EARLY, 1, "a", "b"]  # by type name, then repr
