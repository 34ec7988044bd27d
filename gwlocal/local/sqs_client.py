"""A small async client for SQS's JSON protocol, for the local pipeline's hot path.

Why not the AWS SDK here: measured against the local SQS (``bench/sqs_standins.py``, and a
profile of ``graphworker local``), aiobotocore spends about 1 ms of CPU per call building,
signing and parsing; this client about 0.25 ms. At a thousand messages a second that is a
quarter of a core the handlers would otherwise not get, on the same process. The wire is the
one the AWS SDKs speak to SQS (``POST /`` with ``X-Amz-Target: AmazonSQS.<Action>`` and a JSON
body, ``application/x-amz-json-1.0``), and responses are returned as the SDKs return them for
this protocol (the JSON object, field names unchanged), so the event source mapping builds
Lambda's records from exactly what an SDK would have handed it (tests compare the two).

Requests are not signed: the local servers do not check signatures, and this client is only
ever pointed at a local server (real SQS would refuse it). They carry an ``Authorization``
header with a SigV4 credential scope and no real signature, because the local servers read
the service (moto routes by it) and the region from that scope. Tests that re-verify SQS behaviour
use the SDK (aiobotocore), the client users' own code uses.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp

RETRYABLE_CODES = frozenset({"ServiceUnavailable", "InternalError", "InternalFailure", "RequestThrottled",
                             "ThrottlingException", "KmsThrottled"})
ATTEMPTS = 4


class SqsError(RuntimeError):
    """SQS answered with an error: ``code`` is the error's type (``QueueDoesNotExist``...)."""

    def __init__(self, action: str, status: int, code: str, message: str) -> None:
        super().__init__(f"{action}: {code} (HTTP {status}): {message}")
        self.action = action
        self.status = status
        self.code = code


class SqsJsonClient:
    """``await client.call("ReceiveMessage", {...})``; close with :meth:`close`."""

    def __init__(self, endpoint_url: str, *, region: str = "us-east-1", max_connections: int = 32,
                 long_poll_margin_s: float = 10.0) -> None:
        self.endpoint_url = endpoint_url.rstrip("/") + "/"
        self.authorization = (f"AWS4-HMAC-SHA256 Credential=local/{time.strftime('%Y%m%d', time.gmtime())}/{region}"
                              "/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=unsigned")
        self.long_poll_margin_s = long_poll_margin_s
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=max_connections, use_dns_cache=True))

    async def close(self) -> None:
        await self._session.close()

    async def call(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """One API call; server-side and connection failures are retried (as the SDKs' standard mode)."""
        data = json.dumps(body)
        headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{action}",
                   "Authorization": self.authorization}
        timeout = aiohttp.ClientTimeout(total=float(body.get("WaitTimeSeconds", 0)) + self.long_poll_margin_s)
        for attempt in range(ATTEMPTS):
            try:
                async with self._session.post(self.endpoint_url, data=data, headers=headers,
                                              timeout=timeout) as response:
                    raw = await response.read()
                    status = response.status
            except (aiohttp.ClientConnectionError, TimeoutError) as exc:
                if attempt + 1 == ATTEMPTS:
                    raise SqsError(action, 0, "ConnectionError", f"{type(exc).__name__}: {exc}") from exc
            else:
                try:
                    payload = json.loads(raw) if raw else {}
                except ValueError:  # an error page, not an SQS answer (moto's server answers 500s in HTML)
                    payload = {}
                if status < 300 and isinstance(payload, dict):
                    return payload
                code = str(payload.get("__type", "")).rsplit("#", 1)[-1] or f"HTTP{status}"
                message = payload.get("message") or payload.get("Message") or raw[:200].decode(errors="replace")
                error = SqsError(action, status, code, str(message))
                if (status < 500 and code not in RETRYABLE_CODES) or attempt + 1 == ATTEMPTS:
                    raise error
            await asyncio.sleep(0.05 * 2 ** attempt)  # backing off before the retry
        raise AssertionError("unreachable")
