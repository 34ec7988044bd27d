"""IAM mode: the WebSocket handshake must be SigV4-signed for neptune-db.

Signatures are made by botocore's real SigV4 signer, as a Neptune client would make them. The
only stand-in is the clock for the "expired" case: botocore's time source is patched, because
a test cannot wait five minutes.
"""

from __future__ import annotations

import datetime as dt

import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.structure.graph import Graph

from .conftest import handshake_status, submit

G = traversal().with_graph(Graph())
KEY, SECRET, TOKEN = "AKIDIAMTEST", "iam-test-secret", "session-token-1"


def signed_headers(ep, key=KEY, secret=SECRET, token=TOKEN, region="us-east-1", service="neptune-db"):
    request = AWSRequest(method="GET", url=f"{ep.http_url}/gremlin", data=None)
    SigV4Auth(Credentials(key, secret, token), service, region).add_auth(request)
    return dict(request.headers)


@pytest.fixture
def iam_ep(ep):
    ep.control.settings(iam={"enabled": True, "credentials": [
        {"access_key": KEY, "secret_key": SECRET, "session_token": TOKEN}]})
    return ep


def count_with(remotes, headers):
    return submit(remotes.client(headers=headers), G.V().count())


def test_valid_signature_is_accepted(iam_ep, remotes):
    assert count_with(remotes, signed_headers(iam_ep)) == [0]


def test_unsigned_handshake_is_refused(iam_ep, remotes):
    with pytest.raises(Exception, match="403") as err:
        count_with(remotes, {})
    assert handshake_status(err.value) == 403
    assert iam_ep.control.stats()["connections"]["auth_failures"] == 1


@pytest.mark.parametrize("change", [
    {"secret": "wrong-secret"}, {"key": "AKIDUNKNOWN"}, {"token": "other-token"},
    {"region": "eu-west-1"}, {"service": "s3"},
])
def test_wrong_signatures_are_refused(iam_ep, remotes, change):
    with pytest.raises(Exception, match="403") as err:
        count_with(remotes, signed_headers(iam_ep, **change))
    assert handshake_status(err.value) == 403


def test_expired_signature_is_refused(iam_ep, remotes, monkeypatch):
    ten_minutes_ago = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=10)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: ten_minutes_ago)
    headers = signed_headers(iam_ep)
    monkeypatch.undo()
    with pytest.raises(Exception, match="403") as err:
        count_with(remotes, headers)
    assert handshake_status(err.value) == 403


def test_rotated_credentials_make_old_signatures_stale(iam_ep, remotes):
    assert count_with(remotes, signed_headers(iam_ep)) == [0]
    iam_ep.control.settings(iam={"credentials": [
        {"access_key": KEY, "secret_key": "rotated-secret", "session_token": "session-token-2"}]})
    with pytest.raises(Exception, match="403") as err:
        count_with(remotes, signed_headers(iam_ep))
    assert handshake_status(err.value) == 403
    fresh = signed_headers(iam_ep, secret="rotated-secret", token="session-token-2")
    assert count_with(remotes, fresh) == [0]
