"""The graph client: one shared connection per execution context, retries, telemetry.

Why this is the heart of graphworker: every Neptune + Lambda team writes this by hand. The
client keeps exactly one writer connection (plus, when reader endpoints are configured, one
reader connection chosen at random per execution context), opens it lazily, replaces it when it
breaks or has idled long enough for Neptune to drop it, re-signs every handshake in IAM mode,
retries what Neptune says is retriable with backoff inside the caller's deadline and the
process's retry budget, and records each of those events as a span and a metric.

Use :func:`framework.lifecycle.get_client` in handlers; construct directly in tests.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from .breaker import BreakerSettings, CircuitBreaker
from .config import Endpoint, GraphConfig
from .connection import GremlinConnection
from .errors import (
    AuthError,
    CircuitOpen,
    ConflictError,
    ConnectionLost,
    CredentialsRejected,
    DeadlineExceeded,
    EmptyResponse,
    GraphRequestError,
    ReadOnlyViolation,
    ReconnectError,
    RequestEncodingError,
    RequestSkipped,
    RetryBudgetExhausted,
    RetryStopped,
    ThrottledError,
    TransientError,
)
from .limiter import AdaptiveLimit, LimitSettings
from .protocol import GremlinProtocol, PreparedRequest
from .retry import RetryBudget, RetryPolicy, call_with_retries
from .telemetry import Telemetry
from .telemetry import catalog as m
from .transport import WebSocketTransport

if TYPE_CHECKING:
    from .signing import CredentialSource, HandshakeSigner

DB_SYSTEM = "aws.neptune"


PUSHBACK_CAUSES = frozenset({"timeout", "connect_timeout"})


def is_pushback(exc: BaseException) -> bool:
    """The database pushing back: throttled or over a limit, a request timeout, a full connection table."""
    if isinstance(exc, ThrottledError):
        return True
    return isinstance(exc, ConnectionLost) and (exc.cause in PUSHBACK_CAUSES or exc.status == 429)


HEAVY_CODES = frozenset({"TimeLimitExceededException", "MemoryLimitExceededException"})


def is_heavy(exc: BaseException) -> bool:
    """Pushback that says the request itself was too much (as opposed to too many requests)."""
    if isinstance(exc, ThrottledError):
        return exc.code in HEAVY_CODES
    return isinstance(exc, ConnectionLost) and exc.cause == "timeout"


def database_failure(exc: BaseException) -> bool:
    """A request that failed for good because of the database's state (what the breaker counts).

    Conflicts (contention) and content errors (a refused value, a missing endpoint vertex) say
    nothing about the database's health; a deadline says so only when it stopped retries of one.
    """
    if isinstance(exc, RetryBudgetExhausted):
        return True
    if isinstance(exc, RetryStopped):
        return exc.last_error is not None and database_failure(exc.last_error)
    if isinstance(exc, ConflictError | RequestEncodingError):
        return False
    if isinstance(exc, AuthError | ThrottledError | ReconnectError):
        return True
    if isinstance(exc, TransientError):
        return exc.code != "ConstraintViolationException"
    return False


def _short(exc: BaseException) -> str:
    last = exc.last_error if isinstance(exc, RetryStopped) and exc.last_error is not None else exc
    return f"{type(last).__name__}: {str(last)[:160]}"


def _again(exc: GraphRequestError) -> GraphRequestError:
    """A fresh instance of a shared failure (concurrent callers must not share one traceback)."""
    kwargs: dict[str, Any] = {"code": exc.code, "request_id": exc.request_id, "status": exc.status,
                              "detailed_message": exc.detailed_message}
    if isinstance(exc, ConnectionLost):
        kwargs["cause"] = exc.cause
    return type(exc)(str(exc), **kwargs)


def summarize(bytecode: Any) -> str:
    """A low-cardinality summary of a traversal for span names: its distinct step names."""
    names: list[str] = []
    for instruction in getattr(bytecode, "step_instructions", []):
        name = str(instruction[0])
        if name not in names:
            names.append(name)
    return " ".join(names[:6]) or "traversal"


def _iam_signer(config: GraphConfig, credentials: CredentialSource | None) -> HandshakeSigner | None:
    """The SigV4 signer when IAM auth is on; the signing module is imported only then (cold start)."""
    if not config.use_iam:
        return None
    from .signing import HandshakeSigner

    return HandshakeSigner(config.region or "", credentials)


class GraphClient:
    """Async Gremlin client for Neptune with one connection per role. Close with :meth:`close`."""

    def __init__(self, config: GraphConfig, *, telemetry: Telemetry | None = None,
                 credentials: CredentialSource | None = None, rng: random.Random | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.telemetry = telemetry or Telemetry.default()
        self._rng = rng or random.Random()
        self._ssl_context = ssl_context
        self.reader_endpoint: Endpoint | None = (
            self._rng.choice(config.reader_endpoints) if config.reader_endpoints else None
        )
        self._signer = _iam_signer(config, credentials)
        self._protocol = GremlinProtocol(config.serializer)
        self._policy = RetryPolicy(
            max_attempts=config.max_attempts, max_time_s=config.retry_max_time_s,
            base_s=config.backoff_base_s, max_backoff_s=config.backoff_max_s,
        )
        self.budget = RetryBudget(config.retry_budget, config.retry_budget_refill)
        self.limits = AdaptiveLimit(LimitSettings(
            max_in_flight=config.max_in_flight, initial_in_flight=min(4, config.max_in_flight),
            max_records=config.max_records_per_request, min_records=min(20, config.max_records_per_request),
            adaptive=config.adaptive_limits))
        """In-flight limit and request size for this execution context (see :mod:`framework.limiter`)."""
        self.breaker = CircuitBreaker(BreakerSettings(
            failure_threshold=config.breaker_failures, cooldown_s=config.breaker_cooldown_s,
            max_cooldown_s=config.breaker_max_cooldown_s), on_change=self._breaker_changed)
        """Stops requests to a database that is down or drowning (see :mod:`framework.breaker`)."""
        self._connections: dict[str, GremlinConnection] = {}
        self._connect_failures: dict[str, tuple[float, GraphRequestError]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._closed = False

    # ------------------------------------------------------------------ public API
    async def submit(self, traversal: Any, *, deadline: float | None = None, expect: int | None = None,
                     read: bool = False, operation: str | None = None, records: int = 1,
                     gate: Callable[[], str | None] | None = None,
                     retryable: Callable[[GraphRequestError], bool] | None = None) -> list[Any]:
        """Run a traversal (or its bytecode) and return its results.

        ``deadline``: a ``time.monotonic()`` value no attempt may start past (Lambda time left
        minus a margin). ``expect``: the minimum number of results a successful answer has; fewer
        is an :class:`EmptyResponse` failure, never a success (use it for writes that end in
        ``id()`` or a count). ``read=True`` sends to the reader endpoint when one is configured.
        ``records``: the request's size in Neptune's records (for the adaptive limits). ``gate``:
        asked once an in-flight slot is held; a reason it returns withdraws the request unsent
        (:class:`RequestSkipped`), e.g. because another request of the batch found the database down.
        ``retryable``: an error it says no to is raised at once instead of retried (the batch
        writer splits requests refused for their content rather than repeating them).

        Raises :class:`CircuitOpen` without sending when the circuit breaker is open, and
        :class:`DeadlineExceeded` when no in-flight slot frees up before ``deadline``.
        """
        if self._closed:
            raise ConnectionLost("the graph client is closed", cause="client")
        if self.breaker.blocked():
            raise self._circuit_open()
        if not await self.limits.acquire(deadline):
            raise DeadlineExceeded("the deadline passed while waiting for an in-flight slot "
                                   f"(limit {self.limits.limit})", None)
        if not self.breaker.allow():  # it may have opened while this request waited for its slot
            self.limits.release()
            raise self._circuit_open()
        try:
            withdrawn = gate() if gate is not None else None
            if withdrawn is not None:
                raise RequestSkipped(withdrawn)
            results = await self._submit(traversal, deadline=deadline, expect=expect, read=read,
                                         operation=operation, records=records, retryable=retryable)
        except (GraphRequestError, RetryStopped) as exc:
            if database_failure(exc):
                self.breaker.record_failure(_short(exc))
            else:
                self.breaker.release_probe()
            raise
        except BaseException:
            self.breaker.release_probe()
            raise
        finally:
            self.limits.release()
        self.breaker.record_success()
        return results

    async def _submit(self, traversal: Any, *, deadline: float | None, expect: int | None, read: bool,
                      operation: str | None, records: int,
                      retryable: Callable[[GraphRequestError], bool] | None = None) -> list[Any]:
        bytecode = traversal if isinstance(traversal, PreparedRequest) else getattr(traversal, "bytecode", traversal)
        summary = operation or summarize(bytecode.bytecode() if isinstance(bytecode, PreparedRequest) else bytecode)
        role = "reader" if read and self.reader_endpoint is not None else "writer"
        tracer = self.telemetry.tracer
        with tracer.start_as_current_span(
            f"gremlin {summary}", kind=SpanKind.CLIENT,
            attributes={"db.system.name": DB_SYSTEM, "db.query.summary": summary,
                        "db.operation.name": summary.split(" ")[0], "graphworker.role": role},
            record_exception=False, set_status_on_exception=False,
        ) as span:
            attempts = 0

            async def attempt() -> list[Any]:
                nonlocal attempts
                attempts += 1
                return await self._attempt(bytecode, role, expect, attempts, deadline, records)

            try:
                results = await call_with_retries(
                    attempt, policy=self._policy, budget=self.budget, deadline=deadline,
                    rng=self._rng, on_retry=self._on_retry, retryable=retryable,
                )
            except (GraphRequestError, RetryStopped) as exc:
                self._record_final_failure(span, exc, attempts)
                raise
            span.set_attribute("graphworker.attempts", attempts)
            return results

    async def close(self) -> None:
        """Close every connection. Idempotent; safe in shutdown hooks."""
        self._closed = True
        for role in list(self._connections):
            await self._discard(role, cause=None)

    @property
    def closed(self) -> bool:
        return self._closed

    def request_size(self, bytecode: Any) -> int:
        """Serialized size of a request for ``bytecode`` with this client's serializer (bytes)."""
        return len(self._protocol.encode("00000000-0000-0000-0000-000000000000", bytecode))

    def open_connections(self) -> int:
        return sum(1 for c in self._connections.values() if not c.closed)

    # ------------------------------------------------------------------ attempts
    async def _attempt(self, bytecode: Any, role: str, expect: int | None, number: int,
                       deadline: float | None, records: int = 1) -> list[Any]:
        try:
            conn = await self._connection(role, deadline)
        except ConnectionLost as exc:
            if is_pushback(exc):
                self.limits.on_pushback()
            raise
        timeout = self.config.request_timeout_s
        if deadline is not None:
            timeout = max(min(timeout, deadline - time.monotonic()), 0.001)
        tracer = self.telemetry.tracer
        metrics = self.telemetry.metrics
        with tracer.start_as_current_span(
            "gremlin.attempt", kind=SpanKind.CLIENT,
            attributes={"graphworker.attempt": number, "server.address": conn.url},
            record_exception=False, set_status_on_exception=False,
        ) as span:
            started = time.perf_counter()
            try:
                sent = await conn.submit(bytecode, timeout_s=timeout)
            except GraphRequestError as exc:
                metrics.add(m.GREMLIN_REQUEST_LATENCY, (time.perf_counter() - started) * 1000, Outcome="error")
                self._count_response_error(exc)
                if is_pushback(exc):
                    self.limits.on_pushback(heavy=is_heavy(exc))
                span.set_status(Status(StatusCode.ERROR, str(exc)[:200]))
                span.set_attribute("error.type", exc.code or type(exc).__name__)
                if isinstance(exc, ReconnectError):
                    cause = exc.cause if isinstance(exc, ConnectionLost) else exc.error_class
                    await self._discard(role, cause=cause, only=conn)
                raise
            latency = time.perf_counter() - started
            metrics.add(m.GREMLIN_REQUEST_LATENCY, latency * 1000, Outcome="ok")
            self.limits.on_success(latency, records)
            metrics.add(m.GREMLIN_REQUEST_SIZE, sent.request_bytes)
            span.set_attribute("db.request.size", sent.request_bytes)
            span.set_attribute("db.response.returned_rows", len(sent.results))
            if expect is not None and len(sent.results) < expect:
                await self._discard(role, cause="empty_response", only=conn)
                err = EmptyResponse(
                    f"expected at least {expect} result(s) but got {len(sent.results)} for request "
                    f"{sent.request_id}: treating it as a failure (the socket may have closed mid-request)",
                    request_id=sent.request_id)
                span.set_status(Status(StatusCode.ERROR, str(err)[:200]))
                raise err
            return sent.results

    def _circuit_open(self) -> CircuitOpen:
        self.telemetry.metrics.add(m.BREAKER_REJECTED_REQUESTS, 1)
        return CircuitOpen(f"circuit breaker open ({self.breaker.reason}); not sent",
                           retry_after_s=self.breaker.retry_after_s())

    def _breaker_changed(self, state: str, reason: str) -> None:
        self.telemetry.metrics.add(m.BREAKER_TRANSITIONS, 1, State=state)
        trace.get_current_span().add_event("circuit_breaker", {"graphworker.breaker.state": state,
                                                                "graphworker.breaker.reason": reason[:200]})

    def _count_response_error(self, exc: GraphRequestError) -> None:
        metrics = self.telemetry.metrics
        if isinstance(exc, ConflictError):
            metrics.add(m.CONCURRENT_MODIFICATIONS, 1)
        elif isinstance(exc, ReadOnlyViolation):
            metrics.add(m.READ_ONLY_VIOLATIONS, 1)
        elif isinstance(exc, ThrottledError):
            metrics.add(m.GREMLIN_THROTTLES, 1, Code=exc.code or "unknown")

    async def _on_retry(self, exc: GraphRequestError, tries: int, wait: float) -> None:
        self.telemetry.metrics.add(m.GREMLIN_RETRIES, 1, ErrorClass=exc.error_class)
        span = trace.get_current_span()
        span.add_event("retry", {"graphworker.attempt": tries, "graphworker.backoff_s": wait,
                                 "error.type": exc.code or type(exc).__name__})

    def _record_final_failure(self, span: trace.Span, exc: Exception, attempts: int) -> None:
        metrics = self.telemetry.metrics
        last = exc.last_error if isinstance(exc, RetryStopped) else exc
        error_class = last.error_class if isinstance(last, GraphRequestError) else "unknown"
        if isinstance(exc, RetryStopped):
            metric = m.RETRY_DEADLINE_STOPS if isinstance(exc, DeadlineExceeded) else m.RETRY_BUDGET_EXHAUSTED
            metrics.add(metric, 1)
        metrics.add(m.GREMLIN_REQUEST_FAILURES, 1, ErrorClass=error_class)
        span.set_attribute("graphworker.attempts", attempts)
        span.set_attribute("error.type", getattr(last, "code", None) or type(exc).__name__)
        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, str(exc)[:200]))

    # ------------------------------------------------------------------ connections
    async def _connection(self, role: str, deadline: float | None = None) -> GremlinConnection:
        """The open connection for ``role``, (re)connecting when needed. One connect at a time.

        Waiting for another task's connect and connecting are both bounded by ``deadline``
        (a ``time.monotonic()`` value): an endpoint that accepts TCP and never answers the
        handshake cannot hold an invocation past its deadline.
        """
        lock = self._locks.setdefault(role, asyncio.Lock())
        connecting = False
        waiting_since = time.monotonic()
        try:
            async with asyncio.timeout_at(deadline):  # loop.time() is time.monotonic()
                async with lock:
                    failed = self._connect_failures.get(role)
                    if failed is not None and failed[0] >= waiting_since:
                        # Another request's connect failed while this one waited for it: share that
                        # answer (a refused handshake, an unreachable endpoint) instead of asking
                        # the database again, once per request in flight.
                        raise _again(failed[1])
                    conn = self._connections.get(role)
                    if conn is not None:
                        if conn.closed:
                            await self._discard(role, cause=conn.close_cause)
                        elif (time.monotonic() - conn.last_used > self.config.idle_reconnect_s
                              and conn.in_flight == 0):
                            await self._discard(role, cause="idle")
                        else:
                            return conn
                    connecting = True
                    try:
                        conn = await self._connect(role, deadline)
                    except GraphRequestError as exc:
                        self._connect_failures[role] = (time.monotonic(), exc)
                        raise
                    self._connect_failures.pop(role, None)
                    self._connections[role] = conn
                    self.telemetry.metrics.add(m.GREMLIN_OPEN_CONNECTIONS, self.open_connections())
                    return conn
        except TimeoutError:
            if connecting:
                self.telemetry.metrics.add(m.GREMLIN_CONNECT_FAILURES, 1, Cause="deadline")
            what = "connecting to" if connecting else "waiting for another request's connect to"
            raise DeadlineExceeded(f"the deadline passed while {what} the {role} endpoint", None) from None

    async def _connect(self, role: str, deadline: float | None = None) -> GremlinConnection:
        endpoint = self.reader_endpoint if role == "reader" and self.reader_endpoint else self.config.endpoint
        url = endpoint.url(self.config.tls)
        tracer = self.telemetry.tracer
        metrics = self.telemetry.metrics
        with tracer.start_as_current_span(
            "gremlin.connect", kind=SpanKind.CLIENT,
            attributes={"server.address": endpoint.host, "server.port": endpoint.port,
                        "graphworker.role": role, "graphworker.iam": self._signer is not None},
            record_exception=False, set_status_on_exception=False,
        ) as span:
            started = time.perf_counter()
            try:
                transport = await self._open_transport(url, deadline=deadline)
            except CredentialsRejected:
                # Stale credentials are the usual cause of a 403: refresh and try exactly once more.
                metrics.add(m.GREMLIN_RECONNECTS, 1, Cause="credentials")
                span.add_event("credentials_refresh")
                try:
                    transport = await self._open_transport(url, refresh=True, deadline=deadline)
                except CredentialsRejected as again:
                    metrics.add(m.GREMLIN_CONNECT_FAILURES, 1, Cause="auth")
                    span.set_status(Status(StatusCode.ERROR, "handshake refused after credential refresh"))
                    span.set_attribute("error.type", again.code or "AccessDeniedException")
                    raise AuthError(f"{again} (after refreshing credentials)",
                                    code=again.code or "AccessDeniedException", status=403,
                                    detailed_message=again.detailed_message) from again
                except ConnectionLost as exc:
                    metrics.add(m.GREMLIN_CONNECT_FAILURES, 1, Cause=exc.cause)
                    raise
            except ConnectionLost as exc:
                metrics.add(m.GREMLIN_CONNECT_FAILURES, 1, Cause=exc.cause)
                span.set_status(Status(StatusCode.ERROR, str(exc)[:200]))
                span.set_attribute("error.type", exc.cause)
                raise
            elapsed_ms = (time.perf_counter() - started) * 1000
            metrics.add(m.GREMLIN_CONNECTS, 1, Role=role)
            metrics.add(m.GREMLIN_CONNECT_LATENCY, elapsed_ms, Role=role)
            return await GremlinConnection.open(transport, self._protocol, role=role, url=url)

    async def _open_transport(self, url: str, *, refresh: bool = False,
                              deadline: float | None = None) -> WebSocketTransport:
        headers: dict[str, str] = {}
        if self._signer is not None:
            with self.telemetry.tracer.start_as_current_span("sigv4.sign") as span:
                signed = await self._signer.sign(url, refresh=refresh)
                span.set_attribute("graphworker.cold_start", signed.cold_start)
                span.set_attribute("graphworker.refresh", refresh)
            self.telemetry.metrics.add(m.SIGV4_SIGNING_TIME, signed.elapsed_ms,
                                       ColdStart="true" if signed.cold_start else "false")
            headers = signed.headers
        ssl_context: ssl.SSLContext | bool | None = self._ssl_context
        if not self.config.tls:
            ssl_context = False
        timeout = self.config.connect_timeout_s
        if deadline is not None:
            timeout = max(min(timeout, deadline - time.monotonic()), 0.001)
        return await WebSocketTransport.connect(url, headers=headers, timeout_s=timeout, ssl_context=ssl_context)

    async def _discard(self, role: str, *, cause: str | None, only: GremlinConnection | None = None) -> None:
        """Close and forget the ``role`` connection; count a reconnect cause when there is one.

        ``only``: discard just if that is still the current connection. Concurrent requests that
        all saw the same socket die must not close the fresh connection one of them already made.
        """
        conn = self._connections.get(role)
        if conn is None or (only is not None and conn is not only):
            if only is not None and not only.closed:
                await only.close()
            return
        del self._connections[role]
        await conn.close()
        if cause is not None:
            self.telemetry.metrics.add(m.GREMLIN_RECONNECTS, 1, Cause=cause)
        self.telemetry.metrics.add(m.GREMLIN_OPEN_CONNECTIONS, self.open_connections())
