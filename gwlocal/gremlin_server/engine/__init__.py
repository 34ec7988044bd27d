"""The traversal engine of the local Gremlin endpoint: gremlinpython bytecode in, results out.

Public entry points:

* :func:`execute` -- run bytecode in a :class:`~gwlocal.gremlin_server.graph.Transaction`;
* :func:`prepare` -- compile bytecode once (is it a write?) for a later :func:`execute`;
* :func:`is_mutating` -- does the bytecode (or a child traversal) write? (refuse on readers early);
* :func:`evaluation_timeout_ms` -- the client's ``g.with_('evaluationTimeout', ms)``.

Semantics are TinkerPop 3.7's, except where Neptune differs; there the engine follows Neptune. The
README's "Differences from Neptune" table is the complete list; in short:

* Ids are strings (a non-String ``T.id`` -> InvalidParameterException); generated ids are UUID
  strings from the store's seeded rng; vertex property ids are numbers.
* Vertex property cardinality defaults to ``set``; ``single`` replaces; ``list`` and meta-properties
  are refused (UnsupportedOperationException). Edge properties are single-valued.
* Property values must be String, Boolean, integer (64-bit), Float/Double or Date; ``None`` and
  collections -> InvalidParameterException naming the key. Hidden (``~``) keys and labels are refused.
* ``addV`` with the id of an existing vertex adds the label if it is new (Neptune), else
  ConstraintViolationException; so does an edge to a missing vertex (retriable).
* Labels ``'a::b'`` are multi-labels; lambdas, unknown steps and strategies other than
  ``OptionsStrategy`` are refused with MalformedQueryException before anything runs.
* Each request is one transaction; conflicting writes fail fast with ConcurrentModificationException.

Known gaps of the stand-in (not Neptune behaviour): reads see writes of other open transactions
(Neptune reads a snapshot); traversers are never bulked, so ``repeat()`` over a cyclic graph grows
where TinkerPop would merge equal traversers (it fails with MemoryLimitExceededException instead of
exhausting the process); ``select(keys)`` of a Map gives a List (TinkerPop: a Set).
"""

from __future__ import annotations

from .compile import SUPPORTED_STEPS
from .executor import Prepared, execute, prepare
from .static_checks import evaluation_timeout_ms, is_mutating

__all__ = ["SUPPORTED_STEPS", "Prepared", "evaluation_timeout_ms", "execute", "is_mutating", "prepare"]
