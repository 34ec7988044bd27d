"""Shared pieces of the conformance suite (``test_conformance_*.py``).

The suite checks the local endpoint against the examples of TinkerPop's reference documentation
("The Traversal" chapter, 3.7), run on the "modern" toy graph through real gremlinpython clients:
every read goes through ``DriverRemoteConnection`` *and* through a raw ``Client`` submitting the
same bytecode, and the two must agree.

Ids are strings ('1'..'12') because Neptune ids are; the documentation's ``v[1]`` is ``Vertex('1')``.
Where Gremlin leaves the order of results open (``g.V()`` iterates in storage order, TinkerGraph's
differs from ours), results are compared as multisets (:func:`same_items`).

GraphSON v2: Gremlin Server writes a v2 map as a plain JSON object, so every map key reaches the
client as a String. ``T.id``/``T.label`` arrive as ``"id"``/``"label"``, ``Direction.OUT``/``IN``
as ``"OUT"``/``"IN"``, the number ``29`` as ``"29"`` and a vertex key as its id. GraphBinary and
GraphSON v3 keep typed keys. Expected values are written once, with the typed keys TinkerPop
documents; :meth:`Modern.expect` rewrites them into the v2 shape for the v2 run only, so the other
two serializers are still held to the typed form.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from aenum import Enum
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import Direction, T
from gremlin_python.structure.graph import Edge, Element, Graph, Vertex

from framework.neptune_codes import NEPTUNE_ERROR_CODES
from gwlocal.gremlin_server.modern import EDGES, load_modern

from .conftest import Remotes, submit

G = traversal().with_graph(Graph())
"""Builds bytecode only (for ``Client.submit``); never connected."""

TOKEN_MAP_SERIALIZERS = ["graphbinary-v1", "graphson-v3"]
"""Serializers that can *send* a Map keyed by ``T``/``Direction`` (``mergeV({T.id: ...})``).

gremlinpython's GraphSON v2 writer turns such a key into a ``{"@type": "g:T", ...}`` dict and then
fails with ``TypeError: unhashable type: 'dict'`` before anything is sent: a client limitation,
not the endpoint's. Tests that need those maps run for these two serializers only."""

_V2_TOKEN_KEYS: dict[Any, str] = {T.id: "id", T.label: "label", Direction.OUT: "OUT", Direction.IN: "IN"}


def v(vid: str) -> Vertex:
    """The documentation's ``v[1]`` (gremlinpython compares elements by id)."""
    return Vertex(vid)


_EDGE_ENDS = {eid: (out_id, label, in_id) for eid, out_id, label, in_id, _ in EDGES}


def e(eid: str) -> Edge:
    """The documentation's ``e[7][1-knows->2]``."""
    out_id, label, in_id = _EDGE_ENDS[eid]
    return Edge(eid, Vertex(out_id), label, Vertex(in_id))


def vs(*ids: str) -> list[Vertex]:
    return [Vertex(i) for i in ids]


def es(*ids: str) -> list[Edge]:
    return [e(i) for i in ids]


def _v2_key(key: Any) -> Any:
    if isinstance(key, str):
        return key
    if isinstance(key, Enum) and key in _V2_TOKEN_KEYS:
        return _V2_TOKEN_KEYS[key]
    if isinstance(key, Element):
        return str(key.id)
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)  # numbers: Java's toString (29 -> "29", 0.5 -> "0.5")


def as_graphson_v2(value: Any) -> Any:
    """``value`` as a GraphSON v2 client receives it (see the module docstring)."""
    if isinstance(value, dict):
        return {_v2_key(k): as_graphson_v2(x) for k, x in value.items()}
    if isinstance(value, list):
        return [as_graphson_v2(x) for x in value]
    if isinstance(value, set | frozenset):
        return [as_graphson_v2(x) for x in value]  # v2 has no Set type: sets arrive as lists
    return value


def same_items(actual: list[Any], expected: list[Any]) -> None:
    """``actual`` and ``expected`` hold the same items, in any order (multiset equality; items may
    be unhashable maps, so they are matched pairwise with ``==``)."""
    remaining = list(actual)
    for item in expected:
        for i, candidate in enumerate(remaining):
            if candidate == item:
                del remaining[i]
                break
        else:
            raise AssertionError(f"expected {item!r} in {actual!r}")
    assert not remaining, f"unexpected {remaining!r} in {actual!r} (expected {expected!r})"


class Modern:
    """The modern graph on a freshly reset endpoint, with one connection and one raw client, both
    speaking ``serializer``."""

    def __init__(self, remotes: Remotes, serializer: str, *, load: bool = True) -> None:
        self.serializer = serializer
        self.g = remotes.g(serializer)
        self.client = remotes.client(serializer)
        if load:
            load_modern(self.g)

    @property
    def v2(self) -> bool:
        return self.serializer == "graphson-v2"

    def expect(self, value: Any) -> Any:
        return as_graphson_v2(value) if self.v2 else value

    def key(self, key: Any) -> Any:
        """A map key as this serializer delivers it (``T.id`` is ``"id"`` over GraphSON v2)."""
        return _v2_key(key) if self.v2 else key

    def read(self, build: Callable[[Any], Any], *, ordered: bool = True) -> list[Any]:
        """Results of a read-only traversal ``build(g)``: through the ``DriverRemoteConnection``
        traversal source and through ``Client.submit`` of the same bytecode, which must agree (in
        order, unless ``ordered`` is false: ``order().by(shuffle)``)."""
        via_connection = list(build(self.g).to_list())
        via_client = submit(self.client, build(G))
        if ordered:
            assert via_client == via_connection, (via_client, via_connection)
        else:
            same_items(via_client, via_connection)
        return via_connection

    def check(self, build: Callable[[Any], Any], expected: list[Any]) -> None:
        """Exactly ``expected``, in order."""
        assert self.read(build) == self.expect(expected)

    def check_items(self, build: Callable[[Any], Any], expected: list[Any]) -> None:
        """``expected`` in any order."""
        same_items(self.read(build, ordered=False), self.expect(expected))

    def write(self, build: Callable[[Any], Any]) -> list[Any]:
        """Run a mutating traversal once, through the ``DriverRemoteConnection``."""
        return list(build(self.g).to_list())

    def submit(self, t: Any) -> list[Any]:
        """Run a traversal built from :data:`G` once, through the raw ``Client``."""
        return submit(self.client, t)


def neptune_error(exc: BaseException) -> dict[str, Any]:
    """Neptune's error shape: the status message is JSON with exactly requestId/code/
    detailedMessage, and the status code is the HTTP status Neptune's table gives the code."""
    assert isinstance(exc, GremlinServerError), repr(exc)
    body = json.loads(exc.status_message)
    assert set(body) == {"requestId", "code", "detailedMessage"}, body
    uuid.UUID(body["requestId"])
    assert exc.status_code == NEPTUNE_ERROR_CODES[body["code"]].http_status, (exc.status_code, body)
    return body
