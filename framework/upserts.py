"""Idempotent upserts: what a user's mapping function yields for each message.

Why explicit ids and validation here: a redelivered SQS message must change nothing, so every
element is keyed by a deterministic id (vertices by the user's id, edges by an id derived from
label and endpoints unless given) and written with ``mergeV``/``mergeE``. Values Neptune would
refuse are caught before anything is sent, so one bad message fails alone with a clear reason
instead of failing the request it was batched into.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import GraphWorkerError

PropertyValue = str | bool | int | float | dt.datetime
RESERVED_KEYS = frozenset({"id", "label"})
"""Reserved by TinkerPop for ``T.id``/``T.label``; ``~``-prefixed keys are Neptune system columns."""

MAX_ID_LENGTH = 1024
_INT64 = (-(2**63), 2**63 - 1)


class UpsertValidationError(GraphWorkerError):
    """An upsert the database would refuse; the message that produced it fails alone."""


@dataclass(frozen=True, slots=True)
class Vertex:
    """Create-or-update the vertex ``id``: created with ``label`` and ``props``; on match ``props`` are set."""

    id: str
    label: str
    props: Mapping[str, PropertyValue] = field(default_factory=dict)

    def validate(self) -> None:
        _check_id("vertex id", self.id)
        _check_label(f"vertex {self.id!r} label", self.label)
        _check_props(f"vertex {self.id!r}", self.props)

    @property
    def key(self) -> tuple[str, str]:
        return ("v", self.id)


@dataclass(frozen=True, slots=True)
class Edge:
    """Create-or-update the edge ``label`` from ``from_id`` to ``to_id``.

    ``id`` defaults to :func:`edge_id` of label and endpoints, so the same relationship always
    maps to the same edge, however often the message is delivered.
    """

    label: str
    from_id: str
    to_id: str
    props: Mapping[str, PropertyValue] = field(default_factory=dict)
    id: str | None = None

    def validate(self) -> None:
        _check_label("edge label", self.label)
        _check_id(f"{self.label} edge from_id", self.from_id)
        _check_id(f"{self.label} edge to_id", self.to_id)
        if self.id is not None:
            _check_id(f"{self.label} edge id", self.id)
        _check_props(f"{self.label} edge {self.from_id!r}->{self.to_id!r}", self.props)

    @property
    def edge_id(self) -> str:
        return self.id if self.id is not None else edge_id(self.label, self.from_id, self.to_id)

    @property
    def key(self) -> tuple[str, str]:
        return ("e", self.edge_id)


Upsert = Vertex | Edge


def edge_id(label: str, from_id: str, to_id: str) -> str:
    """The deterministic id of an edge: a digest of label and endpoints (collision-safe for any ids)."""
    digest = hashlib.sha256(json.dumps([label, from_id, to_id]).encode()).hexdigest()
    return f"e-{digest[:40]}"


def _check_id(what: str, value: Any) -> None:
    if not isinstance(value, str):
        raise UpsertValidationError(f"{what} must be a string (Neptune ids are strings), got {type(value).__name__}")
    if not value or len(value) > MAX_ID_LENGTH:
        raise UpsertValidationError(f"{what} must be 1..{MAX_ID_LENGTH} characters, got {len(value)}")
    _check_text(what, value)


def _check_label(what: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise UpsertValidationError(f"{what} must be a non-empty string, got {value!r}")
    _check_text(what, value)


def _check_props(what: str, props: Any) -> None:
    if not isinstance(props, Mapping):
        raise UpsertValidationError(f"{what}: props must be a mapping, got {type(props).__name__}")
    for key, value in props.items():
        if not isinstance(key, str) or not key:
            raise UpsertValidationError(f"{what}: property keys must be non-empty strings, got {key!r}")
        if key in RESERVED_KEYS or key.startswith("~"):
            raise UpsertValidationError(f"{what}: property key {key!r} is reserved")
        _check_text(f"{what}: property key", key)
        _check_value(f"{what}: property {key!r}", value)


def _check_text(what: str, value: str) -> None:
    """Text must be encodable as UTF-8 (the wire format); a lone UTF-16 surrogate is not.

    JSON allows ``"\\udc00"`` on its own, and Python decodes it into a string that cannot be
    serialized: caught here, it fails its own message instead of the request it is batched into.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = value[exc.start]
        raise UpsertValidationError(
            f"{what} contains a lone UTF-16 surrogate (U+{ord(bad):04X}) at position {exc.start}, "
            "which is not valid Unicode text") from None


def _check_value(what: str, value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, str):
        _check_text(what, value)
        return
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise UpsertValidationError(f"{what}: integer {value} does not fit in 64 bits")
        return
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise UpsertValidationError(f"{what}: {value} is not a finite number")
        return
    if isinstance(value, dt.datetime):
        return
    kind = "None" if value is None else type(value).__name__
    raise UpsertValidationError(
        f"{what}: {kind} is not a type Neptune stores (use str, bool, int, float or datetime)")
