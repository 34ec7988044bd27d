"""The example handlers, invoked exactly as Lambda invokes them (sync entry point, SQS event)."""

from __future__ import annotations

import json

import pytest

from gwlocal.gremlin_server.thread import EndpointThread
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record


@pytest.fixture(scope="module")
def ep():
    with EndpointThread() as ep:
        yield ep


@pytest.fixture
def env(ep, execution_context, monkeypatch):
    """The module's endpoint, emptied, in a fresh execution context (closed after the test)."""
    ep.call(lambda e: e.reset())
    monkeypatch.setenv("NEPTUNE_ENDPOINT", f"ws://127.0.0.1:{ep.port}/gremlin")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    return ep


def test_identity_handler_links_users_through_shared_identifiers(env):
    from handlers.identity import handler

    event = sqs_event([
        sqs_record(json.dumps({"user_id": "u1", "name": "Ada", "email": " Ada@Example.com ", "device_id": "d1",
                               "observed_at": "2026-11-01T10:00:00Z"}), message_id="m1"),
        sqs_record(json.dumps({"user_id": "u2", "email": "ada@example.com", "phone": "+44 20 7946 0000",
                               "observed_at": "2026-11-01T11:00:00Z"}), message_id="m2"),
        sqs_record(json.dumps({"user_id": "", "observed_at": "not a date"}), message_id="poison"),
    ])
    response = handler(event, LocalLambdaContext(function_name="identity"))
    assert response == {"batchItemFailures": [{"itemIdentifier": "poison"}]}
    store = env.endpoint.store
    shared = store.vertex("email:ada@example.com")
    assert shared is not None and len(store.in_edges(shared, ["HAS_EMAIL"])) == 2
    assert store.vertex("phone:+442079460000") is not None
    # Redelivery changes nothing.
    counts = (store.vertex_count(), store.edge_count())
    assert handler(event, LocalLambdaContext())["batchItemFailures"] == [{"itemIdentifier": "poison"}]
    assert (store.vertex_count(), store.edge_count()) == counts == (5, 4)


def test_transactions_handler_builds_the_fraud_graph(env):
    from handlers.transactions import handler

    def txn(i: int, device: str | None) -> str:
        return json.dumps({"transaction_id": f"t{i}", "account_id": "a1", "card_id": "c1", "merchant_id": "m9",
                           "merchant_name": "Corner Shop", "amount": 12.5 * i, "currency": "gbp",
                           "posted_at": "2026-11-02T09:00:00Z", "device_id": device})

    event = sqs_event([sqs_record(txn(i, "d7" if i % 2 else None), message_id=f"t{i}") for i in range(1, 5)])
    assert handler(event, LocalLambdaContext(function_name="transactions")) == {"batchItemFailures": []}
    store = env.endpoint.store
    assert store.vertex_count() == 3 + 4 + 1  # account, card, merchant + 4 transactions + 1 device
    assert store.edge_count() == 1 + 4 + 4 + 2
    merchant = store.vertex("merchant:m9")
    assert len(store.in_edges(merchant, ["AT"])) == 4
    assert [vp.value for vp in store.vertex("txn:t2").properties["currency"]] == ["GBP"]
