"""The deployment-wide slowdown: an alarm state change sets every event source's MaximumConcurrency.

The Lambda API is a true boundary here (no AWS account): a recording stand-in takes its place.
"""

from __future__ import annotations

from typing import Any

import pytest

from framework.concurrency_control import ControlSettings, alarm_state, apply
from framework.errors import ConfigError

NAMES = ("MAPPINGS", "NORMAL", "PRESSURE")


class RecordingLambdaApi:
    """Stands in for the AWS Lambda API (boundary): records calls; one mapping can be made to fail."""

    def __init__(self, failing: str | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.failing = failing

    async def update_event_source_mapping(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if kwargs["UUID"] == self.failing:
            raise RuntimeError("ResourceConflictException")
        return {"UUID": kwargs["UUID"], "State": "Updating"}


def event(state: str) -> dict[str, Any]:
    return {"source": "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change",
            "detail": {"alarmName": "stack-database-under-pressure", "state": {"value": state}}}


async def test_alarm_lowers_and_ok_restores_every_mapping():
    settings = ControlSettings.parse("u-1, u-2", "20", "2", names=NAMES)
    api = RecordingLambdaApi()
    assert await apply(alarm_state(event("ALARM")), settings, api) == {"state": "ALARM",
                                                                       "changed": {"u-1": 2, "u-2": 2}}
    assert await apply(alarm_state(event("OK")), settings, api) == {"state": "OK", "changed": {"u-1": 20, "u-2": 20}}
    assert [c["ScalingConfig"]["MaximumConcurrency"] for c in api.calls] == [2, 2, 20, 20]
    assert await apply("INSUFFICIENT_DATA", settings, api) == {"state": "INSUFFICIENT_DATA", "changed": {}}
    assert len(api.calls) == 4


async def test_one_mapping_failing_does_not_stop_the_others():
    settings = ControlSettings.parse("u-1,u-2", "20", "2", names=NAMES)
    outcome = await apply("ALARM", settings, RecordingLambdaApi(failing="u-1"))
    assert outcome["changed"]["u-2"] == 2 and "ResourceConflictException" in outcome["changed"]["u-1"]


@pytest.mark.parametrize(("mappings", "normal", "pressure", "bad"), [
    ("", "20", "2", "MAPPINGS"), ("u", "1", "2", "NORMAL"), ("u", "20", "nan", "PRESSURE"),
])
def test_bad_settings_are_refused(mappings, normal, pressure, bad):
    with pytest.raises(ConfigError, match=bad):
        ControlSettings.parse(mappings, normal, pressure, names=NAMES)


def test_only_alarm_state_change_events():
    with pytest.raises(ValueError, match="Alarm State Change"):
        alarm_state({"detail": {}})
