"""What an upsert may hold: values Neptune stores, checked before anything is sent.

A value Neptune cannot store must fail its own message as ``invalid_upsert`` with a reason, not
the request it would be batched into (where bisection would have to find it, at the cost of
requests) nor, worse, reach the database at all.
"""

from __future__ import annotations

import datetime as dt

import pytest

from framework.merge_rules import AddToSet, KeepMax, KeepMin
from framework.upserts import DeleteEdge, DeleteVertex, Edge, UpsertValidationError, Vertex

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
AWARE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def vertex(value):
    return Vertex(id="v", label="V", props={"p": value})


def edge(value):
    return Edge(label="L", from_id="a", to_id="b", props={"p": value})


@pytest.mark.parametrize("make", [vertex, edge], ids=["vertex", "edge"])
@pytest.mark.parametrize("value", [INT64_MIN, INT64_MAX, 0, -1, True, False, "", "text", 1.5, -0.0, AWARE,
                                   dt.datetime(2026, 1, 1)])
def test_storable_values_pass(make, value):
    make(value).validate()


@pytest.mark.parametrize("make", [vertex, edge], ids=["vertex", "edge"])
@pytest.mark.parametrize("value", [INT64_MAX + 1, INT64_MIN - 1, 2**64, -(2**100)])
def test_integers_outside_64_bits_are_refused(make, value):
    with pytest.raises(UpsertValidationError, match=rf"property 'p': integer {value} does not fit in 64 bits"):
        make(value).validate()


@pytest.mark.parametrize("rule", [KeepMax, KeepMin, lambda value: AddToSet(1, value)],
                         ids=["KeepMax", "KeepMin", "AddToSet"])
def test_merge_rule_integers_outside_64_bits_are_refused(rule):
    vertex(rule(INT64_MAX)).validate()
    with pytest.raises(UpsertValidationError, match="does not fit in 64 bits"):
        vertex(rule(INT64_MAX + 1)).validate()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_refused(value):
    with pytest.raises(UpsertValidationError, match="is not a finite number"):
        vertex(value).validate()


@pytest.mark.parametrize(("value", "kind"), [(None, "None"), ([1], "list"), ({"a": 1}, "dict"), (b"x", "bytes"),
                                             (dt.date(2026, 1, 1), "date")])
def test_other_types_are_refused_by_name(value, kind):
    with pytest.raises(UpsertValidationError, match=rf"property 'p': {kind} is not a type Neptune stores"):
        vertex(value).validate()


def test_text_must_be_valid_unicode():
    with pytest.raises(UpsertValidationError, match=r"lone UTF-16 surrogate \(U\+DC00\) at position 1"):
        vertex("a\udc00").validate()


NAIVE = dt.datetime(2026, 1, 1)


@pytest.mark.parametrize(("write", "reason"), [
    (Vertex(id=7, label="V"), "vertex id must be a string (Neptune ids are strings), got int"),  # type: ignore[arg-type]
    (Vertex(id="", label="V"), "vertex id must be 1..1024 characters, got 0"),
    (Vertex(id="x" * 1025, label="V"), "vertex id must be 1..1024 characters, got 1025"),
    (Vertex(id="gw:t", label="V"), "vertex id 'gw:t': ids starting with 'gw:' are reserved for graphworker "
                                   "(tombstones)"),
    (Vertex(id="v", label=" "), "vertex 'v' label must be a non-empty string, got ' '"),
    (Vertex(id="v", label="gw:V"), "vertex 'v' label 'gw:V': labels starting with 'gw:' are reserved"),
    (Vertex(id="v", label="V", props=[("p", 1)]), "vertex 'v': props must be a mapping, got list"),  # type: ignore[arg-type]
    (Vertex(id="v", label="V", props={"": 1}), "vertex 'v': property keys must be non-empty strings, got ''"),
    (Vertex(id="v", label="V", props={"label": 1}), "vertex 'v': property key 'label' is reserved"),
    (Vertex(id="v", label="V", props={"~id": 1}), "vertex 'v': property key '~id' is reserved"),
    (Vertex(id="v", label="V", props={"gw:v": 1}), "vertex 'v': property key 'gw:v' is reserved"),
    (Vertex(id="v", label="V", props={"a\udc00": 1}), "vertex 'v': property key contains a lone UTF-16 surrogate "
                                                      "(U+DC00) at position 1, which is not valid Unicode text"),
    (Vertex(id="v", label="V", props={"p": None}), "vertex 'v': property 'p': None is not a type Neptune stores "
                                                   "(use str, bool, int, float or datetime, or a merge rule: "
                                                   "KeepMax, KeepMin, AddToSet)"),
    (Vertex(id="v", label="V", props={"p": AddToSet()}), "vertex 'v': property 'p': AddToSet needs at least one value"),
    (Vertex(id="v", label="V", props={"p": AddToSet(1, None)}),
     "vertex 'v': property 'p': AddToSet value: None is not a type Neptune stores (use str, bool, int, float or "
     "datetime, or a merge rule: KeepMax, KeepMin, AddToSet)"),
    (Vertex(id="v", label="V", props={"p": AddToSet(NAIVE)}),
     "vertex 'v': property 'p': merge rules compare datetimes, which must be timezone-aware (got naive "
     "2026-01-01T00:00:00)"),
    (Vertex(id="v", label="V", props={"p": KeepMax(True)}),
     "vertex 'v': property 'p': KeepMax needs a str, int, float or datetime, got bool"),
    (Vertex(id="v", label="V", props={"p": KeepMin(None)}),
     "vertex 'v': property 'p': KeepMin needs a str, int, float or datetime, got NoneType"),
    (Vertex(id="v", label="V", props={"p": KeepMin(float("nan"))}),
     "vertex 'v': property 'p': KeepMin value: nan is not a finite number"),
    (Vertex(id="v", label="V", props={"p": KeepMax(NAIVE)}),
     "vertex 'v': property 'p': merge rules compare datetimes, which must be timezone-aware (got naive "
     "2026-01-01T00:00:00)"),
    (Vertex(id="v", label="V", version=NAIVE),
     "vertex 'v': a datetime version must be timezone-aware, got naive 2026-01-01T00:00:00"),
    (Edge(label="L", from_id="a", to_id="b", props={"p": AddToSet(1)}),
     "L edge 'a'->'b': property 'p': AddToSet needs set cardinality, which only vertex properties have (an edge "
     "property holds one value)"),
    (Edge(label="", from_id="a", to_id="b"), "edge label must be a non-empty string, got ''"),
    (Edge(label="L", from_id="", to_id="b"), "L edge from_id must be 1..1024 characters, got 0"),
    (Edge(label="L", from_id="a", to_id=3), "L edge to_id must be a string (Neptune ids are strings), got int"),  # type: ignore[arg-type]
    (Edge(label="L", from_id="a", to_id="b", id=""), "L edge id must be 1..1024 characters, got 0"),
    (Edge(label="L", from_id="a", to_id="b", version="1"),  # type: ignore[arg-type]
     "L edge 'a'->'b': a version must be an int or a timezone-aware datetime, got str"),
    (DeleteVertex(id=""), "deleted vertex id must be 1..1024 characters, got 0"),
    (DeleteVertex(id="v", version=2**63), "delete of vertex 'v': an int version must fit in 64 bits, got "
                                          "9223372036854775808"),
    (DeleteEdge(label="L", from_id="a", to_id="b", id="gw:e"),
     "L edge id 'gw:e': ids starting with 'gw:' are reserved for graphworker (tombstones)"),
    (DeleteEdge(label="L", from_id="a", to_id="b", version=NAIVE),
     "delete of L edge 'a'->'b': a datetime version must be timezone-aware, got naive 2026-01-01T00:00:00"),
])
def test_a_refused_write_says_exactly_what_is_wrong(write, reason):
    """The reason is what the failed message's log line and span say: it must name the element and the rule."""
    with pytest.raises(UpsertValidationError) as refused:
        write.validate()
    assert str(refused.value) == reason


def test_merge_rules_accept_aware_datetimes_and_every_orderable_type():
    for rule in (KeepMax(AWARE), KeepMin("a"), KeepMax(1), KeepMin(1.5), AddToSet(AWARE, "a", 1, 2.5, True)):
        Vertex(id="v", label="V", props={"p": rule}).validate()
    offset = dt.datetime(2026, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    Vertex(id="v", label="V", props={"p": KeepMax(offset)}, version=offset).validate()
    DeleteEdge(label="L", from_id="a", to_id="b", id="e-1", version=AWARE).validate()


class NoOffset(dt.tzinfo):
    """A tzinfo that does not know its offset: the datetime is still naive for comparisons."""

    def utcoffset(self, _: dt.datetime | None) -> None:
        return None


def test_a_datetime_whose_zone_has_no_offset_counts_as_naive_in_merge_rules():
    unknown = dt.datetime(2026, 1, 1, tzinfo=NoOffset())
    with pytest.raises(UpsertValidationError, match="must be timezone-aware"):
        Vertex(id="v", label="V", props={"p": KeepMax(unknown)}).validate()


def test_versions_are_stored_as_ints_and_datetimes_as_microseconds_since_the_epoch():
    from framework.versions import version_number

    assert version_number(INT64_MIN) == INT64_MIN and version_number(INT64_MAX) == INT64_MAX
    assert version_number(dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC)) == 1
    assert version_number(dt.datetime(2026, 1, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == \
        version_number(AWARE) == 1_767_225_600_000_000
    assert type(version_number(AWARE)) is int
    with pytest.raises(UpsertValidationError, match="must be timezone-aware"):
        Vertex(id="v", label="V", version=dt.datetime(2026, 1, 1, tzinfo=NoOffset())).validate()
    for beyond in (INT64_MIN - 1, INT64_MAX + 1):
        with pytest.raises(UpsertValidationError, match=f"an int version must fit in 64 bits, got {beyond}"):
            Vertex(id="v", label="V", version=beyond).validate()
