"""Adding a later round's write outcome into an earlier one: everything of both is kept."""

from __future__ import annotations

from framework.batch_writer import WriteOutcome

A, B, C, D = ("v", "a"), ("v", "b"), ("e", "c"), ("v", "d")


def test_merging_keeps_what_both_rounds_found():
    first = WriteOutcome(committed={A}, stale={A}, deleted={A}, late_deletes={A}, deadline_keys={C},
                         deadline_stopped=True, unavailable="down", requests=2, bisections=1)
    first.fail(C, "deadline", "deadline")
    second = WriteOutcome(committed={B}, stale={B}, deleted={B}, late_deletes={B}, deadline_keys={D},
                          deadline_stopped=False, unavailable="other", requests=3, bisections=2)
    second.fail(D, "busy", "database_busy")
    first.merge(second)
    assert (first.committed, first.stale, first.deleted, first.late_deletes) == ({A, B},) * 4
    assert first.failed == {C: "deadline", D: "busy"}
    assert first.failure_kind == {C: "deadline", D: "database_busy"}
    assert first.deadline_keys == {C, D} and first.deadline_stopped is True
    assert first.unavailable == "down"
    assert (first.requests, first.bisections) == (5, 3)


def test_a_later_round_can_report_the_database_unavailable():
    first = WriteOutcome()
    first.merge(WriteOutcome(unavailable="the database could not be reached"))
    assert first.unavailable == "the database could not be reached"
