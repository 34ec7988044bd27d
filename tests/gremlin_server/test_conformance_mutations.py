"""Conformance: ``addV``, ``addE`` (``from``/``to``), ``property`` and ``drop`` against TinkerPop 3.7's
reference examples on the modern graph, for every serializer, through both clients.

Where Neptune differs from TinkerGraph the Neptune behaviour is asserted and the comment says so
(README, "Differences from Neptune"): generated ids are strings, vertex properties default to
``set`` cardinality.
"""

from __future__ import annotations

import pytest
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Cardinality, Direction, P, T

from .conformance_support import G, Modern, neptune_error, same_items, vs


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer)


def ends(m: Modern, build) -> list[tuple[str, str, str]]:
    """(out id, label, in id) of the edges a traversal returns."""
    return [(x.outV.id, x.label, x.inV.id) for x in m.write(build)]


def test_add_e(m):
    # "AddE Step" 1: co-developers of marko, with a year
    same_items(ends(m, lambda g: g.V("1").as_("a").out("created").in_("created").where(P.neq("a"))
                    .add_e("co-developer").from_("a").property("year", 2009)),
               [("1", "co-developer", "4"), ("1", "co-developer", "6")])
    m.check_items(lambda g: g.V("1").out_e("co-developer").values("year"), [2009, 2009])
    # 3: an inverse createdBy edge for every created edge
    same_items(ends(m, lambda g: g.V().as_("a").out("created").add_e("createdBy").to("a").property("acl", "public")),
               [("3", "createdBy", "1"), ("5", "createdBy", "4"), ("3", "createdBy", "4"), ("3", "createdBy", "6")])
    m.check(lambda g: g.E().has_label("createdBy").has("acl", "public").count(), [4])
    # 4: the new edge is a traversable object
    m.check(lambda g: g.E().has_label("livesNear").count(), [0])
    assert m.write(lambda g: g.V("1").as_("a").out("knows").add_e("livesNear").from_("a").property("year", 2009)
                   .in_v().in_e("livesNear").values("year")) == [2009, 2009]
    # 6, 7: edges between detached vertex references the client got back
    marko = m.g.V().has("name", "marko").next()
    peter = m.g.V().has("name", "peter").next()
    assert ends(m, lambda g: g.V(marko).add_e("knows").to(peter)) == [("1", "knows", "6")]
    assert ends(m, lambda g: g.add_e("knows").from_(marko).to(peter)) == [("1", "knows", "6")]
    # the same through the raw client
    [edge] = m.submit(G.add_e("knows").from_(__.V("6")).to(__.V("2")).property(T.id, "e-62"))
    assert (edge.id, edge.outV.id, edge.inV.id) == ("e-62", "6", "2")


def test_add_e_with_mid_traversal_v(m):
    # "V Step": V() both as a start step and in the middle of a traversal
    same_items(ends(m, lambda g: g.V().has("name", P.within("marko", "vadas", "josh")).as_("person")
                    .V().has("name", P.within("lop", "ripple")).add_e("uses").from_("person")),
               [(p, "uses", s) for p in ("1", "2", "4") for s in ("3", "5")])


def test_add_v(m):
    # "AddV Step"
    [stephen] = m.write(lambda g: g.add_v("person").property("name", "stephen"))
    assert stephen.label == "person" and isinstance(stephen.id, str)  # a generated (UUID) id: a string on Neptune
    m.check_items(lambda g: g.V().values("name"), ["marko", "vadas", "lop", "josh", "ripple", "peter", "stephen"])
    created = m.write(lambda g: g.V().out_e("knows").add_v().property("name", "nothing"))
    assert [x.label for x in created] == ["vertex", "vertex"]
    m.check(lambda g: g.V().has("name", "nothing").count(), [2])
    m.check(lambda g: g.V().has("name", "nothing").both_e(), [])
    # "Property Step" 7: the label as a property, only when the vertex is added
    [added] = m.write(lambda g: g.add_v().property(T.label, "person"))
    assert added.label == "person"
    # a user-supplied id
    m.check(lambda g: g.V("new-1"), [])
    assert [x.id for x in m.write(lambda g: g.add_v("person").property(T.id, "new-1"))] == ["new-1"]
    m.check(lambda g: g.V("new-1").label(), ["person"])


def test_property(m):
    # "Property Step"
    assert m.write(lambda g: g.V("1").property("country", "usa")) == vs("1")  # the element streams on
    assert m.write(lambda g: g.V("1").property("city", "santa fe").property("state", "new mexico").value_map()) == [
        {"name": ["marko"], "age": [29], "country": ["usa"], "city": ["santa fe"], "state": ["new mexico"]}]
    m.write(lambda g: g.V("2").property({"city": "santa fe", "state": "new mexico"}))  # a Map of properties
    m.check(lambda g: g.V("2").value_map("city", "state"), [{"city": ["santa fe"], "state": ["new mexico"]}])
    # the value selected by a traversal
    assert m.write(lambda g: g.V("1").property("friendWeight", __.out_e("knows").values("weight").sum_())
                   .values("friendWeight")) == [1.5]
    # edge properties are single-valued
    m.write(lambda g: g.E("7").property("weight", 0.75))
    m.check(lambda g: g.E("7").values("weight"), [0.75])
    # through the raw client
    assert m.submit(G.V("6").property("nick", "pete").values("nick")) == ["pete"]


def test_property_cardinality_follows_neptune(m):
    # Neptune: a vertex property without a cardinality is `set` (TinkerGraph would replace 32 by 33)
    m.write(lambda g: g.V("4").property("age", 33))
    m.check(lambda g: g.V("4").values("age"), [32, 33])
    m.write(lambda g: g.V("4").property("age", 33))  # a set: no duplicates
    m.check(lambda g: g.V("4").values("age"), [32, 33])
    # single replaces every value
    m.write(lambda g: g.V("4").property(Cardinality.single, "age", 34))
    m.check(lambda g: g.V("4").values("age"), [34])
    m.write(lambda g: g.V("4").property(Cardinality.set_, "nick", "j").property(Cardinality.set_, "nick", "jo"))
    m.check(lambda g: g.V("4").values("nick"), ["j", "jo"])


def test_drop(m):
    # "Drop Step"
    m.write(lambda g: g.V().out_e().drop())
    m.check(lambda g: g.E(), [])
    m.write(lambda g: g.V().properties("name").drop())
    m.check_items(lambda g: g.V().element_map(), [
        {T.id: "1", T.label: "person", "age": 29}, {T.id: "2", T.label: "person", "age": 27},
        {T.id: "3", T.label: "software", "lang": "java"}, {T.id: "4", T.label: "person", "age": 32},
        {T.id: "5", T.label: "software", "lang": "java"}, {T.id: "6", T.label: "person", "age": 35},
    ])
    assert m.submit(G.V().drop()) == []
    m.check(lambda g: g.V(), [])


def test_drop_edge_properties_and_vertices_with_edges(m):
    m.write(lambda g: g.E("7").properties("weight").drop())
    m.check(lambda g: g.E("7").value_map(), [{}])
    # dropping a vertex drops its edges
    m.write(lambda g: g.V("1").drop())
    m.check_items(lambda g: g.E().id_(), ["10", "11", "12"])
    [edge] = m.read(lambda g: g.E("10").element_map())
    assert edge[m.key(Direction.OUT)] == m.expect({T.id: "4", T.label: "person"})


def test_property_with_a_traversal_key(m):
    # property(traversal, value): the key is the traversal's first result, per traverser
    m.write(lambda g: g.V().has_label("software").property(__.values("lang"), True))
    m.check(lambda g: g.V("3").values("java"), [True])
    m.write(lambda g: g.V("1").property(Cardinality.single, __.constant("nick"), __.values("name")))
    m.check(lambda g: g.V("1").values("nick"), ["marko"])
    # a key traversal producing nothing is an error, and the request writes nothing
    with pytest.raises(GremlinServerError) as err:
        m.write(lambda g: g.V("1").property("before", 1).property(__.values("nope"), 1))
    assert neptune_error(err.value)["code"] == "InvalidParameterException"
    m.check(lambda g: g.V("1").values("before"), [])


def test_add_v_with_an_existing_id_adds_a_new_label(m):
    # Neptune ("User-supplied IDs"): addV('label2').property(id, 'customid') on an existing vertex with
    # another label adds the label (and the properties); with a label it has, the id is a duplicate
    m.write(lambda g: g.add_v("label1").property(T.id, "customid"))
    m.write(lambda g: g.add_v("label2").property(T.id, "customid").property("k", "v"))
    m.check(lambda g: g.V("customid").label(), ["label1::label2"])
    m.check(lambda g: g.V().has_label("label2").values("k"), ["v"])
    with pytest.raises(GremlinServerError) as err:
        m.write(lambda g: g.add_v("label1").property(T.id, "customid"))
    assert neptune_error(err.value)["code"] == "ConstraintViolationException"
    m.check(lambda g: g.V().count(), [7])
