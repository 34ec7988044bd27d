"""Text property values that are not valid Unicode: the refusal names where the bad text is."""

from __future__ import annotations

import pytest

from framework.merge_rules import AddToSet, KeepMax
from framework.upserts import Edge, UpsertValidationError, Vertex


@pytest.mark.parametrize(("write", "reason"), [
    (Vertex("v", "V", {"p": "a\udc00"}), "vertex 'v': property 'p'"),
    (Vertex("v", "V", {"p": AddToSet("ok", "a\udc00")}), "vertex 'v': property 'p': AddToSet value"),
    (Vertex("v", "V", {"p": KeepMax("a\udc00")}), "vertex 'v': property 'p': KeepMax value"),
    (Edge("L", "a", "b", {"p": "a\udc00"}, id="e"), "L edge 'a'->'b': property 'p'"),
])
def test_a_lone_surrogate_in_a_value_is_refused_with_where_it_is(write, reason):
    with pytest.raises(UpsertValidationError) as err:
        write.validate()
    assert str(err.value) == (f"{reason} contains a lone UTF-16 surrogate (U+DC00) at position 1, "
                              "which is not valid Unicode text")


@pytest.mark.parametrize(("write", "reason"), [
    (Vertex("a\udc00", "V"), "vertex id"),
    (Vertex("v", "L\udc00"), "vertex 'v' label"),
])
def test_a_lone_surrogate_in_an_id_or_label_is_refused_with_where_it_is(write, reason):
    with pytest.raises(UpsertValidationError) as err:
        write.validate()
    assert str(err.value) == (f"{reason} contains a lone UTF-16 surrogate (U+DC00) at position 1, "
                              "which is not valid Unicode text")


def test_an_id_of_exactly_1024_characters_is_accepted():
    Vertex("x" * 1024, "V").validate()
