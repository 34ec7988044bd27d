"""Steps that run child traversals: ``union``, ``choose`` (+ ``option``), ``coalesce``, ``optional``,
``sideEffect``, ``map``/``flatMap``/``local`` (traversal forms only; lambdas are refused earlier), and
``identity``.

Two kinds of children, as in TinkerPop:

* *global* children (``union`` and ``choose`` branches) are one traversal each that every routed
  traverser flows through. When a branch holds a barrier (``count()``, ``fold()`` ... anywhere
  inside it), every incoming traverser is routed before any branch is read, so
  ``g.V('1','2').union(outE().count(), inE().count())`` counts across both vertices (TinkerPop's
  ``BranchStep``); otherwise each traverser is taken through the branches in turn, lazily. The
  traversers coming out are the branches' own, so paths and ``as()`` labels set inside survive.
* *local* children (``coalesce``, ``map``, ``flatMap``, ``sideEffect``, ``optional``, ``local``) run
  per traverser. ``coalesce``/``map``/``flatMap`` hand back only the objects their child produced
  (TinkerPop's ``FlatMapStep``: labels set inside do not leak out); ``optional``/``local`` hand back
  the child's traversers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gremlin_python.process.traversal import Bytecode, P, Pick

from .failures import invalid_parameter, malformed
from .pipeline import Build, IdentityStep, Pipeline, Step, no_args
from .predicates import passes, validate
from .traverser import STARTER, Context, Traverser
from .values import equals

_IDENTITY = Pipeline([])


class UnionStep(Step):
    """``union(a, b ...)``. As a start step (``g.union(...)``) the children get TinkerPop's placeholder
    traverser, which is filtered out of their results (``g.union(inject(1))`` gives just ``1``)."""

    def __init__(self, name: str, children: list[Pipeline], is_start: bool) -> None:
        super().__init__(name)
        self.children = children
        self.is_start = is_start

    def global_children(self) -> list[Pipeline]:
        return list(self.children)

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        results = self._results(ctx, stream)
        if self.is_start:
            return (r for r in results if r.obj is not STARTER)
        return results

    def _results(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        children = self.children
        if any(child.has_barrier for child in children):
            starts = list(stream)
            for child in children:
                yield from child.run(ctx, starts)
            return
        single = [child if child.single else None for child in children]
        for t in stream:
            for child, eager in zip(children, single, strict=True):
                if eager is not None:
                    result = eager.one(ctx, t)
                    if result is not None:
                        yield result
                else:
                    yield from child.run(ctx, (t,))


class CoalesceStep(Step):
    """The first child that produces anything, evaluated lazily past its first result."""

    def __init__(self, name: str, children: list[Pipeline]) -> None:
        super().__init__(name)
        self.children = children

    def at_most_one(self) -> bool:
        """Children that each give at most one result give coalesce at most one: the versioned
        upserts' ``coalesce(has(...).constant(stale), constant(id))`` then runs eagerly."""
        return all(child.single for child in self.children)

    def one(self, ctx: Context, t: Traverser) -> Traverser | None:
        for child in self.children:
            first = child.one(ctx, t)
            if first is not None:
                return t.split(first.obj, first.came_from)
        return None

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            for child in self.children:
                if child.single:
                    first = child.one(ctx, t)
                    if first is None:
                        continue
                    yield t.split(first.obj, first.came_from)
                    break
                results = child.run(ctx, (t,))
                first = next(results, None)
                if first is None:
                    continue
                yield t.split(first.obj, first.came_from)
                for r in results:
                    yield t.split(r.obj, r.came_from)
                break


class LocalChildStep(Step):
    """``optional``, ``sideEffect``, ``map``, ``flatMap``, ``local``: one child, run per traverser.

    ``sideEffect`` and ``map`` turn one traverser into at most one whatever the child does, and
    the others do when their child does: then the step runs through :meth:`one`, without a
    generator per traverser (a versioned upsert nests a dozen ``sideEffect``s)."""

    def __init__(self, name: str, child: Pipeline) -> None:
        super().__init__(name)
        self.child = child

    def at_most_one(self) -> bool:
        return self.name == "sideEffect" or self.name == "map" or self.child.single

    def one(self, ctx: Context, t: Traverser) -> Traverser | None:
        name, child = self.name, self.child
        if name == "sideEffect":
            child.drain(ctx, t)
            return t
        r = child.first_traverser(ctx, t)
        if name == "optional":
            return t if r is None else r
        if r is None or name == "local":
            return r
        return t.split(r.obj, r.came_from)  # map, flatMap

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        if self.at_most_one():
            one = self.one
            for t in stream:
                r = one(ctx, t)
                if r is not None:
                    yield r
            return
        name, child = self.name, self.child
        for t in stream:
            if name == "optional":
                found = False
                for r in child.run(ctx, (t,)):
                    found = True
                    yield r
                if not found:
                    yield t
            elif name == "flatMap":
                for r in child.run(ctx, (t,)):
                    yield t.split(r.obj, r.came_from)
            else:  # local
                yield from child.run(ctx, (t,))


class ChooseStep(Step):
    """``choose(predicate, true, false)`` / ``choose(predicate, true)`` and ``choose(traversal)`` with
    ``option(value|P|traversal|Pick.none, branch)``.

    The predicate form tests the current traverser (a traversal: does it produce anything; a ``P``:
    does it hold for the current object); a missing false branch is ``identity()``. The option form
    computes the choice (the branch traversal's first result; none is an error, as in TinkerPop) and
    routes the traverser to every option whose token equals it (a ``P`` token: holds for it; a
    traversal token: is productive on it), else to ``Pick.none``; with no match and no ``Pick.none``
    the traverser is filtered out. ``Pick.any`` is refused, as TinkerPop does for ``choose``.
    """

    def __init__(self, name: str, test: Pipeline | P, choice: Pipeline | None,
                 true_branch: Pipeline | None, false_branch: Pipeline | None) -> None:
        super().__init__(name)
        self.test = test
        self.choice = choice
        self.options: list[tuple[Any, Pipeline]] = []
        self.none_branch: Pipeline | None = None
        self.true_branch = true_branch
        self.false_branch = false_branch

    def add_option(self, token: Any, value: Any, cardinality: Any = None) -> None:
        if self.choice is None:
            raise malformed("option() modulates choose(traversal); choose(predicate, true, false) takes no options")
        if not isinstance(value, Pipeline):
            raise malformed(f"option({token!r}, ...) takes a traversal as the branch, got {value!r}")
        if isinstance(token, Pick):
            if token is Pick.none:
                if self.none_branch is not None:
                    raise invalid_parameter("Choose step can only have one traversal per pick token: none")
                self.none_branch = value
                return
            raise invalid_parameter(
                "Choose step can not have an any-option as only one option per traverser is allowed")
        if isinstance(token, P):
            validate(token)
        self.options.append((token, value))

    def global_children(self) -> list[Pipeline]:
        return self._branches()

    def _branches(self) -> list[Pipeline]:
        if self.choice is None:
            return [b for b in (self.true_branch, self.false_branch) if b is not None]
        return [*([self.none_branch] if self.none_branch is not None else []), *(p for _, p in self.options)]

    def _route(self, ctx: Context, t: Traverser) -> list[Pipeline]:
        if self.choice is None:
            test = self.test
            holds = test.productive(ctx, t) if isinstance(test, Pipeline) else passes(test, t.obj)
            branch = self.true_branch if holds else self.false_branch
            return [branch or _IDENTITY]
        found, choice = self.choice.first(ctx, t)
        if not found:
            raise invalid_parameter(
                f"The provided traverser does not map to a value: choose() computed nothing for {t.obj!r}")
        picked = [branch for token, branch in self.options if self._matches(ctx, t, token, choice)]
        if picked:
            return picked
        return [self.none_branch] if self.none_branch is not None else []

    @staticmethod
    def _matches(ctx: Context, t: Traverser, token: Any, choice: Any) -> bool:
        if isinstance(token, Pipeline):
            return token.productive(ctx, t.split(choice))
        if isinstance(token, P):
            return passes(token, choice)
        return equals(choice, token)

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        branches = self._branches()
        if any(b.has_barrier for b in branches):
            routed: dict[int, list[Traverser]] = {}
            for t in stream:
                for branch in self._route(ctx, t):
                    routed.setdefault(id(branch), []).append(t)
            for branch in [*branches, _IDENTITY]:
                starts = routed.pop(id(branch), None)
                if starts:
                    yield from branch.run(ctx, starts)
            return
        for t in stream:
            for branch in self._route(ctx, t):
                yield from branch.run(ctx, (t,))


def _traversals(b: Build) -> list[Pipeline]:
    if not all(isinstance(a, Bytecode) for a in b.args):
        raise malformed(f"{b.name}() takes anonymous traversals, got {b.args!r}")
    return [b.child(a) for a in b.args]


def _union(b: Build) -> Step:
    return UnionStep(b.name, _traversals(b), b.is_start)


def _coalesce(b: Build) -> Step:
    b.arity(1)
    return CoalesceStep(b.name, _traversals(b))


def _local_child(b: Build) -> Step:
    b.arity(1, 1)
    [child] = _traversals(b)
    return LocalChildStep(b.name, child)


def _choose(b: Build) -> Step:
    b.arity(1, 3)
    args = b.args
    first = args[0]
    if not all(isinstance(a, Bytecode) for a in args[1:]):
        raise malformed(f"choose() branches must be anonymous traversals, got {args[1:]!r}")
    if len(args) == 1:
        if not isinstance(first, Bytecode):
            raise malformed(f"choose() with one argument takes a traversal computing the choice, got {first!r}")
        choice = b.child(first)
        return ChooseStep(b.name, choice, choice, None, None)
    if isinstance(first, Bytecode):
        test: Pipeline | P = b.child(first)
    elif isinstance(first, P):
        validate(first)
        test = first
    else:
        raise malformed(f"choose() takes a predicate traversal or a P first, got {first!r}")
    true_branch = b.child(args[1])
    false_branch = b.child(args[2]) if len(args) == 3 else None
    return ChooseStep(b.name, test, None, true_branch, false_branch)


STEPS: dict[str, Callable[[Build], Step]] = {
    "union": _union,
    "coalesce": _coalesce,
    "optional": _local_child,
    "sideEffect": _local_child,
    "map": _local_child,
    "flatMap": _local_child,
    "local": _local_child,
    "choose": _choose,
    "identity": no_args(IdentityStep),
}
