"""A deliberately broken contender for ``tests/bench/test_peers.py``: the blog handler with a classic bug.

It sets vertex properties without ``Cardinality.single``. Neptune's (and the local endpoint's)
default vertex cardinality is ``set``, so a merchant written by several messages of a batch ends
up holding every value it was ever sent instead of the last one. Every request succeeds and no
message fails: only a graph check that compares values can see it.

Run by the benchmark like any contender: ``python broken_contender.py --contender --name broken ...``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

PEERS = Path(__file__).resolve().parents[2] / "bench" / "peers.py"
_spec = importlib.util.spec_from_file_location("peers_bench", PEERS)
assert _spec is not None and _spec.loader is not None
peers = importlib.util.module_from_spec(_spec)
sys.modules["peers_bench"] = peers  # this process only: dataclasses look their module up
_spec.loader.exec_module(peers)


class SetCardinalityBlog(peers.BlogContext):  # type: ignore[name-defined,misc]
    def upsert(self, pay: Any) -> Any:
        from gremlin_python.process.graph_traversal import __
        from gremlin_python.process.traversal import T

        a, m, e = pay.account, pay.merchant, pay.edge
        t = self.g.V(a.id).fold().coalesce(__.unfold(), __.addV(a.label).property(T.id, a.id))
        for key, value in a.props.items():
            t = t.property(key, value)  # the bug: no Cardinality.single
        t = t.V(m.id).fold().coalesce(__.unfold(), __.addV(m.label).property(T.id, m.id))
        for key, value in m.props.items():
            t = t.property(key, value)
        t = (t.V(a.id).outE(e.label).hasId(e.id).fold()
             .coalesce(__.unfold(), __.addE(e.label).from_(__.V(a.id)).to(__.V(m.id)).property(T.id, e.id)))
        for key, value in e.props.items():
            t = t.property(key, value)
        return t.id_().next()


if __name__ == "__main__":
    assert sys.argv[1] == "--contender"
    sys.exit(peers.contender_main(sys.argv[2:], registry={"broken": ("broken: set cardinality", SetCardinalityBlog)}))
