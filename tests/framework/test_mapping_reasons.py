"""The exact reason each kind of bad body or bad mapping function gives its message (logged, in spans)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from pydantic import BaseModel, field_validator

from framework.mapping import MessageFailed, parse_body, run_mapper
from framework.upserts import Vertex


class Address(BaseModel):
    city: str


class Customer(BaseModel):
    name: str
    address: Address


class Picky(BaseModel):
    code: str

    @field_validator("code")
    @classmethod
    def known(cls, value: str) -> str:
        return {"a": "alpha"}[value]  # a KeyError is not a validation error: pydantic lets it through


def reason_of(body: str, model: type[BaseModel] | None) -> tuple[str, str]:
    with pytest.raises(MessageFailed) as failed:
        parse_body(body, model)
    return failed.value.kind, failed.value.reason


def test_a_body_the_model_refuses_lists_every_problem_by_field_path():
    assert reason_of('{"address": {}}', Customer) == (
        "invalid_message", "body does not match Customer: name: Field required; address.city: Field required")


def test_a_body_that_is_not_an_object_is_a_problem_of_the_body():
    assert reason_of("[1]", Customer) == (
        "invalid_message", "body does not match Customer: body: Input should be an object")


def test_a_body_that_is_not_json():
    assert reason_of("{not json", None) == (
        "invalid_message", "body is not valid JSON: Expecting property name enclosed in double quotes: "
                           "line 1 column 2 (char 1)")


def test_json_nested_too_deeply():
    assert reason_of("[" * 100_000 + "]" * 100_000, None) == (
        "invalid_message", "body is JSON nested too deeply to parse")


def test_a_model_that_raises_something_else_cannot_parse_the_body():
    assert reason_of('{"code": "b"}', Picky) == ("invalid_message", "body could not be parsed: KeyError: 'b'")


async def test_a_mapping_function_yielding_something_else_than_an_upsert():
    with pytest.raises(MessageFailed) as failed:
        await run_mapper(lambda msg: [Vertex(id="v", label="V"), "not an upsert"], {})
    assert (failed.value.kind, failed.value.reason) == (
        "invalid_upsert", "the upserts function yielded str, expected Vertex, Edge, DeleteVertex or DeleteEdge")


class Unreadable(Mapping):
    def __getitem__(self, key):
        raise KeyError(key)

    def __iter__(self):
        raise RuntimeError("props cannot be read")

    def __len__(self) -> int:
        return 1


async def test_an_upsert_that_cannot_be_checked():
    with pytest.raises(MessageFailed) as failed:
        await run_mapper(lambda msg: [Vertex(id="v", label="V", props=Unreadable())], {})
    assert (failed.value.kind, failed.value.reason) == (
        "invalid_upsert", "the upsert could not be checked: RuntimeError: props cannot be read")


async def test_an_async_generator_mapping_function_gives_its_upserts():
    async def to_graph(msg):
        yield Vertex(id=msg["id"], label="V")
        yield Vertex(id=msg["id"] + "-2", label="V")

    assert await run_mapper(to_graph, {"id": "a"}) == [Vertex(id="a", label="V"), Vertex(id="a-2", label="V")]


async def test_a_mapping_function_that_raises():
    def to_graph(msg):
        return [Vertex(id=msg["customer"], label="Customer")]

    with pytest.raises(MessageFailed) as failed:
        await run_mapper(to_graph, {})
    assert (failed.value.kind, failed.value.reason) == (
        "mapping_error", "the upserts function raised KeyError: 'customer'")
