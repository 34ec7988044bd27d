"""``graphworker purge-tombstones``: the scheduled purge function's work, run by hand.

Kept import-light (``--help`` must be fast): the framework is imported when the command runs.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from typing import Any

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(text: str) -> float:
    """``900``, ``15m``, ``12h`` or ``15d`` as seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected a duration like 3600, 12h or 15d, got {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "purge-tombstones", help="drop graphworker tombstones older than a retention",
        description="Drop the gw:Tombstone vertices versioned deletes left behind once they are older than "
                    "the retention (by gw:deleted_at), a batch per request. The same work as the template's "
                    "scheduled PurgeFunction. Configuration as the framework's (NEPTUNE_ENDPOINT, USE_IAM, ...) "
                    "unless --endpoint is given.")
    parser.add_argument("--endpoint", help="Gremlin endpoint (ws[s]://host:port/gremlin or host[:port]); "
                                           "default: NEPTUNE_ENDPOINT")
    parser.add_argument("--older-than", type=duration, default=None,
                        help="retention, e.g. 15d or 3600 (default: GRAPHWORKER_TOMBSTONE_RETENTION_S, else 15d)")
    parser.add_argument("--batch", type=int, default=500, help="tombstones dropped per request (default 500)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from framework.client import GraphClient
    from framework.config import GraphConfig
    from framework.tombstones import purge_tombstones, retention_from_env

    async def purge() -> Any:
        config = GraphConfig.from_env(**({"endpoint": args.endpoint} if args.endpoint else {}))
        client = GraphClient(config)
        try:
            older_than = args.older_than if args.older_than is not None else retention_from_env()
            return await purge_tombstones(client, older_than_s=older_than, batch=args.batch)
        finally:
            await client.close()

    result = asyncio.run(purge())
    print(f"purged {result.purged} tombstone(s) in {result.requests} request(s)")
    return 0
