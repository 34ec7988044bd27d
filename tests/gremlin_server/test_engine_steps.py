"""The engine against TinkerPop's reference-documentation examples on the "modern" graph.

The graph is built through the engine itself (addV/addE bytecode). Ids are strings, as on Neptune.
Where TinkerPop does not fix an order, results are compared sorted.
"""

from __future__ import annotations

from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Bindings, Column, Direction, Order, P, Pop, Scope, T, TextP
from gremlin_python.statics import long
from gremlin_python.structure.graph import Edge, Property, Vertex, VertexProperty

from .engine_support import Engine, g


def names(e: Engine, t) -> list[str]:
    return e.run(t.values("name"))


def test_modern_graph_is_built(e):
    assert e.run(g.V().count()) == [6] and e.run(g.E().count()) == [6]
    assert sorted(e.run(g.V().id_())) == ["1", "2", "3", "4", "5", "6"]


# --------------------------------------------------------------------------- results
def test_result_types_are_gremlinpython_structures(e):
    [v] = e.run(g.V("1"))
    assert isinstance(v, Vertex) and (v.id, v.label) == ("1", "person")
    [edge] = e.run(g.E("7"))
    assert isinstance(edge, Edge) and (edge.id, edge.label) == ("7", "knows")
    assert (edge.outV.id, edge.outV.label, edge.inV.id, edge.inV.label) == ("1", "person", "2", "person")
    [vp] = e.run(g.V("1").properties("name"))
    assert isinstance(vp, VertexProperty) and (vp.key, vp.value, vp.vertex.id) == ("name", "marko", "1")
    [p] = e.run(g.E("7").properties())
    assert isinstance(p, Property) and (p.key, p.value, p.element.id) == ("weight", 0.5, "7")
    [count] = e.run(g.V().count())
    assert type(count) is long


# --------------------------------------------------------------------------- traversing
def test_out_in_both(e):
    assert names(e, g.V("1").out("knows")) == ["vadas", "josh"]
    assert names(e, g.V("1").out()) == ["vadas", "josh", "lop"]
    assert names(e, g.V("3").in_("created")) == ["marko", "josh", "peter"]
    assert sorted(names(e, g.V("4").both())) == ["lop", "marko", "ripple"]
    assert e.run(g.V("1").out("knows", "created").count()) == [3]
    assert e.run(g.V("2").out()) == []


def test_edge_steps(e):
    assert e.run(g.V("1").out_e("knows").id_()) == ["7", "8"]
    assert e.run(g.V("1").in_e()) == []
    assert e.run(g.V("4").both_e().count()) == [3]
    assert e.run(g.E("7").out_v().id_()) == ["1"]
    assert e.run(g.E("7").in_v().id_()) == ["2"]
    assert e.run(g.E("7").both_v().id_()) == ["1", "2"]
    assert sorted(names(e, g.V("4").both_e().other_v())) == ["lop", "marko", "ripple"]
    assert e.run(g.V("1").out_e().in_v().values("name")) == ["vadas", "josh", "lop"]


def test_v_and_e_lookups(e):
    assert e.run(g.V("1", "2").id_()) == ["1", "2"]
    assert e.run(g.V(["1", "nope", "3"]).id_()) == ["1", "3"]
    assert e.run(g.V(Vertex("4")).id_()) == ["4"]
    assert e.run(g.E("7", "12").id_()) == ["7", "12"]
    assert e.run(g.V("nope")) == []
    # mid-traversal V(): once per incoming traverser
    assert e.run(g.V("1", "2").V("3").id_()) == ["3", "3"]


# --------------------------------------------------------------------------- filters
def test_has_forms(e):
    assert names(e, g.V().has("person", "name", "marko")) == ["marko"]
    assert names(e, g.V().has("age", P.gt(30))) == ["josh", "peter"]
    assert names(e, g.V().has("age", P.between(27, 32))) == ["marko", "vadas"]
    assert names(e, g.V().has("age", P.inside(27, 32))) == ["marko"]
    assert names(e, g.V().has("age", P.outside(28, 33))) == ["vadas", "peter"]
    assert names(e, g.V().has("age", P.within(27, 35))) == ["vadas", "peter"]
    assert names(e, g.V().has("age", P.without([27, 35]))) == ["marko", "josh"]
    assert names(e, g.V().has("age", P.gt(28).and_(P.lt(33)))) == ["marko", "josh"]
    assert names(e, g.V().has("age", P.lt(28).or_(P.gt(33)))) == ["vadas", "peter"]
    assert names(e, g.V().has("age", P.not_(P.gt(28)))) == ["vadas"]
    assert names(e, g.V().has("age")) == ["marko", "vadas", "josh", "peter"]
    assert names(e, g.V().has(T.id, "1")) == ["marko"]
    assert names(e, g.V().has(T.label, "software")) == ["lop", "ripple"]
    assert names(e, g.V().has("name", __.is_(P.neq("marko"))).has("age")) == ["vadas", "josh", "peter"]
    assert e.run(g.E().has("weight", 1.0).id_()) == ["8", "10"]
    assert e.run(g.E().has("weight", 1).id_()) == ["8", "10"]  # 1 == 1.0 in Gremlin


def test_cross_type_comparisons_filter_instead_of_failing(e):
    assert e.run(g.V().has("age", P.lt("z"))) == []
    assert e.run(g.V().has("age", P.not_(P.lt("z")))) == []  # ERROR stays ERROR under not
    assert len(e.run(g.V().has("age", P.neq("z")))) == 4  # equality is never ERROR


def test_text_predicates(e):
    assert names(e, g.V().has("name", TextP.containing("ar"))) == ["marko"]
    assert names(e, g.V().has("name", TextP.starting_with("r"))) == ["ripple"]
    assert names(e, g.V().has("name", TextP.ending_with("o"))) == ["marko"]
    assert names(e, g.V().has("name", TextP.not_containing("o"))) == ["vadas", "peter", "ripple"]
    assert names(e, g.V().has("name", TextP.not_starting_with("m"))) == ["vadas", "josh", "peter", "lop", "ripple"]
    assert names(e, g.V().has("name", TextP.not_ending_with("s"))) == ["marko", "josh", "peter", "lop", "ripple"]
    assert e.run(g.V().has("age", TextP.containing("2"))) == []  # TextP on a number: ERROR -> filtered


def test_has_id_label_not_is(e):
    assert names(e, g.V().has_id("1", "2")) == ["marko", "vadas"]
    assert names(e, g.V().has_id(P.within("3", "5"))) == ["lop", "ripple"]
    assert names(e, g.V().has_label("software")) == ["lop", "ripple"]
    assert len(e.run(g.V().has_label("person", "software"))) == 6
    assert names(e, g.V().has_not("age")) == ["lop", "ripple"]
    assert e.run(g.V().values("age").is_(32)) == [32]
    assert e.run(g.V().values("age").is_(P.lte(29))) == [29, 27]


def test_where_not_and_or(e):
    assert names(e, g.V("1").as_("a").out("created").in_("created").where(P.neq("a"))) == ["josh", "peter"]
    assert names(e, g.V().where(__.out("created"))) == ["marko", "josh", "peter"]
    assert names(e, g.V().where(__.out().count().is_(P.gt(1)))) == ["marko", "josh"]
    assert names(e, g.V().not_(__.has_label("person"))) == ["lop", "ripple"]
    assert names(e, g.V().and_(__.out_e("knows"), __.values("age").is_(P.lt(30)))) == ["marko"]
    assert names(e, g.V().or_(__.out_e("created"), __.in_e("created").count().is_(P.gt(1)))) == [
        "marko", "josh", "peter", "lop",
    ]
    # where('a', P) with by(): people older than marko
    assert names(
        e, g.V("1").as_("a").V().has_label("person").as_("b").where("b", P.gt("a")).by("age").select("b")
    ) == ["josh", "peter"]
    # where(traversal) that starts from a label and must end on one
    assert e.run(
        g.V().as_("a").out("created").as_("b").where(__.as_("b").in_("created").has("name", "peter")).select("a")
        .values("name")
    ) == ["marko", "josh", "peter"]
    assert e.run(g.V("1").as_("a").out("knows").as_("b").where(__.as_("a").out("knows").as_("b")).values("name")) == [
        "vadas", "josh",
    ]


def test_dedup_range_limit_tail(e):
    assert sorted(names(e, g.V().both().dedup())) == ["josh", "lop", "marko", "peter", "ripple", "vadas"]
    assert e.run(g.V().values("lang").dedup()) == ["java"]
    assert e.run(g.V().dedup().by(T.label).label()) == ["person", "software"]
    assert names(e, g.V().has_label("person").order().by("age").range_(1, 3)) == ["marko", "josh"]
    assert names(e, g.V().has_label("person").order().by("age").limit(2)) == ["vadas", "marko"]
    assert names(e, g.V().has_label("person").order().by("age").tail(2)) == ["josh", "peter"]
    assert e.run(g.V().range_(4, -1).count()) == [2]
    assert e.run(g.V().limit(0)) == []
    assert e.run(g.V().as_("a").out().as_("b").dedup("a").select("a").id_()) == ["1", "4", "6"]
    assert e.run(g.V().values("age").fold().dedup(Scope.local)) == [{29, 27, 32, 35}]  # a Set, as TinkerPop


# --------------------------------------------------------------------------- maps and projections
def test_element_map(e):
    assert e.run(g.V("1").element_map()) == [{T.id: "1", T.label: "person", "name": "marko", "age": 29}]
    assert e.run(g.V("1").element_map("name")) == [{T.id: "1", T.label: "person", "name": "marko"}]
    assert e.run(g.E("7").element_map()) == [{
        T.id: "7", T.label: "knows", "weight": 0.5,
        Direction.IN: {T.id: "2", T.label: "person"}, Direction.OUT: {T.id: "1", T.label: "person"},
    }]


def test_value_map(e):
    assert e.run(g.V("1").value_map()) == [{"name": ["marko"], "age": [29]}]
    assert e.run(g.V("1").value_map(True)) == [{T.id: "1", T.label: "person", "name": ["marko"], "age": [29]}]
    assert e.run(g.V("3").value_map("name")) == [{"name": ["lop"]}]
    assert e.run(g.E("7").value_map()) == [{"weight": 0.5}]  # edge values are not lists
    assert e.run(g.V("1").value_map().by(__.unfold())) == [{"name": "marko", "age": 29}]


def test_select_and_as(e):
    assert e.run(g.V("1").as_("a").out("created").as_("b").select("a", "b").by("name")) == [{"a": "marko", "b": "lop"}]
    assert e.run(g.V("1").as_("a").out("knows").select("a").id_()) == ["1", "1"]
    assert e.run(g.V("1").as_("x").out("knows").as_("x").select(Pop.first, "x").id_()) == ["1", "1"]
    assert e.run(g.V("1").as_("x").out("knows").as_("x").select(Pop.last, "x").id_()) == ["2", "4"]
    [pair] = e.run(g.V("1").as_("x").out("knows").limit(1).as_("x").select(Pop.all_, "x"))
    assert [v.id for v in pair] == ["1", "2"]
    assert e.run(g.V("1").as_("a").select("b")) == []  # unknown label: filtered
    assert e.run(g.V("2").as_("a").select("a").by("lang")) == []  # unproductive by(): filtered
    assert e.run(g.V("1").project("a").select("a").by("name")) == ["marko"]  # a key of the current Map
    assert e.run(g.inject({"k": 1}).select("k")) == [1]
    assert e.run(g.V("1").value_map().select(Column.keys)) == [["name", "age"]]
    assert e.run(g.with_side_effect("x", 42).inject(0).select("x")) == [42]


def test_project(e):
    assert e.run(g.V().has_label("person").project("name", "friends").by("name").by(__.out("knows").count())) == [
        {"name": "marko", "friends": 2},
        {"name": "vadas", "friends": 0},
        {"name": "josh", "friends": 0},
        {"name": "peter", "friends": 0},
    ]
    # an unproductive by() leaves the key out (TinkerPop 3.7)
    assert e.run(g.V("3").project("name", "age").by("name").by("age")) == [{"name": "lop"}]
    assert e.run(g.V("1").project("v", "n").by().by(T.label)) == [{"v": Vertex("1"), "n": "person"}]


def test_group_and_group_count(e):
    assert e.run(g.V().group_count().by(T.label)) == [{"person": 4, "software": 2}]
    assert e.run(g.V().group().by(T.label).by("name")) == [
        {"person": ["marko", "vadas", "josh", "peter"], "software": ["lop", "ripple"]}
    ]
    assert e.run(g.V().group().by(T.label).by(__.count())) == [{"person": 4, "software": 2}]
    # a value traversal without a barrier: each member's first result, the last member's wins
    assert e.run(g.V().has_label("person").group().by("age").by(__.values("name"))) == [
        {29: "marko", 27: "vadas", 32: "josh", 35: "peter"}
    ]
    assert e.run(g.V().has_label("person").group().by("age").by(__.values("name").fold())) == [
        {29: ["marko"], 27: ["vadas"], 32: ["josh"], 35: ["peter"]}
    ]
    assert e.run(g.V().values("lang").group_count()) == [{"java": 2}]
    [grouped] = e.run(g.V().has_label("software").group())
    assert grouped == {Vertex("3"): [Vertex("3")], Vertex("5"): [Vertex("5")]}
    assert e.run(g.V().has("nope").group_count()) == [{}]


def test_order(e):
    assert names(e, g.V().has_label("person").order().by("age", Order.desc)) == ["peter", "josh", "marko", "vadas"]
    assert names(e, g.V().order().by("name")) == ["josh", "lop", "marko", "peter", "ripple", "vadas"]
    assert e.run(g.V().values("name").order().by(Order.desc).limit(2)) == ["vadas", "ripple"]
    assert names(e, g.V().order().by(T.label, Order.desc).by("name")) == [
        "lop", "ripple", "josh", "marko", "peter", "vadas",
    ]
    assert names(e, g.V().has_label("person").order().by(__.out_e().count(), Order.desc).by("name")) == [
        "marko", "josh", "peter", "vadas",
    ]
    # unproductive by(): software has no age and is filtered out
    assert names(e, g.V().order().by("age")) == ["vadas", "marko", "josh", "peter"]
    assert e.run(g.V().values("age").fold().order(Scope.local).by(Order.desc)) == [[35, 32, 29, 27]]


def test_order_across_types_is_total():
    e = Engine()
    assert e.run(g.inject("b", 2, True, None, 1.5, "a").order()) == [None, True, 1.5, 2, "a", "b"]


def test_shuffle_is_seeded():
    runs = []
    for _ in range(2):
        e = Engine(seed=3)
        e.load_modern()
        runs.append(e.run(g.V().order().by(Order.shuffle).id_()))
    assert runs[0] == runs[1]
    assert sorted(runs[0]) == ["1", "2", "3", "4", "5", "6"]


def test_properties_key_value_id_label(e):
    assert e.run(g.V("1").properties().key()) == ["name", "age"]
    assert e.run(g.V("1").properties("age").value()) == [29]
    assert e.run(g.E("7").properties().value()) == [0.5]
    assert e.run(g.V("1").properties("name").label()) == ["name"]
    assert e.run(g.V("1").label()) == ["person"]
    assert e.run(g.E("9").label()) == ["created"]
    assert e.run(g.V("1").values("name", "age")) == ["marko", 29]
    [vp_id] = e.run(g.V("1").properties("name").id_())
    assert isinstance(vp_id, int)  # Neptune's vertex property ids are numbers


# --------------------------------------------------------------------------- reducing
def test_count_sum_max_min_mean_fold_unfold(e):
    assert e.run(g.V().values("age").sum_()) == [123]
    assert e.run(g.V().values("age").max_()) == [35]
    assert e.run(g.V().values("age").min_()) == [27]
    assert e.run(g.V().values("age").mean()) == [30.75]
    assert e.run(g.V().values("name").max_()) == ["vadas"]
    assert e.run(g.V().has("nope").values("age").sum_()) == []
    assert e.run(g.V().has("nope").count()) == [0]
    assert e.run(g.V().values("age").fold()) == [[29, 27, 32, 35]]
    assert e.run(g.V().has("nope").fold()) == [[]]
    assert e.run(g.V().values("age").fold().count(Scope.local)) == [4]
    assert e.run(g.V().values("age").fold().sum_(Scope.local)) == [123]
    assert e.run(g.V().values("age").fold().unfold().count()) == [4]
    assert e.run(g.V("1").value_map().unfold()) == [{"name": ["marko"]}, {"age": [29]}]  # Map.Entry


# --------------------------------------------------------------------------- branching
def test_union_coalesce_optional_side_effect_map_local(e):
    assert e.run(g.V("4").union(__.in_().values("age"), __.out().values("lang"))) == [29, "java", "java"]
    assert e.run(g.V("1", "2").coalesce(__.out("knows").values("name"), __.constant("none"))) == [
        "vadas", "josh", "none",
    ]
    assert e.run(g.V("2").optional(__.out()).id_()) == ["2"]
    assert e.run(g.V("1").optional(__.out("knows")).id_()) == ["2", "4"]
    assert e.run(g.V("1").side_effect(__.out()).id_()) == ["1"]
    assert e.run(g.V("1").map(__.out().values("name")))[0] == "vadas"
    assert e.run(g.V("1").flat_map(__.out("knows").values("name"))) == ["vadas", "josh"]
    assert e.run(g.V().has_label("person").local(__.out_e().limit(1)).id_()) == ["7", "10", "12"]
    assert e.run(g.V("1").identity().constant("c")) == ["c"]


def test_coalesce_upsert_idiom():
    e = Engine()
    upsert = g.V("99").fold().coalesce(__.unfold(), __.add_v("person").property(T.id, "99").property("name", "x"))
    [created] = e.run(upsert)
    [again] = e.run(upsert)
    assert created == again == Vertex("99")
    assert e.run(g.V().count()) == [1]


def test_inject_start_and_mid(e):
    assert e.run(g.inject(1, 2, 3)) == [1, 2, 3]
    assert e.run(g.V("1").values("name").inject("daniel")) == ["daniel", "marko"]
    assert e.run(g.inject(Vertex("1")).values("name")) == ["marko"]  # client vertices attach to the graph


def test_none_runs_side_effects_and_returns_nothing():
    e = Engine()
    assert e.run(g.add_v("x").property(T.id, "n").none()) == []
    assert e.run(g.V().id_()) == ["n"]


def test_lazy_like_tinkerpop_limit_stops_upstream_writes():
    e = Engine()
    e.run(g.inject(1, 2, 3).add_v("x").limit(1))
    assert e.run(g.V().count()) == [1]


def test_bindings_are_unwrapped(e):
    assert e.run(g.V(Bindings.of("id", "1")).values("name")) == ["marko"]
    assert e.run(g.V().has("name", Bindings.of("n", "josh")).id_()) == ["4"]
