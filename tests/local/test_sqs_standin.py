"""The local SQS (fauxqs) re-verified, through the AWS SDK, on every behaviour the pipeline relies on.

Each test talks to a real fauxqs server (started as ``graphworker local`` starts it: a child
process on 127.0.0.1, a free port) with aiobotocore, the SDK handler code would use. Where
fauxqs differs from SQS in a way the pipeline can see, a test pins the difference (the README
lists them), so an upgrade that changes it fails here first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import select
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from gwlocal.local import sqs_servers
from gwlocal.local.processes import ChildServer
from gwlocal.local.sqs import LOCAL_CREDENTIALS, to_lambda_record
from gwlocal.local.sqs_client import SqsError, SqsJsonClient


@pytest.fixture
async def sqs(fauxqs_url: str) -> AsyncIterator[Any]:
    async with get_session().create_client("sqs", region_name="us-east-1", endpoint_url=fauxqs_url,
                                           **LOCAL_CREDENTIALS) as client:
        yield client


_names = iter(range(10**6))


async def make_queue(sqs: Any, *, fifo: bool = False, visibility: int = 30,
                     max_receive_count: int | None = None) -> tuple[str, str | None]:
    """A fresh queue (and a DLQ wired by a redrive policy when ``max_receive_count`` is given)."""
    n = next(_names)
    suffix = ".fifo" if fifo else ""
    fifo_attrs = {"FifoQueue": "true"} if fifo else {}
    attrs: dict[str, str] = {"VisibilityTimeout": str(visibility), **fifo_attrs}
    dlq_url = None
    if max_receive_count is not None:
        dlq_url = (await sqs.create_queue(QueueName=f"t{n}-dlq{suffix}", Attributes=fifo_attrs))["QueueUrl"]
        dlq_arn = (await sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"]))[
            "Attributes"]["QueueArn"]
        attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})
    url = (await sqs.create_queue(QueueName=f"t{n}{suffix}", Attributes=attrs))["QueueUrl"]
    return url, dlq_url


async def receive(sqs: Any, url: str, *, n: int = 10, wait: int = 0, visibility: int | None = None) -> list[dict]:
    kwargs: dict[str, Any] = {"QueueUrl": url, "MaxNumberOfMessages": n, "WaitTimeSeconds": wait,
                              "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"]}
    if visibility is not None:
        kwargs["VisibilityTimeout"] = visibility
    return list((await sqs.receive_message(**kwargs)).get("Messages", []))


def receives(message: dict) -> int:
    return int(message["Attributes"]["ApproximateReceiveCount"])


# ---------------------------------------------------------------------------------- the server itself
def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
                found.add(address)
    return found


def test_listens_on_loopback_only_and_stops_with_stop():
    server = sqs_servers.fauxqs_server()
    url = server.start()
    port = int(url.rsplit(":", 1)[1])
    process = server.process
    assert process is not None
    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, and no other interface
    assert server.stop() == 0
    assert process.poll() == 0 and not _listening_addresses(port)


def test_dies_with_its_parent_even_when_the_parent_is_killed():
    # A parent process starts fauxqs, prints the server's pid and is then SIGKILLed: it can run
    # no cleanup at all. The server must notice (stdin closed; PR_SET_PDEATHSIG) and exit.
    script = textwrap.dedent("""
        import sys, time
        from gwlocal.local.sqs_servers import fauxqs_server
        server = fauxqs_server()
        server.start()
        print(server.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    server_pid = int(parent.stdout.readline())
    watch = os.pidfd_open(server_pid)
    try:
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        ready, _, _ = select.select([watch], [], [], 10.0)  # readable once the process has exited
        assert ready, f"fauxqs (pid {server_pid}) outlived its killed parent"
    finally:
        os.close(watch)
        parent.stdout.close()


def test_missing_install_says_how_to_install(tmp_path, monkeypatch, capsys):
    (tmp_path / "package.json").write_text((sqs_servers.FAUXQS_DIR / "package.json").read_text())
    monkeypatch.setattr(sqs_servers, "FAUXQS_DIR", tmp_path)
    with pytest.raises(sqs_servers.StandInMissing, match="npm ci --prefix") as info:
        sqs_servers.fauxqs_server()
    assert "--sqs moto" in str(info.value)
    from gwlocal.cli import main

    # The command configures logging for itself; keep that from outliving this test.
    monkeypatch.setattr(logging, "basicConfig", lambda **kwargs: None)
    gremlin_logger = logging.getLogger("gremlinpython")
    monkeypatch.setattr(gremlin_logger, "level", gremlin_logger.level)
    assert main(["local", "--no-progress", "--output", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "fauxqs" in err and "npm ci --prefix" in err and "Traceback" not in err


def test_a_child_that_cannot_start_reports_its_log(tmp_path):
    server = ChildServer("broken", [sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(3)"],
                         log_path=tmp_path / "broken.log")
    with pytest.raises(RuntimeError, match=r"(?s)broken did not start: it exited with status 3.*boom"):
        server.start()


# ---------------------------------------------------------------------------------- SQS behaviours
async def test_visibility_timeout_hides_a_message_then_it_is_delivered_again(sqs):
    url, _ = await make_queue(sqs, visibility=1)
    await sqs.send_message(QueueUrl=url, MessageBody="m")
    first = await receive(sqs, url)
    assert [m["Body"] for m in first] == ["m"] and receives(first[0]) == 1
    assert await receive(sqs, url) == []  # in flight: invisible
    again = await receive(sqs, url, wait=5)  # long poll: returns when it reappears
    assert [m["MessageId"] for m in again] == [first[0]["MessageId"]]
    assert receives(again[0]) == 2 and again[0]["ReceiptHandle"] != first[0]["ReceiptHandle"]


async def test_redrive_moves_a_message_to_the_dlq_after_max_receive_count(sqs):
    url, dlq = await make_queue(sqs, max_receive_count=2)
    sent = (await sqs.send_message(QueueUrl=url, MessageBody="poison"))["MessageId"]
    counts = [receives(m) for _ in range(2) for m in await receive(sqs, url, visibility=0)]
    assert counts == [1, 2]
    assert await receive(sqs, url, visibility=0) == []  # this receive moved it
    in_dlq = await receive(sqs, dlq)
    assert [(m["MessageId"], m["Body"]) for m in in_dlq] == [(sent, "poison")]


async def test_change_message_visibility_single_and_batch(sqs):
    url, _ = await make_queue(sqs, visibility=60)
    await sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    got = {m["Body"]: m for m in await receive(sqs, url)}
    assert set(got) == {"m0", "m1", "m2"}
    await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=got["m0"]["ReceiptHandle"], VisibilityTimeout=0)
    result = await sqs.change_message_visibility_batch(QueueUrl=url, Entries=[
        {"Id": "a", "ReceiptHandle": got["m1"]["ReceiptHandle"], "VisibilityTimeout": 0},
        {"Id": "b", "ReceiptHandle": got["m2"]["ReceiptHandle"], "VisibilityTimeout": 60},
        {"Id": "c", "ReceiptHandle": "not-a-receipt-handle", "VisibilityTimeout": 0},
    ])
    assert {e["Id"] for e in result["Successful"]} == {"a", "b"}
    assert [(e["Id"], e["Code"]) for e in result["Failed"]] == [("c", "ReceiptHandleIsInvalid")]
    again = await receive(sqs, url)
    assert sorted(m["Body"] for m in again) == ["m0", "m1"]  # m2 stays hidden for its 60 s
    assert all(receives(m) == 2 for m in again)
    with pytest.raises(ClientError):
        await sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="not-a-receipt-handle", VisibilityTimeout=5)


async def test_batch_send_and_delete_and_their_limit_of_ten(sqs):
    url, _ = await make_queue(sqs)
    sent = await sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"}
                                                               for i in range(10)])
    assert len({e["MessageId"] for e in sent["Successful"]}) == 10 and not sent.get("Failed")
    with pytest.raises(ClientError, match="TooManyEntriesInBatchRequest"):
        await sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)])
    got = await receive(sqs, url)
    assert len(got) == 10
    deleted = await sqs.delete_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    assert len(deleted["Successful"]) == 10
    attrs = (await sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


async def test_long_polling_returns_the_message_that_arrives_during_the_wait(sqs):
    url, _ = await make_queue(sqs)
    waiting = asyncio.create_task(receive(sqs, url, wait=10))
    await asyncio.sleep(0.2)  # let the receive reach the server before the message does
    await sqs.send_message(QueueUrl=url, MessageBody="late")
    assert [m["Body"] for m in await waiting] == ["late"]


async def test_fifo_groups_keep_order_and_block_while_a_message_is_in_flight(sqs):
    url, _ = await make_queue(sqs, fifo=True, visibility=1)
    for i, (group, body) in enumerate([("a", "a1"), ("a", "a2"), ("b", "b1")]):
        await sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=str(i))
    first = await receive(sqs, url)
    # fauxqs hands out at most one message per group per receive (SQS may return a2 with a1,
    # in order): a documented difference; what matters, order within a group, holds.
    assert sorted(m["Body"] for m in first) == ["a1", "b1"]
    assert await receive(sqs, url) == []  # both groups are blocked while their message is in flight
    # a1's visibility runs out: a1 comes back before a2 (order survives redelivery).
    again = await receive(sqs, url, wait=5)
    bodies = [m["Body"] for m in again]
    assert "a1" in bodies and "a2" not in bodies
    a1 = next(m for m in again if m["Body"] == "a1")
    await sqs.delete_message(QueueUrl=url, ReceiptHandle=a1["ReceiptHandle"])
    nxt = await receive(sqs, url, wait=5)
    assert "a2" in [m["Body"] for m in nxt]
    assert all(m["Attributes"]["MessageGroupId"] in {"a", "b"} for m in first + again + nxt)


async def test_concurrent_consumers_neither_lose_nor_duplicate_messages(sqs):
    url, _ = await make_queue(sqs, visibility=60)
    for start in range(0, 300, 10):
        await sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(start + i)}
                                                            for i in range(10)])
    seen: list[str] = []

    async def consumer() -> None:
        while got := await receive(sqs, url):
            seen.extend(m["Body"] for m in got)
            await sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])

    await asyncio.gather(*(consumer() for _ in range(8)))
    assert sorted(seen, key=int) == [str(i) for i in range(300)]


async def test_concurrent_redrive_moves_every_message_to_the_dlq_exactly_once(sqs):
    # What moto's server got wrong: consumers receiving at once while the receives move
    # messages to the DLQ. Here every message is received once and never deleted.
    url, dlq = await make_queue(sqs, max_receive_count=1)
    for start in range(0, 200, 10):
        await sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(start + i)}
                                                            for i in range(10)])

    async def consumer() -> None:
        while await receive(sqs, url, visibility=0):
            pass

    await asyncio.gather(*(consumer() for _ in range(8)))
    moved: list[str] = []
    while got := await receive(sqs, dlq):
        moved.extend(m["Body"] for m in got)
        await sqs.delete_message_batch(QueueUrl=dlq, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
    assert sorted(moved, key=int) == [str(i) for i in range(200)]


async def test_the_pipelines_client_reads_messages_as_the_sdk_does(sqs, fauxqs_url):
    """The event source mapping uses a lean client; Lambda's records must come out identical."""
    url, _ = await make_queue(sqs)
    await sqs.send_message(QueueUrl=url, MessageBody='{"x": 1}', MessageAttributes={
        "traceparent": {"DataType": "String", "StringValue": "00-abc-def-01"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xffbytes"}})
    via_sdk = (await receive(sqs, url, visibility=0))[0]
    client = SqsJsonClient(fauxqs_url)
    try:
        via_client = (await client.call("ReceiveMessage", {
            "QueueUrl": url, "MaxNumberOfMessages": 10, "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"]}))["Messages"][0]
    finally:
        await client.close()
    arn = "arn:aws:sqs:us-east-1:000000000000:q"
    a, b = (to_lambda_record(m, queue_arn=arn, region="us-east-1") for m in (via_sdk, via_client))
    for record in (a, b):
        record.pop("receiptHandle")
        record["attributes"].pop("ApproximateReceiveCount")
    assert a == b
    assert b["messageAttributes"]["blob"]["binaryValue"] == "AP9ieXRlcw=="  # base64, as Lambda hands it over


async def test_the_pipelines_client_reports_sqs_errors_by_code(fauxqs_url):
    client = SqsJsonClient(fauxqs_url)
    try:
        with pytest.raises(SqsError) as info:
            await client.call("GetQueueAttributes", {"QueueUrl": f"{fauxqs_url}/000000000000/no-such-queue",
                                                     "AttributeNames": ["All"]})
    finally:
        await client.close()
    assert info.value.code == "QueueDoesNotExist" and info.value.status == 400
