"""The spill store: rows come back in order, whatever chunks they were written in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from loader.check.spill import SegmentWriter, Spill


@pytest.mark.parametrize("chunk", [1, 3, 4, 10, 100])
def test_ranges_across_chunks_and_the_part_in_memory(chunk: int) -> None:
    spill = Spill(chunk)
    rows = [(i, {"when": dt.date(2024, 1, 1 + i % 28)}, f"h{i}") for i in range(10)]
    for row in rows:
        spill.add("a", row)
        spill.add("b", (row[0] * 10,))
    assert spill.count("a") == 10
    assert len(spill) == 20
    assert spill.groups() == ["a", "b"]
    assert (spill.spilled_bytes > 0) == (chunk <= 10)
    for start in range(11):
        for stop in range(start, 11):
            assert spill.read("a", start, stop) == rows[start:stop], (start, stop)
    assert list(spill.rows("a")) == rows
    assert [r[0] for r in spill.rows("b")] == [i * 10 for i in range(10)]
    assert spill.read("a", 8, 50) == rows[8:]
    spill.close()
    assert len(spill) == 0


def test_unknown_group_is_empty() -> None:
    spill = Spill(2)
    assert list(spill.rows("none")) == []
    assert spill.count("none") == 0


def test_chunk_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Spill(0)


def test_adopted_segments_of_any_size_read_in_order(tmp_path: Path) -> None:
    """Chunks written by worker processes (SegmentWriter) of uneven sizes, between rows
    added here, read back in the order they were given."""
    spill = Spill(4)
    expected: list[tuple[int]] = []
    n = 0
    for part, size in enumerate([3, 0, 9, 1, 5]):
        for _ in range(part):  # rows added in this process first
            spill.add("g", (n,))
            expected.append((n,))
            n += 1
        writer = SegmentWriter(tmp_path / f"{part}.seg", chunk=2)
        for _ in range(size):
            writer.add("g", (n,))
            expected.append((n,))
            n += 1
        for key, offset, rows in writer.close():
            spill.adopt(key, str(writer.path), offset, rows)
    assert spill.count("g") == len(expected)
    assert list(spill.rows("g")) == expected
    for start in range(len(expected) + 1):
        for stop in range(start, len(expected) + 2):
            assert spill.read("g", start, stop) == expected[start:stop], (start, stop)
    spill.close()
