"""Fraud / transactions graph: accounts, cards, merchants, devices and the transactions between them.

Each posted transaction becomes a ``Transaction`` vertex linked to the card that made it, the
merchant it was made at and (when known) the device it came from; cards hang off accounts.
Shared merchants and devices are where fraud rings show up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from pydantic import BaseModel, Field

from framework.upserts import Edge, Upsert, Vertex
from framework.worker import GraphWorker


class TransactionPosted(BaseModel):
    transaction_id: str = Field(min_length=1)
    account_id: str = Field(min_length=1)
    card_id: str = Field(min_length=1)
    merchant_id: str = Field(min_length=1)
    merchant_name: str
    amount: float = Field(ge=0)
    currency: str = Field(min_length=3, max_length=3)
    posted_at: dt.datetime
    device_id: str | None = None


worker = GraphWorker(service="transactions-graph")


@worker.upserts(model=TransactionPosted)
def to_graph(msg: TransactionPosted) -> Iterator[Upsert]:
    account, card = f"account:{msg.account_id}", f"card:{msg.card_id}"
    merchant, txn = f"merchant:{msg.merchant_id}", f"txn:{msg.transaction_id}"
    yield Vertex(id=account, label="Account")
    yield Vertex(id=card, label="Card")
    yield Vertex(id=merchant, label="Merchant", props={"name": msg.merchant_name})
    yield Vertex(id=txn, label="Transaction",
                 props={"amount": msg.amount, "currency": msg.currency.upper(), "posted_at": msg.posted_at})
    yield Edge(label="HAS_CARD", from_id=account, to_id=card)
    yield Edge(label="MADE", from_id=card, to_id=txn)
    yield Edge(label="AT", from_id=txn, to_id=merchant)
    if msg.device_id:
        device = f"device:{msg.device_id}"
        yield Vertex(id=device, label="Device")
        yield Edge(label="FROM_DEVICE", from_id=txn, to_id=device)


handler = worker.handler
