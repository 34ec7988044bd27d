"""The Gremlin wire protocol of the local endpoint: request decoding and response encoding.

Three formats, chosen by the mime type prefix gremlinpython puts on every request:

- ``application/vnd.graphbinary-v1.0`` (GraphBinary v1, gremlinpython's default),
- ``application/vnd.gremlin-v3.0+json`` (GraphSON 3),
- ``application/vnd.gremlin-v2.0+json`` (GraphSON 2, used by Neptune's older samples).

Requests decode to gremlinpython objects (``Bytecode``, ``P``, enums, strategies) so the engine
sees what the client built; responses encode as TinkerPop Gremlin Server 3.7 sends them, so a real
gremlinpython client cannot tell the difference. Every serializer here answers in binary WebSocket
frames (``text_frames`` is ``False``), as Gremlin Server does for the binary frames gremlinpython
sends.
"""

from .messages import LambdaArg, RequestMessage, Serializer, WireError
from .registry import SERIALIZERS, decode_request
from .tokens import enum_from_wire, wire_name

__all__ = [
    "SERIALIZERS",
    "LambdaArg",
    "RequestMessage",
    "Serializer",
    "WireError",
    "decode_request",
    "enum_from_wire",
    "wire_name",
]
