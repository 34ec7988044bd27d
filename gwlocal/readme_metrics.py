"""Render the README's metric table from the catalog (so the docs cannot drift from the code).

``python -m gwlocal.readme_metrics`` rewrites the table between the README's
``<!-- metrics-table:start -->`` and ``<!-- metrics-table:end -->`` markers; a test fails when
the README and the catalog disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from framework.telemetry import CATALOG

START, END = "<!-- metrics-table:start -->", "<!-- metrics-table:end -->"


def render_table() -> str:
    lines = ["| metric | unit | dimensions | meaning |", "| --- | --- | --- | --- |"]
    for m in CATALOG:
        lines.append(f"| `{m.name}` | {m.unit} | {', '.join(m.dimensions) or '-'} | {m.description} |")
    return "\n".join(lines)


def with_table(readme: str) -> str:
    head, _, rest = readme.partition(START)
    _, _, tail = rest.partition(END)
    if not rest:
        raise ValueError(f"README has no {START} marker")
    return f"{head}{START}\n{render_table()}\n{END}{tail}"


def main() -> int:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(with_table(path.read_text()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
