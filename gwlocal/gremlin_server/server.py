"""The local Gremlin endpoint: a WebSocket Gremlin server with Neptune's behaviour, plus control API.

One aiohttp application serves:

- ``GET /gremlin``: the Gremlin WebSocket protocol (TinkerPop Server 3.7, ``bytecode`` op on the
  ``traversal`` processor) in GraphBinary v1, GraphSON v3 and GraphSON v2;
- ``GET /status``: a Neptune-style health answer;
- ``GET /stats`` and ``/control/*``: the HTTP control API that tests and the demo use to turn
  Neptune's behaviours on and off at run time (see README, "Control API").

Why this shape: everything the framework must survive on Neptune (conflicts, failover,
throttling, idle and dropped connections, IAM signatures) is reproduced here on a real socket,
so the framework's tests exercise real gremlinpython code paths instead of mocks.

Request life cycle: decode -> (drop fault) -> op checks -> compile (once: is it a write?) ->
admission (bounded queue, else ThrottlingException) -> wait for a worker -> latency -> injected
faults -> role check -> execute in one transaction (a query the compiler refused fails here, as
if it had been compiled here) -> hold the write locks for ``hold_ms`` -> commit -> (drop fault)
-> stream results in pages (206 ... 200, or 204).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from gremlin_python.process.traversal import Traverser

from . import engine
from .errors import NeptuneError, read_only_violation
from .faults import FaultPlan
from .graph import GraphStore
from .settings import EndpointSettings, SettingsError
from .sigv4 import SigV4Error, TestCredentials, verify_sigv4
from .stats import EndpointStats
from .wire import RequestMessage, Serializer, WireError, decode_request

log = logging.getLogger("gwlocal.gremlin_server")

SUPPORTED_OPS_MESSAGE = (
    "The local Gremlin endpoint only accepts the 'bytecode' op on the 'traversal' processor "
    "(gremlinpython's DriverRemoteConnection and Client.submit with a traversal's bytecode); "
    "Groovy/string 'eval' scripts are not supported: send bytecode."
)


@dataclass(eq=False)
class _Connection:
    """One open WebSocket and what the endpoint knows about it."""

    id: int
    ws: web.WebSocketResponse
    request: web.Request
    peer: str
    failed_over: bool = False
    server_closed: bool = False
    """The endpoint closed or aborted this socket itself (so its end is not a client reset)."""
    in_flight: int = 0
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def abort(self) -> None:
        """Close the TCP socket with no close frame and no response: a dropped connection."""
        self.server_closed = True
        transport = self.request.transport
        if transport is not None:
            transport.abort()


class GremlinEndpoint:
    """The endpoint's state and its aiohttp application. Start with :meth:`start`."""

    def __init__(self, settings: EndpointSettings | None = None, *, seed: int | None = 0) -> None:
        self.settings = settings or EndpointSettings()
        self.settings.validate()
        self.seed = seed
        self.store = GraphStore(rng=random.Random(seed))
        self.stats = EndpointStats()
        self.faults = FaultPlan(seed)
        self._connections: dict[int, _Connection] = {}
        self._next_conn_id = 0
        self._workers = asyncio.Semaphore(self.settings.workers)
        self._runner: web.AppRunner | None = None
        self._changed: asyncio.Condition | None = None
        self._waiters = 0
        self._release: asyncio.Event | None = None
        self.holding = 0
        """Write requests currently holding their locks (between execution and commit)."""
        self.host: str | None = None
        self.port: int | None = None

    # ------------------------------------------------------------------ lifecycle
    def app(self) -> web.Application:
        app = web.Application(client_max_size=1024**2)
        app.router.add_get("/gremlin", self._handle_gremlin)
        app.router.add_get("/status", self._handle_status)
        app.router.add_get("/stats", self._handle_stats)
        app.router.add_get("/control/settings", self._handle_get_settings)
        app.router.add_route("PATCH", "/control/settings", self._handle_patch_settings)
        app.router.add_post("/control/settings", self._handle_patch_settings)
        app.router.add_post("/control/failover", self._handle_failover)
        app.router.add_post("/control/close-connections", self._handle_close_connections)
        app.router.add_post("/control/reset", self._handle_reset)
        app.router.add_post("/control/release-holds", self._handle_release_holds)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0, *, ssl_context: Any = None) -> int:
        """Listen on ``host:port`` (0 lets the OS choose); returns the bound port."""
        self._runner = web.AppRunner(self.app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=ssl_context)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.host = host
        self.port = int(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
        log.info("local Gremlin endpoint listening on ws://%s:%d/gremlin", host, self.port)
        return self.port

    async def stop(self) -> None:
        """Close every connection and stop listening. Idempotent."""
        for conn in list(self._connections.values()):
            conn.server_closed = True
            await conn.ws.close(code=1001, message=b"server shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}/gremlin"

    def _release_event(self) -> asyncio.Event:
        if self._release is None:
            self._release = asyncio.Event()
        return self._release

    def release_holds(self) -> int:
        """End every current lock hold now (tests hold "forever", then release when ready)."""
        held = self.holding
        if self._release is not None:
            self._release.set()
        self._release = asyncio.Event()
        return held

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _notify(self) -> None:
        """Wake :meth:`wait_for` callers: some observable state changed (free when nobody waits)."""
        if not self._waiters:
            return
        cond = self._condition()

        async def _wake() -> None:
            async with cond:
                cond.notify_all()

        asyncio.get_running_loop().create_task(_wake())

    async def wait_for(self, predicate: Callable[[GremlinEndpoint], bool], limit_s: float = 10.0) -> None:
        """Wait until ``predicate(self)`` holds (checked on every state change); for tests.

        Lets a test await "a write is holding its locks" or "the idle close happened" as an
        event rather than sleeping and hoping.
        """
        cond = self._condition()
        self._waiters += 1
        try:
            async with cond:
                await asyncio.wait_for(cond.wait_for(lambda: predicate(self)), limit_s)
        finally:
            self._waiters -= 1

    # ------------------------------------------------------------------ WebSocket
    async def _handle_gremlin(self, request: web.Request) -> web.StreamResponse:
        settings = self.settings
        if not settings.accept_connections:
            self.stats.connections_refused += 1
            return web.Response(status=503, text="Service Unavailable: the instance is not accepting connections",
                                content_type="text/plain")
        if len(self._connections) >= settings.max_connections:
            self.stats.connections_refused += 1
            return _neptune_http_error(
                429, "TooManyRequestsException",
                f"Connection refused: the endpoint allows at most {settings.max_connections} "
                "WebSocket connections.",
            )
        if settings.iam.enabled:
            try:
                verify_sigv4(
                    method=request.method,
                    path=request.rel_url.raw_path,
                    query_string=request.rel_url.raw_query_string,
                    headers=request.headers,
                    credentials=[
                        TestCredentials(c.access_key, c.secret_key, c.session_token)
                        for c in settings.iam.credentials
                    ],
                    region=settings.iam.region,
                    max_skew_seconds=settings.iam.max_skew_seconds,
                )
            except SigV4Error as exc:
                self.stats.handshake_auth_failures += 1
                return _neptune_http_error(403, "AccessDeniedException", f"Signature rejected: {exc}")

        # timeout: how long a server-initiated close waits for the client's close reply.
        ws = web.WebSocketResponse(max_msg_size=settings.max_request_bytes + 1024**2, autoping=True, timeout=1.0)
        await ws.prepare(request)
        self._next_conn_id += 1
        peer = request.remote or "unknown"
        conn = _Connection(self._next_conn_id, ws, request, peer)
        self._connections[conn.id] = conn
        self.stats.connections_open += 1
        self.stats.connections_total += 1
        self._notify()
        try:
            await self._read_loop(conn)
        finally:
            for task in list(conn.tasks):
                # Requests already executing run to completion, as on Neptune; only wait for them.
                with contextlib.suppress(Exception):
                    await task
            self._connections.pop(conn.id, None)
            self.stats.connections_open -= 1
            self._notify()
        return ws

    async def _read_loop(self, conn: _Connection) -> None:
        ws = conn.ws
        while not ws.closed:
            try:
                msg = await ws.receive(timeout=self.settings.idle_timeout_s)
            except TimeoutError:
                if conn.in_flight:
                    continue
                self.stats.idle_closes += 1
                conn.server_closed = True
                await ws.close(code=1001, message=b"idle timeout")
                self._notify()
                return
            if msg.type in (WSMsgType.BINARY, WSMsgType.TEXT):
                conn.in_flight += 1
                task = asyncio.create_task(self._serve_request(conn, msg.data))
                conn.tasks.add(task)
                task.add_done_callback(conn.tasks.discard)
            elif msg.type == WSMsgType.CLOSE:
                self.stats.client_closes += 1
                return
            elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                if not conn.server_closed:
                    self.stats.client_resets += 1
                return

    async def _serve_request(self, conn: _Connection, payload: bytes | str) -> None:
        try:
            await self._serve_request_inner(conn, payload)
        except Exception:  # pragma: no cover - a bug in the endpoint; keep serving others
            log.exception("local Gremlin endpoint failed on a request")
        finally:
            conn.in_flight -= 1

    async def _serve_request_inner(self, conn: _Connection, payload: bytes | str) -> None:
        try:
            req = decode_request(payload)
        except WireError as exc:
            await self._reply_wire_error(conn, exc)
            return
        request_id = str(req.request_id)
        size = len(payload)
        if size > self.settings.max_request_bytes:
            await self._reply_error(conn, req, NeptuneError(
                "BadRequestException",
                f"Request size {size} bytes exceeds the maximum of {self.settings.max_request_bytes}.",
            ))
            return
        drop = self.faults.drop_mode(self.settings)
        if drop == "before_execute":
            self._drop(conn)
            return
        if req.op != "bytecode":
            await self._reply_error(conn, req, NeptuneError("UnsupportedOperationException",
                                                            f"op '{req.op}' refused. {SUPPORTED_OPS_MESSAGE}"))
            return
        if req.processor != "traversal":
            await self._reply_error(conn, req, NeptuneError(
                "UnsupportedOperationException",
                f"processor '{req.processor}' refused. {SUPPORTED_OPS_MESSAGE}"))
            return
        try:
            results = await self._run(conn, req)
        except NeptuneError as exc:
            await self._reply_error(conn, req, exc)
            return
        except Exception as exc:
            log.exception("internal failure executing request %s", request_id)
            await self._reply_error(conn, req, NeptuneError("InternalFailureException", str(exc)))
            return
        if drop == "after_commit":
            self._drop(conn)
            return
        await self._reply_results(conn, req, results)

    async def _run(self, conn: _Connection, req: RequestMessage) -> list[Any]:
        """Admission, worker, faults, role, execution and commit of one request."""
        bytecode = req.args.get("gremlin")
        aliases = req.args.get("aliases") or {"g": "g"}
        if not isinstance(aliases, dict) or aliases.get("g", "g") != "g":
            raise NeptuneError("InvalidParameterException",
                               f"Unknown traversal source alias {aliases!r}; only 'g' exists.")
        if bytecode is None:
            raise NeptuneError("MissingParameterException", "The 'gremlin' argument (bytecode) is required.")
        # Compile once, up front (is it a write?); a refusal is reported where execution would
        # have started, after admission and injected faults, exactly as when compiling there.
        prepared: engine.Prepared | NeptuneError
        try:
            prepared = engine.prepare(bytecode)
            is_write = prepared.is_write
        except NeptuneError as exc:
            prepared = exc
            is_write = engine.is_mutating(bytecode)
        settings = self.settings
        if self.stats.queue_depth >= settings.queue_limit:
            raise NeptuneError(
                "ThrottlingException",
                f"Max number of request have breached, ConfiguredQueueCapacity={settings.queue_limit}: "
                "the request queue is full.",
            )
        workers = self._workers
        self.stats.enter_queue()
        self._notify()
        try:
            await workers.acquire()
        finally:
            self.stats.leave_queue()
        self.stats.enter_flight()
        self._notify()
        try:
            return await self._execute(conn, req, bytecode, prepared, is_write)
        finally:
            self.stats.leave_flight()
            workers.release()
            self._notify()

    async def _execute(self, conn: _Connection, req: RequestMessage, bytecode: Any,
                       prepared: engine.Prepared | NeptuneError, is_write: bool) -> list[Any]:
        settings = self.settings
        started = time.monotonic()
        timeout_ms = settings.query_timeout_ms
        for candidate in (req.args.get("evaluationTimeout"), engine.evaluation_timeout_ms(bytecode)):
            if isinstance(candidate, int) and candidate > 0:
                timeout_ms = min(timeout_ms, candidate)
        deadline = started + timeout_ms / 1000.0
        if settings.latency_ms > 0:
            await asyncio.sleep(min(settings.latency_ms / 1000.0, timeout_ms / 1000.0))
        if time.monotonic() >= deadline:
            raise _time_limit(timeout_ms)
        injected = self.faults.injected_error(settings, is_write=is_write)
        if injected is not None:
            raise injected
        read_only = settings.role == "reader" or conn.failed_over
        if is_write:
            self.stats.write_requests += 1
            if read_only:
                raise read_only_violation()
            conflict = self.faults.injected_conflict(settings)
            if conflict is not None:
                raise conflict
        txn = self.store.begin(str(req.request_id), read_only=read_only)
        try:
            if isinstance(prepared, NeptuneError):
                raise prepared
            results = engine.execute(prepared, txn, deadline=deadline)
        except BaseException:
            txn.rollback()
            raise
        if is_write and settings.hold_ms > 0:
            # Hold the write locks: requests touching the same elements now conflict.
            self.holding += 1
            self._notify()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._release_event().wait(), settings.hold_ms / 1000.0)
            finally:
                self.holding -= 1
                txn.commit()
        else:
            txn.commit()
        return results

    # ------------------------------------------------------------------ replies
    def _drop(self, conn: _Connection) -> None:
        self.stats.dropped_responses += 1
        conn.abort()
        self._notify()

    async def _send(self, conn: _Connection, serializer: Serializer, frame: bytes) -> None:
        async with conn.send_lock:
            if conn.ws.closed:
                return
            with contextlib.suppress(ConnectionError):
                if getattr(serializer, "text_frames", False):
                    await conn.ws.send_str(frame.decode("utf-8"))
                else:
                    await conn.ws.send_bytes(frame)

    async def _reply_results(self, conn: _Connection, req: RequestMessage, results: list[Any]) -> None:
        attributes = {"host": f"/{conn.peer}"}
        if not results:
            self.stats.record_status(204)
            self._notify()
            frame = req.serializer.encode_response(req.request_id, 204, "", attributes, None, {})
            await self._send(conn, req.serializer, frame)
            return
        batch = req.args.get("batchSize")
        page = batch if isinstance(batch, int) and batch > 0 else self.settings.batch_size
        traversers = [Traverser(r, 1) for r in results]
        try:
            # Encode every page before sending any, so an unserializable value fails cleanly.
            frames = [
                req.serializer.encode_response(
                    req.request_id, 200 if start + page >= len(traversers) else 206, "",
                    attributes if start + page >= len(traversers) else {}, traversers[start:start + page], {})
                for start in range(0, len(traversers), page)
            ]
        except WireError as exc:
            await self._reply_error(conn, req, NeptuneError(
                "UnsupportedOperationException",
                f"The result cannot be serialized as {req.serializer.mime_type}: {exc}"))
            return
        self.stats.record_status(200)
        self._notify()
        for frame in frames:
            await self._send(conn, req.serializer, frame)

    async def _reply_error(self, conn: _Connection, req: RequestMessage, exc: NeptuneError) -> None:
        self.stats.record_status(exc.http_status, exc.code)
        self._notify()
        frame = req.serializer.encode_response(
            req.request_id, exc.http_status, exc.status_message(str(req.request_id)),
            {"exceptions": [exc.code]}, None, {},
        )
        await self._send(conn, req.serializer, frame)

    async def _reply_wire_error(self, conn: _Connection, exc: WireError) -> None:
        err = NeptuneError("MalformedQueryException", f"Could not decode the request: {exc}")
        self.stats.record_status(err.http_status, err.code)
        self._notify()
        if exc.serializer is None:
            # Not even the mime type is known: nothing the client could parse; close instead.
            await conn.ws.close(code=1003, message=str(exc).encode()[:120])
            return
        request_id = exc.request_id or uuid.UUID(int=0)
        frame = exc.serializer.encode_response(
            request_id, err.http_status, err.status_message(str(request_id)), {}, None, {}
        )
        await self._send(conn, exc.serializer, frame)

    # ------------------------------------------------------------------ HTTP control API
    def stats_json(self) -> dict[str, Any]:
        return self.stats.to_json(
            vertices=self.store.vertex_count(), edges=self.store.edge_count(), role=self.settings.role
        )

    async def _handle_status(self, request: web.Request) -> web.Response:
        return web.json_response({
            "status": "healthy",
            "role": self.settings.role,
            "dbEngineVersion": "graphworker-local",
            "gremlin": {"version": "tinkerpop-3.7"},
        })

    async def _handle_stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.stats_json())

    async def _handle_get_settings(self, request: web.Request) -> web.Response:
        return web.json_response(self.settings.to_json())

    async def _handle_patch_settings(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        try:
            self.apply_settings(body)
        except SettingsError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(self.settings.to_json())

    def apply_settings(self, patch: dict[str, Any]) -> EndpointSettings:
        """Validate and apply a settings patch (also used in-process by tests and the CLI)."""
        new = self.settings.patched(patch)
        if new.workers != self.settings.workers:
            self._workers = asyncio.Semaphore(new.workers)
        self.settings = new
        return new

    async def _handle_failover(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        drop = bool(body.get("drop_connections", False))
        affected = await self.failover(drop_connections=drop)
        return web.json_response({"failed_over_connections": affected, "dropped": drop})

    async def failover(self, *, drop_connections: bool = False) -> int:
        """Neptune failover: every open connection now talks to a read-only ex-writer.

        New connections (a client reconnecting to the cluster endpoint) reach the new writer.
        """
        self.stats.failovers += 1
        conns = list(self._connections.values())
        for conn in conns:
            conn.failed_over = True
        if drop_connections:
            for conn in conns:
                conn.abort()
        return len(conns)

    async def _handle_close_connections(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        closed = await self.close_connections(abort=bool(body.get("abort", False)))
        return web.json_response({"closed": closed})

    async def close_connections(self, *, abort: bool = False) -> int:
        """Server-side close of every connection (a close frame, or an abrupt abort)."""
        conns = list(self._connections.values())
        for conn in conns:
            self.stats.server_closes += 1
            if abort:
                conn.abort()
            else:
                conn.server_closed = True
                await conn.ws.close(code=1001, message=b"closed by the endpoint's control API")
        return len(conns)

    async def _handle_release_holds(self, request: web.Request) -> web.Response:
        return web.json_response({"released": self.release_holds()})

    async def _handle_reset(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        self.reset(graph=bool(body.get("graph", True)), stats=bool(body.get("stats", True)),
                   settings=bool(body.get("settings", False)), seed=body.get("seed", self.seed))
        return web.json_response({"reset": True})

    def reset(self, *, graph: bool = True, stats: bool = True, settings: bool = False,
              seed: int | None = None) -> None:
        if graph:
            self.store.reset()
        if stats:
            open_now = self.stats.connections_open
            self.stats = EndpointStats(connections_open=open_now)
        if settings:
            self.apply_settings(EndpointSettings().to_json())
        self.faults.reseed(seed)


def _time_limit(timeout_ms: int) -> NeptuneError:
    return NeptuneError(
        "TimeLimitExceededException",
        f"A timeout occurred within the Amazon Neptune engine while processing the request "
        f"(timeout {timeout_ms} ms).",
    )


def _neptune_http_error(status: int, code: str, message: str) -> web.Response:
    body = {"requestId": str(uuid.uuid4()), "code": code, "detailedMessage": message}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json")


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise web.HTTPBadRequest(text=json.dumps({"error": f"body is not JSON: {exc}"}),
                                 content_type="application/json") from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "body must be a JSON object"}),
                                 content_type="application/json")
    return body
