"""Which elements go in which request, and which requests may be in flight together.

Why this shape: a batch should take as few round trips as possible (requests in flight together)
without its own requests getting in each other's way:

- an edge needs its endpoint vertices, and Neptune serializes writes that touch the same vertex
  (an edge insert locks its endpoints): two requests of one batch writing to the same vertex would
  conflict with each other;
- so elements are grouped into *connected components* (vertices joined by the batch's edges,
  including endpoints that are not written in this batch). Components share nothing, so whole
  components are packed into requests that all go out at once, each request writing its vertices
  before its edges (in one transaction: a ``fold()`` barrier between them);
- a component too large for one request (a hub: a merchant every transaction links to) is written
  in stages: its vertices (in parallel, vertices do not lock each other), then its edges one
  request after another, so they do not conflict with each other over the hub.

Request size follows Neptune's guidance: about 200 *records* (an element's label, or one
property) and at most about 1,500 Gremlin steps per request (the adaptive limit may choose
fewer records, see :mod:`framework.limiter`), plus the element count and byte limits of
:class:`framework.worker_config.WorkerConfig`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .batching import ElementPlan, estimate_bytes
from .errors import RequestEncodingError


@dataclass(frozen=True, slots=True)
class Limits:
    max_elements: int
    max_records: int
    max_steps: int
    max_bytes: int


@dataclass
class Job:
    """Stages written one after another; the requests of a stage go out together."""

    stages: list[list[list[ElementPlan]]] = field(default_factory=list)


def records(plan: ElementPlan) -> int:
    """Neptune's records for one element: its label, each property, each set value (and the version)."""
    count = 1
    if plan.unversioned is not None:
        count += len(plan.unversioned.props) + _merge_records(plan.unversioned.merges)
    if plan.versioned is not None:
        count += 1
        for group in plan.versioned.groups:
            count += 2 * len(group.props) + _merge_records(group.merges)
    return count


def _merge_records(merges: dict[str, Any]) -> int:
    return sum(len(getattr(merge, "values", ())) or 1 for merge in merges.values())


def steps(traversal: Any) -> int:
    """Gremlin steps of a traversal, nested anonymous traversals included."""
    bytecode = getattr(traversal, "bytecode", traversal)
    total = 0
    for instruction in getattr(bytecode, "step_instructions", ()):
        total += 1
        for argument in instruction[1:]:
            if hasattr(argument, "bytecode") or hasattr(argument, "step_instructions"):
                total += steps(argument)
    return total


def plan_requests(vertices: Sequence[ElementPlan], edges: Sequence[ElementPlan], *, limits: Limits,
                  steps_of: Callable[[ElementPlan], int],
                  size_of: Callable[[list[ElementPlan]], int] | None = None) -> list[Job]:
    """Group a batch's planned elements into jobs of requests (see the module docstring)."""
    components = _components(vertices, edges)
    jobs: list[Job] = []
    small = Job([[]])
    current: list[ElementPlan] = []
    load = [0, 0, 0]  # elements, records, steps

    def flush() -> None:
        nonlocal current, load
        if current:
            small.stages[0].extend(_fit_bytes(_ordered(current), limits.max_bytes, size_of, jobs))
        current, load = [], [0, 0, 0]

    for component in components:
        need = [len(component), sum(records(p) for p in component), sum(steps_of(p) for p in component)]
        if not _fits(need, limits):
            jobs.append(_staged(component, limits, steps_of))
            continue
        if current and not _fits([a + b for a, b in zip(load, need, strict=True)], limits):
            flush()
        current.extend(component)
        load = [a + b for a, b in zip(load, need, strict=True)]
    flush()
    if small.stages[0]:
        jobs.insert(0, small)
    return jobs


def _fits(need: list[int], limits: Limits) -> bool:
    return need[0] <= limits.max_elements and need[1] <= limits.max_records and need[2] <= limits.max_steps


def _ordered(elements: list[ElementPlan]) -> list[ElementPlan]:
    return [e for e in elements if not e.is_edge] + [e for e in elements if e.is_edge]


def _components(vertices: Sequence[ElementPlan], edges: Sequence[ElementPlan]) -> list[list[ElementPlan]]:
    """Elements grouped by connected component, in order of first appearance."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        root = node
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    for edge in edges:
        a, b = find(edge.from_id or ""), find(edge.to_id or "")
        if a != b:
            parent[b] = a
    groups: dict[str, list[ElementPlan]] = {}
    for element in list(vertices) + list(edges):
        anchor = element.from_id if element.is_edge else element.element_id
        groups.setdefault(find(anchor or ""), []).append(element)
    return list(groups.values())


def _staged(component: list[ElementPlan], limits: Limits, steps_of: Callable[[ElementPlan], int]) -> Job:
    """A component too large for one request: its vertices together, then its edges one by one."""
    job = Job()
    vertices = [e for e in component if not e.is_edge]
    edges = [e for e in component if e.is_edge]
    if vertices:
        job.stages.append(_chunks(vertices, limits, steps_of))
    job.stages.extend([chunk] for chunk in _chunks(edges, limits, steps_of))
    return job


def _chunks(elements: list[ElementPlan], limits: Limits, steps_of: Callable[[ElementPlan], int]
            ) -> list[list[ElementPlan]]:
    out: list[list[ElementPlan]] = []
    current: list[ElementPlan] = []
    load = [0, 0, 0]
    for element in elements:
        need = [1, records(element), steps_of(element)]
        if current and not _fits([a + b for a, b in zip(load, need, strict=True)], limits):
            out.append(current)
            current, load = [], [0, 0, 0]
        current.append(element)
        load = [a + b for a, b in zip(load, need, strict=True)]
    if current:
        out.append(current)
    return out


def _fit_bytes(group: list[ElementPlan], max_bytes: int, size_of: Callable[[list[ElementPlan]], int] | None,
               jobs: list[Job]) -> list[list[ElementPlan]]:
    """``[group]`` when it fits ``max_bytes``; else its pieces become a job of their own, written in
    order one after the other (every edge after its endpoints), and nothing is returned."""
    pieces = _split_bytes(group, max_bytes, size_of)
    if len(pieces) == 1:
        return pieces
    jobs.append(Job([[piece] for piece in pieces]))
    return []


def _split_bytes(group: list[ElementPlan], max_bytes: int,
                 size_of: Callable[[list[ElementPlan]], int] | None) -> list[list[ElementPlan]]:
    if len(group) <= 1 or size_of is None or estimate_bytes(group) <= max_bytes // 2:
        return [group]
    try:
        size = size_of(group)
    except RequestEncodingError:  # an element that cannot be serialized: split until it is alone
        size = max_bytes + 1
    if size <= max_bytes:
        return [group]
    middle = len(group) // 2
    return _split_bytes(group[:middle], max_bytes, size_of) + _split_bytes(group[middle:], max_bytes, size_of)
