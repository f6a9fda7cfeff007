"""Batched loads with several writers, and the check of ids used by other data: against
the real Neo4j. The graph must not depend on how many transactions write it at once."""

from __future__ import annotations

import gc
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver
from neo4j.exceptions import TransientError

from benchmarks import generate as gen
from loader.check.validate import read_graph
from loader.errors import LoadError
from loader.model.ontology import Ontology, load_ontology
from loader.plan.build import Plan, build_plan
from loader.write import batches, writer
from loader.write.report import Counts, LoadReport
from tests.conftest import Neo4jServer, wipe
from tests.dump import canonical_dump
from tests.helpers import copy_mini, counts, mini_ontology

pytestmark = pytest.mark.neo4j

ENTITIES = 400  # about 1,600 elements: 40-odd batches of 50


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ontology]:
    ont = load_ontology()
    out = tmp_path_factory.mktemp("writers") / "case"
    gen.generate(out, ENTITIES, "powerlaw", files=2, seed=3, ontology=ont)
    return out, ont


def _plan(case: tuple[Path, Ontology]) -> Plan:
    path, ont = case
    return build_plan(read_graph([path], ont), ont, batch_size=50)


def test_several_writers_write_the_same_graph_as_one(
    empty_db: Neo4jServer, driver: Driver, case: tuple[Path, Ontology]
) -> None:
    plan = _plan(case)
    nodes = sum(b.size for b in plan.nodes)
    rels = sum(b.size for b in plan.rels)
    one = writer.load(driver, empty_db.database, plan, single_limit=10, writers=1)
    expected = canonical_dump(driver, empty_db.database)
    assert counts(driver, empty_db.database) == (nodes, rels)
    for writers in (2, 4):
        wipe(driver, empty_db.database)
        seen: list[int] = []
        report = writer.load(
            driver,
            empty_db.database,
            plan,
            single_limit=10,
            writers=writers,
            progress=lambda done, total, seen=seen: seen.append(done),
        )
        assert report.first_load
        assert report.status == "succeeded"
        assert report.to_dict()["nodes"] == one.to_dict()["nodes"]
        assert report.to_dict()["relationships"] == one.to_dict()["relationships"]
        assert seen == sorted(seen)
        assert seen[-1] == plan.size
        assert canonical_dump(driver, empty_db.database) == expected
    # merging (not a first load) with several writers: nothing changes
    again = writer.load(driver, empty_db.database, plan, single_limit=10, writers=3, force=True)
    assert not again.first_load
    assert again.totals.unchanged == plan.size
    assert canonical_dump(driver, empty_db.database) == expected


def test_writers_stop_at_the_first_failure_and_say_how_far_they_got(
    empty_db: Neo4jServer, driver: Driver, case: tuple[Path, Ontology]
) -> None:
    plan = _plan(case)

    def explode(done: int, total: int) -> None:
        if done >= 120:
            raise RuntimeError(f"fault injected at {done} of {total}")

    with pytest.raises(LoadError, match="failed after") as info:
        writer.load(driver, empty_db.database, plan, single_limit=10, writers=3, progress=explode)
    done = int(re.search(r"failed after (\d+) of", str(info.value)).group(1))  # type: ignore[union-attr]
    # every batch a writer had started was committed and counted; no other was started
    assert 120 <= done < 120 + 3 * 50
    assert counts(driver, empty_db.database) == (done, 0)  # still in the node batches
    records, _, _ = driver.execute_query(
        "MATCH (l:LoadRun) RETURN l.status AS status", database_=empty_db.database
    )
    assert [r["status"] for r in records] == ["failed"]
    report = writer.load(driver, empty_db.database, plan, single_limit=10, writers=3)
    assert report.status == "succeeded"
    assert report.totals.unchanged == done
    assert counts(driver, empty_db.database) == (
        sum(b.size for b in plan.nodes),
        sum(b.size for b in plan.rels),
    )


class _Deadlock(TransientError):
    code = "Neo.TransientError.Transaction.DeadlockDetected"  # what the server would send


def test_after_a_retry_one_writer_goes_on(
    empty_db: Neo4jServer,
    driver: Driver,
    case: tuple[Path, Ontology],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A transient error (a deadlock, say) on a relationship batch is retried, and the
    batches started after it come from one thread only."""
    plan = _plan(case)
    original = batches.run_batch
    lock = threading.Lock()
    events: list[tuple[str, str, str]] = []  # (what, thread, query head)
    failed = threading.Event()

    def flaky(tx: Any, text: str, rows: list[Any], base: dict[str, Any]) -> Counts:
        name = threading.current_thread().name
        with lock:
            events.append(("start", name, text))
            inject = "MATCH (a:" in text and not failed.is_set()
            if inject:
                failed.set()
        if inject:
            raise _Deadlock("deadlock injected")
        counts = original(tx, text, rows, base)
        with lock:
            events.append(("done", name, text))
        return counts

    monkeypatch.setattr(batches, "run_batch", flaky)
    report = writer.load(driver, empty_db.database, plan, single_limit=10, writers=3)
    assert report.status == "succeeded"
    assert report.retries == 1
    assert report.to_dict()["batch_retry_reasons"] == {_Deadlock.code: 1}
    assert counts(driver, empty_db.database) == (
        sum(b.size for b in plan.nodes),
        sum(b.size for b in plan.rels),
    )
    failing = next(i for i, e in enumerate(events) if "MATCH (a:" in e[2])
    retried_thread = events[failing][1]
    retry_done = next(
        i for i in range(failing + 1, len(events)) if events[i][:2] == ("done", retried_thread)
    )
    later = {name for what, name, _ in events[retry_done + 1 :] if what == "start"}
    assert len(later) <= 1
    # before the failure the relationship batches were shared out
    node_threads = {name for what, name, text in events[:failing] if what == "start"}
    assert len(node_threads) > 1


def test_seek_and_scan_find_the_same_ids_of_other_data(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    """Both forms of the ownership check (id by id, or reading the label) give the same
    answer, whatever else the database holds (here an id that is not a string)."""
    seed = copy_mini(tmp_path)
    ont = mini_ontology()
    writer.load(driver, empty_db.database, build_plan(read_graph([seed], ont), ont))
    driver.execute_query(
        "CREATE (:Person {id: 5, name: 'not casegraph data'}), "
        "(:Person {id: 'person/zed', name: 'foreign'})",
        database_=empty_db.database,
    )
    intruder = tmp_path / "intruder"
    intruder.mkdir()
    (intruder / "in.yaml").write_text(
        "dataset: intruder\n"
        "nodes:\n"
        "  - {id: src/x, type: Source, title: X}\n"
        "  - {id: person/ada, type: Org, name: Not Ada}\n"  # a Person of 'mini'
        "  - {id: person/zed, type: Person, name: Zed, sources: [src/x]}\n"  # not ours
        "  - {id: org/acme, type: Org, name: ACME}\n"  # an Org of 'mini'
        "  - {id: '5', type: Org, name: Five}\n",  # the string, not the integer 5
        encoding="utf-8",
    )
    plan = build_plan(read_graph([intruder], ont), ont)
    wanted = plan.wanted()
    found: dict[str, set[tuple[Any, ...]]] = {}
    for form in ("seek", "scan"):
        rows: set[tuple[Any, ...]] = set()
        for check in plan.owners:
            records, _, _ = driver.execute_query(
                getattr(check, form),
                wanted=wanted,
                dataset=plan.dataset,
                label=check.label,
                database_=empty_db.database,
            )
            rows |= {(r["id"], r["owner"], r["label"], r["wanted"]) for r in records}
        found[form] = rows
    assert (
        found["seek"]
        == found["scan"]
        == {
            ("person/ada", "mini", "Person", "Org"),
            ("person/zed", None, "Person", "Person"),
            ("org/acme", "mini", "Org", "Org"),
        }
    )
    with pytest.raises(LoadError) as info:
        writer.load(driver, empty_db.database, plan)
    message = str(info.value)
    assert "'person/ada' (a Person of dataset 'mini')" in message
    assert "'person/zed' (a Person of data casegraph did not write)" in message
    assert "'org/acme' (a Org of dataset 'mini')" in message


def test_a_first_load_into_an_empty_database_reads_no_ids(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no node of any label in the database, the ownership check costs one
    count-store read per label and never builds the list of ids."""
    seed = copy_mini(tmp_path)
    ont = mini_ontology()
    plan = build_plan(read_graph([seed], ont), ont)
    asked: list[int] = []
    source = plan.wanted_source
    monkeypatch.setattr(plan, "wanted_source", lambda: asked.append(1) or source())
    report = writer.load(driver, empty_db.database, plan)
    assert report.status == "succeeded"
    assert asked == []
    # a second dataset now finds nodes: it reads them
    other = tmp_path / "other"
    other.mkdir()
    (other / "o.yaml").write_text(
        "dataset: other\nnodes:\n  - {id: org/other, type: Org, name: Other}\n", encoding="utf-8"
    )
    plan2 = build_plan(read_graph([other], ont), ont)
    source2 = plan2.wanted_source
    monkeypatch.setattr(plan2, "wanted_source", lambda: asked.append(2) or source2())
    assert writer.load(driver, empty_db.database, plan2).status == "succeeded"
    assert asked == [2]


def test_a_bad_writers_setting_is_refused_before_anything_is_written(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    from tests.helpers import TEST_ONTOLOGY, casegraph

    env = {**empty_db.env(), "CASEGRAPH_ONTOLOGY": str(TEST_ONTOLOGY), "CASEGRAPH_WRITERS": "0"}
    done = casegraph("load", str(copy_mini(tmp_path)), env=env)
    assert done.returncode == 1
    assert "CASEGRAPH_WRITERS must be a whole number of 1 or more, not '0'" in done.stderr
    records, _, _ = driver.execute_query(
        "MATCH (n) RETURN count(n) AS n", database_=empty_db.database
    )
    assert records[0]["n"] == 0
    constraints, _, _ = driver.execute_query("SHOW CONSTRAINTS", database_=empty_db.database)
    assert constraints == []  # refused before the schema too


def _garbage_rows() -> int:
    """Row dicts of batches that only a collection would free (gc must be off)."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return sum(1 for o in gc.garbage if isinstance(o, dict) and "hash" in o and "props" in o)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def test_rows_are_freed_after_their_batch_and_old_objects_frozen_while_writing(
    empty_db: Neo4jServer, driver: Driver, case: tuple[Path, Ontology]
) -> None:
    plan = _plan(case)

    def load(writers: int) -> tuple[LoadReport, list[int]]:
        """The load, and the objects frozen each time it reported progress."""
        frozen: list[int] = []
        report = writer.load(
            driver,
            empty_db.database,
            plan,
            single_limit=10,
            writers=writers,
            progress=lambda done, total: frozen.append(gc.get_freeze_count()),
        )
        assert report.status == "succeeded"
        return report, frozen

    gc.collect()
    gc.disable()
    try:
        assert _garbage_rows() == 0
        _, frozen = load(writers=2)
        # the driver keeps a batch's parameters in reference cycles: the rows are emptied
        assert _garbage_rows() == 0
    finally:
        gc.enable()
    assert min(frozen) > 0  # objects older than the load were frozen while it wrote
    assert gc.get_freeze_count() == 0  # and thawed afterwards
    # a program that froze objects itself keeps them frozen, and the load leaves them be
    gc.freeze()
    try:
        count = gc.get_freeze_count()
        wipe(driver, empty_db.database)
        _, during = load(writers=1)
        # nothing frozen by the load (frozen objects can still be freed), nothing thawed
        assert 0 < min(during) <= max(during) <= count
        assert 0 < gc.get_freeze_count() <= count
    finally:
        gc.unfreeze()
