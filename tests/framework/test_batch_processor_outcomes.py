"""GraphBatchProcessor used as Powertools' batch processor: each failed record's exception says why.

The processor is exported for callers who drive it themselves (``with processor(records, handler,
context): await processor.process_records()``); Powertools then holds, per failed record, the
exception the record handler raised: a :class:`MessageFailed` with the message's reason kind and
reason, the same ones logged and counted in ``MessagesFailed``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from framework.mapping import MessageFailed
from framework.upserts import Vertex
from framework.worker import GraphBatchProcessor, GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.lambda_events import LocalLambdaContext, sqs_record


async def test_each_failed_record_holds_its_message_failed_with_kind_and_reason(make_client, captured):
    worker = GraphWorker(service="t", config=WorkerConfig(), telemetry=captured.telemetry)

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        yield Vertex(id=msg["id"], label="Item")

    no_body = sqs_record("{}", message_id="m-no-body")
    del no_body["body"]
    records = [sqs_record(json.dumps({"id": "a"}), message_id="m-good"), no_body,
               sqs_record("[1, 2", message_id="m-bad-json")]
    context = LocalLambdaContext()
    processor = GraphBatchProcessor(worker, make_client(), captured.telemetry, context)
    with processor(records, processor.record_handler, context):
        await processor.process_records()
    assert processor.response() == {"batchItemFailures": [{"itemIdentifier": "m-no-body"},
                                                          {"itemIdentifier": "m-bad-json"}]}
    assert [(type(value), value.kind, value.reason, str(value)) for _, value, _ in processor.exceptions] == [
        (MessageFailed, "invalid_record", "body is missing or null, expected a string",
         "invalid_record: body is missing or null, expected a string"),
        (MessageFailed, "invalid_message", "body is not valid JSON: Expecting ',' delimiter: line 1 column 6 (char 5)",
         "invalid_message: body is not valid JSON: Expecting ',' delimiter: line 1 column 6 (char 5)"),
    ]
    assert processor.success_messages == [records[0]]


def test_powertools_own_entry_point_is_refused_rather_than_reporting_unwritten_records(make_client, captured):
    """Powertools' async_process_partial_response runs only the reporting step: with this processor
    it would answer every record as succeeded with nothing written. It must fail loudly instead."""
    from aws_lambda_powertools.utilities.batch import async_process_partial_response

    worker = GraphWorker(service="t", config=WorkerConfig(), telemetry=captured.telemetry)

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        yield Vertex(id=msg["id"], label="Item")

    context = LocalLambdaContext()
    processor = GraphBatchProcessor(worker, make_client(), captured.telemetry, context)
    event = {"Records": [sqs_record("[1, 2", message_id="m-bad-json")]}
    with pytest.raises(TypeError, match=r"call GraphWorker.process\(\)"):
        async_process_partial_response(event, processor.record_handler, processor, context)
