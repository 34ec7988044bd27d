"""``bench/event_source.py`` in a tiny configuration: it runs every setting end to end in real
processes (the endpoint, one contender process per setting) and prints one checked row each.
No timing is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_runs_and_its_graph_is_checked() -> None:
    done = subprocess.run(
        [sys.executable, "bench/event_source.py", "--batch-sizes", "5,20", "--contexts", "1,2",
         "--latency-ms", "1", "--messages-per-context", "40", "--seed", "3"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+\d+\s+[\d.]+\s+([\d.]+)x\s+ok$", done.stdout, re.M)
    assert [(c, b) for c, b, _ in rows] == [("1", "5"), ("1", "20"), ("2", "5"), ("2", "20")]
    assert rows[0][2] == rows[2][2] == "1.00"  # each concurrency is compared with its own smallest batch


def test_bad_arguments_are_refused_with_a_reason() -> None:
    done = subprocess.run([sys.executable, "bench/event_source.py", "--batch-sizes", "0,x"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--batch-sizes" in done.stderr
