"""The run's ledger: message ids of any shape map back to their message; nothing grows per message."""

from __future__ import annotations

import tracemalloc
import uuid

from gwlocal.local.ledger import Ledger
from gwlocal.local.loadgen import Message


def test_ids_of_any_shape_map_back_and_settle():
    messages = [Message(f"b{i}", "valid", "g") for i in range(5)]
    ledger = Ledger(messages)
    ids = [str(uuid.UUID(int=7919)), "not-a-uuid", str(uuid.uuid4()).upper(), str(uuid.uuid4()), "x" * 80]
    for i, mid in enumerate(ids):
        ledger.record_sent(i, mid, at=100.0 + i)
    assert dict(ledger.sent_messages()) == dict(zip(ids, messages, strict=True))
    assert ledger.oldest_unsettled_age_s(now=110.0) == 10.0
    for mid in ids[:4]:
        ledger.record_committed(mid, 5.0)
    ledger.record_committed(ids[0], 9.0)  # a second delivery of an already committed message
    ledger.record_committed("someone-elses-message", 1.0)
    assert not ledger.settled()
    ledger.record_exhausted(ids[4])
    assert ledger.settled() and ledger.oldest_unsettled_age_s(now=110.0) == 0.0
    assert ledger.committed_ids() == set(ids[:4]) and ledger.committed_more_than_once() == 1
    assert ledger.latencies() == [5.0] * 4 and (ledger.committed, ledger.exhausted) == (4, 1)


def test_recording_a_run_allocates_nothing_per_message():
    n = 20_000
    messages = [Message("{}", "valid", "g")] * n
    ids = [str(uuid.uuid4()) for _ in range(n)]
    ledger = Ledger(messages)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i, mid in enumerate(ids):
            ledger.record_sent(i, mid, at=1.0)
            ledger.record_committed(mid, 2.0)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert ledger.settled()
    assert grown < 64 * 1024, f"{grown} bytes for {n} messages"
