"""Conformance: the building blocks of order-safe (versioned) writes, in ONE request.

SQS delivers out of order, so a write must apply only if it is newer than what the graph holds: a
conditional upsert, evaluated inside the request (one transaction), many of them batched as
``g.inject(0).union(...)``. Each test below runs such requests through real gremlinpython clients for
every serializer the endpoint speaks, and checks TinkerPop 3.7's semantics of the steps involved when
they are nested in ``union``/``coalesce``/``sideEffect``/``choose``: mid-traversal ``V(id)``/``E(id)``,
predicates on every value type, ``choose``, ``project().by()``, cardinalities, ``mergeV``/``mergeE``
options, drops -- and that a failure anywhere in the request leaves the graph as it was.

GraphSON v2 cannot *send* Maps keyed by ``T``/``Direction`` (a gremlinpython limit, see
``conformance_support.TOKEN_MAP_SERIALIZERS``): the ``mergeV``/``mergeE`` forms run for the other two
serializers; everything else runs for all three.
"""

from __future__ import annotations

import datetime as dt

import pytest
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Cardinality, CardinalityValue, Direction, Merge, P, T
from gremlin_python.statics import long

from .conformance_support import TOKEN_MAP_SERIALIZERS, Modern, neptune_error, same_items

token_maps = pytest.mark.parametrize("serializer", TOKEN_MAP_SERIALIZERS)

T0 = dt.datetime(2024, 5, 1, 12, 0, 0)


@pytest.fixture
def m(remotes, serializer) -> Modern:
    """An empty graph with two accounts and a transfer edge, written in one request."""
    empty = Modern(remotes, serializer, load=False)
    empty.write(lambda g: g.inject(0).union(
        __.add_v("Account").property(T.id, "a").property("version", 3).property("balance", 10.5)
        .property("big", long(2**40)).property("name", "ada").property("updated", T0),
        __.add_v("Account").property(T.id, "b").property("version", 1).property("name", "bob")
        .property("updated", T0 + dt.timedelta(days=1)),
    ).iterate())
    empty.write(lambda g: g.V("a").add_e("pays").to(__.V("b")).property(T.id, "e1").property("version", 2).iterate())
    return empty


def fails(run) -> dict:
    with pytest.raises(GremlinServerError) as err:
        run()
    return neptune_error(err.value)


def versioned_vertex(vid: str, version: int, **props) -> object:
    """Upsert ``vid`` if absent or older than ``version``; leave it alone if newer (the pre-mergeV
    idiom: works with every serializer)."""
    update = __.property(Cardinality.single, "version", version)
    create = __.add_v("Account").property(T.id, vid).property("version", version)
    for key, value in props.items():
        update = update.property(Cardinality.single, key, value)
        create = create.property(key, value)
    return (__.V(vid).fold().coalesce(
        __.unfold().choose(__.values("version").is_(P.lt(version)), update, __.identity()),
        create).id_())


# --------------------------------------------------------------------------- mid-traversal V()/E()
def test_mid_traversal_v_and_e(m):
    m.check(lambda g: g.inject(0).union(__.V("a"), __.E("e1")).id_(), ["a", "e1"])
    m.check(lambda g: g.inject(0).union(__.V("a", "b", "missing").id_().fold(), __.E("e1", "nope").count()),
            [["a", "b"], 1])
    # V() inside coalesce: found, or the fallback
    m.check(lambda g: g.inject(0).coalesce(__.V("missing"), __.V("b")).values("name"), ["bob"])
    m.check(lambda g: g.inject(0).coalesce(__.V("a"), __.constant("none")).label(), ["Account"])
    m.check(lambda g: g.inject(0).coalesce(__.E("nope"), __.constant("none")), ["none"])


def test_a_batch_of_conditional_upserts_converges_whatever_the_order(m):
    # newer (a v4), older (b v0: ignored), new (c v1), equal (a v4 again: ignored)
    batch = [versioned_vertex("a", 4, balance=11.0), versioned_vertex("b", 0, name="stale"),
             versioned_vertex("c", 1, name="cy"), versioned_vertex("a", 4, balance=99.0)]
    assert m.write(lambda g: g.inject(0).union(*batch)) == ["a", "b", "c", "a"]  # one id per upsert
    m.check(lambda g: g.V("a").values("version", "balance"), [4, 11.0])
    m.check(lambda g: g.V("b").values("name"), ["bob"])
    m.check_items(lambda g: g.V("c").values("name", "version"), ["cy", 1])
    # redelivering the same batch changes nothing
    m.write(lambda g: g.inject(0).union(*batch))
    m.check(lambda g: g.V().count(), [3])
    m.check(lambda g: g.V("a").properties("balance").count(), [1])


# --------------------------------------------------------------------------- predicates
def test_has_predicates_on_every_value_type(m):
    cases = [
        ("version", P.lt(3), ["b"]), ("version", P.lte(3), ["a", "b"]), ("version", P.gt(1), ["a"]),
        ("version", P.gte(1), ["a", "b"]), ("version", P.eq(3), ["a"]), ("version", P.neq(3), ["b"]),
        ("version", P.within(1, 7), ["b"]),
        ("version", P.eq(3.0), ["a"]),  # numbers compare by value across int and float
        ("big", P.gt(long(2**39)), ["a"]), ("big", P.eq(long(2**40)), ["a"]),  # Long
        ("balance", P.lt(11.0), ["a"]), ("balance", P.gte(10.5), ["a"]), ("balance", P.within(10.5), ["a"]),
        ("name", P.lt("b"), ["a"]), ("name", P.gte("bob"), ["b"]), ("name", P.within("ada", "zed"), ["a"]),
        ("name", P.neq("ada"), ["b"]),
        ("updated", P.lt(T0 + dt.timedelta(hours=1)), ["a"]), ("updated", P.gt(T0), ["b"]),
        ("updated", P.eq(T0), ["a"]), ("updated", P.within(T0, T0 + dt.timedelta(days=1)), ["a", "b"]),
        ("name", P.lt(5), []),  # a String against a number: neither true nor false, filtered
    ]
    for key, predicate, expected in cases:
        m.check_items(lambda g, key=key, predicate=predicate: g.V().has(key, predicate).id_(), expected)


def test_has_not_and_connectives(m):
    m.check(lambda g: g.V().has_not("big").id_(), ["b"])
    m.check(lambda g: g.V().or_(__.has("version", P.gt(2)), __.has("name", "bob")).count(), [2])
    m.check(lambda g: g.V().and_(__.has("version", P.gt(2)), __.has("name", "bob")).count(), [0])
    m.check(lambda g: g.V().not_(__.has("version", P.gt(2))).id_(), ["b"])
    # not() of a comparison across types is not true: the traverser is filtered (ternary logic)
    m.check(lambda g: g.V().not_(__.has("name", P.lt(5))).count(), [0])
    m.check(lambda g: g.V("a").where(__.out("pays").has("version", P.lt(3))).id_(), ["a"])
    m.check(lambda g: g.V().values("version").is_(P.gt(2)).count(), [1])


# --------------------------------------------------------------------------- choose, project, coalesce
def test_choose_in_a_write(m):
    # choose(predicate traversal, true, false): write only when the stored version is older
    m.write(lambda g: g.inject(0).union(
        __.V("a").choose(__.values("version").is_(P.lt(5)), __.property(Cardinality.single, "version", 5),
                         __.constant("kept")),
        __.V("b").choose(__.values("version").is_(P.lt(0)), __.property(Cardinality.single, "version", 0),
                         __.constant("kept"))))
    m.check(lambda g: g.V("a", "b").values("version"), [5, 1])
    # choose(traversal).option(...): route by the computed value
    m.check_items(lambda g: g.V().choose(__.values("name")).option("ada", __.constant("A"))
                  .option("bob", __.constant("B")), ["A", "B"])
    m.write(lambda g: g.V("b").choose(__.label()).option("Account", __.property("tier", "gold")))
    m.check(lambda g: g.V("b").values("tier"), ["gold"])


def test_project_by_forms(m):
    m.check(lambda g: g.V("a").project("id", "name", "kind", "nick").by(T.id).by(__.values("name"))
            .by(__.constant("x")).by(__.coalesce(__.values("nick"), __.constant("-"))),
            [{"id": "a", "name": "ada", "kind": "x", "nick": "-"}])
    # one request answering "what did each upsert find": a batch of projections
    m.check(lambda g: g.inject(0).union(
        __.V("a").project("id", "version").by(T.id).by("version"),
        __.V("zz").fold().coalesce(__.unfold().project("id").by(T.id), __.constant({"id": "zz", "missing": True}))),
        [{"id": "a", "version": 3}, {"id": "zz", "missing": True}])


def test_side_effect_writes_and_drops(m):
    # sideEffect() runs its writes and passes the traverser on untouched
    m.check(lambda g: g.V("a").side_effect(__.property(Cardinality.single, "seen", True)).id_(), ["a"])
    m.check(lambda g: g.V("a").values("seen"), [True])
    # a versioned delete: drop only if older, inside sideEffect, in a batch
    m.write(lambda g: g.inject(0).union(
        __.side_effect(__.V("b").has("version", P.lt(2)).drop()),
        __.side_effect(__.V("a").has("version", P.lt(2)).drop()),
        __.constant(1)))
    m.check(lambda g: g.V().id_(), ["a"])
    m.check(lambda g: g.E().count(), [0])  # the edge went with b
    m.write(lambda g: g.V("a").side_effect(__.properties("seen").drop()))
    m.check(lambda g: g.V("a").values("seen"), [])


def test_cardinalities_on_vertices_and_edge_properties(m):
    # Neptune's default vertex cardinality is set: distinct values, all returned by values()
    m.write(lambda g: g.V("a").property("tag", "x").property("tag", "y").property(Cardinality.set_, "tag", "x"))
    m.check_items(lambda g: g.V("a").values("tag"), ["x", "y"])
    m.check(lambda g: g.V("a").properties("tag").count(), [2])
    m.write(lambda g: g.V("a").property(Cardinality.single, "tag", "z"))
    m.check(lambda g: g.V("a").values("tag"), ["z"])
    # list cardinality is not Neptune's: refused with Neptune's code, nothing written
    body = fails(lambda: m.write(lambda g: g.V("a").property(Cardinality.single, "x", 1)
                                 .property(Cardinality.list_, "tag", "w")))
    assert body["code"] == "UnsupportedOperationException" and "list cardinality" in body["detailedMessage"]
    m.check(lambda g: g.V("a").values("x"), [])
    # edge properties are single-valued: property(k, v) replaces
    m.write(lambda g: g.E("e1").property("version", 3).property("note", "n"))
    m.check(lambda g: g.E("e1").values("version", "note"), [3, "n"])
    m.write(lambda g: g.E("e1").properties("note").drop())
    m.check(lambda g: g.E("e1").values("note"), [])


def test_values_fold_unfold_count_id_label(m):
    m.check(lambda g: g.V().values("name").fold(), [["ada", "bob"]])
    m.check(lambda g: g.V().values("name").fold().unfold().count(), [2])
    m.check(lambda g: g.E("e1").label(), ["pays"])
    m.check(lambda g: g.V("a").out_e().id_(), ["e1"])
    m.check(lambda g: g.V("a").out("pays").where(__.values("version").is_(1)).values("name"), ["bob"])


def test_drop_a_vertex_takes_its_edges(m):
    m.write(lambda g: g.V("b").drop())
    m.check(lambda g: g.V().id_(), ["a"])
    m.check(lambda g: g.E().count(), [0])
    m.check(lambda g: g.V("a").out_e().count(), [0])


# --------------------------------------------------------------------------- mergeV / mergeE
@token_maps
def test_versioned_merge_v_and_merge_e_in_one_request(m):
    def vertex(vid: str, version: int, balance: float) -> object:
        return (__.merge_v({T.id: vid}).option(Merge.on_create, {T.label: "Account", "version": version,
                                                                  "balance": balance})
                .choose(__.values("version").is_(P.lt(version)),
                        __.property(Cardinality.single, "version", version)
                        .property(Cardinality.single, "balance", balance),
                        __.identity()).id_())

    def edge(eid: str, out_id: str, in_id: str, version: int) -> object:
        return (__.merge_e({T.id: eid, T.label: "pays", Direction.OUT: out_id, Direction.IN: in_id})
                .option(Merge.on_create, {"version": version})
                .choose(__.values("version").is_(P.lt(version)), __.property("version", version), __.identity())
                .id_())

    assert m.write(lambda g: g.inject(0).union(vertex("a", 2, 0.0), vertex("c", 1, 5.0), edge("e1", "a", "b", 7),
                                               edge("e2", "c", "a", 1))) == ["a", "c", "e1", "e2"]
    m.check(lambda g: g.V("a").values("version", "balance"), [3, 10.5])  # older: untouched
    m.check(lambda g: g.V("c").values("version", "balance"), [1, 5.0])  # new
    m.check(lambda g: g.E("e1").values("version"), [7])  # newer: updated
    m.check(lambda g: g.E("e2").out_v().id_(), ["c"])


@token_maps
def test_merge_on_match_cardinality_values(m):
    m.write(lambda g: g.inject(0).union(
        __.merge_v({T.id: "a"}).option(Merge.on_match, {"version": CardinalityValue.single(9),
                                                         "tag": CardinalityValue.set_("t1")}),
        __.merge_v({T.id: "a"}).option(Merge.on_match, {"tag": CardinalityValue.set_("t2")}),
        __.merge_v({T.id: "a"}).option(Merge.on_match, {"tag": CardinalityValue.set_("t1")})))
    m.check(lambda g: g.V("a").values("version"), [9])
    m.check_items(lambda g: g.V("a").values("tag"), ["t1", "t2"])
    # a plain onMatch value follows Neptune's default (set): it is added, not replaced
    m.write(lambda g: g.merge_v({T.id: "b"}).option(Merge.on_match, {"version": 2}))
    m.check_items(lambda g: g.V("b").values("version"), [1, 2])
    # mergeE: onMatch sets edge properties (single-valued)
    m.write(lambda g: g.merge_e({T.id: "e1"}).option(Merge.on_match, {"version": 4}))
    m.check(lambda g: g.E("e1").values("version"), [4])


@token_maps
def test_on_match_traversal_mid_traversal_sees_the_incoming_traverser(m):
    # TinkerPop 3.7: in union(mergeV(...)) (not a start step) an onMatch *traversal* runs on the
    # incoming traverser (here 0), not on the matched vertex; only g.mergeV(...) hands it the vertex
    m.write(lambda g: g.inject(0).union(__.merge_v({T.id: "a"}).option(
        Merge.on_match, __.project("seen").by(__.constant(CardinalityValue.single("zero"))))))
    m.write(lambda g: g.merge_v({T.id: "b"}).option(
        Merge.on_match, __.project("copy").by(__.values("name"))))
    m.check(lambda g: g.V("b").values("copy"), ["bob"])


# --------------------------------------------------------------------------- all or nothing
def test_a_failure_anywhere_undoes_the_whole_request(m):
    before = m.read(lambda g: g.V().value_map(True))
    edges_before = m.read(lambda g: g.E().element_map())
    failing = [
        # the last branch adds an edge to a vertex that does not exist
        lambda g: g.inject(0).union(
            versioned_vertex("a", 8, balance=1.0), __.V("b").drop(), __.V("a").add_e("pays").to(__.V("ghost"))),
        # the failure is inside coalesce, after writes in the same branch
        lambda g: g.inject(0).coalesce(
            __.V("a").property(Cardinality.single, "version", 9).add_v("Account").property(T.id, "a"),
            __.constant(1)),
        # ... inside sideEffect, after a drop
        lambda g: g.V("a").side_effect(__.properties("name").drop()).side_effect(
            __.property("bad", None)),
        # ... inside choose
        lambda g: g.V("b").choose(__.values("version").is_(1), __.property(Cardinality.single, "version", 2)
                                  .property(Cardinality.list_, "x", 1), __.identity()),
    ]
    codes = [fails(lambda build=build: m.write(build))["code"] for build in failing]
    assert codes == ["ConstraintViolationException", "ConstraintViolationException", "InvalidParameterException",
                     "UnsupportedOperationException"]
    same_items(m.read(lambda g: g.V().value_map(True)), before)
    same_items(m.read(lambda g: g.E().element_map()), edges_before)


def test_refusals_are_malformed_queries(m):
    for build in (lambda g: g.V("a").values("version").math("_ + 1"),
                  lambda g: g.inject(0).union(__.V("a").property(Cardinality.single, "version", 7), __.V().tree()),
                  lambda g: g.V("a").map(lambda: "it.get()")):
        assert fails(lambda build=build: m.write(build))["code"] == "MalformedQueryException"
    m.check(lambda g: g.V("a").values("version"), [3])  # refused before anything ran


@token_maps
def test_the_batch_shape_graphworker_sends(m):
    # inject(0).union(mergeV(...).id(), mergeE(...).id() ...): one id per upsert, in order, the
    # onMatch CardinalityValue.single() replacing, the edges written after their vertices
    def vertex(vid: str, n: int) -> object:
        return (__.merge_v({T.id: vid}).option(Merge.on_create, {T.label: "Item", "n": n})
                .option(Merge.on_match, {"n": CardinalityValue.single(n)}).id_())

    def edge(eid: str, out_id: str, in_id: str, w: int) -> object:
        return (__.merge_e({T.id: eid, T.label: "rel", Direction.OUT: out_id, Direction.IN: in_id})
                .option(Merge.on_create, {"w": w}).option(Merge.on_match, {"w": w}).id_())

    batch = [vertex(f"x{i}", i) for i in range(50)] + [edge(f"r{i}", f"x{i}", f"x{i // 2}", i) for i in range(50)]
    expected = [f"x{i}" for i in range(50)] + [f"r{i}" for i in range(50)]
    assert m.write(lambda g: g.inject(0).union(*batch)) == expected
    again = [vertex(f"x{i}", i + 100) for i in range(50)] + [edge(f"r{i}", f"x{i}", f"x{i // 2}", -i)
                                                            for i in range(50)]
    assert m.write(lambda g: g.inject(0).union(*again)) == expected
    m.check(lambda g: g.V("x7").values("n"), [107])
    m.check(lambda g: g.E("r7").values("w"), [-7])
    m.check(lambda g: g.V().has_label("Item").count(), [50])
    m.check(lambda g: g.E().has_label("rel").count(), [50])
