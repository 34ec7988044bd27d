"""IAM signing with credentials in the environment (the Lambda case): read directly, without asking
the SDK's provider chain (aiobotocore's session is replaced at the AWS boundary by one that fails
if asked), cached until a refresh, and the signer keeps the region it signs for."""

from __future__ import annotations

import pytest

from framework.signing import FrozenCredentials, HandshakeSigner, ProviderChainCredentials


class NoSdk:
    def __getattr__(self, name: str):
        raise AssertionError(f"the SDK's provider chain was asked ({name}) although the environment has credentials")


@pytest.fixture
def env_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("aiobotocore.session.get_session", lambda: NoSdk())
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-env")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-env")


async def test_environment_credentials_are_used_without_the_sdk_and_kept_until_a_refresh(env_credentials,
                                                                                         monkeypatch):
    chain = ProviderChainCredentials()
    assert await chain.get() == FrozenCredentials("AKIDENV", "secret-env", "token-env")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-rotated")
    assert (await chain.get()).token == "token-env"  # cached for the execution context
    assert (await chain.get(refresh=True)).token == "token-rotated"


async def test_the_handshake_signer_keeps_its_region_and_signs_for_it(env_credentials):
    signer = HandshakeSigner("eu-central-1")
    assert signer.region == "eu-central-1"
    signed = await signer.sign("wss://db.example.com:8182/gremlin")
    assert "Credential=AKIDENV/" in signed.headers["Authorization"]
    assert "/eu-central-1/neptune-db/aws4_request" in signed.headers["Authorization"]
    assert signed.headers["X-Amz-Security-Token"] == "token-env"
