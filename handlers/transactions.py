"""Fraud / transactions graph: accounts, cards, merchants, devices and the transactions between them.

Each posted transaction becomes a ``Transaction`` vertex linked to the card that made it, the
merchant it was made at and (when known) the device it came from; cards hang off accounts.
Shared merchants and devices are where fraud rings show up.

A transaction changes after it is posted: it settles, is disputed, or is reversed. Every message
carries the transaction's state at ``event_time`` (default: ``posted_at``), which versions the
transaction and its edges, so a late "posted" message never overwrites a "settled" one. A
reversal deletes the transaction with its edges (a versioned delete): a copy of the original
posting that arrives afterwards cannot bring it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from framework import DeleteVertex, Edge, GraphWorker, Vertex, Write


class TransactionPosted(BaseModel):
    transaction_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)
    card_id: str = Field(min_length=1)
    merchant_id: str = Field(min_length=1)
    merchant_name: str
    amount: float = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    posted_at: AwareDatetime
    device_id: str | None = None
    status: Literal["posted", "settled", "disputed", "reversed"] = "posted"
    event_time: AwareDatetime | None = None
    """When this state of the transaction was produced; the version of its writes."""


worker = GraphWorker(service="transactions-graph")


@worker.upserts(model=TransactionPosted)
def to_graph(msg: TransactionPosted) -> Iterator[Write]:
    account, card = f"account:{msg.account_id}", f"card:{msg.card_id}"
    merchant, txn = f"merchant:{msg.merchant_id}", f"txn:{msg.transaction_id}"
    version = msg.event_time or msg.posted_at
    yield Vertex(id=account, label="Account")
    yield Vertex(id=card, label="Card")
    yield Vertex(id=merchant, label="Merchant", props={"name": msg.merchant_name})
    yield Edge(label="HAS_CARD", from_id=account, to_id=card)
    if msg.status == "reversed":
        yield DeleteVertex(id=txn, version=version)  # its MADE, AT and FROM_DEVICE edges go with it
        return
    yield Vertex(id=txn, label="Transaction", version=version,
                 props={"amount": msg.amount, "currency": msg.currency.upper(), "posted_at": msg.posted_at,
                        "status": msg.status})
    yield Edge(label="MADE", from_id=card, to_id=txn, version=version)
    yield Edge(label="AT", from_id=txn, to_id=merchant, version=version)
    if msg.device_id:
        device = f"device:{msg.device_id}"
        yield Vertex(id=device, label="Device")
        yield Edge(label="FROM_DEVICE", from_id=txn, to_id=device, version=version)


handler = worker.handler
