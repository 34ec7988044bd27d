"""Identity graph: link each user to the emails, phones, devices and IPs seen with them.

Identifiers are normalised into vertex ids (``email:ada@example.com``), so two users who share
a device or an email meet at the same vertex: the point of an identity graph. Edges carry
``last_seen``; a redelivered observation rewrites the same value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import BaseModel, Field

from framework.upserts import Edge, Upsert, Vertex
from framework.worker import GraphWorker


class IdentityObserved(BaseModel):
    """An observation of a user together with some of their identifiers."""

    user_id: str = Field(min_length=1)
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    device_id: str | None = None
    ip: str | None = None
    observed_at: dt.datetime


worker = GraphWorker(service="identity-graph")


@worker.upserts(model=IdentityObserved)
def to_graph(msg: IdentityObserved) -> Iterator[Upsert]:
    user = f"user:{msg.user_id}"
    yield Vertex(id=user, label="User", props={"name": msg.name} if msg.name else {})
    seen = {"last_seen": msg.observed_at}
    for label, edge, value in (
        ("Email", "HAS_EMAIL", msg.email.strip().lower() if msg.email else None),
        ("Phone", "HAS_PHONE", "".join(ch for ch in msg.phone if ch.isdigit() or ch == "+") if msg.phone else None),
        ("Device", "USED_DEVICE", msg.device_id),
        ("IP", "SEEN_FROM", msg.ip),
    ):
        if value:
            node = f"{label.lower()}:{value}"
            yield Vertex(id=node, label=label, props={"value": value})
            yield Edge(label=edge, from_id=user, to_id=node, props=seen)


handler = worker.handler
