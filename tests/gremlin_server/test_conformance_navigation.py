"""Conformance: moving around the graph and branching, against TinkerPop 3.7's reference examples.

Covers ``V``, ``E``, the vertex steps (``out``/``in``/``both``/``outE``/``inE``/``bothE``/``outV``/
``inV``/``bothV``/``otherV``), ``coalesce``, ``union`` (also as a start step), ``optional``,
``local``, ``map``/``flatMap``/``filter``/``sideEffect``, ``identity``, ``constant``, ``inject`` and
``barrier``, on the modern graph, for every serializer, through both gremlinpython clients.
"""

from __future__ import annotations

import pytest
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Order, P

from .conformance_support import Modern, e, es, same_items, v, vs


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer)


def test_v_and_e_steps(m):
    # "V Step": g.V(1)
    m.check(lambda g: g.V("1"), [v("1")])
    # "E Step": g.E(11); g.E().hasLabel('knows').has('weight', gt(0.75))
    m.check(lambda g: g.E("11"), [e("11")])
    m.check(lambda g: g.E().has_label("knows").has("weight", P.gt(0.75)), [e("8")])
    # "The Graph Process": g.V(1).outE('knows').inV().values('name')
    m.check_items(lambda g: g.V("1").out_e("knows").in_v().values("name"), ["vadas", "josh"])
    # V(ids...) skips unknown ids; g.V() is every vertex
    m.check_items(lambda g: g.V("1", "nope", "6"), vs("1", "6"))
    m.check_items(lambda g: g.V(), vs("1", "2", "3", "4", "5", "6"))


def test_e_step_coalesce_finds_existing_edges(m):
    # "E Step": g.inject(1).coalesce(E().hasLabel("knows"),
    #     addE("knows").from(V().has("name","josh")).to(V().has("name","vadas")))
    # -- the knows edges exist, so nothing is added.
    found = m.write(lambda g: g.inject(1).coalesce(
        __.E().has_label("knows"),
        __.add_e("knows").from_(__.V().has("name", "josh")).to(__.V().has("name", "vadas"))))
    assert sorted(x.id for x in found) == ["7", "8"]
    m.check(lambda g: g.E().count(), [6])


def test_vertex_steps(m):
    # "Vertex Steps", all on josh (v[4])
    m.check(lambda g: g.V("4"), [v("4")])
    m.check_items(lambda g: g.V("4").out_e(), es("10", "11"))  # all outgoing edges
    m.check(lambda g: g.V("4").in_e("knows"), [e("8")])  # all incoming knows-edges
    m.check(lambda g: g.V("4").in_e("created"), [])  # all incoming created-edges
    m.check_items(lambda g: g.V("4").both_e("knows", "created", "blah"), es("10", "11", "8"))
    m.check_items(lambda g: g.V("4").both_e("knows", "created", "blah").other_v(), vs("5", "3", "1"))
    m.check_items(lambda g: g.V("4").both("knows", "created", "blah"), vs("5", "3", "1"))
    m.check_items(lambda g: g.V("4").out_e().in_v(), vs("5", "3"))  # forward touching edges and vertices
    m.check_items(lambda g: g.V("4").out(), vs("5", "3"))  # forward touching only vertices
    m.check(lambda g: g.V("4").in_e().out_v(), [v("1")])
    m.check(lambda g: g.V("4").in_e().both_v(), vs("1", "4"))  # out vertex, then in vertex


def test_in_and_both_from_the_other_side(m):
    # "Vertex Steps" on the software side: who created lop, and lop's neighbours
    m.check_items(lambda g: g.V("3").in_("created").values("name"), ["marko", "josh", "peter"])
    m.check_items(lambda g: g.V("3").both().values("name"), ["marko", "josh", "peter"])
    m.check(lambda g: g.V("3").out(), [])
    m.check_items(lambda g: g.V("3").in_e().out_v().id_(), ["1", "4", "6"])


def test_elements_arrive_with_ids_labels_and_endpoints(m):
    # What the documentation prints as v[1] / e[7][1-knows->2]: the whole element, not just its id
    [marko] = m.read(lambda g: g.V("1"))
    assert (marko.id, marko.label) == ("1", "person")
    [edge] = m.read(lambda g: g.E("7"))
    assert (edge.id, edge.label, edge.outV.id, edge.outV.label, edge.inV.id, edge.inV.label) == (
        "7", "knows", "1", "person", "2", "person")


def test_coalesce(m):
    # "Coalesce Step": g.V(1).coalesce(outE('knows'), outE('created')).inV().path().by('name').by(label)
    # (path() is not supported: the names at the end of the documented paths are checked instead)
    m.check_items(lambda g: g.V("1").coalesce(__.out_e("knows"), __.out_e("created")).in_v().values("name"),
                  ["vadas", "josh"])
    m.check(lambda g: g.V("1").coalesce(__.out_e("created"), __.out_e("knows")).in_v().values("name"), ["lop"])
    # g.V(1).property('nickname', 'okram'); g.V().hasLabel('person').coalesce(values('nickname'), values('name'))
    m.write(lambda g: g.V("1").property("nickname", "okram"))
    m.check_items(lambda g: g.V().has_label("person").coalesce(__.values("nickname"), __.values("name")),
                  ["okram", "vadas", "josh", "peter"])


def test_constant(m):
    # "Constant Step": g.V().coalesce(hasLabel('person').values('name'), constant('inhuman'))
    m.check_items(lambda g: g.V().coalesce(__.has_label("person").values("name"), __.constant("inhuman")),
                  ["marko", "vadas", "inhuman", "josh", "inhuman", "peter"])
    m.check(lambda g: g.V("1").constant([1, "a"]), [[1, "a"]])


def test_union(m):
    # "Union Step": g.V(4).union(__.in().values('age'), out().values('lang'))
    m.check(lambda g: g.V("4").union(__.in_().values("age"), __.out().values("lang")), [29, "java", "java"])
    # g.union(V().has('person','name','vadas'), V().has('software','name','lop').in('created'))
    # -- union() as a start step (TinkerPop 3.7)
    result = m.read(lambda g: g.union(__.V().has("person", "name", "vadas"),
                                      __.V().has("software", "name", "lop").in_("created")))
    assert result[0] == v("2")
    same_items(result[1:], vs("1", "4", "6"))


def test_optional(m):
    # "Optional Step": vadas has no outgoing knows-edge so vadas is returned; marko knows vadas
    m.check(lambda g: g.V("2").optional(__.out("knows")), [v("2")])
    m.check(lambda g: g.V("2").optional(__.in_("knows")), [v("1")])


def test_general_map_filter_side_effect_flat_map(m):
    # "General Steps": g.V(1).out().values('name') == g.V(1).out().map(values('name'))
    m.check_items(lambda g: g.V("1").out().values("name"), ["vadas", "josh", "lop"])
    m.check_items(lambda g: g.V("1").out().map(__.values("name")), ["vadas", "josh", "lop"])
    # g.V().filter(label().is('person')) == g.V().hasLabel('person')
    m.check_items(lambda g: g.V().filter_(__.label().is_("person")), vs("1", "2", "4", "6"))
    m.check_items(lambda g: g.V().has_label("person"), vs("1", "2", "4", "6"))
    # sideEffect(): whatever enters is passed on, while the side effect happens
    m.check(lambda g: g.V("1").side_effect(__.out_e().count()).values("name"), ["marko"])
    m.write(lambda g: g.V("1").side_effect(__.property("visited", True)))
    m.check(lambda g: g.V("1").values("visited"), [True])
    # "FlatMap Step": the current object to an iterator of objects
    m.check_items(lambda g: g.V("1").flat_map(__.out("knows")).values("name"), ["vadas", "josh"])


def test_local(m):
    # "Local Step" (the documentation uses The Crew; this is the same query on the modern graph):
    # for every person the heaviest created-edge, versus the heaviest created-edge overall.
    heaviest = __.out_e("created").order().by("weight", Order.desc).limit(1)
    m.check_items(lambda g: g.V().has_label("person").local(heaviest).id_(), ["9", "10", "12"])
    m.check(lambda g: g.V().has_label("person").out_e("created").order().by("weight", Order.desc).limit(1).id_(),
            ["10"])


def test_identity_inject_barrier(m):
    # "Identity Step": g.V().identity()
    m.check_items(lambda g: g.V().identity(), vs("1", "2", "3", "4", "5", "6"))
    # "Inject Step": g.V(4).out().values('name').inject('daniel'); inject(1,2)
    result = m.read(lambda g: g.V("4").out().values("name").inject("daniel"))
    assert result[0] == "daniel" and sorted(result[1:]) == ["lop", "ripple"]
    m.check(lambda g: g.inject(1, 2), [1, 2])
    # "Barrier Step": everything before barrier() runs before anything after it -- all four people
    # are marked before the first of them looks for marked people
    assert m.write(lambda g: g.V().has_label("person").property("seen", True).barrier()
                   .V().has("seen", True).count()) == [16]
    m.check(lambda g: g.V().both().barrier().count(), [12])
    m.check_items(lambda g: g.V("1").out().barrier(2).values("name"), ["vadas", "josh", "lop"])
