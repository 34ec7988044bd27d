"""Fixtures: one chaos run of real framework code per test session, in the local run's folder format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gwlocal.dashboard.output import DashboardOutput, render_dashboard

from .chaos_run import chaos_run


@pytest.fixture(scope="session")
def chaos_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local run's output folder, written by :func:`chaos_run` (about a second)."""
    out = tmp_path_factory.mktemp("chaos-run")
    chaos_run(out)
    return out


@pytest.fixture(scope="session")
def chaos_report(chaos_dir: Path) -> dict[str, Any]:
    return json.loads((chaos_dir / "report.json").read_text())


@pytest.fixture(scope="session")
def rendered(chaos_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> DashboardOutput:
    """The chaos run's dashboard: HTML page and PNGs (a few seconds, once per session)."""
    return render_dashboard(chaos_dir, tmp_path_factory.mktemp("dashboard"))
