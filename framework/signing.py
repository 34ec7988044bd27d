"""IAM auth: SigV4-sign the WebSocket handshake for ``neptune-db``.

Why here and timed: with IAM auth on, every connect must carry ``Authorization``,
``X-Amz-Date`` and (for session credentials) ``X-Amz-Security-Token`` headers made from the
execution role's credentials. The first signing in an execution context pays for credential
resolution and key derivation (a cold-start cost worth seeing); every reconnect re-signs with
current credentials, and a handshake refused with 403 triggers one forced refresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from aiobotocore.session import get_session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError

from .errors import ConfigError

SERVICE = "neptune-db"


@dataclass(frozen=True, slots=True)
class FrozenCredentials:
    access_key: str
    secret_key: str
    token: str | None = None


class CredentialSource(Protocol):
    """Where signing credentials come from; ``refresh=True`` must bypass any cache."""

    async def get(self, *, refresh: bool = False) -> FrozenCredentials: ...


class ProviderChainCredentials:
    """The standard AWS provider chain (env vars, web identity, container, instance), via aiobotocore.

    Resolved once per execution context and cached (aiobotocore refreshes temporary credentials
    before they expire); ``refresh=True`` resolves the chain again from scratch.
    """

    def __init__(self) -> None:
        self._resolved: Any = None

    async def get(self, *, refresh: bool = False) -> FrozenCredentials:
        if refresh or self._resolved is None:
            try:
                self._resolved = await get_session().get_credentials()
            except BotoCoreError as exc:
                raise ConfigError(f"USE_IAM is true but AWS credentials could not be resolved: {exc}") from exc
        if self._resolved is None:
            raise ConfigError("USE_IAM is true but no AWS credentials were found in the provider chain "
                              "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web identity, container or "
                              "instance role)")
        frozen = await self._resolved.get_frozen_credentials()
        return FrozenCredentials(frozen.access_key, frozen.secret_key, frozen.token)


@dataclass(frozen=True, slots=True)
class SignedHandshake:
    headers: dict[str, str]
    elapsed_ms: float
    cold_start: bool


class HandshakeSigner:
    """Makes SigV4 headers for ``GET /gremlin`` on a Neptune endpoint."""

    def __init__(self, region: str, credentials: CredentialSource | None = None) -> None:
        self.region = region
        self.credentials = credentials or ProviderChainCredentials()
        self._signed_before = False

    async def sign(self, url: str, *, refresh: bool = False) -> SignedHandshake:
        """Headers for the handshake to ``url`` (ws:// or wss://); timed, cold start flagged."""
        started = time.perf_counter()
        creds = await self.credentials.get(refresh=refresh)
        parts = urlsplit(url)
        http_url = urlunsplit(("https" if parts.scheme == "wss" else "http", parts.netloc, parts.path or "/",
                               parts.query, ""))
        request = AWSRequest(method="GET", url=http_url, data=None)
        SigV4Auth(Credentials(creds.access_key, creds.secret_key, creds.token), SERVICE, self.region).add_auth(
            request)
        headers = {k: str(v) for k, v in request.headers.items()}
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        cold = not self._signed_before
        self._signed_before = True
        return SignedHandshake(headers, elapsed_ms, cold)
