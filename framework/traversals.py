"""Gremlin for element plans: each element's whole write, check and update, in one sub-traversal.

Why the checks live in the request: two execution contexts may write different versions of one
element at the same time. Comparing versions on the client would race; comparing them in the
same request as the write makes check-and-write one transaction, so concurrent writers converge
(a conflicting transaction fails with ``ConcurrentModificationException`` and is retried).

A request is ``inject(0).union(<element 1>, <element 2>, ...)``: every element's sub-traversal
emits exactly one answer token, its id when the write was applied (or already held at that
version) and ``gw:stale:<v|e>:<id>`` when it was skipped because the graph holds newer state. A
response with a token missing is a failed request, never a success.

Shapes (``VER`` = ``gw:version``, ``TOMB`` = the element's tombstone vertex):

- unversioned upsert (last writer wins, as before versions existed)::

      mergeV([T.id: X]).option(onCreate, [label: L, props...]).option(onMatch, [k: single(v)...])
          .sideEffect(<merge rules>).id()

- versioned upsert, groups ``v1 < ... < vn`` (``gw:v:k`` = the version that last set ``k``)::

      coalesce(V(TOMB).has(VER, gte(vn)).constant(STALE),                    // deleted at/after vn
               mergeV([T.id: X]).option(onCreate, [label: L, gw:born: vn])
                   .sideEffect(not(V(TOMB).has(VER, gte(vi)))                // per older group: after any delete
                       .sideEffect(not(has(gw:v:k, gte(vi))).property(single, k, v).property(single, gw:v:k, vi))
                       ... <merge rules of vi>)
                   ... <the newest group's steps, inline: the first branch checked its tombstones>
                   .sideEffect(not(has(VER, gte(vn))).property(single, VER, vn))
                   .coalesce(has(VER, gt(vn)).constant(STALE), constant(X)))

  (edges: ``mergeE`` with id, label and endpoints; the tombstone checks also look at both
  endpoints' tombstones, since deleting a vertex deletes its edges);
- versioned delete at ``d`` (before the upsert part when the batch has both)::

      sideEffect(not(V(TOMB).has(VER, gte(d))).mergeV([T.id: TOMB]).option(onCreate, [...]).option(onMatch, [...]))
          .sideEffect(V(X).bothE().not(has(VER, gt(d))).drop())       // edges of the deleted life
          .sideEffect(V(X).not(has(VER, gt(d))).not(bothE()).drop())
          .sideEffect(V(X).not(has(VER, gt(d))).properties().drop())   // newer edges: keep an empty vertex
          .coalesce(V(X).has(gw:born, gt(d)).constant(STALE), V(X).has(VER, gt(d)).constant(LATE), constant(X))

- merge rules: ``KeepMax``: ``not(has(k, gte(x))).property(single, k, x)``; ``KeepMin`` with
  ``lte``; ``AddToSet``: ``property(set, k, x)`` per value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from gremlin_python.process.traversal import Cardinality, CardinalityValue, Direction, Merge, P, T
from gremlin_python.statics import long

from .batching import ElementPlan, UnversionedPart, VersionedPart
from .gremlin_steps import Steps, __, g_inject
from .merge_rules import AddToSet, KeepMax, KeepMin, MergeValue
from .protocol import PreparedRequest
from .upserts import PropertyValue
from .versions import (
    BORN_KEY,
    DELETED_AT_KEY,
    TOMBSTONE_KIND_KEY,
    TOMBSTONE_LABEL,
    TOMBSTONE_OF_KEY,
    VERSION_KEY,
    late_delete_token,
    property_version_key,
    stale_token,
    tombstone_id,
)

_INT32 = (-(2**31), 2**31 - 1)


def wire(value: Any) -> Any:
    """A property value as it must be sent: Python ints beyond 32 bits as Gremlin longs.

    gremlinpython serializes a plain ``int`` as a 32-bit Int (GraphBinary refuses larger ones), so
    every 64-bit value the validation allows is wrapped in ``long``.
    """
    if isinstance(value, int) and not isinstance(value, bool) and not _INT32[0] <= value <= _INT32[1]:
        return long(value)
    return value


def _wired(props: dict[str, Any]) -> dict[str, Any]:
    return {k: wire(v) for k, v in props.items()}


def request_traversal(elements: Sequence[ElementPlan], *, now: dt.datetime | None = None) -> Steps:
    """One request that writes every element and answers one token per element.

    ``union`` runs each element's sub-traversal once for the single injected traverser, so the
    answer has exactly one token per element: anything less is an incomplete (failed) request.
    When the request holds vertices and edges, a ``fold()`` barrier between them makes every vertex
    written before the first edge (``inject(0).union(<vertices>).fold().union(unfold(), <edges>)``).
    """
    stamp = now or dt.datetime.now(dt.UTC)
    vertices = [rendered(e, stamp) for e in elements if not e.is_edge]
    edges = [rendered(e, stamp) for e in elements if e.is_edge]
    if vertices and edges:
        return g_inject(0).union(*vertices).fold().union(__.unfold(), *edges)
    return g_inject(0).union(*(vertices or edges))


def rendered(plan: ElementPlan, now: dt.datetime) -> Steps:
    """The element's sub-traversal, built once per batch (the planner counts its steps, bisection reuses it)."""
    cached = plan.rendered
    if cached is not None and cached[0] == now:
        hit: Steps = cached[1]
        return hit
    built = element_traversal(plan, now=now)
    plan.rendered = (now, built)
    return built


def element_traversal(plan: ElementPlan, *, now: dt.datetime | None = None) -> Steps:
    """The anonymous traversal that writes one planned element and emits its answer token."""
    stamp = now or dt.datetime.now(dt.UTC)
    steps: Steps | None = None
    versioned = plan.versioned
    if plan.unversioned is not None:
        part = _unversioned(plan, plan.unversioned)
        if versioned is None:
            return part
        steps = __.side_effect(part)
    assert versioned is not None
    if versioned.delete is not None:
        deleting = _delete(plan, versioned.delete, stamp)
        steps = deleting if steps is None else steps.side_effect(deleting)
    if versioned.groups:
        upsert = _versioned_upsert(plan, versioned)
        return upsert if steps is None else steps.coalesce(upsert)
    assert steps is not None and versioned.delete is not None
    # Still there: the graph holds a newer version. Born after the delete, the element is a later
    # life (the delete is merely stale); born before it, the delete arrived late.
    found = __.E(plan.element_id) if plan.is_edge else __.V(plan.element_id)
    later_life = found.has(BORN_KEY, P.gt(long(versioned.delete))).constant(_stale(plan))
    late = ((__.E(plan.element_id) if plan.is_edge else __.V(plan.element_id))
            .has(VERSION_KEY, P.gt(long(versioned.delete))).constant(late_delete_token(plan.kind, plan.element_id)))
    return steps.coalesce(later_life, late, __.constant(plan.element_id))


# ---------------------------------------------------------------------------- unversioned
def _unversioned(plan: ElementPlan, part: UnversionedPart) -> Steps:
    drop = (__.E if plan.is_edge else __.V)(plan.element_id).drop()
    if not part.upsert:
        return __.side_effect(drop).constant(plan.element_id)
    if plan.is_edge:
        search: dict[Any, Any] = {T.id: plan.element_id, T.label: plan.label, Direction.OUT: plan.from_id,
                                  Direction.IN: plan.to_id}
        upsert = (__.merge_e(search).option(Merge.on_create, _wired(part.props))
                  .option(Merge.on_match, _wired(part.props)))
    else:
        create: dict[Any, Any] = {T.label: plan.label, **_wired(part.props)}
        # Neptune's default vertex cardinality is set: a plain onMatch value would be *added*
        # next to the old one. Single-cardinality values replace it, so an upsert converges.
        update = {k: CardinalityValue.single(wire(v)) for k, v in part.props.items()}
        upsert = __.merge_v({T.id: plan.element_id}).option(Merge.on_create, create).option(Merge.on_match, update)
    upsert = _merges(upsert, part.merges, edge=plan.is_edge)
    upsert = upsert.id_()
    return __.side_effect(drop).flat_map(upsert) if part.reset else upsert


# ---------------------------------------------------------------------------- versioned
def _tombstones(plan: ElementPlan) -> list[str]:
    """The tombstones whose version at or above ``v`` make a write at ``v`` stale."""
    if not plan.is_edge:
        return [tombstone_id("v", plan.element_id)]
    assert plan.from_id is not None and plan.to_id is not None
    return [tombstone_id("e", plan.element_id), tombstone_id("v", plan.from_id), tombstone_id("v", plan.to_id)]


def _versioned_upsert(plan: ElementPlan, part: VersionedPart) -> Steps:
    top = part.top
    assert top is not None
    tombs = _tombstones(plan)
    # Created at the newest version (never skipped: the whole upsert is stale otherwise); each group
    # that passes the tombstone check below lowers it, so a life a batch recreates starts at its
    # oldest write newer than the delete, not at a write the delete made stale.
    born = long(top)
    if plan.is_edge:
        search: dict[Any, Any] = {T.id: plan.element_id, T.label: plan.label, Direction.OUT: plan.from_id,
                                  Direction.IN: plan.to_id}
        write = __.merge_e(search).option(Merge.on_create, {BORN_KEY: born})
    else:
        write = __.merge_v({T.id: plan.element_id}).option(Merge.on_create, {T.label: plan.label, BORN_KEY: born})
    for group in part.groups:
        number = long(group.number)
        if group.number == top:
            # The newest group needs no tombstone check of its own: the coalesce below only gets
            # here when no tombstone is at or above it (and nothing between writes one).
            steps = write
        else:
            # Everything a write at this version does needs it to be newer than any delete...
            steps = __.not_(__.V(*tombs).has(VERSION_KEY, P.gte(number)))
        # ...and it becomes part of the element's current life, which may now start earlier.
        steps = steps.side_effect(_set_props(__.not_(__.has(BORN_KEY, P.lte(number))), {BORN_KEY: number},
                                             edge=plan.is_edge))
        for key, value in group.props.items():
            # ...and each plain property to be newer than the version that last set *that property*,
            # so a partial update arriving late still lands its own keys.
            stamp = property_version_key(key)
            setter = __.not_(__.has(stamp, P.gte(number)))
            steps = steps.side_effect(_set_props(setter, {key: value, stamp: number}, edge=plan.is_edge))
        steps = _merges(steps, group.merges, edge=plan.is_edge)  # merge rules: any version after the delete
        write = steps if steps is write else write.side_effect(steps)
    newest = long(top)
    write = write.side_effect(_set_props(__.not_(__.has(VERSION_KEY, P.gte(newest))), {VERSION_KEY: newest},
                                         edge=plan.is_edge))
    write = write.coalesce(__.has(VERSION_KEY, P.gt(newest)).constant(_stale(plan)), __.constant(plan.element_id))
    deleted = __.V(*tombs).has(VERSION_KEY, P.gte(newest)).limit(1).constant(_stale(plan))
    return __.coalesce(deleted, write)


def _delete(plan: ElementPlan, number: int, now: dt.datetime) -> Steps:
    version = long(number)
    tomb = tombstone_id(plan.kind, plan.element_id)
    create = {T.label: TOMBSTONE_LABEL, VERSION_KEY: version, DELETED_AT_KEY: now,
              TOMBSTONE_OF_KEY: plan.element_id, TOMBSTONE_KIND_KEY: "edge" if plan.is_edge else "vertex"}
    update = {VERSION_KEY: CardinalityValue.single(version), DELETED_AT_KEY: CardinalityValue.single(now)}
    record = (__.not_(__.V(tomb).has(VERSION_KEY, P.gte(version)))
              .merge_v({T.id: tomb}).option(Merge.on_create, create).option(Merge.on_match, update))
    steps = __.side_effect(record)
    if plan.is_edge:
        return steps.side_effect(__.E(plan.element_id).not_(__.has(VERSION_KEY, P.gt(version))).drop())
    vertex = plan.element_id
    not_newer = __.not_(__.has(VERSION_KEY, P.gt(version)))
    return (steps
            # Deleting a vertex deletes its edges: those not newer than the delete die with it, even
            # when the vertex itself survives (a newer upsert of it arrived first).
            .side_effect(__.V(vertex).both_e().not_(__.has(VERSION_KEY, P.gt(version))).drop())
            # Not newer than the delete and no edges left: gone.
            .side_effect(__.V(vertex).filter_(not_newer).not_(__.both_e()).drop())
            # Not newer, but edges newer than the delete hang on it (written by the element's next
            # life before that life's upsert arrived): keep the vertex, empty, for that upsert.
            .side_effect(__.V(vertex).filter_(__.not_(__.has(VERSION_KEY, P.gt(version)))).properties().drop()))


# ---------------------------------------------------------------------------- property steps
def _set_props(steps: Steps, props: dict[str, PropertyValue | int], *, edge: bool) -> Steps:
    for key, value in props.items():
        value = wire(value)
        steps = steps.property(key, value) if edge else steps.property(Cardinality.single, key, value)
    return steps


def _merges(steps: Steps, merges: dict[str, MergeValue], *, edge: bool) -> Steps:
    for key, merge in merges.items():
        if isinstance(merge, AddToSet):
            adds = __.identity()
            for member in merge.sorted_values():
                adds = adds.property(Cardinality.set_, key, wire(member))
            steps = steps.side_effect(adds)
            continue
        assert isinstance(merge, KeepMax | KeepMin)
        value = wire(merge.value)
        keeps = P.gte(value) if isinstance(merge, KeepMax) else P.lte(value)
        guard = __.not_(__.has(key, keeps))
        steps = steps.side_effect(guard.property(key, value) if edge
                                  else guard.property(Cardinality.single, key, value))
    return steps


def _stale(plan: ElementPlan) -> str:
    return stale_token(plan.kind, plan.element_id)


class UpsertRequest(PreparedRequest):
    """One write request of a batch: written directly as GraphBinary (unversioned requests by
    :mod:`framework.graphbinary_requests`, the others from their :class:`~framework.gremlin_steps.Steps`
    by :mod:`framework.graphbinary_steps`), else built as gremlinpython bytecode (GraphSON, or
    whatever those refuse)."""

    def __init__(self, elements: Sequence[ElementPlan], now: dt.datetime) -> None:
        self.elements = list(elements)
        self.now = now
        self._bytecode: Any = None

    def bytecode(self) -> Any:
        if self._bytecode is None:
            self._bytecode = request_traversal(self.elements, now=self.now).bytecode
        return self._bytecode

    def graphbinary_frame(self, request_id: str, *, evaluation_timeout_ms: int | None,
                          batch_size: int | None) -> bytes | None:
        from .graphbinary_requests import UnsupportedShape, encode_upsert_request

        try:
            if any(e.versioned is not None for e in self.elements):
                from .graphbinary_steps import encode_steps_request

                return encode_steps_request(request_id, request_traversal(self.elements, now=self.now),
                                            evaluation_timeout_ms=evaluation_timeout_ms, batch_size=batch_size)
            return encode_upsert_request(request_id, self.elements, evaluation_timeout_ms=evaluation_timeout_ms,
                                         batch_size=batch_size)
        except UnsupportedShape:
            return None


def element_steps(plan: ElementPlan, now: dt.datetime) -> int:
    """Gremlin steps of the element's sub-traversal (counted without building it when unversioned)."""
    if plan.versioned is None:
        from .graphbinary_requests import UnsupportedShape
        from .graphbinary_requests import element_steps as unversioned_steps

        try:
            return unversioned_steps(plan)
        except UnsupportedShape:
            pass
    return rendered(plan, now).step_count()
