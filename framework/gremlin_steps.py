"""Anonymous Gremlin traversals as plain instruction lists: what graphworker's writes are built with.

Why not gremlinpython's ``__`` directly: a versioned upsert is 20-45 steps per element, and
gremlinpython builds each step as a ``GraphTraversal`` with its own ``Bytecode``, converting and
copying every argument, then walks the result with its generic GraphBinary writer. Profiled on the
transactions load of ``graphworker local``, that was about 40% of the handler's CPU. A
:class:`Steps` is a list of ``(name, *args)`` tuples: appending is all a step costs, counting
steps needs no conversion, and :mod:`framework.graphbinary_steps` writes it to GraphBinary in one
pass.

It stays gremlinpython-compatible where it matters: :attr:`Steps.bytecode` is the very
``Bytecode`` gremlinpython's ``__`` would build from the same calls (nested traversals converted
to their bytecode, maps copied), so the GraphSON serializers and everything else that takes
gremlinpython bytecode are unchanged, and the tests compare the two step by step.

Method names follow gremlinpython's Python spelling (``side_effect``, ``not_``, ``merge_v``);
instructions carry the Gremlin step names (``sideEffect``, ``not``, ``mergeV``). Like a
gremlinpython traversal, a :class:`Steps` is mutable: each call appends to it and returns it.
Start an anonymous traversal with :data:`__` (``__.has(...)``) and a request with
:func:`g_inject`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gremlin_python.process.traversal import Bytecode

__all__ = ["Steps", "__", "g_inject"]


class Steps:
    """One (anonymous or root) traversal: its step instructions, in order."""

    __slots__ = ("instructions",)

    def __init__(self) -> None:
        self.instructions: list[tuple[Any, ...]] = []

    def _add(self, name: str, *args: Any) -> Steps:
        self.instructions.append((name, *args))
        return self

    # The steps graphworker's writes use (gremlinpython's Python names -> Gremlin step names).
    def inject(self, *args: Any) -> Steps:
        return self._add("inject", *args)

    def union(self, *args: Any) -> Steps:
        return self._add("union", *args)

    def fold(self) -> Steps:
        return self._add("fold")

    def unfold(self) -> Steps:
        return self._add("unfold")

    def coalesce(self, *args: Any) -> Steps:
        return self._add("coalesce", *args)

    def side_effect(self, *args: Any) -> Steps:
        return self._add("sideEffect", *args)

    def flat_map(self, *args: Any) -> Steps:
        return self._add("flatMap", *args)

    def filter_(self, *args: Any) -> Steps:
        return self._add("filter", *args)

    def not_(self, *args: Any) -> Steps:
        return self._add("not", *args)

    def constant(self, *args: Any) -> Steps:
        return self._add("constant", *args)

    def identity(self) -> Steps:
        return self._add("identity")

    def V(self, *args: Any) -> Steps:
        return self._add("V", *args)

    def E(self, *args: Any) -> Steps:
        return self._add("E", *args)

    def has(self, *args: Any) -> Steps:
        return self._add("has", *args)

    def limit(self, *args: Any) -> Steps:
        return self._add("limit", *args)

    def merge_v(self, *args: Any) -> Steps:
        return self._add("mergeV", *args)

    def merge_e(self, *args: Any) -> Steps:
        return self._add("mergeE", *args)

    def option(self, *args: Any) -> Steps:
        return self._add("option", *args)

    def properties(self, *args: Any) -> Steps:
        return self._add("properties", *args)

    def id_(self) -> Steps:
        return self._add("id")

    def drop(self) -> Steps:
        return self._add("drop")

    def both_e(self, *args: Any) -> Steps:
        return self._add("bothE", *args)

    # ------------------------------------------------------------------ reading it
    def step_count(self) -> int:
        """Steps, nested anonymous traversals included (what Neptune's ~1,500-step limit counts)."""
        total = 0
        for instruction in self.instructions:
            total += 1
            for argument in instruction[1:]:
                if type(argument) is Steps:
                    total += argument.step_count()
        return total

    @property
    def bytecode(self) -> Bytecode:
        """gremlinpython's ``Bytecode`` for these steps, as ``__`` would have built it."""
        bytecode = Bytecode()
        bytecode.step_instructions = [[name, *(_converted(a) for a in args)] for name, *args in self.instructions]
        return bytecode

    def __repr__(self) -> str:
        return f"Steps({self.instructions!r})"

    # Last: inside the class body, this name hides the builtin ``property`` used above.
    def property(self, *args: Any) -> Steps:
        return self._add("property", *args)


def _converted(argument: Any) -> Any:
    """An argument as gremlinpython's ``Bytecode`` stores it: traversals as bytecode, containers copied."""
    if type(argument) is Steps:
        return argument.bytecode
    if isinstance(argument, dict):
        return {_converted(k): _converted(v) for k, v in argument.items()}
    if isinstance(argument, list):
        return [_converted(v) for v in argument]
    return argument


class _Anonymous:
    """``__``: each step starts a new anonymous traversal."""

    def __getattr__(self, name: str) -> Callable[..., Steps]:
        method = getattr(Steps, name)

        def start(*args: Any) -> Steps:
            started: Steps = method(Steps(), *args)
            return started

        setattr(self, name, start)  # looked up once per step name
        return start


__ = _Anonymous()
"""Anonymous traversals: ``__.has(k, v)`` is ``Steps().has(k, v)``."""


def g_inject(*args: Any) -> Steps:
    """A request's root traversal, ``g.inject(...)`` (the graph traversal source adds no instruction)."""
    return Steps().inject(*args)
