"""Mutation testing of ``framework/``: run mutmut, score it, list what survived.

    python -m tests.mutation                      # fresh run over framework/, then the report
    python -m tests.mutation --report             # the report of the last run, without running
    python -m tests.mutation --retest-survivors   # re-check only the last run's survivors (after adding tests)
    python -m tests.mutation --resume             # go on with a run that was stopped (checks what is unchecked)

mutmut's settings (which tests, fork server, the plugin in ``order.py``) are in ``[tool.mutmut]``
in pyproject.toml; it works in ``mutants/`` (git-ignored). The score is

    killed / (mutants - accepted survivors)

where *killed* counts mutants a test failed on or that made the tests hang (mutmut's timeouts),
and *accepted* are the survivors listed with a reason in ``accepted.toml``: equivalent mutants (no
observable behaviour differs) and the few deliberately not worth a test. An accepted entry names
the function and the line before and after the change, not mutmut's mutant number, so it keeps
matching when other mutants of the function come and go; an entry that matches no mutant any more
is reported as stale, and one whose mutant is now killed is reported too (drop either). Exits 1
when the score is below ``--target`` (0.85), or when the run is partial (mutants not checked yet:
a stopped run; its score covers the checked mutants only and is printed as such).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = ROOT / "mutants"
ACCEPTED = Path(__file__).with_name("accepted.toml")
TARGET = 0.85
SEPARATOR = "ǁ"  # mutmut's separator in mangled method names: xǁClassǁmethod

# mutmut's exit codes, by what they mean for the score (mutmut.stats.status_by_exit_code names them).
KILLED_CODES = {1, 3}                  # a test failed; pytest's internal error (e.g. a mutant that breaks an import)
HUNG_CODES = {24, -24, 152, 255, 36}   # CPU or wall-clock limit: the mutant made the tests hang
CRASHED_CODES = {-9, -11}              # killed by the hard limit or crashed the interpreter
SURVIVED_CODES = {0}
NO_TESTS_CODES = {5, 33}               # no selected test reaches the function


@dataclass(frozen=True)
class Mutant:
    """One mutant: mutmut's name, its function as ``module.Class.method``, the changed lines, the verdict."""

    name: str
    where: str
    before: str
    after: str
    status: str  # killed | survived | no tests | not checked | other

    @property
    def module(self) -> str:
        return self.name.rsplit("__mutmut_", 1)[0].rpartition(".")[0]


@dataclass(frozen=True)
class Accepted:
    where: str
    before: str
    after: str
    reason: str
    kind: str = ""

    def matches(self, m: Mutant) -> bool:
        return (self.where, self.before, self.after) == (m.where, m.before, m.after)


@dataclass
class Report:
    total: int
    killed: int
    accepted: list[tuple[Mutant, Accepted]] = field(default_factory=list)
    survivors: list[Mutant] = field(default_factory=list)       # not killed and not accepted
    stale: list[Accepted] = field(default_factory=list)         # accepted, but no such mutant now
    accepted_killed: list[tuple[Mutant, Accepted]] = field(default_factory=list)  # accepted, yet killed now
    by_module: dict[str, Counter[str]] = field(default_factory=dict)

    not_checked: int = 0

    @property
    def checked(self) -> int:
        return self.total - self.not_checked

    @property
    def partial(self) -> bool:
        return self.not_checked > 0

    @property
    def denominator(self) -> int:
        """Checked mutants that are not accepted survivors: a stopped run is scored on what it checked."""
        return self.checked - len(self.accepted)

    @property
    def score(self) -> float:
        return self.killed / self.denominator if self.denominator else 1.0


def status_of(exit_code: int | None) -> str:
    if exit_code is None:
        return "not checked"
    if exit_code in KILLED_CODES | HUNG_CODES | CRASHED_CODES:
        return "killed"
    if exit_code in SURVIVED_CODES:
        return "survived"
    if exit_code in NO_TESTS_CODES:
        return "no tests"
    return "other"  # mutmut's "suspicious" and anything new: not a kill


def where_of(mutant_name: str) -> str:
    """``framework.x.xǁClassǁmethod__mutmut_3`` -> ``framework.x.Class.method``; ``x_f`` -> ``f``."""
    function = mutant_name.rsplit("__mutmut_", 1)[0]
    module, _, mangled = function.rpartition(".")
    if mangled.startswith("x" + SEPARATOR):
        _, cls, method = mangled.split(SEPARATOR)
        return f"{module}.{cls}.{method}"
    return f"{module}.{mangled.removeprefix('x_')}"


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and added lines of a unified diff, each stripped and joined by newlines."""
    lines = diff.splitlines()
    body = [line for line in lines if not line.startswith(("---", "+++", "@@"))]
    before = "\n".join(line[1:].strip() for line in body if line.startswith("-"))
    after = "\n".join(line[1:].strip() for line in body if line.startswith("+"))
    return before, after


def score(mutants: Sequence[Mutant], accepted: Sequence[Accepted]) -> Report:
    report = Report(total=len(mutants), killed=0)
    used: set[int] = set()
    for m in mutants:
        report.by_module.setdefault(m.module, Counter())[m.status] += 1
        match = next((i for i, a in enumerate(accepted) if a.matches(m)), None)
        if match is not None:
            used.add(match)
        if m.status == "not checked":  # a stopped run: neither killed nor a survivor yet
            report.not_checked += 1
            continue
        if m.status == "killed":
            report.killed += 1
            if match is not None:
                report.accepted_killed.append((m, accepted[match]))
        elif match is not None:
            report.accepted.append((m, accepted[match]))
        else:
            report.survivors.append(m)
    report.stale = [a for i, a in enumerate(accepted) if i not in used]
    return report


def load_accepted(path: Path = ACCEPTED) -> list[Accepted]:
    data = tomllib.loads(path.read_text()) if path.exists() else {}
    out: list[Accepted] = []
    for group in data.get("accepted", []):
        for m in group["mutants"]:
            out.append(Accepted(where=m["where"], before=m["from"], after=m["to"], reason=group["reason"],
                                kind=group.get("kind", "")))
    return out


def load_mutants(root: Path = ROOT) -> list[Mutant]:
    """Every mutant mutmut made under framework/, with its verdict and its changed lines."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # mutmut reads mutants/ relative to the cwd

    mutants: list[Mutant] = []
    metas = sorted((root / "mutants" / "framework").rglob("*.py.meta"))
    if not metas:
        sys.exit("no mutmut results under mutants/framework: run `python -m tests.mutation` first")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        for meta in metas:
            source = meta.relative_to(root / "mutants").with_suffix("")  # framework/x.py
            codes = json.loads(meta.read_text())["exit_code_by_key"]
            for name, code in sorted(codes.items()):
                before, after = changed_lines(get_diff_for_mutant(name, path=source))
                mutants.append(Mutant(name=name, where=where_of(name), before=before, after=after,
                                      status=status_of(code)))
    finally:
        os.chdir(cwd)
    return mutants


def toml_entry(m: Mutant) -> str:
    def q(s: str) -> str:
        return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    return f"  {{ where = {q(m.where)}, from = {q(m.before)}, to = {q(m.after)} }},"


def print_report(r: Report, target: float) -> None:
    print(f"\nmutants in framework/: {r.total}; killed {r.killed}; accepted survivors {len(r.accepted)}; "
          f"other survivors {len(r.survivors)}")
    if r.partial:
        print(f"PARTIAL RUN: {r.not_checked} of {r.total} mutants not checked yet (`--resume` goes on); "
              f"the score below covers the {r.checked} checked")
    print(f"score: {r.killed}/{r.denominator} = {r.score:.1%} (target {target:.0%})")
    accepted_by_module = Counter(m.module for m, _ in r.accepted)
    open_by_module = Counter(m.module for m in r.survivors)
    print(f"\n  {'module':40} {'killed':>7} {'total':>6} {'accepted':>9} {'open':>5} {'unchecked':>9}")
    for module, counts in sorted(r.by_module.items()):
        print(f"  {module:40} {counts['killed']:7} {sum(counts.values()):6} {accepted_by_module[module]:9} "
              f"{open_by_module[module]:5} {counts['not checked']:9}")
    if r.accepted:
        print("\naccepted survivors by kind (reasons in accepted.toml):")
        for kind, count in Counter(a.kind or "-" for _, a in r.accepted).most_common():
            print(f"  {kind:30} {count:5}")
    if r.survivors:
        print(f"\nsurvivors not accepted ({len(r.survivors)}; `mutmut show NAME` for the diff; "
              "accepted.toml entries to paste after the name):")
        for m in r.survivors:
            print(f"{m.name}  [{m.status}]\n{toml_entry(m)}")
    if r.accepted_killed:
        print(f"\naccepted but now killed ({len(r.accepted_killed)}; drop them from accepted.toml):")
        for m, _ in r.accepted_killed:
            print(f"  {m.where}: {m.before!r} -> {m.after!r}")
    if r.stale:
        print(f"\nstale accepted entries ({len(r.stale)}; no such mutant any more):")
        for a in r.stale:
            print(f"  {a.where}: {a.before!r} -> {a.after!r}")


def mutmut(*args: str) -> None:
    exe = Path(sys.executable).with_name("mutmut")
    if not exe.exists():
        sys.exit("mutmut is not installed: pip install -e '.[mutation]'")
    subprocess.run([str(exe), *args], cwd=ROOT, check=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--report", action="store_true", help="report the last run; run nothing")
    mode.add_argument("--retest-survivors", action="store_true",
                      help="re-run only the mutants that survived the last run (keeps the other results)")
    mode.add_argument("--resume", action="store_true",
                      help="go on with a stopped run: check only the mutants without a result yet")
    parser.add_argument("--max-children", type=int, default=2 * (os.cpu_count() or 1),
                        help="mutants run at once (default: 2 per core, as tests often wait on sockets and timers)")
    parser.add_argument("--target", type=float, default=TARGET, help="score below which the exit status is 1")
    args = parser.parse_args(argv)

    started = time.monotonic()
    if args.retest_survivors:
        names = [m.name for m in load_mutants() if m.status in ("survived", "no tests", "other")]
        if names:
            mutmut("run", "--max-children", str(args.max_children), *names)
    elif args.resume:
        mutmut("run", "--max-children", str(args.max_children))  # mutmut skips mutants that have a result
    elif not args.report:
        shutil.rmtree(MUTANTS, ignore_errors=True)  # mutmut keeps old verdicts; a score needs a fresh run
        mutmut("run", "--max-children", str(args.max_children))
    report = score(load_mutants(), load_accepted())
    print_report(report, args.target)
    if not args.report:
        print(f"\nrun took {time.monotonic() - started:.0f} s")
    return 1 if report.partial or report.score < args.target else 0


if __name__ == "__main__":
    sys.exit(main())
