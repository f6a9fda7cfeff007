"""A batched load's writing: batches in transactions of their own (the driver's managed
transactions, which retry transient errors: deadlocks, a leader switch, a lost
connection), ``writers`` threads at a time, halved on the transaction memory limit, one
writer only from the first retry on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, LiteralString, TypeVar

from neo4j import Driver, ManagedTransaction, Session, Transaction, unit_of_work
from neo4j.exceptions import DriverError, IncompleteCommit, Neo4jError

from loader import connection, settings
from loader.errors import LoadError, TransactionMemoryError
from loader.plan.build import Batch
from loader.plan.statements import PARAM_HEAD
from loader.write.report import Counts, LoadReport

DEFAULT_WRITERS = 2
Progress = Callable[[int, int], None]


def query_text(text: str) -> LiteralString:
    """Query text built from constant templates and names quoted by ``Ontology.quote``."""
    return text  # type checkers that know LiteralString are told so by the signature


def run_batch(
    tx: ManagedTransaction | Transaction,
    text: str,
    rows: list[Any],
    base: dict[str, Any],
) -> Counts:
    record = tx.run(query_text(PARAM_HEAD + text), base, rows=rows).single(strict=True)
    if record["rows"] != len(rows):
        raise LoadError(f"a batch wrote {record['rows']} of {len(rows)} rows")  # a bug
    return Counts(
        created=record["created"],
        changed=record["changed"],
        unchanged=len(rows) - record["created"] - record["changed"],
    )


def is_memory_error(exc: BaseException) -> bool:
    return isinstance(exc, Neo4jError) and str(exc.code or "").endswith("OutOfMemoryError")


@dataclass
class Tries:
    halvings: int = 0
    retrying: threading.Event | None = None  # set when a retry begins
    reasons: dict[str, int] = field(default_factory=dict)  # retries by what they followed

    def retry(self, reason: str) -> None:
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        if self.retrying is not None:
            self.retrying.set()


T = TypeVar("T")

COMMIT_FAILED = "the commit failed"  # a retry's reason when the driver retries a commit


def managed(
    session: Session,
    work: Callable[[ManagedTransaction], T],
    metadata: dict[str, Any],
    tries: Tries,
    divisible: bool,
) -> T:
    """``work`` in one managed transaction (``execute_write``): the driver retries transient
    errors, with its backoff, for ``max_transaction_retry_time`` (``CASEGRAPH_RETRY_SECONDS``).

    The transaction memory limit is a transient error too, but the same work would only
    fail again. Raised while the work runs, it becomes ``TransactionMemoryError``, which
    the driver does not retry. Raised at the commit (after the work returned: 9 of 15
    times in a measured load) it is out of the unit of work's reach, and the driver
    calls the work again: a work that ran to its end before then raises
    ``TransactionMemoryError`` too, when it is ``divisible`` (which also makes smaller a
    piece whose commit failed for another reason, a leader switch say: no harm). When the
    retry time is already used up (by an earlier retry of the same work) the driver raises
    the commit's memory error itself, and a divisible work turns it into
    ``TransactionMemoryError`` as well. A work that is not divisible raises the server's
    own memory error instead; one whose commit failed is retried as it is, and after the
    driver's retry time that error is raised."""
    calls = 0
    ran, reason = False, ""

    @unit_of_work(metadata=metadata)
    def unit(tx: ManagedTransaction) -> T:
        nonlocal calls, ran, reason
        if calls:
            if ran and divisible:
                raise TransactionMemoryError(COMMIT_FAILED)
            tries.retry(reason or COMMIT_FAILED)
        calls, ran, reason = calls + 1, False, ""
        try:
            result = work(tx)
        except (Neo4jError, DriverError) as exc:
            if is_memory_error(exc):
                raise TransactionMemoryError(str(exc)) from exc
            reason = getattr(exc, "code", None) or type(exc).__name__
            raise
        ran = True
        return result

    try:
        return session.execute_write(unit)
    except TransactionMemoryError as exc:
        if divisible or exc.__cause__ is None:
            raise
        raise exc.__cause__ from None  # nothing smaller to try: the server's own error
    except Neo4jError as exc:
        # a commit's memory error once the retry time is used up: the driver raises it
        # without calling the work again, so it is turned into the halving here
        if divisible and is_memory_error(exc):
            raise TransactionMemoryError(str(exc)) from exc
        raise


def _write_batch(
    session: Session,
    text: str,
    rows: list[Any],
    base: dict[str, Any],
    metadata: dict[str, Any],
    tries: Tries,
    merge: str | None = None,
) -> Counts:
    """One batch in a managed transaction of its own (``managed``).

    A batch that needs more memory than the server allows a transaction is halved and
    each half written in the same way, down to single rows. When ``text`` creates (a
    first load) and the connection is lost during the commit, the commit may have
    happened (``IncompleteCommit``, which the driver does not retry): the batch is
    written once more with ``merge``, which finds what was written.
    """

    def write(statement: str) -> Counts:
        return managed(
            session,
            lambda tx: run_batch(tx, statement, rows, base),
            metadata,
            tries,
            divisible=len(rows) > 1,
        )

    try:
        try:
            return write(text)
        except IncompleteCommit as exc:
            tries.retry(type(exc).__name__)
            return write(merge or text)
    except TransactionMemoryError:
        pass  # only a batch of two rows or more gets here (managed): halve it
    tries.halvings += 1
    half = len(rows) // 2
    first = _write_batch(session, text, rows[:half], base, metadata, tries, merge)
    first.add(_write_batch(session, text, rows[half:], base, metadata, tries, merge))
    return first


def delete_stale(
    session: Session,
    text: str,
    params: dict[str, Any],
    metadata: dict[str, Any],
    tries: Tries,
    limit: int,
) -> int:
    """Run a prune statement (``text`` deletes at most ``$limit`` elements) in managed
    transactions of its own until it deletes fewer than the limit; returns how many it
    deleted. A retry is harmless (it deletes what is still stale, also after a lost
    commit), and the limit is halved on the transaction memory limit, down to one."""

    def delete(tx: ManagedTransaction) -> int:
        return int(tx.run(query_text(text), params, limit=limit).single(strict=True)["deleted"])

    total, lost = 0, False
    while True:
        try:
            deleted = managed(
                session, delete, {**metadata, "prune": True}, tries, divisible=limit > 1
            )
        except IncompleteCommit as exc:
            if lost:  # twice in a row: the caller says the outcome is unknown
                raise
            lost = True
            tries.retry(type(exc).__name__)
            continue
        except TransactionMemoryError:  # only with a limit of two or more (managed)
            tries.halvings += 1
            limit //= 2
            continue
        total, lost = total + deleted, False
        if deleted < limit:
            return total


def writer_count() -> int:
    """Concurrent write transactions of a batched load: ``CASEGRAPH_WRITERS``, else 2."""
    return settings.whole("CASEGRAPH_WRITERS", DEFAULT_WRITERS, minimum=1)


class Phase:
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
            with connection.session(self.driver, self.database) as session:
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
        report, tries = self.report, Tries(retrying=self._serial)
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
