"""Batch-layer settings: environment variables with explicit overrides, like :mod:`framework.config`.

=====================================  =========  ============================================
variable                               default    meaning
=====================================  =========  ============================================
``GRAPHWORKER_MAX_UPSERTS_PER_REQUEST`` 100        elements per Gremlin write request
``GRAPHWORKER_MAX_REQUEST_BYTES``       524288     serialized bytes per request (Neptune's own
                                                   limit is 150 MiB; small requests keep lock
                                                   hold times and retries cheap)
``GRAPHWORKER_DEADLINE_MARGIN_S``       3          stop starting requests this long before the
                                                   Lambda timeout; the rest is redelivered
=====================================  =========  ============================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    max_upserts_per_request: int = 100
    max_request_bytes: int = 524_288
    deadline_margin_s: float = 3.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> WorkerConfig:
        env = os.environ if env is None else env
        unknown = set(overrides) - {"max_upserts_per_request", "max_request_bytes", "deadline_margin_s"}
        if unknown:
            raise ConfigError(f"unknown WorkerConfig override(s): {', '.join(sorted(unknown))}")

        def number(field: str, var: str, default: float, *, integer: bool, minimum: float) -> Any:
            if field in overrides:
                return overrides[field]
            raw = env.get(var, "").strip()
            if not raw:
                return default
            try:
                value: float = int(raw) if integer else float(raw)
            except ValueError:
                raise ConfigError(f"{var}: expected {'an integer' if integer else 'a number'}, got {raw!r}") from None
            if value < minimum:
                raise ConfigError(f"{var}: must be >= {minimum:g}, got {raw!r}")
            return value

        return cls(
            max_upserts_per_request=number("max_upserts_per_request", "GRAPHWORKER_MAX_UPSERTS_PER_REQUEST", 100,
                                           integer=True, minimum=1),
            max_request_bytes=number("max_request_bytes", "GRAPHWORKER_MAX_REQUEST_BYTES", 524_288,
                                     integer=True, minimum=1024),
            deadline_margin_s=number("deadline_margin_s", "GRAPHWORKER_DEADLINE_MARGIN_S", 3.0,
                                     integer=False, minimum=0),
        )
