"""AWS Signature Version 4, stdlib only: the Neptune WebSocket handshake and the few SQS calls made.

Why not botocore's ``SigV4Auth``: importing ``botocore.auth`` pulls in botocore's compatibility
layer and urllib3 (~90 ms on a developer laptop, several times that on a 512 MB Lambda), all to
compute four HMACs and a SHA-256 for one ``GET /gremlin``. Signing is a cold-start cost paid by
every execution context with IAM auth on, so graphworker signs with ``hashlib``/``hmac`` as the
specification defines it (canonical request -> string to sign -> derived signing key). Tests
check every output against botocore's signer bit for bit, and the handshake against the local
endpoint's independent verifier.

The derived signing key depends only on the secret key, the date, the region and the service, so
it is cached: a re-sign in the same day (every reconnect) costs two SHA-256s and one HMAC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def _host_header(url: str) -> tuple[str, str, str]:
    """(host header value, canonical path, canonical query) of ``url``, as an HTTP client sends them.

    The port is part of the host header unless it is the scheme's default (what
    :mod:`framework.websocket` sends, as aiohttp did, and what the verifier reads).
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{port}"
    path = quote(parts.path or "/", safe="/~")
    pairs = []
    for item in parts.query.split("&") if parts.query else []:
        key, _, value = item.partition("=")
        pairs.append((quote(key, safe="-_.~"), quote(value, safe="-_.~")))
    query = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    return host, path, query


class SigV4Signer:
    """Signs body-less requests for one service and region; caches the day's signing key."""

    def __init__(self, service: str, region: str) -> None:
        self.service = service
        self.region = region
        self._key_cache: tuple[tuple[str, str], bytes] | None = None

    def signing_key(self, secret_key: str, datestamp: str) -> bytes:
        """``kSigning`` for ``datestamp`` (YYYYMMDD): derived once per secret and day."""
        cached = self._key_cache
        if cached is not None and cached[0] == (secret_key, datestamp):
            return cached[1]
        k_date = _hmac(("AWS4" + secret_key).encode("utf-8"), datestamp)
        k_region = _hmac(k_date, self.region)
        k_service = _hmac(k_region, self.service)
        key = _hmac(k_service, "aws4_request")
        self._key_cache = ((secret_key, datestamp), key)
        return key

    def headers(self, method: str, url: str, access_key: str, secret_key: str, token: str | None = None,
                *, now: dt.datetime | None = None, body: bytes = b"") -> dict[str, str]:
        """``X-Amz-Date``, ``X-Amz-Security-Token`` (with a session token) and ``Authorization``
        for ``method url`` with ``body`` (empty for the handshake). The HTTP client sends ``Host``
        itself; it is signed as :func:`_host_header` computes it. Other headers (a body's
        ``Content-Type``, SQS's ``X-Amz-Target``) are sent unsigned, which SigV4 allows."""
        moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
        datestamp = amz_date[:8]
        host, path, query = _host_header(url)
        signed = {"host": host, "x-amz-date": amz_date}
        if token:
            signed["x-amz-security-token"] = token
        names = sorted(signed)
        canonical_headers = "".join(f"{name}:{' '.join(signed[name].split())}\n" for name in names)
        signed_headers = ";".join(names)
        canonical_request = "\n".join(
            (method.upper(), path, query, canonical_headers, signed_headers,
             hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256))
        scope = f"{datestamp}/{self.region}/{self.service}/aws4_request"
        string_to_sign = "\n".join(
            (ALGORITHM, amz_date, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()))
        signature = hmac.new(self.signing_key(secret_key, datestamp), string_to_sign.encode("utf-8"),
                             hashlib.sha256).hexdigest()
        out = {"X-Amz-Date": amz_date}
        if token:
            out["X-Amz-Security-Token"] = token
        out["Authorization"] = (f"{ALGORITHM} Credential={access_key}/{scope}, "
                                f"SignedHeaders={signed_headers}, Signature={signature}")
        return out
