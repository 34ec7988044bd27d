"""``python -m dashboards.render``: regenerate the generated blocks of ``template.yaml`` (and the
README's alarm table).

::

    python -m dashboards.render --write    # rewrite template.yaml's generated blocks and the README table
    python -m dashboards.render --check    # exit 1 when either is out of date
    python -m dashboards.render --body     # print the dashboard body with example values

Run ``--write`` after changing the metric catalog, :mod:`dashboards.layout`,
:mod:`dashboards.alarms` or :mod:`dashboards.deployment`; CI runs the check through the tests.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from . import cloudwatch, readme
from .template import render_template

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"
README = TEMPLATE.parent / "README.md"


def example_values() -> dict[str, str]:
    """Values for the dashboard body's placeholders: threshold defaults and example resource names."""
    from . import alarms
    from .deployment import CLUSTER_PARAMETER, FUNCTIONS, NAMESPACE_PARAMETER

    values = {
        "AWS::Region": "us-east-1",
        NAMESPACE_PARAMETER: "graphworker",
        CLUSTER_PARAMETER: "my-neptune-cluster",
    }
    for fn in FUNCTIONS:
        values[fn.logical_id] = f"graphworker-{fn.logical_id}-EXAMPLE"
        values[f"{fn.queue}.QueueName"] = f"graphworker-{fn.queue}-EXAMPLE"
        values[f"{fn.dlq}.QueueName"] = f"graphworker-{fn.dlq}-EXAMPLE"
    for alarm in alarms.ALARMS:
        values[alarm.parameter] = repr(alarm.default)
    for name in cloudwatch.placeholders(cloudwatch.dashboard_body()):
        if name.endswith(".Arn"):
            values[name] = f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name.removesuffix('.Arn')}"
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboards.render", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="rewrite the generated blocks (template and README table)")
    group.add_argument("--check", action="store_true", help="exit 1 when either is out of date")
    group.add_argument("--body", action="store_true", help="print the dashboard body (example values)")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="path to template.yaml")
    parser.add_argument("--readme", type=Path, default=README, help="path to README.md (skipped if missing)")
    args = parser.parse_args(argv)
    if args.body:
        print(cloudwatch.resolve(cloudwatch.dashboard_body(), example_values()))
        return 0
    targets: list[tuple[Path, Callable[[str], str]]] = [(args.template, render_template)]
    if args.readme.exists():
        targets.append((args.readme, readme.with_table))
    stale = []
    for path, render in targets:
        current = path.read_text()
        rendered = render(current)
        if rendered == current:
            continue
        stale.append(path)
        if args.write:
            path.write_text(rendered)
            print(f"wrote {path}")
    if args.check and stale:
        print(f"out of date: {', '.join(map(str, stale))}: run python -m dashboards.render --write", file=sys.stderr)
        return 1
    if not stale:
        print("up to date: " + ", ".join(str(path) for path, _ in targets))
    return 0


if __name__ == "__main__":
    sys.exit(main())
