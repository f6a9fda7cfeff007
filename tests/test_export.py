"""Exporters: golden files, and each export loaded by the real tool gives the loaded graph."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

from loader.check.validate import read_graph
from loader.cypher import literal
from loader.export.exports import cypher_script, write_admin_csv
from loader.plan.build import build_plan
from loader.server import jars, localserver
from loader.server.java import check_java
from tests.conftest import Neo4jServer, neo4j_version, wipe
from tests.dump import canonical_dump
from tests.helpers import DATA, TEST_ONTOLOGY, casegraph, free_port, mini_ontology
from tests.test_plan import check_golden

FIXED_NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)


def mini_plan(path: Path = DATA / "mini"):  # type: ignore[no-untyped-def]
    ont = mini_ontology()
    return build_plan(read_graph([path], ont), ont, batch_size=1000), ont


def test_cypher_script_golden() -> None:
    plan, _ = mini_plan()
    check_golden("export-mini.cypher", cypher_script(plan))


def test_admin_csv_golden(tmp_path: Path) -> None:
    plan, ont = mini_plan()
    args = write_admin_csv(plan, ont, tmp_path, now=FIXED_NOW)
    assert args == [
        "--nodes=Org=./nodes-Org.csv",
        "--nodes=Person=./nodes-Person.csv",
        "--nodes=Source=./nodes-Source.csv",
        "--relationships=KNOWS=./relationships-KNOWS.csv",
        "--relationships=WORKS_FOR=./relationships-WORKS_FOR.csv",
        "--array-delimiter=U+001F",
        "--multiline-fields=true",
    ]
    for name in ("nodes-Person.csv", "relationships-WORKS_FOR.csv", "README.md"):
        check_golden(f"admin-csv-{name}", (tmp_path / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("it's", "'it\\'s'", id="quote"),
        pytest.param("a\\b", "'a\\\\b'", id="backslash"),
        pytest.param("two\nlines", "'two\\nlines'", id="newline"),
        pytest.param("\u2028", "'\\u2028'", id="line-separator"),
        pytest.param(dt.date(2023, 12, 1), "date('2023-12-01')", id="date"),
        pytest.param([1, 2.5, True, None], "[1, 2.5, true, null]", id="list"),
        pytest.param({"a`b": "x"}, "{`a``b`: 'x'}", id="map-key"),
    ],
)
def test_literal(value: object, expected: str) -> None:
    assert literal(value) == expected


def run_cypher_shell(server: Neo4jServer, script: Path) -> None:
    java = check_java()
    env = dict(os.environ, NEO4J_PASSWORD=server.password)
    done = subprocess.run(
        localserver.cypher_shell_command(
            java,
            "-a",
            server.uri,
            "-u",
            server.username,
            "-d",
            server.database,
            "--format",
            "plain",
            "-f",
            str(script),
        ),
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout


def loaded_dump(server: Neo4jServer, driver: Driver, seed: Path) -> dict[str, list[object]]:
    wipe(driver, server.database)
    env = server.env()
    env["CASEGRAPH_ONTOLOGY"] = str(TEST_ONTOLOGY)
    done = casegraph("load", str(seed), env=env)
    assert done.returncode == 0, done.stderr
    return canonical_dump(driver, server.database)


@pytest.mark.neo4j
@pytest.mark.parametrize("seed", [DATA / "mini", DATA / "hostile.yaml"], ids=["mini", "hostile"])
def test_cypher_export_in_cypher_shell_equals_load(
    neo4j_server: Neo4jServer, driver: Driver, tmp_path: Path, seed: Path
) -> None:
    expected = loaded_dump(neo4j_server, driver, seed)
    wipe(driver, neo4j_server.database)
    plan, _ = mini_plan(seed)
    script = tmp_path / "export.cypher"
    script.write_text(cypher_script(plan), encoding="utf-8")
    run_cypher_shell(neo4j_server, script)
    assert canonical_dump(driver, neo4j_server.database) == expected
    run_cypher_shell(neo4j_server, script)  # idempotent
    assert canonical_dump(driver, neo4j_server.database) == expected
    if seed.name == "hostile.yaml":
        records, _, _ = driver.execute_query(
            "MATCH (p:Person {id: 'p/x'}) RETURN p.name AS name, p.bio AS bio",
            database_=neo4j_server.database,
        )
        assert records[0]["name"] == "Robert'); MATCH (n) DETACH DELETE n; //"
        assert records[0]["bio"] == "line one\nline two\r\n\ttabbed } ` $x"


@pytest.mark.neo4j
@pytest.mark.slow
def test_admin_csv_import_equals_load(
    neo4j_server: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    expected = loaded_dump(neo4j_server, driver, DATA / "mini")
    plan, ont = mini_plan()
    csv_dir = tmp_path / "csv"
    args = write_admin_csv(plan, ont, csv_dir)
    # a server home of its own: the importer needs a stopped server and writes its store
    home = tmp_path / "import-home"
    config = localserver.ServerConfig(
        home=home,
        bolt_port=free_port(),
        http_port=free_port(),
        heap="512m",
        pagecache="256m",
        version=neo4j_version(),  # the importer and the server of the run's version
    )
    for sub in ("conf", "data", "logs", "run", "import"):
        (home / sub).mkdir(parents=True)
    (home / "conf" / "neo4j.conf").write_text(localserver.render_conf(config))
    java = check_java(config.version)
    done = subprocess.run(
        localserver.admin_command(
            java,
            jars.fetch_jars(java, version=config.version),
            "database",
            "import",
            "full",
            "neo4j",
            *args,
            "--overwrite-destination",
        ),
        cwd=csv_dir,
        env=localserver.java_env(home),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    localserver.password_file(home).write_text("import-test-pw\n")
    saved = os.environ.pop("NEO4J_PASSWORD", None)
    try:
        state = localserver.start(config)
    finally:
        if saved is not None:
            os.environ["NEO4J_PASSWORD"] = saved
    try:
        with GraphDatabase.driver(state.bolt_uri, auth=("neo4j", "import-test-pw")) as imported:
            assert canonical_dump(imported, "neo4j") == expected
    finally:
        localserver.stop(home)
        shutil.rmtree(home, ignore_errors=True)
