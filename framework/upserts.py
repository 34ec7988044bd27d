"""What a user's mapping function yields for each message: upserts and deletes of vertices and edges.

Why explicit ids and validation here: a redelivered SQS message must change nothing, so every
element is keyed by a deterministic id (vertices by the user's id, edges by an id derived from
label and endpoints unless given) and written with ``mergeV``/``mergeE``. Values Neptune would
refuse are caught before anything is sent, so one bad message fails alone with a clear reason
instead of failing the request it was batched into.

Why versions (``version=``): see :mod:`framework.versions`. Why merge rules (``KeepMax`` ...
as property values): see :mod:`framework.merge_rules`. The rules in one place:

- a versioned upsert creates the element, or updates its plain properties only if the stored
  version is older; an equal version changes nothing; an older one is skipped (a success: the
  graph already holds newer state);
- a versioned delete removes the element (a vertex with its edges) unless the graph holds a
  newer version, and leaves a tombstone so that an older upsert arriving later is skipped,
  while a newer one recreates the element;
- merge-rule properties are combined on every write that is not older than the element's last
  delete, whatever its version relative to the element's;
- unversioned writes are last-writer-wins and do not look at versions or tombstones: an
  unversioned upsert sets its plain properties (the stored version stays) and recreates a
  deleted element; an unversioned delete removes the element and leaves no tombstone. Give
  every write of an element a version when that element must converge.
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
from .merge_rules import MERGE_TYPES, AddToSet, KeepMax, KeepMin, MergeValue
from .versions import RESERVED_PREFIX, Version, VersionError, version_number

PropertyValue = str | bool | int | float | dt.datetime
RESERVED_KEYS = frozenset({"id", "label"})
"""Reserved by TinkerPop for ``T.id``/``T.label``; ``~``-prefixed keys are Neptune system columns;
``gw:``-prefixed ids, labels and keys are graphworker's (versions, tombstones)."""

MAX_ID_LENGTH = 1024
_INT64 = (-(2**63), 2**63 - 1)


class UpsertValidationError(GraphWorkerError):
    """An upsert the database would refuse; the message that produced it fails alone."""


@dataclass(frozen=True, slots=True)
class Vertex:
    """Create-or-update the vertex ``id``: created with ``label`` and ``props``; on match ``props`` are set.

    ``version``: an ``int`` or timezone-aware ``datetime``; the write then applies only over older
    state (see the module docstring). Property values may be merge rules
    (:class:`~framework.merge_rules.KeepMax`, ``KeepMin``, ``AddToSet``).
    """

    id: str
    label: str
    props: Mapping[str, PropertyValue | MergeValue] = field(default_factory=dict)
    version: Version | None = None

    def validate(self) -> None:
        _check_id("vertex id", self.id)
        _check_label(f"vertex {self.id!r} label", self.label)
        _check_props(f"vertex {self.id!r}", self.props, edge=False)
        _check_version(f"vertex {self.id!r}", self.version)

    @property
    def key(self) -> tuple[str, str]:
        return ("v", self.id)

    @property
    def element_id(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Edge:
    """Create-or-update the edge ``label`` from ``from_id`` to ``to_id``.

    ``id`` defaults to :func:`edge_id` of label and endpoints, so the same relationship always
    maps to the same edge, however often the message is delivered. ``version`` and merge-rule
    values as for :class:`Vertex` (``AddToSet`` excepted: an edge property holds one value).
    """

    label: str
    from_id: str
    to_id: str
    props: Mapping[str, PropertyValue | MergeValue] = field(default_factory=dict)
    id: str | None = None
    version: Version | None = None

    def validate(self) -> None:
        _check_edge_identity(self.label, self.from_id, self.to_id, self.id)
        _check_props(f"{self.label} edge {self.from_id!r}->{self.to_id!r}", self.props, edge=True)
        _check_version(f"{self.label} edge {self.from_id!r}->{self.to_id!r}", self.version)

    @property
    def edge_id(self) -> str:
        return self.id if self.id is not None else edge_id(self.label, self.from_id, self.to_id)

    @property
    def key(self) -> tuple[str, str]:
        return ("e", self.edge_id)

    @property
    def element_id(self) -> str:
        return self.edge_id


@dataclass(frozen=True, slots=True)
class DeleteVertex:
    """Delete the vertex ``id`` with its edges (as Neptune does); deleting what is absent succeeds.

    With a ``version``: applied unless the graph holds a newer version, and leaves a tombstone
    (see :mod:`framework.versions`). Without one: deletes whatever is there, no tombstone.
    """

    id: str
    version: Version | None = None

    def validate(self) -> None:
        _check_id("deleted vertex id", self.id)
        _check_version(f"delete of vertex {self.id!r}", self.version)

    @property
    def key(self) -> tuple[str, str]:
        return ("v", self.id)

    @property
    def element_id(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class DeleteEdge:
    """Delete the edge ``label`` from ``from_id`` to ``to_id`` (or the edge ``id``); idempotent.

    ``version`` as for :class:`DeleteVertex`.
    """

    label: str
    from_id: str
    to_id: str
    id: str | None = None
    version: Version | None = None

    def validate(self) -> None:
        _check_edge_identity(self.label, self.from_id, self.to_id, self.id)
        _check_version(f"delete of {self.label} edge {self.from_id!r}->{self.to_id!r}", self.version)

    @property
    def edge_id(self) -> str:
        return self.id if self.id is not None else edge_id(self.label, self.from_id, self.to_id)

    @property
    def key(self) -> tuple[str, str]:
        return ("e", self.edge_id)

    @property
    def element_id(self) -> str:
        return self.edge_id


Upsert = Vertex | Edge
Delete = DeleteVertex | DeleteEdge
Write = Vertex | Edge | DeleteVertex | DeleteEdge
"""Anything an upserts function may yield."""
WRITE_TYPES = (Vertex, Edge, DeleteVertex, DeleteEdge)


def edge_id(label: str, from_id: str, to_id: str) -> str:
    """The deterministic id of an edge: a digest of label and endpoints (collision-safe for any ids)."""
    digest = hashlib.sha256(json.dumps([label, from_id, to_id]).encode()).hexdigest()
    return f"e-{digest[:40]}"


def _check_edge_identity(label: Any, from_id: Any, to_id: Any, given_id: Any) -> None:
    _check_label("edge label", label)
    _check_id(f"{label} edge from_id", from_id)
    _check_id(f"{label} edge to_id", to_id)
    if given_id is not None:
        _check_id(f"{label} edge id", given_id)


def _check_id(what: str, value: Any) -> None:
    if not isinstance(value, str):
        raise UpsertValidationError(f"{what} must be a string (Neptune ids are strings), got {type(value).__name__}")
    if not value or len(value) > MAX_ID_LENGTH:
        raise UpsertValidationError(f"{what} must be 1..{MAX_ID_LENGTH} characters, got {len(value)}")
    _check_text(what, value)
    if value.startswith(RESERVED_PREFIX):
        raise UpsertValidationError(f"{what} {value!r}: ids starting with {RESERVED_PREFIX!r} are reserved "
                                    "for graphworker (tombstones)")


def _check_label(what: str, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise UpsertValidationError(f"{what} must be a non-empty string, got {value!r}")
    _check_text(what, value)
    if value.startswith(RESERVED_PREFIX):
        raise UpsertValidationError(f"{what} {value!r}: labels starting with {RESERVED_PREFIX!r} are reserved")


def _check_version(what: str, version: Any) -> None:
    if version is None:
        return
    try:
        version_number(version)
    except VersionError as exc:
        raise UpsertValidationError(f"{what}: {exc}") from None


def _check_props(what: str, props: Any, *, edge: bool) -> None:
    if not isinstance(props, Mapping):
        raise UpsertValidationError(f"{what}: props must be a mapping, got {type(props).__name__}")
    for key, value in props.items():
        if not isinstance(key, str) or not key:
            raise UpsertValidationError(f"{what}: property keys must be non-empty strings, got {key!r}")
        if key in RESERVED_KEYS or key.startswith("~") or key.startswith(RESERVED_PREFIX):
            raise UpsertValidationError(f"{what}: property key {key!r} is reserved")
        _check_text(f"{what}: property key", key)
        if isinstance(value, MERGE_TYPES):
            _check_merge(f"{what}: property {key!r}", value, edge=edge)
        else:
            _check_value(f"{what}: property {key!r}", value)


def _check_merge(what: str, value: MergeValue, *, edge: bool) -> None:
    if isinstance(value, AddToSet):
        if edge:
            raise UpsertValidationError(f"{what}: AddToSet needs set cardinality, which only vertex properties "
                                        "have (an edge property holds one value)")
        if not value.values:
            raise UpsertValidationError(f"{what}: AddToSet needs at least one value")
        for member in value.values:
            _check_value(f"{what}: AddToSet value", member)
            _check_aware(what, member)
        return
    assert isinstance(value, KeepMax | KeepMin)
    inner = value.value
    if isinstance(inner, bool) or not isinstance(inner, str | int | float | dt.datetime):
        raise UpsertValidationError(f"{what}: {type(value).__name__} needs a str, int, float or datetime, "
                                    f"got {type(inner).__name__}")
    _check_value(f"{what}: {type(value).__name__} value", inner)
    _check_aware(what, inner)


def _check_aware(what: str, value: Any) -> None:
    if isinstance(value, dt.datetime) and (value.tzinfo is None or value.utcoffset() is None):
        raise UpsertValidationError(f"{what}: merge rules compare datetimes, which must be timezone-aware "
                                    f"(got naive {value.isoformat()})")


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
        f"{what}: {kind} is not a type Neptune stores (use str, bool, int, float or datetime, or a merge rule: "
        "KeepMax, KeepMin, AddToSet)")
