"""Peer benchmark: graphworker against the ways people write Lambda + SQS -> Neptune by hand.

Run: ``.venv/bin/python bench/peers.py`` (about two minutes on 2 cores). ``--help`` for options.

Contenders, each in its own process, all fed the same SQS events (Lambda's exact shape, built with
``gwlocal.lambda_events``; seeded message ids, bodies and element ids), all against one local
endpoint process (``graphworker gremlin-server``) with a fixed per-request latency:

``blog``
    The AWS blog / Neptune user guide's Lambda example: one gremlinpython connection per
    execution context (``pool_size=1``, GraphSON v2, as the example has it), reused across
    invocations, with the example's ``backoff`` retry-and-reconnect decorator; one request per SQS
    message upserting its two vertices and its edge with the ``fold().coalesce(unfold(), addV())``
    idiom.
``connect-per-invocation``
    The same handler, but opening the connection at the start of every invocation and closing it
    at the end (what that guidance recommended before Neptune engine 1.0.3.0).
``batched``
    Hand-written gremlinpython as a competent engineer writes it from Neptune's "Making efficient
    upserts with mergeV() and mergeE()" page: one connection per execution context (GraphBinary),
    the SQS batch's vertices de-duplicated (later messages win), then one request of chained
    ``mergeV`` (single-cardinality ``onMatch``) for all vertices and one of chained ``mergeE`` for
    all edges, with the same retry decorator; a failed request fails the whole batch.
``graphworker``
    ``GraphWorker.process`` through the public API only (``GraphWorker``, ``Vertex``, ``Edge``,
    ``GraphClient``, ``GraphConfig``; configuration from the environment, defaults otherwise), one
    worker and one client per execution context.

Every message is 2 vertices + 1 edge: an ``Account`` (new in every message), a ``Merchant``
(shared by several messages of the same SQS batch, never across batches, so the final values are
the same whatever order concurrent contexts run in), and a ``PAID`` edge between them, with
property values of every type graphworker allows (unicode ``str``, ``bool``, 32- and 64-bit
``int``, ``float``, ``datetime``). The bodies are JSON; every contender parses them the same way.

Execution contexts: N contexts are N threads (the synchronous gremlinpython contenders) or N
asyncio tasks (graphworker) inside the contender's one process, each with its own connection,
pulling the next SQS batch when it has finished the last one, as Lambda's pollers hand a batch to a
free execution context. In AWS every context is a process with its own CPU; here all N share the
contender's process (and the GIL), so with N > 1 the client CPU per message limits throughput:
that is what the 4-context regime measures. Connections are opened (and one trivial request sent)
before the clock starts, as in a warm execution context; ``connect-per-invocation`` pays its
connects inside the clock, which is its point.

Measured per contender: messages/s (wall time from the start signal until every batch is
answered), Gremlin requests per message (the endpoint's own request counter), client CPU per
message (``time.process_time()`` of the contender process over the same window: all its threads),
the endpoint's largest number of requests in flight at once, and ratios against ``batched``. After
each contender the graph is read back and compared with what the messages ask for, values
included (a property holding two values, a wrong type or a lost update fails the check); any
failed check makes the run exit non-zero.

The endpoint executes up to ``--endpoint-workers`` requests at once (default 64, so that it is
not the bottleneck; Neptune executes about 2 x vCPU at a time and queues the rest).

Every contender builds all its events before the clock starts; then it ``gc.freeze()``-s what
exists (``--no-gc-freeze`` to keep it), so that no contender pays for the garbage collector
traversing a run's worth of pre-built events, a heap no Lambda execution context holds.

Profiling: ``--profile-dir DIR`` writes a cProfile of each contender's timed section (it slows
them); for sampled profiles attach ``py-spy record --pid`` to a contender process while it runs.

Numbers are this machine's and noisy when it is busy; compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import json
import os
import platform
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
THIS = Path(__file__).resolve()

# ----------------------------------------------------------------------------------------------
# workload: the same messages for every contender
# ----------------------------------------------------------------------------------------------
NAMES = ("Zoë Ødegård", "Łukasz", "Ada", "François", "Dvořák", "Søren", "東京太郎", "Ngozi", "Şule", "Юлия",
         "María José", "O'Brien", "Zaïd", "🙂 Smile Ltd", "Hamid", "Ærø")
CATEGORIES = ("grocery", "fuel", "travel", "café", "software", "électronique")
CURRENCIES = ("EUR", "USD", "GBP", "JPY", "CHF")
MERCHANTS_PER_BATCH = 20
EPOCH = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Element:
    id: str
    label: str
    props: dict[str, Any]


@dataclass(frozen=True)
class Payment:
    account: Element
    merchant: Element
    edge: Element
    """``props`` of the edge; ``id``/``label`` as named; endpoints are account -> merchant."""


def _stamp(rng: random.Random) -> dt.datetime:
    """A UTC datetime with millisecond precision (what Gremlin's Date keeps)."""
    return EPOCH + dt.timedelta(milliseconds=rng.randrange(0, 90 * 86_400_000))


def build_workload(seed: int, messages: int, batch_size: int) -> list[list[tuple[str, str]]]:
    """``(message id, JSON body)`` per message, in SQS batches; a pure function of its arguments."""
    rng = random.Random(seed)
    batches: list[list[tuple[str, str]]] = []
    for index in range(messages):
        batch_no, _ = divmod(index, batch_size)
        if len(batches) <= batch_no:
            batches.append([])
        slot = rng.randrange(MERCHANTS_PER_BATCH)
        merchant_rng = random.Random(f"{seed}/{batch_no}/{slot}")
        at = _stamp(rng)
        body = {
            "account": {
                "id": f"acct-{index:07d}",
                "name": rng.choice(NAMES),
                "balance": round(rng.uniform(-500, 50_000), 2),
                "active": rng.random() < 0.8,
                # 32-bit ints and ints only a 64-bit long holds
                "score": rng.randrange(-(2**31), 2**31) if rng.random() < 0.7 else rng.randrange(2**31, 2**62),
                "opened": _stamp(rng).isoformat(),
            },
            "merchant": {
                "id": f"merch-{batch_no:05d}-{slot:02d}",
                "name": f"{merchant_rng.choice(NAMES)} #{slot}",
                "category": merchant_rng.choice(CATEGORIES),
                "last_seen": at.isoformat(),
                "risk": rng.random(),
            },
            "payment": {
                "id": f"pay-{index:07d}",
                "amount": round(rng.uniform(0.5, 2_000), 2),
                "at": at.isoformat(),
                "currency": rng.choice(CURRENCIES),
                "ref": rng.randrange(2**40, 2**63),
            },
        }
        message_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        batches[batch_no].append((message_id, json.dumps(body, ensure_ascii=False)))
    return batches


def payment_from_json(obj: dict[str, Any]) -> Payment:
    """A parsed body as elements, datetimes parsed (every contender maps bodies with this)."""
    a, m, p = obj["account"], obj["merchant"], obj["payment"]
    account = Element(a["id"], "Account", {
        "name": a["name"], "balance": float(a["balance"]), "active": bool(a["active"]), "score": int(a["score"]),
        "opened": dt.datetime.fromisoformat(a["opened"])})
    merchant = Element(m["id"], "Merchant", {
        "name": m["name"], "category": m["category"], "last_seen": dt.datetime.fromisoformat(m["last_seen"]),
        "risk": float(m["risk"])})
    edge = Element(p["id"], "PAID", {
        "amount": float(p["amount"]), "at": dt.datetime.fromisoformat(p["at"]), "currency": p["currency"],
        "ref": int(p["ref"])})
    return Payment(account, merchant, edge)


def sqs_events(batches: Sequence[Sequence[tuple[str, str]]]) -> list[dict[str, Any]]:
    from gwlocal.lambda_events import sqs_event, sqs_record

    sent = int(EPOCH.timestamp() * 1000)
    return [sqs_event([sqs_record(body, message_id=mid, sent_timestamp_ms=sent, queue="peers-bench")
                       for mid, body in batch]) for batch in batches]


# ----------------------------------------------------------------------------------------------
# the graph check
# ----------------------------------------------------------------------------------------------
@dataclass
class ExpectedGraph:
    vertices: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    edges: dict[str, tuple[str, str, str, dict[str, Any]]] = field(default_factory=dict)


def expected_graph(batches: Sequence[Sequence[tuple[str, str]]]) -> ExpectedGraph:
    """What the messages ask for: per element, the last message's values (batches share no element)."""
    out = ExpectedGraph()
    for batch in batches:
        for _, body in batch:
            pay = payment_from_json(json.loads(body))
            for vertex in (pay.account, pay.merchant):
                props = out.vertices.setdefault(vertex.id, (vertex.label, {}))[1]
                props.update(vertex.props)
            out.edges[pay.edge.id] = (pay.edge.label, pay.account.id, pay.merchant.id, dict(pay.edge.props))
    return out


def _norm(value: Any) -> tuple[str, Any]:
    """A value comparable across serializers: Gremlin Dates come back naive UTC, ms precision."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return ("datetime", round(aware.timestamp() * 1000))
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))
    return (type(value).__name__, value)


def read_graph(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every vertex and edge with label, endpoints and property values (GraphBinary)."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal
    from gremlin_python.process.graph_traversal import __
    from gremlin_python.process.traversal import T

    conn = DriverRemoteConnection(url, "g", pool_size=1)
    try:
        g = traversal().with_remote(conn)
        vertices = g.V().project("id", "label", "props").by(T.id).by(T.label).by(__.value_map()).to_list()
        edges = (g.E().project("id", "label", "out", "in", "props").by(T.id).by(T.label)
                 .by(__.out_v().id_()).by(__.in_v().id_()).by(__.value_map()).to_list())
    finally:
        conn.close()
    return vertices, edges


def check_graph(expected: ExpectedGraph, vertices: list[dict[str, Any]], edges: list[dict[str, Any]]) -> list[str]:
    """Every difference between the graph read back and the expected one (empty: identical)."""
    problems: list[str] = []
    seen: set[str] = set()
    for found in vertices:
        vid = found["id"]
        seen.add(vid)
        want = expected.vertices.get(vid)
        if want is None:
            problems.append(f"unexpected vertex {vid!r}")
            continue
        label, props = want
        if found["label"] != label:
            problems.append(f"vertex {vid!r}: label {found['label']!r}, expected {label!r}")
        got = found["props"]
        for key, value in props.items():
            values = got.get(key, [])
            if [_norm(v) for v in values] != [_norm(value)]:
                problems.append(f"vertex {vid!r} {key!r}: {values!r}, expected [{value!r}]")
        for key in set(got) - set(props):
            problems.append(f"vertex {vid!r}: unexpected property {key!r}")
    problems += [f"missing vertex {vid!r}" for vid in expected.vertices if vid not in seen]
    seen.clear()
    for found in edges:
        eid = found["id"]
        seen.add(eid)
        want_edge = expected.edges.get(eid)
        if want_edge is None:
            problems.append(f"unexpected edge {eid!r}")
            continue
        label, out_id, in_id, props = want_edge
        if (found["label"], found["out"], found["in"]) != (label, out_id, in_id):
            problems.append(f"edge {eid!r}: {found['label']} {found['out']!r}->{found['in']!r}, expected "
                            f"{label} {out_id!r}->{in_id!r}")
        got = found["props"]
        for key, value in props.items():
            if key not in got or _norm(got[key]) != _norm(value):
                problems.append(f"edge {eid!r} {key!r}: {got.get(key)!r}, expected {value!r}")
        for key in set(got) - set(props):
            problems.append(f"edge {eid!r}: unexpected property {key!r}")
    problems += [f"missing edge {eid!r}" for eid in expected.edges if eid not in seen]
    return problems


# ----------------------------------------------------------------------------------------------
# contenders (run inside the contender process)
# ----------------------------------------------------------------------------------------------
def _retrying(reconnect: Callable[[Any], None]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The AWS example's retry decorator: 5 tries 1 s apart for retriable errors, reconnecting first
    after a connection problem (gremlinpython does not reconnect by itself)."""
    import backoff
    from gremlin_python.driver.protocol import GremlinServerError

    reconnectable = ("ReadOnlyViolationException", "Server disconnected", "Connection refused",
                     "Connection was closed by server", "Connection was already closed")
    retriable_codes = ("ConcurrentModificationException", "ThrottlingException", *reconnectable)

    def retriable(exc: Exception) -> bool:
        return isinstance(exc, OSError) or any(code in str(exc) for code in retriable_codes)

    def on_backoff(details: dict[str, Any]) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError) or any(code in str(exc) for code in reconnectable):
            reconnect(details["args"][0])

    return backoff.on_exception(backoff.constant, (GremlinServerError, OSError, RuntimeError), max_tries=5,
                                jitter=None, interval=1, giveup=lambda e: not retriable(e), on_backoff=on_backoff)


def _reconnect(ctx: Any) -> None:
    with contextlib.suppress(Exception):
        ctx.conn.close()
    ctx.connect()


class BlogContext:
    """(a) One connection per execution context, one fold/coalesce request per message."""

    serializer = "graphson-v2"

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None
        self.g: Any = None
        self.connect()

    def connect(self) -> None:
        from gremlin_python.driver import serializer
        from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
        from gremlin_python.process.anonymous_traversal import traversal

        self.conn = DriverRemoteConnection(self.url, "g", pool_size=1,
                                           message_serializer=serializer.GraphSONSerializersV2d0())
        self.g = traversal().with_remote(self.conn)

    def warm_up(self) -> None:
        self.g.inject(1).next()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        failures = []
        for record in event["Records"]:
            try:
                self.upsert(payment_from_json(json.loads(record["body"])))
            except Exception as exc:
                print(f"message {record['messageId']} failed: {exc!r}", file=sys.stderr)
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    @_retrying(_reconnect)
    def upsert(self, pay: Payment) -> Any:
        from gremlin_python.process.graph_traversal import __
        from gremlin_python.process.traversal import Cardinality, T

        a, m, e = pay.account, pay.merchant, pay.edge
        t = self.g.V(a.id).fold().coalesce(__.unfold(), __.addV(a.label).property(T.id, a.id))
        for key, value in a.props.items():
            t = t.property(Cardinality.single, key, value)
        t = t.V(m.id).fold().coalesce(__.unfold(), __.addV(m.label).property(T.id, m.id))
        for key, value in m.props.items():
            t = t.property(Cardinality.single, key, value)
        t = (t.V(a.id).outE(e.label).hasId(e.id).fold()
             .coalesce(__.unfold(), __.addE(e.label).from_(__.V(a.id)).to(__.V(m.id)).property(T.id, e.id)))
        for key, value in e.props.items():
            t = t.property(key, value)
        return t.id_().next()


class ConnectPerInvocationContext(BlogContext):
    """(b) The blog handler, connecting at the start of each invocation and closing at its end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = None
        self.g = None

    def warm_up(self) -> None:
        self.connect()  # imports and first-use costs, outside the clock; every timed invocation connects
        self.g.inject(1).next()
        self.close()

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        self.connect()
        try:
            return super().handle(event)
        finally:
            self.close()


def _long(value: Any) -> Any:
    """gremlinpython sends a plain int as a 32-bit Int in GraphBinary: wrap 64-bit values as long."""
    from gremlin_python.statics import long

    if isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31:
        return long(value)
    return value


class BatchedContext:
    """(c) Hand-written batched gremlinpython: one chained mergeV request, then one chained mergeE request."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.conn: Any = None
        self.g: Any = None
        self.connect()

    def connect(self) -> None:
        from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
        from gremlin_python.process.anonymous_traversal import traversal

        self.conn = DriverRemoteConnection(self.url, "g", pool_size=1)
        self.g = traversal().with_remote(self.conn)

    def warm_up(self) -> None:
        self.g.inject(1).next()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        failures: list[dict[str, str]] = []
        vertices: dict[str, tuple[str, dict[str, Any]]] = {}
        edges: dict[str, tuple[str, str, str, dict[str, Any]]] = {}
        accepted: list[str] = []
        for record in event["Records"]:
            try:
                pay = payment_from_json(json.loads(record["body"]))
            except Exception as exc:
                print(f"message {record['messageId']} failed: {exc!r}", file=sys.stderr)
                failures.append({"itemIdentifier": record["messageId"]})
                continue
            for vertex in (pay.account, pay.merchant):
                known = vertices.get(vertex.id)
                if known is None:
                    vertices[vertex.id] = (vertex.label, dict(vertex.props))
                else:
                    known[1].update(vertex.props)  # a later message of the batch wins
            edges[pay.edge.id] = (pay.edge.label, pay.account.id, pay.merchant.id, pay.edge.props)
            accepted.append(record["messageId"])
        try:
            self.write(vertices, edges)
        except Exception as exc:
            print(f"batch failed: {exc!r}", file=sys.stderr)
            failures += [{"itemIdentifier": mid} for mid in accepted]
        return {"batchItemFailures": failures}

    def write(self, vertices: dict[str, tuple[str, dict[str, Any]]],
              edges: dict[str, tuple[str, str, str, dict[str, Any]]]) -> None:
        if vertices:
            self.write_vertices(vertices)
        if edges:
            self.write_edges(edges)

    @_retrying(_reconnect)
    def write_vertices(self, vertices: dict[str, tuple[str, dict[str, Any]]]) -> None:
        from gremlin_python.process.traversal import CardinalityValue, Merge, T

        t: Any = self.g
        for vid, (label, props) in vertices.items():
            wired = {k: _long(v) for k, v in props.items()}
            t = (t.merge_v({T.id: vid}).option(Merge.on_create, {T.label: label, **wired})
                 .option(Merge.on_match, {k: CardinalityValue.single(v) for k, v in wired.items()}))
        t.id_().next()

    @_retrying(_reconnect)
    def write_edges(self, edges: dict[str, tuple[str, str, str, dict[str, Any]]]) -> None:
        from gremlin_python.process.traversal import Direction, Merge, T

        t: Any = self.g
        for eid, (label, out_id, in_id, props) in edges.items():
            wired = {k: _long(v) for k, v in props.items()}
            t = (t.merge_e({T.id: eid, T.label: label, Direction.OUT: out_id, Direction.IN: in_id})
                 .option(Merge.on_create, wired).option(Merge.on_match, wired))
        t.id_().next()


class GraphWorkerContext:
    """(d) graphworker through its public API: one GraphWorker and one GraphClient per context."""

    def __init__(self, url: str) -> None:
        from framework.client import GraphClient
        from framework.config import GraphConfig
        from framework.upserts import Edge, Vertex
        from framework.worker import GraphWorker

        self.client = GraphClient(GraphConfig.from_env(endpoint=url, tls=False))
        self.worker = GraphWorker(service="peers-bench", client=lambda: self.client)

        @self.worker.upserts()
        def to_graph(body: dict[str, Any]) -> Iterator[Vertex | Edge]:
            pay = payment_from_json(body)
            yield Vertex(id=pay.account.id, label=pay.account.label, props=pay.account.props)
            yield Vertex(id=pay.merchant.id, label=pay.merchant.label, props=pay.merchant.props)
            yield Edge(label=pay.edge.label, from_id=pay.account.id, to_id=pay.merchant.id, props=pay.edge.props,
                       id=pay.edge.id)

    async def warm_up(self) -> None:
        from gremlin_python.process.anonymous_traversal import traversal
        from gremlin_python.structure.graph import Graph

        await self.client.submit(traversal().with_graph(Graph()).inject(1), expect=1)

    async def close(self) -> None:
        await self.client.close()

    async def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        from gwlocal.lambda_events import LocalLambdaContext

        return dict(await self.worker.process(event, LocalLambdaContext(timeout_s=120)))


CONTENDERS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "blog": ("blog: fold/coalesce per message", BlogContext),
    "connect-per-invocation": ("connect per invocation", ConnectPerInvocationContext),
    "batched": ("hand-written batched mergeV/E", BatchedContext),
    "graphworker": ("graphworker", GraphWorkerContext),
}
BASELINE = "batched"


def _run_sync(contexts: list[Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """N threads, each an execution context taking the next batch when free."""
    work: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
    for event in events:
        work.put(event)
    responses: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def loop(ctx: Any) -> None:
        try:
            while True:
                try:
                    event = work.get_nowait()
                except queue.Empty:
                    return
                responses.append(ctx.handle(event))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=loop, args=(ctx,), name=f"context-{i}") for i, ctx in enumerate(contexts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return responses


async def _run_async(contexts: list[Any], events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """N asyncio tasks, each an execution context taking the next batch when free."""
    work = iter(events)
    responses: list[dict[str, Any]] = []

    async def loop(ctx: Any) -> None:
        for event in work:
            responses.append(await ctx.handle(event))

    await asyncio.gather(*(loop(ctx) for ctx in contexts))
    return responses


def contender_main(argv: Sequence[str] | None = None,
                   registry: dict[str, tuple[str, Callable[[str], Any]]] | None = None) -> int:
    """One contender process: build the events, warm up, say READY, wait for GO, run, report.

    The report goes to the original stdout; stdout itself is pointed at /dev/null first, so what
    the contender logs there (graphworker's EMF metrics, Powertools logs) costs what it costs in
    Lambda without mixing into the report.
    """
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--contexts", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false")
    args = parser.parse_args(argv)
    report = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    factory = (registry or CONTENDERS)[args.name][1]
    events = sqs_events(build_workload(args.seed, args.messages, args.batch_size))
    contexts = [factory(args.url) for _ in range(args.contexts)]
    is_async = asyncio.iscoroutinefunction(contexts[0].handle)
    profiler = None
    if args.profile is not None:
        import cProfile

        profiler = cProfile.Profile()

    def start_clock() -> tuple[float, float]:
        """Everything is built and connected: freeze it out of the collector, say READY, wait for GO."""
        if args.gc_freeze:
            gc.collect()
            gc.freeze()
        report.write("READY\n")
        if sys.stdin.readline().strip() != "GO":  # blocks the loop too, while nothing runs on it
            raise SystemExit("no GO from the orchestrator")
        if profiler is not None:
            profiler.enable()
        return time.process_time(), time.perf_counter()

    def stop_clock(started: tuple[float, float], responses: list[dict[str, Any]]) -> dict[str, Any]:
        cpu, wall = time.process_time() - started[0], time.perf_counter() - started[1]
        if profiler is not None:
            profiler.disable()
        failed = sum(len(r.get("batchItemFailures", [])) for r in responses)
        return {"wall_s": wall, "cpu_s": cpu, "batches": len(responses), "failed_messages": failed}

    if is_async:
        async def main() -> dict[str, Any]:
            for ctx in contexts:
                await ctx.warm_up()
            started = start_clock()
            result = stop_clock(started, await _run_async(contexts, events))
            for ctx in contexts:
                await ctx.close()
            return result

        result = asyncio.run(main())
    else:
        for ctx in contexts:
            ctx.warm_up()
        started = start_clock()
        result = stop_clock(started, _run_sync(contexts, events))
        for ctx in contexts:
            ctx.close()
    if profiler is not None:
        profiler.dump_stats(str(args.profile))
    report.write(json.dumps(result) + "\n")
    report.close()
    return 0


# ----------------------------------------------------------------------------------------------
# orchestrator
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Regime:
    contexts: int
    latency_ms: float
    messages: int

    @classmethod
    def parse(cls, text: str) -> Regime:
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise argparse.ArgumentTypeError(f"expected CONTEXTS:LATENCY_MS[:MESSAGES], got {text!r}")
        try:
            contexts, latency = int(parts[0]), float(parts[1])
            messages = int(parts[2]) if len(parts) == 3 else 1000 * contexts
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected CONTEXTS:LATENCY_MS[:MESSAGES], got {text!r}") from None
        if contexts < 1 or latency < 0 or messages < 1:
            raise argparse.ArgumentTypeError(f"contexts and messages must be >= 1, latency >= 0: {text!r}")
        return cls(contexts, latency, messages)

    def title(self, batch_size: int) -> str:
        return (f"{self.contexts} execution context{'s' if self.contexts > 1 else ''}, "
                f"{self.latency_ms:g} ms per request, {self.messages} messages in SQS batches of {batch_size}")


DEFAULT_REGIMES = (Regime(1, 20.0, 1000), Regime(4, 5.0, 4000))


@dataclass(frozen=True)
class ContenderSpec:
    """How to start a contender process: ``script`` is run with ``--contender NAME ...``."""

    name: str
    label: str
    script: Path = THIS


@dataclass
class Row:
    contender: str
    label: str
    messages: int
    wall_s: float
    cpu_s: float
    requests: int
    in_flight_max: int
    failed_messages: int
    problems: list[str]

    @property
    def msgs_per_s(self) -> float:
        return self.messages / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def requests_per_msg(self) -> float:
        return self.requests / self.messages

    @property
    def cpu_us_per_msg(self) -> float:
        return self.cpu_s / self.messages * 1e6

    @property
    def ok(self) -> bool:
        return not self.problems and self.failed_messages == 0


class EndpointProcess:
    """``graphworker gremlin-server`` in its own process on a free port."""

    def __init__(self, workers: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gwlocal.cli", "gremlin-server", "--port", "0", "--log-level", "WARNING",
             "--workers", str(workers)],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        found = re.search(r":(\d+)/gremlin", line)
        if found is None:
            self.stop()
            raise SystemExit(f"the endpoint did not start: {line!r}")
        self.port = int(found.group(1))
        from gwlocal.gremlin_server.control import ControlClient

        self.control = ControlClient(f"http://127.0.0.1:{self.port}")

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gremlin"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_contender(spec: ContenderSpec, endpoint: EndpointProcess, regime: Regime, *, batch_size: int, seed: int,
                  expected: ExpectedGraph, profile: Path | None = None, gc_freeze: bool = True,
                  timeout_s: float = 900) -> Row:
    endpoint.control.reset(graph=True, stats=True)
    endpoint.control.settings(latency_ms=regime.latency_ms)
    argv = [sys.executable, str(spec.script), "--contender", "--name", spec.name, "--url", endpoint.url,
            "--contexts", str(regime.contexts), "--messages", str(regime.messages), "--batch-size", str(batch_size),
            "--seed", str(seed)]
    if profile is not None:
        argv += ["--profile", str(profile)]
    if not gc_freeze:
        argv.append("--no-gc-freeze")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "NEPTUNE_", "USE_IAM"))}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=errors, text=True)
        assert proc.stdin is not None and proc.stdout is not None
        try:
            line = proc.stdout.readline()
            if line.strip() != "READY":
                raise RuntimeError(f"{spec.name} did not start ({line!r})")
            before = endpoint.control.stats()["requests_total"]
            proc.stdin.write("GO\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            stats = endpoint.control.stats()
            proc.wait(timeout=timeout_s)
            if not line.strip():
                raise RuntimeError(f"{spec.name} ended without a report (exit {proc.returncode})")
            result = json.loads(line)
        except BaseException:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            errors.seek(0)
            tail = errors.read()[-3000:]
            print(f"--- {spec.name} stderr ---\n{tail}", file=sys.stderr)
            raise
        errors.seek(0)
        stderr_tail = errors.read()[-600:]
    vertices, edges = read_graph(endpoint.url)
    problems = check_graph(expected, vertices, edges)
    if result["failed_messages"] and stderr_tail:
        problems.append(f"contender stderr: {stderr_tail}")
    return Row(contender=spec.name, label=spec.label, messages=regime.messages, wall_s=result["wall_s"],
               cpu_s=result["cpu_s"], requests=int(stats["requests_total"]) - int(before),
               in_flight_max=int(stats.get("in_flight_max", 0)), failed_messages=int(result["failed_messages"]),
               problems=problems)


def run_regime(regime: Regime, specs: Sequence[ContenderSpec], *, endpoint: EndpointProcess, batch_size: int,
               seed: int, profile_dir: Path | None = None, gc_freeze: bool = True,
               on_row: Callable[[Row], None] | None = None) -> list[Row]:
    expected = expected_graph(build_workload(seed, regime.messages, batch_size))
    rows = []
    for spec in specs:
        profile = None
        if profile_dir is not None:
            profile_dir.mkdir(parents=True, exist_ok=True)
            profile = profile_dir / f"{spec.name}-{regime.contexts}ctx-{regime.latency_ms:g}ms.prof"
        row = run_contender(spec, endpoint, regime, batch_size=batch_size, seed=seed, expected=expected,
                            profile=profile, gc_freeze=gc_freeze)
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def format_table(regime: Regime, rows: Sequence[Row], batch_size: int, baseline: str = BASELINE) -> str:
    base = next((r for r in rows if r.contender == baseline), None)
    width = max([32, *(len(r.label) for r in rows)])
    head = (f"{'contender':<{width}} {'msgs/s':>9} {'req/msg':>8} {'CPU us/msg':>11} {'in flight':>9} "
            f"{'msgs/s vs ' + baseline:>18} {'CPU vs ' + baseline:>15}  graph")
    lines = [regime.title(batch_size), head, "-" * len(head)]
    for row in rows:
        speed = f"{row.msgs_per_s / base.msgs_per_s:.2f}x" if base and base.msgs_per_s else "-"
        cpu = f"{row.cpu_us_per_msg / base.cpu_us_per_msg:.2f}x" if base and base.cpu_us_per_msg else "-"
        verdict = "ok" if row.ok else f"FAILED ({row.failed_messages} failed messages, {len(row.problems)} problems)"
        lines.append(f"{row.label:<{width}} {row.msgs_per_s:>9.1f} {row.requests_per_msg:>8.3f} "
                     f"{row.cpu_us_per_msg:>11.0f} {row.in_flight_max:>9d} {speed:>18} {cpu:>15}  {verdict}")
    for row in rows:
        for problem in row.problems[:5]:
            lines.append(f"  {row.contender}: {problem}")
        if len(row.problems) > 5:
            lines.append(f"  {row.contender}: ... {len(row.problems) - 5} more problems")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--contender"]:
        return contender_main(argv[1:])
    parser = argparse.ArgumentParser(
        description="graphworker against the blog pattern, connect-per-invocation and hand-written batched "
                    "gremlinpython, side by side on one local endpoint process.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--regime", type=Regime.parse, action="append", metavar="CONTEXTS:LATENCY_MS[:MESSAGES]",
                        help="execution contexts, endpoint latency per request and messages; repeatable "
                             "(default: 1:20:1000 and 4:5:4000)")
    parser.add_argument("--batch-size", type=int, default=100, help="messages per SQS batch")
    parser.add_argument("--seed", type=int, default=11, help="seed of the messages")
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help=f"comma-separated, from: {', '.join(CONTENDERS)}")
    parser.add_argument("--endpoint-workers", type=int, default=64, help="requests the endpoint executes at once")
    parser.add_argument("--profile-dir", type=Path,
                        help="write a cProfile of each contender's timed section here (slows the contenders)")
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false",
                        help="leave the run's pre-built events (and everything else made before the clock starts) "
                             "to the garbage collector instead of gc.freeze()-ing them")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.contenders.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONTENDERS]
    if unknown:
        parser.error(f"unknown contender(s): {', '.join(unknown)}")
    specs = [ContenderSpec(n, CONTENDERS[n][0]) for n in names]
    regimes = args.regime or list(DEFAULT_REGIMES)
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    print(f"peers benchmark on {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f} at start; seed {args.seed}", flush=True)
    endpoint = EndpointProcess(args.endpoint_workers)
    results: list[dict[str, Any]] = []
    ok = True
    try:
        for regime in regimes:
            rows = run_regime(regime, specs, endpoint=endpoint, batch_size=args.batch_size, seed=args.seed,
                              profile_dir=args.profile_dir, gc_freeze=args.gc_freeze,
                              on_row=lambda r: print(f"  {r.contender}: {r.msgs_per_s:.0f} msgs/s", flush=True))
            print("\n" + format_table(regime, rows, args.batch_size), flush=True)
            ok &= all(r.ok for r in rows)
            results.append({"regime": asdict(regime), "batch_size": args.batch_size,
                            "rows": [{**asdict(r), "msgs_per_s": r.msgs_per_s,
                                      "requests_per_msg": r.requests_per_msg,
                                      "cpu_us_per_msg": r.cpu_us_per_msg} for r in rows]})
    finally:
        endpoint.stop()
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    if not ok:
        print("\nGRAPH CHECK FAILED for at least one contender (see above)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
