"""The exact text of the errors the concurrency-control and worker settings raise, and of the
outcome reported for a mapping the Lambda API refused: what an operator reads in the logs."""

from __future__ import annotations

from typing import Any

import pytest

from framework.concurrency_control import ControlSettings, alarm_state, apply
from framework.errors import ConfigError
from framework.worker_config import WorkerConfig

NAMES = ("MAPPINGS", "NORMAL", "PRESSURE")
NOT_AN_ALARM = "not a CloudWatch Alarm State Change event: detail.state.value missing"


def test_several_bad_concurrency_settings_are_reported_in_one_error():
    with pytest.raises(ConfigError) as raised:
        ControlSettings.parse(" , ", "1", "nan", names=NAMES)
    assert str(raised.value) == (
        "3 invalid concurrency control settings: MAPPINGS: no event source mapping UUIDs given; "
        "NORMAL: must be an integer >= 2 and <= 1000, got 1; "
        "PRESSURE: expected an integer >= 2 and <= 1000, got 'nan'")


@pytest.mark.parametrize("names", [("MAPPINGS", "NORMAL"), ("MAPPINGS", "NORMAL", "PRESSURE", "EXTRA")])
def test_names_must_label_exactly_the_three_settings(names):
    with pytest.raises(ValueError, match=r"^zip\(\) argument 2 is (longer|shorter) than argument 1$"):
        ControlSettings.parse("u-1", "20", "2", names=names)


@pytest.mark.parametrize("event", [{}, {"detail": None}, {"detail": "ALARM"}, {"detail": {"state": "ALARM"}},
                                   {"detail": {"state": {"value": 1}}}])
def test_events_without_a_state_value_are_refused_with_one_message(event):
    with pytest.raises(ValueError) as raised:
        alarm_state(event)
    assert str(raised.value) == NOT_AN_ALARM


class RefusingLambdaApi:
    """Stands in for the AWS Lambda API (boundary): refuses one mapping."""

    async def update_event_source_mapping(self, **kwargs: Any) -> Any:
        if kwargs["UUID"] == "u-1":
            raise RuntimeError("ResourceConflictException: update in progress")
        return {"UUID": kwargs["UUID"]}


async def test_a_refused_mapping_is_reported_with_the_error_type_and_message():
    settings = ControlSettings.parse("u-1,u-2", "20", "2", names=NAMES)
    assert await apply("ALARM", settings, RefusingLambdaApi()) == {"state": "ALARM", "changed": {
        "u-1": "failed: RuntimeError: ResourceConflictException: update in progress", "u-2": 2}}


def test_a_worker_config_with_an_unknown_backoff_mode_is_refused_exactly():
    with pytest.raises(ConfigError) as raised:
        WorkerConfig(redelivery_backoff="sometimes")
    assert str(raised.value) == "redelivery_backoff: must be one of auto, true, false, got 'sometimes'"


def test_a_worker_config_with_several_problems_lists_them_all():
    with pytest.raises(ConfigError) as raised:
        WorkerConfig(max_upserts_per_request=0, redelivery_backoff="on")
    assert str(raised.value) == (
        "2 invalid worker settings: max_upserts_per_request: must be an integer >= 1 and <= 5000, got 0; "
        "redelivery_backoff: must be one of auto, true, false, got 'on'")
