"""GraphBinary v1 responses of the common shape, read in one pass; anything else is left to gremlinpython.

Why: every write request's answer is a list of short strings (one token per element, see
:mod:`framework.traversals`), and gremlinpython's generic reader (a type lookup, a buffer object
and a ``Traverser`` per value) cost about a tenth of the handler's CPU per message on the
transactions load. This reader handles exactly that shape and returns None for anything it does
not know, so the caller decodes the frame with gremlinpython as before: it can cost speed, never
a different answer.

Layout (Apache TinkerPop IO, GraphBinary v1, response message): version ``0x81``; nullable request
id (flag byte, 16 bytes); status code (int32); nullable status message (flag byte, int32 length,
UTF-8); status attributes and result meta as bare maps (int32 count, then fully qualified keys and
values); then the fully qualified result. Read here:

- the result: null, or a List whose items are Strings, nulls, or Traversers (int64 bulk, then a
  String or null) - expanded by bulk as :func:`framework.protocol` expands gremlinpython's;
- attribute and meta maps with String keys and String, Int, Long, Boolean, null or List-of-those
  values (Neptune's and the local endpoint's ``host`` and error details).

``tests/framework/test_graphbinary_responses.py`` checks, over frames written by the local
endpoint's encoder, that every frame read here reads the same through gremlinpython.
"""

from __future__ import annotations

import struct
import uuid
from typing import Any

__all__ = ["read_response"]

_INT32 = struct.Struct(">i").unpack_from
_INT64 = struct.Struct(">q").unpack_from
_VERSION = 0x81
_INT, _LONG, _STRING, _LIST, _TRAVERSER, _BOOLEAN, _UNSPECIFIED_NULL = 0x01, 0x02, 0x03, 0x09, 0x21, 0x27, 0xFE
_PRESENT, _NULL = 0x00, 0x01
_MAX_BULK = 1 << 16
"""A write's tokens come one per element (bulk 1); a larger bulk is gremlinpython's to expand."""


class _Unknown(Exception):
    """Outside what this reader handles (or malformed): gremlinpython decides."""


def read_response(frame: bytes) -> tuple[str, int, str | None, list[Any]] | None:
    """``(request id, status code, status message, results)`` of ``frame``, or None to use gremlinpython."""
    try:
        return _read(frame)
    except (_Unknown, IndexError, struct.error, UnicodeDecodeError):
        return None


def _read(buf: bytes) -> tuple[str, int, str | None, list[Any]]:
    if buf[0] != _VERSION:
        raise _Unknown
    pos = 1
    if buf[pos] != _PRESENT:  # a response always names its request; a null id is gremlinpython's to read
        raise _Unknown
    request_id = str(uuid.UUID(bytes=_take(buf, pos + 1, 16)))
    pos += 17
    (status,) = _INT32(buf, pos)
    pos += 4
    message: str | None = None
    flag = buf[pos]
    pos += 1
    if flag == _PRESENT:
        message, pos = _string(buf, pos)
    elif flag != _NULL:
        raise _Unknown
    for _ in range(2):  # status attributes, result meta
        pos = _skip_map(buf, pos)
    results, pos = _result(buf, pos)
    if pos != len(buf):
        raise _Unknown
    return request_id, status, message, results


def _take(buf: bytes, pos: int, size: int) -> bytes:
    end = pos + size
    if size < 0 or end > len(buf):
        raise _Unknown
    return buf[pos:end]


def _string(buf: bytes, pos: int) -> tuple[str, int]:
    (length,) = _INT32(buf, pos)
    return _take(buf, pos + 4, length).decode("utf-8"), pos + 4 + length


def _count(buf: bytes, pos: int) -> int:
    (count,) = _INT32(buf, pos)
    if count < 0:
        raise _Unknown
    return int(count)


def _skip_map(buf: bytes, pos: int) -> int:
    count = _count(buf, pos)
    pos += 4
    for _ in range(count):
        if buf[pos] != _STRING or buf[pos + 1] != _PRESENT:
            raise _Unknown
        _, pos = _string(buf, pos + 2)
        pos = _skip_simple(buf, pos, nested=True)
    return pos


def _skip_simple(buf: bytes, pos: int, *, nested: bool) -> int:
    """Past one fully qualified String, Int, Long, Boolean, null (or, ``nested``, a List of those)."""
    code, flag = buf[pos], buf[pos + 1]
    pos += 2
    if flag == _NULL and code in (_INT, _LONG, _STRING, _LIST, _BOOLEAN, _UNSPECIFIED_NULL):
        return pos
    if flag != _PRESENT:
        raise _Unknown
    if code == _STRING:
        return _string(buf, pos)[1]
    if code == _INT:
        return pos + 4
    if code == _LONG:
        return pos + 8
    if code == _BOOLEAN:
        return pos + 1
    if code == _LIST and nested:
        count = _count(buf, pos)
        pos += 4
        for _ in range(count):
            pos = _skip_simple(buf, pos, nested=False)
        return pos
    raise _Unknown


def _result(buf: bytes, pos: int) -> tuple[list[Any], int]:
    code, flag = buf[pos], buf[pos + 1]
    pos += 2
    if flag == _NULL and code in (_LIST, _UNSPECIFIED_NULL):
        return [], pos
    if code != _LIST or flag != _PRESENT:
        raise _Unknown
    count = _count(buf, pos)
    pos += 4
    out: list[Any] = []
    for _ in range(count):
        code, flag = buf[pos], buf[pos + 1]
        pos += 2
        if code == _TRAVERSER and flag == _PRESENT:
            (bulk,) = _INT64(buf, pos)
            if bulk > _MAX_BULK:  # a damaged bulk must not allocate gigabytes here
                raise _Unknown
            value, pos = _item(buf, pos + 8)
            out.extend([value] * bulk)
        else:
            value, pos = _item(buf, pos - 2)
            out.append(value)
    return out, pos


def _item(buf: bytes, pos: int) -> tuple[str | None, int]:
    code, flag = buf[pos], buf[pos + 1]
    if flag == _NULL and code in (_STRING, _UNSPECIFIED_NULL):
        return None, pos + 2
    if code != _STRING or flag != _PRESENT:
        raise _Unknown
    return _string(buf, pos + 2)
