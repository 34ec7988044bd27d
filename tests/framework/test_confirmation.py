"""What a write request's answer confirms: the rule that keeps the worker from reporting a message
committed when the graph does not hold its writes.

Each element's sub-traversal answers with its id (written), a stale token (the graph holds newer
state: nothing to do, yet committed) or a late-delete token. An element is committed only when the
answer holds one of those for it, and each returned value confirms one element only: an answer
missing an element fails that element (redelivered later), whatever else it holds.
"""

from __future__ import annotations

from framework.batch_writer import BatchWriter, WriteOutcome
from framework.batching import coalesce
from framework.upserts import DeleteVertex, Edge, Vertex
from framework.versions import late_delete_token, stale_token


def _plans(*writes):
    return coalesce([("m", list(writes))]).elements


def _confirm(group, results) -> WriteOutcome:
    outcome = WriteOutcome()
    BatchWriter._confirm(group, [p.element_id for p in group], results, outcome)
    return outcome


def test_each_element_is_committed_by_its_own_answer_and_the_missing_one_fails():
    a, b, gone = _plans(Vertex("a", "A"), Vertex("b", "B"), DeleteVertex("gone"))
    outcome = _confirm([a, b, gone], ["a", "gone"])
    assert outcome.committed == {a.key, gone.key} and outcome.deleted == {gone.key}
    assert outcome.failed == {b.key: "the response did not confirm element 'b'"}
    assert outcome.failure_kind == {b.key: "database_busy"} and outcome.stale == set()


def test_stale_and_late_delete_tokens_commit_without_writing():
    a, b, c = _plans(Vertex("a", "A"), DeleteVertex("b"), DeleteVertex("c"))
    outcome = _confirm([a, b, c], [stale_token("v", "a"), late_delete_token("v", "b"), "c"])
    assert outcome.committed == {a.key, b.key, c.key}
    assert outcome.stale == {a.key, b.key} and outcome.late_deletes == {b.key}
    assert outcome.deleted == {c.key} and outcome.failed == {}


def test_one_returned_value_confirms_one_element_only():
    """A vertex and an edge may share an id (edge ids can be chosen): one answer cannot confirm both."""
    vertex, edge = _plans(Vertex("x", "A"), Edge("L", "p", "q", id="x"))
    one = _confirm([vertex, edge], ["x"])
    assert one.committed == {vertex.key} and one.failed == {edge.key: "the response did not confirm element 'x'"}
    mixed = _confirm([vertex, edge], [stale_token("e", "x"), "x"])
    assert mixed.committed == {vertex.key, edge.key} and mixed.stale == {edge.key}
    both = _confirm([vertex, edge], ["x", "x"])
    assert both.committed == {vertex.key, edge.key} and both.failed == {}
    twice_stale = _confirm([vertex, vertex], [stale_token("v", "x")])
    assert twice_stale.failed == {vertex.key: "the response did not confirm element 'x'"}
    twice_late = _confirm([vertex, vertex], [late_delete_token("v", "x")])
    assert twice_late.failed == {vertex.key: "the response did not confirm element 'x'"}


def test_an_empty_answer_confirms_nothing():
    a, b = _plans(Vertex("a", "A"), Vertex("b", "B"))
    outcome = _confirm([a, b], [])
    assert outcome.committed == set() and set(outcome.failed) == {a.key, b.key}
