"""Batches of rows packed once, in C, and handed to the neo4j driver as they are.

The driver sends a query's parameters in the Bolt protocol's PackStream format. For a
batch, that means: build a dict per row from the spilled row tuples, then let the
driver's packer (Rust, with neo4j-rust-ext) walk those dicts again, calling back into
Python for every date. ``_scan.pack_rows`` writes the same bytes straight from the tuples
(tests/test_packed.py checks them against the driver's, byte for byte).

The driver has no public way to take bytes that are already packed. ``ready()`` wraps
the private ``Packer._pack`` of ``neo4j._codec.packstream.v1``: a map (a query's
parameters) that holds a ``PackedRows`` is written entry by entry, the ``PackedRows`` as
its bytes; every other value goes to the driver's own method, unchanged. The wrapper
stays only if a self-test passes: a RUN message with packed rows must come out byte for
byte like the same message with the rows as dicts. With another driver whose internals
differ, without the C extension, or with ``CASEGRAPH_PACKED_ROWS=0``, rows go as dicts.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable
from typing import Any

try:
    from loader import _scan
except ImportError:  # pragma: no cover (no C compiler where it was installed)
    _scan = None  # type: ignore[assignment]

NODE_FIELDS = ("id", "props", "hash")
REL_FIELDS = ("start", "end", "key", "props", "hash")


class PackedRows:
    """Rows in PackStream, each a map; what the writer sends as ``$rows``. Supports what
    the writer does with a list of rows: ``len``, halving by slices, ``clear``."""

    __slots__ = ("data", "ends")

    def __init__(self, data: bytes, ends: list[int]) -> None:
        self.data = data  # the rows one after another
        self.ends = ends  # where each row ends in data

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: slice) -> PackedRows:
        start, stop, step = index.indices(len(self.ends))
        if step != 1:
            raise ValueError("packed rows are sliced in order")
        stop = max(start, stop)
        base = self.ends[start - 1] if start else 0
        end = self.ends[stop - 1] if stop > start else base
        return PackedRows(self.data[base:end], [e - base for e in self.ends[start:stop]])

    @classmethod
    def join(cls, parts: list[PackedRows]) -> PackedRows:
        """The rows of ``parts``, one after another."""
        if len(parts) == 1:
            return parts[0]
        ends: list[int] = []
        base = 0
        for part in parts:
            ends.extend(end + base for end in part.ends)
            base += len(part.data)
        return cls(b"".join(part.data for part in parts), ends)

    def clear(self) -> None:
        self.data = b""
        self.ends = []

    def header(self) -> bytes:
        """The PackStream list header for these rows."""
        return _header(len(self.ends), 0x90, 0xD4)

    def __repr__(self) -> str:  # what the driver's debug log shows of $rows
        return f"<{len(self.ends)} packed rows, {len(self.data)} bytes>"


def _header(size: int, tiny: int, marker: int) -> bytes:
    if size < 0x10:
        return bytes((tiny | size,))
    if size < 0x100:
        return bytes((marker, size))
    if size < 0x10000:
        return bytes((marker + 1,)) + struct.pack(">H", size)
    return bytes((marker + 2,)) + struct.pack(">I", size)


def pack(rows: list[tuple[Any, ...]], fields: tuple[str, ...]) -> PackedRows | None:
    """``rows`` packed as maps of ``fields``; None when the driver cannot take packed rows
    (see ``ready``) or a value is of a type ``_scan.pack_rows`` does not pack."""
    if not ready():
        return None
    out = _scan.pack_rows(rows, fields)
    return None if out is None else PackedRows(*out)


_ready: bool | None = None
_deciding = threading.Lock()  # the writer's threads may ask first at the same time


def ready() -> bool:
    """Whether the driver takes ``PackedRows`` (the wrapper installed and self-tested)."""
    global _ready  # noqa: PLW0603 (decided once per process)
    if _ready is None:
        with _deciding:
            if _ready is None:
                _ready = _install()
    return _ready


def _install() -> bool:
    if _scan is None or os.environ.get("CASEGRAPH_PACKED_ROWS", "").strip() == "0":
        return False
    try:
        from neo4j._codec.packstream import v1
    except ImportError:
        return False
    original = getattr(v1.Packer, "_pack", None)
    if original is None:
        return False
    if getattr(original, "casegraph", False):
        return True  # installed already (a module reloaded)

    def _pack(self: Any, data: Any, dehydration_hooks: Any = None) -> None:
        if type(data) is dict and any(type(v) is PackedRows for v in data.values()):
            _pack_map(self, original, data, dehydration_hooks)
        else:
            original(self, data, dehydration_hooks)

    _pack.casegraph = True  # type: ignore[attr-defined]
    _pack.original = original  # type: ignore[attr-defined]
    v1.Packer._pack = _pack  # type: ignore[method-assign]
    try:
        works = _self_test(v1)
    except Exception:  # any failure means: not with this driver
        works = False
    if not works:
        v1.Packer._pack = original  # type: ignore[method-assign]
    return works


def _pack_map(packer: Any, original: Callable[..., None], data: dict[str, Any], hooks: Any) -> None:
    write = packer._write
    write(_header(len(data), 0xA0, 0xD8))
    for key, value in data.items():
        if not isinstance(key, str):
            raise TypeError(f"Map keys must be strings, not {type(key)}")
        original(packer, key, hooks)
        if type(value) is PackedRows:
            write(value.header())
            write(value.data)
        else:
            original(packer, value, hooks)


def _self_test(v1: Any) -> bool:
    """A RUN message with packed rows, against the same with the rows as dicts."""
    rows = [
        (f"id/{i}", {"name": "é" * i, "n": i * 1000, "tags": ["a", "b"]}, "h") for i in range(20)
    ]
    packed = _scan.pack_rows(rows, NODE_FIELDS)
    if packed is None:
        return False
    messages = []
    for value in (
        PackedRows(*packed)[2:19],
        [dict(zip(NODE_FIELDS, r, strict=True)) for r in rows[2:19]],
    ):
        buffer = v1.Packer.new_packable_buffer()
        fields = ["UNWIND $rows AS row RETURN row", {"rows": value, "n": 1}, {"db": "neo4j"}]
        v1.Packer(buffer).pack_struct(b"\x10", fields)
        messages.append(bytes(buffer.data))
    return messages[0] == messages[1]
