"""Micro-benchmark: building a write request's GraphBinary bytes, generic path against the direct encoder.

Run: ``.venv/bin/python bench/graphbinary_requests.py [--elements 100] [--rounds 7]``.

Contenders, each in its own process, given the same element plans (planned by
``framework.batching.coalesce`` from the same seeded writes):

``generic``
    what graphworker does today: ``framework.traversals.request_traversal(plans)`` builds a
    gremlinpython traversal, ``framework.protocol.GremlinProtocol.encode`` serializes it with
    gremlinpython's GraphBinary writer (timed together, and each half on its own);
``direct``
    ``framework.graphbinary_requests.encode_upsert_request(request_id, plans)``, the same bytes
    (checked here too) written in one pass.

Workloads: the peer benchmark's messages (an account vertex with 5 properties, a merchant with 4,
an edge with 4: every value type) in requests of ``--elements`` elements, and the same with merge
rules (``KeepMax``/``KeepMin``/``AddToSet``) on every vertex. Prints CPU microseconds per element
(``time.process_time``, the best of ``--rounds`` rounds of ``--repeat`` requests) and the ratio.
Numbers are this machine's and noisy when it is busy; the ratio is the point.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from framework.batching import ElementPlan, coalesce
from framework.merge_rules import AddToSet, KeepMax, KeepMin
from framework.upserts import Edge, Vertex, Write

ROOT = Path(__file__).resolve().parent.parent

WORKLOADS = ("plain", "merge-rules")
CONTENDERS = ("generic", "build-only", "serialize-only", "direct")


def plans_for(workload: str, elements: int, seed: int) -> list[ElementPlan]:
    """About ``elements`` plans: messages of 2 vertices + 1 edge, values of every type."""
    rng = random.Random(seed)
    epoch = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)
    messages: list[tuple[str, list[Write]]] = []
    for i in range((elements + 2) // 3):
        at = epoch + dt.timedelta(milliseconds=rng.randrange(10**10))
        account: dict[str, Any] = {"name": rng.choice(["Zoë", "Łukasz", "東京"]), "balance": rng.uniform(0, 1e4),
                                   "active": rng.random() < 0.5, "score": rng.randrange(2**40), "opened": at}
        merchant: dict[str, Any] = {"name": f"shop {i}", "category": "café", "last_seen": at,
                                    "risk": rng.random()}
        if workload == "merge-rules":
            account["first_seen"] = KeepMin(at)
            merchant["last_seen"] = KeepMax(at)
            merchant["tags"] = AddToSet("a", rng.choice(["b", "c"]), 3)
        messages.append((str(i), [
            Vertex(f"acct-{i}", "Account", account),
            Vertex(f"merch-{i}", "Merchant", merchant),
            Edge("PAID", f"acct-{i}", f"merch-{i}", {"amount": rng.uniform(1, 500), "at": at, "currency": "EUR",
                                                   "ref": rng.randrange(2**62)}, id=f"pay-{i}"),
        ]))
    return coalesce(messages).elements[:elements]


def measure(contender: str, workload: str, elements: int, repeat: int, rounds: int, seed: int) -> dict[str, Any]:
    """Run in the contender's own process: best-of-rounds CPU seconds per element."""
    from framework.graphbinary_requests import encode_upsert_request
    from framework.protocol import GremlinProtocol
    from framework.traversals import request_traversal

    plans = plans_for(workload, elements, seed)
    protocol = GremlinProtocol("graphbinary-v1")
    request_id = str(uuid.UUID(int=seed))
    prebuilt = request_traversal(plans).bytecode
    if protocol.encode(request_id, prebuilt) != encode_upsert_request(request_id, plans):
        raise SystemExit("the direct encoder's bytes differ from the generic path's: not comparing")

    def once() -> int:
        if contender == "generic":
            return len(protocol.encode(request_id, request_traversal(plans).bytecode))
        if contender == "build-only":
            return len(request_traversal(plans).bytecode.step_instructions)
        if contender == "serialize-only":
            return len(protocol.encode(request_id, prebuilt))
        return len(encode_upsert_request(request_id, plans))

    once()  # warm caches and imports
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            once()
        best = min(best, time.process_time() - started)
    return {"us_per_element": best / (repeat * len(plans)) * 1e6, "elements": len(plans),
            "request_bytes": len(encode_upsert_request(request_id, plans))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--elements", type=int, default=100, help="elements per request")
    parser.add_argument("--repeat", type=int, default=40, help="requests per round")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (the best one counts)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--run", nargs=2, metavar=("CONTENDER", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:
        print(json.dumps(measure(args.run[0], args.run[1], args.elements, args.repeat, args.rounds, args.seed)))
        return 0
    print(f"GraphBinary request building, CPU us per element (best of {args.rounds} x {args.repeat} requests of "
          f"{args.elements} elements; each contender in its own process)")
    head = (f"{'workload':<12} {'bytes/req':>9} {'generic':>9} {'(build':>8} {'+ serialize)':>12} {'direct':>8} "
            f"{'generic / direct':>17}")
    print(head)
    print("-" * len(head))
    for workload in WORKLOADS:
        results: dict[str, dict[str, Any]] = {}
        for contender in CONTENDERS:
            out = subprocess.run(
                [sys.executable, __file__, "--run", contender, workload, "--elements", str(args.elements),
                 "--repeat", str(args.repeat), "--rounds", str(args.rounds), "--seed", str(args.seed)],
                cwd=ROOT, capture_output=True, text=True, check=True)
            results[contender] = json.loads(out.stdout)
        us = {c: r["us_per_element"] for c, r in results.items()}
        print(f"{workload:<12} {results['direct']['request_bytes']:>9} {us['generic']:>9.2f} {us['build-only']:>8.2f} "
              f"{us['serialize-only']:>12.2f} {us['direct']:>8.2f} {us['generic'] / us['direct']:>16.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
