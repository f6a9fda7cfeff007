"""Loading into the real Neo4j: idempotent, change-aware, prunes only its own dataset,
refuses bad input without touching the database, and never leaves a half-load."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase

from loader.check.validate import read_graph
from loader.errors import LoadError
from loader.plan.build import build_plan
from loader.write import batches, writer
from loader.write.report import Counts
from tests.conftest import Neo4jServer
from tests.dump import canonical_dump
from tests.helpers import TEST_ONTOLOGY, casegraph, copy_mini, counts, mini_ontology

pytestmark = pytest.mark.neo4j


def load_dir(server: Neo4jServer, path: Path, *extra: str) -> dict[str, Any]:
    env = server.env()
    env["CASEGRAPH_ONTOLOGY"] = str(TEST_ONTOLOGY)
    done = casegraph("load", str(path), "--json", *extra, env=env)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_first_load_creates_what_the_yaml_says(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    report = load_dir(empty_db, copy_mini(tmp_path))
    # tests/data/mini: 4 nodes (1 Source, 2 Person, 1 Org) and 3 relationships
    assert report["totals"] == {"created": 7, "changed": 0, "unchanged": 0, "deleted": 0}
    assert report["nodes"]["Person"]["created"] == 2
    assert report["relationships"]["WORKS_FOR"]["created"] == 2
    assert counts(driver, empty_db.database) == (4, 3)
    records, _, _ = driver.execute_query(
        "MATCH (p:Person {id: 'person/ada'}) RETURN p", database_=empty_db.database
    )
    ada = records[0]["p"]
    assert ada["nationality"] == "NO"  # not YAML 1.1's false
    assert ada["aliases"] == ["A. Example", "NO"]
    assert ada["age"] == 44
    assert ada["height"] == 1.7
    assert ada["verified"] is True
    assert str(ada["born"]) == "1980-01-01"
    assert ada["born_precision"] == "year"
    assert ada["bio"] == "Two lines\nof text.\n"
    assert ada["sources"] == ["src/paper"]
    assert ada["dataset"] == "mini"
    assert ada["load_run"] == report["run"]
    assert ada["first_seen"] is not None
    records, _, _ = driver.execute_query(
        "MATCH (:Person)-[r:WORKS_FOR]->(:Org) RETURN r.role AS role, r.status AS status, "
        "toString(r.valid_from) AS since, r.valid_from_precision AS precision ORDER BY since",
        database_=empty_db.database,
    )
    assert [tuple(r.values()) for r in records] == [
        ("engineer", "reported", "2020-01-01", "month"),
        ("director", "alleged", "2023-12-05", "day"),
    ]
    records, _, _ = driver.execute_query(
        "MATCH (l:LoadRun {id: $run}) RETURN l.status AS status, l.dataset AS dataset",
        run=report["run"],
        database_=empty_db.database,
    )
    assert records[0]["status"] == "succeeded"
    assert records[0]["dataset"] == "mini"


def test_second_load_changes_nothing(empty_db: Neo4jServer, driver: Driver, tmp_path: Path) -> None:
    seed = copy_mini(tmp_path)
    first = load_dir(empty_db, seed)
    assert first["first_load"]  # nothing of the dataset in the database: created, not merged
    before = canonical_dump(driver, empty_db.database)
    first_counts = counts(driver, empty_db.database)
    runs = driver.execute_query("MATCH (l:LoadRun) RETURN count(l) AS c").records[0]["c"]
    again = load_dir(empty_db, seed)
    assert again["totals"] == {"created": 0, "changed": 0, "unchanged": 7, "deleted": 0}
    assert again["mode"] == "skipped"  # same input as the last successful load: no write
    assert list(again["timings"]) == ["check_s"]  # decided from the bytes: nothing parsed
    assert again["nodes"] == {"Org": {"created": 0, "changed": 0, "unchanged": 1, "deleted": 0},
                              "Person": {"created": 0, "changed": 0, "unchanged": 2,
                                         "deleted": 0},
                              "Source": {"created": 0, "changed": 0, "unchanged": 1,
                                         "deleted": 0}}  # fmt: skip
    assert driver.execute_query("MATCH (l:LoadRun) RETURN count(l) AS c").records[0]["c"] == runs
    assert counts(driver, empty_db.database) == first_counts
    assert canonical_dump(driver, empty_db.database) == before
    forced = load_dir(empty_db, seed, "--force")
    assert forced["mode"] == "single"
    assert not forced["first_load"]
    assert list(forced["timings"]) == ["check_s", "parse_s", "plan_s", "write_s"]
    assert forced["totals"] == {"created": 0, "changed": 0, "unchanged": 7, "deleted": 0}
    assert canonical_dump(driver, empty_db.database) == before


def test_unchanged_input_is_written_when_data_went_missing(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = copy_mini(tmp_path)
    load_dir(empty_db, seed)
    before = canonical_dump(driver, empty_db.database)
    driver.execute_query(
        "MATCH (p:Person {id: 'person/bob'}) DETACH DELETE p", database_=empty_db.database
    )
    report = load_dir(empty_db, seed)
    assert report["mode"] == "single"
    assert report["totals"] == {"created": 2, "changed": 0, "unchanged": 5, "deleted": 0}
    assert canonical_dump(driver, empty_db.database) == before


def test_one_changed_property_is_one_change(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = copy_mini(tmp_path)
    load_dir(empty_db, seed)
    people = seed / "people.yaml"
    people.write_text(people.read_text().replace("age: 44", "age: 45"))
    report = load_dir(empty_db, seed)
    assert report["totals"] == {"created": 0, "changed": 1, "unchanged": 6, "deleted": 0}
    assert report["nodes"]["Person"]["changed"] == 1
    records, _, _ = driver.execute_query(
        "MATCH (p:Person {id: 'person/ada'}) RETURN p.age AS age", database_=empty_db.database
    )
    assert records[0]["age"] == 45


def test_removed_property_is_removed(empty_db: Neo4jServer, driver: Driver, tmp_path: Path) -> None:
    seed = copy_mini(tmp_path)
    load_dir(empty_db, seed)
    people = seed / "people.yaml"
    people.write_text(people.read_text().replace("    height: 1.7\n", ""))
    report = load_dir(empty_db, seed)
    assert report["totals"]["changed"] == 1
    records, _, _ = driver.execute_query(
        "MATCH (p:Person {id: 'person/ada'}) RETURN p.height AS h, p.age AS age",
        database_=empty_db.database,
    )
    assert records[0]["h"] is None
    assert records[0]["age"] == 44


OTHER = """dataset: other
nodes:
  - {id: other/src, type: Source, title: Another paper}
  - {id: other/eve, type: Person, name: Eve, sources: [other/src]}
  - {id: other/org, type: Org, name: Other Org}
relationships:
  - {type: WORKS_FOR, from: other/eve, to: other/org, status: reported, sources: [other/src]}
"""


def test_prune_removes_only_this_datasets_stale_elements(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = copy_mini(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "other.yaml").write_text(OTHER)
    load_dir(empty_db, seed)
    load_dir(empty_db, other)
    other_before = [
        row for row in canonical_dump(driver, empty_db.database)["nodes"]
        if row[1]["dataset"] == "other"
    ]  # fmt: skip
    # remove Bob: his node and the KNOWS relationship to him go
    people = seed / "people.yaml"
    text = people.read_text()
    text = text.replace(
        "  - id: person/bob\n    type: Person\n    name: Bob Example\n    sources: [src/paper]\n",
        "",
    )
    text = text.replace(
        "  - type: KNOWS\n    from: person/ada\n    to: person/bob\n    since: 2001\n", ""
    )
    people.write_text(text)
    without_prune = load_dir(empty_db, seed)
    assert without_prune["totals"]["deleted"] == 0
    assert counts(driver, empty_db.database) == (4 + 3, 3 + 1)
    report = load_dir(empty_db, seed, "--prune")
    assert report["totals"] == {"created": 0, "changed": 0, "unchanged": 5, "deleted": 2}
    assert report["nodes"]["Person"]["deleted"] == 1
    assert report["relationships"]["KNOWS"]["deleted"] == 1
    records, _, _ = driver.execute_query(
        "MATCH (p:Person) RETURN p.id AS id ORDER BY id", database_=empty_db.database
    )
    assert [r["id"] for r in records] == ["other/eve", "person/ada"]
    other_after = [
        row for row in canonical_dump(driver, empty_db.database)["nodes"]
        if row[1]["dataset"] == "other"
    ]  # fmt: skip
    assert other_after == other_before
    assert counts(driver, empty_db.database) == (3 + 3, 2 + 1)


def test_prune_keeps_nodes_linked_by_foreign_data(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = copy_mini(tmp_path)
    load_dir(empty_db, seed)
    driver.execute_query(
        "MATCH (o:Org {id: 'org/acme'}) CREATE (:Note {text: 'hand-made'})-[:ABOUT]->(o)",
        database_=empty_db.database,
    )
    people = seed / "people.yaml"
    text = people.read_text()
    start = text.index("  - id: org/acme")
    text = text[:start] + text[text.index("relationships:") :]
    text = (
        text.split("relationships:")[0]
        + "relationships:\n"
        + ("  - type: KNOWS\n    from: person/ada\n    to: person/bob\n    since: 2001\n")
    )
    people.write_text(text)
    report = load_dir(empty_db, seed, "--prune")
    assert report["relationships"]["WORKS_FOR"]["deleted"] == 2
    assert report["kept_linked_nodes"] == 1
    records, _, _ = driver.execute_query(
        "MATCH (n:Note)-[:ABOUT]->(o:Org {id: 'org/acme'}) RETURN count(*) AS c",
        database_=empty_db.database,
    )
    assert records[0]["c"] == 1


BAD_PEOPLE = """dataset: mini
nodes:
  - id: person/carl
    type: Person
    name: Carl
    age: forty
    sources: [src/paper]
  - id: person/dora
    type: Persn
    name: Dora
"""
BAD_RELS = """dataset: mini
relationships:
  - type: WORKS_FOR
    from: person/carl
    to: org/nowhere
    status: reported
    sources: [src/paper]
  - type: KNOWS
    from: person/carl
    to: src/paper
"""


def test_bad_input_in_several_files_changes_nothing(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = copy_mini(tmp_path)
    load_dir(empty_db, seed)
    before = canonical_dump(driver, empty_db.database)
    runs_before = driver.execute_query(
        "MATCH (l:LoadRun) RETURN count(l) AS c", database_=empty_db.database
    ).records[0]["c"]
    (seed / "zz-bad-people.yaml").write_text(BAD_PEOPLE)
    (seed / "zz-bad-rels.yaml").write_text(BAD_RELS)
    people = seed / "people.yaml"
    people.write_text(people.read_text().replace("age: 44", "age: 46"))  # a valid change too
    env = empty_db.env()
    env["CASEGRAPH_ONTOLOGY"] = str(TEST_ONTOLOGY)
    done = casegraph("load", str(seed), env=env)
    assert done.returncode == 1
    bad_p, bad_r = seed / "zz-bad-people.yaml", seed / "zz-bad-rels.yaml"
    assert done.stderr.splitlines() == [
        f"{bad_p}:6:10: 'age': 'forty' is not an integer",
        f"{bad_p}:9:11: unknown node type 'Persn' (known: Org, Person, Source)",
        f"{bad_r}:5:9: 'to' refers to unknown id 'org/nowhere'",
        f"{bad_r}:8:5: KNOWS cannot go from Person to Source (allowed: Person->Person)",
        "Error: 4 problems in the input",
    ]
    assert canonical_dump(driver, empty_db.database) == before
    runs_after = driver.execute_query(
        "MATCH (l:LoadRun) RETURN count(l) AS c", database_=empty_db.database
    ).records[0]["c"]
    assert runs_after == runs_before


class Boom(RuntimeError):
    pass


def _explode_after(n: int) -> writer.Progress:
    def progress(done: int, total: int) -> None:
        if done >= n:
            raise Boom(f"fault injected after {done} of {total}")

    return progress


def test_failure_in_single_transaction_leaves_old_graph(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = copy_mini(tmp_path)
    load_dir(empty_db, seed)
    before = canonical_dump(driver, empty_db.database)
    people = seed / "people.yaml"
    people.write_text(people.read_text().replace("age: 44", "age: 50"))
    ont = mini_ontology()
    plan = build_plan(read_graph([seed], ont), ont, batch_size=1)
    with pytest.raises(Boom):
        writer.load(driver, empty_db.database, plan, progress=_explode_after(3))
    assert canonical_dump(driver, empty_db.database) == before


def test_failed_batched_load_is_recorded_and_a_rerun_converges(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = copy_mini(tmp_path)
    ont = mini_ontology()
    # the exact expected graph, from a clean single-transaction load
    load_dir(empty_db, seed)
    expected = canonical_dump(driver, empty_db.database)
    from tests.conftest import wipe

    wipe(driver, empty_db.database)
    plan = build_plan(read_graph([seed], ont), ont, batch_size=1)
    with pytest.raises(LoadError, match=r"failed after 3 of 7 elements .* marked failed"):
        writer.load(
            driver, empty_db.database, plan, single_limit=2, progress=_explode_after(3), writers=1
        )
    records, _, _ = driver.execute_query(
        "MATCH (l:LoadRun) RETURN l.status AS status, l.error AS error",
        database_=empty_db.database,
    )
    assert [r["status"] for r in records] == ["failed"]
    assert "fault injected" in records[0]["error"]
    assert counts(driver, empty_db.database) == (3, 0)  # three single-row batches committed
    report = writer.load(driver, empty_db.database, plan, single_limit=2)
    assert report.status == "succeeded"
    assert report.totals.created == 4
    assert report.totals.unchanged == 3
    assert canonical_dump(driver, empty_db.database) == expected


def test_ids_of_another_dataset_are_refused(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = copy_mini(tmp_path)
    load_dir(empty_db, seed)
    before = canonical_dump(driver, empty_db.database)
    env = empty_db.env()
    env["CASEGRAPH_ONTOLOGY"] = str(TEST_ONTOLOGY)
    for path in seed.glob("*.yaml"):  # the same ids, said to be another dataset's
        path.write_text(path.read_text().replace("dataset: mini", "dataset: thief"))
    done = casegraph("load", str(seed), env=env)
    assert done.returncode == 1
    assert "(a Person of dataset 'mini')" in done.stderr
    assert canonical_dump(driver, empty_db.database) == before


def test_dry_run_reports_and_writes_nothing(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = copy_mini(tmp_path)
    load_dir(empty_db, seed)
    before = canonical_dump(driver, empty_db.database)
    people = seed / "people.yaml"
    people.write_text(people.read_text().replace("age: 44", "age: 47"))
    report = load_dir(empty_db, seed, "--dry-run")
    assert report["dry_run"] is True
    assert report["totals"] == {"created": 0, "changed": 1, "unchanged": 6, "deleted": 0}
    assert canonical_dump(driver, empty_db.database) == before


def test_unreachable_database_exits_3(tmp_path: Path) -> None:
    from tests.helpers import free_port

    env = {"NEO4J_URI": f"bolt://127.0.0.1:{free_port()}", "NEO4J_PASSWORD": "secret-pw-123"}
    import os

    full = {**os.environ, **env, "CASEGRAPH_ONTOLOGY": str(TEST_ONTOLOGY)}
    done = casegraph("load", str(copy_mini(tmp_path)), env=full)
    assert done.returncode == 3
    assert done.stderr.startswith("Error: cannot reach Neo4j at bolt://127.0.0.1:")
    assert "secret-pw-123" not in done.stdout + done.stderr


def test_wrong_password_exits_3_without_showing_it(
    neo4j_server: Neo4jServer, tmp_path: Path
) -> None:
    env = neo4j_server.env()
    env.update(NEO4J_PASSWORD="wrong-password-42", CASEGRAPH_ONTOLOGY=str(TEST_ONTOLOGY))
    done = casegraph("load", str(copy_mini(tmp_path)), env=env)
    assert done.returncode == 3
    assert "refused user 'neo4j'" in done.stderr
    assert "wrong-password-42" not in done.stdout + done.stderr


def test_routing_uri_works(empty_db: Neo4jServer, tmp_path: Path) -> None:
    assert empty_db.uri.startswith(("neo4j://", "bolt://"))
    server = Neo4jServer(
        uri=empty_db.uri.replace("bolt://", "neo4j://"),
        username=empty_db.username,
        password=empty_db.password,
        database=empty_db.database,
        kind=empty_db.kind,
    )
    report = load_dir(server, copy_mini(tmp_path))
    assert report["status"] == "succeeded"
    with GraphDatabase.driver(server.uri, auth=(server.username, server.password)) as drv:
        assert counts(drv, server.database) == (4, 3)


def test_a_lost_commit_in_a_first_load_is_not_created_twice(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first load CREATEs. When a batch commits but the client loses the answer (a real
    ``IncompleteCommit``: a relay closes the connection after the first relationship
    batch's COMMIT), that batch is written again with MERGE: the relationship is not
    created a second time, and the next batch creates again."""
    seed = copy_mini(tmp_path)
    ont = mini_ontology()
    load_dir(empty_db, seed)
    expected = canonical_dump(driver, empty_db.database)
    from tests.conftest import wipe
    from tests.relay import commit_cutter

    wipe(driver, empty_db.database)
    original = batches.run_batch
    calls: list[str] = []

    def recorded(tx: Any, text: str, rows: list[Any], base: dict[str, Any]) -> Counts:
        calls.append(text)
        return original(tx, text, rows, base)

    monkeypatch.setattr(batches, "run_batch", recorded)
    plan = build_plan(read_graph([seed], ont), ont, batch_size=1)
    with commit_cutter(empty_db, b"CREATE (a)-[r:") as cutter:
        relay = cutter.server(empty_db)
        with GraphDatabase.driver(relay.uri, auth=(relay.username, relay.password)) as through:
            report = writer.load(through, empty_db.database, plan, single_limit=2, writers=1)
        assert cutter.cut.is_set()
    first_rel = next(i for i, text in enumerate(calls) if "CREATE (a)-[r:" in text)
    assert report.first_load
    assert report.retries == 1
    assert report.retry_reasons == {"IncompleteCommit": 1}
    assert "MERGE (a)-[r:" in calls[first_rel + 1]  # the same batch, written again
    assert "CREATE (a)-[r:" in calls[first_rel + 2]  # and the next batch creates again
    assert report.totals.created == 6  # the lost one was found by the MERGE: unchanged
    assert report.totals.unchanged == 1
    assert canonical_dump(driver, empty_db.database) == expected
