"""The saved queries of cypher/: the library's checks, and every query run on the coco.gg case.

The library checks (header, parameters, writes, duplicates, --param values) are unit tests
on small libraries in tmp_path: they need no server. Every other test runs on a real Neo4j
into which seed/ was loaded once. Expected rows are typed from the source article (Next,
June 2024, on the takedown of coco.gg) and the seed YAML, not copied from the queries'
output: who conducted the investigation and under whose authority, the five cooperating
states, coco.fr then coco.gg from 2022, the penalties of 10 years and 500 000 euros, the
shutdown per the X post (customs and Gendarmerie) against the press release (UNCyber and
ONAF), and so on.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from neo4j import Driver, RoutingControl
from neo4j.exceptions import Neo4jError

from loader.browser.files import favorites_zip
from loader.cypher import literal as cypher_literal
from loader.errors import InputError, Problem, QueryError, ServerError, UsageError
from loader.queries.library import (
    SavedQuery,
    find,
    library_preset,
    load_library,
    mask,
    param_preset,
    parse_query,
)
from loader.queries.run import bind_params, cell, run_query, split_param_args, to_json
from loader.server import localserver
from loader.server.java import check_java
from tests.conftest import Neo4jServer
from tests.helpers import casegraph, load_seed

pytestmark = pytest.mark.neo4j  # the library-check tests at the top need no server

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
LIBRARY = load_library(ROOT / "cypher")

X_POST = "source/parquet-x-post"
PRESS_RELEASE = "source/parquet-press-release"
LE_PARISIEN = "source/le-parisien"
PORTRAIT = "source/le-parisien-portrait"
AFP = "source/afp"
NEXT = "source/next-article"

JUNALCO_NAME = "Juridiction nationale chargée de la lutte contre la criminalité organisée"
COMCYBER_NAME = "Commandement du ministère de l'Intérieur dans le cyberespace"
DGDDI_NAME = "Direction générale des douanes et droits indirects"
OPERATOR_NAME = "Société française exploitant coco (non nommée)"
WIFE_NAME = "Épouse d'Isaac Steidl (non nommée)"
INVESTIGATION_NAME = "Enquête sur la plateforme coco"


# -- the library's checks (no server) -------------------------------------------------------

GOOD = """// A test query
// name: {name}
// description: Finds the node with an id.
// category: Test
// param: id string default='x/y' -- the id
// tags: test, one

MATCH (n {{id: $id}}) RETURN n.name AS name;
"""


def _write(directory: Path, filename: str, text: str) -> Path:
    path = directory / filename
    path.write_text(text, encoding="utf-8")
    return path


def _problems(directory: Path) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_library(directory)
    return caught.value.problems


def explain_query(driver: Driver, database: str, query: SavedQuery) -> str:
    """EXPLAIN the query on the server (nothing is read); return its type: 'r' for read."""
    records = driver.execute_query(
        "EXPLAIN " + query.text, database_=database, routing_=RoutingControl.READ
    )
    return str(records.summary.query_type or "")


def test_a_good_file_is_parsed(tmp_path: Path) -> None:
    path = _write(tmp_path, "good.cypher", GOOD.format(name="good"))
    library = load_library(tmp_path)
    assert list(library) == ["good"]
    query = library["good"]
    assert query.title == "A test query"
    assert query.description == "Finds the node with an id."
    assert query.category == "Test"
    assert query.tags == ("test", "one")
    assert query.path == path
    assert query.text == "MATCH (n {id: $id}) RETURN n.name AS name"  # no header, no ';'
    [param] = query.params
    assert (param.name, param.type, param.default, param.description) == (
        "id",
        "string",
        "x/y",
        "the id",
    )
    assert not param.required


def test_continuation_lines_extend_description_and_param(tmp_path: Path) -> None:
    text = (
        "// T\n// name: t\n// description: first part,\n//   second part.\n// category: C\n"
        "// param: d date example=2023-12 -- the\n//   date\n\nRETURN $d AS d\n"
    )
    query = parse_query(tmp_path / "t.cypher", text)
    assert query.description == "first part, second part."
    [param] = query.params
    assert param.example == dt.date(2023, 12, 1)
    assert param.required
    assert param.description == "the date"


def test_file_without_header(tmp_path: Path) -> None:
    path = _write(tmp_path, "bare.cypher", "MATCH (n) RETURN n\n")
    assert _problems(tmp_path) == [
        Problem(str(path), 1, 1, "the first line must be the title: // <Title>")
    ]


def test_title_line_missing_before_the_fields(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.cypher", GOOD.format(name="t").split("\n", 1)[1])
    assert _problems(tmp_path) == [
        Problem(str(path), 1, 1, "the first line must be the title: // <Title>")
    ]


def test_header_without_blank_line_and_missing_keys(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.cypher", "// Title\n// name: t\nMATCH (n) RETURN n\n")
    assert _problems(tmp_path) == [
        Problem(str(path), 3, 1, "the header must end with a blank line, then the query")
    ]
    _write(tmp_path, "t.cypher", "// Title\n// name: t\n// colour: red\n\nRETURN 1\n")
    assert _problems(tmp_path) == [
        Problem(str(path), 1, 1, "the header has no 'category:' line"),
        Problem(str(path), 1, 1, "the header has no 'description:' line"),
        Problem(
            str(path),
            3,
            1,
            "unknown header key 'colour' (keys: name, description, category, param, tags, view)",
        ),
    ]


def test_undeclared_parameter(tmp_path: Path) -> None:
    text = GOOD.format(name="t").replace("RETURN n.name", "WHERE n.x = $other RETURN n.name")
    path = _write(tmp_path, "t.cypher", text)
    assert _problems(tmp_path) == [
        Problem(
            str(path),
            8,
            33,
            "parameter $other is used but not declared (add '// param: other <type> ...')",
        )
    ]


def test_declared_parameter_not_used(tmp_path: Path) -> None:
    text = GOOD.format(name="t").replace(
        "// tags:", "// param: depth int default=2 -- unused\n// tags:"
    )
    path = _write(tmp_path, "t.cypher", text)
    assert _problems(tmp_path) == [
        Problem(str(path), 6, 1, "parameter 'depth' is declared but not used in the query")
    ]


def test_parameter_in_a_comment_or_string_is_not_a_use(tmp_path: Path) -> None:
    text = GOOD.format(name="t").replace(
        "RETURN n.name AS name;", "// $id\nRETURN '$id' AS text, n.name AS name;"
    )
    text = text.replace("{id: $id}", "{id: 'x'}")
    path = _write(tmp_path, "t.cypher", text)
    assert _problems(tmp_path) == [
        Problem(str(path), 5, 1, "parameter 'id' is declared but not used in the query")
    ]


def test_write_clause_is_rejected_at_library_load(tmp_path: Path) -> None:
    text = GOOD.format(name="t").replace("RETURN n.name", "CREATE (m:Copy) RETURN n.name")
    path = _write(tmp_path, "t.cypher", text)
    assert _problems(tmp_path) == [
        Problem(str(path), 8, 21, "write clause CREATE: saved queries are read-only")
    ]


@pytest.mark.parametrize(
    ("body", "word"),
    [
        pytest.param("MATCH (n) merge (m {id: 1}) RETURN n", "MERGE", id="merge-lower-case"),
        pytest.param("MATCH (n) SET n.x = 1 RETURN n", "SET", id="set"),
        pytest.param("MATCH (n) DETACH\n  DELETE n", "DETACH", id="detach-delete"),
        pytest.param("MATCH (n) REMOVE n:Agency RETURN n", "REMOVE", id="remove"),
        pytest.param("LOAD  CSV FROM 'file:///x' AS r RETURN r", "LOAD CSV", id="load-csv"),
        pytest.param(
            "MATCH (n) CALL (n) { RETURN n AS m } IN TRANSACTIONS RETURN m",
            "IN TRANSACTIONS",
            id="in-transactions",
        ),
        pytest.param("MATCH (n) FOREACH (x IN [1] | SET n.y = x)", "FOREACH", id="foreach"),
        pytest.param("DROP INDEX idx", "DROP", id="drop"),
    ],
)
def test_every_kind_of_write_is_rejected(tmp_path: Path, body: str, word: str) -> None:
    path = _write(tmp_path, "w.cypher", "// W\n// name: w\n// description: d\n// category: c\n\n")
    path.write_text(path.read_text() + body + "\n", encoding="utf-8")
    messages = [problem.message for problem in _problems(tmp_path)]
    assert f"write clause {word}: saved queries are read-only" in messages


def test_write_procedure_is_rejected(tmp_path: Path) -> None:
    text = "// W\n// name: w\n// description: d\n// category: c\n\n"
    path = _write(tmp_path, "w.cypher", text + "CALL apoc.create.node(['X'], {}) YIELD node\n")
    assert _problems(tmp_path) == [
        Problem(
            str(path), 6, 6, "procedure apoc.create.node may write: saved queries are read-only"
        )
    ]


def test_write_words_in_strings_comments_names_and_properties_are_not_writes(
    tmp_path: Path,
) -> None:
    text = (
        "// W\n// name: w\n// description: d\n// category: c\n\n"
        "// CREATE (x) in a comment\n"
        "MATCH (n:`SET`)-[:CREATED]->(m) /* MERGE */\n"
        'WHERE n.set = \'DELETE ME\' AND m.`create` = "REMOVE \\" SET"\n'
        "RETURN n {.delete, merge: 1} AS n, m.remove AS remove\n"
    )
    _write(tmp_path, "w.cypher", text)
    assert list(load_library(tmp_path)) == ["w"]


def test_mask_keeps_positions() -> None:
    text = "RETURN 'a // b' AS x // c\n/* d\n */ RETURN `e f`"
    masked, errors = mask(text)
    assert len(masked) == len(text)
    assert masked.count("\n") == text.count("\n")
    assert "//" not in masked
    assert "e f" not in masked
    assert "d" not in masked.split("\n")[1]
    assert errors == []
    assert mask("RETURN 'open")[1] == [(7, "unterminated string literal '")]


def test_two_statements_are_rejected(tmp_path: Path) -> None:
    text = GOOD.format(name="t").replace("AS name;", "AS name; RETURN 2;")
    path = _write(tmp_path, "t.cypher", text)
    assert _problems(tmp_path) == [
        Problem(str(path), 8, 42, "more than one statement: a saved query is one statement")
    ]


def test_duplicate_name(tmp_path: Path) -> None:
    first = _write(tmp_path, "a.cypher", GOOD.format(name="same"))
    second = _write(tmp_path, "b.cypher", GOOD.format(name="same"))
    assert _problems(tmp_path) == [
        Problem(str(second), 2, 1, f"duplicate query name 'same' (also in {first})")
    ]


def test_bad_header_parameters(tmp_path: Path) -> None:
    text = GOOD.format(name="t").replace(
        "// tags:",
        "// param: depth int default=two -- bad default\n"
        "// param: when datetime default=2024\n"
        "// param: bare string\n"
        "// param: id string default='again'\n"
        "// param: 9lives int default=1\n"
        "// tags:",
    )
    text = text.replace("RETURN n.name", "RETURN $depth, $when, $bare, n.name")
    path = _write(tmp_path, "t.cypher", text)
    where = str(path)
    assert _problems(tmp_path) == [
        Problem(where, 6, 1, "parameter 'depth': bad default: 'two' is not an integer"),
        Problem(
            where,
            7,
            1,
            "parameter 'when': unknown type 'datetime' "
            "(types: string, int, float, bool, date, list<string>)",
        ),
        Problem(where, 8, 1, "parameter 'bare' needs a default or an example"),
        Problem(where, 9, 1, "parameter 'id' declared twice"),
        Problem(
            where,
            10,
            1,
            "a param line is '// param: <name> <type> [default=<value>] [example=<value>] "
            "[-- <description>]'",
        ),
        Problem(
            where,
            13,
            36,
            "parameter $when is used but not declared (add '// param: when <type> ...')",
        ),
    ]


def test_bad_query_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.cypher", GOOD.format(name="Bad_Name"))
    assert _problems(tmp_path) == [
        Problem(
            str(path), 2, 1, "bad query name 'Bad_Name': use lower-case letters, digits and '-'"
        )
    ]


def test_library_location_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path, "t.cypher", GOOD.format(name="from-env"))
    monkeypatch.setenv("CASEGRAPH_QUERIES", str(tmp_path))
    assert list(load_library()) == ["from-env"]
    monkeypatch.setenv("CASEGRAPH_QUERIES", str(tmp_path / "missing"))
    with pytest.raises(UsageError) as caught:
        load_library()
    assert str(caught.value) == (
        f"no query library at {tmp_path / 'missing'}: pass --queries DIR or set CASEGRAPH_QUERIES"
    )


def _usage(call: Callable[[], Any]) -> str:
    with pytest.raises(UsageError) as caught:
        call()
    assert caught.value.exit_code == 2
    return str(caught.value)


def test_param_values_are_typed_from_the_header() -> None:
    ego = LIBRARY["ego-network"]
    assert bind_params(ego, {"entity": "platform/coco"}) == {
        "entity": "platform/coco",
        "depth": 1,
        "exclude": ["Source", "LoadRun"],
        "case": "",
    }
    given = split_param_args(["entity=x", "depth=2", "exclude=Source, LoadRun,Offence", "case=a"])
    assert bind_params(ego, given) == {
        "entity": "x",
        "depth": 2,
        "exclude": ["Source", "LoadRun", "Offence"],
        "case": "a",
    }
    as_of = LIBRARY["as-of"]
    assert bind_params(as_of, {"asOf": "2023"}) == {"asOf": dt.date(2023, 1, 1), "case": ""}
    assert bind_params(as_of, {"asOf": "2024-06-30"}) == {"asOf": dt.date(2024, 6, 30), "case": ""}
    assert bind_params(LIBRARY["timeline"], {"undated": "false"}) == {
        "about": "",
        "undated": False,
        "case": "",
    }


def test_bad_param_values() -> None:
    ego, as_of = LIBRARY["ego-network"], LIBRARY["as-of"]
    assert _usage(lambda: bind_params(ego, {"entity": "x", "depth": "two"})) == (
        "parameter 'depth' of query 'ego-network' (int): 'two' is not an integer"
    )
    assert _usage(lambda: bind_params(as_of, {"asOf": "2023-02-30"})) == (
        "parameter 'asOf' of query 'as-of' (date): 2023-02-30 is not a real date"
    )
    assert _usage(lambda: bind_params(as_of, {"asOf": "June 2024"})) == (
        "parameter 'asOf' of query 'as-of' (date): 'June 2024' is not a date "
        "(use YYYY, YYYY-MM or YYYY-MM-DD)"
    )
    assert _usage(lambda: bind_params(LIBRARY["timeline"], {"undated": "yes"})) == (
        "parameter 'undated' of query 'timeline' (bool): 'yes' is not a boolean (use true or false)"
    )
    assert _usage(lambda: bind_params(as_of, {})) == (
        "query 'as-of' needs parameter 'asOf' (date): --param asOf=VALUE (e.g. asOf=2024-06-30)"
    )
    assert _usage(lambda: bind_params(ego, {"hops": "2"})) == (
        "query 'ego-network' has no parameter 'hops' (its parameters: entity, depth, exclude, case)"
    )
    assert _usage(lambda: bind_params(ego, {})) == (
        "query 'ego-network' needs parameter 'entity' (string): --param entity=VALUE "
        "(e.g. entity=agency/eurojust)"
    )
    assert _usage(lambda: split_param_args(["depth"])) == "--param 'depth': expected NAME=VALUE"
    assert _usage(lambda: split_param_args(["a=1", "a=2"])) == "--param a given twice"
    assert _usage(lambda: find(LIBRARY, "ego-netwrk")) == (
        "unknown query 'ego-netwrk' (did you mean 'ego-network'? see `casegraph query list`)"
    )


def test_browser_param_preset() -> None:
    assert cypher_literal("it's a\\b\nc") == "'it\\'s a\\\\b\\nc'"
    assert cypher_literal([1, 2.5, True]) == "[1, 2.5, true]"
    assert param_preset(LIBRARY["as-of"]) == (
        ":param [{asOf, case}] => { RETURN date('2024-06-30') AS asOf, '' AS case }"
    )
    assert param_preset(LIBRARY["ego-network"]) == (
        ":param [{entity, depth, exclude, case}] => "
        "{ RETURN 'agency/eurojust' AS entity, 1 AS depth, ['Source', 'LoadRun'] AS exclude, "
        "'' AS case }"
    )


def test_a_parameter_name_means_one_thing_across_the_library(tmp_path: Path) -> None:
    _write(tmp_path, "a.cypher", GOOD.format(name="a"))
    b = _write(tmp_path, "b.cypher", GOOD.format(name="b").replace("default='x/y'", "default='z'"))
    c = _write(
        tmp_path, "c.cypher", GOOD.format(name="c").replace("default='x/y'", "example='x/y'")
    )
    _write(tmp_path, "d.cypher", GOOD.format(name="d"))  # the same meaning as a's: fine
    rule = (
        "a name has one type and one default across the library (Browser keeps one value per name)"
    )
    assert _problems(tmp_path) == [
        Problem(str(b), 5, 1, f"parameter 'id' is string, default 'z' here and string, default "
                f"'x/y' in a.cypher: {rule}"),
        Problem(str(c), 5, 1, f"parameter 'id' is string, required here and string, default "
                f"'x/y' in a.cypher: {rule}"),
    ]  # fmt: skip


def test_a_view_is_table_or_graph_and_a_graph_query_returns_one(tmp_path: Path) -> None:
    pie = _write(
        tmp_path, "a.cypher", GOOD.format(name="a").replace("// tags:", "// view: pie\n// tags:")
    )
    bare = _write(
        tmp_path, "b.cypher", GOOD.format(name="b").replace("// tags:", "// view: graph\n// tags:")
    )
    fine = GOOD.format(name="c").replace("// tags:", "// view: graph\n// tags:")
    _write(tmp_path, "c.cypher", fine.replace("AS name;", "AS name, n AS graph;"))
    assert _problems(tmp_path) == [
        Problem(str(pie), 6, 1, "view 'pie' is not one of table, graph"),
        Problem(str(bare), 6, 1, "a query with view: graph returns its nodes and relationships "
                "as a column 'graph'"),
    ]  # fmt: skip


def test_graph_values_print_as_ids_and_arrows() -> None:
    node = {"labels": ["Person"], "properties": {"id": "person/a", "name": "A"}}
    other = {"labels": ["Platform"], "properties": {"id": "platform/b"}}
    rel = {"type": "CREATED", "start": "person/a", "end": "platform/b", "properties": {}}
    back = {"type": "SHUT_DOWN_BY", "start": "platform/b", "end": "agency/c", "properties": {}}
    third = {"labels": ["Agency"], "properties": {"id": "agency/c"}}
    path = {"nodes": [third, other, node], "relationships": [back, rel]}
    assert cell(node) == "person/a"
    assert cell(rel) == "person/a -[CREATED]-> platform/b"
    assert cell(path) == "agency/c <-[SHUT_DOWN_BY]- platform/b <-[CREATED]- person/a"
    assert cell([node, rel]) == "person/a, person/a -[CREATED]-> platform/b"
    assert cell({"a": 1}) == '{"a": 1}'


def test_the_library_preset_sets_every_default_once() -> None:
    preset = library_preset(LIBRARY)
    assert preset is not None
    defaults = {p.name: p for q in LIBRARY.values() for p in q.params if not p.required}
    required = {p.name for q in LIBRARY.values() for p in q.params if p.required}
    # typed from the headers: a page of 25 names, one hop, the bookkeeping labels left out
    for part in ("25 AS limit", "1 AS depth", "['Source', 'LoadRun'] AS exclude", "'' AS case"):
        assert part in preset
    for name in defaults:
        assert preset.count(f" AS {name} ") + preset.count(f" AS {name},") == 1, name
    for name in required - set(defaults):  # ids and dates the user must give
        assert f" AS {name}" not in preset
    assert {"entity", "asOf", "text", "from_id", "to_id"} <= required


def test_every_query_has_a_test_here() -> None:
    assert len(LIBRARY) >= 12
    assert set(LIBRARY) == TESTED


def test_every_query_is_documented() -> None:
    docs = (ROOT / "docs" / "queries.md").read_text(encoding="utf-8")
    for query in LIBRARY.values():
        assert f"| `{query.name}` | {query.title} |" in docs
        assert f"- **`{query.name}`**" in docs
        assert query.path.name == f"{query.name}.cypher"


def test_queries_are_generic_over_cases() -> None:
    """No case-specific literal in the query text: ids only as parameter defaults."""
    for query in LIBRARY.values():
        for word in ("coco", "steidl", "parquet", "junalco", "source/", "agency/", "'FR'"):
            assert word.lower() not in query.text.lower(), f"{query.name} mentions {word!r}"


# -- on the loaded coco.gg case -------------------------------------------------------------

TESTED = {
    "investigation-command",
    "cooperating-states",
    "international-cooperation",
    "suspected-offences",
    "platform-footprint",
    "platform-people",
    "figures",
    "people-status",
    "timeline",
    "as-of",
    "claim-sources",
    "single-source-claims",
    "differing-claims",
    "conflicts",
    "accounts-by-source",
    "source-claims",
    "sources-overview",
    "ego-network",
    "shortest-connection",
    "name-search",
    "shared-entities",
    "case-connections",
}


def _cli(server: Neo4jServer | None, *args: str) -> subprocess.CompletedProcess[str]:
    return casegraph(*args, env=server.env() if server else None)


@pytest.fixture(scope="module")
def case(neo4j_server: Neo4jServer, driver: Driver) -> Neo4jServer:
    """An empty database into which seed/ was loaded once, successfully."""
    return load_seed(neo4j_server, driver)


Run = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def run(case: Neo4jServer, driver: Driver) -> Run:
    """Run a saved query by name with --param-style text values; return its rows. The
    tests of the coco facts ask for the coco case (``case='coco-gg'``) unless they say
    otherwise: the seed holds Archetyp too."""

    def go(name: str, **given: str) -> list[dict[str, Any]]:
        query = LIBRARY[name]
        if any(p.name == "case" for p in query.params):
            given.setdefault("case", "coco-gg")
        return run_query(driver, case.database, query, bind_params(query, given)).rows

    return go


def _seed_relationships(case: str = "coco-gg") -> list[dict[str, Any]]:
    rels: list[dict[str, Any]] = []
    for path in sorted((SEED / case).rglob("*.yaml")):
        rels.extend(yaml.safe_load(path.read_text(encoding="utf-8")).get("relationships") or [])
    return rels


def _seed_nodes(case: str = "coco-gg") -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    for path in sorted((SEED / case).rglob("*.yaml")):
        nodes.extend(yaml.safe_load(path.read_text(encoding="utf-8")).get("nodes") or [])
    return nodes


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_every_query_passes_explain_as_a_read_query(
    case: Neo4jServer, driver: Driver, name: str
) -> None:
    assert explain_query(driver, case.database, LIBRARY[name]) == "r"


def test_every_file_runs_as_is_in_cypher_shell(
    case: Neo4jServer, tmp_path: Path, driver: Driver
) -> None:
    """The files themselves, header comments and all, after cypher-shell's own :param."""
    try:
        java = check_java()
        command = localserver.cypher_shell_command(java)
    except ServerError as exc:
        pytest.skip(f"no cypher-shell: {exc}")
    parts = []
    for query in LIBRARY.values():
        parts += [f":param {p.name} => {cypher_literal(p.sample())}" for p in query.params]
        parts.append(query.path.read_text(encoding="utf-8"))
    script = tmp_path / "all.cypher"
    script.write_text("\n".join(parts), encoding="utf-8")
    done = subprocess.run(
        [
            *command,
            *("-a", case.uri, "-u", case.username, "-d", case.database),
            *("--format", "plain", "-f", str(script)),
        ],
        capture_output=True,
        text=True,
        env=dict(os.environ, NEO4J_PASSWORD=case.password),
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Unité nationale cyber" in done.stdout


def _preset_values(driver: Driver, database: str) -> dict[str, Any]:
    """The library preset's values as Browser gets them: the server evaluates its RETURN."""
    preset = library_preset(LIBRARY)
    assert preset is not None
    assert preset.startswith(":param [{")
    records, _, _ = driver.execute_query(
        preset.split("=>", 1)[1].strip()[1:-1], database_=database, routing_=RoutingControl.READ
    )
    return dict(records[0])


def _as_written(driver: Driver, database: str, text: str, params: dict[str, Any]) -> Any:
    """Run a query file's text as it is (header comments and final ';' included); the
    records, or the server's message when it refuses the statement."""
    try:
        records, _, _ = driver.execute_query(
            text, params, database_=database, routing_=RoutingControl.READ
        )
    except Neo4jError as exc:
        return exc.message
    return [to_json(dict(record)) for record in records]  # nodes compare by value


def _check_as_written(name: str, result: Any, given: set[str]) -> None:
    query = LIBRARY[name]
    missing = sorted(p.name for p in query.params if p.name not in given)
    if not missing:
        assert isinstance(result, list), f"{name}: {result}"
        return
    # one line that names what to set, and only that (in the order the query uses them)
    assert isinstance(result, str), f"{name}: {result}"
    head, _, names = result.partition(": ")
    assert head == "Expected parameter(s)", f"{name}: {result}"
    assert "\n" not in names
    assert sorted(names.split(", ")) == missing, f"{name}: {result}"


def test_every_file_runs_as_written(case: Neo4jServer, driver: Driver) -> None:
    """Each file of cypher/, as it is: with no parameter the server names every one to set;
    after the library preset (what connecting to the local server's Browser runs) each runs,
    or names its required parameters; an integer given as a float (Browser's ``:params``
    sends 25 as 25.0) gives the same rows."""
    preset = _preset_values(driver, case.database)
    assert preset["limit"] == 25
    assert preset["exclude"] == ["Source", "LoadRun"]
    answered = 0
    for name, query in LIBRARY.items():
        text = query.path.read_text(encoding="utf-8")
        _check_as_written(name, _as_written(driver, case.database, text, {}), set())
        result = _as_written(driver, case.database, text, preset)
        _check_as_written(name, result, set(preset))
        if isinstance(result, list):
            answered += 1
            floats = {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
                      for k, v in preset.items()}  # fmt: skip
            assert _as_written(driver, case.database, text, floats) == result, name
    required = {q.name for q in LIBRARY.values() if any(p.required for p in q.params)}
    assert answered == len(LIBRARY) - len(required)
    assert answered >= 15


def test_every_favorite_runs_as_written(case: Neo4jServer, driver: Driver) -> None:
    """The favorites of the zip, as Browser gets them, behave as the files do."""
    preset = _preset_values(driver, case.database)
    by_title = {q.title: q.name for q in LIBRARY.values()}
    with zipfile.ZipFile(io.BytesIO(favorites_zip(LIBRARY))) as archive:
        names = archive.namelist()
        assert len(names) == len(LIBRARY)
        for member in names:
            text = archive.read(member).decode("utf-8")
            name = by_title[text.split("\n", 1)[0].removeprefix("// ")]
            _check_as_written(name, _as_written(driver, case.database, text, {}), set())
            result = _as_written(driver, case.database, text, preset)
            _check_as_written(name, result, set(preset))


def _probe(text: str) -> SavedQuery:
    """A query that skipped the library's checks, to test what the server enforces."""
    return SavedQuery("probe", "Probe", "d", "Test", (), (), text, Path("probe.cypher"))


def test_a_write_sent_through_the_runner_fails_on_the_server(
    case: Neo4jServer, driver: Driver
) -> None:
    with pytest.raises(QueryError) as caught:
        run_query(driver, case.database, _probe("CREATE (n:ShouldNotExist) RETURN n"), {})
    assert str(caught.value).startswith(
        "query 'probe' tried to write and was refused: saved queries run in read-only "
        "transactions (Writing in read access mode not allowed."
    )
    records, _, _ = driver.execute_query(
        "MATCH (n:ShouldNotExist) RETURN count(n) AS n", database_=case.database
    )
    assert records[0]["n"] == 0


def test_transactions_carry_metadata_naming_the_query(case: Neo4jServer, driver: Driver) -> None:
    rows = run_query(
        driver, case.database, _probe("CALL tx.getMetaData() YIELD metadata RETURN metadata"), {}
    ).rows
    assert rows == [{"metadata": {"app": "casegraph", "query": "probe"}}]


def test_a_query_past_its_timeout_is_stopped(case: Neo4jServer, driver: Driver) -> None:
    slow = _probe("UNWIND range(1, 1000000000) AS x WITH x WHERE x % 7 = 0 RETURN count(x) AS n")
    with pytest.raises(QueryError) as caught:
        run_query(driver, case.database, slow, {}, timeout=0.5)
    assert str(caught.value).startswith("query 'probe' timed out: ")


def test_neo4j_values_become_json(case: Neo4jServer, driver: Driver) -> None:
    probe = _probe(
        "MATCH p = (i:Investigation {id: 'investigation/coco'})-[r:CONDUCTED_BY]->"
        "(a:Agency {id: 'agency/onaf'}) "
        "RETURN i, r, p, i.opened_on AS opened, duration('P1M') AS span"
    )
    [row] = run_query(driver, case.database, probe, {}).rows
    json.dumps(row)  # all of it is JSON
    assert row["i"]["labels"] == ["Investigation"]
    assert row["i"]["properties"]["id"] == "investigation/coco"
    assert row["i"]["properties"]["opened_on"] == "2023-12-01"  # "ouverte en décembre"
    assert row["i"]["properties"]["opened_on_precision"] == "month"
    assert row["r"]["type"] == "CONDUCTED_BY"
    assert (row["r"]["start"], row["r"]["end"]) == ("investigation/coco", "agency/onaf")
    assert row["r"]["properties"]["sources"] == [PRESS_RELEASE]
    assert [n["properties"]["id"] for n in row["p"]["nodes"]] == [
        "investigation/coco",
        "agency/onaf",
    ]
    assert [r["type"] for r in row["p"]["relationships"]] == ["CONDUCTED_BY"]
    assert row["opened"] == "2023-12-01"
    assert row["span"] == "P1M"


# -- Investigation --------------------------------------------------------------------------


def test_investigation_command(run: Run) -> None:
    rows = run("investigation-command")
    # the X post: "sous l'autorité de la JUNALCO (...) du Parquet de Paris"; the press
    # release: conducted by UNCyber "de la Gendarmerie" and ONAF, with the support of
    # COMCYBER-MI; operations coordinated with Eurojust
    assert [(r["role"], r["acronym"] or r["agency"], r["part_of"]) for r in rows] == [
        ("under the authority of", "JUNALCO", ["Parquet de Paris"]),
        ("conducted by", "ONAF", []),
        ("conducted by", "UNCyber", ["Gendarmerie nationale"]),
        ("supported by", "COMCYBER-MI", ["Ministère de l'Intérieur"]),
        ("coordinated with", "Eurojust", []),
    ]
    assert rows[0]["agency"] == JUNALCO_NAME
    assert rows[0]["sources"] == [X_POST]
    assert rows[0]["part_of_sources"] == [X_POST]
    assert rows[2]["agency"] == "Unité nationale cyber"
    for row in rows[1:]:
        assert row["sources"] == [PRESS_RELEASE]
    assert {row["status"] for row in rows} == {"official"}
    assert {row["investigation"] for row in rows} == {INVESTIGATION_NAME}


def test_cooperating_states(run: Run) -> None:
    rows = run("cooperating-states", investigation="investigation/coco")
    # "cinq pays européens : la Bulgarie, l'Allemagne, la Lituanie, les Pays-Bas et la Hongrie"
    assert [row["iso_code"] for row in rows] == ["BG", "DE", "HU", "LT", "NL"]
    # the states are ISO 3166 reference nodes: English names, the article's French ones
    # among their aliases
    assert [row["state"] for row in rows] == [
        "Bulgaria", "Germany", "Hungary", "Lithuania", "Netherlands"
    ]  # fmt: skip
    french = ["Bulgarie", "Allemagne", "Hongrie", "Lituanie", "Pays-Bas"]
    for row, name in zip(rows, french, strict=True):
        assert name in row["also_known_as"]
    for row in rows:
        assert (row["kind"], row["status"], row["sources"]) == ("state", "reported", [LE_PARISIEN])


def test_international_cooperation(run: Run) -> None:
    rows = run("international-cooperation", investigation="investigation/coco")
    states = [row for row in rows if row["type"] == "Jurisdiction"]
    # "cinq pays européens : la Bulgarie, l'Allemagne, la Lituanie, les Pays-Bas et la Hongrie"
    assert sorted(row["country"] for row in states) == ["BG", "DE", "HU", "LT", "NL"]
    for row in states:
        assert (row["relation"], row["kind"], row["status"]) == ("cooperated", "state", "reported")
        assert row["sources"] == [LE_PARISIEN]
    by_code = {row["country"]: row for row in states}
    assert by_code["DE"]["partner"] == "Germany"
    assert "Allemagne" in by_code["DE"]["also_known_as"]
    assert "serveurs" in by_code["DE"]["context"]
    assert "relocalisée" in by_code["BG"]["context"]
    others = [row for row in rows if row["type"] != "Jurisdiction"]
    assert [(r["partner"], r["relation"], r["kind"]) for r in others] == [
        ("Eurojust", "coordinated with", "eu_agency")
    ]


def test_suspected_offences_with_penalties(run: Run) -> None:
    rows = run("suspected-offences")
    opened_for = [row for row in rows if row["subject_type"] == "Investigation"]
    facilitated = [row for row in rows if row["subject_type"] == "Platform"]
    assert len(rows) == len(opened_for) + len(facilitated)
    # opened "pour des soupçons de" six offences; two "passible de 10 ans d'emprisonnement
    # et 500 000 euros d'amende" ("idem" for the second)
    assert len(opened_for) == 6
    assert [r["offence"].split(" ")[0] for r in opened_for[:2]] == ["Fourniture", "Intermédiation"]
    for row in opened_for[:2]:
        assert (row["max_prison_years"], row["max_fine_eur"]) == (10, 500000)
    for row in opened_for[2:]:
        assert (row["max_prison_years"], row["max_fine_eur"]) == (None, None)
    assert {r["offence_en"] for r in opened_for[2:]} == {
        "Offences relating to child sexual abuse",
        "Aggravated pimping",
        "Aggravated money laundering",
        "Criminal conspiracy to commit these offences",
    }
    for row in opened_for:
        assert (row["claim"], row["status"], row["sources"]) == (
            "opened on suspicion of",
            "suspected",
            [NEXT],
        )
    # the press release: "facilitateur de commission de diverses infractions, notamment ..."
    assert {r["offence"] for r in facilitated} == {
        "Actes de pédocriminalité",
        "Proxénétisme",
        "Prostitution",
        "Viols",
        "Vente de stupéfiants",
        "Guet-apens",
        "Homicides",
    }
    for row in facilitated:
        assert (row["subject"], row["claim"], row["status"]) == (
            "coco",
            "said to have facilitated",
            "alleged",
        )
        assert row["sources"] == [PRESS_RELEASE]


# -- Platform and people --------------------------------------------------------------------


def test_platform_footprint(run: Run) -> None:
    rows = run("platform-footprint")
    got = [
        (r["aspect"], r["entity"], r["jurisdiction"], r["country"], r["since"], r["until"])
        for r in rows
    ]
    assert got == [
        # "la plateforme coco.fr [qui s'était délocalisé en 2022 sur coco.gg, ndlr]"
        ("domain", "coco.fr", None, None, None, "2022"),
        ("domain", "coco.gg", None, None, "2022", None),
        # "l'Allemagne (où se trouvait un temps au moins des serveurs)"
        ("hosting", "coco", "Germany", "DE", None, None),
        # "la Bulgarie (où avait été relocalisée l'entreprise française responsable du site)"
        ("operator", OPERATOR_NAME, None, None, None, None),
        ("operator nationality", OPERATOR_NAME, "France", "FR", None, None),
        ("operator relocation", OPERATOR_NAME, "Bulgaria", "BG", None, None),
        # the X post: closed by customs (DGDDI) and the Gendarmerie
        ("shut down by", DGDDI_NAME, None, "FR", None, None),
        ("shut down by", "Gendarmerie nationale", None, "FR", None, None),
    ]
    assert rows[-1]["sources"] == [X_POST]
    assert rows[-1]["status"] == "official"
    assert rows[2]["sources"] == [LE_PARISIEN]


def test_platform_people_and_their_jurisdictions(run: Run) -> None:
    rows = run("platform-people")
    ties = {(r["person"], r["tie"], r["code"], r["when"], r["status"]) for r in rows}
    assert ties == {
        # "cet ingénieur informaticien varois", "s'était relocalisé en Bulgarie en 2023",
        # "obtenu, cette même année, d'être déchu de sa nationalité française"
        ("Isaac Steidl", "ORIGINATES_FROM", "FR-83", None, "reported"),
        ("Isaac Steidl", "RELOCATED_TO", "BG", "since 2023", "reported"),
        ("Isaac Steidl", "NATIONAL_OF", "FR", "until 2023", "reported"),
        ("Isaac Steidl", "RENOUNCED_NATIONALITY_OF", "FR", "2023", "reported"),
        # "Sa femme était en garde à vue mardi dans le Var"
        (WIFE_NAME, "HELD_IN_CUSTODY", "FR-83", None, "custody"),
    }
    connections = {r["person"]: r["connections"] for r in rows}
    assert connections["Isaac Steidl"][0] == "-[CREATED]->"
    assert "-[SPOUSE_OF]-> Isaac Steidl -[CREATED]->" in connections[WIFE_NAME]
    wife = next(r for r in rows if r["person"] == WIFE_NAME)
    assert wife["sources"] == [AFP]


def test_figures(run: Run) -> None:
    rows = run("figures")
    # "pas moins de 23 051 procédures judiciaires", "70 parquets", "480 victimes"
    assert [(r["value"], r["unit"]) for r in rows] == [
        (23051, "procédures judiciaires"),
        (480, "victimes"),
        (70, "parquets"),
    ]
    # "Entre le 1er janvier 2021 et le 7 mai 2024"
    assert (rows[0]["bound"], rows[0]["period_start"], rows[0]["period_end"]) == (
        "at_least",
        "2021-01-01",
        "2024-05-07",
    )
    for row in rows:
        assert (row["status"], row["sources"]) == ("official", [PRESS_RELEASE])
    assert [r["metric"] for r in rows] == ["procedures", "victims", "offices"]
    # Archetyp's market: sums of money in their currency, counts as values (S1, S4)
    rows = run("figures", case="archetyp", about="platform/archetyp")
    assert [(r["metric"], r["value"], r["amount"], r["currency"], r["bound"]) for r in rows] == [
        ("traded_volume", None, 280_000_000, "USD", "more_than"),
        ("traded_volume", None, 250_000_000, "EUR", "at_least"),
        ("users", 600_000, None, None, "more_than"),
        ("listings", 17_000, None, None, "approximate"),
        ("vendors", 3_200, None, None, "approximate"),
    ]


def test_people_status_never_presents_an_arrest_as_proven(run: Run) -> None:
    rows = run("people-status")
    got = {(r["person"], r["claim"], r["about"], r["when"], r["status"], r["proven"]) for r in rows}
    arrests = "Arrestation de quatre personnes dont le créateur de coco"
    assert got == {
        ("Isaac Steidl", "-[ARRESTED_IN]->", arrests, "2024-06", "arrested", False),
        (WIFE_NAME, "-[ARRESTED_IN]->", arrests, "2024-06", "arrested", False),
        (WIFE_NAME, "-[HELD_IN_CUSTODY]->", "Var", None, "custody", False),
    }
    # the list parameters are typed from the header: only custody, and a made-up rule
    rows = run("people-status", statuses="custody", proven="custody")
    assert {(r["person"], r["status"], r["proven"]) for r in rows} == {
        ("Isaac Steidl", None, None),  # listed, with no claim of that status
        (WIFE_NAME, "custody", True),
    }


# -- Timeline -------------------------------------------------------------------------------


def test_timeline_in_date_order_with_precision(run: Run) -> None:
    rows = run("timeline")
    assert [(r["date"], r["precision"], r["id"]) for r in rows] == [
        ("2022", "year", "event/domain-move"),
        ("2023", "year", "event/steidl-nationality-renunciation"),
        ("2023", "year", "event/steidl-relocation"),
        ("2023-12", "month", "event/investigation-opened"),
        ("2024-06", "month", "event/arrests"),
        ("2024-06", "month", "event/shutdown"),
        (None, None, "event/site-launch"),  # "il y a une vingtaine d'années"
        (None, None, "event/company-relocation"),  # no date in the article
    ]
    assert rows[4]["people_count"] == 4  # "Quatre personnes ont été arrêtées"
    assert "coco.gg (nouveau domaine)" in rows[0]["concerns"]
    dated = run("timeline", undated="false")
    assert [r["id"] for r in dated] == [r["id"] for r in rows[:6]]
    about = run("timeline", about="person/isaac-steidl")
    assert [r["id"] for r in about] == [
        "event/steidl-nationality-renunciation",
        "event/steidl-relocation",
        "event/arrests",
        "event/site-launch",
    ]


def test_timeline_of_archetyp_with_spans_and_cities(run: Run) -> None:
    rows = {r["id"]: r for r in run("timeline", case="archetyp")}
    # the action week of 11-13 June 2025 (S1)
    week = rows["event/archetyp-action-week"]
    assert (week["date"], week["end_date"], week["precision"]) == (
        "2025-06-11",
        "2025-06-13",
        "day",
    )
    # the arrest in Spain (S1), in Barcelona (S2); the searches in Hanover and Bucharest (S5)
    assert rows["event/archetyp-administrator-arrest"]["places"] == ["Barcelona", "Spain"]
    assert rows["event/archetyp-property-searches"]["places"] == ["București", "Hannover"]
    assert rows["event/archetyp-property-searches"]["date"] is None  # S5 gives no date
    assert rows["event/archetyp-administrator-arrest"]["end_date"] is None


def test_claim_sources_say_what_each_source_says(run: Run) -> None:
    rows = run("claim-sources", case="archetyp", entity="person/archetyp-administrator")
    arrest = [r for r in rows if r["relation"] == "-[ARRESTED_IN]->"]
    # Eurojust states the arrest (S1), the dts wire reports it (S2): the claim is "arrested"
    assert [(r["source"], r["status"], r["source_status"]) for r in arrest] == [
        ("source/dts-archetyp-wire", "arrested", "reported"),
        ("source/eurojust-archetyp-release", "arrested", "arrested"),
    ]
    # a claim whose sources give no status of their own: each source says the claim's
    created = [r for r in rows if r["relation"] == "-[CREATED]->"]
    assert [(r["status"], r["source_status"], r["quote"]) for r in created] == [
        ("alleged", "alleged", None)
    ]


def _as_of(run: Run, date: str) -> set[tuple[Any, ...]]:
    return {
        (r["state"], r["subject"], r["relation"], r["object"], r["uncertain"])
        for r in run("as-of", asOf=date)
    }


def test_as_of_dates(run: Run) -> None:
    nationality = ("Isaac Steidl", "NATIONAL_OF", "France")
    relocated = ("Isaac Steidl", "RELOCATED_TO", "Bulgaria")  # ISO 3166's English name
    renounced = ("Isaac Steidl", "RENOUNCED_NATIONALITY_OF", "France")
    move = "Passage de coco.fr à coco.gg"
    steidl_move = "Relocalisation d'Isaac Steidl en Bulgarie"
    lost = "Perte de la nationalité française d'Isaac Steidl, à sa demande"
    # before the 2022 move: coco.fr is the domain, and he is still French
    assert _as_of(run, "2021-06-01") == {
        ("in force", "coco.fr", "DOMAIN_OF", "coco", False),
        ("in force", *nationality, False),
    }
    # mid-2023: coco.gg since 2022; "en 2023" he moved and lost his nationality, so on
    # 2023-06-01 either may or may not have happened yet
    assert _as_of(run, "2023-06-01") == {
        ("in force", "coco.gg", "DOMAIN_OF", "coco", False),
        ("in force", *nationality, True),
        ("in force", *relocated, True),
        ("happened", *renounced, True),
        ("happened", move, "domain_move", None, False),
        ("happened", steidl_move, "relocation", None, True),
        ("happened", lost, "nationality_renunciation", None, True),
    }
    # end of June 2024: the investigation opened in December, the site closed and four
    # people arrested in June; no longer French
    assert _as_of(run, "2024-06-30") == {
        ("in force", "coco.gg", "DOMAIN_OF", "coco", False),
        ("in force", *relocated, False),
        ("opened", INVESTIGATION_NAME, "investigation opened", None, False),
        ("happened", *renounced, False),
        ("happened", move, "domain_move", None, False),
        ("happened", steidl_move, "relocation", None, False),
        ("happened", lost, "nationality_renunciation", None, False),
        ("happened", "Ouverture de l'enquête sur coco", "investigation_opened", None, False),
        ("happened", "Fermeture du site coco.gg", "shutdown", None, False),
        (
            "happened",
            "Arrestation de quatre personnes dont le créateur de coco",
            "arrest",
            None,
            False,
        ),
        (
            "published",
            "Portrait d'Isaac Steidl par Le Parisien (fin mai 2024)",
            "news_article",
            None,
            False,
        ),
        (
            "published",
            "Article de Next sur la fermeture de coco.gg et l'arrestation de son créateur",
            "news_article",
            None,
            False,
        ),
    }
    # in the middle of June 2024 the June events may not have happened yet
    mid_june = _as_of(run, "2024-06-15")
    assert ("happened", "Fermeture du site coco.gg", "shutdown", None, True) in mid_june


# -- Provenance -----------------------------------------------------------------------------


def test_claim_sources_of_customs(run: Run) -> None:
    rows = run("claim-sources", entity="agency/dgddi")
    # customs are named by the X post only: "Le communiqué de presse du Parquet ne mentionne
    # pas la douane"; the post is known through the Next article
    assert [(r["kind"], r["relation"], r["other"], r["source"]) for r in rows] == [
        ("node", None, None, X_POST),
        ("relationship", "<-[SHUT_DOWN_BY]-", "coco", X_POST),
    ]
    for row in rows:
        assert row["publisher"] == "Parquet de Paris"
        assert row["source_kind"] == "social_media_post"
        assert row["relayed_by"] == [NEXT]
    assert rows[1]["status"] == "official"
    steidl = run("claim-sources", entity="person/isaac-steidl")
    created = {r["source"] for r in steidl if r["relation"] == "-[CREATED]->"}
    assert created == {LE_PARISIEN, PORTRAIT}  # "son créateur"; "qui avait lancé le site"


def test_single_source_claims(run: Run) -> None:
    expected = [rel for rel in _seed_relationships() if len(rel["sources"]) == 1]
    rows = run("single-source-claims")
    assert len(rows) == len(expected)
    assert {r["source"] for r in rows} == {rel["sources"][0] for rel in expected}
    # DOMAIN_OF and CREATED have several sources
    assert "DOMAIN_OF" not in {r["relation"] for r in rows}
    assert "CREATED" not in {r["relation"] for r in rows}
    customs = run("single-source-claims", about="agency/dgddi")
    assert [(r["subject"], r["relation"], r["source"], r["source_kind"]) for r in customs] == [
        ("coco", "SHUT_DOWN_BY", X_POST, "social_media_post")
    ]
    assert customs[0]["relayed_by"] == [NEXT]


def test_differing_claims_none_in_the_seed(run: Run) -> None:
    # within coco.gg, claims of one type from one subject to different objects always share
    # a source (the five states all come from Le Parisien, the two closers from the X post)
    assert run("differing-claims") == []


S1, S2, S3 = (
    "source/eurojust-archetyp-release",
    "source/dts-archetyp-wire",
    "source/abijita-archetyp-article",
)
S4 = "source/nexpressdaily-archetyp-article"
ACTION_WEEK = "Action week against Archetyp Market"


def _conflicts(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = ("conflict", "subject", "about", "says_1", "sources_1", "says_2", "sources_2")
    return [tuple(row[key] for key in keys) for row in rows]


def test_conflicts_are_the_disagreements_of_the_brief(run: Run) -> None:
    """Typed from ../shared/seeds/archetyp-2025.md: five countries (S1, S2) or six with the
    United States (S3); eight arrested (S1) or one (S4); EUR 250 million traded (S1) and
    more than USD 280 million (S4), EUR 7.8 million seized (S1, S2) and USD 9 million
    (S4): conversions, flagged as a difference of currency. Nothing else: the arrest in
    Spain (S1) and in Barcelona (S2) is not a disagreement, nor are the things one event
    concerns."""
    rows = run("conflicts", case="archetyp")
    assert _conflicts(rows) == [
        ("different currency", ACTION_WEEK, "assets_seized",
         "assets worth EUR 7.8 million seized", [S1, S2],
         "assets worth USD 9 million seized", [S4]),
        ("different value", ACTION_WEEK, "countries_involved",
         "5 countries", [S1, S2], "6 countries", [S3]),
        ("different value", ACTION_WEEK, "persons_arrested",
         "8 persons arrested", [S1], "1 person arrested", [S4]),
        ("different currency", "Archetyp Market", "traded_volume",
         "drugs worth at least EUR 250 million traded", [S1],
         "transactions of more than USD 280 million", [S4]),
        ("left out of a list", "Operation Deep Sentinel", "COOPERATED_WITH Jurisdiction",
         "lists United States", [S3], "leaves United States out", [S2]),
    ]  # fmt: skip
    # the notes say which figures are conversions
    currency = [row for row in rows if row["conflict"] == "different currency"]
    assert all(any("conversion" in note for note in row["notes"]) for row in currency)
    # the coco article holds no disagreement of these kinds: both cases give Archetyp's
    assert run("conflicts", case="coco-gg") == []
    assert run("conflicts", case="") == rows


CONFLICTING = """\
dataset: conflicts-test
nodes:
  - {id: "ct:source/a", type: Source, title: Source A, publisher: A, kind: news_article}
  - {id: "ct:source/b", type: Source, title: Source B, publisher: B, kind: news_article}
  - {id: "ct:platform/p", type: Platform, name: Platform P, sources: ["ct:source/a"]}
  - {id: "ct:event/e", type: Event, name: Event E, kind: action, sources: ["ct:source/a"]}
  - {id: "ct:agency/x", type: Agency, name: Agency X, sources: ["ct:source/b"]}
  - {id: "ct:investigation/i", type: Investigation, name: Inquiry I, sources: ["ct:source/a"]}
  # a shared source: one account, not two that disagree
  - {id: "ct:figure/1", type: Figure, name: 10 users, value: 10, unit: users, metric: users,
     sources: ["ct:source/a"]}
  - {id: "ct:figure/2", type: Figure, name: 12 users, value: 12, unit: users, metric: users,
     sources: ["ct:source/a", "ct:source/b"]}
  # the same value
  - {id: "ct:figure/3", type: Figure, name: 5 listings, value: 5, unit: listings,
     metric: listings, sources: ["ct:source/a"]}
  - {id: "ct:figure/4", type: Figure, name: five listings, value: 5, unit: listings,
     metric: listings, sources: ["ct:source/b"]}
  # different subjects
  - {id: "ct:figure/5", type: Figure, name: 3 vendors, value: 3, unit: vendors,
     metric: vendors, sources: ["ct:source/a"]}
  - {id: "ct:figure/6", type: Figure, name: 4 vendors, value: 4, unit: vendors,
     metric: vendors, sources: ["ct:source/b"]}
  # one currency, two amounts: a disagreement
  - {id: "ct:figure/7", type: Figure, name: EUR 100 seized, amount: 100, currency: EUR,
     unit: seized, metric: assets_seized, sources: ["ct:source/a"]}
  - {id: "ct:figure/8", type: Figure, name: EUR 120 seized, amount: 120, currency: EUR,
     unit: seized, metric: assets_seized, sources: ["ct:source/b"]}
relationships:
  # one event concerning two things, each from its own source
  - {type: CONCERNS, from: "ct:event/e", to: "ct:platform/p", status: reported,
     sources: ["ct:source/a"]}
  - {type: CONCERNS, from: "ct:event/e", to: "ct:agency/x", status: reported,
     sources: ["ct:source/b"]}
  # a list of states and a list of agencies: B's agency is not missing from A's states
  - {type: COOPERATED_WITH, from: "ct:investigation/i", to: jurisdiction/fr, status: reported,
     sources: ["ct:source/a", "ct:source/b"]}
  - {type: COOPERATED_WITH, from: "ct:investigation/i", to: "ct:agency/x", status: reported,
     sources: ["ct:source/b"]}
  - {type: FIGURE_OF, from: "ct:figure/1", to: "ct:platform/p", status: reported,
     sources: ["ct:source/a"]}
  - {type: FIGURE_OF, from: "ct:figure/2", to: "ct:platform/p", status: reported,
     sources: ["ct:source/b"]}
  - {type: FIGURE_OF, from: "ct:figure/3", to: "ct:platform/p", status: reported,
     sources: ["ct:source/a"]}
  - {type: FIGURE_OF, from: "ct:figure/4", to: "ct:platform/p", status: reported,
     sources: ["ct:source/b"]}
  - {type: FIGURE_OF, from: "ct:figure/5", to: "ct:platform/p", status: reported,
     sources: ["ct:source/a"]}
  - {type: FIGURE_OF, from: "ct:figure/6", to: "ct:event/e", status: reported,
     sources: ["ct:source/b"]}
  - {type: FIGURE_OF, from: "ct:figure/7", to: "ct:event/e", status: reported,
     sources: ["ct:source/a"]}
  - {type: FIGURE_OF, from: "ct:figure/8", to: "ct:event/e", status: reported,
     sources: ["ct:source/b"]}
"""


def test_conflicts_leave_out_what_is_not_a_disagreement(
    run: Run, case: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    (tmp_path / "conflicts.yaml").write_text(CONFLICTING, encoding="utf-8")
    done = _cli(case, "load", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    try:
        rows = run("conflicts", case="conflicts-test")
    finally:
        driver.execute_query(
            "MATCH (n {dataset: 'conflicts-test'}) DETACH DELETE n", database_=case.database
        )
        driver.execute_query(
            "MATCH ()-[r {dataset: 'conflicts-test'}]->() DELETE r", database_=case.database
        )
    assert _conflicts(rows) == [
        ("different value", "Event E", "assets_seized", "EUR 100 seized", ["ct:source/a"],
         "EUR 120 seized", ["ct:source/b"]),
    ]  # fmt: skip


def test_the_conflicts_command(case: Neo4jServer, run: Run) -> None:
    done = _cli(case, "conflicts", "--dataset", "archetyp", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == run("conflicts", case="archetyp")
    none = _cli(case, "conflicts", "--dataset", "coco-gg")
    assert none.returncode == 0, none.stderr
    assert "0 rows" in none.stdout
    unknown = _cli(case, "conflicts", "--dataset", "nothing", "--format", "csv")
    assert unknown.stdout.splitlines() == [
        "conflict,subject,about,says_1,sources_1,says_2,sources_2,notes"
    ]


DIFFERING = """\
dataset: differing-test
nodes:
  - {id: "dt:source/a", type: Source, title: Source A, publisher: A, kind: news_article}
  - {id: "dt:source/b", type: Source, title: Source B, publisher: B, kind: news_article}
  - {id: "dt:platform/p", type: Platform, name: Plateforme P, sources: ["dt:source/a"]}
  - {id: "dt:agency/x", type: Agency, name: Agence X, sources: ["dt:source/a"]}
  - {id: "dt:agency/y", type: Agency, name: Agence Y, sources: ["dt:source/b"]}
  - {id: "dt:agency/z", type: Agency, name: Agence Z, sources: ["dt:source/a"]}
  - {id: "dt:person/q", type: Person, name: Personne Q, sources: ["dt:source/a"]}
  - {id: "dt:jurisdiction/j", type: Jurisdiction, name: Pays J, sources: ["dt:source/a"]}
relationships:
  - {type: SHUT_DOWN_BY, from: "dt:platform/p", to: "dt:agency/y", status: reported,
     sources: ["dt:source/b"]}
  - {type: SHUT_DOWN_BY, from: "dt:platform/p", to: "dt:agency/x", status: official,
     sources: ["dt:source/a"]}
  - {type: SHUT_DOWN_BY, from: "dt:platform/p", to: "dt:agency/z", status: official,
     sources: ["dt:source/a", "dt:source/b"]}
  - {type: RESIDES_IN, from: "dt:person/q", to: "dt:jurisdiction/j", valid_from: 2020,
     status: reported, sources: ["dt:source/a"]}
  - {type: RESIDES_IN, from: "dt:person/q", to: "dt:jurisdiction/j", valid_from: 2021,
     status: denied, sources: ["dt:source/a"]}
"""


@pytest.fixture
def differing(case: Neo4jServer, driver: Driver, tmp_path: Path) -> Iterator[None]:
    """A second, tiny dataset with differing claims beside the case; removed afterwards."""
    (tmp_path / "differing.yaml").write_text(DIFFERING, encoding="utf-8")
    done = _cli(case, "load", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    yield
    driver.execute_query(
        "MATCH (n {dataset: 'differing-test'}) DETACH DELETE n", database_=case.database
    )


def test_differing_claims_found(run: Run, differing: None) -> None:
    rows = run("differing-claims", case="differing-test")
    got = [
        (
            r["subject"],
            r["relation"],
            r["difference"],
            r["object_1"],
            r["status_1"],
            r["sources_1"],
            r["object_2"],
            r["status_2"],
            r["sources_2"],
        )
        for r in rows
    ]
    a, b = ["dt:source/a"], ["dt:source/b"]
    assert got == [
        # Agence Z shares a source with both, so it differs from neither
        (
            "Personne Q",
            "RESIDES_IN",
            "different status",
            "Pays J",
            "denied",
            a,
            "Pays J",
            "reported",
            a,
        ),
        (
            "Plateforme P",
            "SHUT_DOWN_BY",
            "different object",
            "Agence X",
            "official",
            a,
            "Agence Y",
            "reported",
            b,
        ),
    ]
    assert run("differing-claims", about="dt:agency/y", case="differing-test") == rows[1:]
    everything = run("differing-claims", case="")
    # every case: Archetyp's one (the arrest in Spain per Eurojust, in Barcelona per dts),
    # and this dataset's; coco has none
    assert [(r["subject"], r["object_1"], r["object_2"]) for r in everything[:1]] == [
        ("Arrest of Archetyp Market's administrator", "Barcelona", "Spain")
    ]
    assert everything[1:] == rows


def test_accounts_by_source_x_post_against_press_release(run: Run) -> None:
    rows = {
        r["acronym"] or r["agency"]: r for r in run("accounts-by-source", target="platform/coco")
    }
    # the X post: closed by the DGDDI and the Gendarmerie under the authority of JUNALCO;
    # the press release "ne mentionne pas la douane" but names UNCyber and ONAF as the
    # investigators, COMCYBER-MI's support, and Eurojust's coordination
    x_post_only = {"DGDDI", "Gendarmerie nationale", "JUNALCO"}
    press_only = {"UNCyber", "ONAF", "COMCYBER-MI", "Eurojust"}
    assert set(rows) == x_post_only | press_only
    for name in x_post_only:
        assert (rows[name]["named_by"], rows[name]["not_named_by"]) == ([X_POST], [PRESS_RELEASE])
    for name in press_only:
        assert (rows[name]["named_by"], rows[name]["not_named_by"]) == ([PRESS_RELEASE], [X_POST])
    assert rows["DGDDI"]["roles"] == ["shut down by (coco)"]
    assert rows["UNCyber"]["roles"] == [f"conducted by ({INVESTIGATION_NAME})"]
    assert rows["JUNALCO"]["roles"] == [
        f"under authority of ({INVESTIGATION_NAME})",
        "under authority of (Fermeture du site coco.gg)",
    ]


def test_source_claims_of_the_x_post(run: Run) -> None:
    rows = run("source-claims", source=X_POST)
    names = {r["subject"] for r in rows if r["kind"] == "names"}
    assert names == {
        "Parquet de Paris",
        JUNALCO_NAME,
        "Gendarmerie nationale",
        DGDDI_NAME,
        "coco",
        "coco.gg",
        "Fermeture du site coco.gg",
    }
    claims = {(r["subject"], r["relation"], r["object"]) for r in rows if r["kind"] == "claims"}
    assert claims == {
        ("coco", "SHUT_DOWN_BY", DGDDI_NAME),
        ("coco", "SHUT_DOWN_BY", "Gendarmerie nationale"),
        (INVESTIGATION_NAME, "UNDER_AUTHORITY_OF", JUNALCO_NAME),
        ("Fermeture du site coco.gg", "UNDER_AUTHORITY_OF", JUNALCO_NAME),
        (JUNALCO_NAME, "PART_OF", "Parquet de Paris"),
        ("coco.gg", "DOMAIN_OF", "coco"),
        ("Fermeture du site coco.gg", "CONCERNS", "coco"),
        ("Fermeture du site coco.gg", "CONCERNS", "coco.gg"),
    }
    domain = next(r for r in rows if r["relation"] == "DOMAIN_OF")
    assert domain["also_cited"] == [PRESS_RELEASE, NEXT]


def test_sources_overview(run: Run) -> None:
    rels, nodes = _seed_relationships(), _seed_nodes()
    rows = run("sources-overview")
    sources = [node["id"] for node in nodes if node["type"] == "Source"]
    assert sorted(r["source"] for r in rows) == sorted(sources)
    for row in rows:
        sid = row["source"]
        assert row["claims"] == sum(sid in rel["sources"] for rel in rels), sid
        assert row["only_source"] == sum(rel["sources"] == [sid] for rel in rels), sid
        assert row["names"] == sum(sid in node.get("sources", []) for node in nodes), sid
        # only the Next article is read first-hand; every other source is known through it
        assert row["relayed_by"] == ([] if sid == NEXT else [NEXT])
    assert [r["claims"] for r in rows] == sorted((r["claims"] for r in rows), reverse=True)
    by_id = {r["source"]: r for r in rows}
    assert (by_id[X_POST]["kind"], by_id[X_POST]["publisher"]) == (
        "social_media_post",
        "Parquet de Paris",
    )
    assert by_id[PORTRAIT]["date"] == "2024-05"  # "fin mai"


# -- Exploration ----------------------------------------------------------------------------

COCO_NEIGHBOURS = {
    "domain/coco-fr",
    "domain/coco-gg",
    "org/coco-operator",
    "person/isaac-steidl",
    "investigation/coco",
    "jurisdiction/de",
    "agency/dgddi",
    "agency/gendarmerie-nationale",
    "event/site-launch",
    "event/domain-move",
    "event/shutdown",
    "event/arrests",
    "figure/judicial-procedures",
    "figure/prosecutors-offices",
    "figure/victims",
    "offence/actes-pedocriminalite",
    "offence/proxenetisme",
    "offence/prostitution",
    "offence/viols",
    "offence/vente-stupefiants",
    "offence/guet-apens",
    "offence/homicides",
}


def test_ego_network_depth(run: Run) -> None:
    one = run("ego-network", entity="platform/coco")
    assert {r["id"] for r in one} == COCO_NEIGHBOURS
    assert {r["distance"] for r in one} == {1}
    dgddi = next(r for r in one if r["id"] == "agency/dgddi")
    assert (dgddi["via"], dgddi["status"], dgddi["sources"]) == (
        f"-[SHUT_DOWN_BY]-> {DGDDI_NAME}",
        "official",
        [X_POST],
    )
    two = {r["id"]: r for r in run("ego-network", entity="platform/coco", depth="2")}
    assert set(two) > COCO_NEIGHBOURS
    for far in ("agency/uncyber", "agency/onaf", "jurisdiction/bg", "person/steidl-wife"):
        assert two[far]["distance"] == 2
    assert "agency/parquet-paris" not in two  # JUNALCO's parent is three hops away
    assert not any(r["label"] == "Source" for r in two.values())
    three = {r["id"]: r for r in run("ego-network", entity="platform/coco", depth="3")}
    assert three["agency/parquet-paris"]["distance"] == 3
    no_offences = run("ego-network", entity="platform/coco", exclude="Source,LoadRun,Offence")
    assert {r["id"] for r in no_offences} == {i for i in COCO_NEIGHBOURS if "offence/" not in i}


def test_shortest_connection(run: Run) -> None:
    rows = run("shortest-connection", from_id="person/isaac-steidl", to_id="agency/uncyber")
    paths: dict[int, list[str]] = {}
    for row in rows:
        assert row["hops"] == 3
        paths.setdefault(row["connection"], []).append(row["relation"])
    # he created coco, which the investigation conducted by UNCyber targets; coco was shut
    # down by the Gendarmerie, of which UNCyber is a unit; he moved to Bulgaria, which
    # cooperated with that investigation
    assert sorted(paths.values()) == [
        ["-[CREATED]->", "-[SHUT_DOWN_BY]->", "<-[PART_OF]-"],
        ["-[CREATED]->", "<-[INVESTIGATES]-", "-[CONDUCTED_BY]->"],
        ["-[RELOCATED_TO]->", "<-[COOPERATED_WITH]-", "-[CONDUCTED_BY]->"],
    ]
    assert rows[0]["from_name"] == "Isaac Steidl"
    assert rows[-1]["to_name"] == "Unité nationale cyber"
    no_states = run(
        "shortest-connection",
        from_id="person/isaac-steidl",
        to_id="agency/uncyber",
        exclude="Source,LoadRun,Jurisdiction",
    )
    assert len({r["connection"] for r in no_states}) == 2


@pytest.mark.parametrize(
    ("text", "first_id", "match"),
    [
        pytest.param("paris prosecutor", "agency/parquet-paris", "exact", id="english-alias"),
        pytest.param("JUNALCO", "agency/junalco", "exact", id="acronym"),
        pytest.param("customs", "agency/dgddi", "exact", id="customs"),
        pytest.param("Germany", "jurisdiction/de", "exact", id="english-name"),
        pytest.param(
            "ministere de l'interieur", "agency/ministere-interieur", "exact", id="accents"
        ),
        pytest.param("UNCYBER", "agency/uncyber", "exact", id="case"),
        pytest.param("steidl", "person/isaac-steidl", "contains", id="part-of-name"),
    ],
)
def test_name_search(run: Run, text: str, first_id: str, match: str) -> None:
    rows = run("name-search", text=text)
    assert (rows[0]["id"], rows[0]["match"]) == (first_id, match)


def test_name_search_finds_only_the_paris_prosecutor(run: Run) -> None:
    rows = run("name-search", text="Paris prosecutor")
    assert [(r["id"], r["name"], r["matched"]) for r in rows] == [
        ("agency/parquet-paris", "Parquet de Paris", "Paris prosecutor")
    ]
    assert len(run("name-search", text="coco", limit="2")) == 2
    assert run("name-search", text="   ") == []


# -- several cases: every query for one case, the other, and both --------------------------

SOURCE_COLUMNS = (
    *("sources", "sources_1", "sources_2", "sources_a", "sources_b", "part_of_sources"),
    *("source", "named_by", "not_named_by", "also_cited"),
)
# the required parameters, an entity of each case
PER_CASE: dict[str, dict[str, dict[str, str]]] = {
    "coco-gg": {
        "claim-sources": {"entity": "platform/coco"},
        "accounts-by-source": {"target": "platform/coco"},
        "source-claims": {"source": PRESS_RELEASE},
        "ego-network": {"entity": "platform/coco"},
        "shortest-connection": {"from_id": "person/isaac-steidl", "to_id": "agency/uncyber"},
        "name-search": {"text": "coco"},
        "as-of": {"asOf": "2025-06-30"},
    },
    "archetyp": {
        "claim-sources": {"entity": "platform/archetyp"},
        "accounts-by-source": {"target": "platform/archetyp"},
        "source-claims": {"source": "source/eurojust-archetyp-release"},
        "ego-network": {"entity": "platform/archetyp"},
        "shortest-connection": {
            "from_id": "person/archetyp-administrator",
            "to_id": "agency/europol",
        },
        "name-search": {"text": "archetyp"},
        "as-of": {"asOf": "2025-06-30"},
    },
}
# what the brief does not give for Archetyp: no offence is named in it
# and coco's sources do not differ in the way differing-claims and conflicts look for
EMPTY = {
    ("archetyp", "suspected-offences"),
    ("coco-gg", "differing-claims"),
    ("coco-gg", "conflicts"),
}
SHARED = {"source/iso-3166"}  # the ISO 3166 nodes' source; the reference dataset's below


def _sources_of(case: str) -> set[str]:
    return {n["id"] for n in _seed_nodes(case) if n["type"] == "Source"}


def _cited(rows: list[dict[str, Any]], name: str = "") -> set[str]:
    out: set[str] = set()
    columns = [c for c in SOURCE_COLUMNS if not (name == "source-claims" and c == "source")]
    for row in rows:  # (source-claims's `source` is the title)
        for column in columns:
            value = row.get(column)
            if isinstance(value, str):
                out.add(value)
            elif isinstance(value, list):
                out.update(v for v in value if isinstance(v, str))
    return out


def _key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_every_query_answers_for_each_case_and_for_both(run: Run, name: str) -> None:
    """For one case, a query answers from that case's claims: every source it shows is one
    of the case's own (seed/<case>/); for both (``case=''``), each case's rows are among the
    rows (but where a row needs both: a connection, a meeting point)."""
    answers = {}
    for case, given in PER_CASE.items():
        rows = run(name, case=case, **given.get(name, {}))
        answers[case] = rows
        assert bool(rows) != ((case, name) in EMPTY), (case, name)
        if name != "case-connections":  # rows of two cases (test_case_connections)
            assert _cited(rows, name) <= _sources_of(case), (case, name)
    if name in {"name-search", "shortest-connection", "claim-sources", "accounts-by-source",
                "source-claims", "ego-network"}:  # fmt: skip
        return  # one entity of one case: nothing to add up
    both = run(name, case="", **PER_CASE["coco-gg"].get(name, {}))
    keys = {_key(row) for row in both}
    every = _sources_of("coco-gg") | _sources_of("archetyp") | _sources_of("reference") | SHARED
    assert _cited(both, name) <= every
    if name in {"shared-entities", "case-connections", "people-status", "platform-people"}:
        return  # a row of both cases is more than a row of one
    for case, rows in answers.items():
        assert {_key(row) for row in rows} <= keys, (case, name)
    # and nothing else, but the sources of the shared data (sources-overview lists every
    # Source: also those of the reference dataset and of ISO 3166)
    if name == "sources-overview":
        extra = _sources_of("reference") | SHARED
        both = [row for row in both if row["source"] not in extra]
    assert len(both) == sum(len(rows) for rows in answers.values()), name


def test_shared_entities(run: Run) -> None:
    rows = run("shared-entities", case="")
    # coco's investigation coordinated with Eurojust (press release) and cooperated with
    # Germany and the Netherlands (Le Parisien), coco's servers were in Germany; Archetyp's
    # operation was coordinated with Eurojust, which published S1, and acted in both states
    # (S1, S2), where the administrator is a national (DE, S1) and measures (DE) and the
    # switch-off (NL) took place (the searches were in Hannover, a Place of its own)
    assert [(r["id"], r["cases"], r["claims"]) for r in rows] == [
        ("jurisdiction/de", ["archetyp", "coco-gg"], 2 + 3),
        ("agency/eurojust", ["archetyp", "coco-gg"], 1 + 2),
        ("jurisdiction/nl", ["archetyp", "coco-gg"], 1 + 2),
    ]
    assert [r["name"] for r in rows] == ["Germany", "Eurojust", "Netherlands"]
    assert run("shared-entities", case="archetyp") == rows
    assert run("shared-entities", case="nothing") == []


def test_case_connections(run: Run) -> None:
    rows = run("case-connections", case="coco-gg", other="archetyp")
    at = {}
    for row in rows:
        at.setdefault(row["meeting_point"], []).append(row)
    assert sorted(at) == ["Eurojust", "Germany", "Netherlands"]
    # one row per pair of claims: Eurojust 1 x 2, Germany 2 x 3, the Netherlands 1 x 2
    assert [len(at[k]) for k in ("Eurojust", "Germany", "Netherlands")] == [2, 6, 2]
    eurojust = {(r["claim_a"], r["claim_b"]) for r in at["Eurojust"]}
    assert eurojust == {
        ("Enquête sur la plateforme coco -[COORDINATED_WITH]->",
         "Operation Deep Sentinel -[COORDINATED_WITH]->"),
        ("Enquête sur la plateforme coco -[COORDINATED_WITH]->",
         "Largest illegal trading platform for drugs taken down -[PUBLISHED_BY]->"),
    }  # fmt: skip
    for row in rows:
        assert (row["case_a"], row["case_b"]) == ("coco-gg", "archetyp")
        assert set(row["sources_a"]) <= _sources_of("coco-gg")
        assert set(row["sources_b"]) <= _sources_of("archetyp")
    flipped = run("case-connections", case="archetyp")
    assert len(flipped) == len(rows)
    assert {(r["case_a"], r["case_b"]) for r in flipped} == {("archetyp", "coco-gg")}
    assert run("case-connections", case="") == flipped  # every pair, each once, by name


# -- graph answers ----------------------------------------------------------------------------


def _graph_of(value: Any) -> tuple[set[str], list[tuple[str, str, str]]]:
    """The node ids and the (type, start, end) relationships in a ``graph`` value as
    ``run_query`` gives it (paths, nodes, relationships, lists of them)."""
    nodes: set[str] = set()
    rels: list[tuple[str, str, str]] = []

    def walk(item: Any) -> None:
        if isinstance(item, list):
            for one in item:
                walk(one)
        elif isinstance(item, dict) and set(item) == {"nodes", "relationships"}:
            walk(item["nodes"])
            walk(item["relationships"])
        elif isinstance(item, dict) and "labels" in item:
            nodes.add(item["properties"]["id"])
        elif isinstance(item, dict) and "type" in item:
            rels.append((item["type"], item["start"], item["end"]))
        else:
            raise AssertionError(f"not a graph element: {item!r}")

    walk(value)
    return nodes, rels


def test_five_queries_answer_with_a_graph() -> None:
    graph = {q.name for q in LIBRARY.values() if q.view == "graph"}
    assert graph == {
        "ego-network",
        "shortest-connection",
        "investigation-command",
        "platform-footprint",
        "case-connections",
    }


def test_ego_network_graph(run: Run) -> None:
    rows = run("ego-network", entity="platform/coco")
    nodes, rels = _graph_of([r["graph"] for r in rows])
    assert nodes == COCO_NEIGHBOURS | {"platform/coco"}
    assert len(rels) == len(rows)  # one hop to each neighbour
    assert all("platform/coco" in (start, end) for _, start, end in rels)


def test_shortest_connection_graph(run: Run) -> None:
    rows = run("shortest-connection", from_id="person/isaac-steidl", to_id="agency/uncyber")
    nodes, rels = _graph_of([r["graph"] for r in rows])
    # the three ways of test_shortest_connection, as nodes and relationships
    assert {t for t, _, _ in rels} == {
        "CREATED", "SHUT_DOWN_BY", "PART_OF", "INVESTIGATES", "CONDUCTED_BY", "RELOCATED_TO",
        "COOPERATED_WITH",
    }  # fmt: skip
    assert {"person/isaac-steidl", "platform/coco", "agency/uncyber", "investigation/coco",
            "agency/gendarmerie-nationale", "jurisdiction/bg"} == nodes  # fmt: skip
    for row in rows:
        path = row["graph"]
        assert path["nodes"][0]["properties"]["id"] == "person/isaac-steidl"
        assert path["nodes"][-1]["properties"]["id"] == "agency/uncyber"
        assert len(path["relationships"]) == row["hops"]


def test_investigation_command_graph(run: Run) -> None:
    rows = run("investigation-command")
    nodes, rels = _graph_of([r["graph"] for r in rows])
    # the investigation, the five bodies of its command, and the bodies they belong to
    assert nodes == {
        "investigation/coco", "agency/junalco", "agency/parquet-paris", "agency/onaf",
        "agency/uncyber", "agency/gendarmerie-nationale", "agency/comcyber-mi",
        "agency/ministere-interieur", "agency/eurojust",
    }  # fmt: skip
    assert {(t, s, e) for t, s, e in rels if t == "PART_OF"} == {
        ("PART_OF", "agency/junalco", "agency/parquet-paris"),
        ("PART_OF", "agency/uncyber", "agency/gendarmerie-nationale"),
        ("PART_OF", "agency/comcyber-mi", "agency/ministere-interieur"),
    }
    roles = {(t, e) for t, s, e in rels if s == "investigation/coco"}
    assert roles == {
        ("UNDER_AUTHORITY_OF", "agency/junalco"), ("CONDUCTED_BY", "agency/onaf"),
        ("CONDUCTED_BY", "agency/uncyber"), ("SUPPORTED_BY", "agency/comcyber-mi"),
        ("COORDINATED_WITH", "agency/eurojust"),
    }  # fmt: skip


def test_platform_footprint_graph(run: Run) -> None:
    rows = run("platform-footprint")
    for row in rows:
        nodes, rels = _graph_of(row["graph"])
        assert [t for t, _, _ in rels] == [row["relation"]]
        ((_, start, end),) = rels
        assert {start, end} == nodes
    nodes, _ = _graph_of([r["graph"] for r in rows])
    assert {"platform/coco", "domain/coco-gg", "domain/coco-fr", "agency/dgddi"} <= nodes


def test_case_connections_graph(run: Run) -> None:
    rows = run("case-connections", case="coco-gg", other="archetyp")
    assert rows
    for row in rows:
        nodes, rels = _graph_of(row["graph"])
        assert row["id"] in nodes  # where the two cases meet
        assert len(rels) == (2 if row["same_as"] is None else 3)
        if row["same_as"] is not None:
            assert row["same_as"] in nodes
            assert any(t == "SAME_AS" for t, _, _ in rels)
