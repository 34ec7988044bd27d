"""Serializer names map to gremlinpython's own message serializers; an unknown name says which exist."""

from __future__ import annotations

import pytest
from gremlin_python.driver.serializer import (
    GraphBinarySerializersV1,
    GraphSONSerializersV2d0,
    GraphSONSerializersV3d0,
)

from framework.errors import ConfigError
from framework.serializers import message_serializer


@pytest.mark.parametrize(("name", "cls"), [
    ("graphbinary-v1", GraphBinarySerializersV1),
    ("graphson-v3", GraphSONSerializersV3d0),
    ("graphson-v2", GraphSONSerializersV2d0),
])
def test_each_name_gets_its_own_fresh_serializer(name, cls):
    first, second = message_serializer(name), message_serializer(name)
    assert type(first) is cls and type(second) is cls
    assert first is not second


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        message_serializer("gryo")
    assert str(err.value) == "unknown serializer 'gryo'; choose one of graphbinary-v1, graphson-v3, graphson-v2"
    assert err.value.__cause__ is None and err.value.__suppress_context__
