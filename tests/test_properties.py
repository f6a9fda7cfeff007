"""Property-based tests with hypothesis, on the real Neo4j, for tests/data/ontology.yaml.

(a) Random valid seed sets are written as YAML, loaded, and the graph is exactly the one
    computed here from the generated values (not by casegraph); loading again (--force, so
    that it really writes) creates and changes nothing.
(b) Random corruptions of a valid file are either refused (exit 1, one `path:line:col:
    message` line per problem, database unchanged) or loaded whole: the dataset's graph is
    the one a load of the same text into an empty database gives.
"""

from __future__ import annotations

import json
import re
import string
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from neo4j import Driver

from tests.conftest import Neo4jServer
from tests.dump import canonical_dump
from tests.helpers import TEST_ONTOLOGY, casegraph

pytestmark = pytest.mark.neo4j

SETTINGS = settings(
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
DATASET = "propcase"
COUNTRIES = ["FR", "NO", "DE", "US", "JP", "BE"]
SUBDIVISIONS = ["FR-83", "NO-03", "DE-BY", "US-CA", "JP-13", "BE-VLG"]
STATUSES = ["reported", "alleged", "convicted"]
ID_FIRST = string.ascii_letters + string.digits
ID_REST = ID_FIRST + "._:/-"
PROBLEM_LINE = re.compile(r"^.+:\d+:\d+: .+$")
NO_CONTROLS = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"]

# -- values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int | None = None
    day: int | None = None

    @property
    def text(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def stored(self) -> str:
        """As the canonical dump shows the Neo4j Date: the first day of the period."""
        return f"Date:{self.year:04d}-{self.month or 1:02d}-{self.day or 1:02d}"

    @property
    def precision(self) -> str:
        return "year" if self.month is None else "month" if self.day is None else "day"


@st.composite
def partial_dates(draw: st.DrawFn) -> PartialDate:
    day = draw(st.dates())
    kind = draw(st.sampled_from(["year", "month", "day"]))
    if kind == "year":
        return PartialDate(day.year)
    if kind == "month":
        return PartialDate(day.year, day.month)
    return PartialDate(day.year, day.month, day.day)


ids = st.builds(
    lambda first, rest: first + rest, st.sampled_from(ID_FIRST), st.text(ID_REST, max_size=40)
)
one_line = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters=[*NO_CONTROLS, "\n", "\r"]),
    max_size=30,
)
any_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters=NO_CONTROLS))
urls = st.builds(
    lambda host, path: f"https://{host}.example/{path}",
    st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12),
    st.text(string.ascii_letters + string.digits + "-._~/%?=&#", max_size=20),
)


def yaml_str(text: str) -> str:
    """A YAML double-quoted scalar that reads back as exactly ``text``."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= code <= 0x7E or (
            (0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000)
            and code not in (0x2028, 0x2029, 0xFEFF)  # line breaks and BOM for YAML
        ):
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


# -- a model of a seed set: what goes into the YAML, and what Neo4j should hold ------------


@dataclass
class Value:
    yaml: str  # the YAML text of the value
    stored: dict[str, Any]  # the properties it becomes in the dump


@dataclass
class Record:
    fixed: dict[str, str]  # type/id/from/to, as YAML text
    values: dict[str, Value] = field(default_factory=dict)
    nulls: list[str] = field(default_factory=list)  # optional keys written as null
    stored_only: dict[str, Any] = field(default_factory=dict)  # e.g. a relationship's key

    def yaml(self) -> list[str]:
        pairs = [*self.fixed.items(), *((k, v.yaml) for k, v in self.values.items())]
        pairs += [(k, "~") for k in self.nulls]
        lines = [f"  - {pairs[0][0]}: {pairs[0][1]}"]
        lines += [f"    {key}: {text}" for key, text in pairs[1:]]
        return lines

    def props(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dataset": DATASET, **self.stored_only}
        for value in self.values.values():
            out.update(value.stored)
        return out


@dataclass
class Model:
    nodes: list[tuple[str, str, Record]]  # (label, id, record)
    rels: list[tuple[str, str, str, Record]]  # (type, from, to, record)
    files: list[list[str]]  # YAML lines of each file

    def expected_dump(self) -> dict[str, list[Any]]:
        titles = {node_id: rec.props()["title"] for label, node_id, rec in self.nodes
                  if label == "Source"}  # fmt: skip

        def named(props: dict[str, Any]) -> dict[str, Any]:  # the sources' titles beside
            if "sources" not in props:
                return props
            return {**props, "according_to": [titles[s] for s in props["sources"]]}

        nodes = [
            [[label], named({"id": node_id, **rec.props()})] for label, node_id, rec in self.nodes
        ]
        rels = [
            [rtype, a, b, named(_captioned(rtype, rec.props()))] for rtype, a, b, rec in self.rels
        ]
        return {"nodes": _sorted(nodes), "relationships": _sorted(rels)}


def _sorted(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda row: json.dumps(row, sort_keys=True, ensure_ascii=False))


def scalar(name: str, text: str, stored: Any) -> Value:
    return Value(text, {name: stored})


def date_value(name: str, date: PartialDate) -> Value:
    text = date.text if len(date.text) != 10 else yaml_str(date.text)  # plain or quoted
    return Value(text, {name: date.stored, f"{name}_precision": date.precision})


@st.composite
def optional(draw: st.DrawFn, rec: Record, name: str, make: st.SearchStrategy[Value]) -> None:
    """Maybe set an optional property; an absent one is sometimes written as null."""
    choice = draw(st.sampled_from(["set", "set", "absent", "null"]))
    if choice == "set":
        rec.values[name] = draw(make)
    elif choice == "null":
        rec.nulls.append(name)


def _string(name: str, text: st.SearchStrategy[str] = one_line) -> st.SearchStrategy[Value]:
    return text.map(lambda t: scalar(name, yaml_str(t), t))


def _date(name: str) -> st.SearchStrategy[Value]:
    return partial_dates().map(lambda d: date_value(name, d))


def _sources(name: str, source_ids: list[str], min_size: int) -> st.SearchStrategy[Value]:
    chosen = st.lists(st.sampled_from(source_ids), min_size=min_size, max_size=3, unique=True)
    return chosen.map(lambda ids_: scalar(name, "[" + ", ".join(map(yaml_str, ids_)) + "]", ids_))


def _bool(name: str) -> st.SearchStrategy[Value]:
    spellings = {True: ["true", "True", "TRUE"], False: ["false", "False", "FALSE"]}
    return st.booleans().flatmap(
        lambda b: st.sampled_from(spellings[b]).map(lambda text: scalar(name, text, b))
    )


def _float(name: str) -> st.SearchStrategy[Value]:
    return st.floats(allow_nan=False, allow_infinity=False).map(lambda x: scalar(name, repr(x), x))


def _int(name: str) -> st.SearchStrategy[Value]:
    return st.integers(-(2**63), 2**63 - 1).map(lambda n: scalar(name, str(n), n))


def _aliases() -> st.SearchStrategy[Value]:
    def make(items: list[str]) -> Value:
        stored = {"aliases": items} if items else {}
        return Value("[" + ", ".join(map(yaml_str, items)) + "]", stored)

    return st.lists(one_line, max_size=4).map(make)


STATUS = st.sampled_from(STATUSES).map(lambda s: scalar("status", yaml_str(s), s))
NodeRow = tuple[str, str, Record]
RelRow = tuple[str, str, str, Record]


def _source(draw: st.DrawFn, node_id: str, src_ids: list[str]) -> Record:
    rec = Record({"id": yaml_str(node_id), "type": "Source"})
    rec.values["title"] = draw(_string("title"))
    draw(optional(rec, "published", _date("published")))
    draw(optional(rec, "url", urls.map(lambda u: scalar("url", yaml_str(u), u))))
    draw(optional(rec, "sources", _sources("sources", src_ids, 1)))
    draw(optional(rec, "status", STATUS))
    return rec


def _person(draw: st.DrawFn, node_id: str, src_ids: list[str]) -> Record:
    rec = Record({"id": yaml_str(node_id), "type": "Person"})
    rec.values["name"] = draw(_string("name"))
    draw(optional(rec, "aliases", _aliases()))
    draw(optional(rec, "age", _int("age")))
    draw(optional(rec, "height", _float("height")))
    draw(optional(rec, "verified", _bool("verified")))
    draw(optional(rec, "born", _date("born")))
    country = st.sampled_from(COUNTRIES).map(lambda c: scalar("nationality", c, c))
    draw(optional(rec, "nationality", country))
    region = st.sampled_from(SUBDIVISIONS).map(lambda c: scalar("region", c, c))
    draw(optional(rec, "region", region))
    kind = st.sampled_from(["official", "private"]).map(lambda k: scalar("kind", k, k))
    draw(optional(rec, "kind", kind))
    draw(optional(rec, "bio", _string("bio", any_text)))
    rec.values["sources"] = draw(_sources("sources", src_ids, 1))
    draw(optional(rec, "status", STATUS))
    return rec


def _org(draw: st.DrawFn, node_id: str) -> Record:
    rec = Record({"id": yaml_str(node_id), "type": "Org"})
    rec.values["name"] = draw(_string("name"))
    draw(optional(rec, "homepage", urls.map(lambda u: scalar("homepage", yaml_str(u), u))))
    return rec


def _identity(date: PartialDate | None) -> str:
    return "" if date is None else date.text


def _works_for(
    draw: st.DrawFn, person: str, org: str, start: PartialDate | None, src_ids: list[str]
) -> Record:
    """A WORKS_FOR claim; ``start`` (valid_from) is its identity between the two nodes."""
    rec = Record({"type": "WORKS_FOR", "from": yaml_str(person), "to": yaml_str(org)})
    rec.values["status"] = draw(STATUS)
    rec.values["sources"] = draw(_sources("sources", src_ids, 1))
    draw(optional(rec, "role", _string("role")))
    if start is None:
        if draw(st.booleans()):
            rec.nulls.append("valid_from")
        rec.stored_only["key"] = ""
    else:
        rec.values["valid_from"] = date_value("valid_from", start)
        rec.stored_only["key"] = json.dumps([start.text], separators=(",", ":"))
    draw(optional(rec, "valid_to", _date("valid_to")))
    return rec


def _knows(draw: st.DrawFn, a: str, b: str, src_ids: list[str]) -> Record:
    rec = Record({"type": "KNOWS", "from": yaml_str(a), "to": yaml_str(b)})
    rec.stored_only["key"] = ""  # KNOWS has no identity properties
    draw(optional(rec, "since", _date("since")))
    draw(optional(rec, "status", STATUS))
    draw(optional(rec, "sources", _sources("sources", src_ids, 1)))
    return rec


def _files(
    draw: st.DrawFn, nodes: list[NodeRow], rels: list[RelRow], count: int
) -> list[list[str]]:
    """Spread the records over ``count`` files; only the first must name the dataset, and
    no file is empty (an empty file is an error)."""
    files: list[list[str]] = [[] for _ in range(count)]
    parts = [("nodes", r.yaml()) for *_, r in nodes] + [
        ("relationships", r.yaml()) for *_, r in rels
    ]
    chosen = [(draw(st.integers(0, count - 1)), key, lines) for key, lines in parts]
    for index, lines in enumerate(files):
        if index == 0 or draw(st.booleans()):
            lines.append(f"dataset: {DATASET}")
        for key in ("nodes", "relationships"):
            mine = [rec for i, k, rec in chosen if i == index and k == key]
            if mine:
                lines.append(f"{key}:")
                lines.extend(line for rec in mine for line in rec)
        if not lines:  # an empty file is refused by design: give it the dataset at least
            lines.append(f"dataset: {DATASET}")
    return files


@st.composite
def models(draw: st.DrawFn, max_files: int = 3) -> Model:
    counts = [draw(st.integers(1, 3)), draw(st.integers(0, 4)), draw(st.integers(0, 3))]
    all_ids = draw(st.lists(ids, min_size=sum(counts), max_size=sum(counts), unique=True))
    src_ids = all_ids[: counts[0]]
    person_ids = all_ids[counts[0] : counts[0] + counts[1]]
    org_ids = all_ids[counts[0] + counts[1] :]
    nodes: list[NodeRow] = [("Source", i, _source(draw, i, src_ids)) for i in src_ids]
    nodes += [("Person", i, _person(draw, i, src_ids)) for i in person_ids]
    nodes += [("Org", i, _org(draw, i)) for i in org_ids]
    rels: list[RelRow] = []
    pairs = [(p, o) for p in person_ids for o in org_ids]
    for p, o in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=4)) if pairs else []:
        dates = st.lists(st.one_of(st.none(), partial_dates()), max_size=2, unique_by=_identity)
        for start in draw(dates):
            rels.append(("WORKS_FOR", p, o, _works_for(draw, p, o, start, src_ids)))
    knows = [(a, b) for a in person_ids for b in person_ids]  # a person may know themself
    for a, b in draw(st.lists(st.sampled_from(knows), unique=True, max_size=4)) if knows else []:
        rels.append(("KNOWS", a, b, _knows(draw, a, b, src_ids)))
    return Model(nodes, rels, _files(draw, nodes, rels, draw(st.integers(1, max_files))))


# -- helpers --------------------------------------------------------------------------------


def clear(driver: Driver, database: str) -> None:
    """Remove every node (the schema stays: cheaper than conftest.wipe between examples)."""
    driver.execute_query("MATCH (n) DETACH DELETE n", database_=database)


def load(
    server: Neo4jServer, path: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any] | None]:
    """``casegraph load path --json``; the report when it succeeded."""
    env = server.env()
    env.update(CASEGRAPH_ONTOLOGY=str(TEST_ONTOLOGY), PYTHONIOENCODING="utf-8")
    done = casegraph("load", str(path), "--json", *args, env=env)
    report = json.loads(done.stdout) if done.returncode == 0 else None
    return done, report


def _captioned(rtype: str, props: dict[str, Any]) -> dict[str, Any]:
    """A relationship as Browser's style captions it: its type, then its status if any."""
    status = props.get("status")
    return {**props, "caption": rtype if status is None else f"{rtype} · {status}"}


def without_hash(dump: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The dump with each content_hash checked for its shape and left out (casegraph's own)."""
    out: dict[str, list[Any]] = {}
    for kind, rows in dump.items():
        stripped = []
        for row in rows:
            props = dict(row[-1])
            assert re.fullmatch(r"[0-9a-f]{8,64}", props.pop("content_hash", "")), row
            stripped.append([*row[:-1], props])
        out[kind] = _sorted(stripped)
    return out


def write_files(root: Path, files: list[list[str]]) -> None:
    for index, lines in enumerate(files):
        target = root / f"part{index}" / "seed.yml" if index % 2 else root / f"f{index}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")


def show(model: Model) -> str:
    return "\n---\n".join("\n".join(lines) for lines in model.files)


def load_runs(driver: Driver, database: str) -> int:
    records, _, _ = driver.execute_query(
        "MATCH (l:LoadRun) RETURN count(l) AS c", database_=database
    )
    count: int = records[0]["c"]
    return count


# -- (a) valid seed sets load exactly -------------------------------------------------------


@settings(SETTINGS, max_examples=8)
@given(model=models())
def test_random_valid_seed_loads_exactly(
    neo4j_server: Neo4jServer, driver: Driver, model: Model
) -> None:
    database = neo4j_server.database
    clear(driver, database)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_files(root, model.files)
        done, report = load(neo4j_server, root)
        assert done.returncode == 0, done.stderr + "\n" + show(model)
        assert report is not None
        size = len(model.nodes) + len(model.rels)
        event(f"{len(model.files)} file(s), {min(size, 12) // 4 * 4}+ elements")
        assert report["totals"] == {"created": size, "changed": 0, "unchanged": 0, "deleted": 0}
        dump = canonical_dump(driver, database)
        assert without_hash(dump) == model.expected_dump()
        # again, with --force: an unchanged input is otherwise skipped without writing
        done, report = load(neo4j_server, root, "--force")
        assert done.returncode == 0, done.stderr
        assert report is not None
        assert report["totals"] == {"created": 0, "changed": 0, "unchanged": size, "deleted": 0}
        assert canonical_dump(driver, database) == dump


# -- (b) corrupted files: refused cleanly, or loaded whole ------------------------------------


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def corrupt(kind: str, text: str, data: st.DataObject) -> bytes:
    """One random corruption of ``text``; positions are drawn from ``data``."""
    size = len(text)
    if kind == "delete-line":
        lines = _lines(text)
        del lines[data.draw(st.integers(0, len(lines) - 1), label="line")]
        return "".join(lines).encode()
    if kind == "duplicate-line":
        lines = _lines(text)
        at = data.draw(st.integers(0, len(lines) - 1), label="line")
        return "".join([*lines[: at + 1], lines[at], *lines[at + 1 :]]).encode()
    if kind == "swap-chars":
        i = data.draw(st.integers(0, size - 1), label="i")
        j = data.draw(st.integers(0, size - 1), label="j")
        chars = list(text)
        chars[i], chars[j] = chars[j], chars[i]
        return "".join(chars).encode()
    if kind == "insert-tab":
        at = data.draw(st.integers(0, size), label="at")
        return (text[:at] + "\t" + text[at:]).encode()
    if kind == "truncate":
        return text[: data.draw(st.integers(0, size - 1), label="at")].encode()
    raw = text.encode()  # truncate-bytes: may cut a character in two
    return raw[: data.draw(st.integers(0, len(raw) - 1), label="at")]


CORRUPTIONS = ["delete-line", "duplicate-line", "swap-chars", "insert-tab", "truncate",
               "truncate-bytes"]  # fmt: skip


def _baseline(driver: Driver, database: str, root: Path) -> None:
    """Load the valid file in-process (faster than a subprocess)."""
    from loader.check.validate import read_graph
    from loader.model.ontology import load_ontology
    from loader.plan.build import build_plan
    from loader.write import writer

    ontology = load_ontology(TEST_ONTOLOGY)
    writer.load(driver, database, build_plan(read_graph([root], ontology), ontology))


def _of(dump: dict[str, list[Any]], dataset: str, mine: bool) -> dict[str, list[Any]]:
    return {
        kind: [row for row in rows if (row[-1].get("dataset") == dataset) == mine]
        for kind, rows in dump.items()
    }


@settings(SETTINGS, max_examples=20)
@given(model=models(max_files=1), kind=st.sampled_from(CORRUPTIONS), data=st.data())
def test_corrupted_file_is_refused_or_loaded_whole(
    neo4j_server: Neo4jServer, driver: Driver, model: Model, kind: str, data: st.DataObject
) -> None:
    database = neo4j_server.database
    clear(driver, database)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_files(root, model.files)
        _baseline(driver, database, root)
        before = canonical_dump(driver, database)
        runs = load_runs(driver, database)
        path = root / "f0.yaml"
        path.write_bytes(corrupt(kind, path.read_text(encoding="utf-8"), data))
        done, report = load(neo4j_server, root, "--prune")
        event(f"{kind}: exit {done.returncode}")
        if done.returncode == 1:
            lines = done.stderr.splitlines()
            assert lines, "refused without a word"
            assert lines[-1].startswith("Error: "), done.stderr
            for line in lines[:-1]:
                assert PROBLEM_LINE.match(line), done.stderr
            assert done.stdout == ""
            assert canonical_dump(driver, database) == before
            assert load_runs(driver, database) == runs
            return
        assert done.returncode == 0, done.stderr
        assert report is not None
        dataset = report["dataset"]
        after = canonical_dump(driver, database)
        assert _of(after, dataset, mine=False) == _of(before, dataset, mine=False)
        planned = sum(
            c["created"] + c["changed"] + c["unchanged"] for c in report["nodes"].values()
        )
        assert len(_of(after, dataset, mine=True)["nodes"]) == planned
        clear(driver, database)
        again, _ = load(neo4j_server, root)
        assert again.returncode == 0, again.stderr
        assert canonical_dump(driver, database) == _of(after, dataset, mine=True)
