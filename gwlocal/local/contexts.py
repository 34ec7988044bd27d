"""Execution contexts: what Lambda keeps between invocations, reproduced on one machine.

Each context imports the handler module afresh (its own module state: its own ``GraphWorker``,
logger, cold-start flag), owns its own graph client (its own connection) and is recycled after
an idle period or a number of invocations, as Lambda recycles execution environments. An
invocation gets a Lambda context whose deadline is real: an invocation still running at the
function timeout is abandoned, like a timed-out Lambda, and its messages reappear later.
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
import sys
import time
import types
from dataclasses import dataclass
from typing import Any

from framework.client import GraphClient
from framework.config import GraphConfig
from framework.telemetry import Telemetry
from framework.worker import GraphWorker

from ..lambda_events import LocalLambdaContext


def fresh_module(name: str) -> types.ModuleType:
    """Execute module ``name`` into a new module object, as a new execution context would."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ValueError(f"handler module {name!r} not found")
    module = importlib.util.module_from_spec(spec)
    # Registered only while it executes (Pydantic resolves annotations through sys.modules), then
    # the previous module is put back: this one stays private to its execution context.
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        if previous is None:
            del sys.modules[name]
        else:
            sys.modules[name] = previous
    return module


def find_worker(module: types.ModuleType) -> GraphWorker:
    workers = [v for v in vars(module).values() if isinstance(v, GraphWorker)]
    if len(workers) != 1:
        raise ValueError(f"{module.__name__} must define exactly one GraphWorker, found {len(workers)}")
    return workers[0]


@dataclass
class InvocationResult:
    response: dict[str, Any] | None
    """None when the invocation timed out or crashed: nothing is deleted, like Lambda."""
    duration_ms: float
    cold: bool
    error: str | None = None


class ExecutionContext:
    def __init__(self, index: int, handler_module: str, config: GraphConfig, telemetry: Telemetry, *,
                 function_name: str, timeout_s: float, seed: int) -> None:
        self.index = index
        self.worker = find_worker(fresh_module(handler_module))
        self.client = GraphClient(config, telemetry=telemetry, rng=random.Random(seed))
        self.function_name = function_name
        self.timeout_s = timeout_s
        self.invocations = 0
        self.last_used = time.monotonic()

    async def invoke(self, event: dict[str, Any]) -> InvocationResult:
        cold = self.invocations == 0
        self.invocations += 1
        context = LocalLambdaContext(function_name=self.function_name, timeout_s=self.timeout_s)
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(self.worker.process(event, context, client=self.client),
                                              self.timeout_s)
            error = None
        except TimeoutError:
            response, error = None, f"Task timed out after {self.timeout_s:.2f} seconds"
        except Exception as exc:  # the function raised: Lambda reports an error, deletes nothing
            response, error = None, f"{type(exc).__name__}: {exc}"
        self.last_used = time.monotonic()
        return InvocationResult(dict(response) if response is not None else None,
                                (time.perf_counter() - started) * 1000, cold, error)

    async def close(self) -> None:
        await self.client.close()
        await self.worker.aclose()
