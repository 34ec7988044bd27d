"""IAM signing against the local endpoint in IAM mode, with the real provider chain (env link).

Credentials come from environment variables (the first link of the standard provider chain);
config and shared-credentials files are pointed at empty files so nothing on the machine
leaks in, and instance metadata is disabled (there is no AWS here).
"""

from __future__ import annotations

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.structure.graph import Graph

from gwlocal.gremlin_server.server import GremlinEndpoint

g = traversal().with_graph(Graph())


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for var in ("AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        monkeypatch.delenv(var, raising=False)

    def use(key: str, secret: str, token: str | None = None) -> None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
        if token is None:
            monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
        else:
            monkeypatch.setenv("AWS_SESSION_TOKEN", token)

    return use


def iam_on(ep: GremlinEndpoint, key: str, secret: str, token: str | None) -> None:
    ep.apply_settings({"iam": {"enabled": True, "region": "us-east-1", "credentials": [
        {"access_key": key, "secret_key": secret, "session_token": token}]}})


async def test_signed_connection_is_accepted_and_timed(endpoint, make_client, captured, aws_env):
    aws_env("AKIDROLE1", "secret-1", "token-1")
    iam_on(endpoint, "AKIDROLE1", "secret-1", "token-1")
    client = make_client(use_iam=True, region="us-east-1")
    assert await client.submit(g.V().count(), expect=1) == [0]
    assert len(captured.values("SigV4SigningTime", ColdStart="true")) == 1
    # Every reconnect signs again, now warm.
    await endpoint.close_connections()
    await endpoint.wait_for(lambda e: e.stats.connections_open == 0)
    assert await client.submit(g.V().count(), expect=1) == [0]
    assert len(captured.values("SigV4SigningTime", ColdStart="false")) == 1
    assert endpoint.stats.handshake_auth_failures == 0
    sign_spans = captured.spans("sigv4.sign")
    assert [s.attributes["graphworker.cold_start"] for s in sign_spans] == [True, False]


async def test_stale_credentials_are_refreshed_once(endpoint, make_client, captured, aws_env):
    aws_env("AKIDROLE1", "secret-1", "token-1")
    iam_on(endpoint, "AKIDROLE1", "secret-1", "token-1")
    client = make_client(use_iam=True, region="us-east-1")
    await client.submit(g.V().count(), expect=1)
    # The role's credentials rotate: the server only accepts the new ones, the environment has them,
    # but the client still holds the old ones until it refreshes.
    iam_on(endpoint, "AKIDROLE1", "secret-2", "token-2")
    aws_env("AKIDROLE1", "secret-2", "token-2")
    await endpoint.close_connections()
    await endpoint.wait_for(lambda e: e.stats.connections_open == 0)
    assert await client.submit(g.V().count(), expect=1) == [0]
    assert endpoint.stats.handshake_auth_failures == 1
    assert captured.count("GremlinReconnects", Cause="credentials") == 1
    assert len(captured.spans("sigv4.sign")) == 3


async def test_missing_credentials_fail_with_a_clear_error(endpoint, make_client, aws_env, monkeypatch):
    from framework.errors import ConfigError

    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    iam_on(endpoint, "AKIDROLE1", "secret-1", None)
    client = make_client(use_iam=True, region="us-east-1")
    with pytest.raises(ConfigError, match="no AWS credentials"):
        await client.submit(g.V().count())
