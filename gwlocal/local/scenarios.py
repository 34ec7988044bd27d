"""Back-pressure scenarios of ``graphworker local``: the database loses capacity, or goes away, mid-run.

Why: the framework's adaptive limit, circuit breaker and redelivery backoff exist for the times
Neptune pushes back. These scenarios make the local endpoint do that, on a schedule, while the
load keeps coming, and the run is GREEN only if no valid message reached the DLQ:

- ``overload``: the endpoint's capacity drops: one worker instead of eight, a queue of 4 beyond
  which requests are refused with ``ThrottlingException`` (Neptune's queue limit), and a
  per-request latency rising from 10 ms to 60 ms over the scenario; then capacity returns.
- ``outage``: the endpoint throttles every request (``--outage-mode throttle``, the default) or
  stops accepting connections and closes the open ones (``down``: an instance rebooting) for the
  scenario's duration; then it recovers.

The local visibility timeout (2 s) and ``maxReceiveCount`` (5) stay as they are: what keeps valid
messages out of the DLQ is the redelivery backoff, scaled for local runs to a 1 s base and a 64 s
cap (so an outage of up to about 60 s is ridden through, as the template's 60 s base rides
through about an hour).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from ..gremlin_server.control import AsyncControlClient

SCENARIOS = ("overload", "outage")
OUTAGE_MODES = ("throttle", "down")
LOCAL_REDELIVERY = {"GRAPHWORKER_REDELIVERY_BASE_S": "1", "GRAPHWORKER_REDELIVERY_MAX_S": "64"}
"""Redelivery delays for local runs: 1, 4, 16, 64 s (x0.75-1): at least ~64 s before a fifth receive."""


@dataclass
class ScenarioLog:
    """What a scenario did and when (seconds since the run's start), for the report."""

    name: str | None
    mode: str | None
    started_s: float | None = None
    ended_s: float | None = None
    steps: list[tuple[float, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "mode": self.mode, "started_s": self.started_s, "ended_s": self.ended_s,
                "steps": [[round(t, 2), what] for t, what in self.steps]}


async def run_scenario(name: str, control: AsyncControlClient, *, start_s: float, duration_s: float, mode: str,
                       run_started: float, log: ScenarioLog) -> None:
    """Wait ``start_s``, play the scenario for ``duration_s``, then put the endpoint's settings back."""
    await asyncio.sleep(start_s)  # the scenario's schedule: real time is what is being played
    original = await control.call("get_settings")
    log.started_s = time.monotonic() - run_started
    try:
        if name == "overload":
            await _overload(control, duration_s, run_started, log)
        else:
            await _outage(control, duration_s, mode, run_started, log)
    finally:
        restore = {k: original[k] for k in ("workers", "queue_limit", "latency_ms", "accept_connections", "inject")}
        await control.settings(**restore)
        log.ended_s = time.monotonic() - run_started
        log.steps.append((log.ended_s, "recovered"))


async def _overload(control: AsyncControlClient, duration_s: float, run_started: float, log: ScenarioLog) -> None:
    steps = 6
    for step in range(steps):
        latency = 10.0 + 50.0 * step / (steps - 1)
        await control.settings(workers=1, queue_limit=4, latency_ms=latency)
        log.steps.append((time.monotonic() - run_started, f"1 worker, queue limit 4, latency {latency:.0f} ms"))
        await asyncio.sleep(duration_s / steps)


async def _outage(control: AsyncControlClient, duration_s: float, mode: str, run_started: float,
                  log: ScenarioLog) -> None:
    if mode == "throttle":
        await control.settings(inject={"code": "ThrottlingException", "rate": 1.0, "writes_only": False})
        log.steps.append((time.monotonic() - run_started, "every request throttled"))
    else:
        await control.settings(accept_connections=False)
        await control.call("close_connections")
        log.steps.append((time.monotonic() - run_started, "down: connections closed and refused (HTTP 503)"))
    await asyncio.sleep(duration_s)
