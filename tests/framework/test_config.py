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


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("YES", True), ("On", True),
                                            ("0", False), ("FALSE", False), ("no", False), ("off", False)])
def test_boolean_settings_accept_the_usual_spellings(raw, value):
    config = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_TLS": raw, "GRAPHWORKER_ADAPTIVE_LIMITS": raw})
    assert (config.tls, config.adaptive_limits) == (value, value)


def test_a_boolean_setting_that_is_not_one_says_what_it_expects():
    with pytest.raises(ConfigError) as raised:
        GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a", "NEPTUNE_TLS": "maybe"})
    assert str(raised.value) == "NEPTUNE_TLS: expected true/false, got 'maybe'"


def test_worker_settings_come_from_the_environment_and_overrides_win():
    from framework.worker_config import WorkerConfig

    env = {"GRAPHWORKER_MAX_UPSERTS_PER_REQUEST": " 250 ", "GRAPHWORKER_MAX_REQUEST_BYTES": "4096",
           "GRAPHWORKER_DEADLINE_MARGIN_S": "1.5", "GRAPHWORKER_REDELIVERY_BASE_S": "30",
           "GRAPHWORKER_REDELIVERY_MAX_S": "600", "GRAPHWORKER_REDELIVERY_BACKOFF": " TRUE "}
    assert WorkerConfig.from_env(env) == WorkerConfig(max_upserts_per_request=250, max_request_bytes=4096,
                                                      deadline_margin_s=1.5, redelivery_base_s=30,
                                                      redelivery_max_s=600, redelivery_backoff="true")
    assert WorkerConfig.from_env(env, max_upserts_per_request=7, redelivery_backoff="false") == WorkerConfig(
        max_upserts_per_request=7, max_request_bytes=4096, deadline_margin_s=1.5, redelivery_base_s=30,
        redelivery_max_s=600, redelivery_backoff="false")
    assert WorkerConfig.from_env({}) == WorkerConfig()
    assert WorkerConfig.from_env({"GRAPHWORKER_REDELIVERY_BACKOFF": "  "}).redelivery_backoff == "auto"


@pytest.mark.parametrize(("env", "overrides", "message"), [
    ({}, {"max_upserts": 1, "bogus": 2}, "unknown WorkerConfig override(s): bogus, max_upserts"),
    ({"GRAPHWORKER_REDELIVERY_BACKOFF": "sometimes"}, {},
     "GRAPHWORKER_REDELIVERY_BACKOFF: must be one of auto, true, false, got 'sometimes'"),
    ({"GRAPHWORKER_MAX_UPSERTS_PER_REQUEST": "1.5"}, {},
     "GRAPHWORKER_MAX_UPSERTS_PER_REQUEST: expected an integer >= 1 and <= 5000, got '1.5'"),
    ({"GRAPHWORKER_DEADLINE_MARGIN_S": "x"}, {},
     "GRAPHWORKER_DEADLINE_MARGIN_S: expected a finite number >= 0 and <= 900, got 'x'"),
    ({"GRAPHWORKER_DEADLINE_MARGIN_S": "900.5"}, {},
     "GRAPHWORKER_DEADLINE_MARGIN_S: must be a finite number >= 0 and <= 900, got 900.5"),
    ({}, {"deadline_margin_s": -0.5},
     "deadline_margin_s (override): must be a finite number >= 0 and <= 900, got -0.5"),
    ({"GRAPHWORKER_MAX_UPSERTS_PER_REQUEST": "0", "GRAPHWORKER_REDELIVERY_MAX_S": "50000"}, {},
     "2 invalid worker settings: GRAPHWORKER_MAX_UPSERTS_PER_REQUEST: must be an integer >= 1 and <= 5000, got 0; "
     "GRAPHWORKER_REDELIVERY_MAX_S: must be an integer >= 1 and <= 43200, got 50000"),
])
def test_bad_worker_settings_are_reported_exactly(env, overrides, message):
    from framework.worker_config import WorkerConfig

    with pytest.raises(ConfigError) as raised:
        WorkerConfig.from_env(env, **overrides)
    assert str(raised.value) == message


@pytest.mark.parametrize(("env", "message"), [
    ({"NEPTUNE_CONNECT_TIMEOUT_S": "0"}, "NEPTUNE_CONNECT_TIMEOUT_S: must be a finite number > 0 and <= 900, got 0.0"),
    ({"GRAPHWORKER_BACKOFF_BASE_S": "0.25", "GRAPHWORKER_BACKOFF_MAX_S": "0.125"},
     "GRAPHWORKER_BACKOFF_MAX_S: must be >= GRAPHWORKER_BACKOFF_BASE_S (0.25), got 0.125"),
    ({"GRAPHWORKER_BACKOFF_BASE_S": "61"},
     "GRAPHWORKER_BACKOFF_BASE_S: must be a finite number > 0 and <= 60, got 61.0"),
    ({"GRAPHWORKER_RETRY_BUDGET": "2.5e6"},
     "GRAPHWORKER_RETRY_BUDGET: must be a finite number >= 0 and <= 1000000, got 2500000.0"),
    ({"NEPTUNE_PORT": "0"}, "NEPTUNE_PORT: port must be within 1-65535, got 0"),
    ({"NEPTUNE_PORT": "x"}, "NEPTUNE_PORT: port must be an integer, got 'x'"),
    ({"NEPTUNE_SERIALIZER": "gryo"},
     "NEPTUNE_SERIALIZER: must be one of graphbinary-v1, graphson-v3, graphson-v2, got 'gryo'"),
])
def test_bad_client_settings_are_reported_exactly(env, message):
    with pytest.raises(ConfigError) as raised:
        GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a", **env})
    assert str(raised.value) == message


def test_number_ranges_describe_themselves_with_plain_numbers():
    from framework.config_checks import NumberRange

    assert NumberRange(0.5, 2.25).describe() == "a finite number >= 0.5 and <= 2.25"
    assert NumberRange(0, 10, integer=True, low_open=True).describe() == "an integer > 0 and <= 10"
    assert NumberRange(1e-3, 1e21).describe() == "a finite number >= 0.001 and <= 1000000000000000000000"


def test_the_defaults_are_the_documented_ones():
    config = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "db.example.com"})
    assert config == GraphConfig(endpoint=Endpoint("db.example.com", 8182), reader_endpoints=(), tls=True,
                                 use_iam=False, region=None, serializer="graphbinary-v1", connect_timeout_s=5.0,
                                 request_timeout_s=30.0, idle_reconnect_s=600.0, max_attempts=6,
                                 retry_max_time_s=20.0, backoff_base_s=0.05, backoff_max_s=5.0, retry_budget=20.0,
                                 retry_budget_refill=0.2, max_in_flight=8, max_records_per_request=200,
                                 adaptive_limits=True, breaker_failures=3, breaker_cooldown_s=5.0,
                                 breaker_max_cooldown_s=60.0)
    assert GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a", "AWS_DEFAULT_REGION": "ap-south-1"}).region == "ap-south-1"
    assert GraphConfig.from_env({"NEPTUNE_ENDPOINT": "a", "AWS_DEFAULT_REGION": "ap-south-1",
                                 "AWS_REGION": "eu-north-1"}).region == "eu-north-1"


def test_the_limit_breaker_and_flow_settings_come_from_their_variables():
    config = GraphConfig.from_env({
        "NEPTUNE_ENDPOINT": "wss://db.example.com", "GRAPHWORKER_MAX_IN_FLIGHT": "3",
        "GRAPHWORKER_MAX_RECORDS_PER_REQUEST": "50", "GRAPHWORKER_ADAPTIVE_LIMITS": "off",
        "GRAPHWORKER_BREAKER_FAILURES": "7", "GRAPHWORKER_BREAKER_COOLDOWN_S": "1.5",
        "GRAPHWORKER_BREAKER_MAX_COOLDOWN_S": "30", "NEPTUNE_SERIALIZER": "graphson-v3", "NEPTUNE_PORT": "9999",
    })
    assert (config.max_in_flight, config.max_records_per_request, config.adaptive_limits) == (3, 50, False)
    assert (config.breaker_failures, config.breaker_cooldown_s, config.breaker_max_cooldown_s) == (7, 1.5, 30.0)
    assert config.serializer == "graphson-v3"
    assert config.writer_url == "wss://db.example.com:9999/gremlin"  # the port variable applies to a bare URL


@pytest.mark.parametrize(("env", "overrides", "message"), [
    ({}, {}, "NEPTUNE_ENDPOINT is not set: it must name the Neptune cluster (writer) endpoint, e.g. "
             "my-cluster.cluster-abc.us-east-1.neptune.amazonaws.com"),
    ({"NEPTUNE_ENDPOINT": "http://a"}, {}, "NEPTUNE_ENDPOINT: scheme must be ws or wss, got 'http://a'"),
    ({"NEPTUNE_ENDPOINT": "a/b"}, {}, "NEPTUNE_ENDPOINT: 'a/b' is not a host, host:port or ws[s]://host:port URL"),
    ({"NEPTUNE_ENDPOINT": ":8182"}, {}, "NEPTUNE_ENDPOINT: ':8182' is not a host, host:port or ws[s]://host:port URL"),
    ({"NEPTUNE_ENDPOINT": "a", "USE_IAM": "yes"}, {},
     "USE_IAM is true but AWS_REGION is not set: SigV4 signing needs the region"),
    ({"NEPTUNE_ENDPOINT": "a"}, {"bogus": 1, "also": 2}, "unknown GraphConfig override(s): also, bogus"),
    ({"NEPTUNE_ENDPOINT": "a"}, {"serializer": "gryo"},
     "serializer must be one of ('graphbinary-v1', 'graphson-v3', 'graphson-v2'), got 'gryo'"),
    ({"NEPTUNE_ENDPOINT": "a", "GRAPHWORKER_BREAKER_COOLDOWN_S": "10"}, {"breaker_max_cooldown_s": 5.0},
     "breaker_max_cooldown_s (override): must be >= GRAPHWORKER_BREAKER_COOLDOWN_S (10.0), got 5.0"),
    ({"NEPTUNE_ENDPOINT": "a", "GRAPHWORKER_MAX_IN_FLIGHT": "65", "GRAPHWORKER_MAX_RECORDS_PER_REQUEST": "9"}, {},
     "2 invalid graph client settings: GRAPHWORKER_MAX_IN_FLIGHT: must be an integer >= 1 and <= 64, got 65; "
     "GRAPHWORKER_MAX_RECORDS_PER_REQUEST: must be an integer >= 10 and <= 5000, got 9"),
])
def test_bad_client_configuration_is_reported_exactly(env, overrides, message):
    with pytest.raises(ConfigError) as raised:
        GraphConfig.from_env(env, **overrides)
    assert str(raised.value) == message


def test_endpoint_overrides_are_parsed_like_the_variables():
    config = GraphConfig.from_env({"NEPTUNE_PORT": "9000"}, endpoint="wss://w.example.com",
                                  reader_endpoints=["r1", "ws://r2:7000", Endpoint("r3", 1)])
    assert config.writer_url == "wss://w.example.com:9000/gremlin" and config.tls
    assert config.reader_endpoints == (Endpoint("r1", 9000), Endpoint("r2", 7000), Endpoint("r3", 1))
    plain = GraphConfig.from_env({}, endpoint=Endpoint("e", 5))
    assert plain.writer_url == "wss://e:5/gremlin"
    assert GraphConfig.from_env({"NEPTUNE_ENDPOINT": " ws://x "}).writer_url == "ws://x:8182/gremlin"
