"""Range checks for numeric settings, shared by :mod:`framework.config` and :mod:`framework.worker_config`.

Why strict: a setting read as ``nan`` or ``inf`` parses as a float and silently disables what it
bounds (``GRAPHWORKER_DEADLINE_MARGIN_S=nan`` turns the deadline guard off, since every
comparison with NaN is false). Every numeric setting therefore has a finite range, checked for
environment values and explicit overrides alike, and all problems are reported in one
:class:`~framework.errors.ConfigError` at start (cold start), naming each variable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True, slots=True)
class NumberRange:
    """Allowed values of one numeric setting: ``low``..``high``; ``low_open`` excludes ``low``."""

    low: float
    high: float
    integer: bool = False
    low_open: bool = False

    def describe(self) -> str:
        kind = "an integer" if self.integer else "a finite number"
        low = f"> {_num(self.low)}" if self.low_open else f">= {_num(self.low)}"
        return f"{kind} {low} and <= {_num(self.high)}"

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed, or None."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected {self.describe()}, got {value!r}"
        if self.integer and not isinstance(value, int):
            return f"expected {self.describe()}, got {value!r}"
        if not math.isfinite(value):
            return f"must be {self.describe()}, got {value!r}"
        too_low = value <= self.low if self.low_open else value < self.low
        if too_low or value > self.high:
            return f"must be {self.describe()}, got {value!r}"
        return None


def parse_number(var: str, raw: str, spec: NumberRange) -> float | int:
    """Parse an environment value for ``spec``; raises ConfigError naming ``var``."""
    text = raw.strip()
    try:
        value: float | int = int(text) if spec.integer else float(text)
    except ValueError:
        raise ConfigError(f"{var}: expected {spec.describe()}, got {raw!r}") from None
    problem = spec.problem(value)
    if problem:
        raise ConfigError(f"{var}: {problem}")
    return value


def check_numbers(values: Mapping[str, Any], specs: Mapping[str, NumberRange],
                  labels: Mapping[str, str]) -> list[str]:
    """Problems with ``values`` (field -> value) against ``specs``, each prefixed by its label."""
    problems: list[str] = []
    for field, spec in specs.items():
        problem = spec.problem(values[field])
        if problem:
            problems.append(f"{labels.get(field, field)}: {problem}")
    return problems


def raise_problems(problems: list[str], what: str) -> None:
    """One ConfigError listing every problem (nothing when the list is empty)."""
    if len(problems) == 1:
        raise ConfigError(problems[0])
    if problems:
        raise ConfigError(f"{len(problems)} invalid {what} settings: " + "; ".join(problems))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
