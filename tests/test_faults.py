"""The server killed mid-load (kill -9): after a restart and a rerun, the exact graph.

Runs on a server of its own, since it kills it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

from loader.server import localserver
from tests.conftest import Neo4jServer, wipe
from tests.dump import canonical_dump
from tests.helpers import ROOT, TEST_ONTOLOGY, casegraph, free_port

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]
PASSWORD = "fault-test-pw-1"
PEOPLE = 6000


def write_seed(folder: Path) -> Path:
    folder.mkdir()
    lines = ["dataset: faults", "nodes:", "  - {id: src/s, type: Source, title: S}"]
    lines += [
        f"  - {{id: p/{i}, type: Person, name: Person {i}, age: {i % 90}, sources: [src/s]}}"
        for i in range(PEOPLE)
    ]
    lines.append("relationships:")
    lines += [
        f"  - {{type: KNOWS, from: p/{i}, to: p/{(i * 7 + 1) % PEOPLE}}}" for i in range(PEOPLE)
    ]
    (folder / "people.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def run_own_server(
    tmp_path: Path, settings: dict[str, str] | None = None
) -> Iterator[tuple[localserver.ServerConfig, Neo4jServer]]:
    config = localserver.ServerConfig(
        home=tmp_path / "home",
        bolt_port=free_port(),
        http_port=free_port(),
        heap="512m",
        pagecache="256m",
        settings=settings or {},
    )
    config.home.mkdir()
    localserver.password_file(config.home).write_text(PASSWORD + "\n")
    saved = os.environ.pop("NEO4J_PASSWORD", None)
    try:
        state = localserver.start(config)
    finally:
        if saved is not None:
            os.environ["NEO4J_PASSWORD"] = saved
    server = Neo4jServer(state.bolt_uri, "neo4j", PASSWORD, "neo4j", "own")
    try:
        yield config, server
    finally:
        localserver.stop(config.home)


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[localserver.ServerConfig, Neo4jServer]]:
    yield from run_own_server(tmp_path)


def start_load(
    server: Neo4jServer, seed: Path, *args: str, retry_seconds: str = "3"
) -> subprocess.Popen[str]:
    env = server.env()
    env.update(CASEGRAPH_ONTOLOGY=str(TEST_ONTOLOGY), CASEGRAPH_RETRY_SECONDS=retry_seconds)
    return subprocess.Popen(
        [sys.executable, "-m", "loader", "load", str(seed), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when(server: Neo4jServer, pid: int, query: str, timeout: float = 120) -> int:
    """SIGKILL the server once ``query`` returns a positive count; return that count."""
    deadline = time.monotonic() + timeout
    auth = (server.username, server.password)
    with GraphDatabase.driver(server.uri, auth=auth, notifications_min_severity="OFF") as drv:
        while time.monotonic() < deadline:
            count = drv.execute_query(query, database_="neo4j").records[0][0]
            if count:
                os.kill(pid, signal.SIGKILL)
                return int(count)
            time.sleep(0.02)
    raise AssertionError("the load never reached the point to kill the server")


def expected_dump(session_server: Neo4jServer, driver: Driver, seed: Path) -> object:
    wipe(driver, session_server.database)
    env = session_server.env()
    env["CASEGRAPH_ONTOLOGY"] = str(TEST_ONTOLOGY)
    done = casegraph("load", str(seed), env=env)
    assert done.returncode == 0, done.stderr
    return canonical_dump(driver, session_server.database)


def dump_of(server: Neo4jServer) -> object:
    with GraphDatabase.driver(server.uri, auth=(server.username, server.password)) as drv:
        return canonical_dump(drv, "neo4j")


def restart(config: localserver.ServerConfig) -> None:
    state = localserver.read_state(config.home)
    assert state is not None
    for _ in range(300):  # the killed JVM must be gone before its ports are reused
        if not localserver.process_alive(state.pid) and localserver.port_free(state.bolt_port):
            break
        time.sleep(0.1)
    localserver.start(config)


def test_kill_9_during_a_batched_load_then_rerun(
    own_server: tuple[localserver.ServerConfig, Neo4jServer],
    neo4j_server: Neo4jServer,
    driver: Driver,
    tmp_path: Path,
) -> None:
    config, server = own_server
    seed = write_seed(tmp_path / "seed")
    expected = expected_dump(neo4j_server, driver, seed)
    state = localserver.read_state(config.home)
    assert state is not None
    load = start_load(server, seed, "--single-limit", "100", "--batch-size", "200")
    written = kill_when(server, state.pid, "MATCH (p:Person) RETURN count(p)")
    _, stderr = load.communicate(timeout=300)
    assert load.returncode in {1, 3}
    assert stderr.startswith("Error: "), stderr
    assert len(stderr.strip().splitlines()) == 1
    restart(config)
    partial = dump_of(server)
    assert 0 < written <= len(partial["nodes"]) < len(expected["nodes"])  # type: ignore[index]
    with GraphDatabase.driver(server.uri, auth=(server.username, server.password)) as drv:
        runs = drv.execute_query("MATCH (l:LoadRun) RETURN l.status AS s").records
    assert [r["s"] for r in runs] == ["running"]  # the server died: nobody could mark it
    rerun = start_load(server, seed, "--single-limit", "100", "--batch-size", "200")
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert dump_of(server) == expected  # no duplicates, nothing missing


def test_kill_9_during_a_single_transaction_load_leaves_nothing(
    own_server: tuple[localserver.ServerConfig, Neo4jServer], tmp_path: Path
) -> None:
    config, server = own_server
    seed = write_seed(tmp_path / "seed")
    state = localserver.read_state(config.home)
    assert state is not None
    load = start_load(server, seed, "--batch-size", "200")
    # the LoadRun node is written first in the same transaction: kill once the load is
    # under way, seen from outside as a running transaction with casegraph's metadata
    kill_when(
        server,
        state.pid,
        "SHOW TRANSACTIONS YIELD metaData WHERE metaData.app = 'casegraph' RETURN count(*)",
    )
    _, stderr = load.communicate(timeout=300)
    assert load.returncode in {1, 3}
    assert len(stderr.strip().splitlines()) == 1, stderr
    restart(config)
    assert dump_of(server) == {"nodes": [], "relationships": []}
    with GraphDatabase.driver(server.uri, auth=(server.username, server.password)) as drv:
        assert drv.execute_query("MATCH (l:LoadRun) RETURN count(l)").records[0][0] == 0


def test_concurrent_loads_of_one_dataset_are_serialised(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = write_seed(tmp_path / "seed")
    for args in ((), ("--single-limit", "100", "--batch-size", "500")):
        wipe(driver, empty_db.database)
        loads = [start_load(empty_db, seed, "--json", *args) for _ in range(2)]
        outputs = [load.communicate(timeout=600) for load in loads]
        assert [load.returncode for load in loads] == [0, 0], [err for _, err in outputs]
        totals = sorted(
            (json.loads(out)["totals"]["created"], json.loads(out)["totals"]["unchanged"])
            for out, _ in outputs
        )
        elements = 1 + 2 * PEOPLE
        assert totals == [(0, elements), (elements, 0)]  # one wrote it all, then the other
        records, _, _ = driver.execute_query(
            "MATCH (a)-[r:KNOWS]->(b) WITH a, b, count(r) AS c WHERE c > 1 RETURN count(*) AS d",
            database_=empty_db.database,
        )
        assert records[0]["d"] == 0
        records, _, _ = driver.execute_query(
            "MATCH (p:Person) RETURN count(p) AS n", database_=empty_db.database
        )
        assert records[0]["n"] == PEOPLE


def test_transaction_memory_limit(small_memory_server: Neo4jServer, tmp_path: Path) -> None:
    server = small_memory_server
    seed = write_seed(tmp_path / "seed")
    single = start_load(server, seed, "--batch-size", "5000")
    _, err = single.communicate(timeout=600)
    assert single.returncode == 1
    assert err.startswith("Error: the load needs more transaction memory than the server allows")
    assert "--single-limit" in err
    assert dump_of(server) == {"nodes": [], "relationships": []}  # rolled back whole
    batched = start_load(server, seed, "--json", "--single-limit", "100", "--batch-size", "5000")
    out, err = batched.communicate(timeout=600)
    assert batched.returncode == 0, err
    report = json.loads(out)
    assert report["batch_halvings"] > 0  # too-big batches were split, not given up
    assert report["totals"]["created"] == 1 + 2 * PEOPLE


def test_a_batch_too_big_at_its_commit_is_halved_when_no_retry_time_is_left(
    small_memory_server: Neo4jServer, tmp_path: Path
) -> None:
    """The memory limit is often reached at the commit, after the unit of work returned.
    The driver then retries, and the unit of work, called again, asks for the halving;
    but once the retry time is used up (here: none at all, by a retry of anything
    earlier in practice) the driver raises the server's error itself, with no further
    call. That error must halve the batch too, not fail the load."""
    server = small_memory_server
    seed = write_seed(tmp_path / "seed")
    args = ("--json", "--single-limit", "100", "--batch-size", "1000")
    batched = start_load(server, seed, *args, retry_seconds="0")
    out, err = batched.communicate(timeout=600)
    assert batched.returncode == 0, err
    report = json.loads(out)
    assert report["batch_halvings"] > 0
    assert report["totals"]["created"] == 1 + 2 * PEOPLE


def test_loads_creating_the_schema_at_once_both_go_on(
    empty_db: Neo4jServer, driver: Driver
) -> None:
    """`CREATE ... IF NOT EXISTS` is not atomic: a load that creates a constraint while
    another creates the same one may get EquivalentSchemaRuleAlreadyExists. Each load
    must then find the rule there and go on, as two concurrent loads of a new database
    do (test_concurrent_loads_of_one_dataset_are_serialised)."""
    from concurrent.futures import ThreadPoolExecutor

    from loader.model.ontology import load_ontology
    from loader.plan.build import schema_statements
    from loader.write.writer import apply_schema

    schema = schema_statements(load_ontology(TEST_ONTOLOGY))
    for _ in range(5):
        wipe(driver, empty_db.database)
        with ThreadPoolExecutor(6) as pool:
            runs = [pool.submit(apply_schema, driver, empty_db.database, schema) for _ in range(6)]
            errors = [str(run.exception()) for run in runs if run.exception() is not None]
        assert errors == []
        records, _, _ = driver.execute_query("SHOW CONSTRAINTS", database_=empty_db.database)
        assert len(records) >= len(load_ontology(TEST_ONTOLOGY).labels)


def test_the_schema_step_creates_what_is_missing_and_only_that(
    empty_db: Neo4jServer, driver: Driver
) -> None:
    """One SHOW first, then the missing constraints and indexes in one transaction: from
    nothing, from a schema with two objects dropped by hand, and from a whole one."""
    from loader.model.ontology import load_ontology
    from loader.plan.build import schema_statements
    from loader.write.writer import SCHEMA_NAMES, apply_schema, missing_schema

    database = empty_db.database
    schema = schema_statements(load_ontology(TEST_ONTOLOGY))
    names = [stmt.name for stmt in schema]
    assert all(names)
    assert len(set(names)) == len(names)
    assert missing_schema(schema, names) == []
    assert missing_schema(schema, [*names[1:-1], "unrelated"]) == [schema[0], schema[-1]]

    def shown() -> list[tuple[object, ...]]:
        records, _, _ = driver.execute_query(
            "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, owningConstraint "
            "RETURN name, type, labelsOrTypes, properties, owningConstraint ORDER BY name",
            database_=database,
        )
        return [tuple(r.values()) for r in records]

    apply_schema(driver, database, schema)
    whole = shown()
    assert {row[0] for row in whole} >= set(names)
    (listed,) = driver.execute_query(SCHEMA_NAMES, database_=database).records
    assert set(listed["names"]) >= set(names)
    constraint, index = schema[0].name, schema[-1].name
    assert schema[0].text.startswith("CREATE CONSTRAINT")
    assert schema[-1].text.startswith("CREATE INDEX")
    driver.execute_query(f"DROP CONSTRAINT `{constraint}`", database_=database)
    driver.execute_query(f"DROP INDEX `{index}`", database_=database)
    assert {row[0] for row in shown()} == {row[0] for row in whole} - {constraint, index}
    apply_schema(driver, database, schema)
    assert shown() == whole  # the same objects, the same definitions
    apply_schema(driver, database, schema)  # all there: nothing to create
    assert shown() == whole
