"""mergeV()/mergeE(): TinkerPop 3.7 reference examples and semantics, with Neptune's rules."""

from __future__ import annotations

from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import CardinalityValue, Direction, Merge, T
from gremlin_python.structure.graph import Vertex

from .engine_support import Engine, fails, g


# --------------------------------------------------------------------------- mergeV
def test_merge_v_creates_when_absent_and_matches_when_present():
    e = Engine()
    [dog] = e.run(g.merge_v({T.label: "Dog", "name": "Toby"}))
    [again] = e.run(g.merge_v({T.label: "Dog", "name": "Toby"}))
    assert dog == again and dog.label == "Dog"
    assert e.run(g.V().count()) == [1]
    assert e.run(g.V().value_map()) == [{"name": ["Toby"]}]


def test_merge_v_by_id_returns_existing(e):
    assert e.run(g.merge_v({T.id: "1"}).values("name")) == ["marko"]
    assert e.run(g.merge_v({T.label: "person", "name": "marko"}).id_()) == ["1"]
    assert e.run(g.V().count()) == [6]


def test_merge_v_matches_every_vertex_that_fits(e):
    assert sorted(e.run(g.merge_v({T.label: "software"}).values("name"))) == ["lop", "ripple"]


def test_on_create_inherits_the_search_map():
    e = Engine()
    t = g.merge_v({T.id: "v-1"}).option(Merge.on_create, {T.label: "PERSON", "email": "person-1@example.org"})
    [v] = e.run(t)
    assert (v.id, v.label) == ("v-1", "PERSON")
    assert e.run(g.V("v-1").value_map()) == [{"email": ["person-1@example.org"]}]
    e.run(t)  # matched now: onCreate not applied again
    assert e.run(g.V().count()) == [1]


def test_on_create_cannot_override_the_search_map():
    e = Engine()
    msg = fails(e, g.merge_v({"name": "a"}).option(Merge.on_create, {"name": "b"}), "InvalidParameterException")
    assert "cannot override" in msg
    e.run(g.merge_v({"name": "a"}).option(Merge.on_create, {"name": "a", "x": 1}))  # same value is fine


def test_on_match_plain_value_uses_neptunes_set_cardinality(e):
    e.run(g.merge_v({T.id: "1"}).option(Merge.on_create, {T.label: "person"}).option(Merge.on_match, {"age": 30}))
    assert e.run(g.V("1").values("age")) == [29, 30]


def test_on_match_cardinality_value_single_replaces(e):
    e.run(g.merge_v({T.id: "1"}).option(Merge.on_match, {"age": CardinalityValue.single(30)}))
    assert e.run(g.V("1").values("age")) == [30]


def test_on_create_cardinality_values_are_unwrapped():
    e = Engine()
    e.run(g.merge_v({T.id: "1"}).option(Merge.on_create, {T.label: "Person", "name": CardinalityValue.single("m")}))
    assert e.run(g.V("1").value_map()) == [{"name": ["m"]}]


def test_on_match_traversal_runs_on_the_matched_vertex(e):
    t = g.merge_v({T.id: "1"}).option(
        Merge.on_match, __.side_effect(__.properties("age").drop()).constant({"age": 31})
    )
    assert e.run(t.id_()) == ["1"]
    assert e.run(g.V("1").values("age")) == [31]


def test_on_match_map_keys_must_be_strings(e):
    fails(e, g.merge_v({T.id: "1"}).option(Merge.on_match, {T.label: "x"}), "InvalidParameterException")


def test_merge_v_validates_its_map():
    e = Engine()
    assert "null" in fails(e, g.merge_v({"name": None}), "InvalidParameterException")
    assert "String" in fails(e, g.merge_v({T.label: 5}), "InvalidParameterException")
    fails(e, g.merge_v({Direction.OUT: "1"}), "InvalidParameterException")
    fails(e, g.merge_v({T.id: 1}), "InvalidParameterException")  # Neptune: ids are strings


def test_mid_traversal_merge_v_uses_the_incoming_map():
    e = Engine()
    e.run(g.inject({T.id: "a", T.label: "x"}, {T.id: "b", T.label: "y"}).merge_v())
    assert sorted(e.run(g.V().label())) == ["x", "y"]


def test_merge_v_from_a_traversal():
    e = Engine()
    e.run(g.with_side_effect("m", {T.id: "s", "n": 1}).merge_v(__.select("m")))
    assert e.run(g.V("s").values("n")) == [1]


def test_merge_v_without_argument_cannot_start():
    fails(Engine(), g.merge_v(), "MalformedQueryException")


# --------------------------------------------------------------------------- mergeE
def test_merge_e_matches_existing_edge(e):
    assert e.run(g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "2"}).id_()) == ["7"]
    assert e.run(g.E().count()) == [6]


def test_merge_e_creates_when_absent(e):
    t = g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "6"}).option(Merge.on_create, {"weight": 0.5})
    [edge] = e.run(t)
    assert (edge.outV.id, edge.label, edge.inV.id) == ("1", "knows", "6")
    assert e.run(g.E(edge.id).values("weight")) == [0.5]
    [again] = e.run(t)
    assert again == edge and e.run(g.E().count()) == [7]


def test_merge_e_accepts_vertices_and_from_to_aliases(e):
    assert e.run(g.merge_e({T.label: "created", Direction.from_: Vertex("1"), Direction.to: Vertex("3")}).id_()) == [
        "9"
    ]


def test_merge_e_on_match_updates_single_valued_edge_properties(e):
    e.run(g.merge_e({T.id: "7"}).option(Merge.on_match, {"weight": 0.9}))
    assert e.run(g.E("7").value_map()) == [{"weight": 0.9}]


def test_merge_e_with_out_v_and_in_v_options(e):
    t = (
        g.merge_e({T.label: "knows", Direction.OUT: Merge.out_v, Direction.IN: Merge.in_v})
        .option(Merge.out_v, {"name": "marko"})
        .option(Merge.in_v, {"name": "vadas"})
    )
    assert e.run(t.id_()) == ["7"]
    t = (
        g.merge_e({T.label: "knows", Direction.OUT: Merge.out_v, Direction.IN: Merge.in_v})
        .option(Merge.out_v, __.V("6"))
        .option(Merge.in_v, __.V("2"))
    )
    [edge] = e.run(t)
    assert (edge.outV.id, edge.inV.id) == ("6", "2")


def test_merge_v_then_merge_e_batch_pattern():
    """Neptune's batching idiom: upsert two vertices, then the edge between them, in one request."""
    e = Engine()
    t = (
        g.merge_v({T.id: "a"}).option(Merge.on_create, {T.label: "P"}).as_("a")
        .merge_v({T.id: "b"}).option(Merge.on_create, {T.label: "P"}).as_("b")
        .merge_e({T.label: "knows", Direction.OUT: Merge.out_v, Direction.IN: Merge.in_v})
        .option(Merge.out_v, __.select("a"))
        .option(Merge.in_v, __.select("b"))
    )
    [first] = e.run(t)
    [second] = e.run(t)
    assert first == second and (first.outV.id, first.inV.id) == ("a", "b")
    assert (e.run(g.V().count()), e.run(g.E().count())) == ([2], [1])


def test_merge_e_missing_endpoint_is_a_retriable_constraint_violation(e):
    t = g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "ghost"})
    msg = fails(e, t, "ConstraintViolationException")
    assert "'ghost'" in msg
    assert e.run(g.E().count()) == [6]


def test_merge_e_validation(e):
    fails(e, g.merge_e({Direction.OUT: Merge.in_v, Direction.IN: "2"}), "InvalidParameterException")
    fails(e, g.merge_e({T.label: "x", Direction.OUT: Merge.out_v, Direction.IN: "2"}), "InvalidParameterException")
    assert "Out Vertex" in fails(e, g.merge_e({T.label: "x", Direction.IN: "2"}), "InvalidParameterException")
    fails(e, g.merge_e({T.id: "7"}).option(Merge.on_match, {Direction.OUT: "2"}), "InvalidParameterException")
