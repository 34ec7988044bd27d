"""graphworker's stdlib SigV4 signer against botocore's, bit for bit, and AWS's published vector.

botocore is the reference here (it is what AWS's own SDKs sign with); graphworker does not import
it on the cold path, so these tests are what ties the two together. The handshake itself is
checked end to end against the local endpoint's independent verifier in ``test_iam.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given, settings
from hypothesis import strategies as st

from framework.signing import environment_credentials
from framework.sigv4 import SigV4Signer


def botocore_headers(url: str, service: str, region: str, key: str, secret: str, token: str | None,
                     when: dt.datetime, *, method: str = "GET", body: bytes = b"") -> dict[str, str]:
    """What botocore's SigV4Auth produces for ``method url`` with ``body`` at ``when`` (its clock pinned
    by running its steps with the request's timestamp set, as ``add_auth`` does with the current time)."""
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    request = AWSRequest(method=method, url=url.replace("wss://", "https://", 1).replace("ws://", "http://", 1),
                         data=body)
    request.context["timestamp"] = amz_date
    auth = SigV4Auth(Credentials(key, secret, token), service, region)
    request.headers["X-Amz-Date"] = amz_date
    if token:
        request.headers["X-Amz-Security-Token"] = token
    canonical = auth.canonical_request(request)
    signature = auth.signature(auth.string_to_sign(request, canonical), request)
    signed = auth.signed_headers(auth.headers_to_sign(request))
    out = {"X-Amz-Date": amz_date}
    if token:
        out["X-Amz-Security-Token"] = token
    out["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={auth.scope(request)}, SignedHeaders={signed}, "
                            f"Signature={signature}")
    return out


def test_aws_published_get_vanilla_vector():
    # AWS's SigV4 test suite, "get-vanilla": GET / on example.amazonaws.com, service "service".
    signer = SigV4Signer("service", "us-east-1")
    headers = signer.headers("GET", "https://example.amazonaws.com/", "AKIDEXAMPLE",
                             "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                             now=dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC))
    assert headers == {
        "X-Amz-Date": "20150830T123600Z",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                         "SignedHeaders=host;x-amz-date, "
                         "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    }


_text = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)
_host = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){0,4}", fullmatch=True)


@settings(max_examples=150, deadline=None)
@given(key=_text, secret=_text, token=st.none() | _text, host=_host,
       scheme=st.sampled_from(["ws", "wss"]), port=st.none() | st.integers(1, 65535),
       region=st.sampled_from(["us-east-1", "eu-west-2", "ap-southeast-2", "us-gov-west-1"]),
       when=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_neptune_handshake_headers_equal_botocores(key, secret, token, host, scheme, port, region, when):
    when = when.replace(microsecond=0, tzinfo=dt.UTC)
    url = f"{scheme}://{host}{'' if port is None else f':{port}'}/gremlin"
    mine = SigV4Signer("neptune-db", region).headers("GET", url, key, secret, token, now=when)
    assert mine == botocore_headers(url, "neptune-db", region, key, secret, token, when)


@settings(max_examples=100, deadline=None)
@given(key=_text, secret=_text, token=st.none() | _text, host=_host, port=st.none() | st.integers(1, 65535),
       body=st.binary(max_size=300), when=st.datetimes(min_value=dt.datetime(2000, 1, 1),
                                                         max_value=dt.datetime(2099, 12, 31)))
def test_sqs_posts_with_a_body_are_signed_as_botocore_signs_them(key, secret, token, host, port, body, when):
    when = when.replace(microsecond=0, tzinfo=dt.UTC)
    url = f"https://{host}{'' if port is None else f':{port}'}/"
    mine = SigV4Signer("sqs", "eu-west-1").headers("POST", url, key, secret, token, now=when, body=body)
    assert mine == botocore_headers(url, "sqs", "eu-west-1", key, secret, token, when, method="POST", body=body)


def test_signing_key_is_derived_once_per_secret_and_day():
    signer = SigV4Signer("neptune-db", "us-east-1")
    day1 = dt.datetime(2026, 1, 1, 10, tzinfo=dt.UTC)
    first = signer.signing_key("secret", "20260101")
    assert signer.signing_key("secret", "20260101") is first
    assert signer.signing_key("secret", "20260102") != first  # a new day, a new key
    assert signer.signing_key("other", "20260102") != signer.signing_key("secret", "20260102")
    # A cached key signs exactly as a fresh derivation does.
    url = "wss://db.cluster-x.us-east-1.neptune.amazonaws.com:8182/gremlin"
    cached = signer.headers("GET", url, "AK", "secret", None, now=day1)
    assert cached == SigV4Signer("neptune-db", "us-east-1").headers("GET", url, "AK", "secret", None, now=day1)


def test_environment_credentials_follow_the_provider_chains_variables():
    assert environment_credentials({}) is None
    assert environment_credentials({"AWS_ACCESS_KEY_ID": "AK"}) is None
    assert environment_credentials({"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "S"}).token is None
    full = environment_credentials({"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": "T"})
    assert (full.access_key, full.secret_key, full.token) == ("AK", "S", "T")
    legacy = environment_credentials({"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "S",
                                      "AWS_SECURITY_TOKEN": "OLD"})
    assert legacy.token == "OLD"


WHEN = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)


@pytest.mark.parametrize("url", [
    "wss://db.example.com:8182/gremlin?b=2&a=1&a=0",   # query pairs sorted by key then value
    "wss://db.example.com/gremlin?y=&z&s=~-_.",        # an empty value, a key without "=", unescaped marks
    "https://db.example.com/a b/c~d",                  # a path with a space and a tilde
    "https://db.example.com",                          # no path at all: "/"
    "wss://[::1]:8182/gremlin",                        # IPv6 literal with a port
    "wss://[2001:db8::1]/gremlin",                     # IPv6 literal on the default port
    "ws://db.example.com:80/gremlin",                  # default ports are not part of the host header
    "wss://db.example.com:443/gremlin",
    "ws://db.example.com:443/gremlin",                 # ...but another scheme's default is
])
def test_urls_of_every_shape_are_signed_as_botocore_signs_them(url):
    mine = SigV4Signer("neptune-db", "eu-west-1").headers("GET", url, "AKID", "secret/key+x", "tok", now=WHEN)
    assert mine == botocore_headers(url, "neptune-db", "eu-west-1", "AKID", "secret/key+x", "tok", WHEN)


def test_the_signing_time_is_converted_to_utc():
    offset = WHEN.astimezone(dt.timezone(dt.timedelta(hours=-7)))
    url = "wss://db.example.com:8182/gremlin"
    assert SigV4Signer("neptune-db", "us-east-1").headers("GET", url, "AK", "S", None, now=offset) == \
        botocore_headers(url, "neptune-db", "us-east-1", "AK", "S", None, WHEN)


def test_without_a_time_the_current_utc_time_is_signed():
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    headers = SigV4Signer("neptune-db", "us-east-1").headers("GET", "wss://h/gremlin", "AK", "S", None)
    after = dt.datetime.now(dt.UTC)
    signed = dt.datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    assert before <= signed <= after
    assert headers == botocore_headers("wss://h/gremlin", "neptune-db", "us-east-1", "AK", "S", None, signed)
