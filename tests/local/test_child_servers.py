"""The local pipeline's Gremlin child process: started as ``graphworker local`` starts it."""

from __future__ import annotations

import sys

from gwlocal.gremlin_server.gc_tuning import YOUNG_THRESHOLD
from gwlocal.local.processes import ChildServer
from gwlocal.local.runner import CHILD_SERVERS_MODULE


def test_the_gremlin_child_serves_with_the_endpoint_gc_tuning() -> None:
    # Why it matters: with CPython's default thresholds the collector took ~40% of the child's CPU
    # on versioned batches, which capped the whole pipeline's throughput.
    server = ChildServer("gremlin", [sys.executable, "-m", CHILD_SERVERS_MODULE, "gremlin", "--seed", "0"])
    try:
        url = server.start()
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/gremlin")
        assert server.info["gc_young_threshold"] == YOUNG_THRESHOLD
    finally:
        assert server.stop() == 0
