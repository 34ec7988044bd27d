"""The reason a record or a message fails, as its log line and span say it: exact, bounded, readable.

A bad record fails alone ``invalid_record``; a body that is not the model ``invalid_message``; an
upserts function that raises ``mapping_error``. Whatever the body held, the reason stays printable
and at most 1,000 characters plus a note of how much was cut.
"""

from __future__ import annotations

import pytest

from framework.mapping import MessageFailed, parse_body, run_mapper
from framework.records import read_record
from gwlocal.lambda_events import sqs_record


def _record(**changes):
    raw = sqs_record("{}", message_id="m1")
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not DROP}


DROP = object()


@pytest.mark.parametrize(("changes", "problem"), [
    ({"body": DROP}, "body is missing or null, expected a string"),
    ({"body": 7}, "body is a int, expected a string"),
    ({"messageId": ""}, "record #3 has no usable messageId (an empty string)"),
    ({"messageId": "x" * 257}, "record #3 has no usable messageId (a string of 257 characters)"),
    ({"messageId": None, "body": ["x"]},
     "record #3 has no usable messageId (missing or null); body is a list, expected a string"),
    ({"attributes": "x"}, "attributes is a string of 1 characters, expected an object"),
    ({"eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q.fifo"},
     "record from a FIFO queue without attributes.MessageGroupId"),
])
def test_a_bad_record_says_what_is_wrong_with_it(changes, problem):
    assert read_record(3, _record(**changes)).problem == problem


def test_a_record_that_is_not_an_object_says_what_it_is():
    record = read_record(2, ["x"])
    assert (record.problem, record.message_id, record.body) == ("record #2 is a list, not an object", None, None)


def test_a_good_record_has_no_problem_and_reads_its_fields():
    record = read_record(0, sqs_record('{"a": 1}', message_id="m9", receive_count=3, sent_timestamp_ms=5))
    assert (record.problem, record.message_id, record.body, record.receive_count, record.sent_timestamp_ms) == (
        None, "m9", '{"a": 1}', 3, 5)


async def test_an_upserts_function_error_is_reported_readably_and_bounded():
    def boom(_):
        raise RuntimeError("bad \udc00 value " + "x" * 2000)

    with pytest.raises(MessageFailed) as failed:
        await run_mapper(boom, {})
    assert failed.value.kind == "mapping_error"
    text = failed.value.reason
    prefix = "the upserts function raised RuntimeError: bad \\udc00 value "
    assert text.startswith(prefix)
    assert text.endswith(f"... ({len(prefix) - len('the upserts function raised RuntimeError: ') + 2000 - 1000}"
                         " more characters)")
    text.encode("utf-8")  # printable as UTF-8 although the exception's text was not


@pytest.mark.parametrize("length", [999, 1000])
async def test_a_reason_of_up_to_1000_characters_is_kept_whole(length):
    def boom(_):
        raise ValueError("y" * length)

    with pytest.raises(MessageFailed) as failed:
        await run_mapper(boom, {})
    assert failed.value.reason == "the upserts function raised ValueError: " + "y" * length


def test_a_body_that_is_not_json_is_reported_with_the_parsers_reason():
    with pytest.raises(MessageFailed) as failed:
        parse_body("{", None)
    assert failed.value.kind == "invalid_message"
    assert failed.value.reason.startswith("body is not valid JSON: ")
