"""Run a compiled traversal in a transaction and hand back client-ready results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gremlin_python.process.traversal import Bytecode, Traversal
from gremlin_python.structure.graph import Edge, Path, Property, Vertex, VertexProperty

from ..errors import NeptuneError
from ..graph import EdgeRecord, Transaction, VertexPropertyRecord, VertexRecord
from .compile import Compiled, as_bytecode, compile_request, normalise
from .elements import EdgeProperty, LinkedSet, MapEntry, attach_all
from .failures import malformed, unsupported_step
from .static_checks import is_options_strategy, strategy_name
from .traverser import Context, root_traverser


@dataclass
class Prepared:
    """A request compiled once: what the server needs before running it (is it a write?) and what
    running it needs. Compiling is the costly half of a big batch; this way it happens once."""

    compiled: Compiled
    side_effects: dict[str, Any]

    @property
    def is_write(self) -> bool:
        return self.compiled.mutating


def prepare(bytecode: Bytecode | Traversal) -> Prepared:
    """Compile ``bytecode`` (raising the NeptuneError that refuses it, if any) without running it."""
    bc = as_bytecode(bytecode)
    side_effects = _source(bc)
    return Prepared(compile_request(bc), side_effects)


def execute(bytecode: Bytecode | Traversal | Prepared, txn: Transaction, *, deadline: float | None = None) -> list[Any]:
    """Run ``bytecode`` (or a :func:`prepare`'d request) in ``txn``; return the results in order as
    gremlinpython values.

    Writes are applied through ``txn`` as they happen; on any error the caller rolls ``txn`` back
    (Neptune runs each request as one transaction). ``deadline`` is a ``time.monotonic()`` value:
    past it the query fails with ``TimeLimitExceededException``.
    """
    prepared = bytecode if isinstance(bytecode, Prepared) else prepare(bytecode)
    compiled = prepared.compiled
    side_effects = {k: attach_all(txn.store, v) for k, v in prepared.side_effects.items()}
    ctx = Context(txn, deadline=deadline, side_effects=side_effects, track_paths=compiled.track_paths)
    ctx.check_deadline()
    try:
        root = root_traverser(compiled.track_paths)
        return [detach(t.obj) for t in compiled.pipeline.run(ctx, (root,))]
    except NeptuneError:
        raise
    except RecursionError as exc:
        raise NeptuneError("MemoryLimitExceededException", "The query nested too deeply") from exc
    except Exception as exc:  # an engine bug must still reach the client in Neptune's shape
        raise NeptuneError("InternalFailureException", f"{type(exc).__name__}: {exc}") from exc


def _source(bc: Bytecode) -> dict[str, Any]:
    """Apply source instructions: ``withStrategies(OptionsStrategy)`` (read by the server for the
    timeout) and ``withSideEffect``; anything else is refused by name."""
    side_effects: dict[str, Any] = {}
    for instruction in bc.source_instructions:
        name, args = instruction[0], instruction[1:]
        if name == "withStrategies":
            for strategy in args:
                if not is_options_strategy(strategy):
                    raise malformed(
                        f"Unsupported traversal strategy '{strategy_name(strategy)}': the local endpoint "
                        "only accepts OptionsStrategy (g.with_(...))."
                    )
        elif name == "with":
            continue  # g.with_(key, value) sent as a source instruction: an option, no effect here
        elif name == "withSideEffect":
            if len(args) != 2 or not isinstance(args[0], str):
                raise malformed(f"withSideEffect() takes a key and a value, got {args!r}")
            side_effects[args[0]] = normalise(args[1], name)
        else:
            raise unsupported_step(name)
    return side_effects


def _vertex(v: VertexRecord) -> Vertex:
    return Vertex(v.id, v.label)


def _edge(e: EdgeRecord) -> Edge:
    return Edge(e.id, _vertex(e.out_v), e.label, _vertex(e.in_v))


def detach(obj: Any) -> Any:
    """Records -> gremlinpython ``Vertex``/``Edge``/``VertexProperty``/``Property``, recursively."""
    if isinstance(obj, VertexRecord):
        return _vertex(obj)
    if isinstance(obj, EdgeRecord):
        return _edge(obj)
    if isinstance(obj, VertexPropertyRecord):
        return VertexProperty(obj.id, obj.key, obj.value, _vertex(obj.vertex))
    if isinstance(obj, EdgeProperty):
        return Property(obj.key, obj.value, _edge(obj.edge))
    if isinstance(obj, MapEntry):
        return {_detach_key(obj.key): detach(obj.value)}
    if isinstance(obj, Path):
        return Path([set(labels) for labels in obj.labels], [detach(o) for o in obj.objects])
    if isinstance(obj, LinkedSet):
        items = [_detach_key(x) for x in obj]
        try:
            return set(items)
        except TypeError:  # unhashable members (maps, lists): keep them, in order
            return items
    if isinstance(obj, dict):
        return {_detach_key(k): detach(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [detach(x) for x in obj]
    if isinstance(obj, set | frozenset):
        return {_detach_key(x) for x in obj}
    return obj


def _detach_key(key: Any) -> Any:
    if isinstance(key, tuple):
        return tuple(_detach_key(k) for k in key)
    if isinstance(key, frozenset):
        return frozenset(_detach_key(k) for k in key)
    return detach(key)
