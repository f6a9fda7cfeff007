"""A batched load's writing: batches in their own transactions, ``writers`` threads at a
time, halved on the transaction memory limit, retried on transient errors (deadlocks,
a leader switch), one writer only from the first retry on."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, LiteralString, TypeVar

from neo4j import Driver, ManagedTransaction, Session, Transaction
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from loader import settings
from loader.connection import retry_seconds
from loader.errors import LoadError
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
    retrying: threading.Event | None = None  # set before a retry's pause
    reasons: dict[str, int] = field(default_factory=dict)  # retries by what they followed

    def retry(self, exc: Exception) -> None:
        reason = getattr(exc, "code", None) or type(exc).__name__
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        if self.retrying is not None:
            self.retrying.set()


T = TypeVar("T")


def _retried(attempt: Callable[[bool], T], tries: Tries) -> T:
    """``attempt()`` in a transaction of its own, retried on transient errors (deadlocks,
    a leader switch, the connection lost) with backoff for ``CASEGRAPH_RETRY_SECONDS``.
    Its argument says whether the connection was lost in an earlier try (a commit may
    have happened). The transaction memory error is raised at once: the caller makes the
    work smaller instead."""
    deadline = time.monotonic() + retry_seconds()
    delay, lost = 0.1, False
    while True:
        try:
            return attempt(lost)
        except Neo4jError as exc:
            if not exc.is_retryable() or is_memory_error(exc) or time.monotonic() > deadline:
                raise
            tries.retry(exc)
        except (ServiceUnavailable, SessionExpired) as exc:  # IncompleteCommit included
            if time.monotonic() > deadline:
                raise
            lost = True
            tries.retry(exc)
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def _write_batch(
    session: Session,
    text: str,
    rows: list[Any],
    base: dict[str, Any],
    metadata: dict[str, Any],
    tries: Tries,
    merge: str | None = None,
) -> Counts:
    """One batch in its own explicit transaction.

    Not ``execute_write``: the driver's managed retries would retry the server's
    transaction memory error too (a transient error, raised while the batch runs or at
    the commit, where the unit of work cannot reach it: 9 of 15 in a measured load), for
    ``max_transaction_retry_time`` each time, where the batch must be halved instead;
    the driver has no public way to say which errors to retry. So batches are retried
    here (``_retried``), and everything else that writes uses ``execute_write``.

    A batch that needs more memory than the server allows a transaction is halved and
    retried instead, down to single rows. When ``text`` creates (a first load) and the
    connection is lost, the commit may have happened: the retry uses ``merge``, which
    finds what was written.
    """

    def attempt(lost: bool) -> Counts:
        with session.begin_transaction(metadata=metadata) as tx:
            counts = run_batch(tx, (merge or text) if lost else text, rows, base)
            tx.commit()
        return counts

    try:
        return _retried(attempt, tries)
    except Neo4jError as exc:
        if not is_memory_error(exc) or len(rows) < 2:
            raise
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
    """Run a prune statement (``text`` deletes at most ``$limit`` elements) in transactions
    of its own until it deletes fewer than the limit; returns how many it deleted.

    Retried as a batch is (``_retried``; a retry is harmless: it deletes what is still
    stale), and the limit halved on the transaction memory limit, down to one element."""

    def attempt(lost: bool) -> int:
        with session.begin_transaction(metadata={**metadata, "prune": True}) as tx:
            record = tx.run(query_text(text), params, limit=limit).single(strict=True)
            tx.commit()
        return int(record["deleted"])

    total = 0
    while True:
        try:
            deleted = _retried(attempt, tries)
        except Neo4jError as exc:
            if not is_memory_error(exc) or limit < 2:
                raise
            tries.halvings += 1
            limit //= 2
            continue
        total += deleted
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
