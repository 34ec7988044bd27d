"""``repeat()`` with ``times()``/``until()``/``emit()``, and ``loops()``.

TinkerPop 3.7's ``RepeatStep`` semantics:

* ``until``/``times`` placed *before* ``repeat`` are checked before each pass (while-do, so
  ``times(0).repeat(x)`` passes the input through); placed after, they are checked after each pass
  (do-while: ``repeat(x).times(0)`` runs ``x`` once). ``times(n)`` is ``until(loops() >= n)``.
* ``emit`` before ``repeat`` emits a copy of each traverser entering a pass (the input included);
  after, of each traverser leaving one that does not exit through ``until``.
* With neither ``until`` nor ``times``, the loop ends when the body produces nothing.
* ``loops()`` is the number of passes made so far (``loops('name')`` for ``repeat('name', ...)``);
  outside any ``repeat`` it is 0. A traverser leaving the loop forgets that loop's counter.

The body runs pass by pass over every traverser that reached that depth (breadth first, as
TinkerPop's ``RepeatUnrollStrategy`` makes ``repeat(x).times(n)`` run): a barrier in the body (``dedup``,
``count`` ...) sees the whole level. A loop that keeps growing without bound fails with
``MemoryLimitExceededException`` (or the query timeout) instead of exhausting the process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeAlias

from gremlin_python.process.traversal import Bytecode, P

from .failures import NeptuneError, invalid_parameter, malformed
from .pipeline import Build, Pipeline, Step
from .predicates import passes, validate
from .traverser import Context, Traverser

REPEAT_PARTS = frozenset({"repeat", "times", "until", "emit"})

MAX_FRONTIER = 500_000
"""Traversers alive in one pass of a ``repeat()`` beyond which the query fails (memory guard)."""

Test: TypeAlias = "Pipeline | P | int | bool"
"""An ``until``/``emit`` condition: a traversal (productive?), a ``P`` on the current object, a loop
count (``times``), or ``True`` (plain ``emit()``)."""


class RepeatStep(Step):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.body: Pipeline | None = None
        self.loop_name: str | None = None
        self.until: Test | None = None
        self.until_first = False
        self.emit: Test | None = None
        self.emit_first = False

    def is_barrier(self) -> bool:
        return False

    # ----------------------------------------------------------------- building
    def takes(self, part: str) -> bool:
        if part == "repeat":
            return self.body is None
        if part == "emit":
            return self.emit is None
        return self.until is None

    def take(self, b: Build) -> None:
        if b.name == "repeat":
            args = list(b.args)
            if len(args) == 2 and isinstance(args[0], str):
                self.loop_name = args.pop(0)
            if len(args) != 1 or not isinstance(args[0], Bytecode):
                raise malformed(f"repeat() takes a traversal (and optionally a loop name first), got {b.args!r}")
            self.body = b.child(args[0])
        elif b.name == "times":
            b.arity(1, 1)
            count = b.args[0]
            if isinstance(count, bool) or not isinstance(count, int):
                raise invalid_parameter(f"times() takes an integer, got {count!r}")
            self.until, self.until_first = count, self.body is None
        elif b.name == "until":
            b.arity(1, 1)
            self.until, self.until_first = _test(b), self.body is None
        else:  # emit
            b.arity(0, 1)
            self.emit, self.emit_first = (_test(b) if b.args else True), self.body is None
        self.child_pipelines.extend(b.children)

    def finish(self) -> None:
        if self.body is None:
            raise malformed("until()/emit()/times() modulate a repeat(), but the repeat() traversal is missing")

    # ----------------------------------------------------------------- running
    def _test(self, ctx: Context, condition: Test | None, t: Traverser) -> bool:
        if condition is None:
            return False
        if condition is True:
            return True
        if isinstance(condition, Pipeline):
            return condition.productive(ctx, t)
        if isinstance(condition, P):
            return passes(condition, t.obj)
        return bool(t.loops[-1][1] >= condition)

    @staticmethod
    def _leave(t: Traverser) -> Traverser:
        return t.with_loops(t.loops[:-1])

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        body = self.body
        assert body is not None
        registered = [key for key in _global_step_ids(body) if key not in ctx.persistent]
        for key in registered:
            ctx.persistent[key] = None
        try:
            yield from self._passes(ctx, body, stream)
        finally:
            for key in registered:
                ctx.persistent.pop(key, None)

    def _passes(self, ctx: Context, body: Pipeline, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        until, emit = self.until, self.emit
        checks_on_entry = self.until_first or self.emit_first
        frontier = [t.with_loops((*t.loops, (self.loop_name, 0))) for t in stream]
        first_pass = True
        while frontier:
            entering: list[Traverser] = []
            if first_pass or checks_on_entry:
                for t in frontier:
                    if self.until_first and self._test(ctx, until, t):
                        yield self._leave(t)
                        continue
                    if self.emit_first and self._test(ctx, emit, t):
                        yield self._leave(t)
                    entering.append(t)
            else:
                entering = frontier
            first_pass = False
            frontier = []
            for r in body.run(ctx, entering):
                ctx.tick()
                name, count = r.loops[-1]
                r = r.with_loops((*r.loops[:-1], (name, count + 1)))
                if not self.until_first and self._test(ctx, until, r):
                    yield self._leave(r)
                    continue
                frontier.append(r)
                if len(frontier) > MAX_FRONTIER:
                    raise NeptuneError(
                        "MemoryLimitExceededException",
                        f"repeat() grew beyond {MAX_FRONTIER} traversers in one pass; bound it with times() or until()",
                    )
                if not self.emit_first and self._test(ctx, emit, r):
                    yield self._leave(r)


def _global_step_ids(pipeline: Pipeline) -> list[int]:
    """The body's steps and those of its global children (``union``/``choose`` branches): the steps
    TinkerPop runs as one instance across all the passes of the loop."""
    ids: list[int] = []
    for step in pipeline.steps:
        ids.append(id(step))
        for child in step.global_children():
            ids.extend(_global_step_ids(child))
    return ids


def _test(b: Build) -> Test:
    value = b.args[0]
    if isinstance(value, Bytecode):
        return b.child(value)
    if isinstance(value, P):
        validate(value)
        return value
    raise malformed(f"{b.name}() takes a traversal or a predicate, got {value!r}")


def attach(steps: list[Step], b: Build) -> None:
    """``repeat``/``times``/``until``/``emit`` modulate the ``repeat()`` before them when it still lacks
    that part, else they open a new one (``emit().repeat(...)``, ``until(...).repeat(...)``), as
    TinkerPop's ``RepeatStep.addXToTraversal`` do."""
    last = steps[-1] if steps else None
    if isinstance(last, RepeatStep) and last.takes(b.name):
        last.take(b)
        return
    step = RepeatStep("repeat")
    step.take(b)
    steps.append(step)


class LoopsStep(Step):
    def __init__(self, name: str, loop_name: str | None) -> None:
        super().__init__(name)
        self.loop_name = loop_name

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            yield t.split(self._count(t))

    def _count(self, t: Traverser) -> int:
        if self.loop_name is None:
            return t.loops[-1][1] if t.loops else 0
        for name, count in reversed(t.loops):
            if name == self.loop_name:
                return count
        return 0


def _loops(b: Build) -> Step:
    b.arity(0, 1)
    name = b.args[0] if b.args else None
    if name is not None and not isinstance(name, str):
        raise invalid_parameter(f"loops() takes a loop name, got {name!r}")
    return LoopsStep(b.name, name)


STEPS: dict[str, Callable[[Build], Step]] = {"loops": _loops}
