"""The engine's step base classes: a step must say how it runs; the eager single-traverser path is
optional and, by default, gives what the stream path gives."""

from __future__ import annotations

import pytest

from gwlocal.gremlin_server.engine.pipeline import Step
from gwlocal.gremlin_server.engine.steps_filter import FilterStep
from gwlocal.gremlin_server.engine.steps_map import MapStep


@pytest.mark.parametrize("base", [Step, FilterStep, MapStep])
def test_a_step_without_its_run_method_cannot_be_made(base: type[Step]) -> None:
    incomplete = type("Incomplete", (base,), {})
    with pytest.raises(TypeError, match="abstract"):
        incomplete("incomplete")


def test_the_default_single_traverser_path_is_the_stream_path() -> None:
    class Double(MapStep):
        def map(self, ctx, t):
            return t * 2

    class Odd(FilterStep):
        def keep(self, ctx, t):
            return t % 2 == 1

    class Traverser(int):
        def split(self, obj):
            return Traverser(obj)

    class Twice(Step):  # only the stream path: the default one() runs it
        def apply(self, ctx, stream):
            for t in stream:
                if t % 3:
                    yield t.split(t * 2)

    assert Twice("twice").one(None, Traverser(21)) is None  # type: ignore[arg-type]
    assert Twice("twice").one(None, Traverser(5)) == 10  # type: ignore[arg-type]
    assert Double("double").one(None, Traverser(21)) == 42  # type: ignore[arg-type]
    assert Odd("odd").one(None, Traverser(3)) == 3  # type: ignore[arg-type]
    assert Odd("odd").one(None, Traverser(4)) is None  # type: ignore[arg-type]
