"""TinkerPop's "modern" toy graph, loaded through a real gremlinpython traversal source.

Why here: the conformance suite, the ``--check`` smoke run and the bench all start from the
graph TinkerPop's reference documentation uses for its examples, so expected answers can be
written down from that documentation. Ids are strings ('1'..'12') because Neptune ids are.
"""

from __future__ import annotations

from typing import Any

from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import T

PEOPLE = [("1", "marko", 29), ("2", "vadas", 27), ("4", "josh", 32), ("6", "peter", 35)]
SOFTWARE = [("3", "lop", "java"), ("5", "ripple", "java")]
EDGES = [
    ("7", "1", "knows", "2", 0.5),
    ("8", "1", "knows", "4", 1.0),
    ("9", "1", "created", "3", 0.4),
    ("10", "4", "created", "5", 1.0),
    ("11", "4", "created", "3", 0.4),
    ("12", "6", "created", "3", 0.2),
]


def modern_traversal(g: Any) -> Any:
    """The traversal that creates the modern graph, not yet run (any traversal source will do,
    connected or not: the engine tests execute its bytecode directly)."""
    t = g.inject(0)
    for vid, name, age in PEOPLE:
        t = t.add_v("person").property(T.id, vid).property("name", name).property("age", age)
    for vid, name, lang in SOFTWARE:
        t = t.add_v("software").property(T.id, vid).property("name", name).property("lang", lang)
    for eid, out_id, label, in_id, weight in EDGES:
        t = t.add_e(label).from_(__.V(out_id)).to(__.V(in_id)).property(T.id, eid).property("weight", weight)
    return t


def load_modern(g: Any) -> None:
    """Create the modern graph in one request (one transaction)."""
    modern_traversal(g).iterate()
