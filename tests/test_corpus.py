"""The bad-input corpus (tests/corpus/): each case is refused with exactly the lines of its
expected.txt and exit code 1, within a memory and time bound, and the database is unchanged.

Also the positive twins: values crafted to break out of Cypher load verbatim, and a file
that starts with a byte order mark loads.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from neo4j import Driver

from tests.conftest import Neo4jServer, wipe
from tests.dump import canonical_dump
from tests.helpers import DATA, ROOT, TEST_ONTOLOGY

pytestmark = pytest.mark.neo4j

CORPUS = Path(__file__).parent / "corpus"
REPEAT = re.compile(r'\{\{repeat "(.*?)" (\d+)\}\}')
MEMORY = 2 * 1024**3  # bytes of address space for one casegraph run
TIMEOUT = 60  # seconds for one casegraph run


def _cases() -> Iterator[Any]:
    for case in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        reason = case / "xfail.txt"
        marks = (
            [pytest.mark.xfail(strict=True, reason=reason.read_text(encoding="utf-8").strip())]
            if reason.exists()
            else []
        )
        yield pytest.param(case, id=case.name, marks=marks)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_load(server: Neo4jServer, path: Path, ontology: Path) -> subprocess.CompletedProcess[str]:
    """``casegraph load path`` under the memory and time bound."""
    env = server.env()
    env.update(CASEGRAPH_ONTOLOGY=str(ontology), PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "loader", "load", str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=ROOT,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,  # the tests start no threads of their own
        check=False,
    )


def materialize(case: Path, dest: Path) -> Path:
    """Copy the case's inputs to ``dest``, generating ``*.template`` files."""
    target = dest / case.name
    shutil.copytree(
        case, target, ignore=shutil.ignore_patterns("expected.txt", "xfail.txt", "*.template")
    )
    for template in case.glob("*.template"):
        text = template.read_text(encoding="utf-8")
        text = REPEAT.sub(lambda m: m.group(1) * int(m.group(2)), text)
        (target / template.name.removesuffix(".template")).write_text(text, encoding="utf-8")
    return target


def load_runs(driver: Driver, database: str) -> int:
    records, _, _ = driver.execute_query(
        "MATCH (l:LoadRun) RETURN count(l) AS c", database_=database
    )
    count: int = records[0]["c"]
    return count


def _load_baseline(server: Neo4jServer, driver: Driver) -> dict[str, list[Any]]:
    wipe(driver, server.database)
    done = run_load(server, DATA / "mini", TEST_ONTOLOGY)
    assert done.returncode == 0, done.stderr
    return canonical_dump(driver, server.database)


@pytest.fixture(scope="module")
def baseline(neo4j_server: Neo4jServer, driver: Driver) -> dict[str, list[Any]]:
    """tests/data/mini, loaded once for the module."""
    return _load_baseline(neo4j_server, driver)


@pytest.fixture
def loaded(
    baseline: dict[str, list[Any]], neo4j_server: Neo4jServer, driver: Driver
) -> Neo4jServer:
    """The server holding the baseline, restored should an earlier test have changed it."""
    database = neo4j_server.database
    if canonical_dump(driver, database) != baseline:  # e.g. an xfail case that loaded
        driver.execute_query(
            "MATCH (n) WHERE NOT n:LoadRun AND coalesce(n.dataset, '') <> 'mini' DETACH DELETE n",
            database_=database,
        )
    if canonical_dump(driver, database) != baseline:
        assert _load_baseline(neo4j_server, driver) == baseline
    return neo4j_server


@pytest.mark.parametrize("case", list(_cases()))
def test_bad_input_is_refused_and_changes_nothing(
    case: Path, loaded: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    target = materialize(case, tmp_path)
    expected = [
        line.replace("{dir}", str(target))
        for line in (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    ]
    own = target / "ontology.yaml"
    before = canonical_dump(driver, loaded.database)
    runs = load_runs(driver, loaded.database)
    done = run_load(loaded, target, own if own.exists() else TEST_ONTOLOGY)
    assert done.stderr.splitlines() == expected
    assert done.returncode == 1
    assert canonical_dump(driver, loaded.database) == before
    assert load_runs(driver, loaded.database) == runs


def test_corpus_is_large_enough() -> None:
    cases = [p for p in CORPUS.iterdir() if p.is_dir()]
    assert len(cases) >= 32
    for case in cases:
        assert (case / "expected.txt").is_file(), case.name
        assert any(case.rglob("*.yaml")) or any(case.glob("*.template")), case.name


# -- the positive twins -------------------------------------------------------------------

CRAFTED = [
    "Robert'); MATCH (n) DETACH DELETE n; //",
    "back`tick`) DETACH DELETE n //",
    'double " quote, backslash \\ and \\n (not a newline)',
    "brace } and {id: 1}) and $rows and $param",
    "// a comment /* and a block */ --",
    "\uff21\uff24\uff2d\uff29\uff2e \uff5blook-alike\uff5d \u0430dmin \uff04x",  # look-alikes
    "right-to-left \u202eoverride and zero\u200bwidth",
    "emoji codes :x: :smile: stay text",
    "tab\tinside",
    "",
]
CRAFTED_TEXT = "line one\nline two\r\n\tindented } ` $x // end\n"


def _person(node_id: str, name: str, **props: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "Person", "name": name, "sources": ["crafted/src"], **props}


def _works_for(role: str, year: int) -> dict[str, Any]:
    return {
        "type": "WORKS_FOR",
        "from": "crafted/p0",
        "to": "crafted/org",
        "role": role,
        "valid_from": str(year),
        "status": "reported",
        "sources": ["crafted/src"],
    }


def test_crafted_values_load_verbatim(loaded: Neo4jServer, driver: Driver, tmp_path: Path) -> None:
    """Property values are data: whatever they contain arrives in Neo4j unchanged."""
    seed = {
        "dataset": "crafted",
        "nodes": [
            {"id": "crafted/src", "type": "Source", "title": CRAFTED[0]},
            {"id": "crafted/org", "type": "Org", "name": CRAFTED[1]},
            *[_person(f"crafted/p{i}", value) for i, value in enumerate(CRAFTED)],
            _person("crafted/all", "All of them", aliases=CRAFTED, bio=CRAFTED_TEXT),
        ],
        "relationships": [_works_for(value, 2000 + i) for i, value in enumerate(CRAFTED)],
    }
    text = yaml.safe_dump(seed, allow_unicode=True, sort_keys=False)
    assert yaml.safe_load(text) == seed  # the file says exactly what we mean
    (tmp_path / "crafted.yaml").write_text(text, encoding="utf-8")
    done = run_load(loaded, tmp_path, TEST_ONTOLOGY)
    assert done.returncode == 0, done.stderr
    try:
        records, _, _ = driver.execute_query(
            "MATCH (p:Person) WHERE p.dataset = 'crafted' AND p.id STARTS WITH 'crafted/p' "
            "RETURN p.id AS id, p.name AS name",
            database_=loaded.database,
        )
        names = {r["id"]: r["name"] for r in records}
        assert names == {f"crafted/p{i}": value for i, value in enumerate(CRAFTED)}
        records, _, _ = driver.execute_query(
            "MATCH (p:Person {id: 'crafted/all'}) RETURN p.aliases AS aliases, p.bio AS bio",
            database_=loaded.database,
        )
        assert records[0]["aliases"] == CRAFTED
        assert records[0]["bio"] == CRAFTED_TEXT
        records, _, _ = driver.execute_query(
            "MATCH (:Person {id: 'crafted/p0'})-[r:WORKS_FOR]->(o:Org {id: 'crafted/org'}) "
            "RETURN r.role AS role, o.name AS org ORDER BY r.valid_from",
            database_=loaded.database,
        )
        assert [r["role"] for r in records] == CRAFTED
        assert {r["org"] for r in records} == {CRAFTED[1]}
        records, _, _ = driver.execute_query(
            "MATCH (s:Source {id: 'crafted/src'}) RETURN s.title AS title",
            database_=loaded.database,
        )
        assert records[0]["title"] == CRAFTED[0]
    finally:
        driver.execute_query(
            "MATCH (n) WHERE n.dataset = 'crafted' DETACH DELETE n", database_=loaded.database
        )


def test_file_with_byte_order_mark_loads(
    loaded: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    text = "\ufeffdataset: bom\nnodes:\n  - {id: bom/org, type: Org, name: Ünïcode Org}\n"
    (tmp_path / "bom.yaml").write_bytes(text.encode("utf-8"))
    assert (tmp_path / "bom.yaml").read_bytes().startswith(b"\xef\xbb\xbf")
    done = run_load(loaded, tmp_path, TEST_ONTOLOGY)
    try:
        assert done.returncode == 0, done.stderr
        records, _, _ = driver.execute_query(
            "MATCH (o:Org {id: 'bom/org'}) RETURN o.name AS name, o.dataset AS dataset",
            database_=loaded.database,
        )
        assert [(r["name"], r["dataset"]) for r in records] == [("Ünïcode Org", "bom")]
    finally:
        driver.execute_query(
            "MATCH (n) WHERE n.dataset = 'bom' DETACH DELETE n", database_=loaded.database
        )
