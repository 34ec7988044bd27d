"""The local dashboard page in a real browser: headless Chromium (Debian's ``chromium``).

Why a browser: the page is the product a developer opens; that it parses, lays out and draws
its SVG charts is only proven by a browser doing it. The page's inline script measures every
series path after layout (``data-length``); ``--dump-dom`` returns the DOM after the script
ran, and ``--screenshot`` keeps a picture under ``test-artifacts/``.

Marked ``chromium``: skipped with a how-to where Chromium is not installed, a failure in CI
(``.ci/run`` installs it and sets ``GRAPHWORKER_REQUIRE_CHROMIUM=1``); see ``tests/conftest.py``.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dashboards.layout import widgets
from gwlocal.dashboard.output import DashboardOutput

from ..conftest import chromium_path
from .framework_scan import ROOT

ARTIFACTS = ROOT / "test-artifacts"


def chromium() -> str:
    found = chromium_path()
    assert found, "chromium is not installed: .ci/run installs it (apt-get install -y chromium)"
    return found


def run_chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--no-first-run", "--no-default-browser-check", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.body: dict[str, str | None] = {}
        self.charts: list[str] = []
        self.paths: list[tuple[str, dict[str, str | None]]] = []
        self.thresholds = 0
        self._chart = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "svg" and a.get("class") == "chart":
            self._chart = a.get("data-chart") or ""
            self.charts.append(self._chart)
        elif tag == "path" and a.get("class") == "series":
            self.paths.append((self._chart, a))
        elif tag == "line" and a.get("class") == "threshold":
            self.thresholds += 1


@pytest.mark.chromium
def test_dashboard_draws_in_headless_chromium(rendered: DashboardOutput, tmp_path: Path):
    url = rendered.html.resolve().as_uri()
    dumped = run_chromium(tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = _Dom()
    dom.feed(dumped.stdout)
    assert len(dom.charts) == len(widgets())
    assert dom.body.get("data-charts") == str(len(widgets())), "the page's script did not run"
    assert dom.thresholds >= 7
    lengths = {chart: [float(a.get("data-length") or 0) for c, a in dom.paths if c == chart] for chart in dom.charts}
    # What the browser drew must be what the data says: a chart with data has series paths, and a
    # series with two neighbouring points (a line, not a dot) has a path of positive length.
    for model in rendered.dashboard.charts():
        series = [s for s in model.series if s.has_data]
        assert len(lengths[model.slug]) == len(series), model.slug
        if any(a is not None and b is not None for s in series for a, b in itertools.pairwise(s.values)):
            assert max(lengths[model.slug]) > 0, f"{model.slug}: a line was expected, nothing was drawn"
    assert int(dom.body.get("data-series-drawn") or 0) == sum(v > 0 for values in lengths.values() for v in values)
    for key in ("retries", "conflict-rate", "messages", "reconnects"):
        chart = next(c for c in dom.charts if key in c)
        assert lengths[chart], f"{chart}: the chaos run's data was not drawn"

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "local-dashboard.png"
    screenshot.unlink(missing_ok=True)
    shot = run_chromium(tmp_path / "profile", "--window-size=1600,3000", "--hide-scrollbars",
                        f"--screenshot={screenshot}", url)
    assert shot.returncode == 0, shot.stderr[-2000:]
    data = screenshot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 50_000
    shutil.copyfile(rendered.html, ARTIFACTS / "local-dashboard.html")
