"""Lower every event source's MaximumConcurrency while the database is under pressure; restore it after.

Deployed by the template as ``ConcurrencyControlFunction``, invoked by an EventBridge rule on the
"Database under pressure" composite alarm's state changes. See ``framework.concurrency_control``.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from aws_lambda_powertools import Logger

from framework.concurrency_control import ControlSettings, alarm_state, apply

logger = Logger(service="graphworker-concurrency-control")
_loop: asyncio.AbstractEventLoop | None = None


async def control(event: dict[str, Any]) -> dict[str, Any]:
    from aiobotocore.session import get_session

    names = ("GRAPHWORKER_EVENT_SOURCE_MAPPINGS", "GRAPHWORKER_NORMAL_CONCURRENCY", "GRAPHWORKER_PRESSURE_CONCURRENCY")
    settings = ControlSettings.parse(*(os.environ.get(name, "") for name in names), names=names)
    async with get_session().create_client("lambda") as lambda_api:
        return await apply(alarm_state(event), settings, lambda_api)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _loop
    if _loop is None or _loop.is_closed():
        _loop = asyncio.new_event_loop()
    outcome = _loop.run_until_complete(control(event))
    logger.info("event source concurrency set", extra=outcome)
    return outcome
