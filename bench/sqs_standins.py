"""Benchmark the local SQS stand-ins side by side: fauxqs (npm) and moto's server, and two clients.

Run: ``.venv/bin/python bench/sqs_standins.py [--messages N] [--consumers 1,4]``.

For each stand-in, started in its own process exactly as ``graphworker local`` starts it
(127.0.0.1, a free port), through the pipeline's client (``gwlocal.local.sqs_client``, SQS's
JSON protocol without the SDK) and, for fauxqs, also through the AWS SDK (aiobotocore), whose
cost per call is what made the pipeline leave it:

1. send N messages with SendMessageBatch (4 calls in flight);
2. consume them from that depth with C concurrent consumers, each doing ReceiveMessage(10) +
   DeleteMessageBatch, until the queue is empty; checked: every message received, none twice
   (a loss or a duplicate is printed, not hidden);
3. the same once more with a redrive policy (maxReceiveCount 1) and every message failed
   once: the receive that finds a used-up message moves it to the DLQ, concurrently.

It prints msg/s per phase, the server's CPU per 1,000 messages (from /proc) and the client's,
and the ratios fauxqs/moto. Numbers are for this machine as it is (noisy); compare ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from aiobotocore.session import get_session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gwlocal.local.processes import ChildServer, cpu_seconds
from gwlocal.local.sqs_client import SqsJsonClient
from gwlocal.local.sqs_servers import sqs_server

CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}
CONTENDERS = [("fauxqs", "pipeline"), ("fauxqs", "aiobotocore"), ("moto", "pipeline")]


class PipelineClient:
    """The pipeline's client behind the SDK's method names (``send_message_batch(QueueUrl=...)``)."""

    def __init__(self, url: str) -> None:
        self.client = SqsJsonClient(url)

    def __getattr__(self, name: str) -> Any:
        action = "".join(part.title() for part in name.split("_"))

        async def call(**kwargs: Any) -> dict[str, Any]:
            return await self.client.call(action, kwargs)

        return call

    async def __aenter__(self) -> PipelineClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()


async def send_all(client: Any, url: str, n: int, in_flight: int = 4) -> None:
    batches = [[{"Id": str(i), "MessageBody": json.dumps({"n": start + i, "pad": "x" * 200})}
                for i in range(min(10, n - start))] for start in range(0, n, 10)]
    queue: asyncio.Queue[list[dict[str, Any]]] = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)

    async def sender() -> None:
        while not queue.empty():
            entries = queue.get_nowait()
            response = await client.send_message_batch(QueueUrl=url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError(f"SendMessageBatch failed: {response['Failed'][:2]}")

    await asyncio.gather(*(sender() for _ in range(in_flight)))


async def consume_all(client: Any, url: str, n: int, consumers: int, *, delete: bool = True,
                      limit_s: float = 300.0) -> tuple[dict[str, int], bool]:
    """Receive until ``n`` distinct messages were seen (``n`` = 0: until the queue stays empty):
    message id -> times seen, and whether it ended before ``limit_s``."""
    seen: dict[str, int] = {}
    empty_polls = 0
    deadline = time.monotonic() + limit_s

    async def consumer() -> None:
        nonlocal empty_polls
        while (not n or len(seen) < n) and empty_polls < 20 and time.monotonic() < deadline:
            response = await client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                                    MessageSystemAttributeNames=["ApproximateReceiveCount"])
            messages = response.get("Messages", [])
            if not messages:
                empty_polls += 1
                await asyncio.sleep(0.05)  # polling an emptied queue before giving up
                continue
            empty_polls = 0
            for m in messages:
                seen[m["MessageId"]] = seen.get(m["MessageId"], 0) + 1
            if delete:
                await client.delete_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])

    await asyncio.gather(*(consumer() for _ in range(consumers)))
    return seen, time.monotonic() < deadline


async def measure_one(client: Any, server: ChildServer, c: int, n: int) -> dict[str, Any]:
    row: dict[str, Any] = {"consumers": c}
    q = (await client.create_queue(QueueName=f"bench-{c}", Attributes={"VisibilityTimeout": "60"}))["QueueUrl"]
    cpu0, client0, t0 = cpu_seconds(server.pid or 0), time.process_time(), time.perf_counter()
    await send_all(client, q, n)
    t1 = time.perf_counter()
    seen, in_time = await consume_all(client, q, n, c)
    t2 = time.perf_counter()
    row["send msg/s"] = n / (t1 - t0)
    row["consume msg/s"] = n / (t2 - t1)
    row["server cpu ms/1k"] = (cpu_seconds(server.pid or 0) - cpu0) * 1000 / n * 1000 / 2
    row["client cpu ms/1k"] = (time.process_time() - client0) * 1000 / n * 1000 / 2
    row["lost"] = n - len(seen)
    row["dup"] = sum(v - 1 for v in seen.values())
    row["timed out"] = not in_time
    # Redrive: maxReceiveCount 1 and a zero visibility timeout: every message is received once and
    # not deleted, and the receive that finds it again moves it to the DLQ (with c consumers at once).
    dlq = (await client.create_queue(QueueName=f"bench-{c}-dlq"))["QueueUrl"]
    dlq_arn = (await client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"]))["Attributes"][
        "QueueArn"]
    rq = (await client.create_queue(QueueName=f"bench-{c}-redrive", Attributes={
        "VisibilityTimeout": "0",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "1"})}))["QueueUrl"]
    m = min(n, 1000)
    await send_all(client, rq, m)
    t3 = time.perf_counter()
    await consume_all(client, rq, 0, c, delete=False, limit_s=120)  # until every one has moved
    in_dlq, _ = await consume_all(client, dlq, m, 1, limit_s=60)
    row["redrive msg/s"] = m / (time.perf_counter() - t3)
    row["redrive lost"] = m - len(in_dlq)
    return row


async def measure(kind: str, client_kind: str, n: int, consumers: list[int]) -> list[dict[str, Any]]:
    server: ChildServer = sqs_server(kind)
    url = server.start()
    rows = []
    try:
        connect = (PipelineClient(url) if client_kind == "pipeline"
                   else get_session().create_client("sqs", endpoint_url=url, **CREDENTIALS))
        async with connect as client:
            for c in consumers:
                try:
                    row = await measure_one(client, server, c, n)
                except Exception as exc:  # a stand-in that breaks under this load is a result, not a crash
                    row = {"consumers": c, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}
                rows.append({"stand-in": kind, "client": client_kind, **row})
    finally:
        server.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=2000, help="messages per phase")
    parser.add_argument("--consumers", default="1,4", help="concurrent consumers, comma-separated")
    parser.add_argument("--stand-ins", default="fauxqs,moto", help="which stand-ins, comma-separated")
    args = parser.parse_args()
    consumers = [int(c) for c in args.consumers.split(",")]
    rows: list[dict[str, Any]] = []
    for kind, client_kind in CONTENDERS:
        if kind in args.stand_ins.split(","):
            rows += asyncio.run(measure(kind, client_kind, args.messages, consumers))
    columns = ["stand-in", "client", "consumers", "send msg/s", "consume msg/s", "redrive msg/s", "server cpu ms/1k",
               "client cpu ms/1k", "lost", "dup", "redrive lost", "timed out"]
    print(f"{args.messages} messages per phase (send, then consume from that depth); CPU: per 1,000 messages "
          "sent + consumed, per phase")
    width = 12
    print("  ".join(f"{c:>{width}}" for c in columns))
    for row in rows:
        if "error" in row:
            print(f"{row['stand-in']:>{width}}  {row['client']:>{width}}  {row['consumers']:>{width}}  "
                  f"failed: {row['error']}")
            continue
        print("  ".join(f"{row[c]:>{width}.0f}" if isinstance(row[c], float) else f"{row[c]!s:>{width}}"
                        for c in columns))
    by = {(r["stand-in"], r["client"], r["consumers"]): r for r in rows if "error" not in r}
    for c in consumers:
        f, m, sdk = by.get(("fauxqs", "pipeline", c)), by.get(("moto", "pipeline", c)), by.get(
            ("fauxqs", "aiobotocore", c))
        if f and m:
            print(f"fauxqs/moto, {c} consumer(s): send {f['send msg/s'] / m['send msg/s']:.1f}x, "
                  f"consume {f['consume msg/s'] / m['consume msg/s']:.1f}x, "
                  f"redrive {f['redrive msg/s'] / m['redrive msg/s']:.1f}x; server CPU per message moto/fauxqs "
                  f"{m['server cpu ms/1k'] / max(f['server cpu ms/1k'], 1e-9):.0f}x")
        if f and sdk:
            print(f"client CPU per message, aiobotocore/pipeline client, {c} consumer(s): "
                  f"{sdk['client cpu ms/1k'] / max(f['client cpu ms/1k'], 1e-9):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
