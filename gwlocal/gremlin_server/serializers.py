"""gremlinpython's client-side message serializers by the names graphworker uses for them.

The ``--check`` smoke run, the bench and the endpoint tests each connect once per format; this is
their one list. (``wire.SERIALIZERS`` is the other side: the endpoint's own codecs, by mime type.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gremlin_python.driver.serializer import (
    GraphBinarySerializersV1,
    GraphSONSerializersV2d0,
    GraphSONSerializersV3d0,
)

SERIALIZERS: dict[str, Callable[[], Any]] = {
    "graphbinary-v1": GraphBinarySerializersV1,
    "graphson-v3": GraphSONSerializersV3d0,
    "graphson-v2": GraphSONSerializersV2d0,
}
