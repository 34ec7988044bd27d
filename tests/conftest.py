"""Suite-wide test options: the tests that need a tool a fresh machine may lack, and how they run.

Tests marked ``chromium`` drive Debian's headless Chromium; tests marked ``sam`` run the AWS SAM
CLI (``sam build``, the PyPI package ``aws-sam-cli``). Where the tool is not installed they are
skipped with a message saying how to run them, so the README's test command passes on a fresh
machine; with ``GRAPHWORKER_REQUIRE_CHROMIUM=1`` / ``GRAPHWORKER_REQUIRE_SAM=1`` (``.ci/run`` sets
both after installing the tools) a missing tool is a failure instead, so CI can never quietly
skip them.

Test order: random by default (pytest-randomly, a test extra), with the seed printed in the header
and again at the end of the run; ``--randomly-seed=N`` replays an order, ``--order=forward`` /
``--order=reverse`` run in file order or backwards (both turn the shuffle off), so a test that
depends on what an earlier test left behind fails in at least one of them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest_plugins = ["tests.process_state", "pytester"]  # process_state: every test must leave it as it found it

ROOT = Path(__file__).resolve().parents[1]
REQUIRE_CHROMIUM = "GRAPHWORKER_REQUIRE_CHROMIUM"
REQUIRE_SAM = "GRAPHWORKER_REQUIRE_SAM"
HOW_TO = ("Chromium is not installed: these real-browser tests were skipped. To run them, install "
          "Debian's chromium (sudo apt-get install -y chromium) and run "
          "`GRAPHWORKER_REQUIRE_CHROMIUM=1 .venv/bin/pytest -m chromium`.")
SAM_HOW_TO = ("The AWS SAM CLI is not installed: the sam build tests were skipped. To run them, install it in "
              "a venv of its own (python3 -m venv .venv-sam && .venv-sam/bin/pip install aws-sam-cli) and run "
              "`GRAPHWORKER_REQUIRE_SAM=1 .venv/bin/pytest -m sam`.")


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def sam_path() -> str | None:
    """``sam`` on PATH, else the one ``.ci/run`` installs in ``.venv-sam``."""
    local = ROOT / ".venv-sam" / "bin" / "sam"
    return shutil.which("sam") or (str(local) if local.exists() else None)


@dataclass(frozen=True)
class Tool:
    marker: str
    find: Callable[[], str | None]
    require: str
    how_to: str


TOOLS = (Tool("chromium", chromium_path, REQUIRE_CHROMIUM, HOW_TO), Tool("sam", sam_path, REQUIRE_SAM, SAM_HOW_TO))


ORDERS = ("random", "forward", "reverse")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--order", choices=ORDERS, default="random",
                     help="test order: random (pytest-randomly, the default; the seed is printed), forward "
                          "(collection order) or reverse (collection order backwards)")


def _randomly_active(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("randomly") and bool(config.getoption("randomly_reorganize"))


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("order") != "random" and config.pluginmanager.hasplugin("randomly"):
        config.option.randomly_reorganize = False  # forward/reverse: keep collection order, do not shuffle
    config.addinivalue_line("markers", "chromium: needs headless Chromium (Debian's chromium package)")
    config.addinivalue_line("markers", "sam: needs the AWS SAM CLI (PyPI aws-sam-cli)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("order") == "reverse":
        items.reverse()
    for tool in TOOLS:
        if tool.find() is not None or os.environ.get(tool.require) == "1":
            continue  # present, or required: a missing tool then fails inside the test
        skip = pytest.mark.skip(reason=tool.how_to)
        for item in items:
            if tool.marker in item.keywords:
                item.add_marker(skip)


def order_description(config: pytest.Config) -> str:
    if _randomly_active(config):
        seed = config.getoption("randomly_seed")
        return f"random, seed {seed} (replay: pytest --randomly-seed={seed})"
    return "reverse" if config.getoption("order") == "reverse" else "forward"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(f"test order: {order_description(terminalreporter.config)}")
    for tool in TOOLS:
        skipped = [r for r in terminalreporter.stats.get("skipped", []) if tool.how_to in str(r.longrepr)]
        if skipped:
            terminalreporter.write_line(f"{len(skipped)} {tool.marker} test(s) skipped. {tool.how_to}", yellow=True)


@pytest.fixture(scope="module")
def fauxqs_url() -> Iterator[str]:
    """A real fauxqs server (the local pipeline's SQS), started as ``graphworker local`` starts it (a
    child process on 127.0.0.1, a free port), for one test module; stopped after it."""
    from gwlocal.local.sqs_servers import fauxqs_server

    server = fauxqs_server()
    try:
        yield server.start()
    finally:
        server.stop()
