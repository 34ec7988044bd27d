"""The SigV4 verifier against requests signed by botocore's real signer (as Neptune clients do)."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gwlocal.gremlin_server.sigv4 import SigV4Error, TestCredentials, verify_sigv4

REGION = "us-east-1"
LONG_TERM = TestCredentials("AKIDLOCALTEST", "secret/long+term")
TEMPORARY = TestCredentials("ASIALOCALTEMP", "secret-temporary", "session-token-123")
ALL = [LONG_TERM, TEMPORARY]


def _sign(
    url: str,
    creds: TestCredentials,
    *,
    region: str = REGION,
    service: str = "neptune-db",
    token: str | None = None,
) -> tuple[str, str, dict[str, str]]:
    """Sign a GET as Neptune's IAM samples do; return (path, query, headers the server sees)."""
    request = AWSRequest(method="GET", url=url)
    botocore_creds = Credentials(creds.access_key, creds.secret_key, token)
    SigV4Auth(botocore_creds, service, region).add_auth(request)
    headers = dict(request.headers.items())
    # botocore signs the Host it derives from the URL; the HTTP client sends that same Host.
    netloc = url.split("://", 1)[1].split("/", 1)[0]
    headers["Host"] = netloc
    rest = url.split(netloc, 1)[1]
    path, _, query = rest.partition("?")
    return path, query, headers


def _signed_at(headers: dict[str, str]) -> dt.datetime:
    return dt.datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)


def _verify(
    path: str,
    query: str,
    headers: dict[str, str],
    *,
    skew: float = 0.0,
    max_skew_seconds: int = 300,
    signed_at: dt.datetime | None = None,
) -> TestCredentials:
    """Verify with the server clock ``skew`` seconds after the signing time (no sleeping)."""
    at = signed_at if signed_at is not None else _signed_at(headers)
    return verify_sigv4(
        method="GET", path=path, query_string=query, headers=headers, credentials=ALL, region=REGION,
        now=at + dt.timedelta(seconds=skew), max_skew_seconds=max_skew_seconds,
    )


def _reason(
    path: str, query: str, headers: dict[str, str], *, skew: float = 0.0, max_skew_seconds: int = 300
) -> str:
    with pytest.raises(SigV4Error) as info:
        _verify(path, query, headers, skew=skew, max_skew_seconds=max_skew_seconds)
    return info.value.reason


@pytest.mark.parametrize("url", ["https://localhost:8182/gremlin", "http://127.0.0.1:45123/gremlin"])
def test_accepts_long_term_credentials(url: str) -> None:
    path, query, headers = _sign(url, LONG_TERM)
    assert "X-Amz-Security-Token" not in headers
    assert _verify(path, query, headers) == LONG_TERM


@pytest.mark.parametrize("url", ["https://localhost:8182/gremlin", "http://127.0.0.1:45123/gremlin"])
def test_accepts_session_credentials(url: str) -> None:
    path, query, headers = _sign(url, TEMPORARY, token=TEMPORARY.session_token)
    assert headers["X-Amz-Security-Token"] == TEMPORARY.session_token
    assert _verify(path, query, headers) == TEMPORARY


def test_accepts_query_string_and_case_insensitive_headers() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin?b=2&a=x%2Fy", LONG_TERM)
    assert query == "b=2&a=x%2Fy"
    shouted = {name.upper(): value for name, value in headers.items()}
    assert _verify(path, query, shouted, signed_at=_signed_at(headers)) == LONG_TERM


def test_accepts_clock_skew_within_limit() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    assert _verify(path, query, headers, skew=299) == LONG_TERM
    assert _verify(path, query, headers, skew=-299) == LONG_TERM


def test_missing_authorization() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    del headers["Authorization"]
    assert _reason(path, query, headers) == "missing Authorization header"


def test_missing_amz_date() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    now = _signed_at(headers)
    del headers["X-Amz-Date"]
    with pytest.raises(SigV4Error) as info:
        verify_sigv4(method="GET", path=path, query_string=query, headers=headers,
                     credentials=ALL, region=REGION, now=now)
    assert info.value.reason == "missing X-Amz-Date header"


def test_missing_host() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    del headers["Host"]
    assert _reason(path, query, headers) == "signed header 'host' is missing from the request"


def test_unknown_access_key() -> None:
    stranger = TestCredentials("AKIDSTRANGER", "whatever")
    path, query, headers = _sign("https://localhost:8182/gremlin", stranger)
    assert _reason(path, query, headers) == "unknown access key 'AKIDSTRANGER'"


def test_wrong_secret() -> None:
    forged = TestCredentials(LONG_TERM.access_key, "not-the-secret")
    path, query, headers = _sign("https://localhost:8182/gremlin", forged)
    assert _reason(path, query, headers) == "signature mismatch"


def test_tampered_host_header() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    headers["Host"] = "localhost:9999"
    assert _reason(path, query, headers) == "signature mismatch"


def test_tampered_date_within_same_day() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    signed = _signed_at(headers)
    shifted = signed + dt.timedelta(seconds=1) if signed.second < 59 else signed - dt.timedelta(seconds=1)
    headers["X-Amz-Date"] = shifted.strftime("%Y%m%dT%H%M%SZ")
    assert _reason(path, query, headers) == "signature mismatch"


def test_tampered_path_and_method() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    assert _reason("/status", query, headers) == "signature mismatch"
    with pytest.raises(SigV4Error, match="signature mismatch"):
        verify_sigv4(method="POST", path=path, query_string=query, headers=headers, credentials=ALL,
                     region=REGION, now=_signed_at(headers))


def test_wrong_region() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM, region="eu-west-1")
    assert _reason(path, query, headers) == (
        "wrong region 'eu-west-1' in credential scope (expected 'us-east-1')"
    )


def test_wrong_service() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM, service="execute-api")
    assert _reason(path, query, headers) == (
        "wrong service 'execute-api' in credential scope (expected 'neptune-db')"
    )


@pytest.mark.parametrize("skew", [612, -612])
def test_expired_or_future_date(skew: int) -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    reason = _reason(path, query, headers, skew=skew)
    assert reason == (
        f"request expired (X-Amz-Date {headers['X-Amz-Date']} is 612 s from server time; max 300 s)"
    )


def test_custom_max_skew() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    assert "max 60 s" in _reason(path, query, headers, skew=61, max_skew_seconds=60)


def test_missing_session_token() -> None:
    # Signed with the temporary key but without sending its token.
    path, query, headers = _sign("https://localhost:8182/gremlin", TEMPORARY)
    assert _reason(path, query, headers) == (
        "missing X-Amz-Security-Token header (the access key is temporary)"
    )


def test_mismatched_session_token() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", TEMPORARY, token="some-other-token")
    assert _reason(path, query, headers) == "security token mismatch"


def test_token_sent_for_long_term_key() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM, token="unexpected")
    assert _reason(path, query, headers) == "security token mismatch"


def test_tampered_session_token_breaks_signature() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", TEMPORARY, token=TEMPORARY.session_token)
    headers["X-Amz-Security-Token"] = "session-token-124"
    assert _reason(path, query, headers) == "signature mismatch"


def test_malformed_authorization() -> None:
    path, query, headers = _sign("https://localhost:8182/gremlin", LONG_TERM)
    headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=AKIDLOCALTEST/20240101/us-east-1"
    assert _reason(path, query, headers).startswith("malformed Authorization header")
    headers["Authorization"] = "Basic dXNlcjpwYXNz"
    assert _reason(path, query, headers) == (
        "unsupported Authorization algorithm 'Basic' (expected AWS4-HMAC-SHA256)"
    )


def test_works_with_aiohttp_multidict_headers() -> None:
    from multidict import CIMultiDict, CIMultiDictProxy

    path, query, headers = _sign("http://127.0.0.1:45123/gremlin", LONG_TERM)
    proxy = CIMultiDictProxy(CIMultiDict(headers))
    now = _signed_at(headers)
    assert verify_sigv4(method="GET", path=path, query_string=query, headers=proxy, credentials=ALL,
                        region=REGION, now=now) == LONG_TERM
