"""The wire layer's data model: what a decoded request looks like and what a serializer offers.

Kept free of any format detail so the server and the engine depend on these names only, never on
GraphBinary or GraphSON specifics.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Serializer(Protocol):
    """Encodes responses in one of the formats a Gremlin client may ask for.

    ``text_frames`` tells the server which WebSocket frame type to send the bytes in: Gremlin Server
    answers in the frame type the request arrived in (``WsGremlinBinaryRequestDecoder`` sets
    ``USE_BINARY``), and gremlinpython always sends binary frames, so every serializer in
    ``SERIALIZERS`` says ``False``. Only a GraphSON request that arrived as a *text* frame gets a
    serializer whose ``text_frames`` is ``True``; its bytes are UTF-8 JSON.
    """

    mime_type: str
    text_frames: bool

    def encode_response(
        self,
        request_id: uuid.UUID | None,
        status_code: int,
        status_message: str | None,
        status_attributes: dict[str, Any],
        data: Any,
        meta: dict[str, Any],
    ) -> bytes: ...


@dataclass(frozen=True)
class RequestMessage:
    """One decoded Gremlin request.

    ``args`` holds plain Python values as gremlinpython itself would build them: for
    ``op == "bytecode"``, ``args["gremlin"]`` is a ``gremlin_python.process.traversal.Bytecode``;
    ``aliases``, ``batchSize``, ``evaluationTimeout`` ... are plain values.
    """

    request_id: uuid.UUID
    op: str
    processor: str
    args: dict[str, Any]
    serializer: Serializer = field(repr=False, compare=False)


@dataclass(frozen=True)
class LambdaArg:
    """A lambda sent by the client (``lambda: "it.get()"``).

    Neptune rejects lambdas; decoding them into their own type lets the engine refuse them by type
    (``isinstance(arg, LambdaArg)``) with a clear message instead of failing on an unknown value.
    ``arguments`` is the arity the client declared (-1 when unknown), as on the wire.
    """

    script: str
    language: str
    arguments: int


class WireError(Exception):
    """A request (or response value) that cannot be decoded or encoded.

    ``request_id`` and ``serializer`` are filled in as soon as they are known, so the server can
    still answer in the client's own format when only the body is bad. When the mime type itself is
    unknown, ``serializer`` is ``None``: there is no format the client is known to understand.
    """

    def __init__(
        self,
        message: str,
        *,
        request_id: uuid.UUID | None = None,
        serializer: Serializer | None = None,
    ) -> None:
        super().__init__(message)
        self.request_id = request_id
        self.serializer = serializer
