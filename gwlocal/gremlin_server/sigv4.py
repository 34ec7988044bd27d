"""AWS Signature Version 4 verification for the WebSocket handshake, as Neptune IAM auth does it.

With IAM auth on, a Neptune client signs the ``GET /gremlin`` upgrade request for service
``neptune-db`` and sends ``Authorization``, ``X-Amz-Date``, ``Host`` and, with temporary
credentials, ``X-Amz-Security-Token``. This verifier recomputes the signature from the request
exactly as the SigV4 specification defines it (canonical request -> string to sign -> derived
signing key) using only ``hashlib``/``hmac``: reusing botocore here would let a bug in how the
client signs hide behind the same bug in how we check.

Every rejection is a ``SigV4Error`` whose ``reason`` names the one thing that is wrong, so a test or
a developer can tell a clock problem from a wrong key from a wrong region at a glance.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class TestCredentials:
    """An access key the local endpoint accepts (optionally temporary, with its session token)."""

    __test__ = False  # not a pytest test class, despite the name

    access_key: str
    secret_key: str
    session_token: str | None = None


class SigV4Error(Exception):
    """The handshake's signature was rejected; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Authorization:
    access_key: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str


def verify_sigv4(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    credentials: Sequence[TestCredentials],
    region: str,
    service: str = "neptune-db",
    now: dt.datetime | None = None,
    max_skew_seconds: int = 300,
) -> TestCredentials:
    """Check a SigV4-signed request; return the credentials that signed it or raise ``SigV4Error``.

    ``path`` and ``query_string`` are the raw (still percent-encoded) request target, as received.
    ``headers`` may be any mapping, including aiohttp's case-insensitive multi-dict (repeated
    headers are joined with commas, as SigV4 canonicalization requires). ``now`` is the server
    clock (UTC); tests pass it to check expiry without sleeping.
    """
    lowered = _lower_headers(headers)
    auth = _parse_authorization(lowered.get("authorization"))

    matching = [c for c in credentials if c.access_key == auth.access_key]
    if not matching:
        raise SigV4Error(f"unknown access key {auth.access_key!r}")
    if auth.service != service:
        raise SigV4Error(f"wrong service {auth.service!r} in credential scope (expected {service!r})")
    if auth.region != region:
        raise SigV4Error(f"wrong region {auth.region!r} in credential scope (expected {region!r})")

    amz_date = lowered.get("x-amz-date")
    if amz_date is None:
        raise SigV4Error("missing X-Amz-Date header")
    try:
        signed_at = dt.datetime.strptime(amz_date, _AMZ_DATE_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError as exc:
        raise SigV4Error(f"malformed X-Amz-Date {amz_date!r} (expected YYYYMMDDTHHMMSSZ)") from exc
    if auth.date != amz_date[:8]:
        raise SigV4Error(f"credential scope date {auth.date} does not match X-Amz-Date {amz_date}")
    server_now = now if now is not None else dt.datetime.now(dt.UTC)
    if server_now.tzinfo is None:
        server_now = server_now.replace(tzinfo=dt.UTC)
    skew = abs((server_now - signed_at).total_seconds())
    if skew > max_skew_seconds:
        raise SigV4Error(
            f"request expired (X-Amz-Date {amz_date} is {skew:.0f} s from server time; "
            f"max {max_skew_seconds} s)"
        )

    if "host" not in auth.signed_headers:
        raise SigV4Error("SignedHeaders does not include host")
    if "x-amz-date" not in auth.signed_headers:
        raise SigV4Error("SignedHeaders does not include x-amz-date")
    for name in auth.signed_headers:
        if name not in lowered:
            raise SigV4Error(f"signed header {name!r} is missing from the request")

    token = lowered.get("x-amz-security-token")
    canonical = _canonical_request(method, path, query_string, lowered, auth.signed_headers)
    string_to_sign = "\n".join([
        ALGORITHM,
        amz_date,
        f"{auth.date}/{auth.region}/{auth.service}/aws4_request",
        hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
    ])
    token_problem: str | None = None
    for candidate in matching:
        expected = _signature(candidate.secret_key, auth.date, auth.region, auth.service, string_to_sign)
        if not hmac.compare_digest(expected, auth.signature):
            continue
        # The signature is right; now the session token must belong to these credentials.
        token_problem = _token_problem(candidate, token)
        if token_problem is None:
            return candidate
    raise SigV4Error(token_problem or "signature mismatch")


def _token_problem(credentials: TestCredentials, token: str | None) -> str | None:
    """Why the request's session token does not fit the credentials, or ``None`` if it does.

    Temporary credentials are only valid with their token; long-term ones must not carry one.
    """
    if credentials.session_token is None:
        return None if token is None else "security token mismatch"
    if token is None:
        return "missing X-Amz-Security-Token header (the access key is temporary)"
    if not hmac.compare_digest(token.encode("utf-8"), credentials.session_token.encode("utf-8")):
        return "security token mismatch"
    return None


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names lower-cased; repeated headers (a multi-dict's ``items()``) joined by commas."""
    lowered: dict[str, list[str]] = {}
    items: Any = headers.items()
    for name, value in items:
        lowered.setdefault(str(name).lower().strip(), []).append(str(value))
    return {name: ",".join(values) for name, values in lowered.items()}


def _parse_authorization(header: str | None) -> _Authorization:
    if header is None:
        raise SigV4Error("missing Authorization header")
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SigV4Error(f"unsupported Authorization algorithm {algorithm!r} (expected {ALGORITHM})")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
    if missing:
        raise SigV4Error(f"malformed Authorization header: missing {', '.join(missing)}")
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise SigV4Error(
            f"malformed Authorization header: Credential {fields['Credential']!r} is not "
            "<key>/<date>/<region>/<service>/aws4_request"
        )
    signed_headers = fields["SignedHeaders"].split(";")
    if signed_headers != sorted(signed_headers) or any(h != h.lower() for h in signed_headers):
        raise SigV4Error("malformed Authorization header: SignedHeaders must be lower-case and sorted")
    return _Authorization(
        access_key=scope[0], date=scope[1], region=scope[2], service=scope[3],
        signed_headers=signed_headers, signature=fields["Signature"].lower(),
    )


def _canonical_request(
    method: str, path: str, query_string: str, headers: Mapping[str, str], signed_headers: list[str]
) -> str:
    canonical_headers = "".join(f"{name}:{_trim(headers[name])}\n" for name in signed_headers)
    payload_hash = headers.get("x-amz-content-sha256", _EMPTY_SHA256)
    return "\n".join([
        method.upper(),
        _canonical_path(path),
        _canonical_query(query_string),
        canonical_headers,
        ";".join(signed_headers),
        payload_hash,
    ])


def _trim(value: str) -> str:
    """SigV4's Trimall: strip, and collapse inner runs of whitespace to one space."""
    return " ".join(value.split())


def _canonical_path(raw_path: str) -> str:
    """The URI-encoded, dot-segment-normalised path (non-S3 services encode the already-encoded
    path once more, which is what clients such as botocore sign)."""
    segments: list[str] = []
    for segment in (raw_path or "/").split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in (".", ""):
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if raw_path.endswith("/") and normalized != "/":
        normalized += "/"
    return quote(normalized, safe="/~")


def _canonical_query(query_string: str) -> str:
    """Parameters URI-encoded (RFC 3986 unreserved characters kept) and sorted by name, then value."""
    if not query_string:
        return ""
    pairs = []
    for part in query_string.split("&"):
        if not part:
            continue
        key, _, value = part.partition("=")
        pairs.append((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _signature(secret_key: str, date: str, region: str, service: str, string_to_sign: str) -> str:
    key = _hmac(f"AWS4{secret_key}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    key = _hmac(key, "aws4_request")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
