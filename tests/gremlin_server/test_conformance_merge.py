"""Conformance: ``mergeV``/``mergeE`` against TinkerPop 3.7's reference examples ("MergeVertex Step",
"MergeEdge Step"): create when absent, match when present, ``onCreate``/``onMatch`` (Maps,
traversals, cardinalities), batches of maps, ``Direction.OUT``/``IN`` (``from``/``to``) and the
``Merge.outV``/``Merge.inV`` late binding.

The reference examples run on an empty graph (``[gremlin-groovy]`` blocks with dogs); so do these,
with the documentation's numeric ids as strings (Neptune ids are strings). The modern graph is used
where the point is matching existing data.

gremlinpython cannot send a Map keyed by ``T``/``Direction`` over GraphSON v2 (a client-side
``TypeError``, see ``conformance_support.TOKEN_MAP_SERIALIZERS``), so every test using such maps
runs for GraphBinary and GraphSON v3 only; String-keyed merges run for all three serializers.
"""

from __future__ import annotations

import pytest
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Cardinality, CardinalityValue, Direction, Merge, T

from .conformance_support import TOKEN_MAP_SERIALIZERS, G, Modern, neptune_error, same_items, v

token_maps = pytest.mark.parametrize("serializer", TOKEN_MAP_SERIALIZERS)


@pytest.fixture
def empty(remotes, serializer) -> Modern:
    return Modern(remotes, serializer, load=False)


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer)


def dog(m: Modern, vid: str) -> dict:
    [found] = m.read(lambda g: g.V(vid).value_map(True))
    return found


def sibling_edges(m: Modern) -> list[dict]:
    """``g.E().elementMap()`` without the generated edge ids."""
    maps = m.read(lambda g: g.E().element_map())
    for x in maps:
        assert isinstance(x.pop(m.key(T.id)), str)
    return maps


# --------------------------------------------------------------------------- mergeV
def test_merge_v_get_or_create_with_a_string_keyed_map(empty):
    # "MergeVertex Step": g.mergeV([name: 'Brandy']) creates Brandy as no matching vertex exists ...
    [brandy] = empty.write(lambda g: g.merge_v({"name": "Brandy"}))
    empty.check(lambda g: g.V().has("name", "Brandy"), [brandy])
    # ... and once Brandy exists, returns her: a new one is not created
    assert empty.write(lambda g: g.merge_v({"name": "Brandy"})) == [brandy]
    assert empty.submit(G.merge_v({"name": "Brandy"}).id_()) == [brandy.id]
    empty.check(lambda g: g.V().count(), [1])
    # every key/value pair must match: Brandy has no age, so this creates a second Brandy
    empty.write(lambda g: g.merge_v({"name": "Brandy", "age": 13}))
    empty.check(lambda g: g.V().has("name", "Brandy").count(), [2])


def test_merge_v_empty_map_matches_every_vertex(m):
    # "If mergeV() is given an empty Map ... it will match, and return, every vertex in the graph"
    m.check_items(lambda g: g.merge_v({}).id_(), ["1", "2", "3", "4", "5", "6"])
    m.check(lambda g: g.V().count(), [6])


def test_merge_v_matches_existing_modern_vertices(m):
    m.check(lambda g: g.merge_v({"name": "marko", "age": 29}), [v("1")])
    m.check_items(lambda g: g.merge_v({"lang": "java"}).values("name"), ["lop", "ripple"])  # every match
    m.check(lambda g: g.V().count(), [6])


@token_maps
def test_merge_v_reference_examples(empty):
    # g.mergeV([(T.label):'Dog',name:'Scamp', age:12])
    empty.write(lambda g: g.merge_v({T.label: "Dog", "name": "Scamp", "age": 12}))
    empty.check(lambda g: g.V().has_label("Dog").value_map(), [{"name": ["Scamp"], "age": [12]}])
    # g.mergeV([(T.id):300, (T.label):'Dog', name:'Toby', age:10])
    empty.write(lambda g: g.merge_v({T.id: "300", T.label: "Dog", "name": "Toby", "age": 10}))
    assert dog(empty, "300") == {T.id: "300", T.label: "Dog", "name": ["Toby"], "age": [10]}
    # g.addV('Dog').property('name','Brandy'); g.mergeV([(T.label):'Dog',name:'Brandy',age:13])
    # -- no exact match (Brandy has no age), so a new vertex is created
    empty.write(lambda g: g.add_v("Dog").property("name", "Brandy"))
    empty.write(lambda g: g.merge_v({T.label: "Dog", "name": "Brandy", "age": 13}))
    empty.check_items(lambda g: g.V().has("Dog", "name", "Brandy").value_map(),
                      [{"name": ["Brandy"]}, {"name": ["Brandy"], "age": [13]}])


@token_maps
def test_merge_v_on_create_and_on_match(empty):
    toby = {T.label: "Dog", "name": "Toby", "age": 10}
    # g.mergeV([(T.id):300]).option(Merge.onCreate,[(T.label):'Dog', name:'Toby', age:10])
    # -- the T.id of the search map is inherited by the onCreate action
    [created] = empty.write(lambda g: g.merge_v({T.id: "300"}).option(Merge.on_create, toby))
    assert (created.id, created.label) == ("300", "Dog")
    assert dog(empty, "300") == {T.id: "300", T.label: "Dog", "name": ["Toby"], "age": [10]}
    # .option(Merge.onMatch,[age:11]) -- found: change the age (single(), as the documented result
    # replaces it; a plain value follows Neptune's default `set` cardinality, below)
    empty.write(lambda g: g.merge_v({T.id: "300"}).option(Merge.on_create, toby)
                .option(Merge.on_match, {"age": CardinalityValue.single(11)}))
    assert dog(empty, "300")["age"] == [11]
    # Neptune: a plain onMatch value is added to the set of values (TinkerGraph would replace it)
    empty.write(lambda g: g.merge_v({T.id: "300"}).option(Merge.on_match, {"age": 12}))
    assert dog(empty, "300")["age"] == [11, 12]
    # g.withSideEffect('new-data',[age:11]).mergeV([(T.id):300]).option(Merge.onMatch,select('new-data'))
    empty.write(lambda g: g.with_side_effect("new-data", {"age": CardinalityValue.single(13)})
                .merge_v({T.id: "300"}).option(Merge.on_create, toby).option(Merge.on_match, __.select("new-data")))
    assert dog(empty, "300") == {T.id: "300", T.label: "Dog", "name": ["Toby"], "age": [13]}
    empty.check(lambda g: g.V().count(), [1])


@token_maps
def test_merge_v_on_create_cannot_override_the_search_map(empty):
    # "Overrides of the T.id or T.label in the onCreate Map are prohibited"
    with pytest.raises(GremlinServerError) as err:
        empty.write(lambda g: g.merge_v({T.id: "300"}).option(Merge.on_create, {T.id: "301", "name": "x"}))
    assert neptune_error(err.value)["code"] == "InvalidParameterException"
    empty.check(lambda g: g.V().count(), [0])


@token_maps
def test_merge_v_cardinality(empty):
    # g.mergeV([(T.label):'Dog', name:'Max']).option(onCreate, [alias: set('Maximus')])
    #   .property(set,'alias','Maxamillion')
    [max_] = empty.write(lambda g: g.merge_v({T.label: "Dog", "name": "Max"})
                         .option(Merge.on_create, {"alias": CardinalityValue.set_("Maximus")})
                         .property(Cardinality.set_, "alias", "Maxamillion"))
    empty.check_items(lambda g: g.V(max_.id).values("alias"), ["Maximus", "Maxamillion"])
    # option(onCreate, [alias: 'Maximus', city: 'Boston'], set): one cardinality for the whole Map
    [max2] = empty.write(lambda g: g.merge_v({T.label: "Dog", "name": "Max2"})
                         .option(Merge.on_create, {"alias": "Maximus", "city": "Boston"}, Cardinality.set_))
    assert dog(empty, max2.id) == {T.id: max2.id, T.label: "Dog", "name": ["Max2"], "alias": ["Maximus"],
                                   "city": ["Boston"]}
    # ... [alias: 'Maximus', city: single('Boston')], set: a wrapped value keeps its own cardinality
    [max3] = empty.write(lambda g: g.merge_v({T.label: "Dog", "name": "Max3"})
                         .option(Merge.on_create, {"alias": "Maximus", "city": CardinalityValue.single("Boston")},
                                 Cardinality.set_))
    assert dog(empty, max3.id)["city"] == ["Boston"]
    # and for onMatch: single replaces the set of aliases
    empty.write(lambda g: g.merge_v({T.label: "Dog", "name": "Max"})
                .option(Merge.on_match, {"alias": "Mighty"}, Cardinality.single))
    empty.check(lambda g: g.V(max_.id).values("alias"), ["Mighty"])


@token_maps
def test_merge_v_from_a_stream_of_maps(empty):
    # g.inject(maps).unfold().mergeV() (three of the documentation's nine dogs)
    maps = [{T.label: "Dog", "name": "Toby", "breed": "Golden Retriever"},
            {T.label: "Dog", "name": "Brandy", "breed": "Golden Retriever"},
            {T.label: "Dog", "name": "Scamp", "breed": "King Charles Spaniel"}]
    assert len(empty.write(lambda g: g.inject(maps).unfold().merge_v())) == 3
    empty.check_items(lambda g: g.V().has_label("Dog").value_map(), [
        {"name": ["Toby"], "breed": ["Golden Retriever"]}, {"name": ["Brandy"], "breed": ["Golden Retriever"]},
        {"name": ["Scamp"], "breed": ["King Charles Spaniel"]}])
    empty.write(lambda g: g.inject(maps).unfold().merge_v())  # all three match now
    empty.check(lambda g: g.V().count(), [3])


@token_maps
def test_merge_v_by_id_on_the_modern_graph(m):
    m.check(lambda g: g.merge_v({T.id: "1"}), [v("1")])
    m.check(lambda g: g.merge_v({T.label: "person", "name": "marko"}), [v("1")])
    [created] = m.write(lambda g: g.merge_v({T.label: "software", "name": "marko"}))
    assert created.label == "software" and created.id not in {"1", "2", "3", "4", "5", "6"}
    m.check(lambda g: g.V().count(), [7])


@pytest.mark.parametrize("serializer", ["graphson-v2"])
def test_graphson_v2_client_cannot_send_token_keyed_maps(remotes, serializer):
    g = remotes.g(serializer)
    with pytest.raises(TypeError, match="unhashable"):
        g.merge_v({T.id: "1"}).to_list()
    assert g.V().count().next() == 0  # nothing was sent; the connection still works


# --------------------------------------------------------------------------- mergeE
def _dogs(m: Modern, *dogs: tuple[str, str]) -> None:
    for vid, name in dogs:
        m.write(lambda g, vid=vid, name=name: g.merge_v({T.id: vid, T.label: "Dog", "name": name}))


def _sibling(label: str, out_id: str, in_id: str, **props: str) -> dict:
    return {T.label: label, Direction.IN: {T.id: in_id, T.label: "Dog"},
            Direction.OUT: {T.id: out_id, T.label: "Dog"}, **props}


@token_maps
def test_merge_e_creates_when_absent_and_matches_when_present(empty):
    _dogs(empty, ("1", "Toby"), ("2", "Brandy"))
    # g.mergeE([(T.label):'Sibling',created:'2022-02-07',(Direction.from):1,(Direction.to):2])
    sibling = {T.label: "Sibling", "created": "2022-02-07", Direction.from_: "1", Direction.to: "2"}
    [created] = empty.write(lambda g: g.merge_e(sibling))
    assert sibling_edges(empty) == [_sibling("Sibling", "1", "2", created="2022-02-07")]
    # the same Map again: the edge exists and is returned
    assert empty.write(lambda g: g.merge_e(sibling)) == [created]
    # from/to are Direction.OUT/IN
    same = {T.label: "Sibling", "created": "2022-02-07", Direction.OUT: "1", Direction.IN: "2"}
    assert empty.write(lambda g: g.merge_e(same)) == [created]
    empty.check(lambda g: g.E().count(), [1])


@token_maps
def test_merge_e_on_create_and_on_match(empty):
    _dogs(empty, ("1", "Toby"), ("2", "Brandy"))

    def merge(g):
        return (g.with_side_effect("map", {T.label: "Sibling", Direction.from_: "1", Direction.to: "2"})
                .merge_e(__.select("map"))
                .option(Merge.on_create, {"created": "2022-02-07"})
                .option(Merge.on_match, {"updated": "2022-02-07"}))

    empty.write(merge)  # the edge did not exist: the created date is set
    assert sibling_edges(empty) == [_sibling("Sibling", "1", "2", created="2022-02-07")]
    empty.write(merge)  # the edge did exist: the updated date is set
    assert sibling_edges(empty) == [_sibling("Sibling", "1", "2", created="2022-02-07", updated="2022-02-07")]


@token_maps
def test_merge_e_from_a_stream_of_maps(empty):
    _dogs(empty, ("1", "Toby"), ("2", "Brandy"), ("3", "Dax"))
    maps = [{T.label: "Siblings", Direction.from_: "1", Direction.to: "2"},
            {T.label: "Siblings", Direction.from_: "1", Direction.to: "3"}]
    empty.write(lambda g: g.inject(maps).unfold().merge_e())
    same_items(sibling_edges(empty), [_sibling("Siblings", "1", "2"), _sibling("Siblings", "1", "3")])


@token_maps
def test_merge_e_with_out_v_and_in_v_options(empty):
    # mergeV(...).as('Toby').mergeV(...).as('Brandy').mergeE([... (from):Merge.outV,(to):Merge.inV])
    #   .option(Merge.outV, select('Toby')).option(Merge.inV, select('Brandy'))
    empty.write(lambda g: g.merge_v({T.id: "1", T.label: "Dog", "name": "Toby"}).as_("Toby")
                .merge_v({T.id: "2", T.label: "Dog", "name": "Brandy"}).as_("Brandy")
                .merge_e({T.label: "Sibling", "created": "2022-02-07", Direction.from_: Merge.out_v,
                          Direction.to: Merge.in_v})
                .option(Merge.out_v, __.select("Toby")).option(Merge.in_v, __.select("Brandy")))
    assert sibling_edges(empty) == [_sibling("Sibling", "1", "2", created="2022-02-07")]
    # the options may give Maps, used to search for the vertices
    empty.write(lambda g: g.merge_e({T.label: "Friend", Direction.from_: Merge.out_v, Direction.to: Merge.in_v})
                .option(Merge.out_v, {T.label: "Dog", "name": "Brandy"})
                .option(Merge.in_v, {T.label: "Dog", "name": "Toby"}))
    empty.check(lambda g: g.V("2").out("Friend").values("name"), ["Toby"])


@token_maps
def test_merge_e_on_the_modern_graph(m):
    # match when present: marko-knows->vadas is e[7]
    m.check(lambda g: g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "2"}).id_(), ["7"])
    # only one endpoint given: every match
    m.check_items(lambda g: g.merge_e({T.label: "created", Direction.IN: "3"}).id_(), ["9", "11", "12"])
    # create when absent, with onCreate properties; then match it
    [new] = m.write(lambda g: g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "6"})
                    .option(Merge.on_create, {"weight": 0.3}))
    assert (new.outV.id, new.label, new.inV.id) == ("1", "knows", "6")
    assert m.write(lambda g: g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "6"})) == [new]
    # onMatch on an edge by id: edge properties are single-valued
    m.write(lambda g: g.merge_e({T.id: "7"}).option(Merge.on_match, {"weight": 0.9}))
    m.check(lambda g: g.E("7").values("weight"), [0.9])
    m.check(lambda g: g.E().count(), [7])


# --------------------------------------------------------------------------- TinkerPop's validation
def _refused(run) -> str:
    with pytest.raises(GremlinServerError) as err:
        run()
    body = neptune_error(err.value)
    assert body["code"] == "InvalidParameterException", body
    return str(body["detailedMessage"])


@token_maps
def test_hidden_keys_and_labels_are_refused(m):
    # TinkerPop's MergeVertex.feature: "~id"/"~label" as String keys are hidden (system) keys,
    # refused in the merge Map, in onCreate and in onMatch -- even when nothing matches
    assert "hidden key: ~id" in _refused(lambda: m.write(lambda g: g.merge_v({"~id": "1"})))
    assert "hidden key: ~label" in _refused(lambda: m.write(lambda g: g.merge_v({"name": "nobody"}).option(
        Merge.on_create, {"~label": "vertex"})))
    assert "hidden key: ~id" in _refused(lambda: m.write(lambda g: g.merge_v({"name": "nobody"}).option(
        Merge.on_match, {"~id": "1"})))
    assert "Label can not be a hidden key: ~vertex" in _refused(lambda: m.write(lambda g: g.merge_v(
        {"name": "nobody"}).option(Merge.on_create, {T.label: "~vertex"})))
    assert "hidden key: ~label" in _refused(lambda: m.write(lambda g: g.merge_e(
        {T.label: "knows", Direction.OUT: "1", Direction.IN: "2", "~label": "x"})))
    assert "hidden key: ~id" in _refused(lambda: m.write(lambda g: g.V("1").property("~id", "x")))
    m.check(lambda g: g.V().count(), [6])


@token_maps
def test_on_create_override_message_names_merge(m):
    # TinkerPop's wording (Neptune documents none): "cannot override values from merge() argument"
    msg = _refused(lambda: m.write(lambda g: g.merge_v({T.id: "300"}).option(Merge.on_create, {T.id: "301"})))
    assert "option(onCreate) cannot override values from merge() argument: (id, 301)" in msg
    msg = _refused(lambda: m.write(lambda g: g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "6"})
                                   .option(Merge.on_create, {T.label: "likes"})))
    assert "merge() argument" in msg and "mergeE() argument" not in msg
    # a Vertex and its id are the same endpoint: not an override
    m.write(lambda g: g.merge_e({T.label: "likes", Direction.OUT: "1", Direction.IN: "2"})
            .option(Merge.on_create, {Direction.OUT: v("1"), "w": 1}))
    m.check(lambda g: g.V("1").out("likes").id_(), ["2"])


@token_maps
def test_merge_on_an_incoming_element_with_an_on_match_traversal_is_refused(m):
    # TinkerPop 3.7's guard rail: mid-traversal, an onMatch *traversal* would run on the incoming
    # element; "The incoming traverser for MergeEdgeStep cannot be an Element"
    msg = _refused(lambda: m.write(lambda g: g.V("1").merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "2"})
                                   .option(Merge.on_match, __.side_effect(__.property("weight", 0)).constant({}))))
    assert "The incoming traverser for MergeEdgeStep cannot be an Element" in msg
    msg = _refused(lambda: m.write(lambda g: g.V("1").merge_v({"name": "marko"})
                                   .option(Merge.on_match, __.constant({"age": 30}))))
    assert "The incoming traverser for MergeVertexStep cannot be an Element" in msg
    m.check(lambda g: g.E("7").values("weight"), [0.5])  # nothing was changed
    # a constant onMatch Map is fine mid-traversal, and so is a traversal on a non-element traverser
    m.write(lambda g: g.V("1").merge_v({"name": "marko"}).option(Merge.on_match, {"age": CardinalityValue.single(30)}))
    m.write(lambda g: g.inject(0).merge_v({"name": "vadas"}).option(
        Merge.on_match, __.constant({"age": CardinalityValue.single(28)})))
    m.check(lambda g: g.V("1", "2").values("age"), [30, 28])


@token_maps
def test_merge_e_missing_endpoint_uses_tinkerpops_wording(m):
    with pytest.raises(GremlinServerError) as err:
        m.write(lambda g: g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "nope"}))
    body = neptune_error(err.value)
    # Neptune's retriable code (the vertex may be written by a later request), TinkerPop's words
    assert body["code"] == "ConstraintViolationException"
    assert "Vertex id could not be resolved from mergeE: nope" in body["detailedMessage"]
