"""``graphworker local``: the main job. Every option is documented in ``--help``."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Any

from .chaos import CHAOS, CHAOS_FAILOVER_EVERY_S, CHAOS_IDLE_TIMEOUT_S
from .loadgen import HANDLERS
from .options import LocalOptions
from .sqs_servers import SQS_SERVERS

SOAK_MESSAGES = 50_000
SOAK_RSS_GROWTH_PCT = 10.0
SCENARIO_MESSAGES = 1200
SCENARIO_RATE = 40.0
"""A scenario's default load: 30 s of sending, longer than the scenario's default 5 + 20 s."""
SOAK_MAX_DURATION_S = 900.0
SOAK_WAVES = 10
"""A soak's load comes in waves with lulls between them longer than --chaos's idle timeout, so
idle connections are closed by the endpoint and reopened by the framework along the way."""
SOAK_CONCURRENCY = 2
"""Execution contexts of a soak: at full speed under --chaos, two keep lock conflicts within what
the framework's default retry budget absorbs (see the README's soak section)."""


def register(sub: Any) -> None:
    d = LocalOptions()
    p: argparse.ArgumentParser = sub.add_parser(
        "local",
        help="run the whole pipeline locally: SQS -> Lambda-like handler -> Gremlin endpoint, with a report",
        description=(
            "Run graphworker end to end on this machine, no AWS account and no Docker: a local SQS server "
            "(fauxqs, or moto's; a queue and a DLQ wired by a redrive policy), a local event source mapping "
            "that invokes a real handler in N execution contexts like Lambda, and the local Neptune-compatible Gremlin "
            "endpoint. Sends a load, shows progress, and ends with a report that checks the graph holds "
            "exactly what the valid messages asked for. Exit status 0 when the report is green."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--handler", default=d.handler,
                   help=f"built-in example handler ({', '.join(HANDLERS)}) or a module path defining one "
                        "GraphWorker (use with --from-file)")
    p.add_argument("--messages", type=int, default=d.messages, help="messages to send (built-in load)")
    p.add_argument("--rate", type=float, default=argparse.SUPPRESS,
                   help=f"messages sent per second, 0: as fast as SQS takes them (default: {d.rate:g}; 0 with --soak)")
    p.add_argument("--from-file", type=Path, help="send these JSON lines as message bodies instead")
    p.add_argument("--poison-rate", type=float, default=d.poison_rate,
                   help="share of poison messages in the built-in load (they must end in the DLQ)")
    p.add_argument("--duplicate-rate", type=float, default=d.duplicate_rate,
                   help="share of duplicates (an earlier body sent again) in the built-in load")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="event source mapping BatchSize")
    p.add_argument("--batching-window-s", type=float, default=d.batching_window_s,
                   help="MaximumBatchingWindowInSeconds: how long to gather a batch after its first message")
    p.add_argument("--concurrency", type=int, default=argparse.SUPPRESS,
                   help="ScalingConfig.MaximumConcurrency: concurrent invocations (= execution contexts) "
                        f"(default: {d.concurrency}; {SOAK_CONCURRENCY} with --soak)")
    p.add_argument("--function-timeout-s", type=float, default=d.function_timeout_s,
                   help="the function timeout: each invocation's Lambda context deadline")
    p.add_argument("--deadline-margin-s", type=float, default=d.deadline_margin_s,
                   help="GRAPHWORKER_DEADLINE_MARGIN_S for the handler (unless already set in the environment)")
    p.add_argument("--visibility-timeout-s", type=int, default=d.visibility_timeout_s,
                   help="queue visibility timeout: failed messages reappear after it (AWS advises 6x the "
                        "function timeout; the local default is short so redeliveries happen within the run)")
    p.add_argument("--max-receive-count", type=int, default=d.max_receive_count,
                   help="redrive policy: receives before SQS moves a message to the DLQ")
    p.add_argument("--idle-recycle-s", type=float, default=d.idle_recycle_s,
                   help="recycle an execution context idle this long (next invocation is a cold start)")
    p.add_argument("--max-invocations", type=int, default=d.max_invocations,
                   help="recycle an execution context after this many invocations (0: never)")
    p.add_argument("--fifo", action="store_true", help="use a FIFO queue (message groups keep their order)")
    p.add_argument("--scenario", choices=("overload", "outage"),
                   help="make the database push back mid-run: overload (capacity drops: 1 worker, a queue of 4 "
                        "beyond which requests are throttled, latency rising 10 -> 60 ms) or outage (every request "
                        "throttled, or --outage-mode down); GREEN only with no valid message in the DLQ. Defaults "
                        "to 1,200 messages at 40/s so the load outlasts the scenario")
    p.add_argument("--scenario-start-s", type=float, default=d.scenario_start_s,
                   help="seconds after the start when the scenario begins (default 5)")
    p.add_argument("--scenario-duration-s", type=float, default=d.scenario_duration_s,
                   help="how long the overload or outage lasts (default 20; try 60)")
    p.add_argument("--outage-mode", choices=("throttle", "down"), default=d.outage_mode,
                   help="outage: throttle every request, or down: close connections and refuse new ones (HTTP 503)")
    p.add_argument("--out-of-order", action="store_true",
                   help="send histories: several versions of the same elements (identity: users observed six "
                        "times with new names, emails unlinked and relinked; transactions: posted, settled or "
                        "disputed, sometimes reversed), shuffled, so older versions often arrive after newer "
                        "ones; the graph check proves the graph converged to the newest state, values included")
    p.add_argument("--sqs", choices=SQS_SERVERS, default=d.sqs,
                   help="the local SQS server to start: fauxqs (npm, fast; installed by `npm ci --prefix "
                        "gwlocal/local/fauxqs`) or moto (slow past a few hundred queued messages, consumers "
                        "serialized)")
    p.add_argument("--soak", type=int, nargs="?", const=SOAK_MESSAGES, metavar="N",
                   help=f"soak: N messages (default {SOAK_MESSAGES:,}) through --chaos, sent as fast as SQS takes "
                        f"them (--rate 0 unless given) to {SOAK_CONCURRENCY} execution contexts (unless --concurrency "
                        f"is given), in {SOAK_WAVES} waves with lulls longer than the chaos idle timeout, with up to "
                        f"{SOAK_MAX_DURATION_S:g} s to finish; the report's soak figures "
                        "(memory growth, open connections) count towards GREEN as always")
    p.add_argument("--chaos", action="store_true",
                   help=f"turn on the endpoint's faults: {json.dumps(CHAOS)}, a failover every "
                        f"{CHAOS_FAILOVER_EVERY_S:g} s, drops alternating before_execute/after_commit")
    p.add_argument("--iam", action="store_true",
                   help="endpoint requires SigV4 (neptune-db); the framework signs every connection with local "
                        "test credentials set as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the run")
    p.add_argument("--output", type=Path, default=d.output,
                   help="folder for metrics.emf.jsonl, spans.jsonl, endpoint-stats.jsonl, sqs-stats.jsonl, "
                        "handler.log and report.json")
    p.add_argument("--report-json", type=Path, help="also write the report (stable keys, see README) here")
    p.add_argument("--seed", type=int, default=d.seed, help="seed for the load, ids and chaos draws")
    p.add_argument("--gremlin-endpoint", help="use this Gremlin endpoint (ws://host:port/gremlin, a graphworker "
                                              "gremlin-server) instead of starting one")
    p.add_argument("--sqs-endpoint", help="use this SQS endpoint URL (e.g. a running moto server) instead of "
                                          "starting one")
    p.add_argument("--max-duration-s", type=float, default=d.max_duration_s,
                   help="give up (and report not finished) after this long")
    p.add_argument("--max-rss-growth-pct", type=float, default=None,
                   help="RED when the handler process's memory grows more than this percentage. With --soak's "
                        "waves: the memory level (mean RSS over a wave's last second) rises from one wave to the "
                        "next; the smaller of the first and the last half's median rise, times the rises, against "
                        "the first wave's level, so start-up (a first import, a first client, settling in a few "
                        "waves) is not counted and a leak, rising every wave, is; "
                        "without waves: from the first to the last tenth of the run "
                        f"(default: {SOAK_RSS_GROWTH_PCT:g} with --soak, no limit otherwise: a short run's growth "
                        "is warm-up, not a leak)")
    p.add_argument("--no-progress", action="store_true", help="do not print the progress line")
    p.add_argument("--no-dashboard", action="store_true",
                   help="do not draw the local dashboard (HTML + PNGs in OUTPUT/dashboard) at the end")
    p.add_argument("--no-dashboard-png", action="store_true",
                   help="draw the dashboard's HTML page but not its PNG images (saves a few seconds)")
    p.set_defaults(run=run)


def options_from_args(args: argparse.Namespace) -> LocalOptions:
    d = LocalOptions()
    rate, concurrency = getattr(args, "rate", None), getattr(args, "concurrency", None)
    if args.soak is not None and args.max_rss_growth_pct is None:
        args.max_rss_growth_pct = SOAK_RSS_GROWTH_PCT
    if args.soak is not None:
        if args.soak < 1:
            raise SystemExit("graphworker local: --soak takes a number of messages >= 1")
        args.messages, args.chaos = args.soak, True
        rate = 0.0 if rate is None else rate
        concurrency = SOAK_CONCURRENCY if concurrency is None else concurrency
        args.max_duration_s = max(args.max_duration_s, SOAK_MAX_DURATION_S)
    if args.scenario is not None:  # a load that outlasts the scenario, unless said otherwise
        if args.messages == d.messages:
            args.messages = SCENARIO_MESSAGES
        rate = SCENARIO_RATE if rate is None else rate
        args.max_duration_s = max(args.max_duration_s, args.scenario_start_s + args.scenario_duration_s + 120)
    waves, lull_s = (SOAK_WAVES, CHAOS_IDLE_TIMEOUT_S + 0.5) if args.soak is not None else (1, 0.0)
    args.rate = d.rate if rate is None else rate
    args.concurrency = d.concurrency if concurrency is None else concurrency
    return LocalOptions(
        handler=args.handler, messages=args.messages, rate=args.rate, from_file=args.from_file,
        poison_rate=args.poison_rate, duplicate_rate=args.duplicate_rate, batch_size=args.batch_size,
        batching_window_s=args.batching_window_s, concurrency=args.concurrency,
        function_timeout_s=args.function_timeout_s, deadline_margin_s=args.deadline_margin_s,
        visibility_timeout_s=args.visibility_timeout_s, max_receive_count=args.max_receive_count,
        idle_recycle_s=args.idle_recycle_s, max_invocations=args.max_invocations, fifo=args.fifo,
        out_of_order=args.out_of_order, sqs=args.sqs, scenario=args.scenario,
        scenario_start_s=args.scenario_start_s, scenario_duration_s=args.scenario_duration_s,
        outage_mode=args.outage_mode,
        chaos=args.chaos, iam=args.iam, output=args.output, report_json=args.report_json, seed=args.seed,
        gremlin_endpoint=args.gremlin_endpoint, sqs_endpoint=args.sqs_endpoint,
        max_duration_s=args.max_duration_s, max_rss_growth_pct=args.max_rss_growth_pct, waves=waves, lull_s=lull_s,
        progress=not args.no_progress,
        dashboard=not args.no_dashboard, dashboard_pngs=not args.no_dashboard_png,
    )


def run(args: argparse.Namespace) -> int:
    from .processes import ChildServerError
    from .runner import LocalRun  # heavy imports only when the command runs (fast --help and start-up)
    from .sqs_servers import StandInMissing

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("gremlinpython").setLevel(logging.CRITICAL)
    try:
        report = asyncio.run(LocalRun(options_from_args(args)).run())
    except (StandInMissing, ChildServerError) as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ngraphworker local: interrupted; the local servers were stopped", file=sys.stderr)
        return 130
    print()
    print_report(report)
    return 0 if report["ok"] else 1


def print_report(r: dict[str, Any]) -> None:
    check = r["graph_check"]
    lat, inv, rss = r["latency_ms"], r["invocation_ms"], r["handler_rss_mb"]
    rows = [
        ("messages sent", f"{r['messages_sent']} ({r['valid_messages']} valid, {r['poison_sent']} poison, "
                          f"{r['duplicates_sent']} duplicates)"),
        ("committed", r["committed"]),
        ("failed (not committed)", r["failed"]),
        ("in DLQ", f"{r['in_dlq']} (poison in DLQ: {r['poison_in_dlq']}/{r['poison_sent']}, valid messages in "
                   f"DLQ: {r['valid_in_dlq']})"),
        ("lost valid messages", r["lost"]),
        ("duplicates absorbed", r["duplicates_absorbed"]),
        ("graph", f"{r['vertices']} vertices, {r['edges']} edges"),
        ("gremlin requests", f"{r['gremlin_requests']} ({r['requests_per_message']} per committed message)"),
        ("throughput", f"{r['throughput_msg_s']} committed msg/s (first send to last commit); per tenth of "
                       f"the run: {' '.join(f'{x:g}' for x in r['throughput_over_time'])}"),
        ("message latency ms", f"p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  (oldest message reached "
                               f"{r['max_message_age_s']} s)"),
        ("invocation ms", f"p50 {inv['p50']}  p95 {inv['p95']}  p99 {inv['p99']}"),
        ("invocations", f"{r['invocations']} ({r['cold_starts']} cold starts, {r['contexts_recycled']} recycled, "
                        f"{r['failed_invocations']} failed)"),
        ("conflicts / retries / reconnects", f"{r['conflicts']} / {r['retries']} / {r['reconnects']}"),
        ("handler memory (RSS MB)", f"peak {rss['peak']}  final {rss['final']}  first tenth {rss['first_10pct']}  "
                                    f"last tenth {rss['last_10pct']}  growth {rss['growth_pct']}% "
                                    + (f"(steady rise per wave from wave 1's level {rss['baseline']}; levels "
                                       f"{' '.join(f'{x:g}' for x in rss['wave_levels'])})"
                                       if rss["baseline_from"] == "wave_1" else "(first to last tenth)")),
        ("open connections at end", r["open_connections_at_end"]),
        ("graph check", f"{'OK' if check['ok'] else 'FAILED'}: expected {check['expected']}, found "
                        f"{check['found']}, missing {check['missing']}, unexpected {check['unexpected']}, "
                        f"duplicates {check['duplicates']}; {check['values_checked']} property values checked, "
                        f"{check['value_mismatches']} wrong" + (f", {check['ambiguous_properties']} ambiguous "
                        "(unversioned, order-dependent)" if check["ambiguous_properties"] else "")),
        ("duration", f"{r['duration_s']} s (pipeline {r['pipeline_s']} s)" + ("" if r["finished"] else
                                                                             " (did not finish)")),
        ("output", r["output_dir"]),
    ]
    if "dashboard" in r:
        fired = ", ".join(r["dashboard"]["alarms_fired"]) or "none"
        rows.append(("dashboard", f"{r['dashboard']['html']} (alarms that would have fired: {fired})"))
    if r["iam"]:
        sig = r["sigv4_signing_ms"]
        rows.insert(-3, ("SigV4 signing ms", f"p50 {sig['p50']}  p95 {sig['p95']}  p99 {sig['p99']}"))
    width = max(len(k) for k, _ in rows)
    print(f"graphworker local report: {'GREEN' if r['ok'] else 'RED'}")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
