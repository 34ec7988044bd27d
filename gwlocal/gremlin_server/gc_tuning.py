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
pipeline) leaves the host's collector alone. :func:`tuned_while` applies the same settings for a
block and restores the collector's after it (the local pipeline's handler process, whose run may
be one call in a longer-lived process such as a test session).
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_THRESHOLD = 50_000
"""Allocations (net) between young-generation collections (CPython's default: 700)."""


def tune_for_serving() -> None:
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


@contextlib.contextmanager
def tuned_while() -> Iterator[None]:
    """:func:`tune_for_serving` for the block; then the thresholds as they were, and what was frozen
    for it given back to the collector."""
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count() > 0  # the host froze its own: leave that as it is
    if frozen_before:
        gc.set_threshold(YOUNG_THRESHOLD, before[1], before[2])
    else:
        tune_for_serving()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        if not frozen_before:
            gc.unfreeze()
