"""Fixtures: one chaos run of real framework code per test session, in the local run's folder format."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from .chaos_run import chaos_run


@pytest.fixture(scope="session")
def chaos_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local run's output folder, written by :func:`chaos_run` (about a second)."""
    out = tmp_path_factory.mktemp("chaos-run")
    asyncio.run(chaos_run(out))
    return out


@pytest.fixture(scope="session")
def chaos_report(chaos_dir: Path) -> dict[str, Any]:
    import json

    return json.loads((chaos_dir / "report.json").read_text())
