"""Saved queries: the ``cypher/*.cypher`` library, its checks, typed parameters, a read-only runner.

A saved query is one file: a title line, a header of ``// key: value`` comment lines, a blank
line, then one read-only Cypher statement (the format is in docs/queries.md)::

    // States and international bodies that cooperated in an investigation
    // name: international-cooperation
    // description: ...
    // category: Investigation
    // param: investigation string default='investigation/coco' -- id of the Investigation
    // tags: cooperation, international

    MATCH (i:Investigation {id: $investigation})-[r:COOPERATED_WITH]->(x) RETURN ...

Loading the library checks every file and reports every problem at once as an
``InputError`` (``path:line:col: message``): a bad header, a duplicate name, a parameter used
but not declared or declared but not used, a clause that writes. The runner sends values as
Cypher parameters, in a READ session (the server refuses any write), with a timeout and
transaction metadata naming the query, and returns JSON-friendly rows.

Over 400 lines on purpose: the header format, its parameters, the read-only check of the
Cypher text and the rules across the library's files (one meaning per parameter name) are
one parser, reporting every problem at once with its place.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from loader import settings
from loader.cypher import literal as cypher_literal
from loader.errors import (
    InputError,
    Problem,
    UsageError,
    ValueProblem,
)
from loader.model import values

T = TypeVar("T")

ENV_VAR = "CASEGRAPH_QUERIES"
DEFAULT_TIMEOUT = 30.0
PARAM_TYPES = ("string", "int", "float", "bool", "date", "list<string>")
HEADER_KEYS = ("name", "description", "category", "param", "tags", "view")
# what Neo4j Browser shows first: a table of values, or a graph (the query also returns the
# nodes and relationships it speaks of, in its column ``graph``)
VIEWS = ("table", "graph")
REQUIRED_KEYS = ("name", "description", "category")

_NAME_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FIELD_RE = re.compile(r"// ?([A-Za-z_][A-Za-z0-9_-]*):(.*)")
_CONTINUATION_RE = re.compile(r"//  +(\S.*)")
_PARAM_HEAD_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s+(\S+)")
_PARAM_OPTION_RE = re.compile(r"([A-Za-z_]+)=(?:'((?:[^']|'')*)'|([^\s']\S*))(?=\s|$)")
_PARAM_USE_RE = re.compile(r"\$(`|[A-Za-z0-9_]+)")
# Clauses and commands that write or administer. Preceded by `.`, `:` or `$` (a property,
# label or parameter) or followed by `:` (a map key) the word is a name, not a clause.
_WRITE_RE = re.compile(
    r"(?<![\w.$:])(CREATE|MERGE|SET|DELETE|REMOVE|DETACH|DROP|FOREACH|LOAD\s+CSV|GRANT|DENY"
    r"|REVOKE|ALTER|RENAME|TERMINATE|(?:START|STOP)\s+DATABASE|(?:ENABLE|DEALLOCATE"
    r"|REALLOCATE|DROP)\s+SERVERS?)(?![\w])(?!\s*:)"
    r"|\}\s*(IN\s+(?:[^{}()]*?\s)?TRANSACTIONS)\b",
    re.IGNORECASE,
)
_ALIAS_RE = re.compile(r"\bAS\s+$", re.IGNORECASE)
# Procedures that write, import or export (APOC, the built-in db.create.* and dbms.*).
_WRITE_PROC_RE = re.compile(
    r"(?<![\w.])((?:apoc\.(?:create|merge|refactor|periodic|do|lock|trigger|atomic|load|import"
    r"|export|graph\.fromDocument|nodes\.(?:delete|link|collapse)|schema\.assert"
    r"|cypher\.(?:doIt|runWrite|runMany|runSchema|parallel))|db\.create|db\.index\.fulltext"
    r"\.(?:create|drop)|dbms)\.[\w.]*)\s*\(",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QueryParam:
    """A declared parameter: its Cypher name, type, default (None: required) and example."""

    name: str
    type: str
    default: Any = None
    example: Any = None
    description: str = ""
    line: int = field(default=0, compare=False)  # of its header line in the query's file

    @property
    def required(self) -> bool:
        return self.default is None

    def sample(self) -> Any:
        """A value to show or to EXPLAIN with: the example, else the default."""
        return self.example if self.example is not None else self.default


@dataclass(frozen=True)
class SavedQuery:
    name: str
    title: str
    description: str
    category: str
    params: tuple[QueryParam, ...]
    tags: tuple[str, ...]
    text: str  # the statement sent to the server: the file without its header and final ';'
    path: Path
    view: str = "table"  # one of VIEWS

    def param(self, name: str) -> QueryParam | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]  # JSON-friendly values (see to_json)


# -- values ---------------------------------------------------------------------------------


def parse_value(type_: str, text: str) -> Any:
    """Parse the text of a parameter value (from a header or --param) into its Python value.

    Raises ``ValueProblem`` with a message for the user.
    """
    if type_ == "string":
        return text
    if type_ == "int":
        return values.parse_int(text)
    if type_ == "float":
        return values.parse_float(text)
    if type_ == "bool":
        return values.parse_bool(text)
    if type_ == "date":
        return values.parse_date(text).value
    if type_ == "list<string>":
        items = [item.strip() for item in text.split(",")] if text.strip() else []
        if any(not item for item in items):
            raise ValueProblem(f"{text!r} has an empty item (use a,b,c)")
        return items
    raise ValueError(f"unknown parameter type {type_!r}")


def param_preset(query: SavedQuery) -> str | None:
    """The Neo4j Browser command that sets the query's parameters, evaluated by the server so
    that integers stay integers and dates are dates; None when the query takes no parameter.

    ``:param depth => 1``, or ``:param [{a, b}] => { RETURN 'x' AS a, 2 AS b }`` for several.
    (Browser parses ``:params {...}`` itself: 25 becomes 25.0 and a date becomes text.)
    """
    return _preset([(p.name, p.sample()) for p in query.params])


def _preset(values: list[tuple[str, Any]]) -> str | None:
    """The ``:param`` command that sets each (name, value)."""
    if not values:
        return None
    if len(values) == 1:
        ((name, value),) = values
        return f":param {name} => {cypher_literal(value)}"
    names = ", ".join(name for name, _ in values)
    given = ", ".join(f"{cypher_literal(value)} AS {name}" for name, value in values)
    return f":param [{{{names}}}] => {{ RETURN {given} }}"


# -- parsing and checking -------------------------------------------------------------------


def mask(text: str) -> tuple[str, list[tuple[int, str]]]:
    """``text`` with comments and the inside of strings and `names` blanked, same length.

    What is left is the code a check can read without being fooled by ``'CREATE'`` in a
    string or ``// SET`` in a comment. Also returns (offset, message) for unterminated ones.
    """
    out = list(text)
    errors: list[tuple[int, str]] = []

    def blank(start: int, end: int) -> None:
        for k in range(start, end):
            if out[k] != "\n":
                out[k] = " "

    i, n = 0, len(text)
    while i < n:
        two = text[i : i + 2]
        char = text[i]
        if two == "//":
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif two == "/*":
            end = text.find("*/", i + 2)
            if end < 0:
                errors.append((i, "unterminated comment /*"))
                end = n
            else:
                end += 2
            blank(i, end)
            i = end
        elif char in "'\"`":
            j = i + 1
            while j < n and text[j] != char:
                j += 2 if char != "`" and text[j] == "\\" else 1
            if j >= n:
                kind = "name" if char == "`" else "string literal"
                errors.append((i, f"unterminated {kind} {char}"))
                blank(i + 1, n)
                break
            blank(i + 1, j)
            i = j + 1
        else:
            i += 1
    return "".join(out), errors


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _parse_param(value: str) -> tuple[str, str, dict[str, str], str]:
    """``NAME TYPE [default=V] [example=V] [-- description]`` -> its parts, or ValueError."""
    head = _PARAM_HEAD_RE.match(value.strip())
    if head is None:
        raise ValueError(
            "a param line is '// param: <name> <type> [default=<value>] [example=<value>] "
            "[-- <description>]'"
        )
    name, type_ = head.groups()
    rest = value.strip()[head.end() :]
    options: dict[str, str] = {}
    description = ""
    while rest := rest.lstrip():
        if rest.startswith("--"):
            description = rest[2:].strip()
            break
        option = _PARAM_OPTION_RE.match(rest)
        if option is None:
            raise ValueError(
                f"parameter '{name}': cannot read {rest.split()[0]!r}: options are "
                "default=<value> and example=<value>, then -- <description>"
            )
        key, quoted, bare = option.groups()
        if key not in ("default", "example"):
            raise ValueError(f"parameter '{name}': unknown option '{key}' (default, example)")
        if key in options:
            raise ValueError(f"parameter '{name}': {key} given twice")
        options[key] = quoted.replace("''", "'") if quoted is not None else bare
        rest = rest[option.end() :]
    return name, type_, options, description


_KEYS_HINT = "(keys: " + ", ".join(HEADER_KEYS) + ")"


@dataclass
class _Header:
    """What the header says, with the line of each field, and where the query starts."""

    where: str
    fields: dict[str, tuple[int, str]]
    params: list[tuple[int, str]]
    body_start: int = 0


def _read_header(text: str, where: str) -> _Header:
    """Read the title line and the ``// key: value`` lines up to the blank line.

    Raises InputError on the first problem that stops the reading, or at the end with the
    problems that did not (unknown or repeated keys, missing ones).
    """
    lines = text.split("\n")
    first = lines[0]
    title = first[2:].strip() if first.startswith("//") else ""
    key_first = _FIELD_RE.fullmatch(first)
    if not title or (key_first is not None and key_first.group(1) in HEADER_KEYS):
        raise InputError([Problem(where, 1, 1, "the first line must be the title: // <Title>")])
    header = _Header(where, {"title": (1, title)}, [])
    problems: list[Problem] = []
    last: str | None = None
    index = 1
    while index < len(lines) and lines[index].startswith("//"):
        last = _header_line(header, lines[index].rstrip(), index + 1, last, problems)
        index += 1
    if index >= len(lines) or lines[index].strip():
        problems.append(
            Problem(where, index + 1, 1, "the header must end with a blank line, then the query")
        )
        raise InputError(problems)
    for key in REQUIRED_KEYS:
        if key not in header.fields:
            problems.append(Problem(where, 1, 1, f"the header has no '{key}:' line"))
        elif not header.fields[key][1]:
            line = header.fields[key][0]
            problems.append(Problem(where, line, 1, f"header key '{key}' is empty"))
    if problems:
        raise InputError(problems)
    header.body_start = sum(len(line) + 1 for line in lines[: index + 1])
    return header


def _header_line(
    header: _Header, line: str, number: int, last: str | None, problems: list[Problem]
) -> str | None:
    """Take one header line into ``header``; return the key a continuation line would extend."""
    more = _CONTINUATION_RE.fullmatch(line)
    field = _FIELD_RE.fullmatch(line)
    if more is not None and last is not None:
        table = header.params if last == "param" else None
        if table is not None:
            at, value = table[-1]
            table[-1] = (at, f"{value} {more.group(1)}")
        else:
            at, value = header.fields[last]
            header.fields[last] = (at, f"{value} {more.group(1)}".strip())
        return last
    if field is None:
        problems.append(
            Problem(header.where, number, 1, f"a header line is '// key: value' {_KEYS_HINT}")
        )
        raise InputError(problems)
    key, value = field.group(1), field.group(2).strip()
    if key not in HEADER_KEYS:
        problems.append(
            Problem(header.where, number, 1, f"unknown header key '{key}' {_KEYS_HINT}")
        )
        return None
    if key == "param":
        header.params.append((number, value))
    elif key in header.fields:
        problems.append(Problem(header.where, number, 1, f"header key '{key}' given twice"))
    else:
        header.fields[key] = (number, value)
    return key


def _params(header: _Header, problems: list[Problem]) -> list[QueryParam]:
    """The declared parameters, each with its header line."""
    params: list[QueryParam] = []
    for line, value in header.params:

        def problem(message: str, line: int = line) -> None:
            problems.append(Problem(header.where, line, 1, message))

        try:
            name, type_, options, description = _parse_param(value)
        except ValueError as exc:
            problem(str(exc))
            continue
        if type_ not in PARAM_TYPES:
            types = ", ".join(PARAM_TYPES)
            problem(f"parameter '{name}': unknown type '{type_}' (types: {types})")
            continue
        if any(p.name == name for p in params):
            problem(f"parameter '{name}' declared twice")
            continue
        parsed: dict[str, Any] = {}
        for key, raw in options.items():
            try:
                parsed[key] = parse_value(type_, raw)
            except ValueProblem as exc:
                problem(f"parameter '{name}': bad {key}: {exc}")
        if not options:
            problem(f"parameter '{name}' needs a default or an example")
        default, example = parsed.get("default"), parsed.get("example")
        params.append(QueryParam(name, type_, default, example, description, line))
    return params


def _check_code(
    text: str, header: _Header, declared: Mapping[str, int], problems: list[Problem]
) -> int:
    """Check the query after the header; return where its statement ends (before any ';')."""
    start = header.body_start

    def problem(offset: int, message: str) -> None:
        line, col = _line_col(text, start + offset)
        problems.append(Problem(header.where, line, col, message))

    masked, unterminated = mask(text)
    for offset, message in unterminated:
        problem(offset - start, message)
    code = masked[start:]
    if not code.strip():
        problem(0, "no query after the header")
    end = len(code.rstrip())
    if code[:end].endswith(";"):
        end -= 1
    extra = code.find(";", 0, end)
    if extra >= 0:
        problem(extra, "more than one statement: a saved query is one statement")
    for match in _WRITE_RE.finditer(code):
        group = 1 if match.group(1) else 2
        if _ALIAS_RE.search(code, max(0, match.start() - 40), match.start()):
            continue  # `... AS remove`: a variable named like a clause
        word = " ".join(match.group(group).upper().split())
        problem(match.start(group), f"write clause {word}: saved queries are read-only")
    for match in _WRITE_PROC_RE.finditer(code):
        problem(
            match.start(1), f"procedure {match.group(1)} may write: saved queries are read-only"
        )
    used: set[str] = set()
    for match in _PARAM_USE_RE.finditer(code):
        name = match.group(1)
        if name == "`":
            name = text[start + match.end() : text.find("`", start + match.end())]
        if name not in declared and name not in used:
            problem(
                match.start(),
                f"parameter ${name} is used but not declared (add '// param: {name} <type> ...')",
            )
        used.add(name)
    for name, line in declared.items():
        if name not in used:
            message = f"parameter '{name}' is declared but not used in the query"
            problems.append(Problem(header.where, line, 1, message))
    return start + end


def parse_query(path: Path, text: str) -> SavedQuery:
    """Parse and check one saved query; raise InputError with every problem found."""
    header = _read_header(text, str(path))
    problems: list[Problem] = []
    name_line, name = header.fields["name"]
    if not _NAME_RE.fullmatch(name):
        message = f"bad query name '{name}': use lower-case letters, digits and '-'"
        problems.append(Problem(header.where, name_line, 1, message))
    params = _params(header, problems)
    end = _check_code(text, header, {p.name: p.line for p in params}, problems)
    view_line, view = header.fields.get("view", (0, "table"))
    if view not in VIEWS:
        message = f"view '{view}' is not one of {', '.join(VIEWS)}"
        problems.append(Problem(header.where, view_line, 1, message))
    elif view == "graph" and not re.search(
        r"\bAS graph\b|\bgraph\s*$|,\s*graph\b", text[header.body_start : end]
    ):
        message = "a query with view: graph returns its nodes and relationships as a column 'graph'"
        problems.append(Problem(header.where, view_line, 1, message))
    if problems:
        raise InputError(problems)
    fields = header.fields
    tags = tuple(tag.strip() for tag in fields.get("tags", (0, ""))[1].split(",") if tag.strip())
    return SavedQuery(
        name=name,
        title=fields["title"][1],
        description=fields["description"][1],
        category=fields["category"][1],
        params=tuple(params),
        tags=tags,
        text=text[header.body_start : end].strip(),
        path=path,
        view=view,
    )


# -- the library ----------------------------------------------------------------------------


def library_dir(directory: Path | None = None) -> Path:
    """The library: ``directory``, else $CASEGRAPH_QUERIES, else cypher/ next to the package."""
    if directory is not None:
        return directory
    env = settings.text(ENV_VAR)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "cypher"


def load_library(directory: Path | None = None) -> dict[str, SavedQuery]:
    """Every ``*.cypher`` file of the library, checked, by name (sorted by category, name).

    Raises InputError with the problems of all files at once, UsageError when the directory
    does not exist.
    """
    root = library_dir(directory)
    if not root.is_dir():
        raise UsageError(f"no query library at {root}: pass --queries DIR or set {ENV_VAR}")
    problems: list[Problem] = []
    found: dict[str, SavedQuery] = {}
    for path in sorted(root.rglob("*.cypher")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(str(path), 1, 1, "not UTF-8 text"))
            continue
        except OSError as exc:
            problems.append(Problem(str(path), 0, 0, f"cannot read: {exc.strerror}"))
            continue
        try:
            query = parse_query(path, text)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if query.name in found:
            line = _line_col(text, text.find("name:"))[0]
            other = found[query.name].path
            problems.append(
                Problem(
                    str(path), line, 1, f"duplicate query name '{query.name}' (also in {other})"
                )
            )
            continue
        found[query.name] = query
    _one_meaning(found, problems)
    if problems:
        raise InputError(problems)
    return dict(sorted(found.items(), key=lambda item: (item[1].category, item[0])))


def _meaning(param: QueryParam) -> str:
    if param.required:
        return f"{param.type}, required"
    return f"{param.type}, default {cypher_literal(param.default)}"


def _one_meaning(found: Mapping[str, SavedQuery], problems: list[Problem]) -> None:
    """A parameter name has one type and one default (or none) across the library: Neo4j
    Browser keeps one value per name, and ``library_preset`` sets each name once."""
    first: dict[str, tuple[QueryParam, SavedQuery]] = {}
    for query in found.values():
        for param in query.params:
            other, where = first.setdefault(param.name, (param, query))
            if _meaning(other) == _meaning(param):
                continue
            problems.append(
                Problem(
                    str(query.path), param.line, 1,
                    f"parameter '{param.name}' is {_meaning(param)} here and "
                    f"{_meaning(other)} in {where.path.name}: a name has one type and one "
                    "default across the library (Browser keeps one value per name)",
                )
            )  # fmt: skip


def library_preset(library: Mapping[str, SavedQuery]) -> str | None:
    """The Browser command that sets every parameter of the library that has a default to
    it (``load_library`` checked that each name has one): after it, a query file pasted into
    Browser as it is runs with its defaults, and one with a required parameter is refused
    by the server with a message naming it. None when no parameter has a default."""
    defaults = {p.name: p.default for q in library.values() for p in q.params if not p.required}
    return _preset(sorted(defaults.items()))


def find(library: Mapping[str, SavedQuery], name: str) -> SavedQuery:
    query = library.get(name)
    if query is None:
        close = difflib.get_close_matches(name, list(library), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UsageError(f"unknown query '{name}' ({hint}see `casegraph query list`)")
    return query
