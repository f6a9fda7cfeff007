"""Rows grouped by key that spill to a temporary file, so a large load never holds them all.

Each group keeps up to ``chunk`` rows in memory; a full chunk is pickled to one anonymous
temporary file (deleted when closed, or by the OS when the process dies) and only its
offset is kept. Small inputs never touch the disk. Reading a range of a group loads just
the chunks it spans, and keeps the last chunk read, so reading a group in order unpickles
each chunk once.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Hashable, Iterator
from typing import IO, Any

Row = tuple[Any, ...]


class Spill:
    def __init__(self, chunk: int = 5_000) -> None:
        if chunk < 1:
            raise ValueError("chunk must be at least 1")
        self.chunk = chunk
        self._buffers: dict[Hashable, list[Row]] = {}
        self._chunks: dict[Hashable, list[tuple[int, int]]] = {}  # key -> [(offset, rows)]
        self._counts: dict[Hashable, int] = {}
        self._file: IO[bytes] | None = None
        self._cache: tuple[Hashable, int, list[Row]] | None = None
        self.spilled_bytes = 0

    def add(self, key: Hashable, row: Row) -> None:
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = []
            self._chunks[key] = []
            self._counts[key] = 0
        buffer.append(row)
        self._counts[key] += 1
        if len(buffer) >= self.chunk:
            self._flush(key, buffer)
            self._buffers[key] = []

    def _flush(self, key: Hashable, rows: list[Row]) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="casegraph-spill-")  # noqa: SIM115 (closed by close())
        self._file.seek(0, 2)
        offset = self._file.tell()
        data = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
        self._file.write(data)
        self.spilled_bytes += len(data)
        self._chunks[key].append((offset, len(rows)))

    def groups(self) -> list[Hashable]:
        return sorted(self._counts)  # type: ignore[type-var]

    def count(self, key: Hashable) -> int:
        return self._counts.get(key, 0)

    def __len__(self) -> int:
        return sum(self._counts.values())

    def _chunk_rows(self, key: Hashable, index: int) -> list[Row]:
        chunks = self._chunks[key]
        if index == len(chunks):  # the part still in memory
            return self._buffers[key]
        if self._cache is not None and self._cache[:2] == (key, index):
            return self._cache[2]
        assert self._file is not None
        self._file.seek(chunks[index][0])
        rows: list[Row] = pickle.load(self._file)  # noqa: S301 (written by this process)
        self._cache = (key, index, rows)
        return rows

    def read(self, key: Hashable, start: int, stop: int) -> list[Row]:
        """Rows ``start`` to ``stop`` (exclusive) of a group, in the order they were added."""
        out: list[Row] = []
        stop = min(stop, self.count(key))
        if stop <= start:
            return out
        first = start // self.chunk
        for index in range(first, (stop - 1) // self.chunk + 1):
            base = index * self.chunk
            rows = self._chunk_rows(key, index)
            out.extend(rows[max(start - base, 0) : stop - base])
        return out

    def rows(self, key: Hashable) -> Iterator[Row]:
        for index in range(len(self._chunks.get(key, [])) + (key in self._buffers)):
            yield from self._chunk_rows(key, index)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._buffers.clear()
        self._chunks.clear()
        self._counts.clear()
        self._cache = None
