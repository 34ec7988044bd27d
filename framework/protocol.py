"""The Gremlin WebSocket protocol: request framing and response decoding, nothing else.

Why its own layer: the connection multiplexes requests by id and the client decides about
retries; neither should know how a GraphBinary or GraphSON frame looks. This layer turns
bytecode into one request frame and a response frame into a :class:`ResponseFrame`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any

from gremlin_python.driver.request import RequestMessage
from gremlin_python.process.traversal import Traverser

from .errors import RequestEncodingError
from .graphbinary_responses import read_response
from .serializers import message_serializer


@dataclass(frozen=True, slots=True)
class ResponseFrame:
    """One decoded response message (a request's answer may span several: 206 ... 200)."""

    request_id: str
    status: int
    message: str | None
    data: list[Any]

    @property
    def is_partial(self) -> bool:
        return self.status == 206

    @property
    def is_success(self) -> bool:
        return self.status in (200, 204, 206)


class ProtocolError(Exception):
    """A frame could not be decoded."""


class PreparedRequest(abc.ABC):
    """A request that may know how to write its own frame faster than the generic serializer.

    Why: graphworker's write requests have fixed shapes, and building their gremlinpython bytecode
    and walking it with the generic writer cost most of the client's CPU per message. A prepared
    request builds its bytecode only if the generic path is needed (another serializer, a shape
    its fast writer declines), so the fast path never builds it at all.
    """

    @abc.abstractmethod
    def bytecode(self) -> Any:
        """The request as gremlinpython bytecode (the generic path: other serializers, refused shapes)."""

    def graphbinary_frame(self, request_id: str, *, evaluation_timeout_ms: int | None,
                          batch_size: int | None) -> bytes | None:
        """The GraphBinary v1 frame, or None to use the generic path."""
        return None


class GremlinProtocol:
    """Encodes ``bytecode`` requests and decodes responses with one serializer."""

    def __init__(self, serializer: str) -> None:
        self.serializer_name = serializer
        self._serializer = message_serializer(serializer)
        self._reads_graphbinary = serializer == "graphbinary-v1"

    def encode(self, request_id: str, bytecode: Any, *, evaluation_timeout_ms: int | None = None,
               batch_size: int | None = None) -> bytes:
        """One request frame for ``bytecode`` (or a :class:`PreparedRequest`)."""
        if isinstance(bytecode, PreparedRequest):
            if self.serializer_name == "graphbinary-v1":
                frame = bytecode.graphbinary_frame(request_id, evaluation_timeout_ms=evaluation_timeout_ms,
                                                   batch_size=batch_size)
                if frame is not None:
                    return frame
            bytecode = bytecode.bytecode()
        args: dict[str, Any] = {"gremlin": bytecode, "aliases": {"g": "g"}}
        if evaluation_timeout_ms is not None:
            args["evaluationTimeout"] = int(evaluation_timeout_ms)
        if batch_size is not None:
            args["batchSize"] = int(batch_size)
        try:
            frame = self._serializer.serialize_message(request_id, RequestMessage("traversal", "bytecode", args))
        except Exception as exc:  # whatever the serializer chokes on is in the request's content
            raise RequestEncodingError(f"the request could not be serialized with {self.serializer_name}: "
                                       f"{type(exc).__name__}: {exc}") from exc
        return bytes(frame)

    def decode(self, payload: bytes | str) -> ResponseFrame:
        if self._reads_graphbinary and isinstance(payload, bytes):
            read = read_response(payload)  # the common shape in one pass; None: gremlinpython reads it
            if read is not None:
                return ResponseFrame(*read)
        try:
            message = self._serializer.deserialize_message(payload)
            status = message["status"]
            return ResponseFrame(
                request_id=str(message["requestId"]),
                status=int(status["code"]),
                message=status.get("message"),
                data=_unwrap(message["result"]["data"]),
            )
        except Exception as exc:  # any decoding failure (a status code that is no number, too) is a protocol failure
            raise ProtocolError(f"undecodable response frame ({type(exc).__name__}: {exc})") from exc


def _unwrap(data: Any) -> list[Any]:
    """Results of a bytecode request are Traversers with a bulk: expand them to plain objects."""
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    out: list[Any] = []
    for item in items:
        if isinstance(item, Traverser):
            out.extend([item.object] * int(item.bulk))
        else:
            out.append(item)
    return out
