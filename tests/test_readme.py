"""The README's promises: runnable examples run, the metric table matches the catalog,
and the first two lines are the set-up + main job and the test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dashboards.readme import with_table

README = Path(__file__).resolve().parents[1] / "README.md"
TEXT = README.read_text()


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", TEXT, flags=re.S)


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_python_examples_run(index, execution_context, environ_restored):
    """Each example runs as a user's script would, in a fresh execution context (the first one goes
    through the synchronous handler) and with the environment put back afterwards (the first one
    sets NEPTUNE_ENDPOINT itself, as a script does)."""
    code = python_blocks()[index]
    exec(compile(code, f"README.md[python block {index}]", "exec"), {"__name__": "__readme__"})


def test_metric_table_matches_the_catalog():
    assert with_table(TEXT) == TEXT, "run: python -m dashboards.render --write"


def test_first_commands_are_setup_and_tests():
    first_block = re.search(r"```bash\n(.*?)```", TEXT, flags=re.S)
    assert first_block is not None
    lines = first_block.group(1).strip().splitlines()
    assert lines[0].startswith("python3 -m venv .venv && .venv/bin/pip install")
    assert lines[1] == ".venv/bin/pytest"
    ci = (README.parent / ".ci" / "run").read_text()
    assert ".venv/bin/pytest" in ci and "pip install -q -e '.[test]'" in ci


def test_every_supported_step_is_listed():
    from gwlocal.gremlin_server.engine import SUPPORTED_STEPS

    section = TEXT[TEXT.index("### Supported steps"):TEXT.index("### Differences from Neptune")]
    assert {step for step in SUPPORTED_STEPS if f"`{step}`" not in section} == set()
