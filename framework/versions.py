"""Versions of elements and what graphworker stores in the graph to make writes order-safe.

Why versions: standard SQS queues deliver out of order and every retry delays a message
further, so an older message is often written after a newer one. An upsert or delete that
carries a version (the event's sequence number or timestamp) is applied only if the graph holds
an older one, in the same request as the check, so concurrent writers converge too.

What is stored (all names start with ``gw:``, a prefix reserved for graphworker):

- ``gw:version`` on every versioned vertex and edge: the version of the newest write applied,
  as a 64-bit integer; ``gw:v:<key>``: the version that last set plain property ``<key>``, so
  each property is newest-wins on its own (a partial update that arrives late still sets the
  properties no newer write set). An ``int`` version is stored as is; a timezone-aware ``datetime`` as
  microseconds since the Unix epoch (UTC), so both compare as numbers. Use one kind per element
  (a batch refuses a message that mixes them for one element). ``gw:born``: the oldest version
  that wrote the element's current life (lowered when an older write lands), which tells a
  late delete apart from one that belongs to an earlier life.
- Tombstones: a versioned delete leaves a vertex labelled ``gw:Tombstone`` with id
  ``gw:tombstone:v:<vertex id>`` or ``gw:tombstone:e:<edge id>``, holding ``gw:version`` (the
  newest delete's version), ``gw:deleted_at`` (when it was written, for retention), ``gw:of``
  (the deleted element's id) and ``gw:kind`` (``vertex`` or ``edge``). An upsert whose version is
  not newer than the tombstone is skipped, so a late older message cannot resurrect the element;
  a newer one recreates it (the tombstone stays until purged, recording the deletion). See
  :mod:`framework.tombstones` for reads that leave them out and for purging.
"""

from __future__ import annotations

import datetime as dt

VERSION_KEY = "gw:version"
BORN_KEY = "gw:born"
"""On a versioned element: the oldest version that may have written its current life (set on create)."""
TOMBSTONE_LABEL = "gw:Tombstone"
DELETED_AT_KEY = "gw:deleted_at"
TOMBSTONE_OF_KEY = "gw:of"
TOMBSTONE_KIND_KEY = "gw:kind"
RESERVED_PREFIX = "gw:"
"""Ids, labels and property keys starting with this belong to graphworker."""
STALE_PREFIX = "gw:stale:"
"""Answer token of an element whose write was skipped because the graph holds newer state."""
LATE_DELETE_PREFIX = "gw:late-delete:"
"""Answer token of a versioned delete that arrived after a newer upsert of an element that already
existed before the delete's version: the delete is skipped, and properties set only by writes older
than it may remain (see the README, "Delivery order and convergence")."""

Version = int | dt.datetime
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_INT64 = (-(2**63), 2**63 - 1)


class VersionError(ValueError):
    """A version graphworker cannot order (wrong type, naive datetime, out of range)."""


def version_number(version: Version) -> int:
    """The stored form of ``version``: the int itself, or a datetime's microseconds since the epoch."""
    if isinstance(version, bool) or not isinstance(version, int | dt.datetime):
        raise VersionError(f"a version must be an int or a timezone-aware datetime, got {type(version).__name__}")
    if isinstance(version, dt.datetime):
        if version.tzinfo is None or version.utcoffset() is None:
            raise VersionError(f"a datetime version must be timezone-aware, got naive {version.isoformat()}")
        return (version - _EPOCH) // dt.timedelta(microseconds=1)
    if not _INT64[0] <= version <= _INT64[1]:
        raise VersionError(f"an int version must fit in 64 bits, got {version}")
    return version


PROPERTY_VERSION_PREFIX = "gw:v:"


def property_version_key(key: str) -> str:
    """Where the version that last set plain property ``key`` of a versioned element is stored."""
    return PROPERTY_VERSION_PREFIX + key


def version_kind(version: Version) -> str:
    return "datetime" if isinstance(version, dt.datetime) else "int"


def tombstone_id(kind: str, element_id: str) -> str:
    """The tombstone vertex id for a vertex (``kind`` "v") or an edge (``kind`` "e")."""
    return f"gw:tombstone:{kind}:{element_id}"


def stale_token(kind: str, element_id: str) -> str:
    return f"{STALE_PREFIX}{kind}:{element_id}"


def late_delete_token(kind: str, element_id: str) -> str:
    return f"{LATE_DELETE_PREFIX}{kind}:{element_id}"
