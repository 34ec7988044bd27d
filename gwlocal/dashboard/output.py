"""Render a local run's dashboard into a folder: ``index.html``, ``png/*.png``, ``summary.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dashboards.alarms import Thresholds

from .model import Dashboard, build_dashboard, summary
from .rundata import load_run

HTML_NAME = "index.html"
PNG_DIR = "png"
SUMMARY_NAME = "summary.json"


@dataclass(frozen=True, slots=True)
class DashboardOutput:
    """What :func:`render_dashboard` wrote, and the dashboard it drew."""

    html: Path
    pngs: list[Path]
    summary: Path
    dashboard: Dashboard

    @property
    def fired(self) -> list[str]:
        """Names of the alarms that would have fired."""
        return [r.name for r in self.dashboard.alarms if r.fired]


def render_dashboard(run_dir: Path, out_dir: Path | None = None, *, pngs: bool = True,
                     thresholds: Thresholds | None = None) -> DashboardOutput:
    """Draw the dashboard of the local run in ``run_dir`` into ``out_dir`` (default ``run_dir/dashboard``)."""
    from .html import render_html

    run = load_run(run_dir)
    dashboard = build_dashboard(run, thresholds)
    out = out_dir or run_dir / "dashboard"
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / HTML_NAME
    html_path.write_text(render_html(dashboard), encoding="utf-8")
    png_paths: list[Path] = []
    if pngs:
        from .png import render_pngs

        png_paths = render_pngs(dashboard, out / PNG_DIR)
    summary_path = out / SUMMARY_NAME
    summary_path.write_text(json.dumps(summary(dashboard), indent=2) + "\n")
    return DashboardOutput(html_path, png_paths, summary_path, dashboard)
