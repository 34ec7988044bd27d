"""``read_record``'s field readers at their edges: message id length, counters, strings, non-object records."""

from __future__ import annotations

from framework.records import MAX_MESSAGE_ID_LENGTH, read_record


def record(**fields):
    return {"messageId": "m1", "body": "{}", **fields}


def test_a_message_id_of_the_maximum_length_is_kept_and_one_longer_is_not():
    assert MAX_MESSAGE_ID_LENGTH == 256
    assert read_record(0, record(messageId="x" * 256)).message_id == "x" * 256
    longer = read_record(0, record(messageId="x" * 257))
    assert longer.message_id is None
    assert longer.problem == "record #0 has no usable messageId (a string of 257 characters)"


def test_counters_are_non_negative_integers_of_at_most_19_digits():
    def receive_count(value):
        return read_record(0, record(attributes={"ApproximateReceiveCount": value})).receive_count

    assert [receive_count(v) for v in (0, 3, -1, True)] == [0, 3, None, None]
    assert receive_count("0") == 0
    assert receive_count("9" * 19) == int("9" * 19)
    assert receive_count("9" * 20) is None


def test_string_fields_must_be_non_empty_strings():
    for value in ("", 5, ["g"]):
        read = read_record(0, record(receiptHandle=value, attributes={"MessageGroupId": value}))
        assert (read.receipt_handle, read.group_id) == (None, None)
    read = read_record(0, record(receiptHandle="rh", attributes={"MessageGroupId": "g"}))
    assert (read.receipt_handle, read.group_id) == ("rh", "g")


def test_a_record_that_is_not_an_object_keeps_its_index_and_value():
    read = read_record(3, ["not", "an", "object"])
    assert (read.index, read.raw, read.message_id, read.body) == (3, ["not", "an", "object"], None, None)
    assert read.problem == "record #3 is a list, not an object"
