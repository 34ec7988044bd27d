"""Where Neptune differs from TinkerPop, the engine follows Neptune; and every error has its code."""

from __future__ import annotations

import datetime
import uuid

import pytest
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Cardinality, T
from gremlin_python.structure.graph import Vertex

from .engine_support import Engine, fails, g


# --------------------------------------------------------------------------- ids
def test_user_supplied_ids_must_be_strings():
    e = Engine()
    assert "String" in fails(e, g.add_v("x").property(T.id, 1), "InvalidParameterException")
    e.run(g.add_v("x").property(T.id, "a").add_v("x").property(T.id, "b"))
    fails(e, g.add_e("e").from_(__.V("a")).to(__.V("b")).property(T.id, 5), "InvalidParameterException")


def test_generated_ids_are_uuid_strings_and_seeded():
    ids = []
    for _ in range(2):
        e = Engine(seed=11)
        [v] = e.run(g.add_v("x").id_())
        [edge] = e.run(g.add_e("e").from_(__.V(v)).to(__.V(v)).id_())
        ids.append((v, edge))
    assert ids[0] == ids[1]
    assert uuid.UUID(ids[0][0]).version == 4 and uuid.UUID(ids[0][1]).version == 4


def test_duplicate_ids_are_constraint_violations(e):
    assert "'1'" in fails(e, g.add_v("person").property(T.id, "1"), "ConstraintViolationException")
    fails(e, g.add_e("knows").from_(__.V("1")).to(__.V("2")).property(T.id, "7"), "ConstraintViolationException")


# --------------------------------------------------------------------------- cardinality
def test_default_vertex_cardinality_is_set(e):
    e.run(g.V("1").property("age", 30))
    assert e.run(g.V("1").values("age")) == [29, 30]
    e.run(g.V("1").property("age", 30))  # already in the set
    assert e.run(g.V("1").values("age")) == [29, 30]
    e.run(g.V("1").property(Cardinality.set_, "age", 31))
    assert e.run(g.V("1").values("age")) == [29, 30, 31]


def test_single_cardinality_replaces(e):
    e.run(g.V("1").property("age", 30).property(Cardinality.single, "age", 40))
    assert e.run(g.V("1").values("age")) == [40]
    assert e.run(g.V("1").properties().key()) == ["name", "age"]  # the key keeps its place


def test_list_cardinality_is_refused(e):
    msg = fails(e, g.V("1").property(Cardinality.list_, "age", 30), "UnsupportedOperationException")
    assert "list" in msg
    assert e.run(g.V("1").values("age")) == [29]


def test_property_at_creation_with_cardinality_and_map():
    e = Engine()
    e.run(g.add_v("x").property(T.id, "v").property("k", "a").property("k", "b").property({"m": 1, "n": 2}))
    assert e.run(g.V("v").value_map()) == [{"k": ["a", "b"], "m": [1], "n": [2]}]
    e.run(g.V("v").property(Cardinality.single, {"k": "z"}))
    assert e.run(g.V("v").values("k")) == ["z"]


def test_meta_properties_are_refused_like_neptune(e):
    msg = fails(e, g.V("1").property("name", "m", "since", 2010), "UnsupportedOperationException")
    assert msg == "Properties on a vertex property is not supported"
    fails(e, g.V("1").properties("name").property("since", 2010), "UnsupportedOperationException")


def test_edge_properties_are_single(e):
    e.run(g.E("7").property("weight", 0.7))
    assert e.run(g.E("7").values("weight")) == [0.7]
    fails(e, g.E("7").property(Cardinality.set_, "weight", 0.1), "InvalidParameterException")


@pytest.mark.parametrize("value", [None, [1, 2], {"a": 1}, {1, 2}, 2**64])
def test_invalid_property_values_name_the_key(e, value):
    msg = fails(e, g.V("1").property("bad_key", value), "InvalidParameterException")
    assert "'bad_key'" in msg


def test_dates_and_numbers_are_valid_values():
    e = Engine()
    when = datetime.datetime(2024, 5, 1, 12, 0)
    e.run(g.add_v("x").property(T.id, "d").property("when", when).property("f", 1.5).property("b", True))
    assert e.run(g.V("d").value_map()) == [{"when": [when], "f": [1.5], "b": [True]}]


# --------------------------------------------------------------------------- labels
def test_labels_must_be_strings():
    e = Engine()
    fails(e, g.add_v(5), "InvalidParameterException")
    fails(e, g.add_v(""), "InvalidParameterException")
    e.run(g.add_v("x").property(T.id, "a"))
    fails(e, g.add_e(7).from_(__.V("a")).to(__.V("a")), "InvalidParameterException")


def test_multi_labels():
    e = Engine()
    e.run(g.add_v("Person::Employee").property(T.id, "p"))
    assert e.run(g.V().has_label("Employee").id_()) == ["p"]
    assert e.run(g.V().has_label("Person").label()) == ["Person::Employee"]
    assert e.run(g.V().has_label("Pers")) == []


# --------------------------------------------------------------------------- edges and endpoints
def test_add_e_missing_endpoint_names_the_id(e):
    msg = fails(e, g.add_e("knows").from_(__.V("1")).to(__.V("ghost")), "ConstraintViolationException")
    assert "'ghost'" in msg
    msg = fails(e, g.add_e("knows").from_(Vertex("nobody")).to(Vertex("1")), "ConstraintViolationException")
    assert "'nobody'" in msg
    assert e.run(g.E().count()) == [6]


def test_add_e_forms(e):
    [edge] = e.run(g.V("1").as_("a").V("6").add_e("knows").from_("a"))
    assert (edge.outV.id, edge.inV.id) == ("1", "6")
    [edge] = e.run(g.V("2").add_e("likes").to(Vertex("3")).property("w", 1))
    assert (edge.outV.id, edge.label, edge.inV.id) == ("2", "likes", "3")
    [edge] = e.run(g.add_e(__.constant("dyn")).from_(__.V("4")).to(__.V("5")))
    assert edge.label == "dyn"
    assert "'zz'" in fails(e, g.V("1").add_e("x").from_("zz"), "InvalidParameterException")
    fails(e, g.add_e("x").to(__.V("1")), "MalformedQueryException")  # start step needs from() and to()


def test_add_v_label_from_traversal():
    e = Engine()
    assert e.run(g.inject("dynamic").add_v(__.identity()).label()) == ["dynamic"]


def test_id_can_only_be_set_at_creation(e):
    fails(e, g.V("1").property(T.id, "new"), "MalformedQueryException")


def test_drop_vertices_edges_and_properties(e):
    e.run(g.V("1").properties("age").drop())
    assert e.run(g.V("1").value_map()) == [{"name": ["marko"]}]
    e.run(g.E("7").properties("weight").drop())
    assert e.run(g.E("7").value_map()) == [{}]
    e.run(g.E("8").drop())
    assert e.run(g.V("1").out().id_()) == ["2", "3"]
    e.run(g.V("1").drop())
    assert e.run(g.V().count()) == [5] and e.run(g.E().count()) == [3]
    assert e.run(g.V("2").in_e()) == []


def test_writing_to_an_element_dropped_in_the_same_request_fails(e):
    assert "'2' was removed" in fails(e, g.V("2").side_effect(__.drop()).property("x", 1), "InvalidParameterException")
    assert e.run(g.V("2").count()) == [1]  # and the drop was rolled back with the request
