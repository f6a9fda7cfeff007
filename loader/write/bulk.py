"""``casegraph load --bulk``: a first load with ``neo4j-admin import`` on the local server.

For an empty database on the server that ``casegraph neo4j start`` runs:

1. the server is stopped while the plan is written as admin CSVs
   (``export.write_admin_csv``) into the server home, and ``neo4j-admin database import
   full`` writes a new store from them under another database name (``STAGING``, a
   store the server does not know): the three overlap;
2. once the server is stopped, the new store takes the place of the database's (empty)
   one, which is deleted;
3. the server starts again with the configuration it had (ports, memory, settings);
4. the schema the database had, the plan's constraints and indexes, and a ``(:LoadRun)``
   with the input's checksum are created, so that a later plain ``casegraph load`` of
   the same input is skipped, and one of a changed input updates the graph as usual.

Refused, before anything is stopped, unless the target is that server and its database
holds no node. A failed import leaves the former store as it was (the import's files are
removed); the server is started again in every case, a failed CSV export included.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from neo4j import Driver, ManagedTransaction, unit_of_work
from neo4j.exceptions import DriverError, Neo4jError

from loader import connection
from loader.errors import (
    CasegraphError,
    DatabaseUnavailableError,
    LoadError,
    StartError,
    UsageError,
)
from loader.export.exports import export_run_id, write_admin_csv
from loader.model.ontology import Ontology
from loader.plan.build import Plan, Statement
from loader.server import jars, localserver
from loader.server.java import check_java
from loader.write import writer
from loader.write.report import LoadReport

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
BOLT_SCHEMES = frozenset({"bolt", "neo4j"})
ONLINE_TIMEOUT = 120.0  # seconds for the imported database to answer after the restart
STAGING = "casegraph-bulk"  # the database name the import writes under, then renamed

COUNT_NODES = "MATCH (n) RETURN count(n) AS n"
CONSTRAINTS = "SHOW CONSTRAINTS YIELD createStatement RETURN createStatement AS statement"
INDEXES = """SHOW INDEXES YIELD type, owningConstraint, createStatement
WHERE type <> 'LOOKUP' AND owningConstraint IS NULL
RETURN createStatement AS statement"""

STACK_FRAME = re.compile(r"\s+(at |\.\.\. \d+ more)")

Log = Callable[[str], None]


@dataclass
class BulkReport(LoadReport):
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "phases": {k: round(v, 3) for k, v in self.phases.items()}}


def check_options(*, dry_run: bool, prune: bool) -> None:
    """Refuse the flags that make no sense with --bulk (before the input is read)."""
    if dry_run:
        raise UsageError(
            "--bulk cannot be combined with --dry-run: a bulk load only fills an empty "
            "database; run `casegraph load --dry-run` without --bulk to see what would be created"
        )
    if prune:
        raise UsageError(
            "--bulk cannot be combined with --prune: --bulk fills an empty database, where "
            "there is nothing to prune"
        )


def _bolt_target(uri: str) -> tuple[bool, int]:
    """(scheme and host are this machine's plain Bolt, port) of a URI."""
    try:
        parts = urlsplit(uri)
        port = parts.port or 7687
    except ValueError:
        return False, 0
    return parts.scheme in BOLT_SCHEMES and parts.hostname in LOCAL_HOSTS, port


def local_server(uri: str | None, home: Path) -> localserver.ServerState:
    """The running local server that the connection settings point at, else refuse."""
    explicit = uri or os.environ.get("NEO4J_URI")
    local, port = _bolt_target(explicit) if explicit else (True, 0)
    not_it = (
        f"--bulk loads only into casegraph's own local server (`casegraph neo4j start`), "
        f"and {explicit} is not it: load without --bulk"
    )
    if not local:
        raise UsageError(not_it)
    state = localserver.running_state(home)
    if state is None:
        raise DatabaseUnavailableError(
            f"--bulk needs casegraph's local server and none runs in {home}: start it with "
            "`casegraph neo4j start` (or set CASEGRAPH_NEO4J_HOME)"
        )
    if explicit and port != state.bolt_port:
        raise UsageError(f"{not_it} (the local server's Bolt port is {state.bolt_port})")
    return state


def _schema_of_empty(driver: Driver, database: str) -> list[Statement]:
    """Refuse unless the database holds no node; return the statements of its schema."""
    try:
        nodes = driver.execute_query(COUNT_NODES, database_=database).records[0]["n"]
        if nodes:
            raise LoadError(
                f"--bulk loads only into an empty database, and database {database!r} holds "
                f"{nodes} node(s): load without --bulk (nothing was changed)"
            )
        statements = [
            record["statement"]
            for query in (CONSTRAINTS, INDEXES)
            for record in driver.execute_query(query, database_=database).records
        ]
    except (Neo4jError, DriverError) as exc:
        raise DatabaseUnavailableError(f"cannot check that the database is empty: {exc}") from None
    return [Statement(text) for text in statements]


def _check_empty(conn: connection.Connection) -> list[Statement]:
    with connection.open_driver(conn) as driver:
        return _schema_of_empty(driver, conn.database)


def _store_dirs(config: localserver.ServerConfig, database: str) -> list[Path]:
    """The database's store and transaction log folders in the server home."""
    data = config.home / config.settings.get("server.directories.data", "data")
    logs = config.settings.get("server.directories.transaction.logs.root")
    tx_root = config.home / logs if logs else data / "transactions"
    return [data / "databases" / database, tx_root / database]


def _output_tail(text: str, lines: int = 8) -> str:
    """The last lines of the importer's output, without Java stack frames."""
    kept = [
        line.rstrip() for line in text.splitlines() if line.strip() and not STACK_FRAME.match(line)
    ][-lines:]
    return "\n".join(f"  {line}" for line in kept) or "  (no output)"


def _remove_staged(config: localserver.ServerConfig) -> None:
    """The ``STAGING`` store: an interrupted load's, or a failed load's."""
    for store in _store_dirs(config, STAGING):
        shutil.rmtree(store, ignore_errors=True)


def _import(config: localserver.ServerConfig, csv_dir: Path, cmd: list[str], log: Log) -> None:
    """Run neo4j-admin import into the ``STAGING`` store (the caller removes it on failure)."""
    _remove_staged(config)  # what an interrupted load may have left
    report = config.home / "logs" / "bulk-import.log"
    log(f"Importing with neo4j-admin (output in {report})...")
    with report.open("w", encoding="utf-8") as output:
        done = subprocess.run(
            cmd,
            cwd=csv_dir,
            env=localserver.java_env(config.home),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        text = report.read_text(encoding="utf-8", errors="replace")
        raise LoadError(
            f"neo4j-admin import failed (exit {done.returncode}); the database was left "
            f"as it was (empty). Full output in {report}; it ends with:\n" + _output_tail(text)
        )


def _swap(config: localserver.ServerConfig, database: str) -> None:
    """With the server stopped: the imported store in place of the database's (empty)
    one, which is then deleted; on failure the empty one is put back."""
    stores, staged = _store_dirs(config, database), _store_dirs(config, STAGING)
    backup = config.home / "bulk-backup"
    backup.mkdir()
    try:
        for index, store in enumerate(stores):
            if store.exists():
                shutil.move(store, backup / str(index))
        for new, store in zip(staged, stores, strict=True):
            if new.exists():
                shutil.move(new, store)
    except BaseException:
        for index, store in enumerate(stores):
            if (backup / str(index)).exists():
                shutil.rmtree(store, ignore_errors=True)
                shutil.move(backup / str(index), store)
        backup.rmdir()  # empty again
        raise
    shutil.rmtree(backup)


def _export(plan: Plan, ont: Ontology, directory: Path) -> list[str]:
    """The admin CSV files; a file system error becomes a LoadError (nothing was imported)."""
    try:
        return write_admin_csv(plan, ont, directory)
    except OSError as exc:
        raise LoadError(
            f"cannot write the CSV files for neo4j-admin import in {directory} "
            f"({exc.strerror or exc}); the database was not changed"
        ) from None


_R = TypeVar("_R")


def _timed_call(phases: dict[str, float], name: str, call: Callable[..., _R], *args: Any) -> _R:
    with _timed(phases, name):
        return call(*args)


@contextmanager
def _timed(phases: dict[str, float], name: str) -> Iterator[None]:
    began = time.perf_counter()
    try:
        yield
    finally:
        phases[name] = time.perf_counter() - began


def _wait_online(conn: connection.Connection) -> None:
    """Wait until the database answers (it may come online a moment after Bolt)."""
    deadline = time.monotonic() + ONLINE_TIMEOUT
    while True:
        try:
            with connection.open_driver(conn):
                return
        except DatabaseUnavailableError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def _finish(
    conn: connection.Connection, schema: list[Statement], plan: Plan, report: BulkReport
) -> None:
    """Constraints and indexes, then the LoadRun that a later plain load compares with."""
    params = writer.run_params(plan, report, dt.datetime.now(dt.UTC))  # what RUN_START binds

    @unit_of_work(metadata={"app": "casegraph", "load_run": report.run, "dataset": plan.dataset})
    def record(tx: ManagedTransaction) -> None:
        tx.run(writer.RUN_START, params).consume()
        writer.end_run(tx, report, error=None)

    _wait_online(conn)
    with connection.open_driver(conn) as driver:
        try:
            writer.apply_schema(driver, conn.database, schema)
            with connection.session(driver, conn.database) as session:
                session.execute_write(record)
        except (Neo4jError, DriverError) as exc:
            raise LoadError(
                f"the data was imported, but the constraints, indexes or the LoadRun could "
                f"not be written ({exc}); run `casegraph load` without --bulk to complete it"
            ) from None


def load(
    plan: Plan,
    ont: Ontology,
    *,
    uri: str | None = None,
    username: str | None = None,
    database: str | None = None,
    home: Path | None = None,
    log: Log = lambda _: None,
) -> BulkReport:
    """Import the plan into the empty database of the local server; see the module doc."""
    plan.require_self_contained("--bulk")
    home = (home or localserver.default_home()).expanduser().resolve()
    state = local_server(uri, home)
    config = localserver.recorded_config(home, state)
    password = os.environ.get("NEO4J_PASSWORD") or localserver.read_password(home)
    conn = connection.resolve(
        uri, username, password, database, local=lambda: localserver.local_target(home)
    )
    if conn.database == STAGING:
        raise UsageError(f"--bulk imports under the name {STAGING!r}: load another database")
    _check_empty(conn)  # before the export: refuse early
    if (home / "bulk-backup").exists():
        raise LoadError(
            f"an interrupted `load --bulk` left a database store in {home / 'bulk-backup'}: "
            "look at it, delete it (or, with the server stopped, move it back), then retry"
        )
    report = BulkReport(
        run=export_run_id(plan), dataset=plan.dataset, checksum=plan.checksum, mode="bulk"
    )
    for batch in plan.batches:
        report.count(batch.kind, batch.name).created += batch.size
    phases = report.phases
    java = check_java(config.version)  # neo4j-admin of the server's own version
    lib = jars.fetch_jars(java, log, version=config.version)
    with tempfile.TemporaryDirectory(dir=home, prefix="bulk-csv-") as tmp:
        schema = _check_empty(conn)  # again, right before the server stops
        failure: BaseException | None = None
        try:
            # the server stops (a checkpoint, then the JVM's exit) while this process
            # writes the CSV files and imports them into a store of another name: the
            # input is valid, and a failure restarts the server below
            log(f"Stopping Neo4j (pid {state.pid}) while the CSV files are written...")
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-stop") as pool:
                stopped = pool.submit(_timed_call, phases, "stop", localserver.stop, home)
                with _timed(phases, "export_csv"):
                    args = _export(plan, ont, Path(tmp))
                cmd = localserver.admin_command(
                    java, lib, "database", "import", "full", STAGING, *args,
                    "--overwrite-destination", "--verbose",  # --verbose: a failure's cause
                )  # fmt: skip
                with _timed(phases, "import"):
                    _import(config, Path(tmp), cmd, log)
                stopped.result()
            phases["stop"] = phases.pop("stop")  # listed after what it overlapped
            _swap(config, conn.database)
        except BaseException as exc:
            failure = exc
            _remove_staged(config)  # a failed import's, stop's or rename's
            raise
        finally:
            try:
                with _timed(phases, "restart"):
                    localserver.start(config, log=log)
            except CasegraphError as exc:
                if failure is None:
                    raise
                raise StartError(f"{failure}\nand the server did not start again: {exc}") from None
    with _timed(phases, "constraints"):
        _finish(conn, [*schema, *plan.schema], plan, report)
    report.status = "succeeded"
    return report
