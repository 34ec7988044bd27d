"""The local SQS servers ``graphworker local`` can start: fauxqs (default) or moto.

Chosen on measurements (``bench/sqs_standins.py``): fauxqs, an SQS emulator on Node.js, keeps
its cost per call flat as the queue grows, and serves thousands of messages a second; moto's
server is kept as ``--sqs moto`` (a second implementation to compare behaviours against), but
its receive cost grows with the queue's depth and it is not safe under concurrent consumers
(see :class:`gwlocal.local.sqs.LocalQueues`).

fauxqs is an npm package pinned in ``gwlocal/local/fauxqs/package-lock.json`` and installed
with ``npm ci`` there (the README's first command does it). It is local tooling only: nothing
of it is in the Lambda package (``framework/`` and ``handlers/``).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from .processes import ChildServer

FAUXQS_DIR = Path(__file__).parent / "fauxqs"
SQS_SERVERS = ("fauxqs", "moto")


class StandInMissing(RuntimeError):
    """A stand-in server is not installed; the message says how to install it."""


def fauxqs_install_hint() -> str:
    return (f"install it with `npm ci --prefix {_display(FAUXQS_DIR)}` (needs Node.js 20+ and npm; "
            "the README's first command does this), or run with `--sqs moto`")


def fauxqs_version() -> str | None:
    """The installed fauxqs version, or None when it is not installed."""
    manifest = FAUXQS_DIR / "node_modules" / "fauxqs" / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def fauxqs_server(*, log_path: Path | None = None, region: str = "us-east-1") -> ChildServer:
    node = shutil.which("node")
    if node is None:
        raise StandInMissing("graphworker local: Node.js is not installed, and the local SQS (fauxqs) runs on it: "
                             "install Node.js 20+ and npm, then " + fauxqs_install_hint())
    pinned = json.loads((FAUXQS_DIR / "package.json").read_text())["dependencies"]["fauxqs"]
    installed = fauxqs_version()
    if installed is None:
        raise StandInMissing(f"graphworker local: the local SQS (fauxqs {pinned}, an npm package) is not "
                             f"installed: {fauxqs_install_hint()}")
    if installed != pinned:
        raise StandInMissing(f"graphworker local: fauxqs {installed} is installed but {pinned} is pinned: "
                             f"{fauxqs_install_hint()}")
    return ChildServer("fauxqs (local SQS)", [node, str(FAUXQS_DIR / "serve.mjs"), "--region", region],
                       log_path=log_path)


def moto_server(*, log_path: Path | None = None) -> ChildServer:
    return ChildServer("moto (local SQS)", [sys.executable, "-m", "gwlocal.local.child_servers", "moto"],
                       log_path=log_path)


def sqs_server(kind: str, *, log_path: Path | None = None, region: str = "us-east-1") -> ChildServer:
    if kind == "fauxqs":
        return fauxqs_server(log_path=log_path, region=region)
    if kind == "moto":
        return moto_server(log_path=log_path)
    raise ValueError(f"--sqs must be one of {', '.join(SQS_SERVERS)}")


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
