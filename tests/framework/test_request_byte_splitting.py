"""Requests over the byte limit: the planner halves them until each fits, and writes the pieces in order.

``plan_requests`` packs independent components into one request; when that request is too large by
bytes (measured only when the estimate is above half the limit), it is split in halves, recursively,
and the pieces become a job of their own, one stage per piece (every edge after its endpoints).
"""

from __future__ import annotations

from framework.batching import coalesce
from framework.errors import RequestEncodingError
from framework.request_planner import Job, Limits, plan_requests
from framework.upserts import Vertex


class Measure:
    """A request size: ``unit`` bytes per element; a request holding a ``bad`` element cannot be serialized."""

    def __init__(self, unit: int, bad: frozenset[str] = frozenset()) -> None:
        self.unit = unit
        self.bad = bad
        self.measured: list[list[str]] = []

    def __call__(self, group) -> int:
        ids = [e.element_id for e in group]
        self.measured.append(ids)
        if self.bad & set(ids):
            raise RequestEncodingError("cannot serialize")
        return self.unit * len(ids)


def _vertices(n: int):
    """``n`` independent vertices, each estimated at 400 + 8 * 5 bytes (plus 256 per request)."""
    return coalesce([("m", [Vertex(f"v{i}", "Doc") for i in range(n)])]).vertices


def _plan(n: int, max_bytes: int, size_of) -> list[list[list[list[str]]]]:
    limits = Limits(max_elements=100, max_records=10_000, max_steps=10_000, max_bytes=max_bytes)
    jobs = plan_requests(_vertices(n), [], limits=limits, steps_of=lambda plan: 1, size_of=size_of)
    assert all(isinstance(job, Job) for job in jobs)
    return [[[[e.element_id for e in group] for group in stage] for stage in job.stages] for job in jobs]


def test_a_request_that_fits_exactly_is_not_split():
    size_of = Measure(1000)
    assert _plan(4, 2000, size_of) == [[[["v0", "v1"]], [["v2", "v3"]]]]
    assert size_of.measured == [["v0", "v1", "v2", "v3"], ["v0", "v1"], ["v2", "v3"]]


def test_requests_are_halved_down_to_single_elements():
    size_of = Measure(1000)
    assert _plan(4, 1999, size_of) == [[[["v0"]], [["v1"]], [["v2"]], [["v3"]]]]
    assert size_of.measured == [["v0", "v1", "v2", "v3"], ["v0", "v1"], ["v2", "v3"]]


def test_an_odd_request_is_split_at_its_middle():
    size_of = Measure(1000)
    assert _plan(5, 2000, size_of) == [[[["v0", "v1"]], [["v2"]], [["v3", "v4"]]]]


def test_a_single_element_is_never_measured_even_if_too_big():
    size_of = Measure(1200)
    assert _plan(2, 1000, size_of) == [[[["v0"]], [["v1"]]]]
    assert size_of.measured == [["v0", "v1"]]


def test_an_unserializable_request_is_split_until_the_bad_element_is_alone():
    size_of = Measure(100, bad=frozenset({"v2"}))
    assert _plan(4, 2000, size_of) == [[[["v0", "v1"]], [["v2"]], [["v3"]]]]


def test_a_request_below_half_the_limit_by_the_estimate_is_not_measured():
    """Four vertices are estimated at 256 + 4 * 440 = 2016 bytes."""
    size_of = Measure(1000)
    assert _plan(4, 4032, size_of) == [[[["v0", "v1", "v2", "v3"]]]]
    assert size_of.measured == []
    assert _plan(4, 4031, size_of) == [[[["v0", "v1", "v2", "v3"]]]]
    assert size_of.measured == [["v0", "v1", "v2", "v3"]]


def test_without_a_measure_requests_are_never_split():
    assert _plan(4, 10, None) == [[[["v0", "v1", "v2", "v3"]]]]
