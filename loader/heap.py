"""The garbage collector around long passes over the rows of a load."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 100_000  # allocations between two collections of the youngest generation


@contextmanager
def old_objects_frozen() -> Iterator[None]:
    """Leaves the objects alive on entry out of the garbage collector's passes.

    Those are the rows the spill keeps in memory (up to a chunk per group) and the
    driver's own tables, hundreds of thousands of objects that every full collection
    would walk again while a load makes millions of short-lived ones: at 100,000
    entities that cost the writes about 5 s of CPU, and the admin-CSV export as much.
    Objects made inside are collected as usual, and the frozen ones are still freed when
    nothing refers to them.

    Inside, the youngest generation is also collected less often (after ``YOUNG``
    allocations instead of 700): reading a batch's rows makes about 15 objects per row,
    none in a cycle, and at 700 the collector ran some 100 times per batch, about 1 µs per
    row. Cycles are still collected, later. Nothing is done when the program has frozen
    objects itself.
    """
    if gc.get_freeze_count():
        yield
        return
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(max(threshold[0], YOUNG), *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
