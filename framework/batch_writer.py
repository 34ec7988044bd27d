"""Writing a planned batch: requests in flight together, bisection of bad requests, the deadline guard.

Why in flight together: a Lambda writing to Neptune spends most of an invocation waiting for
round trips. The batch's requests are grouped so they share no element (see
:mod:`framework.request_planner`) and go out at once over the execution context's one
multiplexed connection, as many as the adaptive in-flight limit allows (:mod:`framework.limiter`);
while some wait, the next ones are built and serialized.

Why bisect: one element Neptune refuses (an invalid value, an edge whose endpoint does not exist
yet) fails the whole request it was batched into. Splitting that request in halves and retrying
each, down to single elements, commits everything that can be committed and pins the failure on
exactly the messages that asked for the bad element. Conflicts that outlast the client's retries
are split the same way: contending writes go apart, in smaller requests.

Only failures caused by the request's *content* (and conflicts) are split: permanent errors (a
request that cannot even be serialized included) and ``ConstraintViolationException``. A database
that is throttling or unreachable will not get better by sending it more, smaller requests; those
failures fail every message in the request (SQS redelivers them later, with a backoff delay). When
the database cannot be reached at all (the handshake refused, e.g. HTTP 403 after a credential
refresh, no connection within the retries, or the circuit breaker open) the rest of the batch
fails at once with the same reason, without another attempt.

Every failed element carries a *kind*: ``write_failed`` (its content was refused),
``database_busy`` (back-pressure: throttling, limits, timeouts, lost connections, conflicts beyond
the retries), ``database_unavailable`` (no connection could be made: refused, unreachable, a
refused handshake), ``circuit_open`` or ``deadline``; all but the first are redelivered with a
backoff delay.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from opentelemetry.trace import Status, StatusCode

from .batching import Element
from .client import GraphClient
from .errors import (
    AuthError,
    CircuitOpen,
    ConflictError,
    ConnectionLost,
    DeadlineExceeded,
    GraphRequestError,
    GraphWorkerError,
    PermanentError,
    RequestSkipped,
    RetryStopped,
    TransientError,
)
from .request_planner import Limits, plan_requests, records
from .telemetry import catalog as m
from .traversals import UpsertRequest, element_steps
from .versions import late_delete_token, stale_token

BACKPRESSURE_KINDS = frozenset({"database_busy", "database_unavailable", "circuit_open", "deadline"})
"""Failure kinds caused by the database's state or the clock, not by the message: redelivered later."""


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
    failure_kind: dict[tuple[str, str], str] = field(default_factory=dict)
    """Element key -> write_failed, database_busy, circuit_open or deadline."""
    deadline_keys: set[tuple[str, str]] = field(default_factory=set)
    """Elements not committed because the deadline guard stopped the batch."""
    deadline_stopped: bool = False
    unavailable: str | None = None
    """Why the database cannot be reached: set, the remaining requests fail without being sent."""
    unavailable_kind: str = "database_unavailable"
    requests: int = 0
    bisections: int = 0

    def merge(self, other: WriteOutcome) -> None:
        """Add ``other`` (a later round's outcome) into this one."""
        self.committed |= other.committed
        self.stale |= other.stale
        self.deleted |= other.deleted
        self.late_deletes |= other.late_deletes
        self.failed.update(other.failed)
        self.failure_kind.update(other.failure_kind)
        self.deadline_keys |= other.deadline_keys
        self.deadline_stopped |= other.deadline_stopped
        self.unavailable = self.unavailable or other.unavailable
        self.requests += other.requests
        self.bisections += other.bisections

    def fail(self, key: tuple[str, str], reason: str, kind: str) -> None:
        self.failed[key] = reason
        self.failure_kind[key] = kind


def is_content_error(exc: BaseException) -> bool:
    """Caused by what the request says (so smaller requests can isolate it), not by the database's state."""
    if isinstance(exc, AuthError):
        return False
    if isinstance(exc, PermanentError):
        return True
    return isinstance(exc, TransientError) and exc.code == "ConstraintViolationException"


def unavailable_reason(exc: BaseException) -> str | None:
    """Why no request of this batch can succeed now, or None when the failure is the request's own.

    A refused handshake (auth), a connection that could not be opened within the retries (refused,
    timed out, TLS or handshake failure) and an open circuit breaker are the database's state.
    """
    if isinstance(exc, CircuitOpen):
        return f"not sent: {exc} (retry in {exc.retry_after_s:.1f} s)"
    last = exc.last_error if isinstance(exc, RetryStopped) and exc.last_error is not None else exc
    if isinstance(last, AuthError):
        return f"the database refused the connection: {_reason(last)}"
    if isinstance(last, ConnectionLost) and last.cause in CONNECT_CAUSES:
        return f"the database could not be reached: {_reason(last)}"
    return None


CONNECT_CAUSES = frozenset({"refused", "handshake", "connect_timeout", "tls"})
"""``ConnectionLost`` causes that mean no connection was made (as opposed to one that broke)."""


class BatchWriter:
    """Writes planned elements through one :class:`GraphClient`; no request starts past ``deadline``."""

    def __init__(self, client: GraphClient, *, max_upserts: int, max_bytes: int) -> None:
        self.client = client
        self.max_upserts = max_upserts
        self.max_bytes = max_bytes
        self.now = dt.datetime.now(dt.UTC)

    def limits(self) -> Limits:
        limits = self.client.limits
        return Limits(max_elements=self.max_upserts, max_records=limits.records,
                      max_steps=limits.settings.max_steps, max_bytes=self.max_bytes)

    async def write(self, vertices: Sequence[Element], edges: Sequence[Element], *,
                    deadline: float | None, outcome: WriteOutcome | None = None) -> WriteOutcome:
        """Write vertices and edges (each edge after its endpoints); ``outcome`` collects as it goes.

        Passing ``outcome`` lets a caller that abandons the write (its hard deadline) still see
        what was confirmed before it stopped.
        """
        outcome = outcome if outcome is not None else WriteOutcome()
        self.now = dt.datetime.now(dt.UTC)
        size_of = self.client.request_size
        jobs = plan_requests(vertices, edges, limits=self.limits(),
                             steps_of=lambda plan: element_steps(plan, self.now),
                             size_of=lambda group: size_of(UpsertRequest(group, self.now)))

        async def run(stages: list[list[list[Element]]]) -> None:
            for stage in stages:
                await asyncio.gather(*(self._write_group(group, outcome, deadline) for group in stage))

        await asyncio.gather(*(run(job.stages) for job in jobs))
        return outcome

    async def _write_group(self, group: list[Element], outcome: WriteOutcome, deadline: float | None) -> None:
        runnable = []
        for element in group:
            missing = _failed_endpoint(element, outcome)
            if missing:
                outcome.fail(element.key, missing, outcome.failure_kind.get(("v", element.from_id or ""))
                             or outcome.failure_kind.get(("v", element.to_id or "")) or "write_failed")
            else:
                runnable.append(element)
        group = runnable
        if not group:
            return
        if outcome.unavailable is not None:
            for element in group:
                outcome.fail(element.key, f"not sent: {outcome.unavailable}", outcome.unavailable_kind)
            return
        if outcome.deadline_stopped or (deadline is not None and time.monotonic() >= deadline):
            self._stop_for_deadline(group, outcome, "not written")
            return
        outcome.requests += 1
        ids = [e.element_id for e in group]
        try:
            results = await self.client.submit(UpsertRequest(group, self.now), expect=len(group),
                                               deadline=deadline, operation=f"upsert batch of {len(group)}",
                                               records=sum(records(e) for e in group),
                                               gate=lambda: outcome.unavailable,
                                               retryable=_worth_retrying)
        except RequestSkipped:
            outcome.requests -= 1
            for element in group:
                outcome.fail(element.key, f"not sent: {outcome.unavailable}", outcome.unavailable_kind)
            return
        except CircuitOpen as exc:
            outcome.unavailable, outcome.unavailable_kind = unavailable_reason(exc), "circuit_open"
            for element in group:
                outcome.fail(element.key, f"{outcome.unavailable}", "circuit_open")
            return
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
                    outcome.fail(element.key, unavailable, "database_unavailable")
                return
            if len(group) > 1 and (is_content_error(exc) or _is_conflict(exc)):
                await self._bisect(group, outcome, deadline, exc)
                return
            reason = _reason(exc)
            kind = "write_failed" if is_content_error(exc) else "database_busy"
            for element in group:
                outcome.fail(element.key, reason, kind)
            return
        self._confirm(group, ids, results, outcome)

    @staticmethod
    def _confirm(group: list[Element], ids: list[str], results: list[object], outcome: WriteOutcome) -> None:
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
                outcome.fail(element.key, f"the response did not confirm element {element_id!r}", "database_busy")
                continue
            outcome.committed.add(element.key)
            if not element.writes_element and element.key not in outcome.stale:
                outcome.deleted.add(element.key)

    async def _bisect(self, group: list[Element], outcome: WriteOutcome, deadline: float | None,
                      cause: BaseException) -> None:
        """Halves one after the other: the first half holds the vertices, so edges find their endpoints."""
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
            outcome.fail(element.key, f"{what}: the invocation's deadline was near (deadline guard)", "deadline")
            outcome.deadline_keys.add(element.key)


def _worth_retrying(exc: GraphRequestError) -> bool:
    """A request refused for its content is split at once (or, alone, failed), not retried as is:
    repeating it would only fail again (an endpoint vertex that is not there yet) and eat the
    deadline; SQS redelivers its message later, when the vertex has usually arrived."""
    return not is_content_error(exc)


def _is_conflict(exc: BaseException) -> bool:
    last = exc.last_error if isinstance(exc, RetryStopped) and exc.last_error is not None else exc
    return isinstance(last, ConflictError)


def _failed_endpoint(element: Element, outcome: WriteOutcome) -> str | None:
    if not element.is_edge or not element.writes_element:
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
