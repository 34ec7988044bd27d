"""GraphSON 3.0 (``application/vnd.gremlin-v3.0+json``) and 2.0 (``application/vnd.gremlin-v2.0+json``).

gremlinpython's GraphSON readers are client readers: they have no notion of ``g:Bytecode``, ``g:P``,
``g:Lambda`` or strategies, so requests are decoded by our own walker. It accepts what gremlinpython
writes and what Java drivers write (``args`` as a plain object or a ``g:Map``, the request id as a
string or a ``g:UUID``). The two versions differ in collections: v3 tags them (``g:List``,
``g:Set``, ``g:Map``), v2 writes plain JSON arrays and objects, so v2 maps only ever have string keys.

Responses follow Gremlin Server 3.7's ``ResponseMessageSerializer``: the request id as a plain
string (gremlinpython looks results up by ``str(request_id)``), the status code as a plain number,
status attributes and meta as a ``g:Map`` (v3) or an object (v2).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from aenum import Enum
from gremlin_python import statics
from gremlin_python.process.traversal import Binding, Bytecode, P, Traverser
from gremlin_python.structure.graph import Edge, Element, Path, Property, Vertex, VertexProperty
from gremlin_python.structure.io.util import HashableDict

from .messages import LambdaArg, RequestMessage, WireError
from .tokens import (
    BINARY_OPERATORS,
    COLLECTION_OPERATORS,
    ENUMS,
    datetime_to_millis,
    enum_from_wire,
    enum_type_name,
    is_strategy_type_name,
    make_strategy,
    millis_to_datetime,
    predicate_class,
    wire_name,
)

MIME_TYPE_V3 = "application/vnd.gremlin-v3.0+json"
MIME_TYPE_V2 = "application/vnd.gremlin-v2.0+json"

_TYPE = "@type"
_VALUE = "@value"


def _fits(value: int, bits: int) -> bool:
    """Whether a signed integer fits in ``bits`` (comparisons, not ``in range(...)``: range
    membership is a linear scan for int subclasses such as ``statics.long``)."""
    limit = 1 << (bits - 1)
    return -limit <= value < limit


def _hashable(key: Any) -> Any:
    """Map keys as gremlinpython's readers make them hashable (lists -> tuples, maps ->
    ``HashableDict``), so a decoded map can hold any key the client could send."""
    if isinstance(key, (list, tuple, set, dict)):
        return HashableDict.of(key)
    return key


def _special_float(value: Any) -> float:
    if isinstance(value, str):
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if value in special:
            return special[value]
    return float(value)


# --------------------------------------------------------------------------- decoder
class _Decoder:
    """Turns parsed GraphSON into gremlinpython objects."""

    def __init__(self, version: int) -> None:
        self.version = version
        self._handlers: dict[str, Any] = {}
        """``@type`` tag -> the function decoding its ``@value`` (filled on first sight of a tag)."""

    def value(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is str or kind is int or kind is float or kind is bool or obj is None:
            return obj
        if kind is dict:
            tag = obj.get(_TYPE)
            if type(tag) is str:
                handler = self._handlers.get(tag)
                if handler is None:
                    handler = self._handler(tag)
                return handler(obj.get(_VALUE))
            # A plain object: a v2 map, or gremlinpython's untyped args/strategy configuration.
            value = self.value
            return {key: value(item) for key, item in obj.items()}
        if kind is list:
            value = self.value
            return [value(item) for item in obj]
        return obj

    def _handler(self, tag: str) -> Any:
        """The decoding function for a tag, memoised; unknown tags are not remembered."""
        prefix, _, name = tag.partition(":")
        if prefix not in ("g", "gx") or not name:
            raise WireError(f"unsupported GraphSON type {tag!r}")
        simple = _SIMPLE.get(name)
        if simple is None and not hasattr(self, f"_decode_{name}") and name not in ENUMS \
                and not is_strategy_type_name(name):
            raise WireError(f"unsupported GraphSON type {tag!r}")

        def handler(raw: Any) -> Any:
            return self._typed(tag, raw)

        if simple is not None:
            def scalar(raw: Any) -> Any:
                try:
                    return simple(raw)
                except (TypeError, ValueError, InvalidOperation) as exc:
                    raise WireError(f"bad {tag} value {raw!r}: {exc}") from exc

            handler = scalar
        elif hasattr(self, f"_decode_{name}"):
            handler = getattr(self, f"_decode_{name}")
        elif name in ENUMS:
            enum_type = ENUMS[name]

            def enum(raw: Any) -> Any:
                if not isinstance(raw, str):
                    raise WireError(f"{tag} value is not a string: {raw!r}")
                return enum_from_wire(enum_type, raw)

            handler = enum
        self._handlers[tag] = handler
        return handler

    def _typed(self, tag: str, raw: Any) -> Any:
        prefix, _, name = tag.partition(":")
        if prefix not in ("g", "gx") or not name:
            raise WireError(f"unsupported GraphSON type {tag!r}")
        simple = _SIMPLE.get(name)
        if simple is not None:
            try:
                return simple(raw)
            except (TypeError, ValueError, InvalidOperation) as exc:
                raise WireError(f"bad {tag} value {raw!r}: {exc}") from exc
        handler = getattr(self, f"_decode_{name}", None)
        if handler is not None:
            return handler(raw)
        if name in ENUMS:
            if not isinstance(raw, str):
                raise WireError(f"{tag} value is not a string: {raw!r}")
            return enum_from_wire(ENUMS[name], raw)
        if is_strategy_type_name(name):
            return make_strategy(name, self._configuration(raw))
        raise WireError(f"unsupported GraphSON type {tag!r}")

    # collections ---------------------------------------------------------
    def _items(self, raw: Any, what: str) -> list[Any]:
        if not isinstance(raw, list):
            raise WireError(f"{what} value is not an array: {raw!r}")
        value = self.value
        return [value(item) for item in raw]

    def _decode_List(self, raw: Any) -> list[Any]:
        return self._items(raw, "g:List")

    def _decode_Set(self, raw: Any) -> set[Any] | list[Any]:
        items = self._items(raw, "g:Set")
        try:
            return set(items)
        except TypeError:  # unhashable members: keep them, as gremlinpython does
            return items

    def _decode_Map(self, raw: Any) -> dict[Any, Any]:
        items = self._items(raw, "g:Map")
        if len(items) % 2:
            raise WireError("g:Map has an odd number of entries")
        return {_hashable(items[i]): items[i + 1] for i in range(0, len(items), 2)}

    def _configuration(self, raw: Any) -> dict[Any, Any]:
        if raw is None:
            return {}
        decoded = self.value(raw)
        if not isinstance(decoded, dict):
            raise WireError(f"strategy configuration is not a map: {raw!r}")
        return decoded

    # traversal -----------------------------------------------------------
    def _decode_Bytecode(self, raw: Any) -> Bytecode:
        if not isinstance(raw, dict):
            raise WireError(f"g:Bytecode value is not an object: {raw!r}")
        bytecode = Bytecode()
        bytecode.source_instructions = self._instructions(raw.get("source", []), "source")
        bytecode.step_instructions = self._instructions(raw.get("step", []), "step")
        return bytecode

    def _instructions(self, raw: Any, where: str) -> list[list[Any]]:
        if not isinstance(raw, list):
            raise WireError(f"g:Bytecode {where} is not an array")
        value = self.value
        instructions = []
        for instruction in raw:
            if not isinstance(instruction, list) or not instruction or not isinstance(instruction[0], str):
                raise WireError(f"malformed g:Bytecode {where} instruction {instruction!r}")
            decoded = [instruction[0]]
            for arg in instruction[1:]:
                decoded.append(value(arg))
            instructions.append(decoded)
        return instructions

    def _predicate(self, tag: str, raw: Any) -> P:
        if not isinstance(raw, dict) or not isinstance(raw.get("predicate"), str):
            raise WireError(f"malformed g:{tag} value {raw!r}")
        cls = predicate_class(tag)
        operator: str = raw["predicate"]
        value = raw.get("value")
        if isinstance(value, list) and type(value) is not _GList:
            # A plain array is (value, other) from P.between / P.and_ ... In v3 a collection value
            # is a g:List, so a plain array of two is always a pair; v2 writes collections as plain
            # arrays too, so there the operator decides.
            items = [self.value(item) for item in value]
            if operator in COLLECTION_OPERATORS:
                return cls(operator, items)
            if len(items) == 2 and (self.version >= 3 or operator in BINARY_OPERATORS):
                return cls(operator, items[0], items[1])
            return cls(operator, items)
        decoded = self.value(value)
        if operator in COLLECTION_OPERATORS and isinstance(decoded, (set, tuple)):
            decoded = list(decoded)
        elif operator in BINARY_OPERATORS and isinstance(decoded, list) and len(decoded) == 2:
            # Java drivers write P.between(a, b)'s operands as a g:List.
            return cls(operator, decoded[0], decoded[1])
        return cls(operator, decoded)

    def _decode_P(self, raw: Any) -> P:
        return self._predicate("P", raw)

    def _decode_TextP(self, raw: Any) -> P:
        return self._predicate("TextP", raw)

    def _decode_Lambda(self, raw: Any) -> LambdaArg:
        if not isinstance(raw, dict) or not isinstance(raw.get("script"), str):
            raise WireError(f"malformed g:Lambda value {raw!r}")
        arguments = raw.get("arguments", -1)
        return LambdaArg(
            script=raw["script"],
            language=str(raw.get("language", statics.default_lambda_language)),
            arguments=int(self.value(arguments)) if arguments is not None else -1,
        )

    def _decode_Binding(self, raw: Any) -> Binding:
        if not isinstance(raw, dict) or not isinstance(raw.get("key"), str):
            raise WireError(f"malformed g:Binding value {raw!r}")
        return Binding(raw["key"], self.value(raw.get("value")))

    def _decode_Class(self, raw: Any) -> Any:
        return statics.GremlinType(str(raw))

    # structure (a client may pass elements as arguments, e.g. g.V(v)) --------
    def _fields(self, raw: Any, tag: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise WireError(f"malformed {tag} value {raw!r}")
        return raw

    def _decode_Vertex(self, raw: Any) -> Vertex:
        fields = self._fields(raw, "g:Vertex")
        return Vertex(self.value(fields.get("id")), fields.get("label", "vertex"))

    def _decode_Edge(self, raw: Any) -> Edge:
        fields = self._fields(raw, "g:Edge")
        return Edge(
            self.value(fields.get("id")),
            Vertex(self.value(fields.get("outV")), fields.get("outVLabel", "vertex")),
            fields.get("label", "edge"),
            Vertex(self.value(fields.get("inV")), fields.get("inVLabel", "vertex")),
        )

    def _decode_VertexProperty(self, raw: Any) -> VertexProperty:
        fields = self._fields(raw, "g:VertexProperty")
        vertex = Vertex(self.value(fields["vertex"])) if "vertex" in fields else None
        return VertexProperty(self.value(fields.get("id")), fields.get("label"),
                              self.value(fields.get("value")), vertex)

    def _decode_Property(self, raw: Any) -> Property:
        fields = self._fields(raw, "g:Property")
        return Property(fields.get("key"), self.value(fields.get("value")), None)

    def _decode_Traverser(self, raw: Any) -> Traverser:
        fields = self._fields(raw, "g:Traverser")
        return Traverser(self.value(fields.get("value")), self.value(fields.get("bulk", 1)))


class _GList(list[Any]):
    """A decoded ``g:List``, told apart from a plain JSON array (a ``P``'s operand pair)."""


class _HookDecoder(_Decoder):
    """The same decoding, done by ``json.loads``'s ``object_hook`` as the document is parsed.

    The hook sees each JSON object once its members are already decoded, so nothing is walked twice
    and plain arrays and strings are never visited in Python: :meth:`value` is the identity here.
    """

    def __init__(self, version: int) -> None:
        super().__init__(version)
        # The most frequent scalar tags, with a fast path for well-formed values (anything else
        # goes through the checked decoding, and its error).
        for tag, kind, make in (("g:Int32", int, int), ("g:Int64", int, statics.long), ("g:Double", float, float)):
            checked = self._handler(tag)

            def fast(raw: Any, kind: type = kind, make: Any = make, checked: Any = checked) -> Any:
                return make(raw) if type(raw) is kind else checked(raw)

            self._handlers[tag] = fast

    def value(self, obj: Any) -> Any:
        return obj

    def _items(self, raw: Any, what: str) -> list[Any]:
        if not isinstance(raw, list):
            raise WireError(f"{what} value is not an array: {raw!r}")
        return raw

    def _decode_List(self, raw: Any) -> list[Any]:
        return _GList(self._items(raw, "g:List"))

    def _decode_Map(self, raw: Any) -> dict[Any, Any]:
        items = self._items(raw, "g:Map")
        if len(items) % 2:
            raise WireError("g:Map has an odd number of entries")
        result: dict[Any, Any] = {}
        for i in range(0, len(items), 2):
            key = items[i]
            if type(key) is not str and isinstance(key, list | tuple | set | dict):
                key = HashableDict.of(key)
            result[key] = items[i + 1]
        return result

    def _instructions(self, raw: Any, where: str) -> list[list[Any]]:
        """The instruction arrays as parsed (their arguments are decoded already): checked, not copied."""
        if not isinstance(raw, list):
            raise WireError(f"g:Bytecode {where} is not an array")
        for instruction in raw:
            if type(instruction) is not list or not instruction or type(instruction[0]) is not str:
                raise WireError(f"malformed g:Bytecode {where} instruction {instruction!r}")
        return raw

    def _decode_Bytecode(self, raw: Any) -> Bytecode:
        if not isinstance(raw, dict):
            raise WireError(f"g:Bytecode value is not an object: {raw!r}")
        bytecode = Bytecode.__new__(Bytecode)  # the attributes Bytecode() sets, without its checks
        bytecode.bindings = {}
        bytecode.source_instructions = self._instructions(raw.get("source", []), "source")
        bytecode.step_instructions = self._instructions(raw.get("step", []), "step")
        return bytecode

    def hook(self, obj: dict[str, Any]) -> Any:
        tag = obj.get(_TYPE)
        if type(tag) is not str:
            return obj  # a plain object: a v2 map, the request, its args, a strategy configuration
        handler = self._handlers.get(tag)
        if handler is None:
            handler = self._handler(tag)
        return handler(obj.get(_VALUE))


def _uuid(raw: Any) -> uuid.UUID:
    return uuid.UUID(str(raw))


def _int(raw: Any) -> int:
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise TypeError(f"not an integer: {raw!r}")
    return int(raw)


#: Scalar GraphSON types: tag name -> constructor of the Python value from the raw JSON value.
_SIMPLE: dict[str, Any] = {
    "Int32": _int,
    "Int64": lambda raw: statics.long(_int(raw)),
    "Int16": lambda raw: statics.short(_int(raw)),
    "Byte": lambda raw: statics.SingleByte(_int(raw)),
    "BigInteger": lambda raw: statics.bigint(_int(raw)),
    "Double": _special_float,
    "Float": _special_float,
    "BigDecimal": lambda raw: Decimal(str(raw)),
    "UUID": _uuid,
    "Date": lambda raw: millis_to_datetime(_int(raw)),
    "Timestamp": lambda raw: statics.timestamp(_int(raw) / 1000.0),
    "Char": lambda raw: statics.SingleChar(str(raw)),
}


# --------------------------------------------------------------------------- encoder
def _typed(type_name: str, value: Any, prefix: str = "g") -> dict[str, Any]:
    return {_TYPE: f"{prefix}:{type_name}", _VALUE: value}


def _float_value(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _java_key(key: Any) -> str:
    """How Gremlin Server's GraphSON v2 ``GraphSONKeySerializer`` writes a map key: an element's id,
    else the key's Java ``toString`` (``T.id`` -> ``"id"``, ``Direction.OUT`` -> ``"OUT"``)."""
    if isinstance(key, str):
        return key
    if isinstance(key, Element):
        return _java_key(key.id)
    if isinstance(key, Enum):
        return wire_name(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, dt.datetime):
        millis = datetime_to_millis(key)
        return millis_to_datetime(millis).isoformat(timespec="milliseconds") + "+00:00"
    if isinstance(key, (list, tuple, set, frozenset)):
        return "[" + ", ".join(_java_key(item) for item in key) + "]"
    return str(key)


class _Encoder:
    """Writes response values as Gremlin Server 3.7 does for one GraphSON version."""

    def __init__(self, version: int) -> None:
        self.version = version

    def value(self, obj: Any) -> Any:
        if obj is None or (isinstance(obj, (bool, str)) and not isinstance(obj, statics.SingleChar)):
            return obj
        if isinstance(obj, Traverser):
            bulk = _typed("Int64", int(obj.bulk))
            return _typed("Traverser", {"bulk": bulk, "value": self.value(obj.object)})
        if isinstance(obj, statics.timestamp):
            return _typed("Timestamp", round(obj * 1000))
        if isinstance(obj, float):
            return _typed("Double", _float_value(obj))
        if isinstance(obj, int):
            return self._int(obj)
        if isinstance(obj, Decimal):
            return _typed("BigDecimal", str(obj), "gx")
        if isinstance(obj, statics.SingleChar):
            return _typed("Char", str(obj), "gx")
        if isinstance(obj, uuid.UUID):
            return _typed("UUID", str(obj))
        if isinstance(obj, dt.datetime):
            return _typed("Date", datetime_to_millis(obj))
        if isinstance(obj, dt.timedelta):
            return _typed("Duration", f"PT{obj.total_seconds()}S", "gx")
        if isinstance(obj, Enum):
            return _typed(enum_type_name(obj), wire_name(obj))
        if isinstance(obj, Vertex):
            return _typed("Vertex", self._element(obj, {}))
        if isinstance(obj, Edge):
            fields = {
                "inVLabel": str(obj.inV.label), "outVLabel": str(obj.outV.label),
                "inV": self.value(obj.inV.id), "outV": self.value(obj.outV.id),
            }
            return _typed("Edge", self._element(obj, fields))
        if isinstance(obj, VertexProperty):
            fields = {"value": self.value(obj.value)}
            if obj.vertex is not None:
                fields["vertex"] = self.value(obj.vertex.id)
            return _typed("VertexProperty", self._element(obj, fields))
        if isinstance(obj, Property):
            return _typed("Property", {"key": str(obj.key), "value": self.value(obj.value)})
        if isinstance(obj, Path):
            labels = [set(labels) for labels in obj.labels]
            return _typed("Path", {"labels": self.value(labels), "objects": self.value(list(obj.objects))})
        if isinstance(obj, dict):
            return self.map(obj)
        if isinstance(obj, (set, frozenset)):
            items = [self.value(item) for item in obj]
            return _typed("Set", items) if self.version >= 3 else items
        if isinstance(obj, (list, tuple)):
            items = [self.value(item) for item in obj]
            return _typed("List", items) if self.version >= 3 else items
        raise WireError(f"cannot encode a {type(obj).__name__} in GraphSON {self.version}: {obj!r}")

    def map(self, mapping: dict[Any, Any]) -> Any:
        if self.version >= 3:
            flat: list[Any] = []
            for key, value in mapping.items():
                flat.append(self.value(key))
                flat.append(self.value(value))
            return _typed("Map", flat)
        return {_java_key(key): self.value(value) for key, value in mapping.items()}

    def _int(self, value: int) -> dict[str, Any]:
        if isinstance(value, statics.bigint) or not _fits(value, 64):
            return _typed("BigInteger", str(value), "gx")
        if isinstance(value, statics.long) or not _fits(value, 32):
            return _typed("Int64", value)
        if isinstance(value, statics.SingleByte):
            return _typed("Byte", value, "gx")
        if isinstance(value, statics.short):
            return _typed("Int16", value, "gx")
        return _typed("Int32", value)

    def _element(self, element: Element, extra: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {"id": self.value(element.id), "label": str(element.label), **extra}
        properties = element.properties
        if not properties:
            return fields
        if isinstance(element, Vertex):
            # {key: [VertexProperty, ...]}: a vertex property key can hold several values.
            grouped: dict[str, list[Any]] = {}
            for prop in properties:
                key = str(prop.label if isinstance(prop, VertexProperty) else prop.key)
                grouped.setdefault(key, []).append(self.value(prop))
            fields["properties"] = grouped
        elif isinstance(element, Edge):
            fields["properties"] = {str(prop.key): self.value(prop) for prop in properties}
        else:  # VertexProperty: its meta-properties as {key: value}
            fields["properties"] = {str(prop.key): self.value(prop.value) for prop in properties}
        return fields


# --------------------------------------------------------------------------- serializer
class GraphSONSerializer:
    """One GraphSON version, requests in and responses out.

    ``text_frames`` is ``False`` for the instances in ``SERIALIZERS`` (gremlinpython sends binary
    frames and Gremlin Server answers in kind); ``as_text_frames()`` gives the twin used when a
    request arrived in a text frame.
    """

    def __init__(self, version: int, *, text_frames: bool = False) -> None:
        if version not in (2, 3):
            raise ValueError(f"unsupported GraphSON version {version}")
        self.version = version
        self.mime_type = MIME_TYPE_V3 if version == 3 else MIME_TYPE_V2
        self.text_frames = text_frames
        self._decoder = _Decoder(version)
        self._hooks = _HookDecoder(version)
        self._encoder = _Encoder(version)

    def as_text_frames(self) -> GraphSONSerializer:
        return GraphSONSerializer(self.version, text_frames=True)

    def decode_request_body(self, body: bytes | str) -> RequestMessage:
        """Decode the JSON request that follows the mime-type prefix.

        The fast path decodes while parsing (:class:`_HookDecoder`); a request it refuses is decoded
        again the plain way, which knows the request id by the time it fails, so the error can be
        addressed to the client's request.
        """
        try:
            message = json.loads(body, object_hook=self._hooks.hook)
        except (WireError, ValueError, UnicodeDecodeError, RecursionError):
            return self._decode_walking(body)
        if not isinstance(message, dict):
            raise WireError("request is not a JSON object", serializer=self)
        request_id = self._request_id(message.get("requestId"))
        op, processor, args = message.get("op"), message.get("processor") or "", message.get("args", {})
        if args is None:
            args = {}
        if (not isinstance(op, str) or not op or not isinstance(processor, str) or not isinstance(args, dict)
                or not all(isinstance(k, str) for k in args)):
            return self._decode_walking(body)
        return RequestMessage(request_id=request_id, op=op, processor=processor, args=args, serializer=self)

    def _decode_walking(self, body: bytes | str) -> RequestMessage:
        """Parse, then walk the document: slower, with the request id in every error."""
        try:
            message = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WireError(f"request is not valid JSON: {exc}", serializer=self) from exc
        except RecursionError as exc:
            raise WireError("request nested too deeply", serializer=self) from exc
        if not isinstance(message, dict):
            raise WireError("request is not a JSON object", serializer=self)
        request_id = self._request_id(message.get("requestId"))
        try:
            op = message.get("op")
            if not isinstance(op, str) or not op:
                raise WireError("request has no 'op'")
            processor = message.get("processor") or ""
            if not isinstance(processor, str):
                raise WireError("request 'processor' is not a string")
            raw_args = message.get("args", {})
            args = self._decoder.value(raw_args) if raw_args is not None else {}
            if not isinstance(args, dict) or not all(isinstance(k, str) for k in args):
                raise WireError("request 'args' is not a map with string keys")
        except WireError as exc:
            raise WireError(str(exc), request_id=request_id, serializer=self) from exc
        except RecursionError as exc:
            raise WireError("request nested too deeply", request_id=request_id, serializer=self) from exc
        return RequestMessage(request_id=request_id, op=op, processor=processor, args=args, serializer=self)

    def _request_id(self, raw: Any) -> uuid.UUID:
        """gremlinpython sends ``{"@type": "g:UUID", ...}``; Java drivers a plain string."""
        if isinstance(raw, uuid.UUID):  # already decoded by the hook
            return raw
        if isinstance(raw, dict) and raw.get(_TYPE) == "g:UUID":
            raw = raw.get(_VALUE)
        if not isinstance(raw, str):
            raise WireError(f"missing or bad requestId {raw!r}", serializer=self)
        try:
            return uuid.UUID(raw)
        except ValueError as exc:
            raise WireError(f"bad requestId {raw!r}", serializer=self) from exc

    def encode_response(
        self,
        request_id: uuid.UUID | None,
        status_code: int,
        status_message: str | None,
        status_attributes: dict[str, Any],
        data: Any,
        meta: dict[str, Any],
    ) -> bytes:
        """A GraphSON response message as UTF-8 JSON.

        Raises ``WireError`` (with ``request_id`` and this serializer) if ``data`` holds a value
        GraphSON cannot carry.
        """
        try:
            message = {
                "requestId": str(request_id) if request_id is not None else None,
                "status": {
                    "message": status_message,
                    "code": status_code,
                    "attributes": self._encoder.map(dict(status_attributes or {})),
                },
                "result": {
                    "data": self._encoder.value(data),
                    "meta": self._encoder.map(dict(meta or {})),
                },
            }
        except WireError as exc:
            raise WireError(str(exc), request_id=request_id, serializer=self) from exc
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
