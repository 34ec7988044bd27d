"""Writing a planned batch: requests in order, bisection of bad requests, the deadline guard.

Why bisect: one element Neptune refuses (an invalid value, an edge whose endpoint does not
exist yet) fails the whole request it was batched into. Splitting that request in halves and
retrying each, down to single elements, commits everything that can be committed and pins the
failure on exactly the messages that asked for the bad element.

Only failures caused by the request's *content* are bisected: permanent errors (a request that
cannot even be serialized included) and ``ConstraintViolationException``. A database that is
throttling, conflicting beyond the retry budget or unreachable will not get better by sending it
more, smaller requests; those failures fail every message in the request (SQS redelivers them
later). When the database cannot be reached at all (the handshake refused, e.g. HTTP 403 after
a credential refresh, or no connection within the retries) the rest of the batch fails at once
with the same reason, without another attempt: one refusal per batch, not one per request.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from opentelemetry.trace import Status, StatusCode

from .batching import Element, chunk
from .client import GraphClient
from .errors import (
    AuthError,
    ConnectionLost,
    DeadlineExceeded,
    GraphRequestError,
    GraphWorkerError,
    PermanentError,
    RetryStopped,
    TransientError,
)
from .telemetry import catalog as m
from .traversals import request_traversal
from .versions import late_delete_token, stale_token


@dataclass
class WriteOutcome:
    committed: set[tuple[str, str]] = field(default_factory=set)
    """Elements confirmed by the database (written, already at that version, or stale-skipped)."""
    stale: set[tuple[str, str]] = field(default_factory=set)
    """Committed elements whose write was skipped because the graph holds newer state."""
    deleted: set[tuple[str, str]] = field(default_factory=set)
    """Committed elements whose plan only deleted them."""
    late_deletes: set[tuple[str, str]] = field(default_factory=set)
    """Stale elements whose versioned delete arrived after a newer upsert of the same life."""
    failed: dict[tuple[str, str], str] = field(default_factory=dict)
    """Element key -> why it was not committed."""
    deadline_keys: set[tuple[str, str]] = field(default_factory=set)
    """Elements not committed because the deadline guard stopped the batch."""
    deadline_stopped: bool = False
    unavailable: str | None = None
    """Why the database cannot be reached: set, the remaining requests fail without being sent."""
    requests: int = 0
    bisections: int = 0

    def merge(self, other: WriteOutcome) -> None:
        """Add ``other`` (a later round's outcome) into this one."""
        self.committed |= other.committed
        self.stale |= other.stale
        self.deleted |= other.deleted
        self.late_deletes |= other.late_deletes
        self.failed.update(other.failed)
        self.deadline_keys |= other.deadline_keys
        self.deadline_stopped |= other.deadline_stopped
        self.unavailable = self.unavailable or other.unavailable
        self.requests += other.requests
        self.bisections += other.bisections


def is_content_error(exc: BaseException) -> bool:
    """Caused by what the request says (so smaller requests can isolate it), not by the database's state."""
    if isinstance(exc, AuthError):
        return False
    if isinstance(exc, PermanentError):
        return True
    return isinstance(exc, TransientError) and exc.code == "ConstraintViolationException"


def unavailable_reason(exc: BaseException) -> str | None:
    """Why no request of this batch can succeed now, or None when the failure is the request's own.

    A refused handshake (auth) and a connection that could not be opened within the retries
    (refused, timed out, TLS or handshake failure) are the database's state, not the request's.
    """
    last = exc.last_error if isinstance(exc, RetryStopped) and exc.last_error is not None else exc
    if isinstance(last, AuthError):
        return f"the database refused the connection: {_reason(last)}"
    if isinstance(last, ConnectionLost) and last.cause in CONNECT_CAUSES:
        return f"the database could not be reached: {_reason(last)}"
    return None


CONNECT_CAUSES = frozenset({"refused", "handshake", "connect_timeout", "tls"})
"""``ConnectionLost`` causes that mean no connection was made (as opposed to one that broke)."""


class BatchWriter:
    """Writes elements through one :class:`GraphClient`; no request starts past ``deadline``."""

    def __init__(self, client: GraphClient, *, max_upserts: int, max_bytes: int) -> None:
        self.client = client
        self.max_upserts = max_upserts
        self.max_bytes = max_bytes

    async def write(self, vertices: Sequence[Element], edges: Sequence[Element], *,
                    deadline: float | None, outcome: WriteOutcome | None = None) -> WriteOutcome:
        """Write vertices, then the edges whose endpoints did not fail; ``outcome`` collects as it goes.

        Passing ``outcome`` lets a caller that abandons the write (its hard deadline) still see
        what was confirmed before it stopped.
        """
        outcome = outcome if outcome is not None else WriteOutcome()
        await self._write_phase(vertices, outcome, deadline)
        runnable: list[Element] = []
        for element in edges:
            missing = _failed_endpoint(element, outcome)
            if missing:
                outcome.failed[element.key] = missing
            else:
                runnable.append(element)
        await self._write_phase(runnable, outcome, deadline)
        return outcome

    async def _write_phase(self, elements: Sequence[Element], outcome: WriteOutcome,
                           deadline: float | None) -> None:
        size_of = self.client.request_size
        for group in chunk(elements, max_upserts=self.max_upserts, max_bytes=self.max_bytes, size_of=size_of):
            await self._write_group(group, outcome, deadline)

    async def _write_group(self, group: list[Element], outcome: WriteOutcome, deadline: float | None) -> None:
        if outcome.unavailable is not None:
            for element in group:
                outcome.failed[element.key] = f"not sent: {outcome.unavailable}"
            return
        if outcome.deadline_stopped or (deadline is not None and time.monotonic() >= deadline):
            self._stop_for_deadline(group, outcome, "not written")
            return
        outcome.requests += 1
        ids = [e.element_id for e in group]
        try:
            results = await self.client.submit(request_traversal(group), expect=len(group), deadline=deadline,
                                               operation=f"upsert batch of {len(group)}")
        except DeadlineExceeded as exc:
            unavailable = unavailable_reason(exc)
            if unavailable is not None:
                outcome.unavailable = unavailable
            self._stop_for_deadline(group, outcome, "not committed")
            return
        except GraphWorkerError as exc:
            unavailable = unavailable_reason(exc)
            if unavailable is not None:
                outcome.unavailable = unavailable
                for element in group:
                    outcome.failed[element.key] = unavailable
                return
            if is_content_error(exc) and len(group) > 1:
                await self._bisect(group, outcome, deadline, exc)
                return
            reason = _reason(exc)
            for element in group:
                outcome.failed[element.key] = reason
            return
        returned = Counter(str(r) for r in results)
        for element, element_id in zip(group, ids, strict=True):
            stale = stale_token(element.kind, element_id)
            late = late_delete_token(element.kind, element_id)
            if returned[element_id] > 0:
                returned[element_id] -= 1
            elif returned[stale] > 0:
                returned[stale] -= 1
                outcome.stale.add(element.key)
            elif returned[late] > 0:
                returned[late] -= 1
                outcome.stale.add(element.key)
                outcome.late_deletes.add(element.key)
            else:
                outcome.failed[element.key] = f"the response did not confirm element {element_id!r}"
                continue
            outcome.committed.add(element.key)
            if not element.writes_element and element.key not in outcome.stale:
                outcome.deleted.add(element.key)

    async def _bisect(self, group: list[Element], outcome: WriteOutcome, deadline: float | None,
                      cause: BaseException) -> None:
        outcome.bisections += 1
        self.client.telemetry.metrics.add(m.BISECTIONS, 1)
        middle = len(group) // 2
        with self.client.telemetry.tracer.start_as_current_span(
            "graphworker.bisect", attributes={"graphworker.elements": len(group),
                                              "error.type": getattr(cause, "code", None) or type(cause).__name__},
        ) as span:
            await self._write_group(group[:middle], outcome, deadline)
            await self._write_group(group[middle:], outcome, deadline)
            if any(e.key in outcome.failed for e in group):
                span.set_status(Status(StatusCode.ERROR, "isolated failing elements"))

    @staticmethod
    def _stop_for_deadline(group: list[Element], outcome: WriteOutcome, what: str) -> None:
        outcome.deadline_stopped = True
        for element in group:
            outcome.failed[element.key] = f"{what}: the invocation's deadline was near (deadline guard)"
            outcome.deadline_keys.add(element.key)


def _failed_endpoint(element: Element, outcome: WriteOutcome) -> str | None:
    if not element.writes_element:
        return None  # deleting an edge does not need its endpoints
    for end in (element.from_id, element.to_id):
        reason = outcome.failed.get(("v", end or ""))
        if reason is not None:
            return f"not written: its endpoint vertex {end!r} failed in this batch ({reason})"
    return None


def _reason(exc: BaseException) -> str:
    last = getattr(exc, "last_error", None)
    if isinstance(exc, GraphRequestError) and exc.code:
        return f"{exc.code}: {exc.detailed_message or exc}"
    if last is not None:
        return f"{type(exc).__name__}: {last}"
    return f"{type(exc).__name__}: {exc}"

