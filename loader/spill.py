"""Rows grouped by key that spill to disk, so a large load never holds them all.

A group is a list of chunks, each a pickled list of rows at an offset of a file: either
this store's own anonymous temporary file (rows given to ``add`` are kept in memory up to
``chunk`` per group, then written there) or a segment file a worker process wrote
(``adopt``). Small inputs checked in this process never touch the disk. Reading a range
of a group loads just the chunks it spans and keeps the last one, so reading a group in
order unpickles each chunk once. Reads are thread-safe (the writer's threads share a store).
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


class SegmentWriter:
    """Appends pickled chunks to one file; what a worker process writes for the main one."""

    def __init__(self, path: Path, chunk: int) -> None:
        self.path = path
        self.chunk = chunk
        self._file = path.open("wb")
        self.buffers: dict[Hashable, list[Row]] = {}  # rows not written yet (C adds too)
        self.chunks: list[tuple[Hashable, int, int]] = []  # (key, offset, rows), in order

    def add(self, key: Hashable, row: Row) -> None:
        buffer = self.buffers.setdefault(key, [])
        buffer.append(row)
        if len(buffer) >= self.chunk:
            self._flush(key)

    def _flush(self, key: Hashable) -> None:
        rows = self.buffers.pop(key, [])
        if rows:
            offset = self._file.tell()
            write_rows(rows, self._file)
            self.chunks.append((key, offset, len(rows)))

    def flush_full(self) -> None:
        """Write out every buffer that holds ``chunk`` rows (``_scan.records`` fills them)."""
        for key in [key for key, rows in self.buffers.items() if len(rows) >= self.chunk]:
            self._flush(key)

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
            rows: list[Row] = pickle.load(handle)  # noqa: S301 (written by this load)
        self._cache = (key, index, rows)
        return rows

    def read(self, key: Hashable, start: int, stop: int) -> list[Row]:
        """Rows ``start`` to ``stop`` (exclusive) of a group, in the order they were added."""
        out: list[Row] = []
        stop = min(stop, self.count(key))
        if stop <= start:
            return out
        starts = self._starts[key]
        tail = self._counts[key] - len(self._buffers[key])  # first row still in memory
        index = bisect.bisect_right(starts, start) - 1 if start < tail else len(starts)
        while start < stop:
            base = starts[index] if index < len(starts) else tail
            rows = self._chunk_rows(key, index)
            piece = rows[start - base : stop - base]
            if not piece:  # cannot happen while the counts are right
                raise AssertionError(f"spill group {key!r} lost rows")
            out.extend(piece)
            start += len(piece)
            index += 1
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
