"""``queue_name``: the name the process spans carry, from whatever ``eventSourceARN`` the records hold."""

from __future__ import annotations

from framework.records import queue_name


def test_the_name_is_what_follows_the_last_colon_of_the_first_usable_arn():
    arn = "arn:aws:sqs:eu-west-1:123456789012:orders.fifo"
    assert queue_name([{"eventSourceARN": arn}, {"eventSourceARN": "arn:aws:sqs:r:1:other"}]) == "orders.fifo"


def test_an_arn_without_a_colon_is_the_name_itself():
    assert queue_name([{"eventSourceARN": "plain-queue"}]) == "plain-queue"


def test_an_arn_ending_in_a_colon_names_the_queue_sqs():
    assert queue_name([{"eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:"}]) == "sqs"


def test_records_without_a_usable_arn_name_the_queue_sqs():
    assert queue_name([]) == "sqs"
    assert queue_name(["not a record", {"eventSourceARN": None}, {"eventSourceARN": 42}]) == "sqs"


def test_empty_and_non_string_arns_are_skipped_for_the_next_record():
    records = [{"eventSourceARN": ""}, {"eventSourceARN": 7}, {"eventSourceARN": "arn:aws:sqs:r:1:later"}]
    assert queue_name(records) == "later"
