"""``graphworker gremlin-server --check``: a smoke run through real gremlinpython clients.

Starts the endpoint on a free port, then for each serializer loads the modern graph, runs
queries whose answers come from TinkerPop's reference documentation, upserts with mergeV twice
(idempotence) and provokes a Neptune error, printing one row per serializer. Exit status 1 if
any answer is wrong, so it doubles as an installation check.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Direction, Merge, Order, T

from .modern import load_modern
from .serializers import SERIALIZERS
from .settings import EndpointSettings
from .thread import EndpointThread


def _upserts(g: Any, serializer: str) -> tuple[Any, Any]:
    """A vertex and an edge upsert. gremlinpython cannot write maps keyed by ``T`` in GraphSON v2,
    so that serializer uses the seed-era ``fold().coalesce(unfold(), addV())`` idiom instead."""
    if serializer == "graphson-v2":
        vertex = (g.V("c-1").fold()
                  .coalesce(__.unfold(), __.add_v("Customer").property(T.id, "c-1").property("name", "Ada"))
                  .id_())
        edge = (g.V("1").out_e("REFERRED").where(__.in_v().has_id("c-1")).fold()
                .coalesce(__.unfold(), __.add_e("REFERRED").from_(__.V("1")).to(__.V("c-1"))))
        return vertex, edge
    vertex = (g.merge_v({T.id: "c-1"})
              .option(Merge.on_create, {T.label: "Customer", "name": "Ada"})
              .option(Merge.on_match, {"name": "Ada"})
              .id_())
    edge = g.merge_e({T.label: "REFERRED", Direction.OUT: "1", Direction.IN: "c-1"})
    return vertex, edge


def _checks(g: Any, serializer: str) -> list[tuple[str, Callable[[], Any], Any]]:
    upsert, placed = _upserts(g, serializer)
    return [
        ("count vertices", lambda: g.V().count().next(), 6),
        ("count edges", lambda: g.E().count().next(), 6),
        ("marko knows", lambda: sorted(g.V("1").out("knows").values("name").to_list()), ["josh", "vadas"]),
        ("oldest person", lambda: g.V().has_label("person").order().by("age", Order.desc)
            .limit(1).values("name").next(), "peter"),
        ("who created lop", lambda: sorted(g.V("3").in_("created").values("name").to_list()),
            ["josh", "marko", "peter"]),
        ("upsert creates", lambda: upsert.clone().next(), "c-1"),
        ("upsert matches", lambda: upsert.clone().next(), "c-1"),
        ("idempotent", lambda: g.V().has_label("Customer").count().next(), 1),
        ("edge upsert creates", lambda: placed.clone().in_v().id_().next(), "c-1"),
        ("edge upsert matches", lambda: (placed.clone().iterate(), g.V("1").out_e("REFERRED").count().next())[1],
            1),
    ]


def run_check(settings: EndpointSettings, *, seed: int = 0) -> int:
    # gremlinpython logs every error response at ERROR and every connect at INFO; the check
    # provokes an error on purpose and prints its own table, so keep the driver quiet.
    logging.getLogger("gremlinpython").setLevel(logging.CRITICAL)
    rows: list[tuple[str, int, int, float, str]] = []
    failures = 0
    with EndpointThread(settings, seed=seed) as ep:
        for name, factory in SERIALIZERS.items():
            ep.control.reset(stats=False)
            conn = DriverRemoteConnection(ep.url, "g", message_serializer=factory())
            g = traversal().with_remote(conn)
            started = time.perf_counter()
            passed, notes = 0, []
            try:
                load_modern(g)
                checks = _checks(g, name)
                for label, fn, expected in checks:
                    got = fn()
                    if got == expected:
                        passed += 1
                    else:
                        notes.append(f"{label}: expected {expected!r}, got {got!r}")
                try:
                    g.add_v("person").property(T.id, "1").iterate()
                    notes.append("duplicate id was accepted")
                except GremlinServerError as exc:
                    if "ConstraintViolationException" in str(exc):
                        passed += 1
                    else:
                        notes.append(f"duplicate id: unexpected error {exc}")
                total = len(checks) + 1
            finally:
                conn.close()
            elapsed = (time.perf_counter() - started) * 1000
            failures += total - passed
            rows.append((name, passed, total, elapsed, "; ".join(notes) or "ok"))
        stats = ep.control.stats()
    print(f"local Gremlin endpoint check on {ep.url}")
    print(f"{'serializer':<16} {'passed':>8} {'ms':>8}  result")
    for name, passed, total, elapsed, note in rows:
        print(f"{name:<16} {passed:>3}/{total:<4} {elapsed:>8.1f}  {note}")
    print(f"requests served: {stats['requests_total']}, errors by code: {stats['errors_by_code']}, "
          f"open connections at end: {stats['connections']['open']}")
    return 1 if failures else 0
