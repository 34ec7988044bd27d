"""Steps that run child traversals per traverser: ``coalesce``, ``union``, ``optional``,
``sideEffect``, ``map``/``flatMap``/``local`` (traversal forms only; lambdas are refused earlier),
and ``identity``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from gremlin_python.process.traversal import Bytecode

from .failures import malformed
from .pipeline import Build, IdentityStep, Pipeline, Step, no_args
from .traverser import Context, Traverser


class BranchStep(Step):
    def __init__(self, name: str, children: list[Pipeline]) -> None:
        super().__init__(name)
        self.children = children

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        name = self.name
        for t in stream:
            if name == "union":
                for child in self.children:
                    yield from child.results(ctx, t)
            elif name == "coalesce":
                for child in self.children:
                    found = list(child.results(ctx, t))
                    if found:
                        yield from found
                        break
            elif name == "optional":
                found = list(self.children[0].results(ctx, t))
                yield from found or [t]
            elif name == "sideEffect":
                for _ in self.children[0].results(ctx, t):
                    pass
                yield t
            elif name == "map":
                for r in self.children[0].results(ctx, t):
                    yield t.split(r.obj)
                    break
            else:  # flatMap, local
                yield from self.children[0].results(ctx, t)


def _branch(minimum: int, maximum: int | None) -> Callable[[Build], Step]:
    def make(b: Build) -> Step:
        b.arity(minimum, maximum)
        if not all(isinstance(a, Bytecode) for a in b.args):
            raise malformed(f"{b.name}() takes anonymous traversals, got {b.args!r}")
        return BranchStep(b.name, [b.child(a) for a in b.args])

    return make


STEPS: dict[str, Callable[[Build], Step]] = {
    "union": _branch(0, None),
    "coalesce": _branch(1, None),
    "optional": _branch(1, 1),
    "sideEffect": _branch(1, 1),
    "map": _branch(1, 1),
    "flatMap": _branch(1, 1),
    "local": _branch(1, 1),
    "identity": no_args(IdentityStep),
}
