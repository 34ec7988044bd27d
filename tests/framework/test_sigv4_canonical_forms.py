"""Canonical forms in the stdlib SigV4 signer that the wider tests do not reach: reserved characters
in the query, whitespace inside a signed header value, a URL without a host, and a signing time read
while the process's local time zone is not UTC. Each is compared with botocore's signer."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from framework.sigv4 import SigV4Signer
from tests.framework.test_sigv4 import botocore_headers

WHEN = dt.datetime(2026, 3, 4, 23, 6, 7, tzinfo=dt.UTC)  # already the next day in Tokyo


@pytest.fixture
def tokyo_local_time() -> Iterator[None]:
    """The process's local time zone set to UTC+9 (``TZ`` + ``tzset``), put back afterwards."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Tokyo"
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


def test_a_slash_in_a_query_name_or_value_is_signed_percent_encoded():
    """botocore signs a query as already encoded (its requests encode their parameters first), so the
    reference is the same query with ``/`` written as ``%2F``: what the server canonicalizes it to."""
    url, encoded = "wss://db.example.com:8182/gremlin?path=a/b&x/y=1", "wss://db.example.com:8182/gremlin?path=a%2Fb&x%2Fy=1"
    mine = SigV4Signer("neptune-db", "eu-west-1").headers("GET", url, "AKID", "secret", None, now=WHEN)
    assert mine == botocore_headers(encoded, "neptune-db", "eu-west-1", "AKID", "secret", None, WHEN)


def test_whitespace_inside_a_session_token_is_collapsed_in_the_canonical_headers():
    url, token = "wss://db.example.com:8182/gremlin", "part-one   part-two\tend"
    mine = SigV4Signer("neptune-db", "eu-west-1").headers("GET", url, "AKID", "secret", token, now=WHEN)
    assert mine == botocore_headers(url, "neptune-db", "eu-west-1", "AKID", "secret", token, WHEN)
    assert mine["X-Amz-Security-Token"] == token  # the header itself is sent as given


def test_a_url_without_a_host_signs_an_empty_host():
    """botocore cannot take such a URL, so its request is given the empty Host header explicitly."""
    amz_date = WHEN.strftime("%Y%m%dT%H%M%SZ")
    request = AWSRequest(method="GET", url="https:///gremlin", headers={"Host": "", "X-Amz-Date": amz_date})
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials("AKID", "secret"), "neptune-db", "eu-west-1")
    signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    mine = SigV4Signer("neptune-db", "eu-west-1").headers("GET", "wss:///gremlin", "AKID", "secret", None, now=WHEN)
    assert mine["Authorization"].endswith(f"SignedHeaders=host;x-amz-date, Signature={signature}")


def test_the_signing_time_is_utc_whatever_the_local_time_zone(tokyo_local_time):
    url = "wss://db.example.com:8182/gremlin"
    mine = SigV4Signer("neptune-db", "us-east-1").headers("GET", url, "AK", "S", None, now=WHEN)
    assert mine["X-Amz-Date"] == "20260304T230607Z"
    assert mine == botocore_headers(url, "neptune-db", "us-east-1", "AK", "S", None, WHEN)
