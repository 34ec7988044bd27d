"""The two SQS calls graphworker makes itself (GetQueueUrl, ChangeMessageVisibilityBatch), without an SDK.

Why not aiobotocore: the redelivery backoff (:mod:`framework.redelivery`) needs SQS exactly when
the database pushes back, and creating an aiobotocore client then cost an execution context
15-25 MB of memory and the SDK's import (measured in a fresh interpreter: +8.6 MB for the import,
+8.6 MB for the first client) at the worst moment. These calls are small JSON posts
(SQS's JSON protocol, ``X-Amz-Target: AmazonSQS.<Action>``), signed with the stdlib SigV4 signer
the Neptune handshake uses, over aiohttp, imported with this module (only when a backoff needs
SQS: the Neptune connection is the stdlib :mod:`framework.websocket`, so aiohttp is not on the
cold path); in Lambda the credentials come from the environment (the execution role's), read
without an SDK.

Errors are :class:`SqsApiError` with SQS's error code (``__type``) and message, or the transport
failure; each call is bounded by ``timeout_s``. ``AWS_ENDPOINT_URL_SQS`` (the SDK's variable)
points the client at a local SQS, as before.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from .signing import CredentialSource, ProviderChainCredentials
from .sigv4 import SigV4Signer

__all__ = ["SqsApi", "SqsApiError"]

_CONTENT_TYPE = "application/x-amz-json-1.0"


class SqsApiError(Exception):
    """An SQS call failed: SQS's error code and message, or why no answer came."""

    def __init__(self, action: str, code: str, message: str) -> None:
        super().__init__(f"SQS {action} failed: {code}: {message}")
        self.action = action
        self.code = code


class SqsApi:
    """One region's SQS endpoint; one HTTP session, opened on the first call and kept until :meth:`close`."""

    def __init__(self, region: str, *, endpoint: str | None = None, credentials: CredentialSource | None = None,
                 timeout_s: float = 5.0) -> None:
        self.region = region
        self.url = (endpoint.rstrip("/") + "/") if endpoint else f"https://sqs.{region}.amazonaws.com/"
        self._credentials = credentials or ProviderChainCredentials()
        self._signer = SigV4Signer("sqs", region)
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    async def get_queue_url(self, *, QueueName: str, QueueOwnerAWSAccountId: str) -> dict[str, Any]:
        """SQS ``GetQueueUrl`` (argument names as in SQS's API, like an SDK client's)."""
        return await self.call("GetQueueUrl",
                               {"QueueName": QueueName, "QueueOwnerAWSAccountId": QueueOwnerAWSAccountId})

    async def change_message_visibility_batch(self, *, QueueUrl: str,
                                              Entries: list[dict[str, Any]]) -> dict[str, Any]:
        """SQS ``ChangeMessageVisibilityBatch``: ``{"Successful": [...], "Failed": [...]}``."""
        return await self.call("ChangeMessageVisibilityBatch", {"QueueUrl": QueueUrl, "Entries": Entries})

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST one action; its JSON answer, or :class:`SqsApiError`."""
        if self._closed:
            raise SqsApiError(action, "ClientClosed", "the client was closed")
        body = json.dumps(payload).encode()
        credentials = await self._credentials.get()
        headers = self._signer.headers("POST", self.url, credentials.access_key, credentials.secret_key,
                                       credentials.token, body=body)
        headers.update({"Content-Type": _CONTENT_TYPE, "X-Amz-Target": f"AmazonSQS.{action}"})
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self.url, data=body, headers=headers) as response:
                text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SqsApiError(action, type(exc).__name__, str(exc) or "no answer") from exc
        try:
            answer = json.loads(text) if text else {}
        except ValueError:
            answer = {"message": text[:200]}
        if not isinstance(answer, dict):
            raise SqsApiError(action, "InvalidResponse", text[:200])
        if status >= 400:
            code = str(answer.get("__type") or f"HTTP {status}").rsplit("#", 1)[-1]
            raise SqsApiError(action, code, str(answer.get("message") or answer.get("Message") or ""))
        return answer

    async def close(self) -> None:
        """Close the HTTP session (idempotent); later calls fail with ``ClientClosed``."""
        self._closed = True
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
