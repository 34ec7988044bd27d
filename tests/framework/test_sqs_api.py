"""graphworker's own SQS calls (``framework.sqs_api``) on real servers.

- fauxqs (the local pipeline's SQS, a child process on a free port): GetQueueUrl and
  ChangeMessageVisibilityBatch do what SQS does, and SQS's errors arrive with their codes;
- a recording HTTP server on a free port: the request on the wire is the JSON protocol's, and its
  SigV4 signature verifies with botocore's signer (the reference AWS's SDKs sign with);
- a server that never answers: the call fails within its timeout, saying so;
- a fresh interpreter: delaying messages imports neither aiobotocore nor botocore's SDK modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from framework.signing import FrozenCredentials
from framework.sqs_api import SqsApi, SqsApiError
from gwlocal.local.sqs_client import SqsJsonClient

REGION = "us-east-1"


class Fixed:
    """Credentials as the execution role's environment gives them (a session token included)."""

    def __init__(self) -> None:
        self.credentials = FrozenCredentials("AKIDTEST", "secret/key+1", "session-token")

    async def get(self, *, refresh: bool = False) -> FrozenCredentials:
        return self.credentials


@pytest.fixture
async def sqs(fauxqs_url: str) -> AsyncIterator[SqsJsonClient]:
    client = SqsJsonClient(fauxqs_url, region=REGION)
    try:
        yield client
    finally:
        await client.close()


async def test_queue_urls_and_visibility_changes_behave_as_sqs(fauxqs_url, sqs) -> None:
    url = (await sqs.call("CreateQueue", {"QueueName": "api-visibility"}))["QueueUrl"]
    await sqs.call("SendMessage", {"QueueUrl": url, "MessageBody": "m"})
    (message,) = (await sqs.call("ReceiveMessage", {"QueueUrl": url, "VisibilityTimeout": 0}))["Messages"]
    api = SqsApi(REGION, endpoint=fauxqs_url, credentials=Fixed())
    try:
        account = url.rstrip("/").split("/")[-2]
        assert (await api.get_queue_url(QueueName="api-visibility", QueueOwnerAWSAccountId=account)) == {
            "QueueUrl": url}
        answer = await api.change_message_visibility_batch(QueueUrl=url, Entries=[
            {"Id": "0", "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 600},
            {"Id": "1", "ReceiptHandle": "not-a-receipt-handle", "VisibilityTimeout": 600}])
        assert [e["Id"] for e in answer["Successful"]] == ["0"]
        assert [e["Id"] for e in answer["Failed"]] == ["1"]
        # hidden for 10 minutes now, although the queue's receive asked for 0 s
        assert (await sqs.call("ReceiveMessage", {"QueueUrl": url})).get("Messages", []) == []
        with pytest.raises(SqsApiError) as missing:
            await api.get_queue_url(QueueName="no-such-queue", QueueOwnerAWSAccountId=account)
        assert (missing.value.action, missing.value.code) == ("GetQueueUrl", "QueueDoesNotExist")
    finally:
        await api.close()


@contextlib.asynccontextmanager
async def posts_served_by(handle: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> AsyncIterator[str]:
    """An HTTP server on a free port whose ``POST /`` is ``handle``; yields its base URL, stopped after."""
    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[str, list[dict[str, Any]], asyncio.Event]]:
    """A server that records each request and answers ``{}``; with ``hang`` set it never answers."""
    seen: list[dict[str, Any]] = []
    hang, release = asyncio.Event(), asyncio.Event()

    async def handle(request: web.Request) -> web.Response:
        seen.append({"method": request.method, "path": request.path, "headers": dict(request.headers),
                     "body": await request.read(), "url": str(request.url)})
        if hang.is_set():
            await release.wait()  # no answer until the test is over; the client's timeout ends the call
        return web.json_response({"QueueUrl": "http://q"}, content_type="application/x-amz-json-1.0")

    async with posts_served_by(handle) as url:
        try:
            yield url, seen, hang
        finally:
            release.set()


async def test_the_request_is_sqs_json_and_its_signature_verifies_with_botocore(recorder) -> None:
    url, seen, _ = recorder
    api = SqsApi("eu-west-1", endpoint=url + "/", credentials=Fixed())
    try:
        await api.get_queue_url(QueueName="orders", QueueOwnerAWSAccountId="123456789012")
    finally:
        await api.close()
    (request,) = seen
    headers = request["headers"]
    assert (request["method"], request["path"]) == ("POST", "/")
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert headers["X-Amz-Target"] == "AmazonSQS.GetQueueUrl"
    assert json.loads(request["body"]) == {"QueueName": "orders", "QueueOwnerAWSAccountId": "123456789012"}
    assert headers["X-Amz-Security-Token"] == "session-token"
    # botocore signs what arrived (same host, time and body); its signature must be the one sent
    when = headers["X-Amz-Date"]
    reference = AWSRequest(method="POST", url=url + "/", data=request["body"], headers={"X-Amz-Date": when,
                           "X-Amz-Security-Token": "session-token"})
    reference.context["timestamp"] = when
    auth = SigV4Auth(Credentials("AKIDTEST", "secret/key+1", "session-token"), "sqs", "eu-west-1")
    signature = auth.signature(auth.string_to_sign(reference, auth.canonical_request(reference)), reference)
    assert headers["Authorization"].endswith(f"Signature={signature}")
    assert f"Credential=AKIDTEST/{when[:8]}/eu-west-1/sqs/aws4_request" in headers["Authorization"]
    assert dt.datetime.strptime(when, "%Y%m%dT%H%M%SZ")  # an SigV4 timestamp


async def test_a_call_that_gets_no_answer_fails_within_its_timeout(recorder) -> None:
    url, seen, hang = recorder
    hang.set()
    api = SqsApi(REGION, endpoint=url, credentials=Fixed(), timeout_s=0.2)
    try:
        with pytest.raises(SqsApiError) as failed:
            await asyncio.wait_for(api.change_message_visibility_batch(QueueUrl="http://q", Entries=[]), 10)
    finally:
        await api.close()
    assert failed.value.action == "ChangeMessageVisibilityBatch" and failed.value.code == "TimeoutError"
    assert len(seen) == 1


async def test_after_close_calls_fail_and_close_again_is_harmless(recorder) -> None:
    url, seen, _ = recorder
    api = SqsApi(REGION, endpoint=url, credentials=Fixed())
    await api.get_queue_url(QueueName="q", QueueOwnerAWSAccountId="1")
    await api.close()
    await api.close()
    with pytest.raises(SqsApiError, match="ClientClosed"):
        await api.get_queue_url(QueueName="q", QueueOwnerAWSAccountId="1")
    assert len(seen) == 1


def test_the_default_endpoint_is_the_regional_one() -> None:
    assert SqsApi("ap-southeast-2", credentials=Fixed()).url == "https://sqs.ap-southeast-2.amazonaws.com/"
    assert SqsApi("ap-southeast-2", endpoint="http://127.0.0.1:9324", credentials=Fixed()).url == (
        "http://127.0.0.1:9324/")


def test_delaying_messages_loads_no_aws_sdk(fauxqs_url) -> None:
    script = textwrap.dedent("""
        import asyncio, json, random, sys
        from framework.records import read_record
        from framework.redelivery import RedeliveryBackoff
        from framework.telemetry import MetricsSink

        async def main():
            record = read_record(0, {"messageId": "m", "receiptHandle": "h", "body": "{}",
                                     "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:no-such-queue",
                                     "attributes": {"ApproximateReceiveCount": "1"}})
            backoff = RedeliveryBackoff(rng=random.Random(1))
            await backoff.delay([record], MetricsSink(namespace="t", service="t"))
            await backoff.close()
            # Powertools touches the top-level botocore package (a user-agent hook): the SDK itself is botocore.*
            print(json.dumps(sorted(m for m in sys.modules if m.startswith(("aiobotocore", "botocore.", "boto3")))))

        asyncio.run(main())
    """)
    env = {"AWS_ENDPOINT_URL_SQS": fauxqs_url, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60,
                          check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
