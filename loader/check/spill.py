"""Rows grouped by key that spill to disk, so a large load never holds them all.

A group is a list of chunks at offsets of files: either this store's own anonymous
temporary file (rows given to ``add`` are kept in memory up to ``chunk`` per group, then
written there) or a segment file a worker process wrote (``adopt``). Reading a range of a
group loads just the chunks it spans and keeps the last one, so reading a group in order
loads each chunk once. Reads are thread-safe (the writer's threads share a store).

A chunk is a pickled list of rows (tuples of plain values: text, numbers, dates, lists
and dicts of them).
"""

from __future__ import annotations

import bisect
import pickle
import tempfile
import threading
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import IO, Any

Row = tuple[Any, ...]
OWN = ""  # the source of chunks written to this store's own temporary file


def write_rows(rows: list[Row], file: IO[bytes]) -> None:
    """Pickle a chunk of rows to ``file`` without the memo (the pickler's "fast" mode):
    rows are trees of fresh values, without cycles. Without the memo, the rows of the
    benchmark's 100k case took 1.1 µs each to write instead of 2.1, for 13% more bytes;
    reading them back takes as long."""
    pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(rows)


def load_rows(file: IO[bytes]) -> list[Row]:
    """The rows of the chunk at ``file``'s position, as they were given to be written."""
    rows: list[Row] = pickle.load(file)  # noqa: S301 (written by this load)
    return rows


class SegmentWriter:
    """Appends chunks of rows to one file; what a worker process writes for the main one."""

    def __init__(self, path: Path, chunk: int) -> None:
        self.path = path
        self.chunk = chunk
        self._file = path.open("wb")
        self.buffers: dict[Hashable, list[Row]] = {}  # rows not written yet
        self.chunks: list[tuple[Hashable, int, int]] = []  # (key, offset, rows), in order

    def add(self, key: Hashable, row: Row) -> None:
        buffer = self.buffers.get(key)
        if buffer is None:
            buffer = self.buffers[key] = []
        buffer.append(row)
        if len(buffer) >= self.chunk:
            self._flush(key)

    def _flush(self, key: Hashable) -> None:
        buffer = self.buffers.pop(key, None)
        if buffer:
            offset = self._file.tell()
            write_rows(buffer, self._file)
            self.chunks.append((key, offset, len(buffer)))

    def close(self) -> list[tuple[Hashable, int, int]]:
        for key in list(self.buffers):
            self._flush(key)
        self._file.close()
        return self.chunks


class Spill:
    def __init__(self, chunk: int = 5_000) -> None:
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self.chunk = chunk
        self._buffers: dict[Hashable, list[Row]] = {}
        self._chunks: dict[Hashable, list[tuple[str, int, int]]] = {}  # (source, offset, rows)
        self._starts: dict[Hashable, list[int]] = {}  # first row of each chunk
        self._counts: dict[Hashable, int] = {}
        self._own: IO[bytes] | None = None
        self._files: dict[str, IO[bytes]] = {}
        self._cache: tuple[Hashable, int, list[Row]] | None = None
        self._reading = threading.Lock()  # one file position per source
        self.spilled_bytes = 0

    def _group(self, key: Hashable) -> list[Row]:
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = []
            self._chunks[key] = []
            self._starts[key] = []
            self._counts[key] = 0
        return buffer

    def add(self, key: Hashable, row: Row) -> None:
        buffer = self._group(key)
        buffer.append(row)
        self._counts[key] += 1
        if len(buffer) >= self.chunk:
            self._flush(key, buffer)

    def adopt(self, key: Hashable, path: str, offset: int, rows: int) -> None:
        """Append a chunk written by a ``SegmentWriter`` (after the rows added so far)."""
        buffer = self._group(key)
        if buffer:
            self._flush(key, buffer)
        self._starts[key].append(self._counts[key])
        self._chunks[key].append((path, offset, rows))
        self._counts[key] += rows

    def _flush(self, key: Hashable, rows: list[Row]) -> None:
        if self._own is None:
            self._own = tempfile.TemporaryFile(prefix="casegraph-spill-")  # noqa: SIM115 (closed by close())
        self._own.seek(0, 2)
        offset = self._own.tell()
        write_rows(rows, self._own)
        self.spilled_bytes += self._own.tell() - offset
        self._starts[key].append(self._counts[key] - len(rows))
        self._chunks[key].append((OWN, offset, len(rows)))
        self._buffers[key] = []

    def groups(self) -> list[Hashable]:
        return sorted(self._counts)  # type: ignore[type-var]

    def count(self, key: Hashable) -> int:
        return self._counts.get(key, 0)

    def __len__(self) -> int:
        return sum(self._counts.values())

    def _file(self, source: str) -> IO[bytes]:
        if source == OWN:
            assert self._own is not None
            return self._own
        handle = self._files.get(source)
        if handle is None:
            handle = self._files[source] = Path(source).open("rb")  # noqa: SIM115 (closed by close())
        return handle

    def _chunk_rows(self, key: Hashable, index: int) -> list[Row]:
        """A chunk's rows, the last one read kept in memory."""
        chunks = self._chunks[key]
        if index == len(chunks):  # the part still in memory
            return self._buffers[key]
        cache = self._cache  # another thread may replace it
        if cache is not None and cache[:2] == (key, index):
            return cache[2]
        source, offset, _ = chunks[index]
        with self._reading:
            handle = self._file(source)
            handle.seek(offset)
            rows = load_rows(handle)
        self._cache = (key, index, rows)
        return rows

    def _pieces(self, key: Hashable, start: int, stop: int) -> Iterator[tuple[int, int, int]]:
        """(chunk index, first row, row after the last) of each chunk that rows ``start``
        to ``stop`` span, the rows counted from the chunk's start."""
        stop = min(stop, self.count(key))
        if stop <= start:
            return
        starts = self._starts[key]
        tail = self._counts[key] - len(self._buffers[key])  # first row still in memory
        index = bisect.bisect_right(starts, start) - 1 if start < tail else len(starts)
        while start < stop:
            base = starts[index] if index < len(starts) else tail
            size = self._chunks[key][index][2] if index < len(starts) else stop - base
            piece = min(stop, base + size) - start
            if piece <= 0:  # cannot happen while the counts are right
                raise AssertionError(f"spill group {key!r} lost rows")
            yield index, start - base, start - base + piece
            start += piece
            index += 1

    def read(self, key: Hashable, start: int, stop: int) -> list[Row]:
        """Rows ``start`` to ``stop`` (exclusive) of a group, in the order they were added."""
        out: list[Row] = []
        for index, first, last in self._pieces(key, start, stop):
            piece = self._chunk_rows(key, index)[first:last]
            if len(piece) != last - first:  # cannot happen while the counts are right
                raise AssertionError(f"spill group {key!r} lost rows")
            out.extend(piece)
        return out

    def rows(self, key: Hashable) -> Iterator[Row]:
        if key not in self._counts:
            return
        for index in range(len(self._chunks[key]) + 1):
            yield from self._chunk_rows(key, index)

    def close(self) -> None:
        for handle in [*self._files.values(), *([self._own] if self._own else [])]:
            handle.close()
        self._own = None
        self._files.clear()
        self._buffers.clear()
        self._chunks.clear()
        self._starts.clear()
        self._counts.clear()
        self._cache = None
