"""Conformance: filter steps against TinkerPop 3.7's reference examples on the modern graph.

Covers ``has``/``hasLabel``/``hasId``/``hasNot``, ``is``, ``and``/``or`` (step and infix forms),
``not``, ``where`` (traversal, predicate with ``by()`` ring, side-effect operands, with ``select``),
``dedup``, ``range``/``limit``/``tail`` and ``none``, for every serializer, through both clients.
"""

from __future__ import annotations

import pytest
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Bindings, P, T, TextP

from .conformance_support import G, Modern, es, v, vs

PERSONS = vs("1", "2", "4", "6")
MARKO = {T.id: "1", T.label: "person", "name": "marko", "age": 29}
VADAS = {T.id: "2", T.label: "person", "name": "vadas", "age": 27}
JOSH = {T.id: "4", T.label: "person", "name": "josh", "age": 32}
PETER = {T.id: "6", T.label: "person", "name": "peter", "age": 35}
LOP = {T.id: "3", T.label: "software", "name": "lop", "lang": "java"}
RIPPLE = {T.id: "5", T.label: "software", "name": "ripple", "lang": "java"}


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer)


def test_has(m):
    # "Has Step"
    m.check_items(lambda g: g.V().has_label("person"), PERSONS)
    m.check_items(lambda g: g.V().has_label("person", "name", "marko"), PERSONS)  # labels, not a key
    m.check_items(lambda g: g.V().has_label("person").out().has("name", P.within("vadas", "josh")), vs("2", "4"))
    m.check_items(lambda g: g.V().has_label("person").out().has("name", P.within("vadas", "josh"))
                  .out_e().has_label("created"), es("10", "11"))
    m.check_items(lambda g: g.V().has("age", P.inside(20, 30)).values("age"), [29, 27])
    m.check_items(lambda g: g.V().has("age", P.outside(20, 30)).values("age"), [32, 35])
    m.check_items(lambda g: g.V().has("name", P.within("josh", "marko")).element_map(), [MARKO, JOSH])
    m.check_items(lambda g: g.V().has("name", P.without("josh", "marko")).element_map(),
                  [VADAS, LOP, RIPPLE, PETER])
    m.check_items(lambda g: g.V().has("name", P.not_(P.within("josh", "marko"))).element_map(),
                  [VADAS, LOP, RIPPLE, PETER])
    m.check_items(lambda g: g.V().has_not("age").values("name"), ["lop", "ripple"])
    m.check(lambda g: g.V().has("person", "name", TextP.starting_with("m")), [v("1")])
    m.check(lambda g: g.V().has(None, "vadas"), [])  # property keys are Strings: no result
    m.check_items(lambda g: g.V().has(T.label, __.is_("person")), PERSONS)  # the deprecated traversal form
    # has(key): the element has a value for the key; hasId(ids...)
    m.check_items(lambda g: g.V().has("lang").values("name"), ["lop", "ripple"])
    m.check_items(lambda g: g.V().has_id("2", "4"), vs("2", "4"))
    m.check(lambda g: g.V().has_id(P.within("6")), [v("6")])
    # gremlinpython Bindings (parameters) anywhere in the arguments, predicates included
    m.check(lambda g: g.V(Bindings.of("id", "1")).values("name"), ["marko"])
    m.check_items(lambda g: g.V().has("age", P.between(Bindings.of("low", 27), 30)).values("age"), [29, 27])


def test_is(m):
    # "Is Step"
    m.check(lambda g: g.V().values("age").is_(32), [32])
    m.check_items(lambda g: g.V().values("age").is_(P.lte(30)), [29, 27])
    m.check_items(lambda g: g.V().values("age").is_(P.inside(30, 40)), [32, 35])
    m.check(lambda g: g.V().where(__.in_("created").count().is_(1)).values("name"), ["ripple"])
    m.check(lambda g: g.V().where(__.in_("created").count().is_(P.gte(2))).values("name"), ["lop"])
    m.check_items(lambda g: g.V().where(__.in_("created").values("age").mean().is_(P.inside(30.0, 35.0)))
                  .values("name"), ["lop", "ripple"])


def test_and_or(m):
    # "And Step"
    m.check(lambda g: g.V().and_(__.out_e("knows"), __.values("age").is_(P.lt(30))).values("name"), ["marko"])
    m.check(lambda g: g.V().where(__.out_e("created").and_().out_e("knows")).values("name"), ["marko"])  # infix
    # "Or Step"
    m.check_items(lambda g: g.V().or_(__.out_e("created"), __.in_e("created").count().is_(P.gt(1)))
                  .values("name"), ["marko", "lop", "josh", "peter"])
    m.check_items(lambda g: g.V().where(__.out_e("created").or_().out_e("knows")).values("name"),
                  ["marko", "josh", "peter"])  # infix
    # ConnectiveStrategy: and() binds tighter than or(); the marker takes everything after it
    m.check_items(lambda g: g.V().where(__.has_label("person").and_().has("age", P.gt(30))
                                        .or_().has("name", "lop")).values("name"), ["josh", "peter", "lop"])


def test_predicates(m):
    # "A Note on Predicates": the P and TextP table on the modern graph's names and ages
    m.check_items(lambda g: g.V().has("age", P.between(29, 32)).values("age"), [29])  # low <= x < high
    m.check_items(lambda g: g.V().has("age", P.gte(32).and_(P.lt(35))).values("age"), [32])
    m.check_items(lambda g: g.V().has("age", P.inside(26, 28).or_(P.eq(35))).values("name"), ["vadas", "peter"])
    m.check(lambda g: g.V().values("age").is_(P.not_(P.neq(29))), [29])  # not(neq(x)) is eq(x)
    m.check_items(lambda g: g.V().values("age").is_(P.within(27, 29, 32).and_(P.not_(P.eq(29)))), [27, 32])
    m.check_items(lambda g: g.V().values("age").is_(P.neq(29)), [27, 32, 35])
    m.check_items(lambda g: g.V().has("name", TextP.containing("a")).values("name"), ["marko", "vadas"])
    m.check(lambda g: g.V().has("name", TextP.ending_with("s")).values("name"), ["vadas"])
    m.check_items(lambda g: g.V().has("name", TextP.not_containing("o")).values("name"), ["vadas", "ripple", "peter"])
    m.check_items(lambda g: g.V().has("name", TextP.not_starting_with("p")).values("name"),
                  ["marko", "vadas", "lop", "josh", "ripple"])
    m.check_items(lambda g: g.V().has("name", TextP.not_ending_with("o")).values("name"),
                  ["vadas", "lop", "josh", "ripple", "peter"])
    # where() takes a P<String> whose value is a variable binding, not the string itself
    m.check(lambda g: g.V().as_("a").both().both().as_("b").count(), [30])
    m.check(lambda g: g.V().as_("a").both().both().as_("b").where("a", P.neq("b")).count(), [18])


def test_not(m):
    # "Not Step"
    m.check_items(lambda g: g.V().not_(__.has_label("person")).element_map(), [LOP, RIPPLE])
    # josh created two projects and vadas none
    m.check_items(lambda g: g.V().has_label("person").not_(__.out("created").count().is_(P.gt(1))).values("name"),
                  ["marko", "vadas", "peter"])


def test_where(m):
    # "Where Step"
    m.check_items(lambda g: g.V("1").as_("a").out("created").in_("created").where(P.neq("a")), vs("4", "6"))
    m.check_items(lambda g: g.with_side_effect("a", ["josh", "peter"]).V("1").out("created").in_("created")
                  .values("name").where(P.within("a")), ["josh", "peter"])
    m.check(lambda g: g.V("1").out("created").in_("created").where(__.out("created").count().is_(P.gt(1)))
            .values("name"), ["josh"])
    m.check_items(lambda g: g.V().where(__.out("created")).values("name"), ["marko", "josh", "peter"])
    m.check(lambda g: g.V().out("knows").where(__.out("created")).values("name"), ["josh"])
    m.check(lambda g: g.V().where(__.out("created").count().is_(P.gte(2))).values("name"), ["josh"])
    m.check(lambda g: g.V().where(__.out("knows").where(__.out("created"))).values("name"), ["marko"])
    m.check(lambda g: g.V().where(__.not_(__.out("created"))).where(__.in_("knows")).values("name"), ["vadas"])
    m.check(lambda g: g.V().where(__.not_(__.out("created")).and_().in_("knows")).values("name"), ["vadas"])
    # marko knows josh and vadas but is only older than vadas
    m.check(lambda g: g.V().as_("a").out("knows").as_("b").where("a", P.gt("b")).by("age")
            .select("a", "b").by("name"), [{"a": "marko", "b": "vadas"}])
    # marko is younger than josh, but josh knows someone equal in age to marko: three by()s, a ring
    m.check_items(lambda g: g.V().as_("a").out("knows").as_("b")
                  .where("a", P.gt("b").or_(P.eq("b"))).by("age").by("age").by(__.in_("knows").values("age"))
                  .select("a", "b").by("name"),
                  [{"a": "marko", "b": "vadas"}, {"a": "marko", "b": "josh"}])
    # the age of lop and ripple is not productive: those traversers are filtered
    m.check_items(lambda g: g.V().as_("a").both().both().as_("b").where("a", P.eq("b")).by("age"),
                  vs("1", "1", "1", "2", "4", "4", "4", "6"))


def test_where_with_select(m):
    # "Using Where with Select"
    pairs = [("marko", "marko"), ("marko", "josh"), ("marko", "peter"), ("josh", "josh"), ("josh", "marko"),
             ("josh", "josh"), ("josh", "peter"), ("peter", "marko"), ("peter", "josh"), ("peter", "peter")]
    m.check_items(lambda g: g.V().as_("a").out("created").in_("created").as_("b").select("a", "b").by("name"),
                  [{"a": a, "b": b} for a, b in pairs])
    m.check_items(lambda g: g.V().as_("a").out("created").in_("created").as_("b")
                  .select("a", "b").by("name").where("a", P.neq("b")),
                  [{"a": a, "b": b} for a, b in pairs if a != b])
    m.check(lambda g: g.V().as_("a").out("created").in_("created").as_("b").select("a", "b")
            .where("a", P.neq("b")).where(__.as_("a").out("knows").as_("b")).select("a", "b").by("name"),
            [{"a": "marko", "b": "josh"}])


def test_dedup(m):
    # "Dedup Step"
    m.check(lambda g: g.V().values("lang"), ["java", "java"])
    m.check(lambda g: g.V().values("lang").dedup(), ["java"])
    # Property instances compare on key and value (a VertexProperty also on its element)
    weights = m.read(lambda g: g.V().both_e().properties().dedup())
    assert sorted((p.key, p.value) for p in weights) == [("weight", 0.2), ("weight", 0.4), ("weight", 0.5),
                                                         ("weight", 1.0)]
    m.check(lambda g: g.V().properties("lang").dedup().count(), [2])
    m.check_items(lambda g: g.V().dedup().by(T.label).values("name"), ["marko", "lop"])
    # dedup('a','b'): unique (a, b) combinations of the path history
    m.check_items(lambda g: g.V().as_("a").out("created").as_("b").in_("created").as_("c")
                  .dedup("a", "b").select("a", "b", "c"),
                  [{"a": v("1"), "b": v("3"), "c": v("1")}, {"a": v("4"), "b": v("5"), "c": v("4")},
                   {"a": v("4"), "b": v("3"), "c": v("1")}, {"a": v("6"), "b": v("3"), "c": v("1")}])
    # dedup('a','b').by('age'): software has no age and is filtered. The documentation also selects
    # 'c', which is the first of b's neighbours -- adjacency order, which Gremlin leaves open.
    m.check_items(lambda g: g.V().as_("a").both().as_("b").both().as_("c").dedup("a", "b").by("age")
                  .select("a", "b").by("name"),
                  [{"a": "marko", "b": "vadas"}, {"a": "marko", "b": "josh"}, {"a": "vadas", "b": "marko"},
                   {"a": "josh", "b": "marko"}])


def test_range_limit_tail(m):
    # "Range Step" / "Limit Step": g.V() has no defined order, so each is checked against g.V() itself
    everything = m.read(lambda g: g.V())
    assert len(everything) == 6
    m.check(lambda g: g.V().range_(0, 3), everything[0:3])
    m.check(lambda g: g.V().range_(1, 3), everything[1:3])
    m.check(lambda g: g.V().range_(1, -1), everything[1:])
    m.check(lambda g: g.V().limit(2), everything[0:2])
    m.check(lambda g: g.V().range_(0, 2), everything[0:2])
    # "Skip Step": g.V().values('age').order().range(2, -1)
    m.check(lambda g: g.V().values("age").order(), [27, 29, 32, 35])
    m.check(lambda g: g.V().values("age").order().range_(2, -1), [32, 35])
    # "Tail Step"
    m.check(lambda g: g.V().values("name").order().tail(), ["vadas"])
    m.check(lambda g: g.V().values("name").order().tail(1), ["vadas"])
    m.check(lambda g: g.V().values("name").order().tail(3), ["peter", "ripple", "vadas"])


def test_none(m):
    # "None Step": filters everything; iterate() appends it, so a write returns nothing to the client
    assert m.submit(G.V().none()) == []
    assert m.submit(G.V("1").property("seen", True).none()) == []
    m.g.V("2").property("seen", True).iterate()
    m.check_items(lambda g: g.V().has("seen", True).id_(), ["1", "2"])
