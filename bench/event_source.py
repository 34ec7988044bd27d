"""Benchmark: what the event source's BatchSize and MaximumConcurrency buy, to choose the template's defaults.

Run: ``.venv/bin/python bench/event_source.py``. The graphworker contender of ``bench/peers.py``
(the same seeded payment messages, 2 vertices + 1 edge each, through ``GraphWorker.process``)
runs once per (BatchSize, execution contexts) pair, each in its own process, against one
``graphworker gremlin-server`` process with a fixed per-request latency standing in for the
Lambda -> Neptune round trip (20 ms: a busy writer). The graph is read back and checked by
value after every run. Printed side by side: msgs/s, requests per message, client CPU per
message, the time one invocation takes (the batch's time in flight, which the function timeout
and the redelivery of a failed invocation scale with) and msgs/s against BatchSize 10 at the
same concurrency.

Not modelled: Lambda's own cost per invocation (the poller, the invoke; milliseconds per batch),
which only makes small batches look worse than here; and the batching window, which matters at
low traffic (a batch waits up to the window to fill) and not at all in a backlog, the case
measured here.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import ContenderSpec, EndpointProcess, Regime, Row, build_workload, expected_graph, run_contender


def _ints(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def format_table(latency_ms: float, results: Sequence[tuple[int, int, Row]]) -> str:
    """One row per (contexts, BatchSize); the ratio is against the smallest BatchSize at those contexts."""
    head = (f"{'contexts':>8} {'BatchSize':>9} {'msgs/s':>9} {'req/msg':>8} {'CPU us/msg':>11} "
            f"{'ms/invocation':>13} {'msgs/s vs smallest':>19}  graph")
    lines = [f"graphworker by event source settings, {latency_ms:g} ms per request", head, "-" * len(head)]
    for contexts in sorted({c for c, _, _ in results}):
        rows = sorted(((b, r) for c, b, r in results if c == contexts), key=lambda item: item[0])
        base = rows[0][1].msgs_per_s
        for batch_size, row in rows:
            per_invocation_ms = batch_size * contexts / row.msgs_per_s * 1000 if row.msgs_per_s else 0.0
            ratio = f"{row.msgs_per_s / base:.2f}x" if base else "-"
            verdict = "ok" if row.ok else f"FAILED ({row.failed_messages} failed, {len(row.problems)} problems)"
            lines.append(f"{contexts:>8} {batch_size:>9} {row.msgs_per_s:>9.1f} {row.requests_per_msg:>8.3f} "
                         f"{row.cpu_us_per_msg:>11.0f} {per_invocation_ms:>13.1f} {ratio:>19}  {verdict}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--batch-sizes", type=_ints, default=[10, 50, 100, 200, 500],
                        help="SQS BatchSize values, comma-separated")
    parser.add_argument("--contexts", type=_ints, default=[1, 4],
                        help="concurrent execution contexts (MaximumConcurrency), comma-separated")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="endpoint latency per request")
    parser.add_argument("--messages-per-context", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(f"event source benchmark on {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {load:.2f} at start; seed {args.seed}", flush=True)
    spec = ContenderSpec("graphworker", "graphworker")
    endpoint = EndpointProcess(64)
    results: list[tuple[int, int, Row]] = []
    try:
        for contexts in args.contexts:
            regime = Regime(contexts, args.latency_ms, args.messages_per_context * contexts)
            for batch_size in args.batch_sizes:
                expected = expected_graph(build_workload(args.seed, regime.messages, batch_size))
                row = run_contender(spec, endpoint, regime, batch_size=batch_size, seed=args.seed, expected=expected)
                print(f"  {contexts} context(s), BatchSize {batch_size}: {row.msgs_per_s:.0f} msgs/s", flush=True)
                results.append((contexts, batch_size, row))
    finally:
        endpoint.stop()
    print("\n" + format_table(args.latency_ms, results), flush=True)
    if not all(row.ok for _, _, row in results):
        print("\nGRAPH CHECK FAILED for at least one run (see above)", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
