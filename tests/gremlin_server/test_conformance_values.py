"""Conformance: values survive the round trip client -> endpoint -> client for every serializer
(``inject``/``constant`` echo them back), and results spanning several response pages arrive whole.

What each format can carry is the client's business: gremlinpython's GraphBinary writer needs
``statics.long`` for integers beyond 32 bits, and GraphSON v2 has no Set type (a set arrives as a
list) and no non-String map keys.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid

import pytest
from gremlin_python.statics import long

from .conformance_support import G, Modern
from .conftest import objects


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer, load=False)


SCALARS = ["text", "", "ünïcødé ✓", True, False, 0, -7, 2_147_483_647, long(2**40), long(-(2**40)), 0.5, -1.25,
           1e300, dt.datetime(2023, 8, 2, 12, 30, 15, 123000), uuid.UUID("12345678-1234-5678-1234-567812345678")]


def test_scalars_round_trip(m):
    m.check(lambda g: g.inject(*SCALARS), SCALARS)
    m.check(lambda g: g.inject(None), [None])
    for nan, inf in (m.g.inject(float("nan"), float("inf")).to_list(),
                     m.submit(G.inject(float("nan"), float("inf")))):  # NaN != NaN: checked one by one
        assert math.isnan(nan) and inf == float("inf")


def test_collections_round_trip(m):
    nested = [1, [2, "a", [3.5, None]], {"k": [1, 2], "m": {"x": "y"}}]
    m.check(lambda g: g.inject(nested), [nested])
    m.check(lambda g: g.inject(0).constant({"a": [1, {"b": True}]}), [{"a": [1, {"b": True}]}])
    [echoed] = m.read(lambda g: g.inject({1, 2, 3}))
    assert sorted(echoed) == [1, 2, 3] and isinstance(echoed, list if m.v2 else set)


@pytest.mark.parametrize("serializer", ["graphbinary-v1", "graphson-v3"])  # v2 cannot send non-String keys
def test_numeric_map_keys_round_trip(m):
    m.check(lambda g: g.inject({1: "a", "b": 2, 2.5: [True]}), [{1: "a", "b": 2, 2.5: [True]}])


@pytest.mark.parametrize("batch_size", [1, 7, 64])
def test_results_spanning_pages_arrive_whole(m, batch_size):
    expected = list(range(150))
    results = m.client.submit(G.inject(*expected).bytecode, request_options={"batchSize": batch_size})
    assert objects(results.all().result()) == expected
    m.check(lambda g: g.inject(*expected), expected)
