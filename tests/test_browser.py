"""The Neo4j Browser deliverables: favorites zip, guide, style sheet, their server, publishing.

The files are compared with tests/golden/browser/ (regenerate after a deliberate change with
CASEGRAPH_REGEN_GOLDEN=1, then read the diff). What Browser does with them is checked here
with Python ports of the two Browser 5.24 functions that read them (``cleanHtml`` for guides,
``parseGrass`` for styles); tests/test_browser_e2e.py checks them in a real browser. The
publishing tests run on the real Neo4j of tests/conftest.py.
"""

from __future__ import annotations

import html.parser
import io
import os
import re
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver

from loader.browser import guideserver
from loader.browser.files import (
    DEFAULT_BASE_URL,
    FAVORITES,
    GUIDE,
    OVERVIEW_QUERY,
    STYLE,
    build,
    favorites,
    favorites_zip,
    grass,
    guide_html,
    node_colors,
    publish,
    safe_file_name,
    saved_query_row,
)
from loader.model.colors import contrast
from loader.model.ontology import SYSTEM_LABELS, load_ontology
from loader.queries.library import SavedQuery, library_preset, load_library, param_preset
from loader.serving import serving
from tests.conftest import Neo4jServer, wipe
from tests.helpers import ROOT, casegraph, harness, load_seed

GOLDEN = Path(__file__).parent / "golden" / "browser"
LIBRARY = load_library(ROOT / "cypher")
ONTOLOGY = load_ontology()


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if harness("CASEGRAPH_REGEN_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with CASEGRAPH_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def _library(tmp_path: Path, queries: dict[str, tuple[str, str]]) -> dict[str, SavedQuery]:
    """A small library: {name: (title, category)}, each query ``RETURN 1 AS one``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, (title, category) in queries.items():
        (tmp_path / f"{name}.cypher").write_text(
            f"// {title}\n// name: {name}\n// description: A test.\n// category: {category}\n"
            "\nWITH 1 AS one WHERE one = 1 RETURN one;\n",
            encoding="utf-8",
        )
    return load_library(tmp_path)


# -- Browser 5.24's own readers, ported -----------------------------------------------------


def clean_html(text: str) -> str:
    """Browser's cleanHtml: what it strips from a guide before showing it."""
    text = re.sub(
        r"""(\s+(on[^\s=]+)[^\s=]*\s*=\s*("[^"]*"|'[^']*'|[\w\-.:]+\s*))""",
        "",
        text,
        flags=re.IGNORECASE | re.ASCII,
    )
    text = re.sub(
        r"<script\b[^<]*(?:(?!</script>)<[^<]*)*(</script>)?", "", text, flags=re.IGNORECASE
    )
    text = re.sub(r'href=".*javascript:[^"]*"', 'href=""', text, count=1)
    return re.sub(r"href='.*javascript:[^']*'", "href=''", text, count=1)


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """Browser's parseGrass: selectors and their declarations, as Browser reads them."""
    in_quote = in_rule = nested = False
    selector = body = ""
    rules: dict[str, str] = {}
    for char in text:
        if char in "'\"":
            in_quote = not in_quote  # the quote itself is dropped
        elif char == "{" and not in_quote:
            nested, in_rule = nested or in_rule, True
        elif char == "}" and not in_quote:
            if nested:
                nested = False
            else:
                in_rule = False
                rules[selector], selector, body = body, "", ""
        elif in_rule:
            body += char
        elif not char.isspace():
            selector += char
    parsed: dict[str, dict[str, str]] = {}
    for name, declarations in rules.items():
        parsed[name] = {}
        for declaration in declarations.split(";"):
            parts = declaration.split(":")
            if len(parts) == 2:
                parsed[name][parts[0].strip()] = parts[1].strip()
    return parsed


class _Guide(html.parser.HTMLParser):
    """Slides, and the text of every runnable block in each."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.slides: list[list[str]] = []
        self._pre: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "slide":
            self.slides.append([])
        classes = (dict(attrs).get("class") or "").split()
        if tag == "pre" and "runnable" in classes:
            self._pre = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre" and self._pre is not None:
            self.slides[-1].append("".join(self._pre))
            self._pre = None

    def handle_data(self, data: str) -> None:
        if self._pre is not None:
            self._pre.append(data)


def _guide(text: str) -> _Guide:
    parser = _Guide()
    parser.feed(text)
    parser.close()
    return parser


# -- favorites ------------------------------------------------------------------------------


def _listing(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(
            f"{info.CRC:08x} {info.file_size:6d} {info.date_time[0]} {info.filename}\n"
            for info in archive.infolist()
        )


def test_favorites_zip_golden() -> None:
    check_golden("favorites.txt", _listing(favorites_zip(LIBRARY)))


def test_favorites_are_the_query_files_one_each() -> None:
    data = favorites_zip(LIBRARY)
    assert data == favorites_zip(LIBRARY)  # byte for byte
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    by_content = {content: path for path, content in entries.items()}
    assert len(entries) == len(by_content) == len(LIBRARY)
    for query in LIBRARY.values():
        content = query.path.read_bytes()
        path = by_content[content]
        assert path == f"{query.category}/{safe_file_name(query.title)}.cypher"
        assert content.decode("utf-8").split("\n", 1)[0] == f"// {query.title}"
        assert zlib.crc32(content) == zipfile.ZipFile(io.BytesIO(data)).getinfo(path).CRC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("A platform's footprint", "A platform's footprint", id="kept"),
        pytest.param('Who: "A/B" or C\\D?', "Who_ _A_B_ or C_D_", id="unsafe"),
        pytest.param("  two   spaces.  ", "two spaces", id="spaces-dots"),
        pytest.param("tab\there\nnewline", "tab_here_newline", id="control"),
        pytest.param("CON", "_CON", id="windows-reserved"),
        pytest.param("...", "_", id="nothing-left"),
        pytest.param("x" * 150, "x" * 100, id="long"),
        pytest.param("Enquête à Paris", "Enquête à Paris", id="unicode"),
    ],
)
def test_safe_file_name(text: str, expected: str) -> None:
    assert safe_file_name(text) == expected


def test_favorites_with_the_same_file_name_are_told_apart(tmp_path: Path) -> None:
    library = _library(
        tmp_path,
        {"a-one": ("Who? Where?", "Cat/Sub"), "b-two": ("Who_ Where_", "Cat/Sub")},
    )
    assert [path for path, _ in favorites(library)] == [
        "Cat_Sub/Who_ Where_ (b-two).cypher",
        "Cat_Sub/Who_ Where_.cypher",
    ]


# -- parameter presets ----------------------------------------------------------------------


def test_param_presets_are_evaluated_by_the_server(tmp_path: Path) -> None:
    assert param_preset(LIBRARY["as-of"]) == (
        ":param [{asOf, case}] => { RETURN date('2024-06-30') AS asOf, '' AS case }"
    )
    assert param_preset(LIBRARY["name-search"]) == (
        ":param [{text, limit, case}] => "
        "{ RETURN 'Paris prosecutor' AS text, 25 AS limit, '' AS case }"
    )
    assert param_preset(LIBRARY["ego-network"]) == (
        ":param [{entity, depth, exclude, case}] => "
        "{ RETURN 'agency/eurojust' AS entity, 1 AS depth, ['Source', 'LoadRun'] AS exclude, "
        "'' AS case }"
    )
    # every shipped query takes `case`: one parameter, and none, in a library of one's own
    (tmp_path / "one.cypher").write_text(
        "// One\n// name: one\n// description: d.\n// category: c\n"
        "// param: on date example=2024-06-30\n\nRETURN $on AS on;\n",
        encoding="utf-8",
    )
    own = {**load_library(tmp_path), **_library(tmp_path / "none", {"none": ("None", "c")})}
    assert param_preset(own["one"]) == ":param on => date('2024-06-30')"
    assert param_preset(own["none"]) is None


# -- guide ----------------------------------------------------------------------------------


def test_guide_golden() -> None:
    check_golden(GUIDE, guide_html(LIBRARY, DEFAULT_BASE_URL))


def test_guide_has_a_slide_per_question_with_preset_and_query() -> None:
    text = guide_html(LIBRARY)
    guide = _guide(text)
    assert guide.tags.count("article") == guide.tags.count("carousel") == 1
    assert '<article class="guide">' in text
    assert "script" not in guide.tags
    assert len(guide.slides) == len(LIBRARY) + 2
    intro, legend, *slides = guide.slides
    assert intro[0] == f":style {DEFAULT_BASE_URL}/{STYLE}"
    assert intro[1] == library_preset(LIBRARY)
    assert intro[2] == OVERVIEW_QUERY
    assert legend == []  # how to read the graph: nothing to run
    assert "<h3>Reading the graph</h3>" in text
    assert "<code>FACILITATED · alleged</code>" in text
    for status in ONTOLOGY.statuses:
        assert f"<code>{status}</code>" in text
    for label in ONTOLOGY.labels:
        fill, _, ink = node_colors(ONTOLOGY.labels[label].color)
        assert f'<span style="background: {fill}; color: {ink};' in text
    for query, blocks in zip(LIBRARY.values(), slides, strict=True):
        preset = param_preset(query)
        assert blocks == [*([preset] if preset else []), f"// {query.title}\n{query.text}"]
        assert f"<h3>{html.escape(query.title, quote=False)}</h3>" in text


def test_browser_strips_nothing_from_the_guide() -> None:
    text = guide_html(LIBRARY)
    assert clean_html(text) == text


def test_text_that_looks_like_an_event_attribute_survives(tmp_path: Path) -> None:
    library = _library(tmp_path, {"one": ("One", "Test")})
    text = guide_html(library)
    assert "WHERE one &#61; 1" in text
    assert clean_html(text) == text
    assert _guide(text).slides[2] == ["// One\nWITH 1 AS one WHERE one = 1 RETURN one"]


# -- style ----------------------------------------------------------------------------------


def test_grass_golden() -> None:
    check_golden(STYLE, grass(ONTOLOGY))


def test_grass_as_browser_reads_it() -> None:
    rules = parse_grass(grass(ONTOLOGY))
    labels = {*ONTOLOGY.labels, *SYSTEM_LABELS}
    expected = {"node", "relationship"} | {f"node.{label}" for label in labels}
    expected |= {f"relationship.{name}" for name in ONTOLOGY.relationships}
    assert set(rules) == expected
    for name, spec in ONTOLOGY.labels.items():
        fill, border, text = node_colors(spec.color)
        assert rules[f"node.{name}"] == {
            "color": fill,
            "border-color": border,
            "text-color-internal": text,
            "caption": "{caption}" if spec.short_caption else f"{{{spec.caption}}}",
        }
    assert rules["node.Agency"]["text-color-internal"] == "#FFFFFF"
    assert rules["node.Agency"]["caption"] == "{caption}"  # its acronym, else its name
    assert rules["node.Source"]["caption"] == "{title}"
    for name in ONTOLOGY.relationships:
        if name == ONTOLOGY.source_link:  # drawn pale, its caption readable on white
            rule = rules[f"relationship.{name}"]
            assert rule["caption"] == "{caption}"
            assert contrast(rule["text-color-external"], "#FFFFFF") >= 4.5
            assert contrast(rule["color"], "#FFFFFF") < contrast("#A5ABB6", "#FFFFFF")
            continue
        assert rules[f"relationship.{name}"] == {"caption": "{caption}"}  # type and status


def test_every_colour_gets_an_outline_and_the_text_that_reads_better() -> None:
    # a fifth darker outline (0x4C * 0.8 = 0x3C, ...); text by WCAG contrast: on this blue
    # white gives 3.4:1 and near-black 4.8:1 (Browser's own pair was white)
    assert node_colors("#4c8eda") == ("#4C8EDA", "#3C71AE", "#1F2024")
    assert node_colors("#6DCE9E") == ("#6DCE9E", "#57A47E", "#1F2024")
    assert node_colors("#202020")[2] == "#FFFFFF"
    assert node_colors("#F0F0F0")[2] == "#1F2024"


# -- build and the CLI ----------------------------------------------------------------------


def test_build_is_deterministic(tmp_path: Path) -> None:
    first = build(tmp_path / "a", LIBRARY, ONTOLOGY)
    second = build(tmp_path / "b", LIBRARY, ONTOLOGY)
    assert [p.name for p in first] == [FAVORITES, GUIDE, STYLE]
    for one, two in zip(first, second, strict=True):
        assert one.read_bytes() == two.read_bytes()
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted([FAVORITES, GUIDE, STYLE])


def test_cli_build_and_show(tmp_path: Path) -> None:
    env = dict(os.environ, CASEGRAPH_BROWSER_HOME=str(tmp_path / "home"))
    env.update(NEO4J_URI="neo4j://127.0.0.1:7687", CASEGRAPH_NEO4J_HOME=str(tmp_path / "nh"))
    done = casegraph("browser", "build", str(tmp_path / "out"), "--base-url", "http://h:1", env=env)
    assert done.returncode == 0, done.stderr
    assert ":style http://h:1/casegraph.grass" in (tmp_path / "out" / GUIDE).read_text("utf-8")
    shown = casegraph("browser", env=env)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == casegraph("browser", "show", env=env).stdout
    lines = shown.stdout.splitlines()
    assert lines[0] == (
        "Neo4j Browser: http://127.0.0.1:7474/browser/?dbms=neo4j://neo4j@127.0.0.1:7687&db=neo4j"
    )
    site = tmp_path / "home" / "site"
    assert "  guide:      :play http://127.0.0.1:8474/guide.html" in lines[4]
    assert lines[5] == "  style:      :style http://127.0.0.1:8474/casegraph.grass"
    assert lines[6] == f"  favorites:  drop {site / FAVORITES} on the Browser window"
    assert "not running" in lines[3]


# -- the guide server -----------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    build(tmp_path, LIBRARY, ONTOLOGY)
    (tmp_path / "secret.txt").write_text("no", encoding="utf-8")
    with serving(guideserver.make_server(tmp_path, "127.0.0.1", 0)) as url:
        yield url


def _request(url: str, method: str = "GET", **headers: str) -> Any:
    request = urllib.request.Request(url, method=method, headers=headers)  # noqa: S310
    return urllib.request.urlopen(request, timeout=10)  # noqa: S310


def test_server_sends_cors_headers_and_only_the_built_files(served: str) -> None:
    origin = {"Origin": "http://127.0.0.1:7474"}
    with _request(f"{served}/{GUIDE}", **origin) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.read().decode("utf-8") == guide_html(LIBRARY)
    with _request(f"{served}/{STYLE}") as response:
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    with _request(f"{served}/{FAVORITES}") as response:
        assert response.read() == favorites_zip(LIBRARY)
    # Browser's axios sends pragma and cache-control: the request is preflighted.
    preflight = dict(
        origin,
        **{
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "pragma,cache-control",
            "Access-Control-Request-Private-Network": "true",
        },
    )
    with _request(f"{served}/{GUIDE}", "OPTIONS", **preflight) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Access-Control-Allow-Headers"] == "pragma,cache-control"
        assert "GET" in response.headers["Access-Control-Allow-Methods"]
        assert response.headers["Access-Control-Allow-Private-Network"] == "true"
    for path in ("/", "/secret.txt", "/../guide.html", "/.guide.html.tmp"):
        with pytest.raises(urllib.error.HTTPError) as error:
            _request(served + path)
        assert error.value.code == 404


def test_serve_in_the_background_then_stop(tmp_path: Path) -> None:
    from tests.helpers import free_port

    port = free_port()
    env = dict(os.environ, CASEGRAPH_BROWSER_HOME=str(tmp_path))
    env["NEO4J_URI"] = "neo4j://127.0.0.1:7687"
    started = casegraph("browser", "serve", "--background", "--port", str(port), env=env)
    try:
        assert started.returncode == 0, started.stderr
        assert f":play http://127.0.0.1:{port}/guide.html" in started.stdout
        with _request(f"http://127.0.0.1:{port}/{GUIDE}") as response:
            assert f":style http://127.0.0.1:{port}/{STYLE}" in response.read().decode("utf-8")
        again = casegraph("browser", "serve", "--background", "--port", str(port), env=env)
        assert again.returncode == 0, again.stderr
        taken = casegraph("browser", "serve", "--port", str(port), env=env)
        assert taken.returncode == 1
        assert taken.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}")
        shown = casegraph("browser", env=env)
        assert f"guide server http://127.0.0.1:{port}: running, pid" in shown.stdout
    finally:
        stopped = casegraph("browser", "stop", env=env)
    assert stopped.returncode == 0
    assert stopped.stdout.startswith("Guide server stopped (pid ")
    assert casegraph("browser", "stop", env=env).stdout == "No guide server runs.\n"
    with pytest.raises(urllib.error.URLError):
        _request(f"http://127.0.0.1:{port}/{GUIDE}")


# -- publishing into the graph --------------------------------------------------------------


def _saved(driver: Driver, database: str) -> dict[str, dict[str, Any]]:
    records, _, _ = driver.execute_query(
        "MATCH (q:SavedQuery) RETURN q.name AS name, properties(q) AS props", database_=database
    )
    return {r["name"]: r["props"] for r in records}


@pytest.fixture
def graph(empty_db: Neo4jServer, driver: Driver) -> Iterator[Neo4jServer]:
    """An empty database, emptied again afterwards: no SavedQuery is left for other tests."""
    yield empty_db
    wipe(driver, empty_db.database)


@pytest.mark.neo4j
def test_the_overview_shows_the_cases_and_none_of_casegraph_own_nodes(
    graph: Neo4jServer, driver: Driver
) -> None:
    load_seed(graph, driver)
    publish(driver, graph.database, LIBRARY)  # SavedQuery nodes, beside LoadRun and LoadLock
    shown, _, _ = driver.execute_query(OVERVIEW_QUERY, database_=graph.database)
    labels = [set(r["n"].labels) for r in shown]
    assert not any(found & SYSTEM_LABELS for found in labels)
    own, _, _ = driver.execute_query(
        "MATCH (n) WHERE n:LoadRun OR n:SavedQuery RETURN count(n) AS own",
        database_=graph.database,
    )
    assert own[0]["own"] > len(LIBRARY)  # they are there, and left out
    cases, _, _ = driver.execute_query(
        "MATCH (n) WHERE n.dataset IN ['coco-gg', 'archetyp'] RETURN count(n) AS n",
        database_=graph.database,
    )
    assert 0 < cases[0]["n"] <= len(shown) <= 300


@pytest.mark.neo4j
def test_publish_writes_one_node_per_query_and_is_idempotent(
    graph: Neo4jServer, driver: Driver
) -> None:
    database = graph.database
    done = casegraph("browser", "publish", env=graph.env())
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"Published {len(LIBRARY)} saved queries to database '{database}': "
        f"{len(LIBRARY)} created, 0 changed, 0 unchanged, 0 removed.\n"
    )
    saved = _saved(driver, database)
    assert saved == {name: saved_query_row(query) for name, query in LIBRARY.items()}
    assert saved["as-of"]["param_command"] == (
        ":param [{asOf, case}] => { RETURN date('2024-06-30') AS asOf, '' AS case }"
    )
    assert '"name": "asOf"' in saved["as-of"]["params"]
    again = publish(driver, database, LIBRARY)
    assert (again.created, again.changed, again.removed) == ([], [], [])
    assert sorted(again.unchanged) == sorted(LIBRARY)
    assert _saved(driver, database) == saved
    constraints, _, _ = driver.execute_query(
        "SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties, type "
        "WHERE labelsOrTypes = ['SavedQuery'] RETURN name, properties, type",
        database_=database,
    )
    assert [dict(r) for r in constraints] == [
        {"name": "casegraph_SavedQuery_name", "properties": ["name"], "type": "UNIQUENESS"}
    ]


@pytest.mark.neo4j
def test_publish_follows_the_library(graph: Neo4jServer, driver: Driver, tmp_path: Path) -> None:
    database = graph.database
    publish(driver, database, LIBRARY)
    library = _library(tmp_path, {"as-of": ("A new title", "Timeline"), "extra": ("X", "Test")})
    report = publish(driver, database, library)
    assert (report.created, report.changed, report.unchanged) == (["extra"], ["as-of"], [])
    assert report.removed == sorted(set(LIBRARY) - {"as-of"})
    saved = _saved(driver, database)
    assert sorted(saved) == ["as-of", "extra"]
    assert saved["as-of"]["title"] == "A new title"
    assert saved["as-of"]["param_command"] == ""
    assert "asOf" not in saved["as-of"]["params"]
