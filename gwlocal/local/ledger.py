"""What happened to every message of a run, kept compactly.

Why compact: a soak sends tens of thousands of messages and the report measures the handler
process's memory growth; per-message Python objects (a dict and a dataclass per message) would
grow with the run and show up as growth that is only bookkeeping. Here a message is an index
in send order: a few bytes in arrays, plus one dict entry from its SQS message id.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Sequence

from .loadgen import Message

_SENT, _COMMITTED, _EXHAUSTED = 1, 2, 4


class Ledger:
    def __init__(self, messages: Sequence[Message]) -> None:
        self.messages = messages
        n = len(messages)
        self.index: dict[str, int] = {}
        """SQS message id -> send index."""
        self.ids: list[str] = [""] * n
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

    def record_sent(self, index: int, message_id: str, at: float | None = None) -> None:
        at = time.time() if at is None else at
        self.index[message_id] = index
        if self.flags[index] & _SENT:
            return  # sent again (a retried SendMessageBatch): both ids count for this message
        self.ids[index] = message_id
        self.sent_at[index] = at
        self.flags[index] |= _SENT
        self.sent += 1
        if self.sent == 1:
            self.first_send_at = at

    def record_committed(self, message_id: str, latency_ms: float) -> None:
        i = self.index.get(message_id)
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
        i = self.index.get(message_id)
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
        return {self.ids[i] for i in range(len(self.messages)) if self.flags[i] & _COMMITTED}

    def latencies(self) -> list[float]:
        return [float(self.latency_ms[i]) for i in range(len(self.messages)) if self.flags[i] & _COMMITTED]

    def committed_more_than_once(self) -> int:
        return sum(1 for c in self.commits if c > 1)
