"""Connection and retry configuration: environment variables with explicit overrides.

Why from the environment: a Lambda function is configured by its SAM template's environment,
and a missing or malformed value must fail at start-up (cold start) with a message naming the
variable, not at the first message with a confusing socket error. Explicit keyword overrides
win over the environment, in the Powertools style, so tests and scripts need no env juggling.

========================================  ==================  ===================================
variable                                  default             meaning
========================================  ==================  ===================================
``NEPTUNE_ENDPOINT``                      (required)          writer (cluster) endpoint: host,
                                                              host:port, or ws[s]://host:port/gremlin
``NEPTUNE_PORT``                          8182                port when the endpoint has none
``NEPTUNE_READER_ENDPOINTS``              (none)              comma-separated reader/instance
                                                              endpoints for reads; one is picked at
                                                              random per execution context
``NEPTUNE_TLS``                           true                wss:// (Neptune requires TLS)
``USE_IAM``                               false               SigV4-sign the WebSocket handshake
``AWS_REGION``                            (required w/ IAM)   region for SigV4 (neptune-db)
``NEPTUNE_SERIALIZER``                    graphbinary-v1      graphbinary-v1 | graphson-v3 | graphson-v2
``NEPTUNE_CONNECT_TIMEOUT_S``             5                   WebSocket connect + handshake limit
``NEPTUNE_REQUEST_TIMEOUT_S``             30                  one request's response limit
``NEPTUNE_IDLE_RECONNECT_S``              600                 reconnect before using a connection
                                                              idle this long (Neptune closes idle
                                                              connections after about 20 minutes)
``GRAPHWORKER_MAX_ATTEMPTS``              6                   attempts per request (1 + retries)
``GRAPHWORKER_RETRY_MAX_TIME_S``          20                  retrying stops after this long
``GRAPHWORKER_BACKOFF_BASE_S``            0.05                first backoff ceiling (full jitter)
``GRAPHWORKER_BACKOFF_MAX_S``             5                   largest backoff ceiling
``GRAPHWORKER_RETRY_BUDGET``              20                  retry tokens per execution context
``GRAPHWORKER_RETRY_BUDGET_REFILL``       0.2                 tokens returned by each success
``GRAPHWORKER_MAX_IN_FLIGHT``             8                   requests in flight at once, at most
                                                              (the adaptive limit stays below)
``GRAPHWORKER_MAX_RECORDS_PER_REQUEST``   200                 request size cap in records (Neptune's
                                                              guidance: about 200)
``GRAPHWORKER_ADAPTIVE_LIMITS``           true                adapt in-flight limit and request size
                                                              to the database's answers
``GRAPHWORKER_BREAKER_FAILURES``          3                   failed requests in a row that open the
                                                              circuit breaker
``GRAPHWORKER_BREAKER_COOLDOWN_S``        5                   first wait before a probe (doubles)
``GRAPHWORKER_BREAKER_MAX_COOLDOWN_S``    60                  longest wait before a probe
========================================  ==================  ===================================
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .config_checks import NumberRange, check_numbers, parse_number, raise_problems
from .errors import ConfigError

SERIALIZERS = ("graphbinary-v1", "graphson-v3", "graphson-v2")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One Neptune endpoint (host and port); ``url`` depends on TLS."""

    host: str
    port: int

    def url(self, tls: bool) -> str:
        return f"{'wss' if tls else 'ws'}://{self.host}:{self.port}/gremlin"


@dataclass(frozen=True, slots=True)
class GraphConfig:
    """Everything the graph client needs. Build with :meth:`from_env`."""

    endpoint: Endpoint
    reader_endpoints: tuple[Endpoint, ...] = ()
    tls: bool = True
    use_iam: bool = False
    region: str | None = None
    serializer: str = "graphbinary-v1"
    connect_timeout_s: float = 5.0
    request_timeout_s: float = 30.0
    idle_reconnect_s: float = 600.0
    max_attempts: int = 6
    retry_max_time_s: float = 20.0
    backoff_base_s: float = 0.05
    backoff_max_s: float = 5.0
    retry_budget: float = 20.0
    retry_budget_refill: float = 0.2
    max_in_flight: int = 8
    max_records_per_request: int = 200
    adaptive_limits: bool = True
    breaker_failures: int = 3
    breaker_cooldown_s: float = 5.0
    breaker_max_cooldown_s: float = 60.0

    def __post_init__(self) -> None:
        numbers = {name: getattr(self, name) for name in NUMBER_SETTINGS}
        problems = check_numbers(numbers, {k: v[1] for k, v in NUMBER_SETTINGS.items()}, {})
        raise_problems(problems + _cross_checks(numbers, {}), "graph client")

    @property
    def writer_url(self) -> str:
        return self.endpoint.url(self.tls)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> GraphConfig:
        """Read the variables in the module docstring; ``overrides`` (field names) win.

        Raises :class:`ConfigError` naming the variable for anything missing or malformed.
        """
        env = os.environ if env is None else env
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(overrides) - fields
        if unknown:
            raise ConfigError(f"unknown GraphConfig override(s): {', '.join(sorted(unknown))}")

        def pick(field: str, var: str, parse: Callable[[str, str], T], default: T) -> T:
            if field in overrides:
                return overrides[field]  # type: ignore[no-any-return]
            raw = env.get(var)
            if raw is None or raw.strip() == "":
                return default
            return parse(var, raw.strip())

        raw_port = env.get("NEPTUNE_PORT", "").strip()
        port = _parse_port("NEPTUNE_PORT", raw_port) if raw_port else 8182
        _tls: bool | None = None
        if "endpoint" in overrides:
            endpoint = overrides["endpoint"]
            if isinstance(endpoint, str):
                endpoint, _tls = _parse_endpoint("endpoint", endpoint, port)
        else:
            raw = env.get("NEPTUNE_ENDPOINT", "").strip()
            if not raw:
                raise ConfigError("NEPTUNE_ENDPOINT is not set: it must name the Neptune cluster "
                                  "(writer) endpoint, e.g. my-cluster.cluster-abc.us-east-1"
                                  ".neptune.amazonaws.com")
            endpoint, _tls = _parse_endpoint("NEPTUNE_ENDPOINT", raw, port)
        tls_default = True if _tls is None else _tls
        no_readers: tuple[Endpoint, ...] = ()
        if "reader_endpoints" in overrides:
            overrides["reader_endpoints"] = tuple(
                _parse_endpoint("reader_endpoints", r, port)[0] if isinstance(r, str) else r
                for r in overrides["reader_endpoints"])
        readers = pick("reader_endpoints", "NEPTUNE_READER_ENDPOINTS",
                       lambda var, raw: tuple(_parse_endpoint(var, part.strip(), port)[0]
                                              for part in raw.split(",") if part.strip()), no_readers)
        problems: list[str] = []
        numbers: dict[str, Any] = {}
        labels: dict[str, str] = {}
        for name, (var, spec) in NUMBER_SETTINGS.items():
            labels[name] = var if name not in overrides else f"{name} (override)"
            if name in overrides:
                numbers[name] = overrides[name]
                continue
            raw_value = env.get(var, "").strip()
            try:
                numbers[name] = parse_number(var, raw_value, spec) if raw_value else _DEFAULTS[name]
            except ConfigError as exc:
                problems.append(str(exc))
                numbers[name] = _DEFAULTS[name]
        problems += check_numbers(numbers, {k: v[1] for k, v in NUMBER_SETTINGS.items()}, labels)
        problems += _cross_checks(numbers, labels)
        raise_problems(problems, "graph client")
        config = cls(
            endpoint=endpoint,
            reader_endpoints=tuple(readers),
            tls=pick("tls", "NEPTUNE_TLS", _parse_bool, tls_default),
            use_iam=pick("use_iam", "USE_IAM", _parse_bool, False),
            region=pick("region", "AWS_REGION", lambda var, raw: raw, env.get("AWS_DEFAULT_REGION")),
            serializer=pick("serializer", "NEPTUNE_SERIALIZER", _parse_choice(SERIALIZERS), "graphbinary-v1"),
            adaptive_limits=pick("adaptive_limits", "GRAPHWORKER_ADAPTIVE_LIMITS", _parse_bool, True),
            **numbers,
        )
        if config.use_iam and not config.region:
            raise ConfigError("USE_IAM is true but AWS_REGION is not set: SigV4 signing needs the region")
        if config.serializer not in SERIALIZERS:
            raise ConfigError(f"serializer must be one of {SERIALIZERS}, got {config.serializer!r}")
        return config


_LAMBDA_MAX_S = 900.0
NUMBER_SETTINGS: dict[str, tuple[str, NumberRange]] = {
    "connect_timeout_s": ("NEPTUNE_CONNECT_TIMEOUT_S", NumberRange(0, _LAMBDA_MAX_S, low_open=True)),
    "request_timeout_s": ("NEPTUNE_REQUEST_TIMEOUT_S", NumberRange(0, _LAMBDA_MAX_S, low_open=True)),
    "idle_reconnect_s": ("NEPTUNE_IDLE_RECONNECT_S", NumberRange(0, 86_400, low_open=True)),
    "max_attempts": ("GRAPHWORKER_MAX_ATTEMPTS", NumberRange(1, 100, integer=True)),
    "retry_max_time_s": ("GRAPHWORKER_RETRY_MAX_TIME_S", NumberRange(0, _LAMBDA_MAX_S, low_open=True)),
    "backoff_base_s": ("GRAPHWORKER_BACKOFF_BASE_S", NumberRange(0, 60, low_open=True)),
    "backoff_max_s": ("GRAPHWORKER_BACKOFF_MAX_S", NumberRange(0, _LAMBDA_MAX_S, low_open=True)),
    "retry_budget": ("GRAPHWORKER_RETRY_BUDGET", NumberRange(0, 1_000_000)),
    "retry_budget_refill": ("GRAPHWORKER_RETRY_BUDGET_REFILL", NumberRange(0, 1_000_000)),
    "max_in_flight": ("GRAPHWORKER_MAX_IN_FLIGHT", NumberRange(1, 64, integer=True)),
    "max_records_per_request": ("GRAPHWORKER_MAX_RECORDS_PER_REQUEST", NumberRange(10, 5000, integer=True)),
    "breaker_failures": ("GRAPHWORKER_BREAKER_FAILURES", NumberRange(1, 1000, integer=True)),
    "breaker_cooldown_s": ("GRAPHWORKER_BREAKER_COOLDOWN_S", NumberRange(0, _LAMBDA_MAX_S, low_open=True)),
    "breaker_max_cooldown_s": ("GRAPHWORKER_BREAKER_MAX_COOLDOWN_S", NumberRange(0, 3600, low_open=True)),
}
"""Every numeric setting: its variable and its allowed (finite) range. Lambda runs at most 900 s."""

_DEFAULTS: dict[str, Any] = {
    "connect_timeout_s": 5.0, "request_timeout_s": 30.0, "idle_reconnect_s": 600.0, "max_attempts": 6,
    "retry_max_time_s": 20.0, "backoff_base_s": 0.05, "backoff_max_s": 5.0, "retry_budget": 20.0,
    "retry_budget_refill": 0.2, "max_in_flight": 8, "max_records_per_request": 200, "breaker_failures": 3,
    "breaker_cooldown_s": 5.0, "breaker_max_cooldown_s": 60.0,
}


def _cross_checks(numbers: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    problems = []
    for low, high in (("backoff_base_s", "backoff_max_s"), ("breaker_cooldown_s", "breaker_max_cooldown_s")):
        base, top = numbers[low], numbers[high]
        if isinstance(base, int | float) and isinstance(top, int | float) and top < base:
            problems.append(f"{labels.get(high, high)}: must be >= {labels.get(low, low)} ({base!r}), got {top!r}")
    return problems


def _parse_endpoint(var: str, raw: str, default_port: int) -> tuple[Endpoint, bool | None]:
    """``host``, ``host:port`` or ``ws[s]://host[:port][/gremlin]``; returns (endpoint, tls-from-scheme)."""
    tls: bool | None = None
    text = raw
    if "://" in raw:
        parts = urlsplit(raw)
        if parts.scheme not in ("ws", "wss"):
            raise ConfigError(f"{var}: scheme must be ws or wss, got {raw!r}")
        tls = parts.scheme == "wss"
        text = parts.netloc
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = text, ""
    if not host or "/" in host or " " in host:
        raise ConfigError(f"{var}: {raw!r} is not a host, host:port or ws[s]://host:port URL")
    port = _parse_port(var, port_text) if port_text else default_port
    return Endpoint(host, port), tls


def _parse_port(var: str, raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{var}: port must be an integer, got {raw!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(f"{var}: port must be within 1-65535, got {port}")
    return port


def _parse_bool(var: str, raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{var}: expected true/false, got {raw!r}")


def _parse_choice(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(var: str, raw: str) -> str:
        if raw not in choices:
            raise ConfigError(f"{var}: must be one of {', '.join(choices)}, got {raw!r}")
        return raw

    return parse
