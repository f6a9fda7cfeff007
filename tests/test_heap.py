"""The garbage collector around the long passes of a load."""

from __future__ import annotations

import gc
import weakref

import pytest

from loader.heap import YOUNG, old_objects_frozen


def test_objects_are_frozen_inside_and_thawed_after_even_on_error() -> None:
    assert gc.get_freeze_count() == 0
    before = gc.get_threshold()
    with old_objects_frozen():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG, *before[1:])
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
    with pytest.raises(KeyError), old_objects_frozen():
        raise KeyError("x")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_cycles_made_inside_are_still_collected() -> None:
    class Node:
        pass

    with old_objects_frozen():
        first = Node()
        first.other = Node()  # type: ignore[attr-defined]
        first.other.other = first  # type: ignore[attr-defined]
        ref = weakref.ref(first)
        del first
        assert gc.isenabled()
        for _ in range(20):  # allocations, as a load makes them
            if ref() is None:
                break
            held = [[] for _ in range(2 * YOUNG)]  # noqa: F841 (alive while the next is made)
        assert ref() is None


def test_a_program_that_froze_objects_itself_is_left_alone() -> None:
    gc.freeze()
    try:
        count = gc.get_freeze_count()
        with old_objects_frozen():
            assert gc.get_freeze_count() == count
        assert gc.get_freeze_count() == count
    finally:
        gc.unfreeze()
