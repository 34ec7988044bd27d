"""The fast path's probe notices a change to ``framework.traversals`` in any feature the encoder writes.

``graphbinary_requests.request_shape`` builds one probe request through ``request_traversal`` and
through the direct encoder and keeps the fast path on only when the bytes are equal. That guard is
only as wide as the probe: each test here changes what ``framework.traversals`` sends for one
feature (an edge upsert, a vertex upsert, a delete before an upsert, merge rules, each property
value type) and checks the probe turns the fast path off, with its exact reason, and keeps it off.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest

import framework.graphbinary_requests as gbr
import framework.traversals as traversals
from framework.batching import coalesce
from framework.graphbinary_requests import UnsupportedShape, encode_upsert_request, request_shape
from framework.gremlin_steps import g_inject
from framework.upserts import Vertex

MISMATCH = "framework.traversals builds elements this encoder does not write byte for byte"
_wire = traversals.wire
_unversioned = traversals._unversioned
_merges = traversals._merges


def _big(value: Any) -> bool:
    return type(value) is int and not -(2**31) <= value <= 2**31 - 1


def drift_unversioned(when: Callable[[Any, Any], bool]) -> Callable[..., Any]:
    """``_unversioned`` with one more step on the elements ``when`` picks."""
    def drifted(plan: Any, part: Any) -> Any:
        built = _unversioned(plan, part)
        return built.identity() if when(plan, part) else built
    return drifted


def drift_wire(when: Callable[[Any], bool], to: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``wire`` sending the values ``when`` picks as something else."""
    return lambda value: to(value) if when(value) else _wire(value)


def drifted_merges(steps: Any, merges: dict[str, Any], *, edge: bool) -> Any:
    built = _merges(steps, merges, edge=edge)
    return built.identity() if merges else built


DRIFTS: dict[str, tuple[str, Any]] = {
    "edge upserts": ("_unversioned", drift_unversioned(lambda plan, part: plan.is_edge and part.upsert)),
    "vertex upserts": ("_unversioned", drift_unversioned(lambda plan, part: not plan.is_edge and part.upsert)),
    "a delete before an upsert": ("_unversioned", drift_unversioned(lambda plan, part: part.reset and part.upsert)),
    "merge rules": ("_merges", drifted_merges),
    "float values": ("wire", drift_wire(lambda v: type(v) is float, str)),
    "64-bit integer values": ("wire", drift_wire(_big, float)),
    "boolean values": ("wire", drift_wire(lambda v: type(v) is bool, int)),
    "datetime values": ("wire", drift_wire(lambda v: type(v) is dt.datetime, lambda v: v.isoformat())),
}


@pytest.fixture
def unprobed(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Forget the probed shape (the monkeypatch puts the cached one back afterwards)."""
    monkeypatch.setattr(gbr, "_shape", None)
    return monkeypatch


def plans() -> list[Any]:
    return coalesce([("0", [Vertex("a", "A", {"n": 1})])]).elements


@pytest.mark.parametrize("feature", list(DRIFTS))
def test_a_change_in_how_traversals_writes_a_feature_turns_the_fast_path_off(unprobed, feature):
    name, drifted = DRIFTS[feature]
    unprobed.setattr(traversals, name, drifted)
    with pytest.raises(UnsupportedShape) as refused:
        encode_upsert_request(uuid.uuid4(), plans())
    assert str(refused.value) == MISMATCH
    with pytest.raises(UnsupportedShape) as again:  # and it stays off without probing again
        request_shape()
    assert str(again.value) == MISMATCH
    assert gbr._shape == MISMATCH


def test_without_a_change_the_probe_turns_the_fast_path_on(unprobed):
    assert isinstance(request_shape(), gbr.RequestShape)
    assert encode_upsert_request(uuid.uuid4(), plans())


def test_an_unknown_request_shape_is_named_step_by_step(unprobed):
    unprobed.setattr(traversals, "request_traversal", lambda elements, now=None: g_inject(0).union(
        *(traversals.element_traversal(e) for e in elements)).limit(100))
    expected = "framework.traversals builds requests of an unknown shape (inject union limit)"
    with pytest.raises(UnsupportedShape) as refused:
        encode_upsert_request(uuid.uuid4(), plans())
    assert str(refused.value) == expected
    assert gbr._shape == expected
