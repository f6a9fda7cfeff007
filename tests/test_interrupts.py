"""Loads stopped from outside, against the real Neo4j: SIGINT and SIGTERM (the LoadRun is
marked interrupted, exit 130 or 143, one line and no traceback, and the same load run
again gives the exact graph), a connection lost while the commit is under way (the message
says the outcome is unknown, and a rerun converges), and a batched prune under a small
transaction memory limit, interrupted and rerun."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver, GraphDatabase

from tests.conftest import Neo4jServer, wipe
from tests.dump import canonical_dump
from tests.relay import CommitCutter, commit_cutter
from tests.test_faults import PEOPLE, dump_of, start_load, write_seed

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]
BATCHED = ("--single-limit", "100", "--batch-size", "200")


def interrupted(done: str, total: int) -> str:
    """The line of a batched load stopped by a signal, as a pattern (``done``: one)."""
    return (
        rf"Error: the batched load was interrupted after {done} of {total} elements; "
        r"LoadRun [0-9a-f]{32} is marked interrupted; run the same load again to complete it"
    )


def wait_for(driver: Driver, database: str, query: str, timeout: float = 120) -> int:
    """Poll until ``query`` returns a positive count; return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = driver.execute_query(query, database_=database).records[0][0]
        if count:
            return int(count)
        time.sleep(0.02)
    raise AssertionError(f"never true: {query}")


def load_runs(driver: Driver, database: str) -> list[str]:
    records, _, _ = driver.execute_query(
        "MATCH (l:LoadRun) RETURN l.status AS s ORDER BY l.started_at", database_=database
    )
    return [r["s"] for r in records]


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_during_a_batched_load_marks_it_interrupted_and_a_rerun_converges(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path, signum: int, code: int
) -> None:
    database = empty_db.database
    seed = write_seed(tmp_path / "seed")
    whole = start_load(empty_db, seed)
    assert whole.communicate(timeout=300)[0] is not None
    assert whole.returncode == 0
    expected = canonical_dump(driver, database)
    wipe(driver, database)

    load = start_load(empty_db, seed, *BATCHED)
    written = wait_for(driver, database, "MATCH (p:Person) RETURN count(p)")
    load.send_signal(signum)
    _, stderr = load.communicate(timeout=300)
    assert load.returncode == code, stderr
    assert "Traceback" not in stderr
    (line,) = stderr.strip().splitlines()
    assert re.fullmatch(interrupted(r"\d+", 1 + 2 * PEOPLE), line), line
    assert load_runs(driver, database) == ["interrupted"]
    partial = canonical_dump(driver, database)
    assert written <= len(partial["nodes"]) < len(expected["nodes"])

    rerun = start_load(empty_db, seed, *BATCHED)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert canonical_dump(driver, database) == expected  # nothing twice, nothing missing
    assert load_runs(driver, database) == ["interrupted", "succeeded"]


def test_sigterm_during_a_single_transaction_load_leaves_the_database_as_it_was(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    database = empty_db.database
    seed = write_seed(tmp_path / "seed")
    load = start_load(empty_db, seed, "--batch-size", "200")
    wait_for(
        driver,
        database,
        "SHOW TRANSACTIONS YIELD metaData WHERE metaData.app = 'casegraph' "
        "AND metaData.load_run IS NOT NULL RETURN count(*)",
    )
    load.send_signal(signal.SIGTERM)
    _, stderr = load.communicate(timeout=300)
    assert load.returncode == 143, stderr
    assert stderr.strip().splitlines() == [
        "Error: the load was interrupted: its transaction was not committed, so the database "
        "is unchanged; run the same load again to complete it"
    ]
    assert canonical_dump(driver, database) == {"nodes": [], "relationships": []}
    assert load_runs(driver, database) == []


@pytest.fixture
def cutter(empty_db: Neo4jServer) -> Iterator[CommitCutter]:
    with commit_cutter(empty_db, b"CREATE (l:LoadRun") as relay:
        yield relay


def test_a_connection_lost_during_the_commit_says_the_outcome_is_unknown(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path, cutter: CommitCutter
) -> None:
    database = empty_db.database
    seed = write_seed(tmp_path / "seed")
    load = start_load(cutter.server(empty_db), seed)
    _, stderr = load.communicate(timeout=300)
    assert cutter.cut.is_set()
    assert load.returncode == 3, stderr
    assert stderr.strip().splitlines() == [
        "Error: lost the connection to Neo4j while the load's transaction was committing: "
        "whether it was committed is unknown; run the same load again, which converges "
        "either way (IncompleteCommit)"
    ]
    rerun = start_load(empty_db, seed, "--json")
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    records, _, _ = driver.execute_query(
        "MATCH (p:Person) RETURN count(p) AS people", database_=database
    )
    assert records[0]["people"] == PEOPLE
    totals = json.loads(out)["totals"]
    elements = 1 + 2 * PEOPLE
    # committed: the rerun finds it all (skipped as unchanged); not committed: it writes it
    assert (totals["created"], totals["unchanged"]) in {(0, elements), (elements, 0)}


def shrunk(seed: Path, tmp_path: Path, kept: int) -> Path:
    """The seed with only the source and its first ``kept`` people, no KNOWS."""
    small = tmp_path / "small"
    small.mkdir(exist_ok=True)
    lines = (seed / "people.yaml").read_text(encoding="utf-8").splitlines()
    (small / "people.yaml").write_text("\n".join(lines[: 3 + kept]) + "\n", encoding="utf-8")
    return small


def test_a_batched_prune_under_a_small_memory_limit_halves_and_converges_when_interrupted(
    small_memory_server: Neo4jServer, tmp_path: Path
) -> None:
    server = small_memory_server
    seed = write_seed(tmp_path / "seed")
    kept = 100
    small = shrunk(seed, tmp_path, kept)
    auth = (server.username, server.password)

    def load(folder: Path, *args: str) -> dict[str, object]:
        done = start_load(server, folder, "--json", "--single-limit", "100", *args)
        out, err = done.communicate(timeout=600)
        assert done.returncode == 0, err
        report: dict[str, object] = json.loads(out)
        return report

    # in one go: transactions of 5,000 deletions need more than 8 MB, and are halved
    load(seed, "--batch-size", "1000")
    report = load(small, "--prune", "--batch-size", "5000")
    assert report["totals"]["deleted"] == PEOPLE + PEOPLE - kept  # type: ignore[index]
    assert report["batch_halvings"] > 0
    dump = dump_of(server)
    assert len(dump["nodes"]) == 1 + kept  # type: ignore[index]
    assert dump["relationships"] == []  # type: ignore[index]

    # interrupted once it is under way (some KNOWS deleted, not all), then run again
    load(seed, "--batch-size", "1000")
    with GraphDatabase.driver(server.uri, auth=auth, notifications_min_severity="OFF") as drv:
        prune = start_load(server, small, "--prune", *BATCHED)
        wait_for(
            drv,
            "neo4j",
            f"MATCH ()-[r:KNOWS]->() RETURN toInteger(count(r) < {PEOPLE})",
            timeout=300,
        )
        prune.send_signal(signal.SIGTERM)
        _, err = prune.communicate(timeout=300)
        assert prune.returncode == 143, err  # not 0: the prune was still under way
        (line,) = err.strip().splitlines()  # no traceback
        # every batch of the small input was written: the prune was under way
        assert re.fullmatch(interrupted(str(1 + kept), 1 + kept), line), line
        left = drv.execute_query("MATCH ()-[r:KNOWS]->() RETURN count(r)").records[0][0]
    assert 0 <= left < PEOPLE
    report = load(small, "--prune", *BATCHED)
    assert dump_of(server) == dump  # the same graph as the prune in one go
