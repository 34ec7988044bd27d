"""Benchmark: what order-safe writes cost, versioned vs unversioned batches, side by side.

Run: ``.venv/bin/python bench/convergence.py [--messages 2000] [--batch 100] [--latency-ms 2]``.

The same messages (a customer, an order and the PLACED edge between them; customers shared, so
batches coalesce) go through ``GraphWorker.process`` in SQS batches to the local endpoint, which
runs in its own process (``graphworker gremlin-server``) with a fixed per-request latency. Each
contender runs in its own process:

- ``unversioned``: plain upserts (last writer wins);
- ``versioned``: the same upserts with a version (the event time) on every element;
- ``versioned+merge``: versioned, plus ``KeepMax``/``KeepMin``/``AddToSet`` properties;
- ``versioned+deletes``: versioned, with one message in ten deleting an earlier order.

Printed per contender: messages/s, Gremlin requests per message (from the endpoint's own counter),
client CPU µs per message (the contender process's CPU time over the run) and the endpoint's CPU
µs per message, with ratios against ``unversioned``. The graph is checked after each contender
(every order's ``total`` value).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONTENDERS = ("unversioned", "versioned", "versioned+merge", "versioned+deletes")
EPOCH = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def messages(count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        if i % 10 == 9:
            out.append({"delete": f"o{i - 5}", "t": i})
        else:
            out.append({"customer": f"c{i % 37}", "order": f"o{i}", "total": round(i * 1.25, 2), "t": i})
    return out


def run_contender(name: str, url: str, count: int, batch: int) -> dict[str, float]:
    """In the contender's own process: write every batch, return its own CPU and wall time."""
    from framework import (
        AddToSet,
        DeleteVertex,
        Edge,
        GraphClient,
        GraphConfig,
        GraphWorker,
        KeepMax,
        KeepMin,
        Vertex,
        WorkerConfig,
    )
    from framework.telemetry import MetricsSink, Telemetry
    from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

    class Null:
        def write(self, text: str) -> int:
            return len(text)

        def flush(self) -> None:
            pass

    versioned = name != "unversioned"

    def to_graph(msg: dict[str, Any]) -> list[Any]:
        at = EPOCH + dt.timedelta(seconds=msg["t"])
        version = at if versioned else None
        if "delete" in msg:
            return [DeleteVertex(msg["delete"], version=version)] if name == "versioned+deletes" else []
        customer: dict[str, Any] = {"tier": msg["t"] % 3}
        if name == "versioned+merge":
            customer |= {"last_order": KeepMax(at), "first_order": KeepMin(at), "orders": AddToSet(msg["order"])}
        return [Vertex(msg["customer"], "Customer", customer, version=version),
                Vertex(msg["order"], "Order", {"total": msg["total"]}, version=version),
                Edge("PLACED", msg["customer"], msg["order"], version=version)]

    async def main() -> float:
        telemetry = Telemetry(metrics=MetricsSink(stream=Null()))
        client = GraphClient(GraphConfig.from_env({}, endpoint=url, tls=False), telemetry=telemetry)
        worker = GraphWorker(service="bench", client=lambda: client, telemetry=telemetry,
                             config=WorkerConfig(deadline_margin_s=1.0))
        worker.upserts()(to_graph)
        bodies = [json.dumps(m) for m in messages(count)]
        started = time.perf_counter()
        for start in range(0, len(bodies), batch):
            records = [sqs_record(b, message_id=f"m{start + i}") for i, b in enumerate(bodies[start:start + batch])]
            response = await worker.process(sqs_event(records), LocalLambdaContext(timeout_s=60))
            if response["batchItemFailures"]:
                raise RuntimeError(f"{name}: failures {response['batchItemFailures'][:3]}")
        wall = time.perf_counter() - started
        await client.close()
        return wall

    cpu_before = time.process_time()
    wall = asyncio.run(main())
    return {"wall_s": wall, "cpu_s": time.process_time() - cpu_before}


def check_graph(url: str, count: int, name: str) -> None:
    """Every order's ``total``, read back through the framework's client, against what was sent."""
    from gremlin_python.process.anonymous_traversal import traversal
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T
    from gremlin_python.structure.graph import Graph

    from framework import GraphClient, GraphConfig, without_tombstones

    g = traversal().with_graph(Graph())

    async def read() -> dict[str, Any]:
        client = GraphClient(GraphConfig.from_env({}, endpoint=url, tls=False))
        try:
            rows = await client.submit(without_tombstones(g.V()).has_label("Order")
                                       .project("id", "total").by(T.id).by(__.values("total")))
        finally:
            await client.close()
        return {row["id"]: row["total"] for row in rows}

    found = asyncio.run(read())
    expected = {m["order"]: m["total"] for m in messages(count) if "order" in m}
    if name == "versioned+deletes":
        for m in messages(count):
            if "delete" in m:
                expected.pop(m["delete"], None)
    if found != expected:
        missing = sorted(set(expected) - set(found))[:5]
        raise SystemExit(f"{name}: graph check failed (missing {missing}; "
                         f"{len(found)} found, {len(expected)} expected)")


class Endpoint:
    """``graphworker gremlin-server`` in its own process, with a fixed per-request latency."""

    def __init__(self, latency_ms: float) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "gwlocal.cli", "gremlin-server", "--port", "0",
                                      "--log-level", "WARNING"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r"ws://127\.0\.0\.1:(\d+)/gremlin", line)
        if not found:
            self.proc.kill()
            raise RuntimeError(f"the endpoint did not start: {line!r}")
        self.url = found.group(0)
        self.http = f"http://127.0.0.1:{found.group(1)}"
        self.latency_ms = latency_ms

    def reset(self) -> None:
        from gwlocal.gremlin_server.control import ControlClient

        control = ControlClient(self.http)
        control.reset(graph=True, stats=True, settings=True)
        control.settings(latency_ms=self.latency_ms)

    def requests(self) -> int:
        from gwlocal.gremlin_server.control import ControlClient

        return int(ControlClient(self.http).stats()["requests_total"])

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=100, help="SQS batch size (messages per invocation)")
    parser.add_argument("--latency-ms", type=float, default=2.0, help="the endpoint's added latency per request")
    parser.add_argument("--contender", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:  # a child process: one contender
        print(json.dumps(run_contender(args.contender, args.url, args.messages, args.batch)))
        return 0

    endpoint = Endpoint(args.latency_ms)
    rows: dict[str, dict[str, float]] = {}
    try:
        for name in CONTENDERS:
            endpoint.reset()
            server_cpu = endpoint.cpu_s()
            done = subprocess.run([sys.executable, __file__, "--contender", name, "--url", endpoint.url,
                                   "--messages", str(args.messages), "--batch", str(args.batch)],
                                  cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed:\n{done.stderr[-2000:]}")
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            figures["requests"] = endpoint.requests()
            figures["server_cpu_s"] = endpoint.cpu_s() - server_cpu
            check_graph(endpoint.url, args.messages, name)
            rows[name] = figures
    finally:
        endpoint.stop()

    n = args.messages
    base = rows["unversioned"]
    print(f"{n} messages in SQS batches of {args.batch}; endpoint latency {args.latency_ms:g} ms per request; "
          "graph checked after each contender")
    print(f"{'contender':<20} {'msgs/s':>8} {'req/msg':>8} {'client µs/msg':>14} {'endpoint µs/msg':>16} "
          f"{'x msgs/s':>9} {'x client CPU':>13}")
    for name, r in rows.items():
        rate = n / r["wall_s"]
        print(f"{name:<20} {rate:>8.0f} {r['requests'] / n:>8.3f} {r['cpu_s'] / n * 1e6:>14.0f} "
              f"{r['server_cpu_s'] / n * 1e6:>16.0f} {rate / (n / base['wall_s']):>9.2f} "
              f"{r['cpu_s'] / base['cpu_s']:>13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
