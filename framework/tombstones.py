"""Tombstones in users' reads, and purging the old ones.

Why tombstones exist: see :mod:`framework.versions`. A versioned delete leaves a vertex labelled
``gw:Tombstone`` so an older upsert arriving later cannot resurrect the element. They are
ordinary vertices, so reads that scan vertices by label are unaffected, and scans of every
vertex leave them out with :func:`without_tombstones`; graphworker's bookkeeping properties all
start with ``gw:`` (:func:`user_properties` leaves them out of a ``valueMap``).

Why purge, and when: a tombstone only matters while an older message about its element can
still arrive. SQS keeps a message at most its queue's retention (4 days in the template, 14 at
most) and a DLQ redrive can bring back messages up to the DLQ's retention (14 days), so a
tombstone older than that protects nothing. ``GRAPHWORKER_TOMBSTONE_RETENTION_S`` (default 15
days: longer than any message can live) sets the age, by ``gw:deleted_at``, after which
:func:`purge_tombstones` removes tombstones (the template schedules ``handlers.purge.handler``
daily; ``graphworker purge-tombstones`` runs it by hand).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import GraphTraversal, __
from gremlin_python.process.traversal import P
from gremlin_python.structure.graph import Graph

from .client import GraphClient
from .config_checks import NumberRange, parse_number
from .telemetry import MetricsSink
from .telemetry import catalog as m
from .versions import DELETED_AT_KEY, RESERVED_PREFIX, TOMBSTONE_LABEL

_g = traversal().with_graph(Graph())

DEFAULT_RETENTION_S = 15 * 24 * 3600
TOMBSTONE_SETTINGS: dict[str, tuple[str, NumberRange]] = {
    "retention_s": ("GRAPHWORKER_TOMBSTONE_RETENTION_S", NumberRange(3600, 10 * 365 * 24 * 3600)),
}
"""Tombstones younger than an hour are never purged: a message can always be that late."""


def retention_from_env(env: Mapping[str, str] | None = None) -> float:
    """``GRAPHWORKER_TOMBSTONE_RETENTION_S`` (seconds, 1 hour to 10 years; default 15 days)."""
    env = os.environ if env is None else env
    var, spec = TOMBSTONE_SETTINGS["retention_s"]
    raw = env.get(var, "").strip()
    return float(parse_number(var, raw, spec)) if raw else float(DEFAULT_RETENTION_S)


def without_tombstones(steps: GraphTraversal) -> GraphTraversal:
    """``steps`` (e.g. ``g.V()``) without graphworker's tombstone vertices."""
    return steps.not_(__.has_label(TOMBSTONE_LABEL))


def user_properties(properties: Mapping[Any, Any]) -> dict[Any, Any]:
    """A ``valueMap``/``elementMap`` result without graphworker's ``gw:`` bookkeeping properties."""
    return {k: v for k, v in properties.items() if not (isinstance(k, str) and k.startswith(RESERVED_PREFIX))}


@dataclass(frozen=True, slots=True)
class PurgeResult:
    purged: int
    requests: int
    complete: bool
    """False when the deadline stopped it before every old tombstone was gone (the next run goes on)."""


async def purge_tombstones(client: GraphClient, *, older_than_s: float, batch: int = 500,
                           deadline: float | None = None, now: dt.datetime | None = None) -> PurgeResult:
    """Drop tombstones whose ``gw:deleted_at`` is older than ``older_than_s``, ``batch`` per request.

    ``deadline`` (``time.monotonic()``): no request starts after it. Each request drops at most
    ``batch`` tombstones, so one run never holds many locks at once.
    """
    if older_than_s <= 0 or older_than_s != older_than_s:
        raise ValueError(f"older_than_s must be a positive number of seconds, got {older_than_s!r}")
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(seconds=older_than_s)
    purged = requests = 0
    while deadline is None or time.monotonic() < deadline:
        dropped = await client.submit(
            _g.V().has_label(TOMBSTONE_LABEL).has(DELETED_AT_KEY, P.lt(cutoff)).limit(batch)
            .side_effect(__.drop()).count(),
            expect=1, deadline=deadline, operation="purge tombstones")
        requests += 1
        count = int(dropped[0])
        purged += count
        if count < batch:
            return PurgeResult(purged, requests, complete=True)
    return PurgeResult(purged, requests, complete=False)


async def scheduled_purge(context: Any, *, client: GraphClient | None = None,
                          metrics: MetricsSink | None = None) -> dict[str, Any]:
    """What the scheduled purge function does: purge by the configured retention within its deadline.

    ``context``: the Lambda context (its remaining time bounds the purge, 2 s kept for reporting).
    Emits ``TombstonesPurged``; returns a summary for the log.
    """
    from . import lifecycle

    retention = retention_from_env()
    deadline = lifecycle.deadline_from_context(context, margin_s=2.0) if context is not None else None
    result = await purge_tombstones(client or lifecycle.get_client(), older_than_s=retention, deadline=deadline)
    sink = metrics or MetricsSink()
    sink.add(m.TOMBSTONES_PURGED, result.purged)
    sink.flush()
    return {"purged": result.purged, "requests": result.requests, "complete": result.complete,
            "retention_s": retention}
