"""Garbage-collector settings for a process that does nothing but serve the endpoint.

Why: a batch request decodes into tens of thousands of small containers (maps, lists, bytecode)
that live for the length of the request and are then freed by reference counting. With CPython's
default thresholds (a young collection every 700 allocations) the collector keeps traversing
them, promotes them, and so triggers full collections that walk the whole graph store: about a
fifth of the endpoint's CPU in batched upserts. Collecting young objects every 50,000 allocations
instead lets nearly all of a request's objects die before anything looks at them, and freezing
what exists at start-up (modules, the application) keeps full collections off it.

Process-wide, so only :func:`tune_for_serving`'s caller decides: the ``graphworker gremlin-server``
CLI does; an endpoint started in someone else's process (``EndpointThread`` in tests, the local
pipeline) leaves the host's collector alone.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000
"""Allocations (net) between young-generation collections (CPython's default: 700)."""


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
