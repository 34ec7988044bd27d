"""Scheduled clean-up: purge graphworker tombstones older than the retention.

Deployed by the template as ``PurgeFunction`` on a daily schedule. A tombstone only protects an
element from a late, older upsert while such a message can still exist (see
``framework.tombstones``); older ones are dropped, a bounded batch per request, stopping before
the function's deadline (the next run goes on where this one stopped).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aws_lambda_powertools import Logger

from framework.telemetry import MetricsSink
from framework.tombstones import scheduled_purge

SERVICE = "graphworker-purge"
logger = Logger(service=SERVICE)
_loop: asyncio.AbstractEventLoop | None = None


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point (an EventBridge schedule); one event loop per execution context."""
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    outcome = _loop.run_until_complete(scheduled_purge(context, metrics=MetricsSink(service=SERVICE)))
    logger.info("tombstones purged", extra=outcome)
    return outcome
