"""The Neo4j password never leaves casegraph: not on stdout or stderr, not in a traceback,
not in --json output, exports, LoadRun nodes, transaction metadata or the server's logs.

Successful runs use a user created for this module with a distinctive password (the server's
own password when users cannot be created); failure paths use another distinctive password.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase, Query, Session
from neo4j.exceptions import Neo4jError
from typer.testing import CliRunner

from loader.cli.app import app
from tests.conftest import Neo4jServer
from tests.helpers import DATA, ROOT, TEST_ONTOLOGY, casegraph, free_port

pytestmark = pytest.mark.neo4j

SECRET = "Quokka-7731-s3cr3t'\"`$}{-zebra"  # the password of a successful run
WRONG = "Wombat-4455-wr0ng'\"`$-password"  # a password the server refuses
PROBE_USER = "casegraph_secret_probe"

SAVED_QUERY = """// Count the nodes
// name: count-nodes
// description: How many nodes the database holds.
// category: Test

MATCH (n) RETURN count(n) AS nodes
"""


def secrets_of(server: Neo4jServer, user: tuple[str, str]) -> list[str]:
    found = [SECRET, WRONG, user[1]]
    if len(server.password) >= 6:
        found.append(server.password)
    return found


def assert_clean(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text
    assert "Quokka" not in text  # not even part of it
    assert "Wombat" not in text


@pytest.fixture(scope="module")
def user(neo4j_server: Neo4jServer, driver: Driver) -> Iterator[tuple[str, str]]:
    """(username, password) for successful runs: a user with the distinctive password."""
    try:
        driver.execute_query(
            "CREATE OR REPLACE USER $user SET PLAINTEXT PASSWORD $password CHANGE NOT REQUIRED",
            user=PROBE_USER,
            password=SECRET,
            database_="system",
        )
    except Neo4jError as exc:  # a server where this user may not create users
        warnings.warn(f"using the server's password, not a distinctive one: {exc}", stacklevel=1)
        yield neo4j_server.username, neo4j_server.password
        return
    try:
        yield PROBE_USER, SECRET
    finally:
        driver.execute_query("DROP USER $user IF EXISTS", user=PROBE_USER, database_="system")


def env_for(
    server: Neo4jServer, user: tuple[str, str] | None = None, **extra: str
) -> dict[str, str]:
    env = server.env()
    if user is not None:
        env.update(NEO4J_USERNAME=user[0], NEO4J_PASSWORD=user[1])
    env.update(CASEGRAPH_ONTOLOGY=str(TEST_ONTOLOGY), **extra)
    return env


def one_error_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    lines = done.stderr.splitlines()
    assert done.returncode == code, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def loadrun_values(driver: Driver, database: str) -> list[Any]:
    records, _, _ = driver.execute_query(
        "MATCH (l:LoadRun) RETURN properties(l) AS p", database_=database
    )
    return [r["p"] for r in records]


# -- load ---------------------------------------------------------------------------------


def test_successful_load_and_dry_run(
    empty_db: Neo4jServer, driver: Driver, user: tuple[str, str]
) -> None:
    secrets = secrets_of(empty_db, user)
    env = env_for(empty_db, user)
    done = casegraph("load", str(DATA / "mini"), "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"
    assert_clean(done.stdout + done.stderr, secrets)
    for args in (["--dry-run"], ["--dry-run", "--json", "--prune"], []):
        again = casegraph("load", str(DATA / "mini"), *args, env=env)
        assert again.returncode == 0, again.stderr
        assert_clean(again.stdout + again.stderr, secrets)
    runs = loadrun_values(driver, empty_db.database)
    assert runs  # a rerun of unchanged input may be skipped without a LoadRun
    assert_clean(json.dumps(runs, default=str, ensure_ascii=False), secrets)
    records, _, _ = driver.execute_query(
        "MATCH (n) RETURN properties(n) AS p UNION ALL MATCH ()-[r]->() RETURN properties(r) AS p",
        database_=empty_db.database,
    )
    assert_clean(json.dumps([r["p"] for r in records], default=str, ensure_ascii=False), secrets)


def test_wrong_password(neo4j_server: Neo4jServer, user: tuple[str, str]) -> None:
    env = env_for(neo4j_server, (user[0], WRONG))
    for args in (["load", str(DATA / "mini")], ["load", str(DATA / "mini"), "--dry-run"]):
        done = casegraph(*args, env=env)
        assert "refused user" in one_error_line(done, 3)
        assert_clean(done.stdout + done.stderr, secrets_of(neo4j_server, user))


def test_unreachable_host(neo4j_server: Neo4jServer, user: tuple[str, str]) -> None:
    env = env_for(neo4j_server, user, NEO4J_URI=f"bolt://127.0.0.1:{free_port()}")
    done = casegraph("load", str(DATA / "mini"), "--json", env=env)
    assert "cannot reach Neo4j" in one_error_line(done, 3)
    assert done.stdout == ""
    assert_clean(done.stdout + done.stderr, secrets_of(neo4j_server, user))


def test_unknown_database(neo4j_server: Neo4jServer, user: tuple[str, str]) -> None:
    env = env_for(neo4j_server, user, NEO4J_DATABASE="nosuchdb")
    done = casegraph("load", str(DATA / "mini"), env=env)
    assert "'nosuchdb'" in one_error_line(done, 3)
    assert_clean(done.stdout + done.stderr, secrets_of(neo4j_server, user))


# -- the other commands -------------------------------------------------------------------


def test_validate_and_exports(
    neo4j_server: Neo4jServer, user: tuple[str, str], tmp_path: Path
) -> None:
    secrets = secrets_of(neo4j_server, user)
    env = env_for(neo4j_server, user)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "bad.yaml").write_text("nodes:\n  - {id: o/1, type: Org}\n", encoding="utf-8")
    runs = [
        casegraph("validate", str(DATA / "mini"), env=env),
        casegraph("validate", str(bad), env=env),
        casegraph("load", str(bad), env=env),
        casegraph("export", "cypher", "-", "-i", str(DATA / "mini"), env=env),
        casegraph(
            "export", "cypher", str(tmp_path / "case.cypher"), "-i", str(DATA / "mini"), env=env
        ),
        casegraph("export", "admin-csv", str(tmp_path / "csv"), "-i", str(DATA / "mini"), env=env),
        casegraph("export", "cypher", "-", "-i", str(bad), env=env),
    ]
    assert [r.returncode for r in runs] == [0, 1, 1, 0, 0, 0, 1]
    for done in runs:
        assert_clean(done.stdout + done.stderr, secrets)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".yaml"]
    assert len(written) > 2
    for path in written:
        assert_clean(path.read_text(encoding="utf-8"), secrets)


def test_server_commands(neo4j_server: Neo4jServer, user: tuple[str, str], tmp_path: Path) -> None:
    """status and browser of the test server (or of an empty home), and a start that fails."""
    secrets = secrets_of(neo4j_server, user)
    home = neo4j_server.home or tmp_path / "no-server"
    env = env_for(neo4j_server, user, CASEGRAPH_NEO4J_HOME=str(home))
    status = casegraph("neo4j", "status", env=env)
    assert status.returncode == (0 if neo4j_server.home else 1), status.stderr
    browser = casegraph("browser", env=env)
    assert browser.returncode == 0, browser.stderr
    with socket_taken() as port:
        start_env = env_for(
            neo4j_server,
            user,
            CASEGRAPH_NEO4J_HOME=str(tmp_path / "new-home"),
            CASEGRAPH_BOLT_PORT=str(port),
            CASEGRAPH_HTTP_PORT=str(port),
        )
        start = casegraph("neo4j", "start", env=start_env)
    assert start.returncode == 1, start.stdout + start.stderr
    assert start.stderr.startswith("Using Java ")  # which Java, then why it did not start
    assert start.stderr.splitlines()[-1].startswith("Error: port ")
    for done in (status, browser, start):
        assert_clean(done.stdout + done.stderr, secrets)


@contextmanager
def socket_taken() -> Iterator[int]:
    """A listening socket on a free port, so that `neo4j start` finds the port taken."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_query_commands(empty_db: Neo4jServer, user: tuple[str, str], tmp_path: Path) -> None:
    secrets = secrets_of(empty_db, user)
    library = tmp_path / "queries"
    library.mkdir()
    (library / "count-nodes.cypher").write_text(SAVED_QUERY, encoding="utf-8")
    lib = ["--queries", str(library)]
    env = env_for(empty_db, user)
    ok = [
        casegraph("query", "list", *lib, env=env),
        casegraph("query", "show", "count-nodes", *lib, env=env),
        casegraph("query", "run", "count-nodes", *lib, env=env),
        casegraph("query", "run", "count-nodes", "--format", "json", *lib, env=env),
    ]
    assert [r.returncode for r in ok] == [0, 0, 0, 0], [r.stderr for r in ok]
    assert json.loads(ok[3].stdout) == [{"nodes": 0}]
    wrong = casegraph("query", "run", "count-nodes", *lib, env=env_for(empty_db, (user[0], WRONG)))
    assert "refused user" in one_error_line(wrong, 3)
    unknown = casegraph("query", "run", "no-such-query", *lib, env=env)
    assert unknown.returncode == 2
    for done in [*ok, wrong, unknown]:
        assert_clean(done.stdout + done.stderr, secrets)


# -- tracebacks ---------------------------------------------------------------------------

FAULT = """
import sys
import loader.write.writer

def explode(*args, **kwargs):
    raise RuntimeError("fault injected by test_secrets")

loader.write.writer.load = explode
from loader.cli.app import main
sys.argv = ["casegraph", "load", sys.argv[1]]
main()
"""


def test_traceback_after_connecting_hides_the_password(
    empty_db: Neo4jServer, user: tuple[str, str]
) -> None:
    """A bug after the driver is open (injected here) shows a traceback, never the password."""
    env = env_for(empty_db, user, COLUMNS="200")
    done = subprocess.run(
        [sys.executable, "-c", FAULT, str(DATA / "mini")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "fault injected by test_secrets" in done.stderr
    assert "Traceback" in done.stderr
    assert_clean(done.stdout + done.stderr, secrets_of(empty_db, user))
    plain = subprocess.run(
        [sys.executable, "-c", FAULT, str(DATA / "mini")],
        capture_output=True,
        text=True,
        env={**env, "_TYPER_STANDARD_TRACEBACK": "1"},
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert "fault injected by test_secrets" in plain.stderr
    assert_clean(plain.stdout + plain.stderr, secrets_of(empty_db, user))


def test_traceback_in_validation_hides_the_password(
    neo4j_server: Neo4jServer, user: tuple[str, str], tmp_path: Path
) -> None:
    """An input that crashes the validator (a bug: see the corpus case url-bad-ipv6-host)."""
    (tmp_path / "crash.yaml").write_text(
        "nodes:\n  - {id: o/1, type: Org, name: O, homepage: 'http://[oops'}\n", encoding="utf-8"
    )
    done = casegraph("load", str(tmp_path), env=env_for(neo4j_server, user))
    assert done.returncode == 1
    assert_clean(done.stdout + done.stderr, secrets_of(neo4j_server, user))


# -- transaction metadata -----------------------------------------------------------------


def check_metadata(seen: list[dict[str, Any]], secrets: list[str]) -> None:
    for metadata in seen:
        assert metadata.get("app") == "casegraph", metadata
        for key, value in metadata.items():
            assert not any(word in key.lower() for word in ("pass", "auth", "cred", "uri")), key
            assert value is None or isinstance(value, str | int | float | bool), metadata
    assert_clean(json.dumps(seen, default=str), secrets)


def test_transaction_metadata_of_the_cli(
    empty_db: Neo4jServer, user: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every transaction the CLI opens (load, dry run, batched load, saved query), in-process:
    its metadata names casegraph and holds no secret."""
    seen: list[dict[str, Any]] = []
    real_open = Session._open_transaction
    real_run = Session.run

    def open_transaction(self: Session, **kwargs: Any) -> Any:
        seen.append(dict(kwargs.get("metadata") or {"app": "casegraph"}))
        return real_open(self, **kwargs)

    def run(self: Session, query: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(query, Query) and query.metadata:
            seen.append(dict(query.metadata))
        return real_run(self, query, *args, **kwargs)

    monkeypatch.setattr(Session, "_open_transaction", open_transaction)
    monkeypatch.setattr(Session, "run", run)
    library = tmp_path / "queries"
    library.mkdir()
    (library / "count-nodes.cypher").write_text(SAVED_QUERY, encoding="utf-8")
    env = {
        "NEO4J_URI": empty_db.uri,
        "NEO4J_USERNAME": user[0],
        "NEO4J_PASSWORD": user[1],
        "NEO4J_DATABASE": empty_db.database,
        "CASEGRAPH_ONTOLOGY": str(TEST_ONTOLOGY),
    }
    mini = str(DATA / "mini")
    for args in (
        ["load", mini, "--json"],
        ["load", mini, "--dry-run"],
        ["load", mini, "--single-limit", "2", "--batch-size", "1"],
        ["query", "run", "count-nodes", "--queries", str(library)],
    ):
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
        assert_clean(result.output, secrets_of(empty_db, user))
    assert len(seen) >= 4
    check_metadata([m for m in seen if set(m) != {"app"}] or seen, secrets_of(empty_db, user))


def _big_seed(path: Path, count: int) -> None:
    lines = ["dataset: big", "nodes:"]
    lines += [f"  - {{id: big/{i}, type: Org, name: Org number {i}}}" for i in range(count)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_transaction_metadata_seen_by_the_server(
    empty_db: Neo4jServer, driver: Driver, user: tuple[str, str], tmp_path: Path
) -> None:
    """Best effort: poll SHOW TRANSACTIONS while a batched load runs."""
    _big_seed(tmp_path / "big.yaml", 3_000)
    env = env_for(empty_db, user)
    args = ["load", str(tmp_path), "--batch-size", "25", "--single-limit", "100"]
    seen: list[dict[str, Any]] = []
    stop = threading.Event()

    def poll() -> None:
        with GraphDatabase.driver(
            empty_db.uri, auth=(empty_db.username, empty_db.password)
        ) as watcher:
            while not stop.is_set():
                records, _, _ = watcher.execute_query(
                    "SHOW TRANSACTIONS YIELD metaData RETURN metaData",
                    database_=empty_db.database,
                )
                seen.extend(r["metaData"] for r in records if r["metaData"])
                time.sleep(0.01)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        done = casegraph(*args, env=env)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert done.returncode == 0, done.stderr
    assert_clean(json.dumps(seen, default=str), secrets_of(empty_db, user))
    ours = [m for m in seen if m.get("app") == "casegraph"]
    check_metadata(ours, secrets_of(empty_db, user))
    if not ours:
        pytest.skip("no casegraph transaction was caught by SHOW TRANSACTIONS (best effort)")


# -- the server's logs (last: after every run above) --------------------------------------


def test_server_logs_hold_no_password(neo4j_server: Neo4jServer, user: tuple[str, str]) -> None:
    if neo4j_server.home is None:
        pytest.skip("the server's logs are not on this machine")
    logs = [p for p in (neo4j_server.home / "logs").rglob("*") if p.is_file()]
    assert logs
    for path in logs:
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in (SECRET, WRONG):
            assert secret not in text, path
