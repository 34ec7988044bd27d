"""The traversal engine of the local Gremlin endpoint: gremlinpython bytecode in, results out.

Public entry points:

* :func:`execute` -- run bytecode in a :class:`~gwlocal.gremlin_server.graph.Transaction`;
* :func:`prepare` -- compile bytecode once (is it a write?) for a later :func:`execute`;
* :func:`is_mutating` -- does the bytecode (or a child traversal) write? (refuse on readers early);
* :func:`evaluation_timeout_ms` -- the client's ``g.with_('evaluationTimeout', ms)``.

Semantics are TinkerPop 3.7's, except where Neptune differs; there the engine follows Neptune.
Those differences (the README copies this list):

* Ids are strings. A user-supplied ``T.id`` that is not a String -> InvalidParameterException;
  generated ids are UUID strings.
* Vertex property cardinality defaults to ``set``: ``property('k', 'v2')`` on a vertex with
  ``k=v1`` gives both values; ``property(single, 'k', 'v2')`` replaces. ``mergeV`` ``onMatch`` plain
  values follow the same default (TinkerPop uses the graph's default cardinality there);
  ``CardinalityValue.single(x)`` replaces.
* ``list`` cardinality is refused (UnsupportedOperationException): Neptune has single and set only.
* Meta-properties (``property(k, v, k2, v2)`` on a vertex, or ``property()`` on a vertex property)
  are refused with Neptune's UnsupportedOperationException "Properties on a vertex property is not
  supported". Set several properties with ``property(Map)`` or several ``property()`` calls.
* Edge properties are single-valued.
* Property values must be String, Boolean, integer (64-bit), Float/Double or Date; ``None``,
  lists, maps, sets ... -> InvalidParameterException naming the key (TinkerPop would remove the
  property for ``None``).
* Adding a vertex or an edge whose id exists -> ConstraintViolationException.
* ``addE``/``mergeE`` with an endpoint vertex that does not exist -> ConstraintViolationException
  naming the missing id (retriable: the vertex may arrive later).
* Labels must be non-empty Strings (else InvalidParameterException); ``'a::b'`` is a vertex with
  the two labels ``a`` and ``b`` (``hasLabel('a')`` matches it).
* Lambdas are refused (MalformedQueryException naming the step); so are unknown steps and
  strategies other than ``OptionsStrategy``.
* Each request is one transaction; concurrent writes to the same element -- or edge writes that
  share an endpoint vertex -- fail fast with ConcurrentModificationException.

Known gaps of the stand-in (not Neptune behaviour): a read sees writes of other transactions that
are still open (Neptune reads a snapshot); steps outside :data:`SUPPORTED_STEPS` (``repeat``,
``path``, ``choose``, ``aggregate``, ``skip`` ...), ``TextP.regex`` and ``limit``/``range``/``tail``
with ``Scope.local`` are refused rather than emulated. Traversers are never bulked, so a
``local()``/``flatMap()`` after ``barrier()`` sees each object once per traverser where TinkerPop
would see one bulked traverser; and ``select(keys)`` of a Map gives a List (TinkerPop: a Set).
"""

from __future__ import annotations

from .compile import SUPPORTED_STEPS
from .executor import Prepared, execute, prepare
from .static_checks import evaluation_timeout_ms, is_mutating

__all__ = ["SUPPORTED_STEPS", "Prepared", "evaluation_timeout_ms", "execute", "is_mutating", "prepare"]
