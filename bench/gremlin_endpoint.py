"""Benchmark the local Gremlin endpoint: start-up time, single upserts vs 100-upsert batches.

Run: ``.venv/bin/python bench/gremlin_endpoint.py [--singles N] [--batches N]``.
Everything is measured side by side in one run, through real gremlinpython clients over a real
socket, and printed as a table with ratios. Numbers are for this machine only; compare ratios.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from typing import Any

from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Merge, T

from gwlocal.gremlin_server.selfcheck import SERIALIZERS
from gwlocal.gremlin_server.thread import EndpointThread


def startup_seconds(runs: int) -> list[float]:
    """Process start to first answered /status, for the real CLI."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "gwlocal.cli", "gremlin-server", "--port", "0",
                                 "--log-level", "WARNING"], stdout=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None
            port = int(re.search(r":(\d+)/gremlin", proc.stdout.readline()).group(1))  # type: ignore[union-attr]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=10) as resp:
                resp.read()
            times.append(time.perf_counter() - started)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return times


COALESCE_SERIALIZERS = frozenset({"graphson-v2"})
"""gremlinpython cannot write a Map keyed by ``T`` in GraphSON v2 (``TypeError: unhashable type:
'dict'`` in the client, before anything is sent), so ``mergeV({T.id: ...})`` cannot be sent with it.
Those serializers upsert with the pre-mergeV idiom ``V(id).fold().coalesce(unfold(), addV())``, the
same write (create with label and ``n``, or add ``n`` to the match); their rows are marked ``*``."""


def upsert(t: Any, i: int, serializer: str) -> Any:
    if serializer in COALESCE_SERIALIZERS:
        return (t.V(f"v{i}").fold()
                .coalesce(__.unfold().property("n", i),
                          __.add_v("Item").property(T.id, f"v{i}").property("n", i)))
    return (t.merge_v({T.id: f"v{i}"})
            .option(Merge.on_create, {T.label: "Item", "n": i})
            .option(Merge.on_match, {"n": i}))


def singles(g: Any, n: int, serializer: str) -> float:
    started = time.perf_counter()
    for i in range(n):
        upsert(g, i, serializer).iterate()
    return time.perf_counter() - started


def batches(g: Any, n: int, size: int, serializer: str) -> float:
    started = time.perf_counter()
    for b in range(n):
        t = g.inject(0)
        for i in range(b * size, (b + 1) * size):
            t = upsert(t, i, serializer)
        t.iterate()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--singles", type=int, default=300, help="single-upsert requests per serializer")
    parser.add_argument("--batches", type=int, default=10, help="100-upsert requests per serializer")
    parser.add_argument("--startup-runs", type=int, default=3)
    args = parser.parse_args()

    boot = startup_seconds(args.startup_runs)
    print(f"start-up (process start -> /status answered), {len(boot)} runs: "
          f"median {statistics.median(boot) * 1000:.0f} ms, max {max(boot) * 1000:.0f} ms\n")

    rows = []
    with EndpointThread() as ep:
        for name, factory in SERIALIZERS.items():
            ep.control.reset()
            conn = DriverRemoteConnection(ep.url, "g", message_serializer=factory())
            g = traversal().with_remote(conn)
            try:
                upsert(g, -1, name).iterate()  # warm the connection
                s = singles(g, args.singles, name)
                b = batches(g, args.batches, 100, name)
                expected = max(args.singles, args.batches * 100) + 1
                vertices = g.V().has_label("Item").count().next()
                if vertices != expected:
                    raise SystemExit(f"{name}: {vertices} Item vertices after the run, expected {expected}")
            finally:
                conn.close()
            label = f"{name}*" if name in COALESCE_SERIALIZERS else name
            rows.append((label, args.singles / s, args.batches / b, args.batches * 100 / b))
    print(f"{'serializer':<16} {'single req/s':>13} {'batch req/s':>12} {'batched upserts/s':>18} "
          f"{'batched/single upserts':>23}")
    for name, single_rps, batch_rps, batch_ups in rows:
        print(f"{name:<16} {single_rps:>13.0f} {batch_rps:>12.1f} {batch_ups:>18.0f} "
              f"{batch_ups / single_rps:>22.1f}x")
    base = rows[0][1]
    print("\nsingle-upsert req/s relative to graphbinary-v1: "
          + ", ".join(f"{r[0]} {r[1] / base:.2f}x" for r in rows))
    if any(row[0].endswith("*") for row in rows):
        print("* fold().coalesce(unfold(), addV()) upserts: gremlinpython cannot send mergeV's T-keyed Map "
              "over GraphSON v2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
