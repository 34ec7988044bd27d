"""Graph client settings at their edges, with the exact error text an operator reads: labels of
cross-checked settings, several problems in one error, IPv6 and out-of-range ports, the names of
overrides in errors, whitespace-only variables, and a bool where a number belongs."""

from __future__ import annotations

import pytest

from framework.config import Endpoint, GraphConfig
from framework.config_checks import NumberRange
from framework.errors import ConfigError

HOST = Endpoint("db.example.com", 8182)


def _error(call, *args, **kwargs) -> str:
    with pytest.raises(ConfigError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def test_a_graph_config_names_its_fields_in_range_and_cross_check_errors():
    assert _error(GraphConfig, HOST, max_in_flight=0) == "max_in_flight: must be an integer >= 1 and <= 64, got 0"
    assert _error(GraphConfig, HOST, backoff_base_s=2.0, backoff_max_s=1.0) == \
        "backoff_max_s: must be >= backoff_base_s (2.0), got 1.0"
    assert _error(GraphConfig, HOST, max_in_flight=0, breaker_cooldown_s=9.0, breaker_max_cooldown_s=3.0) == (
        "2 invalid graph client settings: max_in_flight: must be an integer >= 1 and <= 64, got 0; "
        "breaker_max_cooldown_s: must be >= breaker_cooldown_s (9.0), got 3.0")


def test_an_ipv6_endpoint_keeps_its_port():
    config = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "ws://[::1]:8183/gremlin"})
    assert config.endpoint == Endpoint("[::1]", 8183) and config.writer_url == "ws://[::1]:8183/gremlin"


def test_ports_beyond_65535_are_refused_naming_the_variable():
    assert _error(GraphConfig.from_env, {"NEPTUNE_ENDPOINT": "db", "NEPTUNE_PORT": "65536"}) == \
        "NEPTUNE_PORT: port must be within 1-65535, got 65536"
    assert GraphConfig.from_env({"NEPTUNE_ENDPOINT": "db", "NEPTUNE_PORT": "65535"}).endpoint.port == 65535
    assert _error(GraphConfig.from_env, {"NEPTUNE_ENDPOINT": "db:0"}) == \
        "NEPTUNE_ENDPOINT: port must be within 1-65535, got 0"


def test_bad_endpoint_overrides_are_named_as_overrides():
    assert _error(GraphConfig.from_env, {}, endpoint="bad host") == \
        "endpoint: 'bad host' is not a host, host:port or ws[s]://host:port URL"
    assert _error(GraphConfig.from_env, {"NEPTUNE_ENDPOINT": "db"}, reader_endpoints=["bad host"]) == \
        "reader_endpoints: 'bad host' is not a host, host:port or ws[s]://host:port URL"


def test_a_whitespace_only_variable_means_the_default():
    config = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "db", "NEPTUNE_TLS": "   ", "USE_IAM": " "})
    assert config.tls is True and config.use_iam is False


def test_the_adaptive_limits_override_wins():
    assert GraphConfig.from_env({"NEPTUNE_ENDPOINT": "db"}, adaptive_limits=False).adaptive_limits is False
    assert GraphConfig.from_env({"NEPTUNE_ENDPOINT": "db", "GRAPHWORKER_ADAPTIVE_LIMITS": "true"},
                                adaptive_limits=False).adaptive_limits is False


def test_a_bool_or_a_string_is_not_a_number():
    assert NumberRange(0, 10, integer=True).problem(True) == "expected an integer >= 0 and <= 10, got True"
    assert NumberRange(0, 10).problem("5") == "expected a finite number >= 0 and <= 10, got '5'"
