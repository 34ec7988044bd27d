"""Load for the local run: messages for the built-in example handlers, or lines from a file.

Messages reuse ids from small pools (a few dozen accounts, merchants, devices...) so batches
share elements the way real traffic does, which is what coalescing and write conflicts are
about. Poison messages (bad JSON, or JSON the handler's model refuses) and duplicates (an
earlier body sent again, as SQS at-least-once delivery does) are mixed in at given rates.
Everything is drawn from one seeded RNG: the same seed sends the same load.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HANDLERS = {
    "transactions": "handlers.transactions",
    "identity": "handlers.identity",
}


@dataclass(frozen=True)
class Message:
    body: str
    kind: str
    """``valid``, ``poison`` or ``duplicate`` (a valid body sent again)."""
    group: str


def _transaction(rng: random.Random, i: int) -> tuple[dict[str, object], str]:
    account = rng.randrange(40)
    merchant = rng.randrange(25)
    body = {
        "transaction_id": f"t{i}",
        "account_id": f"a{account}",
        "card_id": f"a{account}-c{rng.randrange(2)}",
        "merchant_id": f"m{merchant}",
        "merchant_name": f"Merchant {merchant}",  # a merchant's name is the merchant's, in every message
        "amount": round(rng.uniform(1, 500), 2),
        "currency": rng.choice(["GBP", "EUR", "USD"]),
        "posted_at": f"2026-11-{rng.randrange(1, 28):02d}T{rng.randrange(24):02d}:00:00Z",
        "device_id": f"d{rng.randrange(30)}" if rng.random() < 0.7 else None,
    }
    return body, f"a{account}"


def _identity(rng: random.Random, i: int) -> tuple[dict[str, object], str]:
    user = rng.randrange(120)
    body: dict[str, object] = {"user_id": f"u{user}", "observed_at": f"2026-11-{rng.randrange(1, 28):02d}T10:00:00Z"}
    if rng.random() < 0.6:
        body["email"] = f"person{rng.randrange(90)}@example.com"
    if rng.random() < 0.4:
        body["phone"] = f"+44 20 7946 {rng.randrange(60):04d}"
    if rng.random() < 0.5:
        body["device_id"] = f"dev{rng.randrange(50)}"
    if rng.random() < 0.3:
        body["ip"] = f"10.0.{rng.randrange(4)}.{rng.randrange(40)}"
    return body, f"u{user}"


def _identity_history(rng: random.Random, user: int, start: int) -> list[tuple[dict[str, object], str]]:
    """One user's observations over time: a new name each time, identifiers linked, unlinked, relinked."""
    out: list[tuple[dict[str, object], str]] = []
    email = f"person{rng.randrange(90)}@example.com"
    device = f"dev{rng.randrange(50)}"
    for step in range(6):
        at = f"2026-11-{1 + (start + step) // 24:02d}T{(start + step) % 24:02d}:{rng.randrange(60):02d}:00Z"
        body: dict[str, object] = {"user_id": f"u{user}", "observed_at": at, "name": f"User {user} v{step}"}
        if step == 3 and rng.random() < 0.5:  # the email is unlinked, and (sometimes) linked again later
            body = {"user_id": f"u{user}", "observed_at": at, "email": email, "unlink": True}
        else:
            body["email"] = email
            if rng.random() < 0.5:
                body["device_id"] = device
        out.append((body, f"u{user}"))
    return out


def _transaction_history(rng: random.Random, i: int) -> list[tuple[dict[str, object], str]]:
    """One transaction's life: posted, then settled or disputed, sometimes reversed."""
    base, group = _transaction(rng, i)
    day, hour = rng.randrange(1, 27), rng.randrange(20)
    posted = f"2026-11-{day:02d}T{hour:02d}:00:00Z"
    states = ["posted", rng.choice(["settled", "disputed"])] + (["reversed"] if rng.random() < 0.25 else [])
    out = []
    for step, status in enumerate(states):
        body = dict(base, posted_at=posted, status=status,
                    event_time=f"2026-11-{day:02d}T{hour + step:02d}:{rng.randrange(60):02d}:00Z")
        out.append((body, group))
    return out


def generate_out_of_order(handler: str, count: int, *, seed: int, poison_rate: float,
                          duplicate_rate: float) -> list[Message]:
    """``count`` messages telling *histories* (several versions of the same elements), shuffled.

    Identity: users observed six times each (a new name every time, an email unlinked and maybe
    linked again); transactions: posted, then settled or disputed, sometimes reversed. The
    messages of all histories are shuffled, so older versions often arrive after newer ones: the
    graph check then proves the graph converged to the newest state (values included).
    """
    if handler not in _GENERATORS:
        raise ValueError(f"no built-in load for handler {handler!r}; choose one of {', '.join(_GENERATORS)}")
    rng = random.Random(seed)
    valid: list[tuple[dict[str, object], str]] = []
    n = 0
    while len(valid) < count:
        history = _identity_history(rng, n, rng.randrange(200)) if handler == "identity" else \
            _transaction_history(rng, n)
        valid.extend(history)
        n += 1
    valid = valid[:count]
    rng.shuffle(valid)
    out: list[Message] = []
    sent_valid: list[Message] = []
    for body, group in valid:
        roll = rng.random()
        if roll < poison_rate:
            out.append(Message(rng.choice(_POISON[handler]), "poison", f"poison-{len(out) % 4}"))
        elif roll < poison_rate + duplicate_rate and sent_valid:
            original = rng.choice(sent_valid)
            out.append(Message(original.body, "duplicate", original.group))
        message = Message(json.dumps(body), "valid", group)
        sent_valid.append(message)
        out.append(message)
    return out


_GENERATORS: dict[str, Callable[[random.Random, int], tuple[dict[str, object], str]]] = {
    "transactions": _transaction,
    "identity": _identity,
}

_POISON = {
    "transactions": ['{"transaction_id": "broken"', '{"transaction_id": "t-neg", "amount": -5}'],
    "identity": ['not json at all', '{"user_id": "", "observed_at": "yesterday"}'],
}


def generate(handler: str, count: int, *, seed: int, poison_rate: float, duplicate_rate: float) -> list[Message]:
    """``count`` messages for ``handler`` (a key of :data:`HANDLERS`)."""
    if handler not in _GENERATORS:
        raise ValueError(f"no built-in load for handler {handler!r}; choose one of {', '.join(_GENERATORS)}")
    rng = random.Random(seed)
    make = _GENERATORS[handler]
    out: list[Message] = []
    valid: list[Message] = []
    for i in range(count):
        roll = rng.random()
        if roll < poison_rate:
            out.append(Message(rng.choice(_POISON[handler]), "poison", f"poison-{i % 4}"))
        elif roll < poison_rate + duplicate_rate and valid:
            original = rng.choice(valid)
            out.append(Message(original.body, "duplicate", original.group))
        else:
            body, group = make(rng, i)
            message = Message(json.dumps(body), "valid", group)
            valid.append(message)
            out.append(message)
    return out


def from_file(path: Path) -> list[Message]:
    """JSON lines: each line is a message body (any JSON value); kinds are decided by the handler.

    Lines that are not JSON are sent as they are (they will be poison); blank lines are skipped.
    A line ``{"body": ..., "group": ...}`` sends ``body`` (a string, or JSON-encoded) in that group.
    """
    out: list[Message] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text().splitlines()):
        if not line.strip():
            continue
        body, group = line, f"g{n % 8}"
        try:
            parsed = json.loads(line)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and set(parsed) <= {"body", "group"} and "body" in parsed:
            body = parsed["body"] if isinstance(parsed["body"], str) else json.dumps(parsed["body"])
            group = str(parsed.get("group", group))
        kind = "duplicate" if body in seen else "unknown"
        seen.add(body)
        out.append(Message(body, kind, group))
    return out
