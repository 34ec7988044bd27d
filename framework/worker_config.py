"""Batch-layer settings: environment variables with explicit overrides, like :mod:`framework.config`.

=====================================  =========  ============================================
variable                               default    meaning
=====================================  =========  ============================================
``GRAPHWORKER_MAX_UPSERTS_PER_REQUEST`` 100        elements per Gremlin write request (1-5000)
``GRAPHWORKER_MAX_REQUEST_BYTES``       524288     serialized bytes per request (1 KiB to
                                                   Neptune's own limit of 150 MiB; small
                                                   requests keep lock hold times and retries
                                                   cheap)
``GRAPHWORKER_DEADLINE_MARGIN_S``       3          stop starting requests this long before the
                                                   Lambda timeout (0-900); the rest is
                                                   redelivered
``GRAPHWORKER_REDELIVERY_BACKOFF``      auto       delay back-pressured messages' redelivery
                                                   (auto: on inside Lambda); true, false
``GRAPHWORKER_REDELIVERY_BASE_S``       60         first redelivery delay (x4 per receive)
``GRAPHWORKER_REDELIVERY_MAX_S``        3600       longest redelivery delay (SQS: 43,200 max)
=====================================  =========  ============================================

Values must be finite and in range; anything else is one :class:`ConfigError` at start.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config_checks import NumberRange, check_numbers, parse_number, raise_problems
from .errors import ConfigError
from .redelivery import SQS_MAX_VISIBILITY_S

NEPTUNE_MAX_REQUEST_BYTES = 157_286_400
"""Neptune refuses a request larger than this (BadRequestException)."""

NUMBER_SETTINGS: dict[str, tuple[str, NumberRange]] = {
    "max_upserts_per_request": ("GRAPHWORKER_MAX_UPSERTS_PER_REQUEST", NumberRange(1, 5000, integer=True)),
    "max_request_bytes": ("GRAPHWORKER_MAX_REQUEST_BYTES", NumberRange(1024, NEPTUNE_MAX_REQUEST_BYTES, integer=True)),
    "deadline_margin_s": ("GRAPHWORKER_DEADLINE_MARGIN_S", NumberRange(0, 900)),
    "redelivery_base_s": ("GRAPHWORKER_REDELIVERY_BASE_S", NumberRange(1, SQS_MAX_VISIBILITY_S, integer=True)),
    "redelivery_max_s": ("GRAPHWORKER_REDELIVERY_MAX_S", NumberRange(1, SQS_MAX_VISIBILITY_S, integer=True)),
}
BACKOFF_CHOICES = ("auto", "true", "false")


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    max_upserts_per_request: int = 100
    max_request_bytes: int = 524_288
    deadline_margin_s: float = 3.0
    redelivery_base_s: int = 60
    redelivery_max_s: int = 3600
    redelivery_backoff: str = "auto"

    def __post_init__(self) -> None:
        values = {name: getattr(self, name) for name in NUMBER_SETTINGS}
        problems = check_numbers(values, {k: v[1] for k, v in NUMBER_SETTINGS.items()}, {})
        if self.redelivery_backoff not in BACKOFF_CHOICES:
            problems.append(f"redelivery_backoff: must be one of {', '.join(BACKOFF_CHOICES)}, "
                            f"got {self.redelivery_backoff!r}")
        raise_problems(problems, "worker")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> WorkerConfig:
        env = os.environ if env is None else env
        unknown = set(overrides) - set(NUMBER_SETTINGS) - {"redelivery_backoff"}
        if unknown:
            raise ConfigError(f"unknown WorkerConfig override(s): {', '.join(sorted(unknown))}")
        problems: list[str] = []
        values: dict[str, Any] = {}
        labels: dict[str, str] = {}
        for name, (var, spec) in NUMBER_SETTINGS.items():
            labels[name] = f"{name} (override)" if name in overrides else var
            if name in overrides:
                values[name] = overrides[name]
                continue
            raw = env.get(var, "").strip()
            if not raw:
                values[name] = _DEFAULTS[name]
                continue
            try:
                values[name] = parse_number(var, raw, spec)
            except ConfigError as exc:
                problems.append(str(exc))
                values[name] = _DEFAULTS[name]
        problems += check_numbers(values, {k: v[1] for k, v in NUMBER_SETTINGS.items()}, labels)
        backoff = overrides.get("redelivery_backoff", env.get("GRAPHWORKER_REDELIVERY_BACKOFF", "").strip().lower()
                                or "auto")
        if backoff not in BACKOFF_CHOICES:
            problems.append(f"GRAPHWORKER_REDELIVERY_BACKOFF: must be one of {', '.join(BACKOFF_CHOICES)}, "
                            f"got {backoff!r}")
        raise_problems(problems, "worker")
        return cls(**values, redelivery_backoff=backoff)


_DEFAULTS: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(WorkerConfig)}
