"""Benchmark the local Gremlin endpoint: its own CPU per upsert, a baseline git ref against this tree.

Run: ``.venv/bin/python bench/gremlin_endpoint.py [--baseline REF] [--batches N] [--rounds N]``.

Every contender is the real CLI (``python -m gwlocal.cli gremlin-server``) in its own process: the
baseline is ``git archive REF`` unpacked into a temporary directory (removed at the end; nothing is
written to the repository), the other one is this working tree. Both serve the same requests, sent by
the same real gremlinpython client from this process, one contender after the other, ``--rounds``
times. What is measured is the *server process's* CPU time across the requests of one workload,
divided by the upserts they carried: client time, network waits and the other contender are not in
it. It is read from ``/proc`` (so Linux only): the threads' run time in nanoseconds
(``/proc/<pid>/task/*/schedstat``) where the kernel keeps it, else user + system time in clock ticks
(``/proc/<pid>/stat``, 10 ms: use enough ``--batches``). Medians over the rounds are printed with the
ratio baseline / current (> 1: the current tree is cheaper).

Workloads are what graphworker sends: batches of ``--batch-size`` upserts in one request,
``g.inject(0).union(mergeV(...).option(onCreate, ...).option(onMatch, ...).id(), ...)`` and the same
with ``mergeE``; first on an empty graph (every upsert creates), then again (every upsert matches).
GraphSON v2 cannot send mergeV's ``T``-keyed Maps (a gremlinpython limit), so its rows use the
``V(id).fold().coalesce(unfold()..., addV()...)`` idiom (marked ``*``). Start-up time (process start to
an answered ``/status``) is measured for both contenders too.

Numbers are for this machine only, and noisy when it is busy: compare the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Cardinality, CardinalityValue, Direction, Merge, T

from gwlocal.gremlin_server.serializers import SERIALIZERS

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASELINE = "0810983"
"""The last commit before issue 14's rework of the endpoint."""

COALESCE_SERIALIZERS = frozenset({"graphson-v2"})
"""gremlinpython cannot write a Map keyed by ``T`` in GraphSON v2: those rows use the pre-mergeV idiom."""

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# --------------------------------------------------------------------------- contenders
@dataclass
class Contender:
    name: str
    source: Path
    proc: subprocess.Popen[str] | None = None
    port: int = 0
    startup_s: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gremlin"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.source) + os.pathsep + env.get("PYTHONPATH", "")
        return env

    def start(self) -> None:
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gwlocal.cli", "gremlin-server", "--port", "0", "--log-level", "WARNING"],
            cwd=self.source, env=self.env(), stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r":(\d+)/gremlin", line)
        if found is None:
            raise SystemExit(f"{self.name}: the endpoint did not start: {line!r}")
        self.port = int(found.group(1))
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/status", timeout=10) as resp:
            resp.read()
        self.startup_s.append(time.perf_counter() - started)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    def cpu_seconds(self) -> float:
        """CPU time of the server process so far: the nanosecond run time of each of its threads
        (``/proc/<pid>/task/*/schedstat``), else user + system time in clock ticks (``/proc/<pid>/stat``)."""
        assert self.proc is not None
        tasks = Path(f"/proc/{self.proc.pid}/task")
        with contextlib.suppress(OSError, ValueError, IndexError):
            run_ns = sum(int((task / "schedstat").read_text().split()[0]) for task in tasks.iterdir())
            if run_ns > 0:  # 0 where the kernel does not keep scheduler statistics
                return run_ns / 1e9
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime

    def reset(self) -> None:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/control/reset", data=b'{"graph": true}',
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as resp:
            resp.read()

    def imports_from(self) -> str:
        """Where this contender's ``gwlocal`` comes from (printed, so a mix-up cannot go unnoticed)."""
        out = subprocess.run([sys.executable, "-c", "import gwlocal, os; print(os.path.dirname(gwlocal.__file__))"],
                             cwd=self.source, env=self.env(), capture_output=True, text=True, check=True)
        return out.stdout.strip()


@contextlib.contextmanager
def baseline_tree(ref: str) -> Iterator[Path]:
    """``git archive ref`` unpacked into a temporary directory, removed afterwards."""
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True)
    with tempfile.TemporaryDirectory(prefix="gw-bench-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp)


# --------------------------------------------------------------------------- workloads
def vertex_upsert(i: int, round_: int, serializer: str) -> Any:
    vid = f"v{i}"
    props = {"n": i, "round": round_, "name": f"item-{i}"}
    if serializer in COALESCE_SERIALIZERS:
        update = __.unfold()
        create = __.add_v("Item").property(T.id, vid)
        for key, value in props.items():
            update = update.property(Cardinality.single, key, value)
            create = create.property(key, value)
        return __.V(vid).fold().coalesce(update, create).id_()
    return (__.merge_v({T.id: vid}).option(Merge.on_create, {T.label: "Item", **props})
            .option(Merge.on_match, {k: CardinalityValue.single(v) for k, v in props.items()}).id_())


def edge_upsert(i: int, round_: int, serializer: str) -> Any:
    eid, out_id, in_id = f"e{i}", f"v{i}", f"v{i // 2}"
    props = {"w": i, "round": round_}
    if serializer in COALESCE_SERIALIZERS:
        update = __.unfold()
        create = __.V(out_id).add_e("rel").to(__.V(in_id)).property(T.id, eid)
        for key, value in props.items():
            update = update.property(key, value)
            create = create.property(key, value)
        return __.E(eid).fold().coalesce(update, create).id_()
    return (__.merge_e({T.id: eid, T.label: "rel", Direction.OUT: out_id, Direction.IN: in_id})
            .option(Merge.on_create, props).option(Merge.on_match, props).id_())


Upsert = Callable[[int, int, str], Any]


def send_batches(g: Any, upsert: Upsert, batches: int, size: int, round_: int, serializer: str) -> int:
    for b in range(batches):
        t = g.inject(0).union(*(upsert(i, round_, serializer) for i in range(b * size, (b + 1) * size)))
        ids = t.to_list()
        if len(ids) != size:
            raise SystemExit(f"a batch answered {len(ids)} ids for {size} upserts")
    return batches * size


WORKLOADS = ["mergeV create", "mergeV match", "mergeE create", "mergeE match"]


def measure(contender: Contender, serializer: str, batches: int, size: int) -> dict[str, float]:
    """CPU microseconds per upsert of each workload, on a freshly reset graph."""
    contender.reset()
    conn = DriverRemoteConnection(contender.url, "g", message_serializer=SERIALIZERS[serializer]())
    try:
        g = traversal().with_remote(conn)
        send_batches(g, vertex_upsert, 1, 2, 0, serializer)  # warm the connection (ids v0, v1)
        result: dict[str, float] = {}
        for name, upsert, round_ in (("mergeV create", vertex_upsert, 1), ("mergeV match", vertex_upsert, 2),
                                     ("mergeE create", edge_upsert, 1), ("mergeE match", edge_upsert, 2)):
            before = contender.cpu_seconds()
            count = send_batches(g, upsert, batches, size, round_, serializer)
            result[name] = (contender.cpu_seconds() - before) / count * 1e6
        vertices, edges = g.V().has_label("Item").count().next(), g.E().count().next()
        if (vertices, edges) != (max(batches * size, 2), batches * size):
            raise SystemExit(f"{contender.name}/{serializer}: {vertices} Item vertices and {edges} edges after "
                             f"the run, expected {batches * size} of each")
        return result
    finally:
        conn.close()


# --------------------------------------------------------------------------- report
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default=DEFAULT_BASELINE,
                        help="git ref to compare against (default: %(default)s)")
    parser.add_argument("--batches", type=int, default=20, help="requests per workload (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=100, help="upserts per request (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="repetitions; medians are reported (default: %(default)s)")
    parser.add_argument("--serializers", default=",".join(SERIALIZERS), help="comma-separated (default: all)")
    args = parser.parse_args()
    serializers = [s for s in args.serializers.split(",") if s]

    with baseline_tree(args.baseline) as old_tree:
        contenders = [Contender(f"baseline {args.baseline}", old_tree), Contender("current", ROOT)]
        for c in contenders:
            print(f"{c.name:<20} gwlocal from {c.imports_from()}")
        samples: dict[tuple[str, str, str], list[float]] = {}
        try:
            for _ in range(args.rounds):
                for c in contenders:  # start-up, one after the other
                    c.stop()
                    c.start()
                for serializer in serializers:
                    for c in contenders:
                        for workload, us in measure(c, serializer, args.batches, args.batch_size).items():
                            samples.setdefault((c.name, serializer, workload), []).append(us)
        finally:
            for c in contenders:
                c.stop()

    base, cur = contenders
    print(f"\nstart-up (process start -> /status answered), median of {args.rounds}: "
          f"{base.name} {statistics.median(base.startup_s) * 1000:.0f} ms, "
          f"{cur.name} {statistics.median(cur.startup_s) * 1000:.0f} ms")
    print(f"\nendpoint CPU per upsert (server process user+system time), {args.batches} requests x "
          f"{args.batch_size} upserts per workload, median of {args.rounds} rounds")
    print(f"{'serializer':<15} {'workload':<14} {base.name + ' us':>18} {'current us':>11} {'baseline/current':>17}")
    ratios = []
    for serializer in serializers:
        label = f"{serializer}*" if serializer in COALESCE_SERIALIZERS else serializer
        for workload in WORKLOADS:
            old = statistics.median(samples[(base.name, serializer, workload)])
            new = statistics.median(samples[(cur.name, serializer, workload)])
            ratio = old / new if new else float("inf")
            ratios.append(ratio)
            print(f"{label:<15} {workload:<14} {old:>18.1f} {new:>11.1f} {ratio:>16.2f}x")
    print(f"\ngeometric mean of the ratios: {statistics.geometric_mean(ratios):.2f}x")
    if any(s in COALESCE_SERIALIZERS for s in serializers):
        print("* V(id).fold().coalesce(unfold(), addV()) upserts: gremlinpython cannot send mergeV's T-keyed Map "
              "over GraphSON v2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
