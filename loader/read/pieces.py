"""Large seed files read in pieces, so that no process holds a whole file's tree.

A seed file of the common shape is a top-level mapping whose ``nodes`` and
``relationships`` are block sequences of records (``  - key: value`` lines). Such a
sequence can be cut before any of its items: ``nodes:`` followed by the items of one
piece is a seed text of its own, and reading the pieces one after the other gives the
records of the whole, in order. ``plan`` finds those cuts in one pass over the bytes
(a block at a time) and gives up, returning None, at anything it is not sure of: a
top-level key other than ``dataset``, ``nodes`` and ``relationships``, a key twice, a
sequence on the key's own line or not indented, a line at column 0 that is not a key.
Then the file is read whole, as before.

What is cut is only a guess until read: each piece is read by the C reader
(``loader/read/_scan.c``), which takes only texts whose every scalar is on one line. A block
or multi-line scalar cannot be cut without one of its lines failing that, so a piece
the C reader does not take means the whole file is read whole instead
(``loader.validate``), and that path reports every error as it always did.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loader.errors import InputError, Problem
from loader.read.yamlread import YList, YMap, read_file, scan_piece

PIECE_BYTES = 4 * 1024 * 1024  # about 27,000 records of a generated case
SPLIT_BYTES = 2 * PIECE_BYTES  # smaller files are read whole
BLOCK = 1024 * 1024  # read at a time while planning

SECTIONS = ("nodes", "relationships")
HEAD = ""  # the section name of a piece of top-level scalars (``dataset: ...``)

_TOP = re.compile(rb"\n([^ \n#][^\n]*)")  # a line at column 0 (not a comment)
_SECTION = re.compile(rb"(nodes|relationships):[ ]*(?:[ ]#[^\n]*)?")
_SCALAR_KEY = re.compile(rb"dataset:[ ][^\n]*")
_ITEM = re.compile(rb"\n([ ]+)- ")  # the first item of a sequence
_BLANK = re.compile(rb"(?:[ ]*(?:#[^\n]*)?\n)*")  # blank and comment lines


@dataclass(frozen=True)
class Piece:
    """Bytes ``start`` to ``stop`` of a file, from the start of its 0-based ``line``.

    A section's first piece begins with the section's own key line (``opens``); the
    others begin with an item and are read after a ``{section}:`` line put before them.
    """

    section: str  # "nodes", "relationships", or HEAD
    start: int
    stop: int
    line: int
    opens: bool

    def text(self, data: str) -> tuple[str, int]:
        """What to read for this piece's ``data`` (its bytes, decoded) and the 0-based
        line of the file its first line is."""
        if self.opens or self.section == HEAD:
            return data, self.line
        return f"{self.section}:\n{data}", self.line - 1


class _Planner:
    def __init__(self, piece_bytes: int) -> None:
        self.piece_bytes = piece_bytes
        self.pieces: list[Piece] = []
        self.seen: set[bytes] = set()
        self.section: str | None = None  # the section being cut, or HEAD
        self.start = 0  # of the current piece
        self.line = 0
        self.opens = False
        self.indent: bytes | None = None  # of the current section's items
        self.ok = True

    def close_piece(self, stop: int) -> None:
        if self.section is not None and stop > self.start:
            self.pieces.append(Piece(self.section, self.start, stop, self.line, self.opens))

    def top(self, text: bytes, at: int, line: int) -> None:
        """A line at column 0: the key of a section, of ``dataset``, or a reason to stop."""
        self.close_piece(at)
        section = _SECTION.fullmatch(text)
        key = section.group(1) if section else text.split(b":", 1)[0]
        if key in self.seen or not (section or _SCALAR_KEY.fullmatch(text)):
            self.ok = False
            return
        if not self.seen:  # the first piece takes the comments before it (read, not skipped)
            at, line = 0, 0
        self.seen.add(key)
        self.section = key.decode() if section else HEAD
        self.start, self.line, self.opens, self.indent = at, line, True, None

    def cut(self, buf: bytes, base: int, lo: int, hi: int, line_at: int) -> None:
        """Cuts before items in ``buf[lo:hi]`` (file offset ``base + i``, ``line_at``
        the line of ``buf[lo]``), at most one per ``piece_bytes``."""
        if self.section in (None, HEAD):
            return
        if self.indent is None:
            item = _ITEM.search(buf, lo, hi)
            if item is None:
                return
            self.indent = item.group(1)
            line_at += buf.count(b"\n", lo, item.end())  # no cut before the first item
            lo = item.end()
        needle = b"\n" + self.indent + b"- "
        while True:
            target = self.start + self.piece_bytes - base
            if target >= hi:
                return
            found = buf.find(needle, max(target - 1, lo), hi)
            if found < 0 or found + 1 >= hi:
                return
            at = found + 1
            line = line_at + buf.count(b"\n", lo, at)
            self.close_piece(base + at)
            self.start, self.line, self.opens = base + at, line, False
            lo, line_at = at, line


def plan(path: Path, piece_bytes: int = PIECE_BYTES) -> list[Piece] | None:
    """The pieces of a file of the common shape, in file order; None when it cannot be
    cut (or would be one piece anyway)."""
    planner = _Planner(piece_bytes)
    # buf always starts with the line break before its first line (for the file's first
    # line, one put there): lines at column 0 are found as a line break and a character
    carry, base, line = b"\n", -1, -1  # buf[0]'s offset in the file, and its line
    with path.open("rb") as handle:
        while True:
            block = handle.read(BLOCK)
            buf = carry + block
            end = buf.rfind(b"\n") + 1 if block else len(buf)  # whole lines only
            if base == -1:
                lead = _BLANK.match(buf, 1, end)
                if lead is not None and buf[lead.end() : lead.end() + 1] == b" ":
                    return None  # an indented line before the first key
            pos, line_pos = 0, line
            for match in _TOP.finditer(buf, 0, end):
                at = match.start(1)
                planner.cut(buf, base, pos, at, line_pos)
                line_pos += buf.count(b"\n", pos, at)
                pos = at
                planner.top(match.group(1), base + at, line_pos)
                if not planner.ok:
                    return None
            planner.cut(buf, base, pos, end, line_pos)
            if not block:
                break
            line = line_pos + buf.count(b"\n", pos, end - 1)
            base += end - 1
            carry = buf[end - 1 :]
    planner.close_piece(base + len(buf))
    pieces = planner.pieces
    if sum(p.section in SECTIONS for p in pieces) < 2:
        return None
    return pieces


def read_piece(path: Path, piece: Piece) -> YMap | None:
    """A piece of a file as the C reader reads it: a mapping of its one section (or of
    the top-level scalars); None when it does not take it."""
    with path.open("rb") as handle:
        handle.seek(piece.start)
        raw = handle.read(piece.stop - piece.start)
    try:
        text, line = piece.text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    del raw
    tree = scan_piece(text, str(path), line)
    if not isinstance(tree, YMap) or (piece.section and list(tree) != [piece.section]):
        return None
    return tree


def file_records(path: Path, split: list[Piece] | None) -> Iterator[tuple[str, Any]]:
    """("nodes" or "relationships", entry) for every entry of a file's two lists, a piece
    at a time when it was checked in the pieces ``split`` (which the C reader took)."""
    if split is not None:
        for piece in split:
            if piece.section == HEAD:
                continue
            tree = read_piece(path, piece)
            if tree is None:
                raise InputError([Problem(str(path), 1, 1, "the file changed while it was read")])
            records = tree.get(piece.section)
            if isinstance(records, YList):
                yield from ((piece.section, record) for record in records)
        return
    data, _ = read_file(path)
    if isinstance(data, YMap):
        for kind in ("nodes", "relationships"):
            records = data.get(kind)
            if isinstance(records, YList):
                yield from ((kind, record) for record in records)
