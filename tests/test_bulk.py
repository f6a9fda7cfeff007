"""`casegraph load --bulk`: neo4j-admin import into the empty database of the local server.

One server of the module's own (temporary home, free ports) stands for the server of
`casegraph neo4j start`; the session's server holds the reference load.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase
from typer.testing import CliRunner, Result

from loader.cli.app import app
from loader.export.exports import export_run_id, write_admin_csv
from loader.server import localserver
from loader.write import bulk
from tests.conftest import Neo4jServer, start_scratch_server, wipe
from tests.dump import canonical_dump
from tests.helpers import DATA, TEST_ONTOLOGY, casegraph, free_port
from tests.test_export import loaded_dump, mini_plan

PASSWORD = "bulk-test-pw-1"
CONNECTION_VARIABLES = ("NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE")


class BulkServer:
    def __init__(self, config: localserver.ServerConfig, driver: Driver) -> None:
        self.config = config
        self.driver = driver

    @property
    def home(self) -> Path:
        return self.config.home

    def env(self) -> dict[str, str]:
        """Environment of a casegraph that finds this server as its local one."""
        env = {k: v for k, v in os.environ.items() if k not in CONNECTION_VARIABLES}
        env.update(CASEGRAPH_NEO4J_HOME=str(self.home), CASEGRAPH_ONTOLOGY=str(TEST_ONTOLOGY))
        return env

    def pid(self) -> int:
        state = localserver.running_state(self.home)
        assert state is not None, "the local server is not running"
        return state.pid

    def node_count(self) -> int:
        records, _, _ = self.driver.execute_query("MATCH (n) RETURN count(n) AS n")
        return int(records[0]["n"])

    def schema_names(self) -> set[str]:
        return schema_names(self.driver)


def schema_names(driver: Driver) -> set[str]:
    names = {r["name"] for r in driver.execute_query("SHOW CONSTRAINTS YIELD name").records}
    indexes = driver.execute_query("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP'")
    return names | {r["name"] for r in indexes.records}


@pytest.fixture(scope="module")
def bulk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BulkServer]:
    home = tmp_path_factory.mktemp("bulk") / "home"
    try:
        config, _ = start_scratch_server(
            home,
            PASSWORD,
            heap="512m",
            pagecache="256m",
            settings={"db.transaction.timeout": "5m"},  # kept across the bulk restart
        )
    except Exception as exc:
        pytest.skip(f"no local Neo4j for the bulk tests: {type(exc).__name__}: {exc}")
    try:
        # bolt:// (not routing): the driver reconnects to the same address after a restart
        uri = f"bolt://127.0.0.1:{config.bolt_port}"
        with GraphDatabase.driver(uri, auth=("neo4j", PASSWORD)) as driver:
            yield BulkServer(config, driver)
    finally:
        localserver.stop(home)


@pytest.fixture
def empty_local(bulk_server: BulkServer) -> BulkServer:
    wipe(bulk_server.driver, "neo4j")
    return bulk_server


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.neo4j
@pytest.mark.slow
def test_bulk_equals_load_and_a_reload_is_skipped(
    neo4j_server: Neo4jServer, driver: Driver, empty_local: BulkServer
) -> None:
    expected = loaded_dump(neo4j_server, driver, DATA / "mini")
    expected_schema = schema_names(driver)
    before = empty_local.pid()

    done = casegraph("load", str(DATA / "mini"), "--bulk", "--json", env=empty_local.env())
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    plan, _ = mini_plan()
    assert report["mode"] == "bulk"
    assert report["status"] == "succeeded"
    assert report["run"] == export_run_id(plan)
    assert report["checksum"] == plan.checksum
    assert report["totals"] == {"created": 7, "changed": 0, "unchanged": 0, "deleted": 0}
    assert report["nodes"]["Person"]["created"] == 2
    assert report["relationships"]["WORKS_FOR"]["created"] == 2
    assert set(report["phases"]) == {"export_csv", "stop", "import", "restart", "constraints"}

    state = localserver.running_state(empty_local.home)
    assert state is not None
    assert state.pid != before  # restarted, with the configuration it had
    assert localserver.recorded_config(empty_local.home, state) == empty_local.config
    assert canonical_dump(empty_local.driver, "neo4j") == expected
    assert empty_local.schema_names() == expected_schema
    assert not list(empty_local.home.glob(f"data/*/{bulk.STAGING}"))  # renamed, not copied
    assert not (empty_local.home / "bulk-backup").exists()
    runs, _, _ = empty_local.driver.execute_query(
        "MATCH (l:LoadRun) RETURN l.id AS id, l.mode AS mode, l.status AS status, "
        "l.elements AS elements, l.dataset AS dataset"
    )
    assert [r.data() for r in runs] == [
        {"id": plan_run(), "mode": "bulk", "status": "succeeded", "elements": 7,
         "dataset": "mini"}
    ]  # fmt: skip

    again = casegraph("load", str(DATA / "mini"), "--json", env=empty_local.env())
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["mode"] == "skipped"
    assert canonical_dump(empty_local.driver, "neo4j") == expected


def plan_run() -> str:
    return export_run_id(mini_plan()[0])


@pytest.mark.neo4j
@pytest.mark.slow
def test_bulk_refuses_a_database_that_is_not_empty(empty_local: BulkServer) -> None:
    empty_local.driver.execute_query("CREATE (:Note {text: 'not casegraph data'})")
    before = canonical_dump(empty_local.driver, "neo4j")
    pid = empty_local.pid()
    done = casegraph("load", str(DATA / "mini"), "--bulk", env=empty_local.env())
    assert done.returncode == 1
    assert error_lines(done.stderr) == [
        "Error: --bulk loads only into an empty database, and database 'neo4j' holds 1 "
        "node(s): load without --bulk (nothing was changed)"
    ]
    assert empty_local.pid() == pid  # never stopped
    assert canonical_dump(empty_local.driver, "neo4j") == before


@pytest.mark.neo4j
@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(
            ["--uri", "neo4j://db.example.org:7687"], 2,
            "Error: --bulk loads only into casegraph's own local server (`casegraph neo4j "
            "start`), and neo4j://db.example.org:7687 is not it: load without --bulk",
            id="remote-uri",
        ),
        pytest.param(
            ["--uri", "neo4j+s://127.0.0.1:7687"], 2,
            "Error: --bulk loads only into casegraph's own local server (`casegraph neo4j "
            "start`), and neo4j+s://127.0.0.1:7687 is not it: load without --bulk",
            id="tls-uri",
        ),
        pytest.param(
            ["--dry-run"], 2,
            "Error: --bulk cannot be combined with --dry-run: a bulk load only fills an empty "
            "database; run `casegraph load --dry-run` without --bulk to see what would be "
            "created",
            id="dry-run",
        ),
        pytest.param(
            ["--prune"], 2,
            "Error: --bulk cannot be combined with --prune: --bulk fills an empty database, "
            "where there is nothing to prune",
            id="prune",
        ),
    ],
)  # fmt: skip
def test_bulk_refusals(empty_local: BulkServer, args: list[str], code: int, message: str) -> None:
    pid = empty_local.pid()
    done = casegraph("load", str(DATA / "mini"), "--bulk", *args, env=empty_local.env())
    assert done.returncode == code
    assert error_lines(done.stderr) == [message]
    assert empty_local.pid() == pid
    assert empty_local.node_count() == 0


@pytest.mark.neo4j
@pytest.mark.slow
def test_bulk_refuses_another_port_on_this_machine(empty_local: BulkServer) -> None:
    other = free_port()
    env = empty_local.env()
    env["NEO4J_URI"] = f"bolt://localhost:{other}"
    done = casegraph("load", str(DATA / "mini"), "--bulk", env=env)
    assert done.returncode == 2
    assert error_lines(done.stderr) == [
        "Error: --bulk loads only into casegraph's own local server (`casegraph neo4j start`), "
        f"and bolt://localhost:{other} is not it: load without --bulk (the local server's "
        f"Bolt port is {empty_local.config.bolt_port})"
    ]


def test_bulk_without_a_local_server(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in CONNECTION_VARIABLES}
    env.update(CASEGRAPH_NEO4J_HOME=str(tmp_path), CASEGRAPH_ONTOLOGY=str(TEST_ONTOLOGY))
    done = casegraph("load", str(DATA / "mini"), "--bulk", env=env)
    assert done.returncode == 3
    assert error_lines(done.stderr) == [
        f"Error: --bulk needs casegraph's local server and none runs in {tmp_path.resolve()}: "
        "start it with `casegraph neo4j start` (or set CASEGRAPH_NEO4J_HOME)"
    ]


def failed_bulk_load(
    server: BulkServer, monkeypatch: pytest.MonkeyPatch, export: Any
) -> tuple[Result, tuple[int, set[str]]]:
    """`casegraph load --bulk` of the mini case on ``server`` with ``export`` in place of
    the CSV export; the result, and the server's pid and schema from before."""
    monkeypatch.setattr(bulk, "write_admin_csv", export)
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    for name in CONNECTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    before = (server.pid(), server.schema_names())
    return CliRunner().invoke(app, ["load", str(DATA / "mini"), "--bulk"]), before


def assert_restarted_empty(server: BulkServer, before: tuple[int, set[str]]) -> None:
    """Stopped and started again (a new pid), still empty, same schema, nothing left over."""
    pid, schema = before
    assert server.pid() != pid
    assert server.node_count() == 0
    assert server.schema_names() == schema
    assert not (server.home / "bulk-backup").exists()
    assert not list(server.home.glob("bulk-csv-*"))
    assert not list(server.home.glob(f"data/*/{bulk.STAGING}"))  # the import's store


@pytest.mark.neo4j
@pytest.mark.slow
def test_failed_import_leaves_the_empty_database_running(
    empty_local: BulkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def corrupt(plan, ont, directory):  # type: ignore[no-untyped-def]
        args = write_admin_csv(plan, ont, directory)
        knows = directory / "relationships-KNOWS.csv"
        commas = "," * (knows.read_text(encoding="utf-8").splitlines()[0].count(",") - 1)
        with knows.open("a", encoding="utf-8") as csv:
            csv.write(f'"p/nobody","p/nobody-either"{commas}\n')  # a relationship to no node
        return args

    result, before = failed_bulk_load(empty_local, monkeypatch, corrupt)

    assert result.exit_code == 1, result.output
    assert re.search(
        r"^Error: neo4j-admin import failed \(exit \d+\); the database was left as it "
        r"was \(empty\)\.",
        result.stderr,
        re.MULTILINE,
    ), result.stderr
    assert "referring to missing node p/nobody" in result.stderr  # the importer's own words
    assert str(empty_local.home / "logs" / "bulk-import.log") in result.stderr
    assert_restarted_empty(empty_local, before)


@pytest.mark.neo4j
@pytest.mark.slow
def test_failed_export_restarts_the_stopped_server_unchanged(
    empty_local: BulkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stops while the CSV files are written: when writing them fails, it is
    started again, still empty, and the error names the file system's reason."""
    stopped: list[bool] = []

    def disk_full(plan, ont, directory):  # type: ignore[no-untyped-def]
        write_admin_csv(plan, ont, directory)
        deadline = time.monotonic() + 60
        while localserver.running_state(empty_local.home) is not None:  # the stop overlaps
            assert time.monotonic() < deadline, "the server was not stopped during the export"
            time.sleep(0.2)
        stopped.append(True)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    result, before = failed_bulk_load(empty_local, monkeypatch, disk_full)

    assert result.exit_code == 1, result.output
    assert stopped == [True]
    assert "cannot write the CSV files for neo4j-admin import" in result.stderr
    assert "No space left on device); the database was not changed" in result.stderr
    assert "Traceback" not in result.output
    assert_restarted_empty(empty_local, before)


def test_a_failed_swap_puts_the_empty_store_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The imported store takes the database's place; when a move fails half-way, the
    database's own folders come back as they were and no backup is left to block a retry."""
    config = localserver.ServerConfig(home=tmp_path)
    for database, text in (("neo4j", "empty"), (bulk.STAGING, "imported")):
        for store in bulk._store_dirs(config, database):
            store.mkdir(parents=True)
            (store / "marker").write_text(text, encoding="utf-8")
    bulk._swap(config, "neo4j")
    for store in bulk._store_dirs(config, "neo4j"):
        assert (store / "marker").read_text(encoding="utf-8") == "imported"
    assert not any(store.exists() for store in bulk._store_dirs(config, bulk.STAGING))
    assert not (tmp_path / "bulk-backup").exists()

    for store in bulk._store_dirs(config, bulk.STAGING):
        store.mkdir()
        (store / "marker").write_text("second", encoding="utf-8")
    real_move = shutil.move
    moves: list[str] = []

    def failing_move(src: Any, dst: Any) -> Any:
        moves.append(str(src))
        if len(moves) == 4:  # the second folder of the imported store
            raise OSError(errno.EXDEV, "cannot move")
        return real_move(src, dst)

    monkeypatch.setattr(bulk.shutil, "move", failing_move)
    with pytest.raises(OSError, match="cannot move"):
        bulk._swap(config, "neo4j")
    for store in bulk._store_dirs(config, "neo4j"):
        assert (store / "marker").read_text(encoding="utf-8") == "imported"
    assert not (tmp_path / "bulk-backup").exists()


def test_recorded_config_of_an_older_state_file(tmp_path: Path) -> None:
    config = localserver.ServerConfig(
        home=tmp_path, bolt_port=7999, http_port=7998, heap="768m", pagecache="300m",
        settings={"db.transaction.timeout": "5m"},
    )  # fmt: skip
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "neo4j.conf").write_text(localserver.render_conf(config))
    old = localserver.ServerState(
        pid=1, bolt_port=7999, http_port=7998, version="5.26.30", started_at=0.0
    )
    assert localserver.recorded_config(tmp_path, old) == config
