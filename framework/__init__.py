"""graphworker framework: the library that ships to AWS Lambda.

The public API, importable from the package root as Powertools users import ``Logger, Metrics,
Tracer``::

    from framework import GraphWorker, Vertex, Edge, DeleteVertex, DeleteEdge, KeepMax, KeepMin, AddToSet

Names are resolved on first use (PEP 562), so ``import framework`` itself costs nothing at a cold
start and a function pays only for the modules it uses.

It must never import the local tooling package (``gwlocal``); the dependency only goes the
other way.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # the SQS batch handler
    "GraphWorker": "framework.worker",
    "GraphBatchProcessor": "framework.worker",
    "MessageFailed": "framework.mapping",
    "WorkerConfig": "framework.worker_config",
    # what a message becomes
    "Vertex": "framework.upserts",
    "Edge": "framework.upserts",
    "DeleteVertex": "framework.upserts",
    "DeleteEdge": "framework.upserts",
    "Upsert": "framework.upserts",
    "Write": "framework.upserts",
    "edge_id": "framework.upserts",
    "UpsertValidationError": "framework.upserts",
    "KeepMax": "framework.merge_rules",
    "KeepMin": "framework.merge_rules",
    "AddToSet": "framework.merge_rules",
    "Version": "framework.versions",
    # tombstones
    "purge_tombstones": "framework.tombstones",
    "without_tombstones": "framework.tombstones",
    # the graph client
    "GraphClient": "framework.client",
    "GraphConfig": "framework.config",
    "get_client": "framework.lifecycle",
    # errors
    "GraphWorkerError": "framework.errors",
    "ConfigError": "framework.errors",
    "GraphRequestError": "framework.errors",
    "RetriableError": "framework.errors",
    "ConflictError": "framework.errors",
    "ReconnectError": "framework.errors",
    "ConnectionLost": "framework.errors",
    "EmptyResponse": "framework.errors",
    "ReadOnlyViolation": "framework.errors",
    "CredentialsRejected": "framework.errors",
    "ThrottledError": "framework.errors",
    "TransientError": "framework.errors",
    "PermanentError": "framework.errors",
    "AuthError": "framework.errors",
    "RequestEncodingError": "framework.errors",
    "RetryStopped": "framework.errors",
    "DeadlineExceeded": "framework.errors",
    "RetryBudgetExhausted": "framework.errors",
}

__all__ = [
    "AddToSet",
    "AuthError",
    "ConfigError",
    "ConflictError",
    "ConnectionLost",
    "CredentialsRejected",
    "DeadlineExceeded",
    "DeleteEdge",
    "DeleteVertex",
    "Edge",
    "EmptyResponse",
    "GraphBatchProcessor",
    "GraphClient",
    "GraphConfig",
    "GraphRequestError",
    "GraphWorker",
    "GraphWorkerError",
    "KeepMax",
    "KeepMin",
    "MessageFailed",
    "PermanentError",
    "ReadOnlyViolation",
    "ReconnectError",
    "RequestEncodingError",
    "RetriableError",
    "RetryBudgetExhausted",
    "RetryStopped",
    "ThrottledError",
    "TransientError",
    "Upsert",
    "UpsertValidationError",
    "Version",
    "Vertex",
    "WorkerConfig",
    "Write",
    "edge_id",
    "get_client",
    "purge_tombstones",
    "without_tombstones",
]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time names load on first use
    from framework.client import GraphClient
    from framework.config import GraphConfig
    from framework.errors import (
        AuthError,
        ConfigError,
        ConflictError,
        ConnectionLost,
        CredentialsRejected,
        DeadlineExceeded,
        EmptyResponse,
        GraphRequestError,
        GraphWorkerError,
        PermanentError,
        ReadOnlyViolation,
        ReconnectError,
        RequestEncodingError,
        RetriableError,
        RetryBudgetExhausted,
        RetryStopped,
        ThrottledError,
        TransientError,
    )
    from framework.lifecycle import get_client
    from framework.mapping import MessageFailed
    from framework.merge_rules import AddToSet, KeepMax, KeepMin
    from framework.tombstones import purge_tombstones, without_tombstones
    from framework.upserts import (
        DeleteEdge,
        DeleteVertex,
        Edge,
        Upsert,
        UpsertValidationError,
        Vertex,
        Write,
        edge_id,
    )
    from framework.versions import Version
    from framework.worker import GraphBatchProcessor, GraphWorker
    from framework.worker_config import WorkerConfig


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'framework' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
