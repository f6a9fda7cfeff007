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
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any, LiteralString

from neo4j import Driver, ManagedTransaction, Session, Transaction, unit_of_work
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired

from loader.connection import retry_seconds
from loader.errors import DatabaseUnavailableError, LoadError
from loader.heap import old_objects_frozen
from loader.plan.build import PARAM_HEAD, Batch, Plan, Statement

DEFAULT_SINGLE_LIMIT = 100_000
DEFAULT_WRITERS = 2

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

Progress = Callable[[int, int], None]


def end_run(tx: ManagedTransaction | Transaction, report: LoadReport, error: str | None) -> None:
    """Close the report's ``(:LoadRun)``: succeeded with its totals and counts, or failed
    with ``error``."""
    if error is None:
        summary, counts = json.dumps(report.to_dict()["totals"]), element_counts(report)
        tx.run(RUN_END, run=report.run, status="succeeded", summary=summary, error=None,
               counts=counts).consume()  # fmt: skip
    else:
        tx.run(RUN_END, run=report.run, status="failed", summary=None, error=error,
               counts=None).consume()  # fmt: skip


def _q(text: str) -> LiteralString:
    """Query text built from constant templates and names quoted by ``Ontology.quote``."""
    return text  # type checkers that know LiteralString are told so by the signature


@dataclass
class Counts:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.deleted += other.deleted


def retry_reasons_text(reasons: dict[str, int]) -> str:
    """``code: n, code: n``, by code: why batches were retried."""
    return ", ".join(f"{code}: {n}" for code, n in sorted(reasons.items()))


@dataclass
class LoadReport:
    run: str
    dataset: str
    checksum: str
    mode: str
    dry_run: bool = False
    status: str = "running"
    nodes: dict[str, Counts] = field(default_factory=dict)
    relationships: dict[str, Counts] = field(default_factory=dict)
    kept: int = 0  # stale nodes kept because data casegraph did not write links to them
    halvings: int = 0  # batches split in two after a transaction memory limit
    # batches tried again after a transient error (a deadlock, a leader switch), by the
    # error's code (or the driver's exception)
    retry_reasons: dict[str, int] = field(default_factory=dict)
    pruned: bool = False
    first_load: bool = False  # no element of the dataset was in the database: CREATE
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    @property
    def retries(self) -> int:
        return sum(self.retry_reasons.values())

    def count(self, kind: str, name: str) -> Counts:
        table = self.nodes if kind == "node" else self.relationships
        return table.setdefault(name, Counts())

    @property
    def totals(self) -> Counts:
        total = Counts()
        for counts in [*self.nodes.values(), *self.relationships.values()]:
            total.add(counts)
        return total

    def to_dict(self) -> dict[str, Any]:
        def table(t: dict[str, Counts]) -> dict[str, dict[str, int]]:
            return {name: vars(c) for name, c in sorted(t.items())}

        return {
            "run": self.run,
            "dataset": self.dataset,
            "status": self.status,
            "dry_run": self.dry_run,
            "mode": self.mode,
            "checksum": self.checksum,
            "totals": vars(self.totals),
            "nodes": table(self.nodes),
            "relationships": table(self.relationships),
            "kept_linked_nodes": self.kept,
            "batch_halvings": self.halvings,
            "batch_retries": self.retries,
            "batch_retry_reasons": dict(sorted(self.retry_reasons.items())),
            "first_load": self.first_load,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def _params(plan: Plan, report: LoadReport, now: dt.datetime) -> dict[str, Any]:
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


def _check_owners(tx: ManagedTransaction, plan: Plan) -> None:
    """Refuse ids used in the database by other data (see ``plan.OWNERS_SEEK``). Labels
    with no node cost one count-store read; a first load into an empty database reads
    nothing else."""
    clashes: list[str] = []
    wanted: dict[str, str] | None = None
    for check in plan.owners:
        size = tx.run(_q(check.size)).single(strict=True)["n"]
        if not size:
            continue
        if wanted is None:
            wanted = plan.wanted()
        if not wanted:
            return
        text = check.scan if size <= len(wanted) else check.seek
        params = {"wanted": wanted, "dataset": plan.dataset, "label": check.label}
        for record in tx.run(_q(text), params):
            owner = record["owner"]
            who = f"dataset {owner!r}" if owner else "data casegraph did not write"
            if owner == plan.dataset:  # same dataset, another label: a change of type
                clashes.append(
                    f"{record['id']!r} (a {record['label']} in the database, a "
                    f"{record['wanted']} in the input: to change its type, remove it with "
                    "--prune first)"
                )
            else:
                clashes.append(f"{record['id']!r} (a {record['label']} of {who})")
    if clashes:
        raise LoadError(
            f"ids already used in the database by other data: {', '.join(clashes[:5])}; "
            f"dataset {plan.dataset!r} may not overwrite them (use other ids)"
        )


def _run_batch(
    tx: ManagedTransaction | Transaction,
    text: str,
    rows: list[Any],
    base: dict[str, Any],
) -> Counts:
    record = tx.run(_q(PARAM_HEAD + text), base, rows=rows).single(strict=True)
    if record["rows"] != len(rows):
        raise LoadError(f"a batch wrote {record['rows']} of {len(rows)} rows")  # a bug
    return Counts(
        created=record["created"],
        changed=record["changed"],
        unchanged=len(rows) - record["created"] - record["changed"],
    )


def _prune(tx: ManagedTransaction, plan: Plan, report: LoadReport, count_only: bool) -> None:
    for step in plan.prune:  # relationships come first in the plan
        if count_only:  # a dry run wrote nothing: compare with the ids of the input
            record = tx.run(_q(step.count), dataset=plan.dataset, keep=step.keep).single(
                strict=True
            )
        else:  # this run marked every element of the input with its load_run
            record = tx.run(_q(step.delete), dataset=plan.dataset, run=report.run).single(
                strict=True
            )
        if record["deleted"]:
            report.count(step.kind, step.name).deleted += record["deleted"]
        if step.kept and not count_only:
            kept = tx.run(_q(step.kept), dataset=plan.dataset, run=report.run).single(strict=True)
            report.kept += kept["kept"]


# what a `CREATE ... IF NOT EXISTS` may raise when another transaction creates the same
# rule at the same time: the check and the creation are not atomic
_SCHEMA_RACE = "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists"


def _apply_schema(driver: Driver, database: str, schema: list[Statement]) -> None:
    with driver.session(database=database) as session:
        for stmt in schema:  # one per transaction; retried on transient errors (deadlocks)

            def create(tx: ManagedTransaction, stmt: Statement = stmt) -> None:
                tx.run(_q(stmt.text), stmt.params).consume()

            try:
                session.execute_write(create)
            except Neo4jError as exc:
                if exc.code != _SCHEMA_RACE:
                    raise
                session.execute_write(create)  # another load made it: now found, or raises


def _connection_lost(exc: Exception) -> bool:
    return isinstance(exc, ServiceUnavailable | SessionExpired)


def new_report(plan: Plan, single_limit: int, dry_run: bool = False) -> LoadReport:
    return LoadReport(
        run=uuid.uuid4().hex,
        dataset=plan.dataset,
        checksum=plan.checksum,
        mode="single" if plan.size <= single_limit else "batched",
        dry_run=dry_run,
    )


def dry_run(driver: Driver, database: str, plan: Plan, prune: bool = False) -> LoadReport:
    """What a load would create, change and (with prune) delete; writes nothing."""
    report = new_report(plan, DEFAULT_SINGLE_LIMIT, dry_run=True)

    @unit_of_work(metadata={"app": "casegraph", "action": "dry-run", "dataset": plan.dataset})
    def work(tx: ManagedTransaction) -> None:
        _check_owners(tx, plan)
        for batch in plan.batches:
            record = tx.run(_q(batch.diff), rows=batch.rows).single(strict=True)
            counts = Counts(
                created=record["created"],
                changed=record["changed"],
                unchanged=record["rows"] - record["created"] - record["changed"],
            )
            report.count(batch.kind, batch.name).add(counts)
        if prune:
            _prune(tx, plan, report, count_only=True)

    try:
        with old_objects_frozen(), driver.session(database=database) as session:
            session.execute_read(work)
    except (Neo4jError, DriverError) as exc:
        raise LoadError(f"dry run failed: {exc}") from None
    report.status = "dry-run"
    return report


def element_counts(report: LoadReport) -> str:
    """Elements per label and type (whatever happened to them), as JSON for the LoadRun."""

    def sizes(table: dict[str, Counts]) -> dict[str, int]:
        return {k: c.created + c.changed + c.unchanged for k, c in sorted(table.items())}

    return json.dumps({"nodes": sizes(report.nodes), "relationships": sizes(report.relationships)})


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
        with driver.session(database=database) as session:
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
        _apply_schema(driver, database, plan.schema)
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


class TransactionMemoryError(LoadError):
    """A transaction needed more memory than the server allows (not worth retrying as is)."""


def _is_memory_error(exc: BaseException) -> bool:
    return isinstance(exc, Neo4jError) and str(exc.code or "").endswith("OutOfMemoryError")


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
    @unit_of_work(metadata=metadata)
    def work(tx: ManagedTransaction) -> LoadReport:
        attempt = replace(report, nodes={}, relationships={})  # a retry starts afresh
        base = _params(plan, attempt, dt.datetime.now(dt.UTC))
        _lock(tx, plan, attempt.run)
        _check_owners(tx, plan)
        attempt.first_load = tx.run(FIRST_LOAD, dataset=plan.dataset).single(strict=True)[0]
        tx.run(RUN_START, base).consume()
        done = 0
        for batch in plan.batches:
            text = batch.create if attempt.first_load else batch.body
            try:
                counts = _run_batch(tx, text, batch.rows, base)  # rows read once
            except Neo4jError as exc:
                if _is_memory_error(exc):
                    raise _memory_error(exc) from None
                raise
            attempt.count(batch.kind, batch.name).add(counts)
            done += batch.size
            if progress:
                progress(done, plan.size)
        if prune:
            _prune(tx, plan, attempt, count_only=False)
        attempt.status = "succeeded"
        end_run(tx, attempt, error=None)
        return attempt

    try:
        with driver.session(database=database) as session:
            return session.execute_write(work)
    except LoadError:
        raise
    except (Neo4jError, DriverError) as exc:
        if _connection_lost(exc):
            raise DatabaseUnavailableError(
                f"lost the connection to Neo4j during the load; the transaction was not "
                f"committed, so the database is unchanged ({type(exc).__name__})"
            ) from None
        if _is_memory_error(exc):
            raise _memory_error(exc) from None
        raise LoadError(
            f"the load failed and was rolled back; the database is unchanged: {exc}"
        ) from None


@dataclass
class _Tries:
    halvings: int = 0
    retrying: threading.Event | None = None  # set before a retry's pause
    reasons: dict[str, int] = field(default_factory=dict)  # retries by what they followed

    def retry(self, exc: Exception) -> None:
        reason = getattr(exc, "code", None) or type(exc).__name__
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        if self.retrying is not None:
            self.retrying.set()


def _write_batch(
    session: Session,
    text: str,
    rows: list[Any],
    base: dict[str, Any],
    metadata: dict[str, Any],
    tries: _Tries,
    merge: str | None = None,
) -> Counts:
    """One batch in its own explicit transaction.

    Not ``execute_write``: the driver's managed retries would retry the server's
    transaction memory error too (it is a transient error, raised at the commit, out of
    the unit of work's reach), for ``max_transaction_retry_time`` each time, where the
    batch must be halved instead; the driver has no public way to say which errors to
    retry. So batches are retried here, and everything else that writes uses
    ``execute_write``.

    Transient errors (deadlocks, a leader switch) are retried with backoff for
    ``CASEGRAPH_RETRY_SECONDS``; a batch that needs more memory than the server allows a
    transaction is halved and retried instead, down to single rows. When ``text``
    creates (a first load) and the connection is lost, the commit may have happened:
    the retry uses ``merge``, which finds what was written.
    """
    deadline = time.monotonic() + retry_seconds()
    delay = 0.1
    while True:
        try:
            with session.begin_transaction(metadata=metadata) as tx:
                counts = _run_batch(tx, text, rows, base)
                tx.commit()
            return counts
        except Neo4jError as exc:
            if _is_memory_error(exc) and len(rows) > 1:
                tries.halvings += 1
                half = len(rows) // 2
                first = _write_batch(session, text, rows[:half], base, metadata, tries, merge)
                first.add(_write_batch(session, text, rows[half:], base, metadata, tries, merge))
                return first
            if not exc.is_retryable() or _is_memory_error(exc) or time.monotonic() > deadline:
                raise
            tries.retry(exc)
        except (ServiceUnavailable, SessionExpired) as exc:  # IncompleteCommit included
            if time.monotonic() > deadline:
                raise
            text = merge or text
            tries.retry(exc)
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def writer_count() -> int:
    """Concurrent write transactions of a batched load: ``CASEGRAPH_WRITERS``, else 2."""
    wanted = os.environ.get("CASEGRAPH_WRITERS", "").strip()
    if not wanted:
        return DEFAULT_WRITERS
    if not wanted.isdigit() or int(wanted) < 1:
        raise LoadError(f"CASEGRAPH_WRITERS must be a whole number of 1 or more, not {wanted!r}")
    return int(wanted)


class _Phase:
    """Writes a list of batches with up to ``writers`` threads, each with its own session.

    The rows of a batch are read just before it is written. The first failure stops the
    others from taking new batches; the threads' own batches finish first. After a retry,
    only the first writer goes on taking batches.
    """

    def __init__(
        self,
        driver: Driver,
        database: str,
        report: LoadReport,
        base: dict[str, Any],
        metadata: dict[str, Any],
        progress: Progress | None,
        total: int,
    ) -> None:
        self.driver, self.database, self.report = driver, database, report
        self.base, self.metadata, self.progress, self.total = base, metadata, progress, total
        self.done = 0  # elements written
        self.failure: BaseException | None = None
        self._lock = threading.Lock()
        self._serial = threading.Event()
        self._batches: Iterator[tuple[int, Batch]] = iter(())

    def run(self, batches: list[Batch], first: int, writers: int) -> None:
        self._batches = iter(enumerate(batches, start=first))
        self._serial.clear()
        if writers <= 1 or len(batches) <= 1:
            self._work(lead=True)
        else:
            threads = [
                threading.Thread(target=self._work, args=(i == 0,), daemon=True)
                for i in range(min(writers, len(batches)))
            ]
            for thread in threads:
                thread.start()
            try:
                for thread in threads:
                    thread.join()
            except BaseException as exc:  # Ctrl-C: no new batches, let the others finish
                with self._lock:
                    self.failure = self.failure or exc
                for thread in threads:
                    thread.join()
                raise
        if self.failure is not None:
            raise self.failure

    def _work(self, lead: bool) -> None:
        try:
            with self.driver.session(database=self.database) as session:
                while True:
                    with self._lock:  # a retry sets _serial before it pauses
                        if self.failure is not None or (self._serial.is_set() and not lead):
                            return
                        index, batch = next(self._batches, (-1, None))
                    if batch is None:
                        return
                    self._write(session, index, batch)
        except BaseException as exc:  # raised again by run(), in the calling thread
            with self._lock:
                self.failure = self.failure or exc

    def _write(self, session: Session, index: int, batch: Batch) -> None:
        report, tries = self.report, _Tries(retrying=self._serial)
        rows = batch.rows
        try:
            counts = _write_batch(
                session,
                batch.create if report.first_load else batch.body,
                rows,
                self.base,
                {**self.metadata, "batch": index},
                tries,
                merge=batch.body,
            )
        finally:
            # the driver's transaction and result objects refer to each other and to the
            # parameters: without this the rows would wait for the next full collection
            rows.clear()
            with self._lock:
                report.halvings += tries.halvings
                for reason, times in tries.reasons.items():
                    report.retry_reasons[reason] = report.retry_reasons.get(reason, 0) + times
        with self._lock:
            report.count(batch.kind, batch.name).add(counts)
            self.done += batch.size
            if self.progress:
                self.progress(self.done, self.total)


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
    base = _params(plan, report, dt.datetime.now(dt.UTC))
    with (
        driver.session(database=database) as lock_session,
        driver.session(database=database) as session,
    ):
        # held open for the whole load and rolled back at the end: it leaves no trace, and
        # if this process or the server dies, the server releases it with the connection
        lock_tx = lock_session.begin_transaction(metadata={**metadata, "lock": True})
        try:
            _lock(lock_tx, plan, report.run)  # type: ignore[arg-type]
            session.execute_read(lambda tx: _check_owners(tx, plan))
            # under the lock: a first load of the dataset creates instead of merging
            report.first_load = session.execute_read(
                lambda tx: tx.run(FIRST_LOAD, dataset=plan.dataset).single(strict=True)[0]
            )
            session.execute_write(lambda tx: tx.run(RUN_START, base).consume())
        except (Neo4jError, DriverError) as exc:
            lock_tx.close()
            raise DatabaseUnavailableError(f"cannot start the load: {exc}") from None
        phase = _Phase(driver, database, report, base, metadata, progress, plan.size)
        try:
            phase.run(plan.nodes, 0, writers)  # every node before the relationships to them
            phase.run(plan.rels, len(plan.nodes), writers)
            if prune:
                session.execute_write(lambda tx: _prune(tx, plan, report, count_only=False))
        except Exception as exc:  # anything, even a bug: record the run as failed first
            report.status = "failed"
            message = f"{type(exc).__name__}: {exc}"
            try:
                session.execute_write(lambda tx: end_run(tx, report, error=message))
                recorded = f"LoadRun {report.run} is marked failed"
            except (Neo4jError, DriverError):
                recorded = f"LoadRun {report.run} stays 'running' (Neo4j unreachable)"
            raise LoadError(
                f"the batched load failed after {phase.done} of {plan.size} elements "
                f"({message}); {recorded}; run the same load again to complete it"
            ) from None
        finally:
            with suppress(Neo4jError, DriverError):
                lock_tx.close()  # rolls back: releases the lock
        report.status = "succeeded"
        session.execute_write(lambda tx: end_run(tx, report, error=None))
    return report
