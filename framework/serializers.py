"""Gremlin message serializers by name, reusing gremlinpython's own classes.

Why reuse: gremlinpython's serializers are the reference encoding of bytecode and results for
Neptune; graphworker replaces only the driver's transport (to stay async on one event loop),
not the wire format.
"""

from __future__ import annotations

from typing import Any

from gremlin_python.driver.serializer import (
    GraphBinarySerializersV1,
    GraphSONSerializersV2d0,
    GraphSONSerializersV3d0,
)

from .errors import ConfigError

_FACTORIES: dict[str, Any] = {
    "graphbinary-v1": GraphBinarySerializersV1,
    "graphson-v3": GraphSONSerializersV3d0,
    "graphson-v2": GraphSONSerializersV2d0,
}


def message_serializer(name: str) -> Any:
    """A fresh gremlinpython message serializer for ``name`` (graphbinary-v1, graphson-v3/v2)."""
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise ConfigError(f"unknown serializer {name!r}; choose one of {', '.join(_FACTORIES)}") from None
