"""Conformance: the Neptune error codes the endpoint produces on its own (nothing injected), for every
serializer, through real gremlinpython clients, each in Neptune's shape (status message = JSON with
exactly requestId/code/detailedMessage; status code = the HTTP status of Neptune's error table).

Not repeated here (test_neptune_behaviour.py has them): injected errors, real lock conflicts,
throttling, the DriverRemoteConnection ``with_('evaluationTimeout')`` timeout, a plain ``addV`` on a
reader, eval scripts over GraphBinary. Here: the same codes reached along other paths.
"""

from __future__ import annotations

import pytest
from gremlin_python import statics
from gremlin_python.driver.client import Client
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.strategies import ReadOnlyStrategy
from gremlin_python.process.traversal import Cardinality, Direction, Merge, P, T

from gwlocal.gremlin_server.serializers import SERIALIZERS

from .conformance_support import TOKEN_MAP_SERIALIZERS, G, Modern, neptune_error

token_maps = pytest.mark.parametrize("serializer", TOKEN_MAP_SERIALIZERS)


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer)


def fails(run, code: str) -> str:
    """Run ``run()``; it must fail with Neptune error ``code``. Returns the detailedMessage."""
    with pytest.raises(GremlinServerError) as err:
        run()
    body = neptune_error(err.value)
    assert body["code"] == code, body
    return str(body["detailedMessage"])


# --------------------------------------------------------------------------- ConstraintViolationException
def test_duplicate_ids(m):
    msg = fails(lambda: m.write(lambda g: g.add_v("person").property(T.id, "1")), "ConstraintViolationException")
    assert "'1'" in msg
    fails(lambda: m.submit(G.add_e("knows").from_(__.V("1")).to(__.V("2")).property(T.id, "7")),
          "ConstraintViolationException")
    m.check(lambda g: g.V().count(), [6])
    m.check(lambda g: g.E().count(), [6])


def test_edge_to_a_missing_vertex_names_it(m):
    msg = fails(lambda: m.write(lambda g: g.add_e("knows").from_(__.V("1")).to(__.V("missing"))),
                "ConstraintViolationException")
    assert "'missing'" in msg
    m.check(lambda g: g.E().count(), [6])


@token_maps
def test_merge_e_to_a_missing_vertex_names_it(m):
    msg = fails(lambda: m.write(lambda g: g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: "nope"})),
                "ConstraintViolationException")
    assert "'nope'" in msg
    msg = fails(lambda: m.submit(G.merge_e({T.label: "knows", Direction.OUT: Merge.out_v, Direction.IN: "2"})
                                 .option(Merge.out_v, {"name": "nobody"})), "ConstraintViolationException")
    assert "nobody" in msg
    m.check(lambda g: g.E().count(), [6])


# --------------------------------------------------------------------------- InvalidParameterException
def test_non_string_ids(m):
    msg = fails(lambda: m.write(lambda g: g.add_v("person").property(T.id, 5)), "InvalidParameterException")
    assert "String" in msg
    fails(lambda: m.submit(G.add_e("knows").from_(__.V("1")).to(__.V("2")).property(T.id, 70)),
          "InvalidParameterException")
    m.check(lambda g: g.V().count(), [6])


@token_maps
def test_non_string_id_in_merge_v(m):
    fails(lambda: m.write(lambda g: g.merge_v({T.id: 7})), "InvalidParameterException")
    fails(lambda: m.write(lambda g: g.merge_v({T.id: "x"}).option(Merge.on_create, {T.label: 1})),
          "InvalidParameterException")


def test_none_values_name_the_key(m):
    assert "'nick'" in fails(lambda: m.write(lambda g: g.add_v("person").property("nick", None)),
                             "InvalidParameterException")
    assert "'name'" in fails(lambda: m.submit(G.V("1").property("name", None)), "InvalidParameterException")
    assert "name" in fails(lambda: m.write(lambda g: g.merge_v({"name": None})), "InvalidParameterException")
    m.check(lambda g: g.V("1").values("name"), ["marko"])


def test_where_predicates_name_labels_not_values(m):
    # "A Note on Predicates": where() takes a P<String> naming a variable binding; compare values with is()
    assert "is()" in fails(lambda: m.read(lambda g: g.V().values("age").where(P.gt(30))), "InvalidParameterException")
    m.check(lambda g: g.V().values("age").is_(P.gt(30)).count(), [2])


def test_unknown_traversal_source_alias(ep, serializer):
    # Neptune has one traversal source, "g"
    client = Client(ep.url, "h", message_serializer=SERIALIZERS[serializer](), pool_size=1)
    try:
        with pytest.raises(GremlinServerError) as err:
            client.submit(G.V().count().bytecode).all().result()
    finally:
        client.close()
    assert "'h'" in neptune_error(err.value)["detailedMessage"]
    assert neptune_error(err.value)["code"] == "InvalidParameterException"


# --------------------------------------------------------------------------- MalformedQueryException
def test_unsupported_steps_are_named(m):
    assert "'math'" in fails(lambda: m.read(lambda g: g.V().values("age").math("_ + 1")), "MalformedQueryException")
    assert "'tree'" in fails(lambda: m.submit(G.V().out().tree()), "MalformedQueryException")
    # refused before anything runs: the write in front of the unsupported step did not happen
    fails(lambda: m.write(lambda g: g.add_v("x").property(T.id, "new").out().tree()), "MalformedQueryException")
    m.check(lambda g: g.V("new"), [])


def test_lambdas_are_refused(m):
    # gremlinpython sends a Python lambda returning a script as a Gremlin lambda (Groovy by default)
    msg = fails(lambda: m.read(lambda g: g.V().map(lambda: "it.get()")), "MalformedQueryException")
    assert "'map'" in msg and "lambda" in msg
    # (script, language): the language defaults to gremlin_python.statics.default_lambda_language
    groovy = statics.default_lambda_language
    msg = fails(lambda: m.submit(G.V().filter_(lambda: ("it.get().label() == 'person'", groovy))),
                "MalformedQueryException")
    assert "'filter'" in msg
    python_lambda = G.V().side_effect(lambda: ("lambda t: t", "gremlin-python"))
    assert "'sideEffect'" in fails(lambda: m.submit(python_lambda), "MalformedQueryException")


def test_strategies_other_than_options_are_refused(m):
    assert "ReadOnlyStrategy" in fails(lambda: m.read(lambda g: g.with_strategies(ReadOnlyStrategy()).V()),
                                       "MalformedQueryException")


# --------------------------------------------------------------------------- UnsupportedOperationException
@pytest.mark.parametrize("serializer", ["graphson-v3", "graphson-v2"])  # GraphBinary: test_neptune_behaviour
def test_eval_scripts_are_refused(m):
    with pytest.raises(GremlinServerError) as err:
        m.client.submit("g.V().count()").all().result()
    body = neptune_error(err.value)
    assert body["code"] == "UnsupportedOperationException" and "bytecode" in body["detailedMessage"]


def test_list_cardinality_and_meta_properties_are_refused(m):
    # "Property Step": property(list,'age',35) -- Neptune has single and set cardinality only
    fails(lambda: m.write(lambda g: g.V("1").property(Cardinality.list_, "age", 35)), "UnsupportedOperationException")
    # property('friendWeight', ..., 'acl', 'private') -- Neptune has no meta-properties
    msg = fails(lambda: m.submit(G.V("1").property("friendWeight", 1.5, "acl", "private")),
                "UnsupportedOperationException")
    assert msg == "Properties on a vertex property is not supported"
    m.check(lambda g: g.V("1").value_map(), [{"name": ["marko"], "age": [29]}])


# --------------------------------------------------------------------------- TimeLimitExceededException
def test_evaluation_timeout_through_the_raw_client(ep, m):
    # DriverRemoteConnection + g.with_('evaluationTimeout') is in test_neptune_behaviour; here the
    # raw Client: the option inside the bytecode, and as a request argument.
    ep.control.settings(latency_ms=5_000)
    fails(lambda: m.submit(G.with_("evaluationTimeout", 20).V().count()), "TimeLimitExceededException")
    with pytest.raises(GremlinServerError) as err:
        m.client.submit(G.V().count().bytecode, request_options={"evaluationTimeout": 20}).all().result()
    assert neptune_error(err.value)["code"] == "TimeLimitExceededException"


# --------------------------------------------------------------------------- ReadOnlyViolationException
def test_reader_refuses_every_kind_of_write_and_serves_reads(ep, m):
    ep.control.settings(role="reader")
    writes = [
        G.V("1").property("name", "x"),
        G.V("1").drop(),
        G.V("1").properties("age").drop(),
        G.V("1").side_effect(__.property("seen", True)),  # a write hidden in a child traversal
        G.V("99").fold().coalesce(__.unfold(), __.add_v("person").property(T.id, "99")),
        G.merge_v({"name": "nobody"}),
        G.inject(1).union(__.V("1"), __.add_e("knows").from_(__.V("1")).to(__.V("6"))),
    ]
    for t in writes:
        fails(lambda t=t: m.submit(t), "ReadOnlyViolationException")
    fails(lambda: m.write(lambda g: g.V("2").property("age", 28)), "ReadOnlyViolationException")
    m.check(lambda g: g.V().count(), [6])
    m.check(lambda g: g.V("1").value_map(), [{"name": ["marko"], "age": [29]}])
    m.check(lambda g: g.E().count(), [6])


# --------------------------------------------------------------------------- BadRequestException
def test_oversized_request(ep, m):
    ep.control.settings(max_request_bytes=4_096)
    msg = fails(lambda: m.submit(G.inject("x" * 8_192)), "BadRequestException")
    assert "4096" in msg
    m.check(lambda g: g.inject("x" * 100).count(), [1])


@token_maps
def test_edge_endpoint_ids_that_cannot_exist_are_not_retriable(m):
    # a missing vertex may come later (ConstraintViolationException, retriable); a number never will
    fails(lambda: m.write(lambda g: g.merge_e({T.label: "knows", Direction.OUT: "1", Direction.IN: 2})),
          "InvalidParameterException")
    m.check(lambda g: g.E().count(), [6])
