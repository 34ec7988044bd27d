"""Benchmark: the overload scenario with the adaptive limit on and off, side by side.

Run: ``.venv/bin/python bench/overload.py [--messages 6000] [--rate 250] [--duration-s 20]``.

Each contender is a whole ``graphworker local --scenario overload`` run in its own process (its
own endpoint and SQS processes too), identical but for ``GRAPHWORKER_ADAPTIVE_LIMITS``:

- ``adaptive``: the in-flight limit and the request size follow the database's answers;
- ``fixed``: both stay at their maximum (8 requests in flight per execution context, 200 records).

During the scenario the endpoint runs one request at a time, queues at most 4 and throttles the
rest (Neptune's queue limit), with a per-request latency rising from 10 to 60 ms. Printed per
contender: goodput (committed msg/s over the run), message latency p50/p99, retry amplification
(Gremlin request attempts per successful request), throttles, valid messages in the DLQ, the
lowest in-flight limit, and whether the run was GREEN; with ratios against ``fixed``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTENDERS = {"adaptive": "true", "fixed": "false"}


def run(name: str, args: argparse.Namespace, scratch: Path) -> dict[str, object]:
    report = scratch / f"{name}.json"
    env = dict(os.environ, GRAPHWORKER_ADAPTIVE_LIMITS=CONTENDERS[name])
    command = [sys.executable, "-m", "gwlocal.cli", "local", "--scenario", "overload", "--no-progress",
               "--no-dashboard", "--messages", str(args.messages), "--rate", str(args.rate),
               "--scenario-duration-s", str(args.duration_s), "--seed", str(args.seed),
               "--output", str(scratch / name), "--report-json", str(report)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if not report.exists():
        raise SystemExit(f"{name}: the run did not finish:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    data: dict[str, object] = json.loads(report.read_text())
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--rate", type=float, default=250.0, help="messages sent per second")
    parser.add_argument("--duration-s", type=float, default=20.0, help="how long the overload lasts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="graphworker-overload-") as scratch:
        for name in CONTENDERS:
            rows[name] = run(name, args, Path(scratch))
    print(f"overload scenario: {args.messages} messages at {args.rate:g}/s, {args.duration_s:g} s of overload; "
          "each contender a whole `graphworker local` run in its own process")
    header = (f"{'contender':<10} {'goodput':>8} {'p50 ms':>8} {'p99 ms':>8} {'attempts/ok':>12} {'throttles':>10} "
              f"{'valid DLQ':>10} {'min limit':>10} {'result':>7} {'x goodput':>10} {'x p99':>7}")
    print(header)
    base = rows["fixed"]
    for name, r in rows.items():
        goodput = float(r["throughput_msg_s"])  # type: ignore[arg-type]
        latency = r["latency_ms"]
        assert isinstance(latency, dict)
        throttles = sum(int(v) for k, v in dict(r["errors_by_code"]).items()  # type: ignore[call-overload]
                        if k in ("ThrottlingException", "TimeLimitExceededException", "MemoryLimitExceededException"))
        limit = dict(r["in_flight_limit"]).get("min")  # type: ignore[call-overload]
        base_latency = base["latency_ms"]
        assert isinstance(base_latency, dict)
        print(f"{name:<10} {goodput:>8.1f} {latency['p50']:>8.0f} {latency['p99']:>8.0f} "
              f"{r['retry_amplification']!s:>12} {throttles:>10} {r['valid_in_dlq']!s:>10} {limit!s:>10} "
              f"{'GREEN' if r['ok'] else 'RED':>7} {goodput / float(base['throughput_msg_s']):>10.2f} "  # type: ignore[arg-type]
              f"{latency['p99'] / max(base_latency['p99'], 1e-9):>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
