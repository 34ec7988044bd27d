"""Entry point of the Python child servers of ``graphworker local`` (see :mod:`.processes`).

``python -m gwlocal.local.child_servers gremlin --settings JSON --seed N`` runs the local Gremlin
endpoint; ``python -m gwlocal.local.child_servers moto`` runs moto's SQS server. Either listens on
127.0.0.1 on an OS-chosen port, prints ``{"url": ...}`` on one line, and exits when its standard
input closes (the parent went away) or on SIGTERM/SIGINT.

The Gremlin child tunes its garbage collector as ``graphworker gremlin-server`` does
(:mod:`gwlocal.gremlin_server.gc_tuning`): the process serves nothing else, and with CPython's
default thresholds the collector took about 40% of its CPU on the versioned batches of
``graphworker local`` (measured on the transactions load: 2.08 ms of endpoint CPU per message
with the defaults, 1.25 ms tuned). The line it prints carries the young-generation threshold it
runs with (``gc_young_threshold``), so that is checked, not assumed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
import threading
from typing import Any


def _announce(info: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()


async def _until_parent_leaves() -> None:
    """Return on SIGTERM/SIGINT or when stdin reaches end of file."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    def watch_stdin() -> None:
        while sys.stdin.buffer.read(4096):
            pass
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
    await stop.wait()


async def _gremlin(settings_json: str, seed: int) -> None:
    import gc

    from ..gremlin_server.gc_tuning import tune_for_serving
    from ..gremlin_server.server import GremlinEndpoint
    from ..gremlin_server.settings import EndpointSettings

    settings = EndpointSettings().patched(json.loads(settings_json)) if settings_json else EndpointSettings()
    endpoint = GremlinEndpoint(settings, seed=seed)
    port = await endpoint.start("127.0.0.1", 0)
    tune_for_serving()  # after start-up: what exists now is frozen out of every collection
    _announce({"url": f"ws://127.0.0.1:{port}/gremlin", "control": f"http://127.0.0.1:{port}",
               "gc_young_threshold": gc.get_threshold()[0]})
    try:
        await _until_parent_leaves()
    finally:
        await endpoint.stop()


async def _moto() -> None:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    _announce({"url": f"http://{host}:{port}"})
    try:
        await _until_parent_leaves()
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gwlocal.local.child_servers")
    sub = parser.add_subparsers(dest="server", required=True)
    gremlin = sub.add_parser("gremlin", help="the local Gremlin endpoint")
    gremlin.add_argument("--settings", default="", help="an EndpointSettings patch, as JSON")
    gremlin.add_argument("--seed", type=int, default=0)
    sub.add_parser("moto", help="moto's SQS server")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("gwlocal.gremlin_server").setLevel(logging.ERROR)
    if args.server == "gremlin":
        asyncio.run(_gremlin(args.settings, args.seed))
    else:
        asyncio.run(_moto())
    return 0


if __name__ == "__main__":
    sys.exit(main())
