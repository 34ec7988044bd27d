"""The order AddToSet values are sent in: deterministic (sets have none), by type name, then by repr."""

from __future__ import annotations

from framework.merge_rules import AddToSet


def test_set_values_are_sorted_by_type_name_then_repr():
    words = ["kiwi", "apple", "mango", "fig", "banana", "cherry", "date", "lemon", "grape"]
    values = AddToSet(*words, 10, 9, 2.5, True)
    assert values.sorted_values() == [True, 2.5, 10, 9, *sorted(words)]
