"""Run-time settings of the local Gremlin endpoint, changeable through the control API.

Why one validated dataclass: tests, the CLI and (later) the demo's chaos mode all steer the
endpoint by patching these fields over HTTP while clients are connected, so every field has one
name, one type and one range check, and a bad patch is refused whole with a message naming the
field instead of half-applied.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from framework.neptune_codes import NEPTUNE_ERROR_CODES

ROLES = ("writer", "reader")
DROP_MODES = ("before_execute", "after_commit")
NEPTUNE_MAX_REQUEST_BYTES = 157_286_400
"""Neptune refuses a request larger than this (150 MiB) with BadRequestException."""


class SettingsError(ValueError):
    """A control-API patch names an unknown field or gives it a bad value."""


@dataclass
class Credential:
    """One IAM test credential the endpoint accepts in IAM mode."""

    access_key: str
    secret_key: str
    session_token: str | None = None


@dataclass
class IamSettings:
    """IAM mode: the WebSocket handshake must carry a valid SigV4 signature for neptune-db."""

    enabled: bool = False
    region: str = "us-east-1"
    credentials: list[Credential] = field(
        default_factory=lambda: [Credential("AKIDLOCALTEST", "local-test-secret-key")]
    )
    max_skew_seconds: int = 300


@dataclass
class DropSettings:
    """The "empty response" hazard: close the socket after a request arrives, before any response.

    ``before_execute`` drops the request unapplied; ``after_commit`` applies it, then drops the
    response: the client cannot tell which happened, which is the point.
    """

    rate: float = 0.0
    count: int = 0
    mode: str = "before_execute"


@dataclass
class InjectSettings:
    """Injected Neptune errors for chaos tests: ``count`` next requests, then ``rate`` of the rest."""

    code: str = "ConcurrentModificationException"
    rate: float = 0.0
    count: int = 0
    writes_only: bool = True


@dataclass
class EndpointSettings:
    """Everything the control API can change. Defaults give a well-behaved, fast writer."""

    role: str = "writer"
    latency_ms: float = 0.0
    hold_ms: float = 0.0
    conflict_rate: float = 0.0
    workers: int = 8
    queue_limit: int = 8192
    max_connections: int = 1000
    accept_connections: bool = True
    """False plays an instance that is down (rebooting, failing over): handshakes get HTTP 503."""
    idle_timeout_s: float = 1200.0
    query_timeout_ms: int = 120_000
    batch_size: int = 64
    max_request_bytes: int = NEPTUNE_MAX_REQUEST_BYTES
    drop: DropSettings = field(default_factory=DropSettings)
    inject: InjectSettings = field(default_factory=InjectSettings)
    iam: IamSettings = field(default_factory=IamSettings)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def patched(self, patch: dict[str, Any]) -> EndpointSettings:
        """A validated copy with ``patch`` applied (nested sections merge field by field)."""
        if not isinstance(patch, dict):
            raise SettingsError("settings patch must be a JSON object")
        merged = _merge(self.to_json(), patch, path="")
        new = _build(merged)
        new.validate()
        return new

    def validate(self) -> None:
        _check(self.role in ROLES, "role", f"must be one of {ROLES}, got {self.role!r}")
        for name in ("latency_ms", "hold_ms", "idle_timeout_s"):
            _check(getattr(self, name) >= 0, name, "must be >= 0")
        _check(0.0 <= self.conflict_rate <= 1.0, "conflict_rate", "must be within [0, 1]")
        for name in ("workers", "queue_limit", "max_connections", "query_timeout_ms", "batch_size",
                     "max_request_bytes"):
            _check(getattr(self, name) >= 1, name, "must be >= 1")
        _check(0.0 <= self.drop.rate <= 1.0, "drop.rate", "must be within [0, 1]")
        _check(self.drop.count >= 0, "drop.count", "must be >= 0")
        _check(self.drop.mode in DROP_MODES, "drop.mode", f"must be one of {DROP_MODES}")
        _check(0.0 <= self.inject.rate <= 1.0, "inject.rate", "must be within [0, 1]")
        _check(self.inject.count >= 0, "inject.count", "must be >= 0")
        _check(self.inject.code in NEPTUNE_ERROR_CODES, "inject.code",
               f"must be a Neptune error code, got {self.inject.code!r}")
        _check(bool(self.iam.credentials), "iam.credentials", "needs at least one credential")
        _check(self.iam.max_skew_seconds >= 1, "iam.max_skew_seconds", "must be >= 1")


def _check(ok: bool, name: str, message: str) -> None:
    if not ok:
        raise SettingsError(f"{name}: {message}")


_SECTIONS = {"drop": DropSettings, "inject": InjectSettings, "iam": IamSettings}


def _merge(base: dict[str, Any], patch: dict[str, Any], path: str) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        where = f"{path}{key}"
        if key not in base:
            raise SettingsError(f"{where}: unknown setting (known: {', '.join(sorted(base))})")
        current = base[key]
        if isinstance(current, dict):
            if not isinstance(value, dict):
                raise SettingsError(f"{where}: must be a JSON object")
            out[key] = _merge(current, value, path=f"{where}.")
            continue
        out[key] = _coerce(where, current, value)
    return out


def _coerce(where: str, current: Any, value: Any) -> Any:
    """Accept a value only if it has the field's JSON type (ints are fine for float fields)."""
    if isinstance(current, bool):
        ok = isinstance(value, bool)
    elif isinstance(current, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(current, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(current, str):
        ok = isinstance(value, str)
    elif isinstance(current, list):
        ok = isinstance(value, list)
    else:
        ok = current is None or value is None or isinstance(value, type(current))
    if not ok:
        raise SettingsError(f"{where}: expected {type(current).__name__}, got {value!r}")
    return value


def _build(data: dict[str, Any]) -> EndpointSettings:
    kwargs = dict(data)
    for name, cls in _SECTIONS.items():
        section = dict(kwargs[name])
        if name == "iam":
            creds = []
            for i, c in enumerate(section["credentials"]):
                if not isinstance(c, dict) or not {"access_key", "secret_key"} <= set(c):
                    raise SettingsError(f"iam.credentials[{i}]: needs access_key and secret_key")
                unknown = set(c) - {"access_key", "secret_key", "session_token"}
                if unknown:
                    raise SettingsError(f"iam.credentials[{i}]: unknown keys {sorted(unknown)}")
                creds.append(Credential(**c))
            section["credentials"] = creds
        kwargs[name] = cls(**section)
    return EndpointSettings(**kwargs)
