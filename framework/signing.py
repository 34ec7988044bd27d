"""IAM auth: SigV4-sign the WebSocket handshake for ``neptune-db``.

Why here and timed: with IAM auth on, every connect must carry ``Authorization``,
``X-Amz-Date`` and (for session credentials) ``X-Amz-Security-Token`` headers made from the
execution role's credentials. The first signing in an execution context pays for credential
resolution and key derivation (a cold-start cost worth seeing); every reconnect re-signs with
current credentials, and a handshake refused with 403 triggers one forced refresh.

Why so little is imported: this module is imported by the client whether or not IAM is on, and a
Lambda cold start pays for every import. Signing itself is :mod:`framework.sigv4` (stdlib only).
Credentials come from the standard AWS provider chain, whose first link is the environment
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``, which is where Lambda puts
the execution role's credentials): read directly, without botocore. Only when the environment
has no credentials (a laptop with a profile, a container or instance role, web identity) is
aiobotocore imported to walk the rest of the chain.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import ConfigError
from .sigv4 import SigV4Signer

SERVICE = "neptune-db"


@dataclass(frozen=True, slots=True)
class FrozenCredentials:
    access_key: str
    secret_key: str
    token: str | None = None


class CredentialSource(Protocol):
    """Where signing credentials come from; ``refresh=True`` must bypass any cache."""

    async def get(self, *, refresh: bool = False) -> FrozenCredentials: ...


def environment_credentials(env: Mapping[str, str] | None = None) -> FrozenCredentials | None:
    """Credentials from the environment variables, as the provider chain's first link reads them
    (``AWS_SECURITY_TOKEN`` is the legacy name of the session token); None when absent."""
    env = os.environ if env is None else env
    key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not key or not secret:
        return None
    return FrozenCredentials(key, secret, env.get("AWS_SESSION_TOKEN") or env.get("AWS_SECURITY_TOKEN") or None)


class ProviderChainCredentials:
    """The standard AWS provider chain (env vars, web identity, container, instance).

    Resolved once per execution context and cached; ``refresh=True`` resolves the chain again
    from scratch. Environment credentials are read directly (no SDK import: the Lambda case).
    Otherwise the rest of the chain is resolved through aiobotocore, imported then, which also
    refreshes temporary credentials before they expire.
    """

    def __init__(self) -> None:
        self._from_env: FrozenCredentials | None = None
        self._resolved: Any = None

    async def get(self, *, refresh: bool = False) -> FrozenCredentials:
        if refresh:
            self._from_env = self._resolved = None
        if self._from_env is None and self._resolved is None:
            self._from_env = environment_credentials()
        if self._from_env is not None:
            return self._from_env
        return await self._from_sdk_chain()

    async def _from_sdk_chain(self) -> FrozenCredentials:
        from aiobotocore.session import get_session  # the rest of the chain: only when env has none
        from botocore.exceptions import BotoCoreError

        if self._resolved is None:
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
        self._sigv4 = SigV4Signer(SERVICE, region)
        self._signed_before = False

    async def sign(self, url: str, *, refresh: bool = False) -> SignedHandshake:
        """Headers for the handshake to ``url`` (ws:// or wss://); timed, cold start flagged."""
        started = time.perf_counter()
        creds = await self.credentials.get(refresh=refresh)
        headers = self._sigv4.headers("GET", url, creds.access_key, creds.secret_key, creds.token)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        cold = not self._signed_before
        self._signed_before = True
        return SignedHandshake(headers, elapsed_ms, cold)
