"""The mutation-testing driver's arithmetic (``python -m tests.mutation``): what counts as killed,
how accepted survivors are matched and subtracted, and what is reported stale."""

from __future__ import annotations

import pytest

from tests.mutation.__main__ import (
    Accepted,
    Mutant,
    changed_lines,
    load_accepted,
    print_report,
    score,
    status_of,
    where_of,
)


@pytest.mark.parametrize(("code", "status"), [(1, "killed"), (3, "killed"), (-24, "killed"), (24, "killed"),
                                              (36, "killed"), (-9, "killed"), (0, "survived"), (33, "no tests"),
                                              (5, "no tests"), (None, "not checked"), (-1, "other"), (35, "other")])
def test_exit_codes_are_read_as_mutmut_defines_them(code, status):
    assert status_of(code) == status


def test_mutant_names_become_the_function_they_mutate():
    assert where_of("framework.client.xǁGraphClientǁ_connect__mutmut_12") == "framework.client.GraphClient._connect"
    assert where_of("framework.upserts.x_edge_id__mutmut_3") == "framework.upserts.edge_id"
    assert where_of("framework.x___getattr____mutmut_1") == "framework.__getattr__"


def test_changed_lines_are_read_from_the_diff():
    diff = ("--- framework/a.py\n+++ framework/a.py\n@@ -1,3 +1,3 @@\n def f(x):\n"
            "-    return x + 1\n+    return x - 1\n     # unchanged")
    assert changed_lines(diff) == ("return x + 1", "return x - 1")


def _m(name: str, status: str, before: str = "a", after: str = "b") -> Mutant:
    return Mutant(name=f"framework.m.x_{name}__mutmut_1", where=f"framework.m.{name}", before=before, after=after,
                  status=status)


def test_the_score_subtracts_accepted_survivors_only():
    mutants = [_m("f", "killed"), _m("g", "killed"), _m("h", "survived"), _m("i", "survived"), _m("j", "no tests")]
    accepted = [Accepted("framework.m.h", "a", "b", "equivalent"),
                Accepted("framework.m.g", "a", "b", "was equivalent"),      # now killed: reported, not subtracted
                Accepted("framework.m.gone", "a", "b", "no such mutant")]   # stale
    report = score(mutants, accepted)
    assert (report.total, report.killed, report.denominator) == (5, 2, 4)
    assert report.score == 0.5
    assert [m.where for m in report.survivors] == ["framework.m.i", "framework.m.j"]
    assert [a.where for _, a in report.accepted] == ["framework.m.h"]
    assert [a.where for _, a in report.accepted_killed] == ["framework.m.g"]
    assert [a.where for a in report.stale] == ["framework.m.gone"]
    assert report.by_module["framework.m"]["killed"] == 2


def test_an_accepted_entry_matches_its_function_and_change_not_its_number():
    moved = Mutant(name="framework.m.x_h__mutmut_9", where="framework.m.h", before="a", after="b", status="survived")
    other = Mutant(name="framework.m.x_h__mutmut_1", where="framework.m.h", before="a", after="c", status="survived")
    report = score([moved, other], [Accepted("framework.m.h", "a", "b", "equivalent")])
    assert [m.name for m, _ in report.accepted] == ["framework.m.x_h__mutmut_9"]
    assert [m.name for m in report.survivors] == ["framework.m.x_h__mutmut_1"]


def test_accepted_entries_are_read_with_their_group_reason(tmp_path):
    path = tmp_path / "accepted.toml"
    path.write_text('[[accepted]]\nkind = "equivalent"\nreason = "why"\nmutants = [\n'
                    '  { where = "framework.m.h", from = "x = 1", to = "x = 2" },\n]\n')
    assert load_accepted(path) == [Accepted("framework.m.h", "x = 1", "x = 2", "why", "equivalent")]
    assert load_accepted(tmp_path / "missing.toml") == []


def test_a_stopped_run_is_scored_on_its_checked_mutants_and_says_it_is_partial(capsys):
    mutants = [_m("f", "killed"), _m("g", "survived"), _m("h", "not checked"), _m("i", "not checked")]
    report = score(mutants, [Accepted("framework.m.h", "a", "b", "equivalent")])  # unchecked: not subtracted
    assert (report.total, report.not_checked, report.checked, report.denominator) == (4, 2, 2, 2)
    assert report.partial and report.score == 0.5
    assert [m.where for m in report.survivors] == ["framework.m.g"] and not report.accepted and not report.stale
    print_report(report, 0.85)
    out = capsys.readouterr().out
    assert "PARTIAL RUN: 2 of 4 mutants not checked yet" in out and "covers the 2 checked" in out
    assert score([_m("f", "killed")], []).partial is False
