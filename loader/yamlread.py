"""Safe YAML reading that remembers where every value came from.

Every scalar is returned as text (``str``) or ``None`` (a plain ``null``/``~``/empty
value); the ontology, not YAML's implicit resolution, decides what a value means, so
``NO`` stays Norway's country code and ``010`` stays ``010``. Mappings come back as
``YMap`` and sequences as ``YList``, which carry the position of themselves, of every
key and of every value. Duplicate keys, anchors/aliases and non-core tags are errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml's C parser when PyYAML was built with it
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

from loader.errors import InputError, Problem

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


class YMap(dict[str, Any]):
    """A mapping that knows where it, its keys and its values are."""

    mark: Mark
    key_marks: dict[str, Mark]
    value_marks: dict[str, Mark]

    def at(self, key: str) -> Mark:
        """The position of the value of ``key`` (or of the mapping when absent)."""
        return self.value_marks.get(key, self.mark)


class YList(list[Any]):
    """A sequence that knows where it and each of its items are."""

    mark: Mark
    item_marks: list[Mark]


def _mark(path: str, node: yaml.Node) -> Mark:
    return Mark(path, node.start_mark.line + 1, node.start_mark.column + 1)


class _Walker:
    """Turns a composed YAML node tree into YMap/YList/str/None, collecting problems."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.seen: set[int] = set()
        self.problems: list[Problem] = []

    def fail(self, node: yaml.Node, message: str) -> None:
        self.problems.append(_mark(self.path, node).problem(message))

    def walk(self, node: yaml.Node, depth: int = 0) -> Any:
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
        result.mark = _mark(self.path, node)
        result.item_marks = []
        for item in node.value:
            result.append(self.walk(item, depth + 1))
            result.item_marks.append(_mark(self.path, item))
        return result

    def mapping(self, node: yaml.MappingNode, depth: int) -> YMap:
        result = YMap()
        result.mark = _mark(self.path, node)
        result.key_marks = {}
        result.value_marks = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, "a mapping key must be a plain value")
                continue
            key = key_node.value
            if key == "<<":
                self.fail(key_node, "YAML merge keys (<<) are not allowed")
                continue
            problems = len(self.problems)
            self.walk(key_node, depth + 1)  # an aliased or tagged key is reported there
            if len(self.problems) > problems:
                continue
            if key in result.key_marks:
                first = result.key_marks[key]
                self.fail(key_node, f"duplicate key {key!r} (first at line {first.line})")
                continue
            result.key_marks[key] = _mark(self.path, key_node)
            result.value_marks[key] = _mark(self.path, value_node)
            result[key] = self.walk(value_node, depth + 1)
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
    loader = _BaseLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = " ".join(part for part in (exc.context, exc.problem) if part)
        raise InputError([Problem(path, line, column, f"invalid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise InputError([Problem(path, 1, 1, f"invalid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if node is None:
        raise InputError([Problem(path, 1, 1, "empty file (no YAML document)")])
    walker = _Walker(path)
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
            raise InputError([Problem(name, 1, 1, f"file of {size:,} bytes is too large")])
        data = path.read_bytes()
    except OSError as exc:
        raise InputError([Problem(name, 1, 1, f"cannot read: {exc.strerror}")]) from None
    return parse_text(_decode(name, data), name), data


def collect_files(paths: list[Path]) -> list[Path]:
    """Files named, and every *.yaml/*.yml under directories named, in a stable order."""
    found: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(
                p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file()
            )
            if not inside:
                problems.append(Problem(str(path), 1, 1, "no *.yaml or *.yml files here"))
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(str(path), 1, 1, "no such file or directory"))
    if problems:
        raise InputError(problems)
    unique: list[Path] = []
    seen: set[Path] = set()
    for path in found:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(path)
    return unique
