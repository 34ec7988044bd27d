"""The conformance suite exercises every step the engine says it supports.

A static check over the suite's source (deterministic, independent of test order or selection): for
each name in ``SUPPORTED_STEPS`` the gremlinpython method that emits it must be called somewhere in
``test_conformance_*.py``. A step added to the engine without a conformance test fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from gwlocal.gremlin_server.engine import SUPPORTED_STEPS

HERE = Path(__file__).parent

# gremlinpython appends a "_" where the Gremlin name is a Python keyword or builtin
_PYTHON_SUFFIXED = {"and", "as", "filter", "from", "id", "in", "is", "max", "min", "not", "or", "range", "sum"}


def python_method(step: str) -> str:
    """``hasLabel`` -> ``has_label``, ``in`` -> ``in_``, ``V`` -> ``V``."""
    if step in ("V", "E"):
        return step
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", step).lower()
    return snake + "_" if step in _PYTHON_SUFFIXED else snake


def test_every_supported_step_has_a_conformance_test():
    files = [p for p in sorted(HERE.glob("test_conformance_*.py")) if p.name != Path(__file__).name]
    source = "\n".join(p.read_text() for p in files)
    missing = [step for step in SUPPORTED_STEPS if not re.search(rf"\.{re.escape(python_method(step))}\(", source)]
    assert missing == [], f"supported steps without a conformance test: {missing}"


def test_python_method_names():
    assert [python_method(s) for s in ("hasLabel", "in", "V", "groupCount", "outE", "none")] == [
        "has_label", "in_", "V", "group_count", "out_e", "none"]
