"""Static looks at bytecode the server needs before executing: does it write, and what
``evaluationTimeout`` did the client ask for."""

from __future__ import annotations

from typing import Any

from gremlin_python.process.traversal import Bytecode, Traversal

MUTATING_STEPS = frozenset({"addV", "addE", "property", "mergeV", "mergeE", "drop"})


def _contains_mutation(value: Any) -> bool:
    if isinstance(value, Traversal):
        value = value.bytecode
    if isinstance(value, Bytecode):
        return any(
            instruction[0] in MUTATING_STEPS or any(_contains_mutation(a) for a in instruction[1:])
            for instruction in value.step_instructions
        )
    if isinstance(value, dict):
        return any(_contains_mutation(k) or _contains_mutation(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return any(_contains_mutation(v) for v in value)
    return False


def is_mutating(bytecode: Bytecode) -> bool:
    """True when the traversal (or any child traversal) has a write step, so the server can refuse
    it on a reader with ``ReadOnlyViolationException`` before running anything."""
    return _contains_mutation(bytecode)


def strategy_name(strategy: Any) -> str:
    name = getattr(strategy, "strategy_name", None) or type(strategy).__name__
    return str(name).rsplit(".", 1)[-1]


def is_options_strategy(strategy: Any) -> bool:
    return strategy_name(strategy) == "OptionsStrategy"


def evaluation_timeout_ms(bytecode: Bytecode) -> int | None:
    """The ``evaluationTimeout`` gremlinpython sends for ``g.with_('evaluationTimeout', ms)``.

    gremlinpython turns ``with_`` into ``withStrategies(OptionsStrategy({...}))``; a plain ``with``
    source instruction is read too. Non-integer values are ignored (``None``).
    """
    if isinstance(bytecode, Traversal):
        bytecode = bytecode.bytecode
    if not isinstance(bytecode, Bytecode):
        return None
    found: Any = None
    for instruction in bytecode.source_instructions:
        name, args = instruction[0], instruction[1:]
        if name == "withStrategies":
            for strategy in args:
                if is_options_strategy(strategy):
                    config = getattr(strategy, "configuration", None) or {}
                    if "evaluationTimeout" in config:
                        found = config["evaluationTimeout"]
        elif name == "with" and len(args) == 2 and args[0] == "evaluationTimeout":
            found = args[1]
    if isinstance(found, bool) or not isinstance(found, int | float):
        return None
    return int(found)
