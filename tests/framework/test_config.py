"""Configuration from the environment: defaults, overrides, and errors that name the variable."""

from __future__ import annotations

import pytest

from framework.config import Endpoint, GraphConfig
from framework.errors import ConfigError


def test_minimal_environment():
    config = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "db.cluster-x.us-east-1.neptune.amazonaws.com"})
    assert config.writer_url == "wss://db.cluster-x.us-east-1.neptune.amazonaws.com:8182/gremlin"
    assert config.tls and not config.use_iam and config.serializer == "graphbinary-v1"
    assert config.reader_endpoints == ()


def test_every_variable():
    config = GraphConfig.from_env({
        "NEPTUNE_ENDPOINT": "writer", "NEPTUNE_PORT": "9000", "NEPTUNE_READER_ENDPOINTS": "r1, r2:9001",
        "NEPTUNE_TLS": "false", "USE_IAM": "true", "AWS_REGION": "eu-west-1",
        "NEPTUNE_SERIALIZER": "graphson-v2", "NEPTUNE_CONNECT_TIMEOUT_S": "2.5",
        "NEPTUNE_REQUEST_TIMEOUT_S": "10", "NEPTUNE_IDLE_RECONNECT_S": "300",
        "GRAPHWORKER_MAX_ATTEMPTS": "4", "GRAPHWORKER_RETRY_MAX_TIME_S": "8",
        "GRAPHWORKER_BACKOFF_BASE_S": "0.1", "GRAPHWORKER_BACKOFF_MAX_S": "2",
        "GRAPHWORKER_RETRY_BUDGET": "5", "GRAPHWORKER_RETRY_BUDGET_REFILL": "0.5",
    })
    assert config.writer_url == "ws://writer:9000/gremlin"
    assert config.reader_endpoints == (Endpoint("r1", 9000), Endpoint("r2", 9001))
    assert (config.use_iam, config.region, config.serializer) == (True, "eu-west-1", "graphson-v2")
    assert (config.connect_timeout_s, config.request_timeout_s, config.idle_reconnect_s) == (2.5, 10.0, 300.0)
    assert (config.max_attempts, config.retry_max_time_s) == (4, 8.0)
    assert (config.backoff_base_s, config.backoff_max_s) == (0.1, 2.0)
    assert (config.retry_budget, config.retry_budget_refill) == (5.0, 0.5)


def test_url_endpoint_sets_scheme_and_port():
    config = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "ws://127.0.0.1:8183/gremlin"})
    assert config.writer_url == "ws://127.0.0.1:8183/gremlin" and not config.tls


def test_overrides_win_over_the_environment():
    config = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_TLS": "true"}, endpoint="b:1", tls=False)
    assert config.writer_url == "ws://b:1/gremlin"


@pytest.mark.parametrize(("env", "names"), [
    ({}, "NEPTUNE_ENDPOINT"),
    ({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_PORT": "http"}, "NEPTUNE_PORT"),
    ({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_PORT": "70000"}, "NEPTUNE_PORT"),
    ({"NEPTUNE_ENDPOINT": "http://a"}, "NEPTUNE_ENDPOINT"),
    ({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_TLS": "maybe"}, "NEPTUNE_TLS"),
    ({"NEPTUNE_ENDPOINT": "a", "USE_IAM": "true"}, "AWS_REGION"),
    ({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_SERIALIZER": "gryo"}, "NEPTUNE_SERIALIZER"),
    ({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_REQUEST_TIMEOUT_S": "0"}, "NEPTUNE_REQUEST_TIMEOUT_S"),
    ({"NEPTUNE_ENDPOINT": "a", "GRAPHWORKER_MAX_ATTEMPTS": "0"}, "GRAPHWORKER_MAX_ATTEMPTS"),
    ({"NEPTUNE_ENDPOINT": "a", "GRAPHWORKER_RETRY_BUDGET": "-1"}, "GRAPHWORKER_RETRY_BUDGET"),
    ({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_READER_ENDPOINTS": "r1,bad host"}, "NEPTUNE_READER_ENDPOINTS"),
])
def test_bad_settings_name_the_variable(env, names):
    with pytest.raises(ConfigError, match=names):
        GraphConfig.from_env(env)


def test_unknown_override_is_refused():
    with pytest.raises(ConfigError, match="nonsense"):
        GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a"}, nonsense=1)


@pytest.mark.parametrize("var", ["NEPTUNE_CONNECT_TIMEOUT_S", "NEPTUNE_REQUEST_TIMEOUT_S", "NEPTUNE_IDLE_RECONNECT_S",
                                 "GRAPHWORKER_RETRY_MAX_TIME_S", "GRAPHWORKER_BACKOFF_BASE_S",
                                 "GRAPHWORKER_BACKOFF_MAX_S", "GRAPHWORKER_RETRY_BUDGET",
                                 "GRAPHWORKER_RETRY_BUDGET_REFILL", "GRAPHWORKER_MAX_ATTEMPTS"])
@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e400"])
def test_non_finite_numbers_are_refused(var, raw):
    with pytest.raises(ConfigError, match=var):
        GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a", var: raw})


@pytest.mark.parametrize(("env", "var"), [
    ({"GRAPHWORKER_DEADLINE_MARGIN_S": "nan"}, "GRAPHWORKER_DEADLINE_MARGIN_S"),
    ({"GRAPHWORKER_DEADLINE_MARGIN_S": "inf"}, "GRAPHWORKER_DEADLINE_MARGIN_S"),
    ({"GRAPHWORKER_DEADLINE_MARGIN_S": "901"}, "GRAPHWORKER_DEADLINE_MARGIN_S"),
    ({"GRAPHWORKER_MAX_UPSERTS_PER_REQUEST": "1.5"}, "GRAPHWORKER_MAX_UPSERTS_PER_REQUEST"),
    ({"GRAPHWORKER_MAX_REQUEST_BYTES": "200000000"}, "GRAPHWORKER_MAX_REQUEST_BYTES"),
])
def test_worker_settings_must_be_finite_and_in_range(env, var):
    from framework.worker_config import WorkerConfig

    with pytest.raises(ConfigError, match=var):
        WorkerConfig.from_env(env)


def test_every_bad_setting_is_named_in_one_error():
    from framework.worker_config import WorkerConfig

    with pytest.raises(ConfigError) as raised:
        WorkerConfig.from_env({"GRAPHWORKER_DEADLINE_MARGIN_S": "nan", "GRAPHWORKER_MAX_UPSERTS_PER_REQUEST": "0"})
    assert "GRAPHWORKER_DEADLINE_MARGIN_S" in str(raised.value)
    assert "GRAPHWORKER_MAX_UPSERTS_PER_REQUEST" in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_REQUEST_TIMEOUT_S": "inf",
                              "GRAPHWORKER_BACKOFF_BASE_S": "nan"})
    assert "NEPTUNE_REQUEST_TIMEOUT_S" in str(raised.value) and "GRAPHWORKER_BACKOFF_BASE_S" in str(raised.value)


@pytest.mark.parametrize("override", [{"deadline_margin_s": float("nan")}, {"max_upserts_per_request": 0},
                                      {"max_request_bytes": True}])
def test_explicit_worker_overrides_are_checked_too(override):
    from framework.worker_config import WorkerConfig

    with pytest.raises(ConfigError, match=next(iter(override))):
        WorkerConfig(**override)
    with pytest.raises(ConfigError, match=next(iter(override))):
        WorkerConfig.from_env({}, **override)


def test_explicit_client_overrides_are_checked_too():
    with pytest.raises(ConfigError, match="request_timeout_s"):
        GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a"}, request_timeout_s=float("inf"))


def test_a_worker_with_a_bad_setting_fails_at_start(monkeypatch):
    from framework.worker import GraphWorker

    monkeypatch.setenv("GRAPHWORKER_DEADLINE_MARGIN_S", "nan")
    with pytest.raises(ConfigError, match="GRAPHWORKER_DEADLINE_MARGIN_S"):
        GraphWorker(service="bad-config")
