"""Planning a batch: coalescing every message's writes into one plan per element, then sizing requests.

Why coalesce: an SQS batch often touches the same vertex many times (a customer, a merchant, a
device). Writing each message's writes separately would send the same element many times,
hold its locks longer and multiply conflicts. Instead all writes of a batch are merged into one
:class:`ElementPlan` per element, written once; each message remembers which elements it needs
and succeeds only if all of them were confirmed.

The plan of an element gives the same result as applying its writes one by one in the graph's
order (version order for versioned writes, message order for unversioned ones), whatever the
graph already holds:

- **unversioned writes** (last writer wins) reduce in message order: an unversioned delete
  erases what came before it in the batch; the upserts after the last one merge key by key,
  later messages winning;
- **versioned writes** reduce by version: the newest delete ``D``, then the upserts newer than
  ``D``, grouped by version; each plain property is sent with the version of the newest upsert
  that set it, and the graph applies it only over older state (see :mod:`framework.traversals`);
  merge-rule values are combined per version;
- the unversioned part is applied before the versioned part of the same element.

A message that disagrees with an earlier one of the batch on what an element *is* (a vertex's
label, an edge's label or endpoints), on the kind of version (int vs datetime) or on how a
property merges is rejected whole, with the reason, and none of its writes are planned.
Vertices are written before edges (an edge needs its endpoints).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import RequestEncodingError
from .merge_rules import MERGE_TYPES, MergeValue
from .upserts import DeleteEdge, DeleteVertex, Edge, PropertyValue, Vertex, Write
from .versions import version_kind, version_number


@dataclass
class UnversionedPart:
    """The element's unversioned writes, reduced in message order."""

    reset: bool = False
    """An unversioned delete comes first (alone, or before the upsert)."""
    upsert: bool = False
    props: dict[str, PropertyValue] = field(default_factory=dict)
    merges: dict[str, MergeValue] = field(default_factory=dict)


@dataclass
class VersionGroup:
    """What the element's upserts at one version contribute."""

    number: int
    props: dict[str, PropertyValue] = field(default_factory=dict)
    """Plain properties whose newest writer (in this batch) is this version."""
    merges: dict[str, MergeValue] = field(default_factory=dict)


@dataclass
class VersionedPart:
    delete: int | None = None
    """The newest versioned delete's version."""
    groups: list[VersionGroup] = field(default_factory=list)
    """Upserts newer than ``delete``, ascending by version."""

    @property
    def top(self) -> int | None:
        return self.groups[-1].number if self.groups else None


@dataclass
class ElementPlan:
    """One element of a batch: what to write, and the messages that asked for it."""

    kind: str
    """``v`` or ``e``."""
    element_id: str
    label: str | None = None
    """None for an element that is only deleted (a vertex delete names no label)."""
    from_id: str | None = None
    to_id: str | None = None
    owners: list[str] = field(default_factory=list)
    unversioned: UnversionedPart | None = None
    versioned: VersionedPart | None = None
    version_kind: str | None = None
    rendered: tuple[Any, Any] | None = field(default=None, repr=False, compare=False)
    """(batch time, sub-traversal): built once per batch by :func:`framework.traversals.rendered`."""

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.element_id)

    @property
    def is_edge(self) -> bool:
        return self.kind == "e"

    @property
    def writes_element(self) -> bool:
        """True when the plan creates or updates the element (not only deletes it)."""
        return bool((self.unversioned and self.unversioned.upsert) or (self.versioned and self.versioned.groups))


Element = ElementPlan
"""The name the batch writer and older code use for a planned element."""


@dataclass
class BatchPlan:
    vertices: list[ElementPlan]
    edges: list[ElementPlan]
    rejected: dict[str, str]
    """Message key -> why its writes could not be planned."""

    @property
    def elements(self) -> list[ElementPlan]:
        return self.vertices + self.edges


@dataclass
class _Collected:
    """Every accepted write of one element, in message order, while a batch is being planned."""

    plan: ElementPlan
    writes: list[Write] = field(default_factory=list)
    merge_rules: dict[str, tuple[str, type]] = field(default_factory=dict)
    """Property key -> (rule name or "plain", value type), to refuse mixing."""


def coalesce(messages: Sequence[tuple[str, Sequence[Write]]]) -> BatchPlan:
    """Plan the writes of ``(message key, writes)`` pairs: one :class:`ElementPlan` per element."""
    collected: dict[tuple[str, str], _Collected] = {}
    rejected: dict[str, str] = {}
    for owner, writes in messages:
        staged: dict[tuple[str, str], _Collected] = {}
        conflict = None
        for write in writes:
            key = write.key
            current = staged.get(key)
            if current is None:
                known = collected.get(key)
                current = _copy(known) if known is not None else _Collected(ElementPlan(key[0], key[1]))
                staged[key] = current
            conflict = _admit(current, write)
            if conflict:
                break
        if conflict:
            rejected[owner] = conflict
            continue
        for key, item in staged.items():
            if owner not in item.plan.owners:
                item.plan.owners.append(owner)
            collected[key] = item
    plans = [_reduce(item) for item in collected.values()]
    return BatchPlan(vertices=[p for p in plans if not p.is_edge], edges=[p for p in plans if p.is_edge],
                     rejected=rejected)


def _copy(item: _Collected) -> _Collected:
    plan = item.plan
    return _Collected(ElementPlan(plan.kind, plan.element_id, plan.label, plan.from_id, plan.to_id,
                                  list(plan.owners), version_kind=plan.version_kind),
                      list(item.writes), dict(item.merge_rules))


def _admit(item: _Collected, write: Write) -> str | None:
    """Add ``write`` to the element, or say why it contradicts what the batch already has."""
    plan = item.plan
    if isinstance(write, Vertex):
        if plan.label is not None and plan.label != write.label:
            return (f"vertex {write.id!r} is labelled {write.label!r} here but {plan.label!r} "
                    "earlier in the batch")
        plan.label = write.label
    elif isinstance(write, Edge | DeleteEdge):
        identity = (write.label, write.from_id, write.to_id)
        if plan.label is not None and (plan.label, plan.from_id, plan.to_id) != identity:
            return (f"edge id {write.edge_id!r} is {write.label} {write.from_id!r}->{write.to_id!r} here but "
                    f"{plan.label} {plan.from_id!r}->{plan.to_id!r} earlier in the batch")
        plan.label, plan.from_id, plan.to_id = identity
    if write.version is not None:
        kind = version_kind(write.version)
        if plan.version_kind is not None and plan.version_kind != kind:
            return (f"{_describe(plan)} has {plan.version_kind} versions earlier in the batch but a {kind} "
                    "version here: use one kind of version per element")
        plan.version_kind = kind
    if isinstance(write, Vertex | Edge):
        for prop, value in write.props.items():
            rule = (value.rule, type(getattr(value, "value", None))) if isinstance(value, MERGE_TYPES) \
                else ("plain", object)
            known = item.merge_rules.get(prop)
            if known is not None and known[0] != rule[0]:
                return (f"{_describe(plan)} property {prop!r} is {_rule_name(rule[0])} here but "
                        f"{_rule_name(known[0])} earlier in the batch")
            if known is not None and rule[0] in ("keep_max", "keep_min") and not _comparable(known[1], rule[1]):
                return (f"{_describe(plan)} property {prop!r} compares {rule[1].__name__} values here but "
                        f"{known[1].__name__} earlier in the batch")
            item.merge_rules.setdefault(prop, rule)
    item.writes.append(write)
    return None


def _reduce(item: _Collected) -> ElementPlan:
    plan = item.plan
    plain = [w for w in item.writes if w.version is None]
    versioned = [w for w in item.writes if w.version is not None]
    if plain:
        part = UnversionedPart()
        for write in plain:
            if isinstance(write, DeleteVertex | DeleteEdge):
                part = UnversionedPart(reset=True)
                continue
            assert isinstance(write, Vertex | Edge)
            part.upsert = True
            for prop, value in write.props.items():
                if isinstance(value, MERGE_TYPES):
                    known = part.merges.get(prop)
                    part.merges[prop] = value if known is None else known.combine(value)
                else:
                    part.props[prop] = value
        plan.unversioned = part
    if versioned:
        vpart = VersionedPart()
        deletes = [version_number(w.version) for w in versioned  # type: ignore[arg-type]
                   if isinstance(w, DeleteVertex | DeleteEdge)]
        vpart.delete = max(deletes) if deletes else None
        groups: dict[int, VersionGroup] = {}
        newest_writer: dict[str, int] = {}
        upserts = [w for w in versioned if isinstance(w, Vertex | Edge)]
        for write in upserts:
            number = version_number(write.version)  # type: ignore[arg-type]
            if vpart.delete is not None and number <= vpart.delete:
                continue  # erased by the delete (a delete wins a tie)
            group = groups.setdefault(number, VersionGroup(number))
            for prop, value in write.props.items():
                if isinstance(value, MERGE_TYPES):
                    known = group.merges.get(prop)
                    group.merges[prop] = value if known is None else known.combine(value)
                elif newest_writer.get(prop, number - 1) < number:
                    newest_writer[prop] = number  # the first upsert at a version wins its keys, as in the graph
        for write in upserts:
            number = version_number(write.version)  # type: ignore[arg-type]
            if number not in groups:
                continue
            for prop, value in write.props.items():
                if not isinstance(value, MERGE_TYPES) and newest_writer.get(prop) == number:
                    groups[number].props.setdefault(prop, value)
        vpart.groups = [groups[n] for n in sorted(groups)]
        plan.versioned = vpart
    return plan


def _describe(plan: ElementPlan) -> str:
    return f"vertex {plan.element_id!r}" if plan.kind == "v" else f"edge {plan.element_id!r}"


def _rule_name(rule: str) -> str:
    return {"plain": "a plain property", "keep_max": "KeepMax", "keep_min": "KeepMin",
            "add_to_set": "AddToSet"}[rule]


def _comparable(a: type, b: type) -> bool:
    numbers = (int, float)
    return a is b or (a in numbers and b in numbers)


# ---------------------------------------------------------------------------- request sizing
def chunk(elements: Sequence[ElementPlan], *, max_upserts: int, max_bytes: int,
          size_of: Callable[[Any], int]) -> list[list[ElementPlan]]:
    """Split into requests of at most ``max_upserts`` elements and ``max_bytes`` serialized bytes."""
    out: list[list[ElementPlan]] = []
    for start in range(0, len(elements), max_upserts):
        out.extend(_fit(list(elements[start:start + max_upserts]), max_bytes, size_of))
    return out


def estimate_bytes(group: Sequence[ElementPlan]) -> int:
    """A generous upper estimate of a request's serialized size, to avoid serializing it twice.

    Only when the estimate exceeds half the limit is the request really serialized to measure it
    (it is serialized again when sent), so the common case pays for one serialization.
    """
    total = 256
    for plan in group:
        ids = len(plan.element_id) + len(plan.label or "") + len(plan.from_id or "") + len(plan.to_id or "")
        total += 400 + 8 * ids
        parts: list[tuple[dict[str, Any], dict[str, MergeValue]]] = []
        if plan.unversioned is not None:
            parts.append((plan.unversioned.props, plan.unversioned.merges))
        if plan.versioned is not None:
            total += 900 + 8 * ids if plan.versioned.delete is not None else 0
            for group_ in plan.versioned.groups:
                total += 700 + 8 * ids
                parts.append((group_.props, group_.merges))
        for props, merges in parts:
            for key, value in props.items():
                total += 3 * (48 + 2 * len(key) + (4 * len(value) if isinstance(value, str) else 16))
            for key, merge in merges.items():
                members = list(getattr(merge, "values", ())) or [getattr(merge, "value", 0)]
                for member in members:
                    total += 160 + 4 * len(key) + (4 * len(member) if isinstance(member, str) else 16)
    return total


def _fit(group: list[ElementPlan], max_bytes: int, size_of: Callable[[Any], int]) -> list[list[ElementPlan]]:
    from .traversals import request_traversal

    if len(group) <= 1 or estimate_bytes(group) <= max_bytes // 2:
        return [group]
    try:
        size = size_of(request_traversal(group).bytecode)
    except RequestEncodingError:  # an element that cannot be serialized: split until it is alone
        size = max_bytes + 1
    if size <= max_bytes:
        return [group]
    middle = len(group) // 2
    return _fit(group[:middle], max_bytes, size_of) + _fit(group[middle:], max_bytes, size_of)


def request_traversal(elements: Sequence[ElementPlan]) -> Any:
    """One request writing every element (see :func:`framework.traversals.request_traversal`)."""
    from .traversals import request_traversal as build

    return build(elements)
