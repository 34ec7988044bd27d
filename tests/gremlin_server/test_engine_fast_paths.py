"""The compiler's fast paths (``compile._QUICK``) build exactly the steps the general path builds.

Each bytecode below is compiled twice, once as usual and once with the fast paths switched off,
and the two step trees are compared attribute by attribute (child traversals recursively). The
shapes include the ones the fast paths take and near misses that must fall through to the general
path (and be refused there when they are invalid).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Bindings, Cardinality, P, T, TextP
from gremlin_python.statics import long

from gwlocal.gremlin_server.engine import compile as compile_module
from gwlocal.gremlin_server.engine.pipeline import Pipeline, Step
from gwlocal.gremlin_server.errors import NeptuneError

from .engine_support import g

N = long(1794859200000000)

UPSERT = (
    g.inject(0).coalesce(
        __.V("gw:tombstone:v:txn:1").has("gw:version", P.gte(N)).limit(1).constant("gw:stale:v:txn:1"),
        __.merge_v({T.id: "txn:1"}).side_effect(
            __.not_(__.V("gw:tombstone:v:txn:1", "gw:tombstone:v:a").has("gw:version", P.gte(N)))
            .side_effect(__.not_(__.has("gw:born", P.lte(N))).property(Cardinality.single, "gw:born", N))
            .side_effect(__.not_(__.has("gw:v:amount", P.gte(N)))
                         .property(Cardinality.single, "amount", 1.5)
                         .property("at", dt.datetime(2026, 1, 1)))
        ).coalesce(__.has("gw:version", P.gt(N)).constant("gw:stale:v:txn:1"), __.constant("txn:1"))
    )
)

ACCEPTED = [
    UPSERT,
    g.V().has("name", P.within("a", "b")).has("age", TextP.containing("x")).has("k", P.gt(1).and_(P.lt(5))),
    g.V().has("person", "name", "marko").has("name").has(T.id, "1").has("name", __.is_("x")),
    g.V().has("age", Bindings.of("a", P.gt(30))).has("age", P.gt(Bindings.of("b", 3))),
    g.V().not_(__.out()).not_(__.as_("a").out().as_("b")).side_effect(__.out().fold()).coalesce(__.out(), __.in_()),
    g.V().constant(1).constant(True).constant(None).constant([1, 2]).constant({"a": 1}),
    g.V().property("k", 1).property(Cardinality.single, "k", "v").property(Cardinality.set_, "k", long(1)),
    g.V().property("k", __.constant(1)).property({"a": 1}).property(Cardinality.single, {"a": 1}),
    g.V().property("k", Bindings.of("x", 5)).property(Cardinality.list_, "k", 1),  # list: refused when run
    g.add_v("a").property(T.id, "x").property("k", 1),
    g.V("1").V("1", "2").V(["1", "2"]).V().limit(1).limit(long(2)).limit(-1),
]

REFUSED = [
    g.V().has("k", P.gte(1), "extra", "more"),
    g.V().not_(__.out(), __.in_()),
    g.V().side_effect("x"),
    g.V().coalesce(),
    g.V().coalesce(__.out(), "x"),
    g.V().constant(1, 2),
    g.V().property("k", 1, "meta", 2),
    g.V().property(T.id, "x"),
    g.V().limit(True),
    g.V().limit("1"),
]


def _shape(value: Any, seen: set[int]) -> Any:
    if isinstance(value, Pipeline):
        return ("Pipeline", [_shape(step, seen) for step in value.steps], value.single)
    if isinstance(value, Step):
        if id(value) in seen:
            return ("seen", type(value).__name__)
        seen.add(id(value))
        return (type(value).__name__, {k: _shape(v, seen) for k, v in sorted(vars(value).items())})
    if isinstance(value, list | tuple):
        return [_shape(v, seen) for v in value]
    if isinstance(value, dict):
        return {k: _shape(v, seen) for k, v in value.items()}
    if isinstance(value, P):
        return (type(value).__name__, value.operator, _shape(value.value, seen), _shape(value.other, seen))
    if hasattr(value, "__dataclass_fields__"):
        return (type(value).__name__, {k: _shape(getattr(value, k), seen) for k in value.__dataclass_fields__})
    return (type(value).__name__, value)


def _compiled(traversal: Any, *, quick: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as m:
        if not quick:
            m.setattr(compile_module, "_QUICK", {})
        result = compile_module.compile_request(traversal.bytecode)
    return _shape(result.pipeline, set()), result.track_paths, result.mutating


@pytest.mark.parametrize("traversal", ACCEPTED, ids=range(len(ACCEPTED)))
def test_fast_paths_build_the_general_paths_steps(traversal: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _compiled(traversal, quick=True, monkeypatch=monkeypatch) == \
        _compiled(traversal, quick=False, monkeypatch=monkeypatch)


@pytest.mark.parametrize("traversal", REFUSED, ids=range(len(REFUSED)))
def test_shapes_the_fast_paths_skip_are_refused_as_before(traversal: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def refusal(quick: bool) -> tuple[str, str]:
        with pytest.raises(NeptuneError) as caught:
            _compiled(traversal, quick=quick, monkeypatch=monkeypatch)
        return caught.value.code, str(caught.value)

    assert refusal(True) == refusal(False)


def test_the_upsert_shape_takes_the_fast_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[str] = []
    quick = dict(compile_module._QUICK)
    for name, maker in quick.items():
        def spy(compiler: Any, args: list[Any], maker: Any = maker, name: str = name) -> Step | None:
            step = maker(compiler, args)
            if step is not None:
                taken.append(name)
            return step
        monkeypatch.setitem(compile_module._QUICK, name, spy)
    compile_module.compile_request(UPSERT.bytecode)
    assert set(taken) == {"V", "has", "limit", "constant", "not", "sideEffect", "property", "coalesce"}
