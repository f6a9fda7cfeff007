"""Plan -> Neo4j. Schema first, then the batches, all-or-nothing up to a size.

- Loads of up to ``single_limit`` elements run in one transaction (``execute_write``,
  which retries transient errors; every statement is a MERGE, so a retry is harmless):
  any failure leaves the data exactly as it was.
- Larger loads commit batch by batch. A failure is recorded on the ``(:LoadRun)`` node
  as ``failed``; running the same load again converges to the exact graph. Batches are
  written by ``writers`` concurrent transactions: every node batch before any
  relationship batch, and one writer only from the first retried batch on (concurrent
  MERGEs of relationships on shared hub nodes can deadlock).
- Every element gets ``dataset``, ``load_run``, ``first_seen``, ``last_seen`` and
  ``content_hash``; unchanged elements keep their properties, so a rerun reports 0
  created and 0 changed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import replace
from typing import Any

from neo4j import Driver, ManagedTransaction, Transaction, unit_of_work
from neo4j.exceptions import (
    ClientError,
    DriverError,
    IncompleteCommit,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from loader import connection
from loader.errors import (
    DatabaseUnavailableError,
    LoadError,
    LoadInterrupted,
    Terminated,
    TransactionMemoryError,
    signal_exit_code,
    signal_in,
)
from loader.heap import old_objects_frozen
from loader.plan.build import Plan, Statement
from loader.write import batches
from loader.write.batches import (
    Phase,
    Progress,
    is_memory_error,
    query_text,
    writer_count,
)
from loader.write.owners import check_owners, check_references
from loader.write.prune import check_prune, prune_batched, prune_in
from loader.write.report import Counts, LoadReport, element_counts, new_report

DEFAULT_SINGLE_LIMIT = 100_000

RUN_START = """CREATE (l:LoadRun {id: $run, dataset: $dataset, started_at: $now,
  status: 'running', checksum: $checksum, mode: $mode, elements: $size, nodes: $nodes,
  pruned: $prune})"""
# the last successful load of the same input, if no other load of its dataset succeeded since
SAME_INPUT = """MATCH (l:LoadRun {checksum: $checksum})
WHERE l.status = 'succeeded' AND l.nodes IS NOT NULL
WITH l ORDER BY l.ended_at DESC LIMIT 1
OPTIONAL MATCH (m:LoadRun {dataset: l.dataset})
WHERE m.status = 'succeeded' AND m.ended_at > l.ended_at
WITH l, count(m) AS later WHERE later = 0
RETURN l.dataset AS dataset, l.elements AS elements, l.nodes AS nodes,
       coalesce(l.pruned, false) AS pruned, l.counts AS counts"""
DATASET_NODES = """MATCH (n) WHERE n.dataset = $dataset AND NOT n:LoadRun AND NOT n:LoadLock
RETURN count(n) AS n"""
FIRST_LOAD = """RETURN NOT EXISTS {
  MATCH (n) WHERE n.dataset = $dataset AND NOT n:LoadRun AND NOT n:LoadLock
} AS first"""
LOCK = """MERGE (k:LoadLock {dataset: $dataset}) SET k.run = $run"""
RUN_END = """MATCH (l:LoadRun {id: $run})
SET l.status = $status, l.ended_at = datetime(), l.summary = $summary, l.error = $error,
    l.counts = $counts"""


def end_run(
    tx: ManagedTransaction | Transaction,
    report: LoadReport,
    error: str | None,
    status: str = "failed",
) -> None:
    """Close the report's ``(:LoadRun)``: succeeded with its totals and counts, or
    ``status`` (failed, interrupted) with ``error``."""
    if error is None:
        summary, counts = json.dumps(report.to_dict()["totals"]), element_counts(report)
        tx.run(RUN_END, run=report.run, status="succeeded", summary=summary, error=None,
               counts=counts).consume()  # fmt: skip
    else:
        tx.run(RUN_END, run=report.run, status=status, summary=None, error=error,
               counts=None).consume()  # fmt: skip


def run_params(plan: Plan, report: LoadReport, now: dt.datetime) -> dict[str, Any]:
    return {
        "prune": report.pruned,
        "run": report.run,
        "dataset": plan.dataset,
        "now": now,
        "checksum": plan.checksum,
        "mode": report.mode,
        "size": plan.size,
        "nodes": plan.node_count,
    }


# what a `CREATE ... IF NOT EXISTS` may raise when another transaction creates the same
# rule at the same time: the check and the creation are not atomic
_SCHEMA_RACE = "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"


# the names of every index and of the constraints that own one (ours all do)
SCHEMA_NAMES = (
    "SHOW INDEXES YIELD name, owningConstraint "
    "RETURN collect(name) + collect(owningConstraint) AS names"
)


def missing_schema(schema: list[Statement], names: Iterable[str]) -> list[Statement]:
    """The schema statements whose object is not among ``names`` (a statement without a
    name is always run: it says ``IF NOT EXISTS``)."""
    present = set(names)
    return [stmt for stmt in schema if not stmt.name or stmt.name not in present]


def apply_schema(driver: Driver, database: str, schema: list[Statement]) -> None:
    """Create the constraints and indexes the database lacks: one ``SHOW`` first, then
    the missing ones in one transaction (none when all are there, as on every load but
    the first). A user who may not list indexes gets every ``CREATE ... IF NOT EXISTS``."""
    with connection.session(driver, database) as session:
        try:
            names = session.execute_read(
                lambda tx: tx.run(SCHEMA_NAMES).single(strict=True)["names"]
            )
        except ClientError as exc:
            if not str(exc.code or "").startswith("Neo.ClientError.Security."):
                raise
            names = []
        missing = missing_schema(schema, names)
        if not missing:
            return

        def create(tx: ManagedTransaction) -> None:
            for stmt in missing:
                tx.run(query_text(stmt.text), stmt.params).consume()

        try:  # retried on transient errors (deadlocks)
            session.execute_write(create)
        except Neo4jError as exc:
            if exc.code != _SCHEMA_RACE:
                raise
            session.execute_write(create)  # another load made some: now found, or raises


def _connection_lost(exc: Exception) -> bool:
    return isinstance(exc, ServiceUnavailable | SessionExpired)


def dry_run(driver: Driver, database: str, plan: Plan, prune: bool = False) -> LoadReport:
    """What a load would create, change and (with prune) delete; writes nothing."""
    report = new_report(plan, DEFAULT_SINGLE_LIMIT, dry_run=True)

    @unit_of_work(metadata={"app": "casegraph", "action": "dry-run", "dataset": plan.dataset})
    def work(tx: ManagedTransaction) -> None:
        check_owners(tx, plan)
        for batch in plan.batches:
            record = tx.run(query_text(batch.diff), rows=batch.rows).single(strict=True)
            counts = Counts(
                created=record["created"],
                changed=record["changed"],
                unchanged=record["rows"] - record["created"] - record["changed"],
            )
            report.count(batch.kind, batch.name).add(counts)
        if prune:
            prune_in(tx, plan, report, count_only=True)

    try:
        with old_objects_frozen(), connection.session(driver, database) as session:
            session.execute_read(work)
    except (Neo4jError, DriverError) as exc:
        raise LoadError(f"dry run failed: {exc}") from None
    report.status = "dry-run"
    return report


def unchanged_input(driver: Driver, database: str, checksum: str, prune: bool) -> LoadReport | None:
    """A report of a load to skip, when the same input (checksum of the files, the ontology
    and casegraph's version) was the last successful load of its dataset and the dataset
    still has as many nodes as that load wrote (pruned too, when ``prune``). Needs no
    parsing: the checksum comes from the bytes."""

    def check(tx: ManagedTransaction) -> LoadReport | None:
        last = tx.run(SAME_INPUT, checksum=checksum).single()
        if last is None or (prune and not last["pruned"]):
            return None
        nodes = tx.run(DATASET_NODES, dataset=last["dataset"]).single(strict=True)["n"]
        if nodes != last["nodes"]:
            return None
        report = LoadReport(uuid.uuid4().hex, last["dataset"], checksum, "skipped")
        report.pruned, report.status = prune, "succeeded"
        tables = json.loads(last["counts"] or "{}")
        for kind, key in (("node", "nodes"), ("rel", "relationships")):
            for name, size in tables.get(key, {}).items():
                report.count(kind, name).unchanged = size
        return report

    try:
        with connection.session(driver, database) as session:
            return session.execute_read(check)
    except (Neo4jError, DriverError) as exc:
        raise DatabaseUnavailableError(f"cannot read the last load of the dataset: {exc}") from None


def load(
    driver: Driver,
    database: str,
    plan: Plan,
    *,
    prune: bool = False,
    single_limit: int = DEFAULT_SINGLE_LIMIT,
    progress: Progress | None = None,
    force: bool = False,
    writers: int | None = None,
) -> LoadReport:
    """Write the plan; see the module docstring for what a failure leaves behind.
    ``writers``: concurrent transactions of a batched load (default ``writer_count()``);
    it holds ``writers`` + 1 connections of the driver's pool (the lock's and the
    writers'): with a smaller pool the writers take turns.

    Unless ``force``, an input identical to the last successful load of the dataset
    (checksum of the files, the ontology and casegraph's version) is not written again.
    """
    report = new_report(plan, single_limit)
    report.pruned = prune
    count = writer_count() if writers is None else writers  # a bad setting fails before writing
    skipped = None if force else unchanged_input(driver, database, plan.checksum, prune)
    if skipped is not None and skipped.dataset == plan.dataset:
        skipped.run = report.run
        return skipped
    metadata = {"app": "casegraph", "load_run": report.run, "dataset": plan.dataset}
    try:
        apply_schema(driver, database, plan.schema)
    except (Neo4jError, DriverError) as exc:
        if _connection_lost(exc):
            raise DatabaseUnavailableError(
                f"lost Neo4j while creating constraints: {exc}"
            ) from None
        raise LoadError(f"could not create constraints and indexes: {exc}") from None
    with old_objects_frozen():
        if report.mode == "single":
            return _load_single(driver, database, plan, report, prune, metadata, progress)
        return _load_batched(driver, database, plan, report, prune, metadata, progress, count)


def _memory_error(exc: Neo4jError | DriverError) -> TransactionMemoryError:
    code = getattr(exc, "code", None)
    return TransactionMemoryError(
        f"the load needs more transaction memory than the server allows ({code}); it was "
        "rolled back and the database is unchanged: load it in batches with --single-limit "
        "(e.g. --single-limit 1000)"
    )


def _lock(tx: ManagedTransaction, plan: Plan, run: str) -> None:
    """Write-lock the dataset's LoadLock node: loads of one dataset run one after another."""
    tx.run(LOCK, dataset=plan.dataset, run=run).consume()


def _load_single(
    driver: Driver,
    database: str,
    plan: Plan,
    report: LoadReport,
    prune: bool,
    metadata: dict[str, Any],
    progress: Progress | None,
) -> LoadReport:
    committing = False  # set once the unit of work is done: the driver commits next

    @unit_of_work(metadata=metadata)
    def work(tx: ManagedTransaction) -> LoadReport:
        nonlocal committing
        committing = False
        attempt = replace(report, nodes={}, relationships={})  # a retry starts afresh
        base = run_params(plan, attempt, dt.datetime.now(dt.UTC))
        _lock(tx, plan, attempt.run)
        check_owners(tx, plan)
        check_references(tx, plan)
        attempt.first_load = tx.run(FIRST_LOAD, dataset=plan.dataset).single(strict=True)[0]
        tx.run(RUN_START, base).consume()
        done = 0
        for batch in plan.batches:
            text = batch.create if attempt.first_load else batch.body
            try:
                counts = batches.run_batch(tx, text, batch.rows, base)  # rows read once
            except Neo4jError as exc:
                if is_memory_error(exc):
                    raise _memory_error(exc) from None
                raise
            attempt.count(batch.kind, batch.name).add(counts)
            done += batch.size
            if progress:
                progress(done, plan.size)
        if prune:
            check_prune(tx, plan, attempt.run)  # refused: the whole load is rolled back
            prune_in(tx, plan, attempt, count_only=False)
        attempt.status = "succeeded"
        end_run(tx, attempt, error=None)
        committing = True
        return attempt

    try:
        with connection.session(driver, database) as session:
            done: LoadReport = session.execute_write(work)
        return done
    except LoadError:
        raise
    except (Exception, KeyboardInterrupt, Terminated) as exc:
        if signal_in(exc) is None and isinstance(exc, Exception):
            raise _single_failure(exc) from None
        outcome = (
            "it was being committed, so whether it was is unknown"
            if committing
            else "its transaction was not committed, so the database is unchanged"
        )
        raise LoadInterrupted(
            f"the load was interrupted: {outcome}; run the same load again to complete it",
            signal_exit_code(exc),
        ) from None


def _single_failure(exc: Exception) -> Exception:
    """What a failed single-transaction load raises: casegraph's own error for the
    driver's and the server's, the exception itself for anything else (a bug)."""
    if not isinstance(exc, Neo4jError | DriverError):
        return exc
    if isinstance(exc, IncompleteCommit):
        return DatabaseUnavailableError(
            "lost the connection to Neo4j while the load's transaction was committing: "
            "whether it was committed is unknown; run the same load again, which "
            "converges either way (IncompleteCommit)"
        )
    if _connection_lost(exc):
        return DatabaseUnavailableError(
            f"lost the connection to Neo4j during the load; the transaction was not "
            f"committed, so the database is unchanged ({type(exc).__name__})"
        )
    if is_memory_error(exc):
        return _memory_error(exc)
    return LoadError(f"the load failed and was rolled back; the database is unchanged: {exc}")


def _load_batched(
    driver: Driver,
    database: str,
    plan: Plan,
    report: LoadReport,
    prune: bool,
    metadata: dict[str, Any],
    progress: Progress | None,
    writers: int,
) -> LoadReport:
    base = run_params(plan, report, dt.datetime.now(dt.UTC))
    with (
        connection.session(driver, database) as lock_session,
        connection.session(driver, database) as session,
    ):
        # held open for the whole load and rolled back at the end: it leaves no trace, and
        # if this process or the server dies, the server releases it with the connection
        lock_tx = lock_session.begin_transaction(metadata={**metadata, "lock": True})
        try:
            _lock(lock_tx, plan, report.run)  # type: ignore[arg-type]
            session.execute_read(lambda tx: check_owners(tx, plan))
            session.execute_read(lambda tx: check_references(tx, plan))
            # under the lock: a first load of the dataset creates instead of merging
            report.first_load = session.execute_read(
                lambda tx: tx.run(FIRST_LOAD, dataset=plan.dataset).single(strict=True)[0]
            )
            session.execute_write(lambda tx: tx.run(RUN_START, base).consume())
        except (Neo4jError, DriverError) as exc:
            lock_tx.close()
            raise DatabaseUnavailableError(f"cannot start the load: {exc}") from None
        phase = Phase(driver, database, report, base, metadata, progress, plan.size)
        try:
            phase.run(plan.references, 0, 1)  # shared with other loads: one at a time
            phase.run(plan.nodes, len(plan.references), writers)  # nodes before relationships
            phase.run(plan.rels, len(plan.references) + len(plan.nodes), writers)
            if prune:
                session.execute_read(lambda tx: check_prune(tx, plan, report.run))
                prune_batched(session, plan, report)
        except (Exception, KeyboardInterrupt, Terminated) as exc:  # anything, even a bug:
            interrupted = signal_in(exc) is not None  # record the run's end first
            report.status = "interrupted" if interrupted else "failed"
            message = "interrupted by a signal" if interrupted else f"{type(exc).__name__}: {exc}"
            try:  # a session of its own: a signal may have stopped the other mid-transaction
                with connection.session(driver, database) as closing:
                    closing.execute_write(
                        lambda tx: end_run(tx, report, error=message, status=report.status)
                    )
                recorded = f"LoadRun {report.run} is marked {report.status}"
            except (Neo4jError, DriverError):
                recorded = f"LoadRun {report.run} stays 'running' (Neo4j unreachable)"
            done = f"after {phase.done} of {plan.size} elements"
            if interrupted:
                raise LoadInterrupted(
                    f"the batched load was interrupted {done}; {recorded}; run the same load "
                    "again to complete it",
                    signal_exit_code(exc),
                ) from None
            raise LoadError(
                f"the batched load failed {done} ({message}); {recorded}; run the same load "
                "again to complete it"
            ) from None
        finally:
            # rolls back: releases the lock (the server does too when the connection goes;
            # a BufferError: a signal left the lock's connection mid-message, see session())
            with suppress(Neo4jError, DriverError, BufferError):
                lock_tx.close()
        report.status = "succeeded"
        session.execute_write(lambda tx: end_run(tx, report, error=None))
    return report
