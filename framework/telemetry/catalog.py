"""The one metric catalog: every metric graphworker emits, with unit, dimensions and meaning.

Why one catalog: code emits metrics only through these definitions, the CloudWatch dashboards
and alarms are generated from them, and the docs list them from here, so a metric name is typed
exactly once and a test can prove the dashboard and the code never drift apart.

Every metric also carries the Powertools ``service`` dimension. A metric marked ``rollup`` is
published twice from the same data points: with its own dimensions (``service`` + e.g.
``ErrorClass``) and with ``service`` alone. Why: a CloudWatch alarm cannot ``SEARCH`` and allows
10 metrics, so an alarm on "all retries" must not add one query per error class (a new class
would break the deploy); it reads the rolled-up total, one query whatever the classes.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMESPACE_DEFAULT = "graphworker"


@dataclass(frozen=True, slots=True)
class MetricDef:
    """One metric: CloudWatch name, unit, extra dimension names, and what it tells an operator."""

    name: str
    unit: str
    dimensions: tuple[str, ...]
    description: str
    rollup: bool = False
    """Also published with ``service`` as its only dimension (the total over its own dimensions)."""


GREMLIN_CONNECTS = MetricDef(
    "GremlinConnects", "Count", ("Role",),
    "WebSocket connections opened to Neptune (Role: writer or reader endpoint).")
GREMLIN_CONNECT_LATENCY = MetricDef(
    "GremlinConnectLatency", "Milliseconds", ("Role",),
    "Time to open a connection: DNS, TCP, TLS, SigV4 signing and the WebSocket handshake.")
GREMLIN_CONNECT_FAILURES = MetricDef(
    "GremlinConnectFailures", "Count", ("Cause",),
    "Connection attempts that failed (refused, handshake rejected, timeout, ...).")
SIGV4_SIGNING_TIME = MetricDef(
    "SigV4SigningTime", "Milliseconds", ("ColdStart",),
    "Time to resolve credentials and SigV4-sign the handshake; ColdStart=true is the first "
    "signing in an execution context (credential resolution and signing-key derivation).")
GREMLIN_RECONNECTS = MetricDef(
    "GremlinReconnects", "Count", ("Cause",),
    "Connections replaced, by cause: closed (server close frame), idle, reset (no close frame), "
    "timeout, protocol, read_only, empty_response, credentials (403 at the handshake).")
GREMLIN_RETRIES = MetricDef(
    "GremlinRetries", "Count", ("ErrorClass",),
    "Requests retried, by error class (conflict, connection, read_only, throttled, ...).", rollup=True)
CONCURRENT_MODIFICATIONS = MetricDef(
    "ConcurrentModificationConflicts", "Count", (),
    "ConcurrentModificationException responses: concurrent writes to the same elements.")
READ_ONLY_VIOLATIONS = MetricDef(
    "ReadOnlyViolations", "Count", (),
    "ReadOnlyViolationException responses: writes that reached a reader or a failed-over writer.")
GREMLIN_THROTTLES = MetricDef(
    "GremlinThrottles", "Count", ("Code",),
    "Back-pressure responses (ThrottlingException, TimeLimitExceeded, MemoryLimitExceeded, ...).", rollup=True)
GREMLIN_REQUEST_LATENCY = MetricDef(
    "GremlinRequestLatency", "Milliseconds", ("Outcome",),
    "One Gremlin request attempt, send to last response frame (Outcome: ok or error); its SampleCount "
    "is the number of request attempts.", rollup=True)
GREMLIN_REQUEST_SIZE = MetricDef(
    "GremlinRequestSize", "Bytes", (),
    "Serialized size of each Gremlin request.")
GREMLIN_REQUEST_FAILURES = MetricDef(
    "GremlinRequestFailures", "Count", ("ErrorClass",),
    "Requests that failed for good, after any retries, by the final error's class.")
GREMLIN_OPEN_CONNECTIONS = MetricDef(
    "GremlinOpenConnections", "Count", (),
    "Connections this execution context holds open, sampled when one opens or closes.")
RETRY_BUDGET_EXHAUSTED = MetricDef(
    "RetryBudgetExhausted", "Count", (),
    "Retries refused because the execution context's retry budget was spent (sick database).")
RETRY_DEADLINE_STOPS = MetricDef(
    "RetryDeadlineStops", "Count", (),
    "Retrying stopped because the caller's deadline (Lambda time left minus margin) was near.")

IN_FLIGHT_LIMIT = MetricDef(
    "InFlightLimit", "Count", (),
    "The execution context's adaptive limit of requests in flight, at the end of each invocation: it grows "
    "while latency stays near its floor and halves when Neptune pushes back.")
IN_FLIGHT_PEAK = MetricDef(
    "InFlightPeak", "Count", (),
    "Most requests an execution context had in flight at once during an invocation.")
REQUEST_SIZE_LIMIT = MetricDef(
    "RequestSizeLimit", "Count", (),
    "The adaptive request size (Neptune records: an element's label or one property), at the end of each "
    "invocation; at most Neptune's guidance of about 200.")
BREAKER_TRANSITIONS = MetricDef(
    "CircuitBreakerTransitions", "Count", ("State",),
    "The execution context's circuit breaker changing state (State: open, half_open, closed). open: the "
    "database was down or drowning beyond what retries absorb; requests then fail fast until a probe succeeds.")
BREAKER_REJECTED_REQUESTS = MetricDef(
    "CircuitBreakerRejections", "Count", (),
    "Requests not sent because the circuit breaker was open (their messages are redelivered later).")
REDELIVERY_DELAYS = MetricDef(
    "RedeliveryDelay", "Seconds", (),
    "Visibility delays set on messages failed by back-pressure (exponential in their receive count), so an "
    "outage does not walk valid messages into the DLQ.")
REDELIVERY_ERRORS = MetricDef(
    "RedeliveryBackoffErrors", "Count", (),
    "ChangeMessageVisibility calls that failed (the message then reappears after the queue's visibility "
    "timeout, as without backoff).")

MESSAGES_RECEIVED = MetricDef(
    "MessagesReceived", "Count", (),
    "SQS messages delivered to the handler.")
MESSAGES_SUCCEEDED = MetricDef(
    "MessagesSucceeded", "Count", (),
    "Messages whose every upsert was committed (deleted from the queue).")
MESSAGES_FAILED = MetricDef(
    "MessagesFailed", "Count", ("Reason",),
    "Messages reported in batchItemFailures, by reason: invalid_record, invalid_message, mapping_error, "
    "invalid_upsert, batch_conflict, write_failed (Neptune refused the content), database_busy (back-pressure "
    "beyond the retries), database_unavailable (no connection: refused, unreachable, handshake refused), "
    "circuit_open, deadline, fifo_blocked.")
UPSERTS_WRITTEN = MetricDef(
    "UpsertsWritten", "Count", ("Kind",),
    "Elements written (Kind: vertex or edge), after coalescing duplicates within a batch; stale skips and "
    "deletes are counted apart.")
STALE_WRITES_SKIPPED = MetricDef(
    "StaleWritesSkipped", "Count", ("Kind",),
    "Versioned writes skipped because the graph already held newer state (Kind: vertex or edge): an older "
    "message arrived after a newer one. Success for the message; a steady share is normal for out-of-order "
    "delivery.")
LATE_DELETES = MetricDef(
    "LateDeletes", "Count", ("Kind",),
    "Versioned deletes that reached the graph after a newer upsert of an element that existed before the "
    "delete: skipped, and properties set only by writes older than the delete may remain. Send every upsert "
    "with the element's full state, or see the README (Delivery order and convergence).")
TOMBSTONES_PURGED = MetricDef(
    "TombstonesPurged", "Count", (),
    "Tombstones older than GRAPHWORKER_TOMBSTONE_RETENTION_S dropped by the scheduled purge function.")
ELEMENTS_DELETED = MetricDef(
    "ElementsDeleted", "Count", ("Kind",),
    "Elements deleted by DeleteVertex/DeleteEdge writes (Kind: vertex or edge), after coalescing.")
REQUESTS_PER_BATCH = MetricDef(
    "RequestsPerBatch", "Count", (),
    "Gremlin write requests one SQS batch needed (including bisection requests).")
BATCH_SIZE = MetricDef(
    "BatchSize", "Count", (),
    "Messages in one invocation's SQS batch.")
BISECTIONS = MetricDef(
    "Bisections", "Count", (),
    "Requests split in half to isolate the elements (and messages) a permanent error belongs to.")
DEADLINE_STOPS = MetricDef(
    "DeadlineStops", "Count", (),
    "Invocations that stopped writing early because the Lambda deadline was near; the rest is redelivered.")
MESSAGE_AGE = MetricDef(
    "MessageAge", "Milliseconds", (),
    "End-to-end age of a message when processed: now minus its SQS SentTimestamp.")

CATALOG: tuple[MetricDef, ...] = (
    GREMLIN_CONNECTS, GREMLIN_CONNECT_LATENCY, GREMLIN_CONNECT_FAILURES, SIGV4_SIGNING_TIME,
    GREMLIN_RECONNECTS, GREMLIN_RETRIES, CONCURRENT_MODIFICATIONS, READ_ONLY_VIOLATIONS,
    GREMLIN_THROTTLES, GREMLIN_REQUEST_LATENCY, GREMLIN_REQUEST_SIZE, GREMLIN_REQUEST_FAILURES,
    GREMLIN_OPEN_CONNECTIONS, RETRY_BUDGET_EXHAUSTED, RETRY_DEADLINE_STOPS,
    IN_FLIGHT_LIMIT, IN_FLIGHT_PEAK, REQUEST_SIZE_LIMIT, BREAKER_TRANSITIONS, BREAKER_REJECTED_REQUESTS,
    REDELIVERY_DELAYS, REDELIVERY_ERRORS,
    MESSAGES_RECEIVED, MESSAGES_SUCCEEDED, MESSAGES_FAILED, UPSERTS_WRITTEN, STALE_WRITES_SKIPPED,
    LATE_DELETES, ELEMENTS_DELETED, TOMBSTONES_PURGED, REQUESTS_PER_BATCH, BATCH_SIZE,
    BISECTIONS, DEADLINE_STOPS, MESSAGE_AGE,
)

BY_NAME: dict[str, MetricDef] = {m.name: m for m in CATALOG}
