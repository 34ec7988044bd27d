"""``graphworker gremlin-server``: run the local Neptune-compatible Gremlin endpoint."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import ssl
from pathlib import Path
from typing import Any

from .settings import EndpointSettings, SettingsError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "gremlin-server",
        help="run the local Neptune-compatible Gremlin endpoint (WebSocket + control API)",
        description=(
            "Run the local Gremlin endpoint: real gremlinpython clients connect to "
            "ws://HOST:PORT/gremlin (GraphBinary v1, GraphSON v3/v2); the HTTP control API on the "
            "same port (/status, /stats, /control/*) switches Neptune behaviours on and off. "
            "Every option below can also be changed at run time with PATCH /control/settings."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    d = EndpointSettings()
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    p.add_argument("--port", type=int, default=8182, help="port to listen on (0: let the OS choose)")
    p.add_argument("--role", choices=["writer", "reader"], default=d.role,
                   help="instance role; a reader refuses writes with ReadOnlyViolationException")
    p.add_argument("--seed", type=int, default=0, help="seed for generated ids and chaos draws")
    p.add_argument("--latency-ms", type=float, default=d.latency_ms, help="added latency per request")
    p.add_argument("--hold-ms", type=float, default=d.hold_ms,
                   help="how long a write request holds its element locks before commit")
    p.add_argument("--conflict-rate", type=float, default=d.conflict_rate,
                   help="share of write requests failed with an injected ConcurrentModificationException")
    p.add_argument("--workers", type=int, default=d.workers, help="requests executed at once")
    p.add_argument("--queue-limit", type=int, default=d.queue_limit,
                   help="requests waiting for a worker before ThrottlingException")
    p.add_argument("--max-connections", type=int, default=d.max_connections,
                   help="WebSocket connections allowed; extra handshakes get HTTP 429")
    p.add_argument("--idle-timeout-s", type=float, default=d.idle_timeout_s,
                   help="close connections idle this long (Neptune: about 20 minutes)")
    p.add_argument("--query-timeout-ms", type=int, default=d.query_timeout_ms,
                   help="per-request time limit (TimeLimitExceededException)")
    p.add_argument("--iam", action="store_true", help="require SigV4-signed handshakes (neptune-db)")
    p.add_argument("--iam-region", default=d.iam.region, help="region the signatures must be for")
    p.add_argument("--iam-access-key", default=d.iam.credentials[0].access_key,
                   help="test access key accepted in IAM mode")
    p.add_argument("--iam-secret-key", default=d.iam.credentials[0].secret_key,
                   help="test secret key accepted in IAM mode")
    p.add_argument("--settings", metavar="JSON_OR_FILE",
                   help="a settings patch (JSON text or a path to a JSON file) applied last")
    p.add_argument("--tls-cert", type=Path, help="PEM certificate: serve wss:// instead of ws://")
    p.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")
    p.add_argument("--check", action="store_true",
                   help="start on a free port, run a conformance smoke check with every serializer "
                        "through real gremlinpython clients, print a table and exit")
    p.add_argument("--log-level", default="INFO", help="logging level")
    p.set_defaults(run=run)


def settings_from_args(args: argparse.Namespace) -> EndpointSettings:
    patch: dict[str, Any] = {
        "role": args.role,
        "latency_ms": args.latency_ms,
        "hold_ms": args.hold_ms,
        "conflict_rate": args.conflict_rate,
        "workers": args.workers,
        "queue_limit": args.queue_limit,
        "max_connections": args.max_connections,
        "idle_timeout_s": args.idle_timeout_s,
        "query_timeout_ms": args.query_timeout_ms,
        "iam": {
            "enabled": bool(args.iam),
            "region": args.iam_region,
            "credentials": [{"access_key": args.iam_access_key, "secret_key": args.iam_secret_key}],
        },
    }
    settings = EndpointSettings().patched(patch)
    if args.settings:
        text = args.settings
        path = Path(text)
        if not text.lstrip().startswith("{") and path.exists():
            text = path.read_text()
        settings = settings.patched(json.loads(text))
    return settings


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_from_args(args)
    except (SettingsError, json.JSONDecodeError) as exc:
        raise SystemExit(f"graphworker gremlin-server: bad settings: {exc}") from exc
    if args.check:
        from .selfcheck import run_check

        return run_check(settings, seed=args.seed)
    ssl_context = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise SystemExit("graphworker gremlin-server: --tls-cert and --tls-key go together")
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(args.tls_cert, args.tls_key)
    asyncio.run(_serve(settings, args.host, args.port, args.seed, ssl_context))
    return 0


async def _serve(settings: EndpointSettings, host: str, port: int, seed: int,
                 ssl_context: ssl.SSLContext | None) -> None:
    from .gc_tuning import tune_for_serving
    from .server import GremlinEndpoint  # imported when serving, so --help and argument errors are quick

    endpoint = GremlinEndpoint(settings, seed=seed)
    tune_for_serving()  # this process only serves the endpoint (see gc_tuning.py)
    bound = await endpoint.start(host, port, ssl_context=ssl_context)
    scheme = "wss" if ssl_context else "ws"
    http = "https" if ssl_context else "http"
    # A parseable line so scripts (and tests) can find the port when --port 0 is used.
    print(f"graphworker gremlin-server listening on {scheme}://{host}:{bound}/gremlin "
          f"(control API {http}://{host}:{bound}/control/settings)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await endpoint.stop()
