"""``MessageFailed``: what a failed message's exception says, and the reason text ``_short`` keeps."""

from __future__ import annotations

from framework.errors import GraphWorkerError
from framework.mapping import MessageFailed


def test_message_failed_reads_kind_colon_reason():
    failed = MessageFailed("invalid_message", "body is not valid JSON")
    assert isinstance(failed, GraphWorkerError)
    assert (failed.kind, failed.reason) == ("invalid_message", "body is not valid JSON")
    assert str(failed) == "invalid_message: body is not valid JSON"
    assert failed.args == ("invalid_message: body is not valid JSON",)
