"""Deployment-wide slowdown: while the database is under pressure, lower every event source's concurrency.

Why: each execution context backs off on its own (adaptive limit, circuit breaker, redelivery
backoff), but with ``ReportBatchItemFailures`` Lambda keeps polling SQS at full speed whatever
the functions report, so a fleet of contexts still arrives at the database. The lever that
slows the whole deployment is the event source mapping's ``MaximumConcurrency``. The template
wires the composite alarm "Database under pressure" (Neptune's pending-request alarm, or any
function's conflict/retry/throttle-rate alarm) through an EventBridge rule to
``handlers.concurrency_control.handler``, which calls this module: in ALARM every mapping is set
to ``pressure_concurrency`` (2, the lowest SQS allows), back in OK to its normal value. This is
the circuit-breaker pattern AWS describes for Lambda and SQS, with the alarm as the breaker.

The handler reads its settings (the mapping UUIDs, the normal and the pressure concurrency)
from its environment, set by the template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .config_checks import NumberRange, parse_number, raise_problems
from .errors import ConfigError

CONCURRENCY_RANGE = NumberRange(2, 1000, integer=True)
"""SQS event sources accept a MaximumConcurrency of 2 to 1,000."""


class LambdaApi(Protocol):
    """The one Lambda API call used (aiobotocore's client satisfies it)."""

    async def update_event_source_mapping(self, **kwargs: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class ControlSettings:
    mappings: tuple[str, ...]
    normal: int
    pressure: int

    @classmethod
    def parse(cls, mappings: str, normal: str, pressure: str, *, names: tuple[str, str, str]) -> ControlSettings:
        """From text settings (the handler's environment); ``names`` label each in the one error."""
        uuids = tuple(m.strip() for m in mappings.split(",") if m.strip())
        problems = [] if uuids else [f"{names[0]}: no event source mapping UUIDs given"]
        values: list[int] = []
        for name, raw in zip(names[1:], (normal, pressure), strict=True):
            try:
                values.append(int(parse_number(name, raw, CONCURRENCY_RANGE)))
            except ConfigError as exc:
                problems.append(str(exc))
        raise_problems(problems, "concurrency control")
        return cls(uuids, values[0], values[1])


def target_concurrency(alarm_state: str, settings: ControlSettings) -> int | None:
    """The MaximumConcurrency an alarm state asks for; None for INSUFFICIENT_DATA (change nothing)."""
    if alarm_state == "ALARM":
        return settings.pressure
    if alarm_state == "OK":
        return settings.normal
    return None


async def apply(alarm_state: str, settings: ControlSettings, lambda_api: LambdaApi) -> dict[str, Any]:
    """Set every mapping's MaximumConcurrency for ``alarm_state``; returns what was done, per mapping."""
    target = target_concurrency(alarm_state, settings)
    if target is None:
        return {"state": alarm_state, "changed": {}}
    changed: dict[str, Any] = {}
    for uuid in settings.mappings:
        try:
            await lambda_api.update_event_source_mapping(UUID=uuid, ScalingConfig={"MaximumConcurrency": target})
            changed[uuid] = target
        except Exception as exc:  # one mapping's failure must not keep the others from slowing down
            changed[uuid] = f"failed: {type(exc).__name__}: {exc}"
    return {"state": alarm_state, "changed": changed}


def alarm_state(event: Mapping[str, Any]) -> str:
    """The new state of an EventBridge "CloudWatch Alarm State Change" event."""
    detail = event.get("detail")
    state = detail.get("state") if isinstance(detail, Mapping) else None
    value = state.get("value") if isinstance(state, Mapping) else None
    if not isinstance(value, str):
        raise ValueError("not a CloudWatch Alarm State Change event: detail.state.value missing")
    return value
