"""GraphBinary v1 (``application/vnd.graphbinary-v1.0``), gremlinpython's default format.

Requests are read with gremlinpython's own ``GraphBinaryReader``, extended with the types only a
server ever reads (``P``, ``TextP``, strategies, lambdas, classes) and with enum/long/date readers
that return what the client put in (gremlinpython's own enum reader cannot map ``"list"`` back to
``Cardinality.list_``, and it reads longs as plain ints). Responses are written by a small encoder
of our own that follows Gremlin Server 3.7: Python ints become Int or Long by range (gremlinpython's
writer cannot write an int above 2**31 at all) and element properties are included when present.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import uuid
from decimal import Decimal
from typing import Any

from aenum import Enum
from gremlin_python import statics
from gremlin_python.process.traversal import Binding, Bytecode, P, TextP, Traverser
from gremlin_python.structure.graph import Edge, Path, Property, Vertex, VertexProperty
from gremlin_python.structure.io.graphbinaryV1 import DataType, GraphBinaryReader
from gremlin_python.structure.io.util import HashableDict

from .messages import LambdaArg, RequestMessage, WireError
from .tokens import (
    COLLECTION_OPERATORS,
    ENUMS,
    datetime_to_millis,
    enum_from_wire,
    make_strategy,
    millis_to_datetime,
    predicate_from_args,
    strategy_class,
    wire_name,
)

MIME_TYPE = "application/vnd.graphbinary-v1.0"
_VERSION = 0x81
_NULL_FLAG = 0x01
_FULLY_QUALIFIED_NULL = bytes([0xFE, 0x01])

_INT32 = struct.Struct(">i")
_INT64 = struct.Struct(">q")
_DOUBLE = struct.Struct(">d")


def _fits(value: int, bits: int) -> bool:
    """Whether a signed integer fits in ``bits`` (comparisons, not ``in range(...)``: range
    membership is a linear scan for int subclasses such as ``statics.long``)."""
    limit = 1 << (bits - 1)
    return -limit <= value < limit


class _Truncated(Exception):
    """The frame ended before the value did."""


class _StrictBuffer(io.BytesIO):
    """A buffer whose short reads fail loudly.

    gremlinpython's reader trusts the frame: a truncated string silently comes back short. For a
    server, a truncated frame must be an error, never a slightly different query.
    """

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            raise _Truncated("negative length in frame")
        data = super().read(size)
        if len(data) < size:
            raise _Truncated(f"frame truncated: wanted {size} bytes, {len(data)} left")
        return data


def _read_int(buff: io.BytesIO) -> int:
    value: int = _INT32.unpack(buff.read(4))[0]
    return value


def _read_string_value(buff: io.BytesIO) -> str:
    length = _read_int(buff)
    if length < 0:
        raise WireError(f"negative string length {length}")
    return buff.read(length).decode("utf-8")


def _is_null(buff: io.BytesIO, nullable: bool) -> bool:
    return nullable and buff.read(1)[0] == _NULL_FLAG


# --------------------------------------------------------------------------- extra readers
# Plain classes, not gremlinpython ``_GraphBinaryTypeIO`` subclasses: its metaclass registers every
# subclass in gremlinpython's global tables, which would change how clients in this process behave.


class _LongReader:
    @classmethod
    def objectify(cls, buff: io.BytesIO, reader: Any, nullable: bool = True) -> statics.long | None:
        if _is_null(buff, nullable):
            return None
        return statics.long(_INT64.unpack(buff.read(8))[0])


class _DateReader:
    @classmethod
    def objectify(cls, buff: io.BytesIO, reader: Any, nullable: bool = True) -> dt.datetime | None:
        if _is_null(buff, nullable):
            return None
        return millis_to_datetime(_INT64.unpack(buff.read(8))[0])


def _enum_reader(enum_type: type[Enum]) -> type:
    class _EnumReader:
        @classmethod
        def objectify(cls, buff: io.BytesIO, reader: Any, nullable: bool = True) -> Enum | None:
            if _is_null(buff, nullable):
                return None
            name = reader.read_object(buff)
            if not isinstance(name, str):
                raise WireError(f"{enum_type.__name__} value is not a string: {name!r}")
            return enum_from_wire(enum_type, name)

    return _EnumReader


def _predicate_reader(cls_: type[P]) -> type:
    class _PredicateReader:
        @classmethod
        def objectify(cls, buff: io.BytesIO, reader: Any, nullable: bool = True) -> P | None:
            if _is_null(buff, nullable):
                return None
            operator = _read_string_value(buff)
            count = _read_int(buff)
            args = [reader.read_object(buff) for _ in range(max(count, 0))]
            return predicate_from_args(cls_, operator, args)

    return _PredicateReader


class _StrategyReader:
    @classmethod
    def objectify(cls, buff: io.BytesIO, reader: Any, nullable: bool = True) -> Any:
        if _is_null(buff, nullable):
            return None
        class_name = _read_string_value(buff)
        count = _read_int(buff)
        configuration: dict[Any, Any] = {}
        for _ in range(max(count, 0)):
            key = reader.read_object(buff)
            configuration[key] = reader.read_object(buff)
        return make_strategy(class_name, configuration)


class _LambdaReader:
    @classmethod
    def objectify(cls, buff: io.BytesIO, reader: Any, nullable: bool = True) -> LambdaArg | None:
        if _is_null(buff, nullable):
            return None
        language = _read_string_value(buff)
        script = _read_string_value(buff)
        return LambdaArg(script=script, language=language, arguments=_read_int(buff))


class _ClassReader:
    """A Java class argument, e.g. ``withoutStrategies(ReadOnlyStrategy)``: gremlinpython's own
    strategy class when it has one (so the bytecode equals what the client built), else a
    ``GremlinType`` carrying the class name."""

    @classmethod
    def objectify(cls, buff: io.BytesIO, reader: Any, nullable: bool = True) -> Any:
        if _is_null(buff, nullable):
            return None
        class_name = _read_string_value(buff)
        return strategy_class(class_name) or statics.GremlinType(class_name)


#: GraphBinary's type code for each enum in ``tokens.ENUMS``: gremlinpython names the code after the
#: type, lower-cased (``Cardinality`` -> ``DataType.cardinality``, ``DT`` -> ``DataType.dt``).
_ENUM_TYPE_CODES: dict[type[Enum], DataType] = {
    enum_type: DataType[type_name.lower()] for type_name, enum_type in ENUMS.items()
}

_READER_OVERRIDES: dict[DataType, type] = {
    DataType.long: _LongReader,
    DataType.date: _DateReader,
    DataType.p: _predicate_reader(P),
    DataType.textp: _predicate_reader(TextP),
    DataType.traversalstrategy: _StrategyReader,
    DataType.lambda_: _LambdaReader,
    DataType.clazz: _ClassReader,
    **{code: _enum_reader(enum_type) for enum_type, code in _ENUM_TYPE_CODES.items()},
}


class _RequestReader(GraphBinaryReader):  # type: ignore[misc]
    """gremlinpython's reader plus the server-side types above."""

    def __init__(self) -> None:
        super().__init__(deserializer_map=_READER_OVERRIDES)


# --------------------------------------------------------------------------- fast request reader
# gremlinpython's reader walks a BytesIO through several Python calls per byte field; requests
# (batches of hundreds of upserts) are the endpoint's hot path, so the common types are read here
# straight from the frame's bytes with ``struct.unpack_from``. The types a client rarely sends
# (elements, paths, BigDecimal, durations ...) are handed to gremlinpython's reader at the same offset,
# so they decode exactly as before. A frame shorter than what it announces fails with WireError.

_U8 = struct.Struct(">B")
_I8 = struct.Struct(">b")
_I16 = struct.Struct(">h")
_FLOAT = struct.Struct(">f")

Read = Any  # Callable[[bytes, int], tuple[Any, int]]: a value's reader, from just after its value flag


def _need(buf: bytes, end: int) -> None:
    if end > len(buf):
        raise _Truncated(f"frame truncated: wanted {end} bytes, the frame has {len(buf)}")


def _str_at(buf: bytes, pos: int) -> tuple[str, int]:
    """A bare String value (length, UTF-8 bytes): no type code, no value flag."""
    (length,) = _INT32_UNPACK_FROM(buf, pos)
    start = pos + 4
    end = start + length
    if length < 0 or end > len(buf):
        raise _Truncated(f"frame truncated or bad string length {length}")
    return buf[start:end].decode("utf-8"), end


def _count_at(buf: bytes, pos: int, what: str) -> int:
    (count,) = _INT32.unpack_from(buf, pos)
    if count < 0:
        raise WireError(f"negative {what} count {count}")
    return int(count)


class _FastReader:
    """Reads a fully qualified GraphBinary value (type code, value flag, value) at an offset."""

    def __init__(self) -> None:
        self._step_names: dict[bytes, str] = {}
        """Step and predicate names by their UTF-8 bytes: a request repeats the same few dozen."""
        self._read_p = self._p
        self._fallback = _RequestReader()
        self._fallback_objectify = self._fallback._deserializer_by_type_code
        enums: dict[int, Read] = {code.value: self._enum(enum_type) for enum_type, code in _ENUM_TYPE_CODES.items()}
        self._readers: dict[int, Read] = {
            DataType.int.value: self._int,
            DataType.long.value: self._long,
            DataType.string.value: _str_at,
            DataType.date.value: self._date,
            DataType.double.value: self._double,
            DataType.float.value: self._float,
            DataType.list.value: self._list,
            DataType.map.value: self._map,
            DataType.set.value: self._set,
            DataType.uuid.value: self._uuid,
            DataType.bytecode.value: self._bytecode,
            DataType.p.value: self._read_p,
            DataType.textp.value: self._predicate(TextP),
            DataType.binding.value: self._binding,
            DataType.lambda_.value: self._lambda,
            DataType.traversalstrategy.value: self._strategy,
            DataType.clazz.value: self._class,
            DataType.boolean.value: self._boolean,
            DataType.byte.value: self._byte,
            DataType.short.value: self._short,
            DataType.biginteger.value: self._bigint,
            **enums,
        }

    def read(self, buf: bytes, pos: int) -> tuple[Any, int]:
        code = buf[pos]
        flag = buf[pos + 1]
        if flag == 0x00:  # the common scalars, inlined: this runs for nearly every value
            if code == _STRING_CODE:
                (length,) = _INT32_UNPACK_FROM(buf, pos + 2)
                start = pos + 6
                end = start + length
                if length < 0 or end > len(buf):
                    raise _Truncated(f"frame truncated or bad string length {length}")
                return buf[start:end].decode("utf-8"), end
            if code == _INT_CODE:
                return _INT32_UNPACK_FROM(buf, pos + 2)[0], pos + 6
            if code == _LONG_CODE:
                return statics.long(_INT64_UNPACK_FROM(buf, pos + 2)[0]), pos + 10
        if code == _NULL_CODE:
            return None, pos + 2
        if flag == _NULL_FLAG:
            if code not in self._readers and code not in self._fallback_objectify:
                raise WireError(f"unknown GraphBinary type code 0x{code:02x}")
            return None, pos + 2
        reader = self._readers.get(code)
        if reader is None:
            return self._delegate(buf, pos, code)
        if flag != 0x00:
            raise WireError(f"unsupported value flag 0x{flag:02x} for type code 0x{code:02x}")
        result: tuple[Any, int] = reader(buf, pos + 2)
        return result

    def _delegate(self, buf: bytes, pos: int, code: int) -> tuple[Any, int]:
        objectify = self._fallback_objectify.get(code)
        if objectify is None:
            raise WireError(f"unknown GraphBinary type code 0x{code:02x}")
        buff = _StrictBuffer(buf)
        buff.seek(pos + 1)
        value = objectify(buff, self._fallback, True)
        return value, buff.tell()

    # scalars -------------------------------------------------------------
    @staticmethod
    def _int(buf: bytes, pos: int) -> tuple[int, int]:
        return _INT32.unpack_from(buf, pos)[0], pos + 4

    @staticmethod
    def _long(buf: bytes, pos: int) -> tuple[Any, int]:
        return statics.long(_INT64.unpack_from(buf, pos)[0]), pos + 8

    @staticmethod
    def _date(buf: bytes, pos: int) -> tuple[Any, int]:
        return millis_to_datetime(_INT64.unpack_from(buf, pos)[0]), pos + 8

    @staticmethod
    def _double(buf: bytes, pos: int) -> tuple[float, int]:
        return _DOUBLE.unpack_from(buf, pos)[0], pos + 8

    @staticmethod
    def _float(buf: bytes, pos: int) -> tuple[float, int]:
        return _FLOAT.unpack_from(buf, pos)[0], pos + 4

    @staticmethod
    def _uuid(buf: bytes, pos: int) -> tuple[uuid.UUID, int]:
        _need(buf, pos + 16)
        return uuid.UUID(bytes=buf[pos:pos + 16]), pos + 16

    @staticmethod
    def _boolean(buf: bytes, pos: int) -> tuple[bool, int]:
        return _I8.unpack_from(buf, pos)[0] == 0x01, pos + 1

    @staticmethod
    def _byte(buf: bytes, pos: int) -> tuple[Any, int]:
        return int.__new__(statics.SingleByte, _I8.unpack_from(buf, pos)[0]), pos + 1

    @staticmethod
    def _short(buf: bytes, pos: int) -> tuple[int, int]:
        return _I16.unpack_from(buf, pos)[0], pos + 2

    @staticmethod
    def _bigint(buf: bytes, pos: int) -> tuple[int, int]:
        size = _count_at(buf, pos, "BigInteger byte")
        start = pos + 4
        _need(buf, start + size)
        return int.from_bytes(buf[start:start + size], byteorder="big", signed=True), start + size

    # collections ---------------------------------------------------------
    def _list(self, buf: bytes, pos: int) -> tuple[list[Any], int]:
        count = _count_at(buf, pos, "list item")
        pos += 4
        read = self.read
        items = []
        for _ in range(count):
            item, pos = read(buf, pos)
            items.append(item)
        return items, pos

    def _set(self, buf: bytes, pos: int) -> tuple[Any, int]:
        items, pos = self._list(buf, pos)
        try:
            return set(items), pos
        except TypeError:  # unhashable members: keep them, as gremlinpython does
            return items, pos

    def _map(self, buf: bytes, pos: int) -> tuple[dict[Any, Any], int]:
        count = _count_at(buf, pos, "map entry")
        pos += 4
        read = self.read
        unpack_from = _INT32_UNPACK_FROM
        size = len(buf)
        result: dict[Any, Any] = {}
        key: Any
        value: Any
        for _ in range(count):
            if buf[pos] == _STRING_CODE and buf[pos + 1] == 0x00:  # a String key, inlined
                (length,) = unpack_from(buf, pos + 2)
                start = pos + 6
                pos = start + length
                if length < 0 or pos > size:
                    raise _Truncated(f"frame truncated or bad string length {length}")
                key = buf[start:pos].decode("utf-8")
            else:
                key, pos = read(buf, pos)
                if isinstance(key, dict | list | set):
                    key = HashableDict.of(key)
            code = buf[pos]
            if code == _STRING_CODE and buf[pos + 1] == 0x00:  # a String value, inlined
                (length,) = unpack_from(buf, pos + 2)
                start = pos + 6
                pos = start + length
                if length < 0 or pos > size:
                    raise _Truncated(f"frame truncated or bad string length {length}")
                value = buf[start:pos].decode("utf-8")
            elif code == _INT_CODE and buf[pos + 1] == 0x00:
                value = unpack_from(buf, pos + 2)[0]
                pos += 6
            else:
                value, pos = read(buf, pos)
            result[key] = value
        return result, pos

    # traversal -----------------------------------------------------------
    def _instructions(self, buf: bytes, pos: int) -> tuple[list[list[Any]], int]:
        """A list of instructions (step name, arguments). A versioned upsert is mostly nested
        one- or two-step traversals (``not(has(k, gte(n)))``), so besides Strings the child
        Bytecode and ``P`` arguments are read here directly rather than through :meth:`read`'s
        dispatch; any other type (and a null of any type) still goes through :meth:`read`."""
        (count,) = _INT32_UNPACK_FROM(buf, pos)
        if count < 0:
            raise WireError(f"negative instruction count {count}")
        pos += 4
        read = self.read
        read_bytecode = self._bytecode
        read_p = self._read_p
        unpack_from = _INT32_UNPACK_FROM
        names = self._step_names
        size = len(buf)
        instructions = []
        for _ in range(count):
            (length,) = unpack_from(buf, pos)
            start = pos + 4
            pos = start + length
            if length < 0 or pos > size:
                raise _Truncated(f"frame truncated or bad step name length {length}")
            raw = buf[start:pos]
            name = names.get(raw)
            if name is None:
                name = raw.decode("utf-8")
                if len(names) < _MAX_STEP_NAMES:
                    names[raw] = name
            instruction: list[Any] = [name]
            (arity,) = unpack_from(buf, pos)
            pos += 4
            if arity < 0:
                raise WireError(f"negative argument count {arity}")
            for _ in range(arity):
                code = buf[pos]
                if buf[pos + 1] != 0x00:  # a null (or a bad flag): read() decides
                    arg, pos = read(buf, pos)
                    instruction.append(arg)
                elif code == _STRING_CODE:  # a String argument, inlined
                    (length,) = unpack_from(buf, pos + 2)
                    start = pos + 6
                    pos = start + length
                    if length < 0 or pos > size:
                        raise _Truncated(f"frame truncated or bad string length {length}")
                    instruction.append(buf[start:pos].decode("utf-8"))
                elif code == _BYTECODE_CODE:
                    arg, pos = read_bytecode(buf, pos + 2)
                    instruction.append(arg)
                elif code == _P_CODE:
                    arg, pos = read_p(buf, pos + 2)
                    instruction.append(arg)
                else:
                    arg, pos = read(buf, pos)
                    instruction.append(arg)
            instructions.append(instruction)
        return instructions, pos

    def _bytecode(self, buf: bytes, pos: int) -> tuple[Bytecode, int]:
        bytecode = Bytecode.__new__(Bytecode)  # the attributes Bytecode() sets, without its checks
        bytecode.bindings = {}
        bytecode.step_instructions, pos = self._instructions(buf, pos)
        if buf[pos:pos + 4] == _NO_INSTRUCTIONS:  # the usual child traversal: no source instructions
            bytecode.source_instructions = []
            return bytecode, pos + 4
        bytecode.source_instructions, pos = self._instructions(buf, pos)
        return bytecode, pos

    def _enum(self, enum_type: type[Enum]) -> Read:
        read = self.read
        members: dict[bytes, Enum] = {}

        def enum_value(buf: bytes, pos: int) -> tuple[Enum, int]:
            if buf[pos] == _STRING_CODE and buf[pos + 1] == 0x00:
                # The name's bytes are looked up directly: a batch repeats the same few tokens.
                (length,) = _INT32_UNPACK_FROM(buf, pos + 2)
                start = pos + 6
                end = start + length
                if length < 0 or end > len(buf):
                    raise _Truncated(f"frame truncated or bad string length {length}")
                raw = buf[start:end]
                member = members.get(raw)
                if member is None:
                    member = enum_from_wire(enum_type, raw.decode("utf-8"))
                    if len(members) < 256:
                        members[raw] = member
                return member, end
            name, pos = read(buf, pos)
            if type(name) is not str:
                raise WireError(f"{enum_type.__name__} value is not a string: {name!r}")
            return enum_from_wire(enum_type, name), pos

        return enum_value

    def _predicate(self, cls_: type[P]) -> Read:
        read = self.read

        def predicate(buf: bytes, pos: int) -> tuple[P, int]:
            operator, pos = _str_at(buf, pos)
            count = _count_at(buf, pos, "predicate argument")
            pos += 4
            args = []
            for _ in range(count):
                arg, pos = read(buf, pos)
                args.append(arg)
            return predicate_from_args(cls_, operator, args), pos

        return predicate

    def _p(self, buf: bytes, pos: int) -> tuple[P, int]:
        """A ``P``, as :meth:`_predicate` reads it, with the usual one-operand form (``gte(n)``,
        what versioned writes send by the dozen) built directly."""
        (length,) = _INT32_UNPACK_FROM(buf, pos)
        start = pos + 4
        end = start + length
        if length < 0 or end > len(buf):
            raise _Truncated(f"frame truncated or bad string length {length}")
        raw = buf[start:end]
        operator = self._step_names.get(raw)
        if operator is None:
            operator = raw.decode("utf-8")
            if len(self._step_names) < _MAX_STEP_NAMES:
                self._step_names[raw] = operator
        (count,) = _INT32_UNPACK_FROM(buf, end)
        if count == 1 and operator not in COLLECTION_OPERATORS:
            value, pos = self.read(buf, end + 4)
            return P(operator, value), pos
        if count < 0:
            raise WireError(f"negative predicate argument count {count}")
        pos = end + 4
        args = []
        for _ in range(count):
            arg, pos = self.read(buf, pos)
            args.append(arg)
        return predicate_from_args(P, operator, args), pos

    def _binding(self, buf: bytes, pos: int) -> tuple[Binding, int]:
        key, pos = _str_at(buf, pos)
        value, pos = self.read(buf, pos)
        return Binding(key, value), pos

    @staticmethod
    def _lambda(buf: bytes, pos: int) -> tuple[LambdaArg, int]:
        language, pos = _str_at(buf, pos)
        script, pos = _str_at(buf, pos)
        (arguments,) = _INT32.unpack_from(buf, pos)
        return LambdaArg(script=script, language=language, arguments=arguments), pos + 4

    def _strategy(self, buf: bytes, pos: int) -> tuple[Any, int]:
        class_name, pos = _str_at(buf, pos)
        count = _count_at(buf, pos, "strategy configuration")
        pos += 4
        configuration: dict[Any, Any] = {}
        for _ in range(count):
            key, pos = self.read(buf, pos)
            configuration[key], pos = self.read(buf, pos)
        return make_strategy(class_name, configuration), pos

    @staticmethod
    def _class(buf: bytes, pos: int) -> tuple[Any, int]:
        class_name, pos = _str_at(buf, pos)
        return strategy_class(class_name) or statics.GremlinType(class_name), pos


_NULL_CODE = 0xFE
_BYTECODE_CODE = DataType.bytecode.value
_P_CODE = DataType.p.value
_NO_INSTRUCTIONS = bytes(4)
_MAX_STEP_NAMES = 512
_STRING_CODE = DataType.string.value
_INT_CODE = DataType.int.value
_LONG_CODE = DataType.long.value
_INT32_UNPACK_FROM = _INT32.unpack_from
_INT64_UNPACK_FROM = _INT64.unpack_from


# --------------------------------------------------------------------------- encoder
class _Encoder:
    """Writes Gremlin Server 3.7's GraphBinary for response values (fully qualified: type code,
    value flag, value)."""

    def write(self, obj: Any, out: bytearray) -> None:
        if obj is None:
            out += _FULLY_QUALIFIED_NULL
            return
        if isinstance(obj, bool):
            self._head(DataType.boolean, out)
            out.append(1 if obj else 0)
        elif isinstance(obj, Traverser):
            self._head(DataType.traverser, out)
            out += _INT64.pack(int(obj.bulk))
            self.write(obj.object, out)
        elif isinstance(obj, statics.timestamp):
            self._head(DataType.timestamp, out)
            out += _INT64.pack(round(obj * 1000))
        elif isinstance(obj, float):
            self._head(DataType.double, out)
            out += _DOUBLE.pack(obj)
        elif isinstance(obj, int):
            self._write_int(obj, out)
        elif isinstance(obj, Decimal):
            self._write_decimal(obj, out)
        elif isinstance(obj, statics.SingleChar):
            self._head(DataType.char, out)
            out += obj.encode("utf-8")
        elif isinstance(obj, str):
            self._head(DataType.string, out)
            self._string_value(obj, out)
        elif isinstance(obj, uuid.UUID):
            self._head(DataType.uuid, out)
            out += obj.bytes
        elif isinstance(obj, dt.datetime):
            self._head(DataType.date, out)
            out += _INT64.pack(datetime_to_millis(obj))
        elif isinstance(obj, dt.timedelta):
            self._head(DataType.duration, out)
            out += _INT64.pack(obj.days * 86400 + obj.seconds)
            out += _INT32.pack(obj.microseconds * 1000)
        elif isinstance(obj, (bytes, bytearray)):
            self._head(DataType.bytebuffer, out)
            out += _INT32.pack(len(obj))
            out += obj
        elif isinstance(obj, Enum):
            self._write_enum(obj, out)
        elif isinstance(obj, Vertex):
            self._head(DataType.vertex, out)
            self.write(obj.id, out)
            self._string_value(str(obj.label), out)
            self._write_properties(obj.properties, out)
        elif isinstance(obj, Edge):
            self._head(DataType.edge, out)
            self.write(obj.id, out)
            self._string_value(str(obj.label), out)
            self.write(obj.inV.id, out)
            self._string_value(str(obj.inV.label), out)
            self.write(obj.outV.id, out)
            self._string_value(str(obj.outV.label), out)
            out += _FULLY_QUALIFIED_NULL  # parent
            self._write_properties(obj.properties, out)
        elif isinstance(obj, VertexProperty):
            self._head(DataType.vertexproperty, out)
            self.write(obj.id, out)
            self._string_value(str(obj.label), out)
            self.write(obj.value, out)
            out += _FULLY_QUALIFIED_NULL  # parent
            self._write_properties(obj.properties, out)
        elif isinstance(obj, Property):
            self._head(DataType.property, out)
            self._string_value(str(obj.key), out)
            self.write(obj.value, out)
            out += _FULLY_QUALIFIED_NULL  # parent
        elif isinstance(obj, Path):
            self._head(DataType.path, out)
            self.write([set(labels) for labels in obj.labels], out)
            self.write(list(obj.objects), out)
        elif isinstance(obj, dict):
            self._head(DataType.map, out)
            self.map_value(obj, out)
        elif isinstance(obj, (set, frozenset)):
            self._head(DataType.set, out)
            self._items(obj, out)
        elif isinstance(obj, (list, tuple)):
            self._head(DataType.list, out)
            self._items(obj, out)
        else:
            raise WireError(f"cannot encode a {type(obj).__name__} in GraphBinary: {obj!r}")

    @staticmethod
    def _head(data_type: DataType, out: bytearray) -> None:
        out.append(data_type.value)
        out.append(0x00)

    @staticmethod
    def _string_value(value: str, out: bytearray) -> None:
        raw = value.encode("utf-8")
        out += _INT32.pack(len(raw))
        out += raw

    def _items(self, items: Any, out: bytearray) -> None:
        out += _INT32.pack(len(items))
        for item in items:
            self.write(item, out)

    def map_value(self, mapping: dict[Any, Any], out: bytearray) -> None:
        out += _INT32.pack(len(mapping))
        for key, value in mapping.items():
            self.write(key, out)
            self.write(value, out)

    def _write_int(self, value: int, out: bytearray) -> None:
        # statics.long always travels as Long, as the engine asked; a plain int by its range.
        if isinstance(value, statics.bigint) or not _fits(value, 64):
            self._head(DataType.biginteger, out)
            self._bigint_value(value, out)
        elif isinstance(value, statics.long) or not _fits(value, 32):
            self._head(DataType.long, out)
            out += _INT64.pack(value)
        elif isinstance(value, statics.SingleByte):
            self._head(DataType.byte, out)
            out += struct.pack(">b", value)
        elif isinstance(value, statics.short):
            self._head(DataType.short, out)
            out += struct.pack(">h", value)
        else:
            self._head(DataType.int, out)
            out += _INT32.pack(value)

    @staticmethod
    def _bigint_value(value: int, out: bytearray) -> None:
        length = (value.bit_length() if value >= 0 else (value + 1).bit_length()) // 8 + 1
        out += _INT32.pack(length)
        out += value.to_bytes(length, "big", signed=True)

    def _write_decimal(self, value: Decimal, out: bytearray) -> None:
        sign, digits, exponent = value.as_tuple()
        if not isinstance(exponent, int):
            raise WireError(f"cannot encode non-finite BigDecimal {value}")
        unscaled = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
        self._head(DataType.bigdecimal, out)
        out += _INT32.pack(-exponent)
        self._bigint_value(unscaled, out)

    def _write_enum(self, member: Enum, out: bytearray) -> None:
        for enum_type, code in _ENUM_TYPE_CODES.items():
            if isinstance(member, enum_type):
                self._head(code, out)
                self.write(wire_name(member), out)
                return
        raise WireError(f"cannot encode enum {member!r} in GraphBinary")

    def _write_properties(self, properties: Any, out: bytearray) -> None:
        # Gremlin Server 3.7 writes an element's properties as a list when it has them, else null
        # (gremlinpython reads null back as an empty list).
        if properties:
            self.write(list(properties), out)
        else:
            out += _FULLY_QUALIFIED_NULL


# --------------------------------------------------------------------------- serializer
class GraphBinarySerializer:
    """GraphBinary v1 requests in, GraphBinary v1 responses out (always binary frames)."""

    mime_type = MIME_TYPE
    text_frames = False

    def __init__(self) -> None:
        self._encoder = _Encoder()
        self._reader = _FastReader()

    def decode_request_body(self, body: bytes) -> RequestMessage:
        """Decode what follows the mime-type prefix: version, request id, op, processor, args."""
        buf = bytes(body)
        request_id: uuid.UUID | None = None
        try:
            _need(buf, 17)
            version = buf[0]
            if version != _VERSION:
                raise WireError(f"unsupported GraphBinary request version 0x{version:02x}")
            request_id = uuid.UUID(bytes=buf[1:17])
            op, pos = _str_at(buf, 17)
            processor, pos = _str_at(buf, pos)
            count = _count_at(buf, pos, "argument")
            pos += 4
            reader = self._reader
            args: dict[str, Any] = {}
            for _ in range(count):
                key, pos = reader.read(buf, pos)
                if not isinstance(key, str):
                    raise WireError(f"request argument name is not a string: {key!r}")
                args[key], pos = reader.read(buf, pos)
        except WireError as exc:
            raise WireError(str(exc), request_id=request_id, serializer=self) from exc
        except (_Truncated, struct.error, IndexError) as exc:
            raise WireError(f"frame truncated: {exc}", request_id=request_id, serializer=self) from exc
        except RecursionError as exc:
            raise WireError("request nested too deeply", request_id=request_id, serializer=self) from exc
        except Exception as exc:  # gremlinpython's reader (rare types) fails with many types (ValueError, ...)
            raise WireError(
                f"undecodable GraphBinary request: {type(exc).__name__}: {exc}",
                request_id=request_id, serializer=self,
            ) from exc
        return RequestMessage(request_id=request_id, op=op, processor=processor, args=args, serializer=self)

    def encode_response(
        self,
        request_id: uuid.UUID | None,
        status_code: int,
        status_message: str | None,
        status_attributes: dict[str, Any],
        data: Any,
        meta: dict[str, Any],
    ) -> bytes:
        """A GraphBinary response message, laid out as Gremlin Server's ``ResponseMessageSerializer``:
        version, nullable request id, status code, nullable status message, status attributes and
        meta as bare maps, then the fully qualified result.

        Raises ``WireError`` (with ``request_id`` and this serializer) if ``data`` holds a value
        GraphBinary cannot carry.
        """
        out = bytearray([_VERSION])
        if request_id is None:
            out.append(_NULL_FLAG)
        else:
            out.append(0x00)
            out += request_id.bytes
        out += _INT32.pack(status_code)
        if status_message is None:
            out.append(_NULL_FLAG)
        else:
            out.append(0x00)
            _Encoder._string_value(status_message, out)
        try:
            self._encoder.map_value(dict(status_attributes or {}), out)
            self._encoder.map_value(dict(meta or {}), out)
            self._encoder.write(data, out)
        except WireError as exc:
            raise WireError(str(exc), request_id=request_id, serializer=self) from exc
        return bytes(out)
