"""Steps, pipelines and ``by()`` modulators: the engine's execution model.

A compiled traversal is a :class:`Pipeline`: a list of :class:`Step` objects, each turning a stream
(iterator) of traversers into another. Chained generators make evaluation lazy like TinkerPop's
pull-based model -- ``g.inject(1, 2, 3).addV().limit(1)`` writes one vertex, as TinkerPop does --
while barrier steps (``count``, ``fold``, ``order`` ...) simply drain their input first. A child
traversal (``where(out())``, ``by(values('age'))``) is a Pipeline run on one traverser.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from gremlin_python.process.traversal import Cardinality, Column, Order, T
from gremlin_python.structure.graph import Path

from ..graph import EdgeRecord, VertexPropertyRecord, VertexRecord
from .elements import EdgeProperty, MapEntry, property_values
from .failures import invalid_parameter, malformed
from .traverser import Context, Traverser

_MAX_LAZY_DEPTH = 64
"""Steps chained lazily before a barrier; keeps generator nesting far below the recursion limit."""


class Step(abc.ABC):
    """One step. Subclasses implement :meth:`apply`; modulators call the ``add_*`` hooks.

    Class flags describe the step the way TinkerPop's interfaces do, for the decisions that depend
    on them: ``barrier`` (TinkerPop's ``Barrier``: the step drains its input before emitting) with
    ``local_barrier`` for the ones that are not reducing/collecting (``barrier()``, ``aggregate``);
    ``needs_path`` (the step reads full paths: the compiler then records them).
    """

    reducing: ClassVar[bool] = False
    """True for reducing barriers (``count``, ``fold`` ...)."""
    barrier: ClassVar[bool] = False
    local_barrier: ClassVar[bool] = False
    needs_path: ClassVar[bool] = False
    mutating: ClassVar[bool] = False
    """The step writes (the server refuses it on a reader before running anything)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.labels: list[str] = []
        self.child_pipelines: list[Pipeline] = []
        """Every child traversal of the step (arguments and modulators), set by the compiler."""

    @abc.abstractmethod
    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        """The step over a stream of traversers (every step defines it)."""

    def is_barrier(self) -> bool:
        """TinkerPop's ``Barrier`` (scope-dependent steps override this)."""
        return self.barrier

    def global_children(self) -> list[Pipeline]:
        """Children every routed traverser flows through as one traversal (``union``/``choose``
        branches), as opposed to local children run afresh per traverser (``where``, ``by`` ...)."""
        return []

    def is_global_barrier(self) -> bool:
        """A ``Barrier`` that is not a ``LocalBarrier``: what ``group().by(k).by(v)`` reduces with."""
        return self.is_barrier() and not self.local_barrier

    def at_most_one(self) -> bool:
        """True when the step turns one traverser into at most one (a map or a filter), so it can
        run through :meth:`one` without a generator (see :meth:`Pipeline.one`)."""
        return False

    def one(self, ctx: Context, t: Traverser) -> Traverser | None:
        """The step on a single traverser, eagerly: its result or ``None`` (filtered).

        Only called when :meth:`at_most_one` is true; steps override it to skip the generator, and
        this default gives the same answer through :meth:`apply`."""
        return next(iter(self.apply(ctx, iter((t,)))), None)

    def add_by(self, by: By) -> None:
        raise malformed(f"by() cannot modulate {self.name}()")

    def add_option(self, token: Any, value: Any, cardinality: Cardinality | None = None) -> None:
        raise malformed(f"option() cannot modulate {self.name}()")

    def set_endpoint(self, direction: str, value: Any) -> None:
        raise malformed(f"{direction}() cannot modulate {self.name}()")

    def add_with(self, key: Any, value: Any) -> None:
        raise malformed(f"with() cannot modulate {self.name}(): it takes no configuration")

    def finish(self) -> None:
        """Called once the step and all its modulators are compiled: refuse incomplete forms.

        A hook: most steps have nothing to check."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"


class IdentityStep(Step):
    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        return stream

    def at_most_one(self) -> bool:
        return True

    def one(self, ctx: Context, t: Traverser) -> Traverser | None:
        return t


class StartStep(IdentityStep):
    """Holds the labels of an ``as()`` that opens a child traversal (``where(as('a').out())``)."""


class Pipeline:
    """A compiled (child or root) traversal."""

    def __init__(self, steps: list[Step], single: bool | None = None) -> None:
        """``single``: :attr:`single`, when the caller (the compiler) already knows it."""
        self.steps = steps
        self._has_barrier: bool | None = None
        self._single = single

    @property
    def single(self) -> bool:
        """Every step maps or filters one traverser to at most one: :meth:`one` may run it eagerly.

        For such a pipeline, eager and lazy evaluation are indistinguishable (there is nothing to
        stop pulling early for), and skipping the generator chain matters in batches: a request of a
        hundred ``mergeV(...).id()`` upserts runs a hundred of these."""
        if self._single is None:
            self._single = bool(self.steps) and all(step.at_most_one() for step in self.steps)
        return self._single

    def one(self, ctx: Context, t: Traverser) -> Traverser | None:
        """Run a :attr:`single` pipeline on one traverser: its result, or ``None``."""
        ctx.tick()
        for step in self.steps:
            result = step.one(ctx, t)
            if result is None:
                return None
            t = result.labelled(step.labels) if step.labels else result
        return t

    @property
    def reducing(self) -> bool:
        return bool(self.steps) and self.steps[-1].reducing

    @property
    def has_barrier(self) -> bool:
        """A barrier anywhere in the traversal or its children (TinkerPop's recursive ``Barrier``
        lookup): a branch step with such a child feeds it every traverser before reading it."""
        if self._has_barrier is None:
            self._has_barrier = any(
                step.is_barrier() or any(child.has_barrier for child in step.child_pipelines)
                for step in self.steps
            )
        return self._has_barrier

    @property
    def global_barrier(self) -> Step | None:
        """The first step that is a non-local barrier (TinkerPop's ``determineBarrierStep``)."""
        for step in self.steps:
            if step.is_global_barrier():
                return step
        return None

    @property
    def start_label(self) -> str | None:
        """``as('a')`` as the very first thing in a child traversal (``where(as('a')...)``)."""
        first = self.steps[0] if self.steps else None
        if isinstance(first, StartStep) and first.labels:
            return first.labels[0]
        return None

    @property
    def end_label(self) -> str | None:
        last = self.steps[-1] if self.steps else None
        if last is None or not last.labels or isinstance(last, StartStep):
            return None
        return last.labels[-1]

    def run(self, ctx: Context, stream: Iterable[Traverser]) -> Iterator[Traverser]:
        """Chain the steps' generators over ``stream``.

        The deadline is checked through :meth:`Context.tick`, called here once per run and by the
        steps that create traversers (``V``, ``out``, ``unfold``, ``inject``, ``repeat`` ...): every
        traverser is born in one of them, so a long query cannot outrun its timeout, and steps that
        only map or filter pay nothing for it.
        """
        ctx.tick()
        it: Iterator[Traverser] = iter(stream)
        for index, step in enumerate(self.steps):
            if index and index % _MAX_LAZY_DEPTH == 0:
                # Every chained generator is a Python frame while it runs: cut very long chains
                # (batches of hundreds of mergeV()s) with a barrier so they cannot exhaust the stack.
                it = iter(list(it))
            it = step.apply(ctx, it)
            if step.labels:
                it = _labelled(it, step.labels)
        return it

    def results(self, ctx: Context, t: Traverser) -> Iterator[Traverser]:
        return self.run(ctx, (t,))

    def first(self, ctx: Context, t: Traverser) -> tuple[bool, Any]:
        """(productive, first result) of this child traversal for one traverser."""
        if self._single or self.single:  # no generator chain to build: see :attr:`single`
            r = self.one(ctx, t)
            return (False, None) if r is None else (True, r.obj)
        for r in self.results(ctx, t):
            return True, r.obj
        return False, None

    def first_traverser(self, ctx: Context, t: Traverser) -> Traverser | None:
        """The first traverser this child traversal produces for ``t``, or ``None``; the rest of
        the results are never computed."""
        if self._single or self.single:
            return self.one(ctx, t)
        for r in self.results(ctx, t):
            return r
        return None

    def productive(self, ctx: Context, t: Traverser) -> bool:
        if self._single or self.single:
            return self.one(ctx, t) is not None
        for _ in self.results(ctx, t):
            return True
        return False

    def drain(self, ctx: Context, t: Traverser) -> None:
        """Run this child traversal on ``t`` for its side effects only (``sideEffect()``)."""
        if self._single or self.single:
            self.one(ctx, t)
            return
        for _ in self.results(ctx, t):
            pass


def _labelled(stream: Iterator[Traverser], labels: list[str]) -> Iterator[Traverser]:
    for t in stream:
        yield t.labelled(labels)


# --------------------------------------------------------------------------- by() modulators
@dataclass
class By:
    """One ``by()``: what to project (identity, a property key, a token, a traversal, a column)
    and, for ``order()``, the direction.

    Projections are *productive* or not: ``by('age')`` on a vertex without ``age`` produces nothing,
    and each step decides what that means (``order``/``select``/``group`` filter the traverser,
    ``project`` omits the key), as in TinkerPop 3.7.
    """

    kind: str
    arg: Any = None
    order: Order | None = None

    def project(self, ctx: Context, t: Traverser) -> tuple[bool, Any]:
        obj = t.obj
        if self.kind == "identity":
            return True, obj
        if self.kind == "key":
            return project_key(obj, self.arg)
        if self.kind == "token":
            return project_token(obj, self.arg)
        if self.kind == "column":
            return project_column(obj, self.arg)
        pipeline: Pipeline = self.arg
        return pipeline.first(ctx, t)


IDENTITY = By("identity")


def project_key(obj: Any, key: str) -> tuple[bool, Any]:
    if isinstance(obj, VertexRecord | EdgeRecord):
        values = property_values(obj, key)
        return (True, values[0]) if values else (False, None)
    if isinstance(obj, dict):
        return (True, obj[key]) if key in obj else (False, None)
    return False, None


def project_token(obj: Any, token: T) -> tuple[bool, Any]:
    if token in (T.id, T.id_):
        if isinstance(obj, VertexRecord | EdgeRecord | VertexPropertyRecord):
            return True, obj.id
    elif token is T.label:
        if isinstance(obj, VertexRecord | EdgeRecord):
            return True, obj.label
        if isinstance(obj, VertexPropertyRecord):
            return True, obj.key
    elif token is T.key:
        if isinstance(obj, VertexPropertyRecord | EdgeProperty):
            return True, obj.key
    elif token is T.value and isinstance(obj, VertexPropertyRecord | EdgeProperty):
        return True, obj.value
    if isinstance(obj, dict) and token in obj:
        return True, obj[token]
    return False, None


def project_column(obj: Any, column: Column) -> tuple[bool, Any]:
    if isinstance(obj, Path):  # a Path's keys are its labels, its values its objects
        return True, [set(labels) for labels in obj.labels] if column is Column.keys else list(obj.objects)
    if isinstance(obj, dict):
        return True, list(obj.keys()) if column is Column.keys else list(obj.values())
    if isinstance(obj, MapEntry):
        return True, obj.key if column is Column.keys else obj.value
    raise invalid_parameter(f"select({column.name}) expects a Map, got {type(obj).__name__}")


def ring(bys: list[By], i: int) -> By:
    """TinkerPop's ``TraversalRing``: the ``by()``s are used round-robin; none means identity."""
    return bys[i % len(bys)] if bys else IDENTITY


# --------------------------------------------------------------------------- scope values
_MISSING = object()


def scope_values(t: Traverser, ctx: Context, key: Any) -> list[Any] | None:
    """The candidate values for ``select(key)``: a key of the current Map, ``as()`` labels of the
    path (oldest first), then side effects; ``None`` if the key is nowhere."""
    obj = t.obj
    if isinstance(obj, dict) and key in obj:
        return [obj[key]]
    if isinstance(key, str):
        found = t.labelled_values(key)
        if found:
            return found
        present, value = ctx.side_effect(key)
        if present:
            return [value]
    return None


def select_value(t: Traverser, ctx: Context, key: Any, pop: str = "last") -> tuple[bool, Any]:
    values = scope_values(t, ctx, key)
    if values is None:
        return False, None
    if pop == "first":
        return True, values[0]
    if pop == "last":
        return True, values[-1]
    if pop == "all":
        return True, list(values)
    return True, values[0] if len(values) == 1 else list(values)


# --------------------------------------------------------------------------- building steps
class Build:
    """What a step factory gets: the step's name and (normalised) arguments, whether it starts
    the root traversal, and a way to compile child traversals (recorded in :attr:`children`)."""

    __slots__ = ("args", "children", "compile_child", "is_start", "name")

    def __init__(self, name: str, args: list[Any], is_start: bool, compile_child: Callable[[Any], Pipeline]) -> None:
        self.name = name
        self.args = args
        self.is_start = is_start
        self.compile_child = compile_child
        self.children: list[Pipeline] = []

    def child(self, bytecode: Any) -> Pipeline:
        pipeline: Pipeline = self.compile_child(bytecode)
        self.children.append(pipeline)
        return pipeline

    def arity(self, low: int, high: int | None = None) -> None:
        n = len(self.args)
        if n < low or (high is not None and n > high):
            expected = f"{low}" if high == low else f"{low}..{'n' if high is None else high}"
            raise malformed(f"{self.name}() takes {expected} arguments, got {n}")


def no_args(cls: type[Step]) -> Callable[[Build], Step]:
    """The factory for a step that takes no arguments (``identity()``, ``drop()``, ``id()`` ...)."""

    def make(b: Build) -> Step:
        b.arity(0, 0)
        return cls(b.name)

    return make
