"""Counters and gauges of the local endpoint, served at ``GET /stats``.

Why: tests prove "no leaked connections" and "the conflict was really retried" from the
server's side, not from the client's own bookkeeping, and the local dashboard draws the same
back-pressure picture the Neptune CloudWatch metrics draw in AWS. ``neptune_metrics`` names the
Neptune CloudWatch metric each number stands in for.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class EndpointStats:
    started_at: float = field(default_factory=time.time)
    requests_total: int = 0
    requests_ok: int = 0
    requests_by_status: Counter[int] = field(default_factory=Counter)
    errors_by_code: Counter[str] = field(default_factory=Counter)
    write_requests: int = 0
    connections_open: int = 0
    connections_total: int = 0
    connections_refused: int = 0
    handshake_auth_failures: int = 0
    idle_closes: int = 0
    server_closes: int = 0
    client_closes: int = 0
    client_resets: int = 0
    dropped_responses: int = 0
    queue_depth: int = 0
    queue_depth_max: int = 0
    in_flight: int = 0
    in_flight_max: int = 0
    failovers: int = 0

    def record_status(self, status: int, code: str | None = None) -> None:
        self.requests_total += 1
        self.requests_by_status[status] += 1
        if code is None:
            self.requests_ok += 1
        else:
            self.errors_by_code[code] += 1

    def enter_queue(self) -> None:
        self.queue_depth += 1
        self.queue_depth_max = max(self.queue_depth_max, self.queue_depth)

    def leave_queue(self) -> None:
        self.queue_depth -= 1

    def enter_flight(self) -> None:
        self.in_flight += 1
        self.in_flight_max = max(self.in_flight_max, self.in_flight)

    def leave_flight(self) -> None:
        self.in_flight -= 1

    def to_json(self, *, vertices: int, edges: int, role: str) -> dict[str, Any]:
        uptime = max(time.time() - self.started_at, 1e-9)
        client_errors = sum(n for s, n in self.requests_by_status.items() if 400 <= s < 500)
        server_errors = sum(n for s, n in self.requests_by_status.items() if s >= 500)
        return {
            "role": role,
            "uptime_s": round(uptime, 3),
            "vertices": vertices,
            "edges": edges,
            "requests_total": self.requests_total,
            "requests_ok": self.requests_ok,
            "write_requests": self.write_requests,
            "requests_by_status": {str(k): v for k, v in sorted(self.requests_by_status.items())},
            "errors_by_code": dict(sorted(self.errors_by_code.items())),
            "connections": {
                "open": self.connections_open,
                "total": self.connections_total,
                "refused": self.connections_refused,
                "auth_failures": self.handshake_auth_failures,
                "idle_closes": self.idle_closes,
                "server_closes": self.server_closes,
                "client_closes": self.client_closes,
                "client_resets": self.client_resets,
            },
            "dropped_responses": self.dropped_responses,
            "queue_depth": self.queue_depth,
            "queue_depth_max": self.queue_depth_max,
            "in_flight": self.in_flight,
            "in_flight_max": self.in_flight_max,
            "failovers": self.failovers,
            "neptune_metrics": {
                "MainRequestQueuePendingRequests": self.queue_depth,
                "GremlinWebSocketOpenConnections": self.connections_open,
                "GremlinRequestsPerSec": round(self.requests_total / uptime, 3),
                "GremlinErrors": sum(self.errors_by_code.values()),
                "TotalClientErrorsPerSec": round(client_errors / uptime, 3),
                "TotalServerErrorsPerSec": round(server_errors / uptime, 3),
            },
        }
