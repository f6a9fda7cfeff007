"""Safe YAML reading that remembers where every value came from.

Every scalar is returned as text (``str``) or ``None`` (a plain ``null``/``~``/empty
value); the ontology, not YAML's implicit resolution, decides what a value means, so
``NO`` stays Norway's country code and ``010`` stays ``010``. Mappings come back as
``YMap`` and sequences as ``YList``, which carry the position of themselves, of every
key and of every value. Duplicate keys, anchors/aliases and non-core tags are errors.

Files of the common shape (a top-level mapping, lists of ``- key: value`` records with
one-line scalars and ``[a, b]`` lists) are read by the C reader in ``loader/read/_scan.c``
when it was built: the same tree and positions, about five times faster. Everything
else, and every error, is PyYAML's (its C parser when present).

Over 400 lines on purpose: the mappings and lists that keep positions, the loader and the
walker are one reader; split, each half would need the other's internals.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

import yaml

try:  # libyaml's C parser when PyYAML was built with it
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from loader.errors import InputError, Problem, shown

try:  # the C reader for the common shape of seed files (loader/read/_scan.c), when it was built
    from loader.read import _scan
except ImportError:  # pragma: no cover - depends on the build
    _scan = None  # type: ignore[assignment]

MAX_DEPTH = 32
MAX_SCALAR = 1_000_000  # characters in one value
MAX_FILE = 256 * 1024 * 1024
CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("null", "bool", "int", "float", "str", "timestamp", "seq", "map")
)
NULLS = frozenset({"", "~", "null", "Null", "NULL"})


@dataclass(frozen=True, slots=True)
class Mark:
    """A position in a file; line and column are 1-based."""

    path: str
    line: int
    column: int

    def problem(self, message: str) -> Problem:
        return Problem(self.path, self.line, self.column, message)


# Mark(path, line, column) without the dataclass __init__: the same object, made in half
# the time (a frozen dataclass sets each field through object.__setattr__).
_new_mark = object.__new__
_set_path, _set_line, _set_column = (vars(Mark)[f].__set__ for f in ("path", "line", "column"))


# a node of PyYAML's, or of the C reader's (``_scan.Pos``): only its start is read
_Node = Any


def _mark(path: str, node: _Node) -> Mark:
    start = node.start_mark
    mark: Mark = _new_mark(Mark)
    _set_path(mark, path)
    _set_line(mark, start.line + 1)
    _set_column(mark, start.column + 1)
    return mark


_T = TypeVar("_T")


class _Lazy(Generic[_T]):
    """An attribute built from the parsed node on first read, then kept like a plain one.

    Building a ``Mark`` for every key, value and item costs as much as walking them, and
    many are never read (key positions are only for error messages). The walker stores
    ``_src = (path, node, ...)`` on each ``YMap``/``YList`` (so the YAML nodes live as
    long as it does); the first read of the attribute builds it from there and stores it
    in the instance's ``__dict__``, which then shadows this (non-data) descriptor.
    Assigning the attribute works as before.
    """

    def __init__(self, build: Callable[[Any], _T]) -> None:
        self.build = build
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _Lazy[_T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> _T | _Lazy[_T]:
        if obj is None:
            return self
        src = obj.__dict__.get("_src")
        if src is None:  # made by hand, not by the reader: no such attribute, as before
            raise AttributeError(f"{type(obj).__name__!r} object has no attribute {self.name!r}")
        value = self.build(src)
        obj.__dict__[self.name] = value
        return value


# key -> (key node, value node); the C reader's stands in with a loader.read._scan.Places,
# read only through get() and items(), which keeps the positions as numbers
_Pairs = dict[str, tuple[_Node, _Node]]


class YMap(dict[str, Any]):
    """A mapping that knows where it, its keys and its values are."""

    _src: tuple[str, _Node, _Pairs]
    mark = _Lazy[Mark](lambda src: _mark(src[0], src[1]))
    key_marks = _Lazy[dict[str, Mark]](
        lambda src: {key: _mark(src[0], pair[0]) for key, pair in src[2].items()}
    )
    value_marks = _Lazy[dict[str, Mark]](
        lambda src: {key: _mark(src[0], pair[1]) for key, pair in src[2].items()}
    )

    def at(self, key: str) -> Mark:
        """The position of the value of ``key`` (or of the mapping when absent)."""
        attrs = self.__dict__
        if "value_marks" not in attrs and (src := attrs.get("_src")) is not None:
            pair = src[2].get(key)  # build just this one mark
            return self.mark if pair is None else _mark(src[0], pair[1])
        return self.value_marks.get(key, self.mark)

    def place(self, key: str | None = None) -> tuple[int, int]:
        """``(line, column)`` of the value of ``key``, or of the mapping itself when
        ``key`` is None or absent: ``at(key)``'s position without building a ``Mark``."""
        line, column = self.places(key)
        return line, column

    def places(self, *keys: str | None) -> tuple[int, ...]:
        """``place(key)`` for each of ``keys``, one after the other in one tuple."""
        attrs = self.__dict__
        src = attrs.get("_src")
        out: list[int] = []
        if src is None or "value_marks" in attrs or "mark" in attrs:  # built or assigned
            for key in keys:
                mark = self.mark if key is None else self.at(key)
                out += (mark.line, mark.column)
            return tuple(out)
        pairs = src[2]
        for key in keys:
            pair = None if key is None else pairs.get(key)
            start = (src[1] if pair is None else pair[1]).start_mark
            out += (start.line + 1, start.column + 1)
        return tuple(out)


class YList(list[Any]):
    """A sequence that knows where it and each of its items are."""

    _src: tuple[str, _Node]
    mark = _Lazy[Mark](lambda src: _mark(src[0], src[1]))
    item_marks = _Lazy[list[Mark]](lambda src: [_mark(src[0], item) for item in src[1].value])


class _Resolving:
    """A safe loader, minus implicit typing: every scalar is kept as text anyway.

    The C composer calls ``resolve`` for every node whose tag is absent or ``!``. The
    walker only asks whether that tag is a core one (and names it when it is not), so
    instead of matching the implicit resolvers' regular expressions this returns the
    same verdict directly: the only plain scalars SafeLoader resolves to a non-core tag
    are ``=`` (``value``) and ``<<`` (``merge``); tests check this against SafeLoader.
    """

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0] and value in _PLAIN_NON_CORE:
                return _PLAIN_NON_CORE[value]
            return _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG

    # Path resolvers (none are registered on SafeLoader) would need these two, which the
    # composer calls around every node; as no-ops they skip that check each time.
    def descend_resolver(self, current_node: yaml.Node | None, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


class _Loader(_Resolving, _BaseLoader):
    """The loader ``parse_text`` uses: on libyaml's C parser when PyYAML has it."""


class _PureLoader(_Resolving, yaml.SafeLoader):
    """The same on PyYAML's pure-Python parser (what a PyYAML without libyaml uses): the
    tests compare the C reader with both."""


_STR_TAG, _SEQ_TAG, _MAP_TAG = (f"tag:yaml.org,2002:{name}" for name in ("str", "seq", "map"))
_PLAIN_NON_CORE = {"=": "tag:yaml.org,2002:value", "<<": "tag:yaml.org,2002:merge"}


class _Walker:
    """Turns a composed YAML node tree into YMap/YList/str/None, collecting problems.

    ``mapping`` and ``sequence`` handle a plain or quoted scalar with a core tag, met for
    the first time and not too deep, in place; everything else goes through ``walk``.

    A node met twice is an alias. Only a text with both an anchor (``&``) and an alias
    (``*``) can have one, so only then are the ids of the nodes met kept in ``seen``
    (it is ``None`` otherwise): that bookkeeping costs as much as the rest of the walk.
    """

    def __init__(self, path: str, aliases: bool = True) -> None:
        self.path = path
        self.seen: set[int] | None = set() if aliases else None
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node, message: str) -> None:
        self.problems.append(_mark(self.path, node).problem(message))

    def walk(self, node: yaml.Node, depth: int = 0) -> Any:
        if self.seen is not None:
            if id(node) in self.seen:
                self.fail(node, "YAML anchors and aliases are not allowed (this node is reused)")
                return None
            self.seen.add(id(node))
        if depth > MAX_DEPTH:
            self.fail(node, f"nesting deeper than {MAX_DEPTH} levels")
            return None
        if node.tag not in CORE_TAGS:
            self.fail(node, f"YAML tags are not allowed ({node.tag})")
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return self.sequence(node, depth)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, depth)
        self.fail(node, "unsupported YAML node")  # pragma: no cover
        return None

    def scalar(self, node: yaml.ScalarNode) -> str | None:
        value: str = node.value
        if len(value) > MAX_SCALAR:
            self.fail(node, f"value of {len(value):,} characters (at most {MAX_SCALAR:,})")
            return None
        if not node.style and value in NULLS:  # plain (unquoted) null
            return None
        return value

    def sequence(self, node: yaml.SequenceNode, depth: int) -> YList:
        result = YList()
        result._src = (self.path, node)
        append = result.append
        seen, depth = self.seen, depth + 1
        for item in node.value:
            if (
                item.__class__ is yaml.ScalarNode  # what walk(item, depth) does, in place
                and (seen is None or id(item) not in seen)
                and depth <= MAX_DEPTH
                and item.tag in CORE_TAGS
                and len(value := item.value) <= MAX_SCALAR
            ):
                if seen is not None:
                    seen.add(id(item))
                append(None if not item.style and value in NULLS else value)
            else:
                append(self.walk(item, depth))
        return result

    def mapping(self, node: yaml.MappingNode, depth: int) -> YMap:
        result = YMap()
        pairs: _Pairs = {}
        result._src = (self.path, node, pairs)
        seen, depth = self.seen, depth + 1
        for pair in node.value:
            key_node, value_node = pair
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, "a mapping key must be a plain value")
                continue
            key = key_node.value
            if key == "<<":
                self.fail(key_node, "YAML merge keys (<<) are not allowed")
                continue
            if (
                (seen is None or id(key_node) not in seen)  # walk(key_node, depth), in place
                and depth <= MAX_DEPTH
                and key_node.tag in CORE_TAGS
                and len(key) <= MAX_SCALAR
            ):
                if seen is not None:
                    seen.add(id(key_node))
            else:
                problems = len(self.problems)
                self.walk(key_node, depth)  # an aliased or tagged key is reported there
                if len(self.problems) > problems:
                    continue
            if key in pairs:
                first = pairs[key][0].start_mark.line + 1
                self.fail(key_node, f"duplicate key {shown(key)} (first at line {first})")
                continue
            pairs[key] = pair
            if (
                value_node.__class__ is yaml.ScalarNode  # as in sequence()
                and (seen is None or id(value_node) not in seen)
                and depth <= MAX_DEPTH
                and value_node.tag in CORE_TAGS
                and len(value := value_node.value) <= MAX_SCALAR
            ):
                if seen is not None:
                    seen.add(id(value_node))
                result[key] = None if not value_node.style and value in NULLS else value
            else:
                result[key] = self.walk(value_node, depth)
        return result


def _decode(path: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before[before.rfind(b"\n") + 1 :]
        column = len(line_start.decode("utf-8", errors="replace")) + 1  # in characters
        raise InputError(
            [
                Problem(
                    path, line, column, f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded"
                )
            ]
        ) from None


def parse_text(text: str, path: str) -> Any:
    """Parse one YAML document; raise InputError with every problem found."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError([Problem(path, 1, 1, "empty file")])
    gc_was_on = gc.isenabled()
    gc.disable()  # the trees are many small objects and no cycles: the collector only costs
    try:
        return _parse(text, path)
    finally:
        if gc_was_on:
            gc.enable()


def scalar_text(value: object) -> str:
    """``value`` (text, or a list of texts) as a YAML flow scalar that the readers read back
    as the same text: a JSON string (or list of them), which YAML reads as it is."""
    return json.dumps(value, ensure_ascii=False)


def can_scan() -> bool:
    """Whether the C reader was built (large files are read in pieces only with it)."""
    return _scan is not None


def scan_piece(text: str, path: str, first_line: int) -> Any:
    """The C reader's tree of a text (a file's, or a piece of one whose first line is
    ``first_line``, 0-based), or None when it does not take the text (or was not built)."""
    if _scan is None:
        return None  # type: ignore[unreachable]
    return _scan.scan(text, path, YMap, YList, MAX_SCALAR, first_line)


def _parse(text: str, path: str) -> Any:
    # the C reader gives the same tree for the shape it knows (tests/test_scan.py), and
    # None for anything else, valid or not: then PyYAML reads it and reports problems
    tree = scan_piece(text, path, 0)
    return tree if tree is not None else _parse_pyyaml(text, path)


def _parse_pyyaml(text: str, path: str, loader_class: type[_Loader | _PureLoader] = _Loader) -> Any:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise InputError([Problem(path, line, column, f"invalid YAML: {what}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        at = min(max(exc.position, 0), len(text))
        line = text.count("\n", 0, at) + 1
        column = at - (text.rfind("\n", 0, at) + 1) + 1
        char = exc.character if isinstance(exc.character, int) else -1
        what = f"character U+{char:04X} is not allowed" if char >= 0 else exc.reason
        raise InputError([Problem(path, line, column, f"invalid YAML: {what}")]) from None
    except yaml.YAMLError as exc:  # no place known; its text's first line
        what = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError([Problem(path, 1, 1, f"invalid YAML: {what}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise InputError([Problem(path, 1, 1, "empty file (no YAML document)")])
    walker = _Walker(path, aliases="&" in text and "*" in text)
    value = walker.walk(node)
    if walker.problems:
        raise InputError(walker.problems)
    return value


def read_file(path: Path, display: str | None = None) -> tuple[Any, bytes]:
    """Read and parse one file; returns the value and the raw bytes (for checksums)."""
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            raise InputError([Problem(name, 0, 0, f"file of {size:,} bytes is too large")])
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(name, 0, 0, f"cannot read: {exc.strerror}")]) from None
    return parse_text(_decode(name, data), name), data
