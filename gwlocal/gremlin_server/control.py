"""Clients for the endpoint's HTTP control API: sync (urllib) and async (aiohttp).

Why two: sync gremlinpython tests run the endpoint on a background thread and steer it from
the test thread; async framework tests run the endpoint on their own event loop, where a
blocking urllib call would deadlock the server it is talking to.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import aiohttp


class ControlError(RuntimeError):
    """The control API refused a call (e.g. a settings patch with a bad value)."""


_ROUTES = {
    "settings": ("PATCH", "/control/settings"),
    "get_settings": ("GET", "/control/settings"),
    "stats": ("GET", "/stats"),
    "status": ("GET", "/status"),
    "failover": ("POST", "/control/failover"),
    "close_connections": ("POST", "/control/close-connections"),
    "reset": ("POST", "/control/reset"),
    "release_holds": ("POST", "/control/release-holds"),
}


class ControlClient:
    """Blocking control client: ``ControlClient("http://127.0.0.1:8182")``."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def call(self, route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        method, path = _ROUTES[route]
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read())  # type: ignore[no-any-return]
        except urllib.error.HTTPError as exc:
            raise ControlError(f"{method} {path} -> {exc.code}: {exc.read().decode()}") from exc

    def settings(self, **patch: Any) -> dict[str, Any]:
        return self.call("settings", patch)

    def stats(self) -> dict[str, Any]:
        return self.call("stats")

    def failover(self, drop_connections: bool = False) -> dict[str, Any]:
        return self.call("failover", {"drop_connections": drop_connections})

    def close_connections(self, abort: bool = False) -> dict[str, Any]:
        return self.call("close_connections", {"abort": abort})

    def reset(self, **body: Any) -> dict[str, Any]:
        return self.call("reset", body)

    def release_holds(self) -> dict[str, Any]:
        return self.call("release_holds", {})


class AsyncControlClient:
    """Non-blocking control client for code that shares the endpoint's event loop."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def call(self, route: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        method, path = _ROUTES[route]
        async with aiohttp.ClientSession() as session, session.request(
            method, self.base_url + path, json=body
        ) as resp:
            payload = await resp.json()
            if resp.status >= 400:
                raise ControlError(f"{method} {path} -> {resp.status}: {payload}")
            return payload  # type: ignore[no-any-return]

    async def settings(self, **patch: Any) -> dict[str, Any]:
        return await self.call("settings", patch)

    async def stats(self) -> dict[str, Any]:
        return await self.call("stats")

    async def failover(self, drop_connections: bool = False) -> dict[str, Any]:
        return await self.call("failover", {"drop_connections": drop_connections})

    async def close_connections(self, abort: bool = False) -> dict[str, Any]:
        return await self.call("close_connections", {"abort": abort})

    async def reset(self, **body: Any) -> dict[str, Any]:
        return await self.call("reset", body)

    async def release_holds(self) -> dict[str, Any]:
        return await self.call("release_holds", {})
