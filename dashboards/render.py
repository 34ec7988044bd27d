"""``python -m dashboards.render``: regenerate the generated blocks of ``template.yaml``.

::

    python -m dashboards.render --write    # rewrite template.yaml's generated blocks
    python -m dashboards.render --check    # exit 1 when template.yaml is out of date
    python -m dashboards.render --body     # print the dashboard body with parameter defaults

Run ``--write`` after changing the metric catalog, :mod:`dashboards.layout`,
:mod:`dashboards.alarms` or :mod:`dashboards.deployment`; CI runs the check through the tests.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import cloudwatch
from .template import render_template

TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"


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
    group.add_argument("--write", action="store_true", help="rewrite the generated blocks of the template")
    group.add_argument("--check", action="store_true", help="exit 1 when the template is out of date")
    group.add_argument("--body", action="store_true", help="print the dashboard body (example values)")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="path to template.yaml")
    args = parser.parse_args(argv)
    if args.body:
        print(cloudwatch.resolve(cloudwatch.dashboard_body(), example_values()))
        return 0
    current = args.template.read_text()
    rendered = render_template(current)
    if args.check:
        if rendered != current:
            print(f"{args.template} is out of date: run python -m dashboards.render --write", file=sys.stderr)
            return 1
        print(f"{args.template} is up to date")
        return 0
    if rendered != current:
        args.template.write_text(rendered)
        print(f"wrote {args.template}")
    else:
        print(f"{args.template} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
