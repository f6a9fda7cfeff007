"""The garbage collector around long passes over the rows of a load."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def old_objects_frozen() -> Iterator[None]:
    """Leaves the objects alive on entry out of the garbage collector's passes.

    Those are the rows the spill keeps in memory (up to a chunk per group) and the
    driver's own tables, hundreds of thousands of objects that every full collection
    would walk again while a load makes millions of short-lived ones: at 100,000
    entities that cost the writes about 5 s of CPU, and the admin-CSV export as much.
    Objects made inside are collected as usual, and the frozen ones are still freed when
    nothing refers to them. Nothing is done when the program has frozen objects itself.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
