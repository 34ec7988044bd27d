"""``graphworker dashboard OUTPUT_DIR``: draw a local run's dashboard (HTML page and PNGs)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dashboards.alarms import Thresholds


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "dashboard",
        help="draw the CloudWatch dashboard from a local run's output folder (HTML + PNG)",
        description=(
            "Read a local run's output folder (metrics.emf.jsonl, spans.jsonl, endpoint-stats.jsonl, "
            "sqs-stats.jsonl, report.json) and draw the same widgets as the deployed CloudWatch "
            "dashboard: a self-contained HTML page (no network needed) and one PNG per chart, with the "
            "alarm thresholds drawn and the alarms that would have fired marked."
        ),
    )
    p.add_argument("run_dir", type=Path, metavar="OUTPUT_DIR", help="the local run's output folder")
    p.add_argument("--out", type=Path, help="where to write the dashboard (default: OUTPUT_DIR/dashboard)")
    p.add_argument("--no-png", action="store_true", help="write the HTML page only")
    p.add_argument("--threshold", action="append", default=[], metavar="PARAMETER=VALUE",
                   help="override an alarm threshold by its template parameter name, e.g. "
                        "ConflictRateAlarmPercent=2 (repeatable; defaults are the template's)")
    p.set_defaults(run=run)


def _thresholds(pairs: list[str]) -> Thresholds:
    from dashboards.alarms import Thresholds

    overrides: dict[str, float] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            if not sep:
                raise ValueError
            overrides[name.strip()] = float(value)
        except ValueError:
            raise SystemExit(f"graphworker dashboard: --threshold wants PARAMETER=NUMBER, got {pair!r}") from None
    try:
        return Thresholds().with_overrides(overrides)
    except KeyError as exc:
        raise SystemExit(f"graphworker dashboard: {exc.args[0]}") from None


def run(args: argparse.Namespace) -> int:
    from .output import render_dashboard  # heavy imports only when the command runs (fast --help)

    if not args.run_dir.is_dir():
        raise SystemExit(f"graphworker dashboard: {args.run_dir} is not a directory")
    output = render_dashboard(args.run_dir, args.out, pngs=not args.no_png, thresholds=_thresholds(args.threshold))
    for warning in output.dashboard.run.warnings:
        print(f"warning: {warning}")
    fired = output.fired
    print(f"{len(fired)} alarm(s) would have fired" + (f": {', '.join(fired)}" if fired else ""))
    if output.pngs:
        print(f"{len(output.pngs)} PNG charts in {output.pngs[0].parent}")
    print(f"dashboard: {output.html}")
    return 0
