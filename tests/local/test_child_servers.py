"""The local pipeline's processes and their collectors: the Gremlin child (started as ``graphworker
local`` starts it) and the handler side's tuning for the length of a run."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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


def test_the_handler_side_tunes_its_collector_for_the_run_only() -> None:
    # In a fresh interpreter: a local run may be one call in a longer-lived process (a test session).
    code = textwrap.dedent("""
        import gc
        from gwlocal.gremlin_server.gc_tuning import YOUNG_THRESHOLD, tuned_while
        before = gc.get_threshold()
        with tuned_while():
            during = (gc.get_threshold()[0], gc.get_freeze_count() > 0)
        after = (gc.get_threshold(), gc.get_freeze_count())
        gc.freeze()
        with tuned_while():
            pass
        kept = gc.get_freeze_count() > 0
        print(during == (YOUNG_THRESHOLD, True), after == (before, 0), kept)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["True", "True", "True"]
