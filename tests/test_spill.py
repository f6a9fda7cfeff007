"""The spill store: rows come back in order, whatever chunks they were written in."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from loader.spill import SegmentWriter, Spill


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


FIELDS = ("id", "props", "hash")


def test_a_row_buffer_keeps_only_what_it_packs() -> None:
    _scan = pytest.importorskip("loader._scan")
    buffer = _scan.RowBuffer(FIELDS)
    good = [("a", {"n": 1, "on": dt.date(2024, 6, 25)}, "h1"), ("b", {}, "h2")]
    assert buffer.append(good[0])
    assert not buffer.append(("c", {"n": 2**64}, "h3"))  # left to the driver: not kept
    assert not buffer.append(("c", {}))  # not a row of the fields
    assert buffer.append(good[1])
    assert len(buffer) == 2
    assert buffer.take() == _scan.pack_rows(good, FIELDS)
    assert len(buffer) == 0
    assert buffer.take() == (b"", [])


def test_packed_segments_read_back_as_rows_and_as_packed(tmp_path: Path) -> None:
    """A group packed as it comes, with a row that cannot be packed in the middle (written
    pickled, in its place), and a plain group; read back across chunks, both ways."""
    _scan = pytest.importorskip("loader._scan")
    rows = [(f"n/{i}", {"i": i, "on": dt.date(2000, 1, 1 + i % 28)}, f"h{i}") for i in range(11)]
    rows[5] = ("n/5", {"i": 2**64}, "h5")  # no PackStream integer holds it
    writer = SegmentWriter(tmp_path / "0.seg", chunk=3, fields=FIELDS, plain=frozenset({"p"}))
    for row in rows:
        writer.add("g", row)
        writer.add("p", (row[0],))
    spill = Spill(3)
    chunks = writer.close()
    for key, offset, count in chunks:
        spill.adopt(key, str(writer.path), offset, count)
    assert [n for key, _, n in chunks if key == "g"] == [3, 2, 1, 3, 2]  # 5 alone, pickled
    assert list(spill.rows("p")) == [(row[0],) for row in rows]
    assert spill.read_packed("p", 0, 2) is None
    for start in range(12):
        for stop in range(start, 12):
            assert spill.read("g", start, stop) == rows[start:stop], (start, stop)
            packed = spill.read_packed("g", start, stop)
            if start <= 5 < stop:
                assert packed is None, (start, stop)
                continue
            assert packed is not None
            expected = _scan.pack_rows(rows[start:stop], FIELDS)
            assert (packed.data, packed.ends) == expected, (start, stop)
    spill.close()


@pytest.mark.parametrize("fields", [FIELDS, None])
def test_rows_packed_already_are_kept_in_order(
    tmp_path: Path, fields: tuple[str, ...] | None
) -> None:
    """Rows that the C code packed (waiting relationships) go to a packing writer as they
    are, and to any other unpacked, between rows given as tuples."""
    _scan = pytest.importorskip("loader._scan")
    rows = [(f"n/{i}", {"i": i}, f"h{i}") for i in range(7)]
    writer = SegmentWriter(tmp_path / "0.seg", chunk=3, fields=fields)
    for i, row in enumerate(rows):
        if i % 2:
            writer.add_packed("g", _scan.pack_rows([row], FIELDS)[0], FIELDS)
        else:
            writer.add("g", row)
    spill = Spill(3)
    for key, offset, count in writer.close():
        spill.adopt(key, str(writer.path), offset, count)
    assert list(spill.rows("g")) == rows
    packed = spill.read_packed("g", 0, 7)
    assert (packed is not None) == (fields is not None)
    if packed is not None:
        assert (packed.data, packed.ends) == _scan.pack_rows(rows, FIELDS)
    spill.close()
