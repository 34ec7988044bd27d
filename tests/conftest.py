"""Suite-wide test options: the real-browser tests and how they run without a browser.

Tests marked ``chromium`` drive Debian's headless Chromium. Where it is not installed they are
skipped with a message saying how to run them (``apt-get install -y chromium``), so the README's
test command passes on a fresh machine; with ``GRAPHWORKER_REQUIRE_CHROMIUM=1`` (``.ci/run``
sets it after installing Chromium) a missing browser is a failure instead, so CI can never
quietly skip them.
"""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_CHROMIUM = "GRAPHWORKER_REQUIRE_CHROMIUM"
HOW_TO = ("Chromium is not installed: these real-browser tests were skipped. To run them, install "
          "Debian's chromium (sudo apt-get install -y chromium) and run "
          "`GRAPHWORKER_REQUIRE_CHROMIUM=1 .venv/bin/pytest -m chromium`.")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "chromium: needs headless Chromium (Debian's chromium package)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_path() is not None or os.environ.get(REQUIRE_CHROMIUM) == "1":
        return  # present, or required: a missing browser then fails inside the test
    skip = pytest.mark.skip(reason=HOW_TO)
    for item in items:
        if "chromium" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if HOW_TO in str(r.longrepr)]
    if skipped:
        terminalreporter.write_line(f"{len(skipped)} real-browser test(s) skipped. {HOW_TO}", yellow=True)
