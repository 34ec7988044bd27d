"""Stand-in servers of ``graphworker local`` run as child processes, and how they are stopped.

Why child processes: the local Gremlin endpoint and the local SQS are CPU-bound, and a
Python process runs one thread at a time; in their own processes they use the machine's
other cores instead of competing with the handlers for one.

The contract every child keeps (``serve.mjs`` for fauxqs, :mod:`gwlocal.local.child_servers`
for the Gremlin endpoint and moto): it listens on 127.0.0.1 only, on a port the OS chooses,
prints one JSON line ``{"url": ...}`` once it accepts connections, and exits when its standard
input closes or on SIGTERM. The parent holds the other end of that pipe, so a run that ends in
any way (normally, Ctrl-C, an exception, even SIGKILL) leaves no server behind: on Linux the
child additionally gets SIGTERM from the kernel when the parent dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any


class ChildServerError(RuntimeError):
    """A child server did not start (its exit status and the tail of its log are in the message)."""


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


class ChildServer:
    """One child server. ``start()`` returns its URL; ``stop()`` is idempotent and never raises."""

    def __init__(self, name: str, argv: Sequence[str], *, log_path: Path | None = None,
                 start_timeout_s: float = 60.0, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.role = name
        """What it stands in for, as the report names it (set by the run)."""
        self.argv = list(argv)
        self.log_path = log_path
        self.start_timeout_s = start_timeout_s
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return str(self.info["url"])

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> str:
        self.spawn()
        return self.wait_ready()

    def spawn(self) -> None:
        """Start the process (call from the main thread: on Linux the child is told to exit when
        the *thread* that started it ends, so a short-lived worker thread must not start it)."""
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("wb")
        else:
            self._log = open(os.devnull, "wb")
        self.process = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            preexec_fn=_die_with_parent, env=self.env, close_fds=True)

    def wait_ready(self) -> str:
        """Block until the start-up line (any thread may wait); return the server's URL."""
        try:
            line = self._first_line()
            self.info = json.loads(line)
            if "url" not in self.info:
                raise ValueError("no url")
        except (ValueError, ChildServerError) as exc:
            self.stop()
            raise ChildServerError(f"{self.name} did not start: {exc}{self._log_tail()}") from None
        return self.url

    def _first_line(self) -> str:
        assert self.process is not None and self.process.stdout is not None
        deadline = time.monotonic() + self.start_timeout_s
        fd = self.process.stdout.fileno()
        buffer = b""
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChildServerError(f"no start-up line within {self.start_timeout_s:g} s")
            ready, _, _ = select.select([fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise ChildServerError(f"it exited with status {self.process.wait()}")
                buffer += chunk
        return buffer.split(b"\n", 1)[0].decode()

    def _log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        tail = self.log_path.read_text(errors="replace")[-2000:].strip()
        return f"\n--- {self.log_path} (end) ---\n{tail}" if tail else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 10.0) -> int | None:
        """Close its stdin (it exits), then SIGTERM, then SIGKILL; return its exit status."""
        process, self.process = self.process, None
        status = None
        if process is not None:
            for stream in (process.stdin, process.stdout):
                with contextlib.suppress(OSError):
                    if stream is not None:
                        stream.close()
            try:
                status = process.wait(timeout=timeout_s / 2)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    status = process.wait(timeout=timeout_s / 2)
                except subprocess.TimeoutExpired:
                    process.kill()
                    status = process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return status

    def __enter__(self) -> ChildServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process, from /proc (Linux); 0.0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of a process (this one by default), from /proc (Linux); 0 where unavailable."""
    try:
        for line in Path(f"/proc/{pid or 'self'}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
