"""Shared helpers for tests: run the CLI, load the small test ontology, copy fixtures, and
the caller's environment kept out of the tests (``clear_caller_environment``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from loader.model.ontology import Ontology, load_ontology

if TYPE_CHECKING:
    from neo4j import Driver

    from tests.conftest import Neo4jServer

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TEST_ONTOLOGY = DATA / "ontology.yaml"

# Variables that tell the test run itself what to do (fail rather than skip, rewrite the
# golden files); casegraph never reads them.
HARNESS_NAMES = frozenset(
    {
        "CASEGRAPH_REQUIRE_NEO4J",
        "CASEGRAPH_REQUIRE_SCAN",
        "CASEGRAPH_REQUIRE_BROWSER",
        "CASEGRAPH_REGEN_GOLDEN",
    }
)
HARNESS: dict[str, str] = {}
CALLER_VARIABLES: dict[str, str] = {}  # what clear_caller_environment took away


def clear_caller_environment() -> None:
    """Take every ``CASEGRAPH_*`` and ``NEO4J_*`` variable out of this process's environment,
    keeping the harness's own in ``HARNESS``: the tests, and the casegraph processes they
    start, see only what a test sets itself, whatever the caller exported."""
    for name in [n for n in os.environ if n.startswith(("CASEGRAPH_", "NEO4J_"))]:
        value = os.environ.pop(name)
        CALLER_VARIABLES[name] = value
        if name in HARNESS_NAMES:
            HARNESS[name] = value


def harness(name: str) -> bool:
    """Whether the harness variable ``name`` is set to 1."""
    assert name in HARNESS_NAMES, name
    return HARNESS.get(name, "").strip() == "1"


def mini_ontology() -> Ontology:
    return load_ontology(TEST_ONTOLOGY)


def copy_mini(dest: Path) -> Path:
    target = dest / "mini"
    shutil.copytree(DATA / "mini", target)
    return target


def casegraph(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    full_env = dict(env if env is not None else os.environ)
    return subprocess.run(
        [sys.executable, "-m", "loader", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=600,
        check=False,
    )


def load_seed(server: Neo4jServer, driver: Driver) -> Neo4jServer:
    """Empty the server's database and load seed/ into it with the CLI; must succeed."""
    from tests.conftest import wipe

    wipe(driver, server.database)
    done = casegraph("load", "seed/", env=server.env())
    assert done.returncode == 0, done.stdout + done.stderr
    return server


def counts(driver: Driver, database: str) -> tuple[int, int]:
    """Nodes and relationships in the database, casegraph's own LoadRun and LoadLock left out."""
    records, _, _ = driver.execute_query(
        "MATCH (n) WHERE NOT n:LoadRun AND NOT n:LoadLock WITH count(n) AS n "
        "OPTIONAL MATCH ()-[r]->() RETURN n, count(r) AS r",
        database_=database,
    )
    return records[0]["n"], records[0]["r"]


def free_port() -> int:
    """A port free on 127.0.0.1 now (the tests' servers listen on such ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
