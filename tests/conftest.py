"""Test fixtures: one real Neo4j for the whole session, never a mock.

The tests start their own server: testcontainers (``neo4j:<version>-community``) when a
Docker engine answers, else ``casegraph neo4j start`` on free ports in a temporary home
(jars from Maven Central). The version is casegraph's default (the 5.26 LTS), or the one
``pytest --neo4j-version`` names (a calendar release, for the compatibility run, whose
databases then default to Cypher 25). With ``CASEGRAPH_REQUIRE_NEO4J=1`` (CI sets it) a
missing server fails the run instead of skipping the tests that need one.

Hermetic: before anything else, every ``CASEGRAPH_*`` and ``NEO4J_*`` variable the caller
exported is taken out of the environment (``tests.helpers.clear_caller_environment``;
the harness's own, such as ``CASEGRAPH_REQUIRE_NEO4J``, are kept aside for the
fixtures), and each test starts without any, whatever an earlier test set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers import clear_caller_environment

clear_caller_environment()  # before loader is imported, whatever it reads

import signal  # noqa: E402

# a shell without job control starts background commands with SIGINT ignored, and the
# loads the tests start and interrupt would inherit that: they get Python's own handler
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

import pytest  # noqa: E402
from neo4j import Driver, GraphDatabase  # noqa: E402

from loader.cypher import quote_server_name  # noqa: E402
from loader.server import jars, localserver  # noqa: E402
from tests.helpers import free_port, harness  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
TEST_PASSWORD = "casegraph-test-pw"


@dataclass
class Neo4jServer:
    uri: str
    username: str
    password: str
    database: str
    kind: str
    version: str = "?"
    home: Path | None = None

    def env(self) -> dict[str, str]:
        """Environment for a casegraph subprocess that should use this server."""
        env = dict(os.environ)
        env.update(
            NEO4J_URI=self.uri,
            NEO4J_USERNAME=self.username,
            NEO4J_PASSWORD=self.password,
            NEO4J_DATABASE=self.database,
        )
        return env


_VERSION: list[str] = []  # the Neo4j the tests start: --neo4j-version, else casegraph's


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--neo4j-version",
        default=None,
        help="the Neo4j version the tests' servers run (default: casegraph's, the 5.26 LTS); "
        "a calendar release such as 2026.04.0 checks compatibility",
    )


def pytest_configure(config: pytest.Config) -> None:
    version = config.getoption("--neo4j-version") or jars.NEO4J_VERSION
    _VERSION[:] = [jars.check_version(version)]


def neo4j_version() -> str:
    return _VERSION[0] if _VERSION else jars.NEO4J_VERSION


def cypher_language() -> str:
    """The default language of the tests' databases: Cypher 25 on a calendar release
    (what Aura and new installs give new databases), else Cypher 5."""
    return "CYPHER 5" if neo4j_version().startswith("5.") else "CYPHER 25"


def _language_setting() -> dict[str, str]:
    """Cypher 25 for the databases a calendar release creates (5.26 lacks the setting)."""
    if neo4j_version().startswith("5."):
        return {}
    return {"db.query.default_language": cypher_language().replace(" ", "_")}


def _docker_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0 and bool(done.stdout.strip())


def _start_server(tmp_root: Path) -> Iterator[Neo4jServer]:
    if _docker_answers():
        from testcontainers.neo4j import Neo4jContainer

        image = f"neo4j:{neo4j_version()}-community"
        container = Neo4jContainer(image, password=TEST_PASSWORD)
        for name, value in _language_setting().items():  # the image's naming of a setting
            container.with_env("NEO4J_" + name.replace("_", "__").replace(".", "_"), value)
        with container:
            yield Neo4jServer(
                uri=container.get_connection_url(),
                username="neo4j",
                password=TEST_PASSWORD,
                database="neo4j",
                kind="testcontainers",
            )
        return
    home = tmp_root / "neo4j-home"
    _, state = start_scratch_server(home, TEST_PASSWORD, heap="1g", pagecache="512m")
    try:
        yield Neo4jServer(
            uri=state.bolt_uri,
            username="neo4j",
            password=TEST_PASSWORD,
            database="neo4j",
            kind="local (casegraph neo4j start)",
            home=home,
        )
    finally:
        localserver.stop(home)


def start_scratch_server(
    home: Path,
    password: str,
    heap: str,
    pagecache: str,
    settings: dict[str, str] | None = None,
) -> tuple[localserver.ServerConfig, localserver.ServerState]:
    """A local Neo4j of the tests' own in ``home``, on free ports, with ``password``;
    its pid is recorded so that .ci/run stops it should the session die."""
    home.mkdir(parents=True, exist_ok=True)
    localserver.password_file(home).write_text(password + "\n", encoding="utf-8")
    config = localserver.ServerConfig(
        home=home,
        bolt_port=free_port(),
        http_port=free_port(),
        heap=heap,
        pagecache=pagecache,
        settings=_language_setting() | (settings or {}),
        version=neo4j_version(),
    )
    state = localserver.start(config)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "server-pids").open("a", encoding="utf-8") as pids:
        pids.write(f"{state.pid}\n")
    return config, state


_SERVER_INFO: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _no_casegraph_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no ``CASEGRAPH_*`` or ``NEO4J_*`` variable set."""
    for name in [n for n in os.environ if n.startswith(("CASEGRAPH_", "NEO4J_"))]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def neo4j_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jServer]:
    gen = _start_server(tmp_path_factory.mktemp("server"))
    try:
        server = next(gen)
    except Exception as exc:
        message = f"no Neo4j server for the tests: {type(exc).__name__}: {exc}"
        if harness("CASEGRAPH_REQUIRE_NEO4J"):
            pytest.fail(message + " (CASEGRAPH_REQUIRE_NEO4J=1)", pytrace=False)
        pytest.skip(message)
    with GraphDatabase.driver(server.uri, auth=(server.username, server.password)) as driver:
        records, _, _ = driver.execute_query(
            "CALL dbms.components() YIELD name, versions, edition "
            "RETURN name, versions[0] AS version, edition",
            database_="system",
        )
        server.version = f"{records[0]['name']} {records[0]['version']} {records[0]['edition']}"
    _SERVER_INFO.update(version=server.version, kind=server.kind, uri=server.uri)
    server.version += f", {cypher_language()}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "neo4j-version.txt").write_text(
        f"{server.version} ({server.kind}, {server.uri})\n", encoding="utf-8"
    )
    yield server
    gen.close()


@pytest.fixture(scope="session")
def driver(neo4j_server: Neo4jServer) -> Iterator[Driver]:
    with GraphDatabase.driver(
        neo4j_server.uri, auth=(neo4j_server.username, neo4j_server.password)
    ) as drv:
        yield drv


def wipe(driver: Driver, database: str) -> None:
    """Remove all data, constraints and indexes: every writing test starts from empty."""
    with driver.session(database=database) as session:
        session.run(
            "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
        ).consume()
        for record in session.run("SHOW CONSTRAINTS YIELD name RETURN name").data():
            session.run(f"DROP CONSTRAINT {quote_server_name(record['name'])}").consume()
        for record in session.run(
            "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"
        ).data():
            session.run(f"DROP INDEX {quote_server_name(record['name'])}").consume()


@pytest.fixture
def empty_db(neo4j_server: Neo4jServer, driver: Driver) -> Neo4jServer:
    """The session's server with an empty database (data and schema wiped)."""
    wipe(driver, neo4j_server.database)
    return neo4j_server


@pytest.fixture(scope="module")
def case(neo4j_server: Neo4jServer, driver: Driver) -> Neo4jServer:
    """An empty database into which seed/ was loaded once (per test module), successfully."""
    from tests.helpers import load_seed

    return load_seed(neo4j_server, driver)


@pytest.fixture
def q(case: Neo4jServer, driver: Driver) -> Any:
    """Run a read query on the loaded seed; return the records as dicts."""

    def run(query: str, **params: Any) -> list[dict[str, Any]]:
        records, _, _ = driver.execute_query(query, params, database_=case.database)
        return [record.data() for record in records]

    return run


@pytest.fixture
def small_memory_server(tmp_path: Path) -> Iterator[Neo4jServer]:
    """A server of the test's own whose transactions may use at most 8 MB."""
    home = tmp_path / "small-memory-home"
    settings = {"db.memory.transaction.max": "8m"}
    _, state = start_scratch_server(home, TEST_PASSWORD, "512m", "256m", settings)
    try:
        yield Neo4jServer(
            state.bolt_uri, "neo4j", TEST_PASSWORD, "neo4j", "small memory", home=home
        )
    finally:
        localserver.stop(home)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SERVER_INFO:
        terminalreporter.write_line(
            f"Neo4j for these tests: {_SERVER_INFO['version']} "
            f"({_SERVER_INFO['kind']}, {_SERVER_INFO['uri']})"
        )
