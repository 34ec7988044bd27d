"""Bytecode -> :class:`~.pipeline.Pipeline`.

Everything that can be refused without touching the graph is refused here, before execution:
unknown steps, lambdas, unknown predicates, misplaced modulators. That keeps "fails loudly, never
with a wrong answer" cheap, and means a refused query has written nothing.

Modulators attach to the step before them: ``as()`` labels it, ``by()``/``option()``/``from()``/
``to()``/``with()`` configure it; ``times()``/``until()``/``emit()`` complete the ``repeat()`` before
them or open one (see ``steps_repeat``). A ``property()`` right after ``addV``/``addE`` is folded into
the creation, as TinkerPop does, which is what makes ``addV().property(T.id, 'x')`` set the id.

The compiler also records what the executor needs to know up front: whether any step reads full
paths (then traversers record them) and whether any step writes (a reader refuses the request).
Compiling is a large share of a batch request's cost, so this module favours plain loops and
type-identity checks over generality in its inner paths.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aenum import Enum
from gremlin_python import statics
from gremlin_python.process.traversal import (
    Barrier,
    Binding,
    Bytecode,
    Cardinality,
    Column,
    Direction,
    Merge,
    Operator,
    Order,
    P,
    Pick,
    Pop,
    Scope,
    T,
    Traversal,
)

from . import (
    merge,
    steps_branch,
    steps_filter,
    steps_graph,
    steps_map,
    steps_mutate,
    steps_path,
    steps_repeat,
    steps_sideeffect,
)
from .failures import lambda_rejected, malformed, unsupported_step
from .pipeline import Build, By, Pipeline, StartStep, Step
from .predicates import validate as validate_predicate
from .steps_mutate import AddElementStep, PropertyStep

_FACTORIES: dict[str, Callable[[Build], Step]] = {
    **steps_graph.STEPS,
    **steps_filter.STEPS,
    **steps_map.STEPS,
    **steps_branch.STEPS,
    **steps_mutate.STEPS,
    **merge.STEPS,
    **steps_path.STEPS,
    **steps_repeat.STEPS,
    **steps_sideeffect.STEPS,
}

MODULATORS = frozenset({"as", "by", "option", "from", "to", "with"})
START_STEPS = frozenset({"V", "E", "addV", "addE", "inject", "mergeV", "mergeE", "union"})
SUPPORTED_STEPS: tuple[str, ...] = tuple(sorted(set(_FACTORIES) | MODULATORS | steps_repeat.REPEAT_PARTS))
"""Every step name (as in bytecode) the engine executes; anything else is refused."""

_PLAIN = frozenset({
    str, int, float, bool, type(None), statics.long, datetime.datetime, Bytecode,
    T, Direction, Merge, Cardinality, Column, Order, Pop, Scope, Pick, Operator, Barrier,
})
"""Argument types that need no normalising (the vast majority: keys, ids, values, tokens)."""


def is_lambda(value: Any) -> bool:
    """A client lambda: a Python callable, or a decoded wire lambda (``LambdaArg``)."""
    if isinstance(value, type | Bytecode | Traversal):
        return False
    return callable(value) or "lambda" in type(value).__name__.lower()


def normalise(value: Any, step: str) -> Any:
    """Unwrap ``Binding``s and ``Traversal``s; refuse lambdas anywhere in the arguments."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        for k, v in value.items():
            if type(k) not in _PLAIN or type(v) not in _PLAIN:
                break
        else:
            return value  # the common case: nothing to unwrap, keep the decoded Map as it is
        return {k if type(k) in _PLAIN else normalise(k, step): v if type(v) in _PLAIN else normalise(v, step)
                for k, v in value.items()}
    if kind is list:
        for v in value:
            if type(v) not in _PLAIN:
                return [v if type(v) in _PLAIN else normalise(v, step) for v in value]
        return value
    if isinstance(value, Enum):
        return value
    if isinstance(value, Binding):
        return normalise(value.value, step)
    if isinstance(value, Traversal):
        return value.bytecode
    if is_lambda(value):
        raise lambda_rejected(step)
    if isinstance(value, dict):
        return {normalise(k, step): normalise(v, step) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, step) for v in value]
    if isinstance(value, P):  # P.between(Bindings.of('lo', 27), 30): the operands too
        other = None if value.other is None else normalise(value.other, step)
        return type(value)(value.operator, normalise(value.value, step), other)
    return value


def as_bytecode(value: Any) -> Bytecode:
    if isinstance(value, Traversal):
        return value.bytecode
    if not isinstance(value, Bytecode):
        raise malformed(f"Expected traversal bytecode, got {type(value).__name__}")
    return value


@dataclass
class Compiled:
    """A compiled request: the root pipeline, whether traversers must record full paths, and
    whether any step (children included) writes."""

    pipeline: Pipeline
    track_paths: bool
    mutating: bool


def compile_request(bytecode: Bytecode) -> Compiled:
    compiler = _Compiler()
    pipeline = compiler.compile(as_bytecode(bytecode), root=True)
    return Compiled(pipeline, compiler.track_paths, compiler.mutating)


def compile_traversal(bytecode: Bytecode, *, root: bool = True) -> Pipeline:
    return _Compiler().compile(as_bytecode(bytecode), root=root)


class _Compiler:
    def __init__(self) -> None:
        self.track_paths = False
        self.mutating = False

    def child(self, bytecode: Any) -> Pipeline:
        if type(bytecode) is not Bytecode:
            bytecode = as_bytecode(bytecode)
        return self.compile(bytecode, root=False)

    def compile(self, bytecode: Bytecode, *, root: bool) -> Pipeline:
        steps: list[Step] = []
        instructions = bytecode.step_instructions
        if root:
            if not instructions:
                raise malformed("The traversal has no steps")
            first = instructions[0][0]
            if first not in START_STEPS:
                raise malformed(
                    f"A traversal cannot start with {first}(); start with one of {sorted(START_STEPS)}")
        for instruction in instructions:
            if len(instruction) == 1 and (instruction[0] == "and" or instruction[0] == "or"):
                instructions = infix_connectives(instructions, root=root)
                break
        factories = _FACTORIES
        quick_makers = _QUICK
        for index, instruction in enumerate(instructions):
            name = instruction[0]
            args = instruction[1:]
            quick = quick_makers.get(name)
            step = None if quick is None else quick(self, args)
            if step is None:
                for a in args:
                    if type(a) not in _PLAIN:
                        args = [normalise(a, name) for a in args]
                        break
                factory = factories.get(name)
                if factory is None:
                    if name in MODULATORS:
                        if name == "to" and args and isinstance(args[0], Direction):
                            # to(Direction, labels...) is a step (like out()/in()), not the to() modulator
                            steps.append(steps_graph.to_direction(Build(name, args, False, self.child)))
                        else:
                            self._modulate(steps, name, args)
                        continue
                    if name in steps_repeat.REPEAT_PARTS:
                        steps_repeat.attach(steps, Build(name, args, False, self.child))
                        continue
                    raise unsupported_step(name)
                build = Build(name, args, root and index == 0, self.child)
                step = factory(build)
                step.child_pipelines = build.children
            if step.needs_path:
                self.track_paths = True
            if step.mutating:
                self.mutating = True
                if isinstance(step, PropertyStep):
                    if steps and isinstance(steps[-1], AddElementStep):
                        steps[-1].absorb(step)
                        continue
                    if step.writes_token:
                        raise malformed("property(T.id|T.label, ...) is only allowed directly after addV()/addE()")
            steps.append(step)
        single = bool(steps)
        for step in steps:
            step.finish()
            if single and not step.at_most_one():
                single = False
        return Pipeline(steps, single)

    def _compiled(self, step: Step, value: Any) -> Any:
        if isinstance(value, Bytecode):
            pipeline = self.child(value)
            step.child_pipelines.append(pipeline)
            return pipeline
        return value

    def _modulate(self, steps: list[Step], name: str, args: list[Any]) -> None:
        if name == "as":
            if not args or not all(isinstance(a, str) for a in args):
                raise malformed(f"as() takes step labels (strings), got {args!r}")
            if not steps:
                steps.append(StartStep("as"))
            steps[-1].labels.extend(args)
            return
        step = _previous(steps, name)
        if name == "by":
            by = parse_by(args, self.child)
            if by.kind == "traversal":
                step.child_pipelines.append(by.arg)
            step.add_by(by)
        elif name == "option":
            if len(args) == 3 and isinstance(args[2], Cardinality):
                # option(Merge.onCreate|onMatch, Map, Cardinality): the cardinality of the Map's plain values
                token, value, cardinality = args
                step.add_option(token, self._compiled(step, value), cardinality)
                return
            if len(args) != 2:
                raise malformed(f"option() takes a token and a value, got {args!r}")
            token, value = args
            step.add_option(self._compiled(step, token), self._compiled(step, value))
        elif name == "with":
            if not 1 <= len(args) <= 2:
                raise malformed(f"with() takes a key and an optional value, got {args!r}")
            step.add_with(args[0], args[1] if len(args) == 2 else True)
        else:  # from / to
            if len(args) != 1:
                raise malformed(f"{name}() takes one argument, got {args!r}")
            step.set_endpoint(name, self._compiled(step, args[0]))


# --------------------------------------------------------------------------- fast paths
# A versioned upsert is ~125 steps per element, nearly all of a few shapes: has(key, gte(n)),
# not(...), sideEffect(...), coalesce(...), constant(x), property([single,] key, value), V(ids...),
# limit(n). Each maker below builds the step for its one exact shape directly -- no normalising
# pass over the arguments, no Build, no factory argument checks -- and returns None for anything
# else, which then takes the general path. The shapes are chosen so the result is the very step
# the general path would build (exact argument types only: nothing to unwrap, no lambda possible,
# no check that could fail).

QuickMaker = Callable[["_Compiler", list[Any]], Step | None]


def _quick_has(compiler: _Compiler, args: list[Any]) -> Step | None:
    """``has(String, P)`` whose operand needs no normalising (``has('gw:version', gte(n))``)."""
    if len(args) != 2:
        return None
    key, predicate = args
    if type(key) is not str or type(predicate) is not P or predicate.other is not None \
            or type(predicate.value) not in _PLAIN:
        return None
    validate_predicate(predicate)
    return steps_filter.HasStep("has", key, predicate)


def _only_child(compiler: _Compiler, args: list[Any]) -> Pipeline | None:
    if len(args) != 1 or type(args[0]) is not Bytecode:
        return None
    return compiler.compile(args[0], root=False)


def _quick_not(compiler: _Compiler, args: list[Any]) -> Step | None:
    """``not(traversal)``."""
    child = _only_child(compiler, args)
    if child is None:
        return None
    step = steps_filter.TraversalFilterStep("not", [child])
    step.child_pipelines = [child]
    return step


def _quick_side_effect(compiler: _Compiler, args: list[Any]) -> Step | None:
    """``sideEffect(traversal)``."""
    child = _only_child(compiler, args)
    if child is None:
        return None
    step = steps_branch.LocalChildStep("sideEffect", child)
    step.child_pipelines = [child]
    return step


def _quick_coalesce(compiler: _Compiler, args: list[Any]) -> Step | None:
    """``coalesce(traversal, ...)``."""
    if not args:
        return None
    for arg in args:
        if type(arg) is not Bytecode:
            return None
    children = [compiler.compile(arg, root=False) for arg in args]
    step = steps_branch.CoalesceStep("coalesce", children)
    step.child_pipelines = list(children)
    return step


def _quick_constant(compiler: _Compiler, args: list[Any]) -> Step | None:
    """``constant(x)`` of a value that needs no normalising."""
    if len(args) != 1 or type(args[0]) not in _PLAIN:
        return None
    return steps_map.ConstantStep("constant", args[0])


def _quick_property(compiler: _Compiler, args: list[Any]) -> Step | None:
    """``property([Cardinality,] String, value)`` with a plain, non-traversal value."""
    if len(args) == 3:
        cardinality, key, value = args
        if type(cardinality) is not Cardinality:
            return None
    elif len(args) == 2:
        cardinality = None
        key, value = args
    else:
        return None
    kind = type(value)
    if type(key) is not str or kind not in _PLAIN or kind is Bytecode:
        return None
    return PropertyStep("property", [steps_mutate.PropertySpec(cardinality, key, value)])


def _quick_v(compiler: _Compiler, args: list[Any]) -> Step | None:
    """``V(id, ...)`` with String ids (the tombstone lookups)."""
    if not args:
        return None
    for arg in args:
        if type(arg) is not str:
            return None
    return steps_graph.GraphStep("V", list(args))


def _quick_limit(compiler: _Compiler, args: list[Any]) -> Step | None:
    """``limit(n)`` (global scope) with an int."""
    if len(args) != 1 or type(args[0]) is not int:
        return None
    return steps_filter.RangeStep("limit", 0, args[0])


_QUICK: dict[str, QuickMaker] = {
    "V": _quick_v,
    "limit": _quick_limit,
    "has": _quick_has,
    "not": _quick_not,
    "sideEffect": _quick_side_effect,
    "coalesce": _quick_coalesce,
    "constant": _quick_constant,
    "property": _quick_property,
}


def _is_marker(instruction: list[Any], name: str) -> bool:
    return len(instruction) == 1 and instruction[0] == name


def _split(instructions: list[list[Any]], name: str) -> list[list[list[Any]]]:
    parts: list[list[list[Any]]] = [[]]
    for instruction in instructions:
        if _is_marker(instruction, name):
            parts.append([])
        else:
            parts[-1].append(instruction)
    return parts


def _bytecode(instructions: list[list[Any]]) -> Bytecode:
    bc = Bytecode()
    bc.step_instructions = [list(i) for i in instructions]
    return bc


def _conjunction(instructions: list[list[Any]], name: str) -> list[list[Any]]:
    parts = _split(instructions, name)
    if len(parts) == 1:
        return instructions
    return [[name, *(_bytecode(part) for part in parts)]]


def infix_connectives(instructions: list[list[Any]], *, root: bool) -> list[list[Any]]:
    """TinkerPop's ``ConnectiveStrategy``: the infix ``a.and().b`` / ``a.or().b`` (an ``and``/``or``
    step without arguments) becomes ``and(a, b)`` / ``or(a, b)``; ``and`` binds tighter than ``or``.

    Everything before the marker (back to the start step of a root traversal) is the left operand
    and everything after it the right one, as in TinkerPop: ``__.out('a').and().out('c').or()
    .out('d')`` is ``__.or(__.and(__.out('a'), __.out('c')), __.out('d'))``.
    """
    for instruction in instructions:
        if len(instruction) == 1 and (instruction[0] == "and" or instruction[0] == "or"):
            break
    else:
        return instructions
    keep = 1 if root and instructions else 0
    while keep and keep < len(instructions) and instructions[keep][0] == "as":
        keep += 1  # g.V().as('a').out().and()...: the label belongs to the start step, outside the operands
    head, body = instructions[:keep], instructions[keep:]
    if any(_is_marker(i, "or") for i in body):
        operands = [_bytecode(_conjunction(part, "and")) for part in _split(body, "or")]
        return [*head, ["or", *operands]]
    return [*head, *_conjunction(body, "and")]


def _previous(steps: list[Step], modulator: str) -> Step:
    if not steps:
        raise malformed(f"{modulator}() must follow a step")
    return steps[-1]


def parse_by(args: list[Any], compile_child: Callable[[Any], Pipeline]) -> By:
    if not args:
        return By("identity")
    if len(args) > 2:
        raise malformed(f"by() takes at most two arguments, got {args!r}")
    first = args[0]
    order: Order | None = None
    if len(args) == 2:
        if not isinstance(args[1], Order):
            raise malformed(f"by(x, {args[1]!r}): the second argument must be an Order")
        order = args[1]
    if isinstance(first, Order):
        if len(args) == 2:
            raise malformed(f"by() got two orders: {args!r}")
        return By("identity", order=first)
    if isinstance(first, str):
        return By("key", first, order)
    if isinstance(first, T):
        return By("token", first, order)
    if isinstance(first, Column):
        return By("column", first, order)
    if isinstance(first, Bytecode):
        return By("traversal", compile_child(first), order)
    raise malformed(f"by() does not take {type(first).__name__} {first!r}")
