"""The garbage collector around the long passes of a load."""

from __future__ import annotations

import gc

import pytest

from loader.heap import old_objects_frozen


def test_objects_are_frozen_inside_and_thawed_after_even_on_error() -> None:
    assert gc.get_freeze_count() == 0
    with old_objects_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    with pytest.raises(KeyError), old_objects_frozen():
        raise KeyError("x")
    assert gc.get_freeze_count() == 0


def test_a_program_that_froze_objects_itself_is_left_alone() -> None:
    gc.freeze()
    try:
        count = gc.get_freeze_count()
        with old_objects_frozen():
            assert gc.get_freeze_count() == count
        assert gc.get_freeze_count() == count
    finally:
        gc.unfreeze()
