"""The ``graphworker`` command line: local tooling around the framework.

Subcommands live in their own modules; this file only wires argparse to them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .dashboard import cli as dashboard_cli
from .gremlin_server import cli as gremlin_server_cli
from .local import cli as local_cli
from .tombstones import cli as tombstones_cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphworker",
        description="graphworker local tooling: run the pipeline and its stand-ins on one machine.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    local_cli.register(sub)
    gremlin_server_cli.register(sub)
    dashboard_cli.register(sub)
    tombstones_cli.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
