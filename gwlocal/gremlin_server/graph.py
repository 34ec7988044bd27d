"""The in-memory property graph behind the local Gremlin endpoint, with Neptune's data rules.

Why a store of its own rather than a generic dict-of-dicts: the endpoint must behave like
Neptune where clients can observe it, and the data-model rules Neptune enforces live here, in one
place, so every write path (``addV``, ``property``, ``mergeV`` ...) gets them for free:

* ids are strings: a user-supplied id that is not a ``str`` is an ``InvalidParameterException``;
  generated ids are UUID4 strings drawn from the ``random.Random`` the store is given (seedable,
  so tests and chaos runs replay exactly);
* an element whose id already exists -> ``ConstraintViolationException``;
* an edge whose endpoint vertex does not exist -> ``ConstraintViolationException`` naming the
  missing id (Neptune lists the code as retriable: the vertex may be created by a later request);
* labels are non-empty strings; property values are ``str``/``bool``/``int`` (64-bit)/``float``/
  ``datetime`` -- anything else (``None``, lists, maps, sets ...) is an
  ``InvalidParameterException`` naming the key;
* vertex properties are multi-valued records (each with its own id) so ``single``/``set``/``list``
  cardinality can be modelled (the engine refuses ``list``, which Neptune does not support);
  edge properties are single-valued.

Every mutation goes through a :class:`Transaction` (see :meth:`GraphStore.begin`): it is applied
immediately and recorded in an undo log, so a failed request can be rolled back exactly (including
the iteration order of ``g.V()``/``g.E()``). Transactions take write locks; see
:class:`Transaction` for the conflict model.

Reads go straight to the store (``vertex``, ``edge``, ``vertices``, ``out_edges`` ...). Accessors that
return collections return snapshots (fresh lists) so a traversal can mutate the graph while it
iterates, e.g. ``g.V().drop()``.
"""

from __future__ import annotations

import datetime
import itertools
import random
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gremlin_python.process.traversal import Cardinality

from .errors import NeptuneError, concurrent_modification, invalid_parameter, read_only_violation

LockKey = tuple[str, str]
"""``("v", vertex_id)`` or ``("e", edge_id)``."""

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1

DEFAULT_VERTEX_LABEL = "vertex"
"""TinkerPop's (and Neptune's) label for ``addV()`` without a label."""


def constraint_violation(message: str) -> NeptuneError:
    return NeptuneError("ConstraintViolationException", message)


# --------------------------------------------------------------------------- records
@dataclass(eq=False, slots=True)
class VertexPropertyRecord:
    """One value of a (possibly multi-valued) vertex property; identity-hashed.

    Its id is a number, as on Neptune ("vertex property IDs ... show up as positive or negative
    numbers"): the store numbers them in creation order.
    """

    id: int
    key: str
    value: Any
    vertex: VertexRecord


@dataclass(eq=False, slots=True)
class VertexRecord:
    """A vertex. Adjacency is indexed by edge label so ``out('knows')`` costs O(degree('knows')).

    ``seq`` is the creation order; rollback uses it to restore iteration order exactly.
    """

    id: str
    label: str
    seq: int
    properties: dict[str, list[VertexPropertyRecord]] = field(default_factory=dict)
    out_edges: dict[str, dict[str, EdgeRecord]] = field(default_factory=dict)
    in_edges: dict[str, dict[str, EdgeRecord]] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class EdgeRecord:
    """An edge; its properties are single-valued (Neptune and TinkerPop agree)."""

    id: str
    label: str
    seq: int
    out_v: VertexRecord
    in_v: VertexRecord
    properties: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- validation
def validate_id(element: str, element_id: object) -> str:
    """Neptune ids are strings; anything else is refused rather than silently converted."""
    if not isinstance(element_id, str):
        raise invalid_parameter(
            f"{element} id must be a String in Neptune, got {type(element_id).__name__} {element_id!r}"
        )
    if not element_id:
        raise invalid_parameter(f"{element} id must not be empty")
    return element_id


HIDDEN_PREFIX = "~"
"""TinkerPop's ``Graph.Hidden`` prefix: such keys and labels are system names (``~id``, ``~label``)."""


def validate_label(label: object) -> str:
    if not isinstance(label, str):
        raise invalid_parameter(f"Label must be a String, got {type(label).__name__} {label!r}")
    if not label:
        raise invalid_parameter("Label can not be empty")
    if label.startswith(HIDDEN_PREFIX):
        raise invalid_parameter(f"Label can not be a hidden key: {label}")
    return label


def validate_key(key: object) -> str:
    """TinkerPop's ``ElementHelper.validateProperty`` key rules (with its messages)."""
    if type(key) is str and key and key[0] != HIDDEN_PREFIX:
        return key
    if not isinstance(key, str) or not key:
        raise invalid_parameter(
            "Property key can not be empty" if key == "" else f"Property key must be a non-empty String, got {key!r}")
    if key.startswith(HIDDEN_PREFIX):
        raise invalid_parameter(f"Property key can not be a hidden key: {key}")
    return key


_ALWAYS_VALID = frozenset({str, bool, float, datetime.datetime})


def validate_property(key: object, value: object) -> None:
    """Neptune's property value types: String, Boolean, integers (64-bit), Float/Double, Date."""
    validate_key(key)
    if type(value) in _ALWAYS_VALID:
        return
    if isinstance(value, bool | str | float | datetime.datetime):
        return
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return
        raise invalid_parameter(f"Property '{key}': integer {value} does not fit in 64 bits")
    kind = "null" if value is None else type(value).__name__
    raise invalid_parameter(
        f"Unsupported property value type for property '{key}': {kind}. Neptune stores String, "
        "Boolean, Byte/Short/Integer/Long, Float/Double and Date values."
    )


def same_property_value(a: object, b: object) -> bool:
    """Equality for ``set`` cardinality: numbers by value (1 == 1.0) but booleans are not numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, datetime.datetime) and isinstance(b, datetime.datetime):
        try:
            return a == b
        except TypeError:
            return False
    return type(a) is type(b) and a == b


# --------------------------------------------------------------------------- store
class GraphStore:
    """Vertices and edges indexed by id, plus the lock table shared by all transactions.

    ``rng`` is used for generated ids (and by the engine for ``order().by(shuffle)``); give a
    seeded ``random.Random`` for deterministic runs.
    """

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng if rng is not None else random.Random()
        self._vertices: dict[str, VertexRecord] = {}
        self._edges: dict[str, EdgeRecord] = {}
        self._locks: dict[LockKey, str] = {}
        self._open: dict[str, Transaction] = {}
        self._seq = itertools.count()
        self._property_ids = itertools.count(1)
        # Guards the lock table and structural changes when the server runs requests on threads.
        self.mutex = threading.RLock()

    # ----------------------------------------------------------------- reads
    def vertex(self, vertex_id: object) -> VertexRecord | None:
        return self._vertices.get(vertex_id) if isinstance(vertex_id, str) else None

    def edge(self, edge_id: object) -> EdgeRecord | None:
        return self._edges.get(edge_id) if isinstance(edge_id, str) else None

    def vertices(self) -> list[VertexRecord]:
        return list(self._vertices.values())

    def edges(self) -> list[EdgeRecord]:
        return list(self._edges.values())

    def vertex_count(self) -> int:
        return len(self._vertices)

    def edge_count(self) -> int:
        return len(self._edges)

    def contains(self, element: VertexRecord | EdgeRecord) -> bool:
        """Whether this record is still in the graph (a traversal may hold a dropped one)."""
        if isinstance(element, VertexRecord):
            return self._vertices.get(element.id) is element
        return self._edges.get(element.id) is element

    @staticmethod
    def out_edges(v: VertexRecord, labels: Iterable[str] = ()) -> list[EdgeRecord]:
        return _adjacent(v.out_edges, labels)

    @staticmethod
    def in_edges(v: VertexRecord, labels: Iterable[str] = ()) -> list[EdgeRecord]:
        return _adjacent(v.in_edges, labels)

    def new_id(self) -> str:
        """A UUID4 string from the store's rng: Neptune generates UUIDs; seeded runs replay."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # ----------------------------------------------------------------- transactions
    def begin(self, txn_id: str, *, read_only: bool = False) -> Transaction:
        with self.mutex:
            if txn_id in self._open:
                raise ValueError(f"transaction {txn_id!r} is already open")
            txn = Transaction(self, txn_id, read_only=read_only)
            self._open[txn_id] = txn
            return txn

    def open_transactions(self) -> list[str]:
        return list(self._open)

    def lock_owner(self, key: LockKey) -> str | None:
        return self._locks.get(key)

    def reset(self, *, seed: int | None = None) -> None:
        """Empty the graph and the lock table; open transactions become unusable.

        ``seed`` reseeds the id generator so a reset endpoint replays ids from the start.
        """
        with self.mutex:
            for txn in list(self._open.values()):
                txn._abandon()
            self._open.clear()
            self._locks.clear()
            self._vertices.clear()
            self._edges.clear()
            self._seq = itertools.count()
            self._property_ids = itertools.count(1)
            if seed is not None:
                self.rng.seed(seed)

    # ----------------------------------------------------------------- raw structure (no locks)
    def _next_seq(self) -> int:
        return next(self._seq)

    def _insert_vertex(self, v: VertexRecord) -> None:
        self._vertices[v.id] = v

    def _delete_vertex(self, v: VertexRecord) -> None:
        del self._vertices[v.id]

    def _insert_edge(self, e: EdgeRecord) -> None:
        self._edges[e.id] = e
        e.out_v.out_edges.setdefault(e.label, {})[e.id] = e
        e.in_v.in_edges.setdefault(e.label, {})[e.id] = e

    def _delete_edge(self, e: EdgeRecord) -> None:
        del self._edges[e.id]
        for adjacency in (e.out_v.out_edges, e.in_v.in_edges):
            by_label = adjacency[e.label]
            del by_label[e.id]
            if not by_label:
                del adjacency[e.label]

    def _restore_order(self, touched: set[VertexRecord]) -> None:
        """After undoing deletions, put re-inserted records back in creation order."""
        self._vertices = dict(sorted(self._vertices.items(), key=lambda kv: kv[1].seq))
        self._edges = dict(sorted(self._edges.items(), key=lambda kv: kv[1].seq))
        for v in touched:
            for adjacency in (v.out_edges, v.in_edges):
                for label, by_id in list(adjacency.items()):
                    adjacency[label] = dict(sorted(by_id.items(), key=lambda kv: kv[1].seq))

    # ----------------------------------------------------------------- locks
    def _acquire(self, txn: Transaction, key: LockKey) -> None:
        with self.mutex:
            owner = self._locks.get(key)
            if owner is None:
                self._locks[key] = txn.id
                txn._locked.add(key)
            elif owner != txn.id:
                kind = "vertex" if key[0] == "v" else "edge"
                raise concurrent_modification(f"{kind} '{key[1]}'")

    def _release(self, txn: Transaction) -> None:
        with self.mutex:
            for key in txn._locked:
                if self._locks.get(key) == txn.id:
                    del self._locks[key]
            txn._locked.clear()
            self._open.pop(txn.id, None)


def _reorder_keys(d: dict[str, Any], keys: list[str]) -> None:
    """Put ``d``'s keys back in the recorded order (a re-created key lands at the end otherwise)."""
    if list(d) != [k for k in keys if k in d]:
        items = dict(d)
        d.clear()
        d.update({k: items.pop(k) for k in keys if k in items})
        d.update(items)


def _adjacent(adjacency: dict[str, dict[str, EdgeRecord]], labels: Iterable[str]) -> list[EdgeRecord]:
    wanted = list(labels)
    if wanted:
        return [e for label in dict.fromkeys(wanted) for e in adjacency.get(label, {}).values()]
    return [e for by_id in adjacency.values() for e in by_id.values()]


# --------------------------------------------------------------------------- transactions
class Transaction:
    """One request's unit of work: immediate writes, an undo log, and write locks.

    Conflict model (deterministic, no waiting): every write first locks what it touches -- the
    key ``("v", id)`` for a vertex created, changed or dropped, ``("e", id)`` for an edge. Creating
    or dropping an edge also locks *both endpoint vertices*: this models Neptune, where concurrent
    edge inserts on the same vertex conflict. When another open transaction holds the lock, the
    write fails at once with ``ConcurrentModificationException`` (the caller rolls back and the
    client retries, exactly the Neptune retry story). Re-locking one's own keys is free. Locks are
    released on :meth:`commit` and :meth:`rollback`.

    A ``read_only`` transaction (a reader instance, or a writer that just failed over) raises
    ``ReadOnlyViolationException`` on any write.
    """

    def __init__(self, store: GraphStore, txn_id: str, *, read_only: bool = False) -> None:
        self.store = store
        self.id = txn_id
        self.read_only = read_only
        self.writes = 0
        self.state = "open"
        self._locked: set[LockKey] = set()
        self._undo: list[tuple[Any, ...]] = []
        """What undoes each write, as ``(operation, arguments...)``: a tuple per write rather than a
        closure (a function and its cells), since a batch request makes hundreds of writes."""
        self._order_dirty = False
        self._touched: set[VertexRecord] = set()

    @property
    def locked_keys(self) -> frozenset[LockKey]:
        return frozenset(self._locked)

    # ----------------------------------------------------------------- lifecycle
    def commit(self) -> None:
        self._require_open()
        self.state = "committed"
        self._undo.clear()
        self.store._release(self)

    def rollback(self) -> None:
        """Undo every write in reverse order, then release the locks."""
        self._require_open()
        with self.store.mutex:
            while self._undo:
                entry = self._undo.pop()
                _UNDO[entry[0]](self.store, *entry[1:])
            if self._order_dirty:
                self.store._restore_order(self._touched)
        self.state = "rolled_back"
        self._touched.clear()
        self.store._release(self)

    def _abandon(self) -> None:
        self.state = "abandoned"
        self._undo.clear()
        self._locked.clear()

    def _require_open(self) -> None:
        if self.state != "open":
            raise RuntimeError(f"transaction {self.id!r} is {self.state}")

    def _require_live(self, element: VertexRecord | EdgeRecord) -> None:
        """Writing to an element dropped earlier in the same request is an error, not a no-op."""
        if not self.store.contains(element):
            kind = "Vertex" if isinstance(element, VertexRecord) else "Edge"
            raise invalid_parameter(f"{kind} '{element.id}' was removed; its properties cannot be set")

    def _write(self, *keys: LockKey) -> None:
        if self.state != "open":
            self._require_open()
        if self.read_only:
            raise read_only_violation()
        locked = self._locked
        for key in keys:
            if key not in locked:  # re-locking one's own key is free: skip the shared lock table
                self.store._acquire(self, key)

    def _log(self, *entry: Any) -> None:
        self.writes += 1
        self._undo.append(entry)

    # ----------------------------------------------------------------- vertices
    def add_vertex(self, label: object = DEFAULT_VERTEX_LABEL, vertex_id: object = None) -> VertexRecord:
        label = validate_label(label)
        vid = self.store.new_id() if vertex_id is None else validate_id("Vertex", vertex_id)
        self._write(("v", vid))
        if vid in self.store._vertices:
            raise constraint_violation(f"Vertex with id '{vid}' already exists")
        v = VertexRecord(vid, label, self.store._next_seq())
        self.store._insert_vertex(v)
        self._log(_DELETE_VERTEX, v)
        return v

    def add_vertex_labels(self, v: VertexRecord, label: object) -> VertexRecord:
        """Neptune's ``addV`` on an existing id: a label the vertex lacks is added (``a`` + ``b`` gives
        ``a::b``); when it has every label already, the id is a duplicate (ConstraintViolation)."""
        label = validate_label(label)
        have = v.label.split("::")
        new = [part for part in dict.fromkeys(label.split("::")) if part not in have]
        if not new:
            raise constraint_violation(f"Vertex with id '{v.id}' already exists")
        self._write(("v", v.id))
        self._require_live(v)
        self._log(_SET_LABEL, v, v.label)
        v.label = "::".join([*have, *new])
        return v

    def remove_vertex(self, v: VertexRecord) -> None:
        """Drop a vertex and its incident edges (each edge drop locks its endpoints too)."""
        self._write(("v", v.id))
        if not self.store.contains(v):
            return
        for e in self.store.out_edges(v) + self.store.in_edges(v):
            if self.store.contains(e):
                self.remove_edge(e)
        self.store._delete_vertex(v)
        self._order_dirty = True
        self._log(_INSERT_VERTEX, v)

    def set_vertex_property(
        self, v: VertexRecord, key: str, value: Any, cardinality: Cardinality = Cardinality.set_
    ) -> VertexPropertyRecord:
        """Add a value under ``key`` with the given cardinality; returns the value's record.

        ``set`` (Neptune's default) adds only if an equal value is not already there; ``single``
        replaces all values; ``list`` always appends.
        """
        if type(key) is not str or not key or key[0] == HIDDEN_PREFIX or type(value) not in _ALWAYS_VALID:
            validate_property(key, value)
        lock = ("v", v.id)
        if lock not in self._locked or self.state != "open" or self.read_only:
            self._write(lock)
        if self.store._vertices.get(v.id) is not v:
            self._require_live(v)
        properties = v.properties
        existing = properties.get(key)
        if cardinality is _SET:
            if existing:
                for vp in existing:
                    if same_property_value(vp.value, value):
                        return vp
        elif cardinality is _SINGLE and existing:
            if len(existing) == 1:
                # The common update: one value replaced in place (same key position, one undo).
                vp = VertexPropertyRecord(next(self.store._property_ids), key, value, v)
                self._log(_REPLACE_VALUE, existing, existing[0])
                existing[0] = vp
                return vp
            # Keep the key's position among the vertex's keys: replace, don't re-append.
            for vp in list(existing):
                self._remove_value(vp, keep_key=True)
        vp = VertexPropertyRecord(next(self.store._property_ids), key, value, v)
        if existing is None:
            existing = properties[key] = []
            self._log(_POP_VALUE, properties, key, existing, False)
        else:
            self._log(_POP_VALUE, properties, key, existing, True)
        existing.append(vp)
        return vp

    def remove_vertex_property(self, vp: VertexPropertyRecord) -> None:
        self._write(("v", vp.vertex.id))
        self._remove_value(vp, keep_key=False)

    def _remove_value(self, vp: VertexPropertyRecord, *, keep_key: bool) -> None:
        """Remove one value (lock already held); the undo puts it back at the same position."""
        v = vp.vertex
        values = v.properties.get(vp.key)
        if values is None or vp not in values:
            return
        index = values.index(vp)
        keys_before = list(v.properties) if len(values) == 1 and not keep_key else None
        values.pop(index)
        if not values and not keep_key:
            del v.properties[vp.key]
        self._log(_INSERT_VALUE, vp, values, index, keys_before)

    # ----------------------------------------------------------------- edges
    def add_edge(
        self,
        label: object,
        out_v: VertexRecord | str,
        in_v: VertexRecord | str,
        edge_id: object = None,
        *,
        missing_vertex: Callable[[str, str], str] | None = None,
    ) -> EdgeRecord:
        """``missing_vertex(side, id)`` words the error for an endpoint that does not exist."""
        label = validate_label(label)
        eid = self.store.new_id() if edge_id is None else validate_id("Edge", edge_id)
        source, target = self._endpoint(out_v, "out", missing_vertex), self._endpoint(in_v, "in", missing_vertex)
        self._write(("e", eid), ("v", source.id), ("v", target.id))
        if eid in self.store._edges:
            raise constraint_violation(f"Edge with id '{eid}' already exists")
        e = EdgeRecord(eid, label, self.store._next_seq(), source, target)
        self.store._insert_edge(e)
        self._log(_DELETE_EDGE, e)
        return e

    def _endpoint(self, vertex: VertexRecord | str, side: str,
                  missing_vertex: Callable[[str, str], str] | None = None) -> VertexRecord:
        vid = vertex.id if isinstance(vertex, VertexRecord) else vertex
        if not isinstance(vid, str):  # can never exist: not a retriable missing vertex
            raise invalid_parameter(
                f"The {side} vertex id must be a String in Neptune, got {type(vid).__name__} {vid!r}")
        found = self.store.vertex(vid)
        if found is None or (isinstance(vertex, VertexRecord) and found is not vertex):
            if missing_vertex is not None:
                raise constraint_violation(missing_vertex(side, vid))
            raise constraint_violation(
                f"Cannot create edge: the {side} vertex with id '{vid}' does not exist. "
                "It may be created by a later request; retry."
            )
        return found

    def remove_edge(self, e: EdgeRecord) -> None:
        self._write(("e", e.id), ("v", e.out_v.id), ("v", e.in_v.id))
        if not self.store.contains(e):
            return
        out_labels, in_labels = list(e.out_v.out_edges), list(e.in_v.in_edges)
        self.store._delete_edge(e)
        self._order_dirty = True
        self._touched.update((e.out_v, e.in_v))
        self._log(_INSERT_EDGE, e, out_labels, in_labels)

    def set_edge_property(self, e: EdgeRecord, key: str, value: Any) -> None:
        if type(key) is not str or not key or key[0] == HIDDEN_PREFIX or type(value) not in _ALWAYS_VALID:
            validate_property(key, value)
        lock = ("e", e.id)
        if lock not in self._locked or self.state != "open" or self.read_only:
            self._write(lock)
        if self.store._edges.get(e.id) is not e:
            self._require_live(e)
        properties = e.properties
        if key in properties:
            # Reassigning keeps the key's position; a new key was the last one, its undo deletes it.
            self._log(_SET_EDGE_VALUE, properties, key, properties[key])
        else:
            self._log(_DELETE_EDGE_KEY, properties, key)
        properties[key] = value

    def remove_edge_property(self, e: EdgeRecord, key: str) -> None:
        self._write(("e", e.id))
        if key not in e.properties:
            return
        keys_before = list(e.properties)
        old = e.properties.pop(key)
        self._log(_RESTORE_EDGE_KEY, e.properties, key, old, keys_before)


# --------------------------------------------------------------------------- undo operations
# Each takes the store and the arguments logged with it; :meth:`Transaction.rollback` runs them in
# reverse order, so each one finds the graph exactly as its write left it.
_SET = Cardinality.set_
_SINGLE = Cardinality.single
(_DELETE_VERTEX, _INSERT_VERTEX, _SET_LABEL, _REPLACE_VALUE, _POP_VALUE, _INSERT_VALUE, _DELETE_EDGE,
 _INSERT_EDGE, _SET_EDGE_VALUE, _DELETE_EDGE_KEY, _RESTORE_EDGE_KEY) = range(11)


def _undo_delete_vertex(store: GraphStore, v: VertexRecord) -> None:
    store._delete_vertex(v)


def _undo_insert_vertex(store: GraphStore, v: VertexRecord) -> None:
    store._insert_vertex(v)


def _undo_set_label(store: GraphStore, v: VertexRecord, label: str) -> None:
    v.label = label


def _undo_replace_value(store: GraphStore, values: list[VertexPropertyRecord], old: VertexPropertyRecord) -> None:
    values[0] = old  # later writes are undone first: the new value is back at position 0


def _undo_pop_value(store: GraphStore, properties: dict[str, list[VertexPropertyRecord]], key: str,
                    values: list[VertexPropertyRecord], key_was_present: bool) -> None:
    values.pop()
    if not values and not key_was_present and properties.get(key) is values:
        del properties[key]


def _undo_insert_value(store: GraphStore, vp: VertexPropertyRecord, values: list[VertexPropertyRecord],
                       index: int, keys_before: list[str] | None) -> None:
    properties = vp.vertex.properties
    if vp.key not in properties:
        others = dict(properties)
        properties.clear()
        for k in keys_before or [*others, vp.key]:
            properties[k] = values if k == vp.key else others[k]
    values.insert(index, vp)


def _undo_delete_edge(store: GraphStore, e: EdgeRecord) -> None:
    store._delete_edge(e)


def _undo_insert_edge(store: GraphStore, e: EdgeRecord, out_labels: list[str], in_labels: list[str]) -> None:
    store._insert_edge(e)
    _reorder_keys(e.out_v.out_edges, out_labels)
    _reorder_keys(e.in_v.in_edges, in_labels)


def _undo_set_edge_value(store: GraphStore, properties: dict[str, Any], key: str, old: Any) -> None:
    properties[key] = old


def _undo_delete_edge_key(store: GraphStore, properties: dict[str, Any], key: str) -> None:
    del properties[key]


def _undo_restore_edge_key(store: GraphStore, properties: dict[str, Any], key: str, old: Any,
                           keys_before: list[str]) -> None:
    properties[key] = old
    restored = {k: properties[k] for k in keys_before}
    properties.clear()
    properties.update(restored)


_UNDO: list[Callable[..., None]] = [
    _undo_delete_vertex, _undo_insert_vertex, _undo_set_label, _undo_replace_value, _undo_pop_value,
    _undo_insert_value, _undo_delete_edge, _undo_insert_edge, _undo_set_edge_value, _undo_delete_edge_key,
    _undo_restore_edge_key,
]
