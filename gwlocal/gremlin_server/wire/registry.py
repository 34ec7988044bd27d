"""Picks the serializer for an incoming frame and decodes it.

Gremlin clients prefix every binary request with one length byte and the mime type of the format
they speak; that prefix is the only thing read here before handing the rest to the serializer.
"""

from __future__ import annotations

from .graphbinary import GraphBinarySerializer
from .graphson import GraphSONSerializer
from .messages import RequestMessage, Serializer, WireError

_GRAPHBINARY = GraphBinarySerializer()
_GRAPHSON_V3 = GraphSONSerializer(3)
_GRAPHSON_V2 = GraphSONSerializer(2)

#: The formats the endpoint speaks, by mime type (each answers in binary WebSocket frames).
SERIALIZERS: dict[str, Serializer] = {
    _GRAPHBINARY.mime_type: _GRAPHBINARY,
    _GRAPHSON_V3.mime_type: _GRAPHSON_V3,
    _GRAPHSON_V2.mime_type: _GRAPHSON_V2,
}

_DECODERS: dict[str, GraphBinarySerializer | GraphSONSerializer] = {
    _GRAPHBINARY.mime_type: _GRAPHBINARY,
    _GRAPHSON_V3.mime_type: _GRAPHSON_V3,
    _GRAPHSON_V2.mime_type: _GRAPHSON_V2,
}

_TEXT_TWINS: dict[str, GraphSONSerializer] = {
    _GRAPHSON_V3.mime_type: _GRAPHSON_V3.as_text_frames(),
    _GRAPHSON_V2.mime_type: _GRAPHSON_V2.as_text_frames(),
}


def decode_request(payload: bytes | str) -> RequestMessage:
    """Decode one WebSocket request frame.

    ``bytes`` (a binary frame, what gremlinpython sends): mime length byte, mime type, body.
    ``str`` (a text frame): bare GraphSON JSON is read as GraphSON 3, as Gremlin Server's text-frame
    decoder does; a mime-prefixed text frame is read by its prefix. Either way the serializer on the
    result answers in text frames, as Gremlin Server does for text requests.

    Raises ``WireError``; its ``serializer`` is ``None`` only when no format could be chosen.
    """
    text = isinstance(payload, str)
    if isinstance(payload, str):
        if payload.lstrip().startswith("{"):
            serializer = _TEXT_TWINS[_GRAPHSON_V3.mime_type]
            return serializer.decode_request_body(payload)
        raw = payload.encode("utf-8")
    else:
        raw = bytes(payload)
    if not raw:
        raise WireError("empty request frame")
    length = raw[0]
    if length == 0 or len(raw) < 1 + length:
        raise WireError(f"request frame too short for its {length}-byte mime type prefix")
    try:
        mime_type = raw[1 : 1 + length].decode("ascii")
    except UnicodeDecodeError as exc:
        raise WireError("request mime type prefix is not ASCII") from exc
    decoder = _DECODERS.get(mime_type)
    if decoder is None:
        supported = ", ".join(sorted(SERIALIZERS))
        raise WireError(f"unsupported mime type {mime_type!r} (supported: {supported})")
    if text:
        twin = _TEXT_TWINS.get(mime_type)
        if twin is None:
            raise WireError(f"{mime_type} cannot be sent in a text frame", serializer=decoder)
        decoder = twin
    return decoder.decode_request_body(raw[1 + length :])
