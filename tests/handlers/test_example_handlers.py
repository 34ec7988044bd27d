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


def test_identity_converges_whatever_the_order_and_unlinks(env):
    from handlers.identity import handler

    def seen(hour: int, **fields) -> str:
        return json.dumps({"user_id": "u1", "observed_at": f"2026-11-01T{hour:02d}:00:00Z", **fields})

    # Delivered newest first, one batch each, then all again in one batch (redelivery).
    bodies = [seen(12, name="Ada L.", email="ada@example.com"), seen(11),
              seen(10, name="Ada", email="ada@example.com", device_id="d1")]
    for i, body in enumerate(bodies):
        assert handler(sqs_event([sqs_record(body, message_id=f"m{i}")]), LocalLambdaContext()) == {
            "batchItemFailures": []}
    handler(sqs_event([sqs_record(b, message_id=f"r{i}") for i, b in enumerate(bodies)]), LocalLambdaContext())
    store = env.endpoint.store
    user = store.vertex("user:u1")
    values = {k: sorted(str(vp.value) for vp in vps) for k, vps in user.properties.items() if not k.startswith("gw:")}
    assert values["name"] == ["Ada L."]  # newest wins, although the oldest arrived last
    assert values["names"] == ["Ada", "Ada L."]
    assert values["first_seen"][0].startswith("2026-11-01 10:00") and values["last_seen"][0].startswith(
        "2026-11-01 12:00")
    email_edge = store.out_edges(user, ["HAS_EMAIL"])[0]
    assert str(email_edge.properties["last_seen"]).startswith("2026-11-01 12:00")
    # Unlinked at 13:00; a late copy of the 12:00 link does not bring the edge back; a 14:00 one does.
    unlink = seen(13, email="ada@example.com", unlink=True)
    assert handler(sqs_event([sqs_record(unlink, message_id="u")]), LocalLambdaContext())["batchItemFailures"] == []
    assert store.out_edges(user, ["HAS_EMAIL"]) == []
    handler(sqs_event([sqs_record(bodies[0], message_id="late")]), LocalLambdaContext())
    assert store.out_edges(user, ["HAS_EMAIL"]) == []
    handler(sqs_event([sqs_record(seen(14, email="ada@example.com"), message_id="relink")]), LocalLambdaContext())
    assert len(store.out_edges(user, ["HAS_EMAIL"])) == 1


def test_transaction_status_changes_and_reversal_are_order_safe(env):
    from handlers.transactions import handler

    def state(status: str, hour: int) -> str:
        return json.dumps({"transaction_id": "t1", "account_id": "a1", "card_id": "c1", "merchant_id": "m1",
                           "merchant_name": "Shop", "amount": 10.0, "currency": "EUR", "device_id": "d1",
                           "posted_at": "2026-11-02T09:00:00Z", "status": status,
                           "event_time": f"2026-11-02T{hour:02d}:00:00Z"})

    store = env.endpoint.store
    for body in (state("settled", 11), state("posted", 9)):  # the posting arrives after the settlement
        assert handler(sqs_event([sqs_record(body)]), LocalLambdaContext()) == {"batchItemFailures": []}
    assert [vp.value for vp in store.vertex("txn:t1").properties["status"]] == ["settled"]
    assert handler(sqs_event([sqs_record(state("reversed", 12))]), LocalLambdaContext()) == {"batchItemFailures": []}
    assert store.vertex("txn:t1") is None
    assert not [e for e in store.edges() if e.label in ("MADE", "AT", "FROM_DEVICE")]
    # Late copies of earlier states succeed (they are stale) and change nothing.
    late = sqs_event([sqs_record(state("posted", 9)), sqs_record(state("disputed", 10))])
    assert handler(late, LocalLambdaContext()) == {"batchItemFailures": []}
    assert store.vertex("txn:t1") is None
    assert store.vertex("account:a1") is not None and store.vertex("merchant:m1") is not None
