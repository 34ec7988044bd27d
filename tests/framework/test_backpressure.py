"""Using the database's capacity and yielding when it pushes back: the adaptive limit, the request
planner, requests in flight together, the circuit breaker, and the redelivery backoff."""

from __future__ import annotations

import asyncio
import json
import random
import time
from typing import Any

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.structure.graph import Graph

from framework import Edge, GraphWorker, Vertex, WorkerConfig
from framework.batching import coalesce
from framework.breaker import CLOSED, HALF_OPEN, OPEN, BreakerSettings, CircuitBreaker
from framework.errors import CircuitOpen, ConflictError, ConnectionLost, ThrottledError
from framework.limiter import AdaptiveLimit, LimitSettings
from framework.redelivery import QueueRef, RedeliveryBackoff, enabled_from
from framework.request_planner import Limits, plan_requests, records
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

g = traversal().with_graph(Graph())


# ---------------------------------------------------------------------------- the adaptive limit
async def test_limit_grows_near_the_floor_and_halves_on_pushback():
    limit = AdaptiveLimit(LimitSettings(max_in_flight=8, initial_in_flight=2, max_records=200, min_records=20))
    assert (limit.limit, limit.records) == (2, 200)  # the size starts at Neptune's guidance
    for _ in range(40):
        limit.on_success(0.010, 50)
    assert limit.limit == 8 and limit.records == 200  # the limit grew to its cap
    limit.on_pushback()  # a full queue: fewer requests, not smaller ones
    assert (limit.limit, limit.records) == (4, 200)
    limit.on_pushback(heavy=True)  # a request that was too much: smaller ones too
    assert (limit.limit, limit.records) == (2, 100)
    limit.on_success(0.050, 50)  # five times the floor: a queue is building
    assert limit.limit == 1  # 2 * 0.9, rounded down
    for _ in range(5):
        limit.on_pushback(heavy=True)
    assert (limit.limit, limit.records) == (1, 20)  # never below one request and the minimum size
    for _ in range(8):
        limit.on_success(0.010, 20)
    assert limit.records == 26  # grows back by 25% every 8 answers near the floor


async def test_after_a_pushback_growth_starts_again_from_zero_and_sizes_stay_whole():
    limit = AdaptiveLimit(LimitSettings(max_in_flight=8, initial_in_flight=2, max_records=200, min_records=20))
    limit.on_pushback(heavy=True)
    limit.on_pushback(heavy=True)
    assert limit.records == 50 and isinstance(limit.records, int) and limit.pushbacks == 2
    for _ in range(7):
        limit.on_success(0.010, 50)  # seven good answers: one short of growing the size
    limit.on_pushback()  # a full queue: the size stays, the count of good answers restarts
    assert limit.records == 50 and limit.pushbacks == 3
    limit.on_success(0.010, 50)  # the count restarted: one good answer does not grow it
    assert limit.records == 50
    for _ in range(7):
        limit.on_success(0.010, 50)
    assert limit.records == 63  # the eighth since the pushback: 50 x 1.25 + 1
    limit.on_pushback(heavy=True)
    limit.on_pushback(heavy=True)
    assert limit.pushbacks == 5 and limit.records == 20  # 31, then the minimum


async def test_the_latency_floor_follows_the_recent_minimum_window_by_window():
    """A floor seen while the database was idle does not stay forever: every 200 answers it becomes
    the minimum of those 200, so a database that is now slower everywhere is judged against that."""
    limit = AdaptiveLimit(LimitSettings(max_in_flight=64, initial_in_flight=32, max_records=200, min_records=20))
    for _ in range(199):
        limit.on_success(0.010, 10)
    grown = limit.limit
    limit.on_success(0.050, 10)  # the 200th answer, 5x the floor: a queue is building
    assert limit.limit == int(grown * 0.9)
    for _ in range(199):  # the new window: 60 ms is still slow against the old 10 ms floor...
        limit.on_success(0.060, 10)
    shrunk = limit.limit
    assert shrunk < grown
    limit.on_success(0.040, 10)  # ...until the window ends: the floor is now its minimum, 40 ms
    limit.on_success(0.070, 10)  # within 2 x 40 ms: good again
    assert limit.limit >= shrunk


@pytest.mark.parametrize(("error", "pushback"), [
    (ThrottledError("ThrottlingException: x", code="ThrottlingException"), True),
    (ConnectionLost("no response", cause="timeout"), True),
    (ConnectionLost("connect timed out", cause="connect_timeout"), True),
    (ConnectionLost("refused", cause="refused", status=429), True),       # the connection table is full
    (ConnectionLost("closed", cause="closed"), False),
    (ConnectionLost("refused", cause="refused", status=403), False),
    (ConflictError("ConcurrentModificationException: x"), False),
])
def test_what_counts_as_the_database_pushing_back(error, pushback):
    from framework.client import is_pushback

    assert is_pushback(error) is pushback


async def test_limit_is_fixed_when_not_adaptive():
    limit = AdaptiveLimit(LimitSettings(max_in_flight=5, max_records=150, adaptive=False))
    limit.on_pushback()
    limit.on_success(9.0, 10)
    assert (limit.limit, limit.records) == (5, 150)


async def test_acquire_waits_for_a_slot_and_respects_the_deadline():
    limit = AdaptiveLimit(LimitSettings(max_in_flight=1, initial_in_flight=1))
    assert await limit.acquire()
    assert not await limit.acquire(deadline=time.monotonic() + 0.05)  # full: the deadline comes first
    waiter = asyncio.ensure_future(limit.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    limit.release()
    assert await waiter and limit.in_flight == 1 and limit.peak_in_flight == 1


# ---------------------------------------------------------------------------- the breaker
def test_breaker_opens_after_failures_in_a_row_then_probes():
    now = [0.0]
    changes: list[str] = []
    breaker = CircuitBreaker(BreakerSettings(failure_threshold=3, cooldown_s=5, max_cooldown_s=20),
                             clock=lambda: now[0], on_change=lambda state, _: changes.append(state))
    breaker.record_failure("throttled")
    breaker.record_success()  # a success resets the count
    for _ in range(3):
        assert breaker.allow()
        breaker.record_failure("throttled")
    assert breaker.state == OPEN and not breaker.allow() and breaker.retry_after_s() == 5
    now[0] = 5.0
    assert breaker.allow() and breaker.state == HALF_OPEN
    assert not breaker.allow()  # exactly one probe
    breaker.record_failure("still throttled")
    assert breaker.state == OPEN and breaker.retry_after_s() == 10  # the wait doubles
    now[0] = 15.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == CLOSED and changes == [OPEN, HALF_OPEN, OPEN, HALF_OPEN, CLOSED]


def test_breaker_says_why_it_moved_and_how_long_until_it_probes():
    now = [100.0]
    seen: list[tuple[str, str]] = []
    breaker = CircuitBreaker(BreakerSettings(failure_threshold=2, cooldown_s=4, max_cooldown_s=20),
                             clock=lambda: now[0], on_change=lambda state, why: seen.append((state, why)))
    assert breaker.retry_after_s() == 0.0 and breaker.reason == ""
    breaker.record_failure("throttled")
    breaker.record_failure("timed out")
    assert (breaker.state, breaker.reason) == (OPEN, "2 requests in a row failed: timed out")
    now[0] = 103.5
    assert breaker.retry_after_s() == 0.5
    now[0] = 110.0
    assert breaker.retry_after_s() == 0.0  # past the cool-down: a probe may go now
    assert breaker.allow() and breaker.reason == "cool-down over: probing"
    assert breaker.retry_after_s() == 0.0  # half-open: nothing to wait for
    breaker.record_failure("still throttled")
    assert breaker.reason == "probe failed: still throttled" and breaker.retry_after_s() == 8
    now[0] = 118.0
    assert breaker.allow()
    breaker.record_success()
    assert seen == [(OPEN, "2 requests in a row failed: timed out"), (HALF_OPEN, "cool-down over: probing"),
                    (OPEN, "probe failed: still throttled"), (HALF_OPEN, "cool-down over: probing"),
                    (CLOSED, "probe succeeded")]
    assert [(state, why) for _, state, why in breaker.transitions] == seen
    assert breaker.allow() and breaker.allow()  # closed: every request goes


def test_after_a_failed_probe_the_next_probe_goes_once_the_longer_cool_down_is_over():
    now = [0.0]
    breaker = CircuitBreaker(BreakerSettings(failure_threshold=1, cooldown_s=1, max_cooldown_s=3),
                             clock=lambda: now[0])
    breaker.record_failure("x")
    now[0] = 1.0
    assert breaker.allow()
    breaker.record_failure("x")  # the probe failed: open again for 2 s, and no probe is out any more
    now[0] = 3.0
    assert breaker.allow() and not breaker.allow()
    breaker.record_failure("x")
    now[0] = 6.0  # capped at 3 s
    assert breaker.allow()


async def test_an_open_breaker_fails_requests_without_sending(endpoint, make_client, captured):
    client = make_client(max_attempts=1, breaker_failures=2, breaker_cooldown_s=60)
    endpoint.apply_settings({"inject": {"code": "ThrottlingException", "rate": 1.0, "writes_only": False}})
    for _ in range(2):
        with pytest.raises(Exception, match="Throttling"):
            await client.submit(g.V().count())
    before = endpoint.stats.requests_total
    with pytest.raises(CircuitOpen) as raised:
        await client.submit(g.V().count())
    assert endpoint.stats.requests_total == before  # not sent
    assert 0 < raised.value.retry_after_s <= 60
    assert captured.count("CircuitBreakerTransitions", State="open") == 1
    assert captured.count("CircuitBreakerRejections") == 1


# ---------------------------------------------------------------------------- the planner
def plans(messages: list[list[Any]]) -> Any:
    return coalesce([(f"m{i}", writes) for i, writes in enumerate(messages)])


def test_components_share_nothing_and_go_out_together():
    # Three customers, each with their own orders: three components, independent.
    batch = plans([[Vertex(f"c{c}", "C"), Vertex(f"o{c}{i}", "O"), Edge("P", f"c{c}", f"o{c}{i}")]
                   for c in range(3) for i in range(4)])
    jobs = plan_requests(batch.vertices, batch.edges, limits=Limits(100, 20, 1500, 10**6), steps_of=lambda p: 4)
    assert len(jobs) == 1 and len(jobs[0].stages) == 1
    requests = jobs[0].stages[0]
    # 9 records a component, 20 a request: two components in one request, the third in another;
    # no component is split across requests.
    assert [len(r) for r in requests] == [18, 9]
    customers = [{e.element_id for e in r if e.element_id.startswith("c")} for r in requests]
    assert customers == [{"c0", "c1"}, {"c2"}]
    for request in requests:
        kinds = [e.is_edge for e in request]
        assert kinds == sorted(kinds)  # vertices before edges


def test_a_hub_too_large_for_one_request_is_written_in_stages():
    batch = plans([[Vertex(f"t{i}", "T"), Vertex("merchant", "M"), Edge("AT", f"t{i}", "merchant")]
                   for i in range(30)])
    jobs = plan_requests(batch.vertices, batch.edges, limits=Limits(100, 20, 1500, 10**6), steps_of=lambda p: 4)
    (job,) = jobs
    vertex_stage, *edge_stages = job.stages
    assert all(not e.is_edge for request in vertex_stage for e in request) and len(vertex_stage) == 2
    assert all(len(stage) == 1 for stage in edge_stages)  # edges on the hub one request at a time
    assert sum(len(stage[0]) for stage in edge_stages) == 30


@pytest.mark.parametrize(("limits", "steps", "vertex_sizes", "edge_sizes"), [
    (Limits(3, 10**6, 10**6, 10**9), 1, [3, 3, 2], [3, 3, 1]),  # by element count
    (Limits(100, 6, 10**6, 10**9), 1, [6, 2], [3, 3, 1]),       # by records: 1 a vertex, 2 an edge (+ property)
    (Limits(100, 7, 10**6, 10**9), 1, [7, 1], [3, 3, 1]),       # 4 edges would be 8 records
    (Limits(100, 10**6, 9, 10**9), 3, [3, 3, 2], [3, 3, 1]),    # by steps
])
def test_a_hubs_requests_are_cut_exactly_at_each_limit(limits, steps, vertex_sizes, edge_sizes):
    """A hub's vertices go out together in as few requests as the limits allow; then its edges, one request
    after another, each holding as many edges as the limits allow."""
    batch = plans([[Vertex("hub", "H")]] + [[Vertex(f"v{i}", "V"), Edge("L", f"v{i}", "hub", {"w": i})]
                                            for i in range(7)])
    (job,) = plan_requests(batch.vertices, batch.edges, limits=limits, steps_of=lambda p: steps)
    vertex_stage, *edge_stages = job.stages
    assert [len(r) for r in vertex_stage] == vertex_sizes and not any(e.is_edge for r in vertex_stage for e in r)
    assert [[len(r) for r in stage] for stage in edge_stages] == [[n] for n in edge_sizes]


def test_records_count_labels_properties_and_set_values():
    from framework import AddToSet, KeepMax

    batch = plans([[Vertex("a", "A", {"x": 1, "y": 2, "seen": KeepMax(3), "tags": AddToSet("p", "q")})]])
    assert records(batch.vertices[0]) == 1 + 2 + 1 + 2


async def test_a_batchs_requests_are_in_flight_together(endpoint, captured, client_factory):
    endpoint.apply_settings({"latency_ms": 30.0})
    worker = GraphWorker(service="pipelined", config=WorkerConfig(deadline_margin_s=1.0, max_upserts_per_request=5),
                         telemetry=captured.telemetry, client=client_factory())

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        return [Vertex(f"c{msg['i']}", "C"), Vertex(f"o{msg['i']}", "O"), Edge("P", f"c{msg['i']}", f"o{msg['i']}")]

    records_ = [sqs_record(json.dumps({"i": i}), message_id=f"m{i}") for i in range(12)]
    assert await worker.process(sqs_event(records_), LocalLambdaContext(timeout_s=10)) == {"batchItemFailures": []}
    assert endpoint.stats.write_requests == 12  # one component (3 elements) a request, at most 5 elements
    # The server saw 4 requests at once (the initial in-flight limit): they were sent together, not one
    # after another. Counted by the server, not timed, so a slow machine cannot fail it.
    assert endpoint.stats.in_flight_max >= 4
    assert captured.values("InFlightPeak") and max(captured.values("InFlightPeak")) >= 4
    assert endpoint.store.edge_count() == 12


async def test_an_outage_opens_the_breaker_and_the_rest_of_the_batch_fails_fast(endpoint, captured,
                                                                                 client_factory):
    endpoint.apply_settings({"inject": {"code": "ThrottlingException", "rate": 1.0}})
    worker = GraphWorker(service="outage", config=WorkerConfig(deadline_margin_s=1.0, max_upserts_per_request=1),
                         telemetry=captured.telemetry,
                         client=client_factory(max_attempts=2, breaker_failures=2, breaker_cooldown_s=30,
                                               max_in_flight=1))

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        return [Vertex(msg["id"], "V")]

    response = await worker.process(sqs_event([sqs_record(json.dumps({"id": f"v{i}"}), message_id=f"m{i}")
                                               for i in range(10)]), LocalLambdaContext(timeout_s=10))
    assert len(response["batchItemFailures"]) == 10
    assert endpoint.stats.requests_total == 4  # two requests of two attempts, then the breaker opened
    assert captured.count("MessagesFailed", Reason="database_busy") == 2
    assert captured.count("MessagesFailed", Reason="circuit_open") == 8


# ---------------------------------------------------------------------------- redelivery backoff
def test_redelivery_delays_grow_by_four_with_jitter_and_caps():
    backoff = RedeliveryBackoff(base_s=60, max_s=3600, rng=random.Random(1))
    for n, ceiling in ((1, 60), (2, 240), (3, 960), (4, 3600), (9, 3600)):
        delays = [backoff.delay_for(n) for _ in range(50)]
        assert all(0.75 * ceiling - 1 <= d <= ceiling for d in delays), (n, min(delays), max(delays))


def test_redelivery_backoff_is_on_inside_lambda_by_default():
    assert enabled_from("auto", {"AWS_LAMBDA_FUNCTION_NAME": "f"})
    assert not enabled_from("auto", {}) and enabled_from("true", {}) and not enabled_from("false", {"X": "y"})


def test_queue_urls_from_the_event_source_arn():
    queue = QueueRef.from_arn("arn:aws:sqs:eu-west-1:123456789012:orders")
    assert queue is not None
    assert queue.url(None) == "https://sqs.eu-west-1.amazonaws.com/123456789012/orders"
    assert queue.url("http://127.0.0.1:9324/") == "http://127.0.0.1:9324/123456789012/orders"
    assert QueueRef.from_arn("not an arn") is None


async def test_breaker_transitions_and_refusals_say_why(endpoint, make_client, captured):
    """The open breaker's refusal names the failures that opened it; the caller's span (the worker's batch
    span, here a stand-in) records each transition with the state and that reason."""
    client = make_client(max_attempts=1, breaker_failures=2, breaker_cooldown_s=60)
    endpoint.apply_settings({"inject": {"code": "ThrottlingException", "rate": 1.0, "writes_only": False}})
    injected = "ThrottlingException: ThrottlingException injected by the local endpoint's chaos settings."
    with captured.telemetry.tracer.start_as_current_span("batch"):
        for _ in range(2):
            with pytest.raises(ThrottledError):
                await client.submit(g.V().count())
        with pytest.raises(CircuitOpen) as raised:
            await client.submit(g.V().count())
    reason = f"2 requests in a row failed: ThrottledError: {injected}"
    assert str(raised.value) == f"circuit breaker open ({reason}); not sent"
    (batch,) = captured.spans("batch")
    assert [(e.name, dict(e.attributes)) for e in batch.events] == [
        ("circuit_breaker", {"graphworker.breaker.state": "open", "graphworker.breaker.reason": reason})]


async def test_retries_are_span_events_with_attempt_backoff_and_error(endpoint, make_client, captured):
    client = make_client(max_attempts=3, backoff_base_s=0.001, backoff_max_s=0.001)
    endpoint.apply_settings({"inject": {"code": "ThrottlingException", "count": 2, "writes_only": False}})
    assert await client.submit(g.V().count()) == [0]
    (span,) = captured.spans("gremlin V count")
    events = [(e.name, e.attributes["graphworker.attempt"], e.attributes["error.type"]) for e in span.events]
    assert events == [("retry", 1, "ThrottlingException"), ("retry", 2, "ThrottlingException")]
    assert all(0 <= e.attributes["graphworker.backoff_s"] <= 0.001 for e in span.events)
