"""What happened to every message of a run, kept in memory allocated once, up front.

Why: the report measures the handler process's memory growth over the run, and the run's own
bookkeeping lives in that process. Per-message Python objects (a dict entry and a string per
message id, a dataclass per message) would grow with the run and show up as growth that is
only bookkeeping (about 10 MB over a 50,000-message soak sent in waves). Here a message is an
index in send order, its state a few bytes in arrays sized for the whole load, and its SQS
message id a 128-bit key in a preallocated open-addressing table.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from array import array
from collections.abc import Iterator, Sequence

from .loadgen import Message

_SENT, _COMMITTED, _EXHAUSTED = 1, 2, 4
_MASK64 = (1 << 64) - 1


def _key(message_id: str) -> tuple[int, bool]:
    """A 128-bit key for a message id, and whether the id is a canonical UUID (then the key is it)."""
    try:
        parsed = uuid.UUID(message_id)
    except ValueError:
        return int.from_bytes(hashlib.blake2b(message_id.encode(), digest_size=16).digest(), "big"), False
    return parsed.int, str(parsed) == message_id


class _IdTable:
    """Message id key -> send index; open addressing with linear probing, never resized."""

    def __init__(self, capacity: int) -> None:
        size = 1 << max(4, (2 * capacity + 16).bit_length())
        self.mask = size - 1
        self.hi = array("Q", bytes(8 * size))
        self.lo = array("Q", bytes(8 * size))
        self.slot = array("q", bytes(8 * size))
        """send index + 1; 0 for an empty slot."""
        self.used = 0
        self.overflow: dict[int, int] = {}
        """Only when more ids than planned arrive (retried sends): keeps the table under 3/4 full."""

    def put(self, key: int, index: int) -> None:
        if self.used * 4 >= (self.mask + 1) * 3:
            self.overflow[key] = index
            return
        hi, lo = key >> 64, key & _MASK64
        i = (lo ^ hi) & self.mask
        while self.slot[i]:
            if self.hi[i] == hi and self.lo[i] == lo:
                self.slot[i] = index + 1
                return
            i = (i + 1) & self.mask
        self.hi[i], self.lo[i], self.slot[i] = hi, lo, index + 1
        self.used += 1

    def get(self, key: int) -> int | None:
        hi, lo = key >> 64, key & _MASK64
        i = (lo ^ hi) & self.mask
        while self.slot[i]:
            if self.hi[i] == hi and self.lo[i] == lo:
                return self.slot[i] - 1
            i = (i + 1) & self.mask
        return self.overflow.get(key)


class Ledger:
    def __init__(self, messages: Sequence[Message]) -> None:
        self.messages = messages
        n = len(messages)
        self._table = _IdTable(n)
        self._id_hi = array("Q", bytes(8 * n))
        self._id_lo = array("Q", bytes(8 * n))
        self._odd_ids: dict[int, str] = {}
        """Send index -> message id, for ids that are not canonical UUIDs (fauxqs and moto send UUIDs)."""
        self.sent_at = array("d", bytes(8 * n))
        self.latency_ms = array("f", bytes(4 * n))
        """SentTimestamp to the first deletion, per committed message."""
        self.flags = bytearray(n)
        self.commits = bytearray(n)
        """Times a message was committed (deleted after success), capped at 255: more than one
        is at-least-once delivery at work (a redelivery after the visibility timeout)."""
        self.sent = self.committed = self.exhausted = 0
        self._oldest = 0
        self.last_commit_at = 0.0
        self.first_send_at = 0.0

    def _index(self, message_id: str) -> int | None:
        return self._table.get(_key(message_id)[0])

    def record_sent(self, index: int, message_id: str, at: float | None = None) -> None:
        at = time.time() if at is None else at
        key, canonical = _key(message_id)
        self._table.put(key, index)
        if self.flags[index] & _SENT:
            return  # sent again (a retried SendMessageBatch): both ids count for this message
        self._id_hi[index], self._id_lo[index] = key >> 64, key & _MASK64
        if not canonical:
            self._odd_ids[index] = message_id
        self.sent_at[index] = at
        self.flags[index] |= _SENT
        self.sent += 1
        if self.sent == 1:
            self.first_send_at = at

    def message_id(self, index: int) -> str:
        odd = self._odd_ids.get(index)
        if odd is not None:
            return odd
        return str(uuid.UUID(int=(self._id_hi[index] << 64) | self._id_lo[index]))

    def sent_messages(self) -> Iterator[tuple[str, Message]]:
        """(message id, message) for every message sent."""
        for i, message in enumerate(self.messages):
            if self.flags[i] & _SENT:
                yield self.message_id(i), message

    def record_committed(self, message_id: str, latency_ms: float) -> None:
        i = self._index(message_id)
        if i is None:
            return  # not one of ours (a message sent to the queue by someone else)
        if not self.flags[i] & _COMMITTED:
            self.flags[i] |= _COMMITTED
            self.latency_ms[i] = latency_ms
            self.committed += 1
            self.last_commit_at = time.time()
        self.commits[i] = min(self.commits[i] + 1, 255)

    def record_exhausted(self, message_id: str) -> None:
        """Failed on its last allowed receive: SQS moves it to the DLQ on a later receive."""
        i = self._index(message_id)
        if i is not None and not self.flags[i] & _EXHAUSTED:
            self.flags[i] |= _EXHAUSTED
            self.exhausted += 1

    def is_committed(self, i: int) -> bool:
        return bool(self.flags[i] & _COMMITTED)

    def settled(self) -> bool:
        """Every message sent, and each committed or out of receives."""
        return self.sent == len(self.messages) and self._advance() >= len(self.messages)

    def _advance(self) -> int:
        n = len(self.messages)
        while self._oldest < n and self.flags[self._oldest] & (_COMMITTED | _EXHAUSTED):
            self._oldest += 1
        return self._oldest

    def oldest_unsettled_age_s(self, now: float | None = None) -> float:
        """Age of the oldest sent message not yet committed or out of receives (0 if none).

        Messages are sent in index order, so the first unsettled index is the oldest; a message
        failed for good stops counting once it used up its receives, as SQS's
        ``ApproximateAgeOfOldestMessage`` stops counting it once it is in the DLQ.
        """
        now = time.time() if now is None else now
        i = self._advance()
        if i >= len(self.messages) or not self.flags[i] & _SENT:
            return 0.0
        return max(now - self.sent_at[i], 0.0)

    def committed_ids(self) -> set[str]:
        return {self.message_id(i) for i in range(len(self.messages)) if self.flags[i] & _COMMITTED}

    def latencies(self) -> list[float]:
        return [float(self.latency_ms[i]) for i in range(len(self.messages)) if self.flags[i] & _COMMITTED]

    def committed_more_than_once(self) -> int:
        return sum(1 for c in self.commits if c > 1)
