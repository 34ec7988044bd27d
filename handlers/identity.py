"""Identity graph: link each user to the emails, phones, devices and IPs seen with them.

Identifiers are normalised into vertex ids (``email:ada@example.com``), so two users who share
a device or an email meet at the same vertex: the point of an identity graph.

Order-safe (observations arrive out of order and more than once):

- each user's ``name`` is newest-wins by ``observed_at`` (the upsert's version), property by
  property, so an observation without a name never erases one, and an old one never wins;
- ``first_seen``/``last_seen`` on users keep the min/max (:class:`~framework.KeepMin`,
  :class:`~framework.KeepMax`), ``last_seen`` on identifier edges keeps the max; ``names``
  collects every name seen (:class:`~framework.AddToSet`);
- an observation with ``unlink: true`` deletes the identifier edges it names (a versioned
  delete): an older link arriving later cannot bring the edge back, a newer one does.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import AwareDatetime, BaseModel, Field

from framework import AddToSet, DeleteEdge, Edge, GraphWorker, KeepMax, KeepMin, Vertex, Write
from framework.merge_rules import MergeValue
from framework.upserts import PropertyValue


class IdentityObserved(BaseModel):
    """An observation of a user together with some of their identifiers."""

    user_id: str = Field(min_length=1)
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    device_id: str | None = None
    ip: str | None = None
    observed_at: AwareDatetime
    unlink: bool = False
    """The identifiers named here are no longer the user's: their edges are deleted."""


worker = GraphWorker(service="identity-graph")


@worker.upserts(model=IdentityObserved)
def to_graph(msg: IdentityObserved) -> Iterator[Write]:
    user = f"user:{msg.user_id}"
    at = msg.observed_at
    props: dict[str, PropertyValue | MergeValue] = {"first_seen": KeepMin(at), "last_seen": KeepMax(at)}
    if msg.name:
        props |= {"name": msg.name, "names": AddToSet(msg.name)}
    yield Vertex(id=user, label="User", props=props, version=at)
    for label, edge, value in (
        ("Email", "HAS_EMAIL", msg.email.strip().lower() if msg.email else None),
        ("Phone", "HAS_PHONE", "".join(ch for ch in msg.phone if ch.isdigit() or ch == "+") if msg.phone else None),
        ("Device", "USED_DEVICE", msg.device_id),
        ("IP", "SEEN_FROM", msg.ip),
    ):
        if not value:
            continue
        node = f"{label.lower()}:{value}"
        if msg.unlink:
            yield DeleteEdge(label=edge, from_id=user, to_id=node, version=at)
            continue
        yield Vertex(id=node, label=label, props={"value": value})
        # last_seen keeps the max: the newest observation's time, which a late unlink cannot
        # leave stale (the newest write carries the max). A first_seen would (see the README on
        # late deletes), so the edge's first sighting is not kept here.
        yield Edge(label=edge, from_id=user, to_id=node, version=at, props={"last_seen": KeepMax(at)})


handler = worker.handler
