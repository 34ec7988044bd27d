"""A handler whose worker lies: it reports every message committed, whatever was written.

Used by ``test_convergence_runs.py`` to prove the local run's report catches a worker that
reports a failed write as committed (the message is deleted and never redelivered). One message
in five links to a vertex that never exists, so its edge write fails every time.
"""

from __future__ import annotations

from typing import Any

from framework import Edge, GraphWorker, Vertex


class LyingWorker(GraphWorker):
    async def process(self, event: Any, context: Any, **kwargs: Any) -> Any:
        await super().process(event, context, **kwargs)
        return {"batchItemFailures": []}


worker = LyingWorker(service="lying")


@worker.upserts()
def to_graph(msg: dict[str, Any]):
    yield Vertex(f"a{msg['i']}", "A", {"n": msg["i"]})
    yield Edge("TO", f"a{msg['i']}", "ghost" if msg["i"] % 5 == 0 else f"a{msg['i']}")


handler = worker.handler
