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


def _credentials_file(path, key: str, secret: str, token: str | None = None) -> None:
    lines = ["[default]", f"aws_access_key_id = {key}", f"aws_secret_access_key = {secret}"]
    if token:
        lines.append(f"aws_session_token = {token}")
    path.write_text("\n".join(lines) + "\n")


async def test_without_env_credentials_the_sdk_chain_is_used_once_until_refresh(aws_env, monkeypatch, tmp_path):
    """The shared-credentials file stands for the chain's later links (web identity, container, instance)."""
    from framework.signing import FrozenCredentials, ProviderChainCredentials

    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    shared = tmp_path / "credentials"
    _credentials_file(shared, "AKIDFILE1", "file-secret-1", "file-token-1")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(shared))
    chain = ProviderChainCredentials()
    assert await chain.get() == FrozenCredentials("AKIDFILE1", "file-secret-1", "file-token-1")
    _credentials_file(shared, "AKIDFILE2", "file-secret-2")
    assert await chain.get() == FrozenCredentials("AKIDFILE1", "file-secret-1", "file-token-1")  # resolved once
    assert await chain.get(refresh=True) == FrozenCredentials("AKIDFILE2", "file-secret-2", None)
    aws_env("AKIDENV", "env-secret")  # the environment link comes first once it is there
    assert await chain.get() == FrozenCredentials("AKIDFILE2", "file-secret-2", None)  # still cached
    assert await chain.get(refresh=True) == FrozenCredentials("AKIDENV", "env-secret", None)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV2")
    assert await chain.get() == FrozenCredentials("AKIDENV", "env-secret", None)


async def test_no_credentials_anywhere_is_one_clear_error(aws_env, monkeypatch):
    from framework.errors import ConfigError
    from framework.signing import ProviderChainCredentials

    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    with pytest.raises(ConfigError) as missing:
        await ProviderChainCredentials().get()
    assert str(missing.value) == ("USE_IAM is true but no AWS credentials were found in the provider chain "
                                  "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web identity, container or "
                                  "instance role)")


async def test_a_broken_sdk_configuration_is_reported_as_a_config_error(aws_env, monkeypatch):
    from framework.errors import ConfigError
    from framework.signing import ProviderChainCredentials

    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(ConfigError) as broken:
        await ProviderChainCredentials().get()
    assert str(broken.value) == ("USE_IAM is true but AWS credentials could not be resolved: The config profile "
                                 "(no-such-profile) could not be found")


class SlowCredentials:
    """A credential source (the signer's documented injection point) that takes 20 ms, like a cold SDK."""

    def __init__(self) -> None:
        self.refreshes: list[bool] = []

    async def get(self, *, refresh: bool = False):
        import asyncio

        from framework.signing import FrozenCredentials

        self.refreshes.append(refresh)
        await asyncio.sleep(0.02)
        return FrozenCredentials("AKIDSLOW", "slow-secret", None)


async def test_the_signer_signs_a_get_times_it_in_milliseconds_and_flags_the_first(aws_env):
    import datetime as dt
    import time

    from framework.signing import HandshakeSigner

    from .test_sigv4 import botocore_headers

    source = SlowCredentials()
    signer = HandshakeSigner("eu-west-1", source)
    url = "wss://db.example.com:8182/gremlin"
    started = time.perf_counter()
    first = await signer.sign(url)
    wall_ms = (time.perf_counter() - started) * 1000
    second = await signer.sign(url, refresh=True)
    assert 20 <= first.elapsed_ms <= wall_ms
    assert (first.cold_start, second.cold_start) == (True, False)
    assert source.refreshes == [False, True]
    when = dt.datetime.strptime(first.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    assert first.headers == botocore_headers(url, "neptune-db", "eu-west-1", "AKIDSLOW", "slow-secret", None, when)
