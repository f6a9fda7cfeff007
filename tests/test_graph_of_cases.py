"""Several cases in one graph, against a real Neo4j: what they share is one node, each
case's prune touches only its own, a case loads only once what it uses is there, two
cases load at the same moment, and identity across cases is a reviewed judgement."""

from __future__ import annotations

import json
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase

from loader.model.ontology import load_ontology
from loader.pipeline import load_datasets
from tests.conftest import Neo4jServer
from tests.dump import canonical_dump
from tests.helpers import casegraph, mini_ontology

pytestmark = pytest.mark.neo4j

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"


def _seed_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "seed"
    shutil.copytree(SEED, copy)
    return copy


def _q(driver: Driver, server: Neo4jServer, text: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(text, params, database_=server.database)
    return [record.data() for record in records]


def _part(dump: dict[str, list[Any]], datasets: set[str]) -> dict[str, list[Any]]:
    """The nodes and relationships of some datasets, from a canonical dump."""
    return {
        "nodes": [n for n in dump["nodes"] if n[1].get("dataset") in datasets],
        "relationships": [r for r in dump["relationships"] if r[3].get("dataset") in datasets],
    }


def _without_records(path: Path, node_id: str) -> None:
    """Remove the records of a seed file that define or name ``node_id``: each record is
    an item ``  - `` of its list, up to the next item or the next top-level key."""
    parts = re.split(r"\n(?=  - )", path.read_text(encoding="utf-8"))
    kept = [parts[0]]
    for part in parts[1:]:
        if node_id not in part:
            kept.append(part)
            continue
        rest = re.search(r"^\S.*", part, re.MULTILINE | re.DOTALL)  # a key after the record
        if rest:
            kept.append(rest.group(0))
    assert len(kept) < len(parts) or any(node_id not in k for k in kept)
    path.write_text("\n".join(kept), encoding="utf-8")


def test_shared_entities_are_one_node_with_claims_of_both_cases(
    empty_db: Neo4jServer, driver: Driver
) -> None:
    done = casegraph("load", "seed/", "--json", env=empty_db.env())
    assert done.returncode == 0, done.stderr
    assert [r["dataset"] for r in json.loads(done.stdout)] == ["reference", "archetyp", "coco-gg"]
    rows = _q(
        driver,
        empty_db,
        "UNWIND ['agency/eurojust', 'jurisdiction/de', 'jurisdiction/nl'] AS wanted "
        "MATCH (n {id: wanted}) "
        "RETURN wanted, count(DISTINCT n) AS nodes, n.dataset AS owner, "
        "COLLECT { MATCH (n)-[r]-() WHERE r.sources IS NOT NULL "  # the claims about it
        "RETURN DISTINCT r.dataset AS d ORDER BY d } AS cases",
    )
    assert rows == [
        {"wanted": "agency/eurojust", "nodes": 1, "owner": "reference",
         "cases": ["archetyp", "coco-gg"]},
        {"wanted": "jurisdiction/de", "nodes": 1, "owner": "iso-3166",
         "cases": ["archetyp", "coco-gg"]},
        {"wanted": "jurisdiction/nl", "nodes": 1, "owner": "iso-3166",
         "cases": ["archetyp", "coco-gg"]},
    ]  # fmt: skip
    # one node per name: "Eurojust" and "Germany" are found once each
    for name in ("Eurojust", "Germany", "Netherlands"):
        found = _q(driver, empty_db, "MATCH (n {name: $name}) RETURN n.id AS id", name=name)
        assert len(found) == 1, name
    # only the ISO 3166 nodes the cases meet are in the database, and their one source
    jurisdictions = _q(driver, empty_db, "MATCH (j:Jurisdiction) RETURN j.id AS id ORDER BY id")
    assert [j["id"].removeprefix("jurisdiction/") for j in jurisdictions] == [
        "bg", "de", "de-ni", "es", "es-b", "fr", "fr-83", "hu", "lt", "nl", "ro", "ro-b", "se",
        "us",
    ]  # fmt: skip
    # Archetyp's cities lie in subdivisions: Hannover in Niedersachsen, București is one,
    # Barcelona is in the province of Barcelona (S5, S2)
    again = casegraph("load", "seed/", "--json", env=empty_db.env())
    for report in json.loads(again.stdout):
        assert (report["mode"], report["totals"]["created"], report["totals"]["changed"]) == (
            "skipped", 0, 0,
        )  # fmt: skip


def test_pruning_one_case_leaves_the_others_as_they_were(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = _seed_copy(tmp_path)
    ont = load_ontology()
    load_datasets(driver, empty_db.database, [seed], ont)
    before = canonical_dump(driver, empty_db.database)
    others = {"coco-gg", "reference", "iso-3166"}
    # Archetyp without Europol's deputy executive director (people.yaml's only node), his
    # post at Europol (its only relationship) and the SOURCE_OF from his one source
    _without_records(seed / "archetyp" / "people.yaml", "person/jean-philippe-lecouffe")
    reports = load_datasets(driver, empty_db.database, [seed], ont, prune=True)
    by_dataset = {r.dataset: r for r in reports}
    assert by_dataset["archetyp"].totals.deleted == 3
    after = canonical_dump(driver, empty_db.database)
    assert _part(after, others) == _part(before, others)
    archetyp = {n[1]["id"] for n in _part(after, {"archetyp"})["nodes"]}
    assert "person/jean-philippe-lecouffe" not in archetyp
    assert len(archetyp) == len(_part(before, {"archetyp"})["nodes"]) - 1
    # and the reverse: coco without the number of victims (a node, its FIGURE_OF and the
    # SOURCE_OF from its one source)
    _without_records(seed / "coco-gg" / "figures.yaml", "figure/victims")
    load_datasets(driver, empty_db.database, [seed], ont, prune=True)
    last = canonical_dump(driver, empty_db.database)
    kept = {"archetyp", "reference", "iso-3166"}
    assert _part(last, kept) == _part(after, kept)
    coco_before, coco_after = _part(after, {"coco-gg"}), _part(last, {"coco-gg"})
    assert len(coco_after["nodes"]) == len(coco_before["nodes"]) - 1
    assert len(coco_after["relationships"]) == len(coco_before["relationships"]) - 2
    gone = [r for r in coco_before["relationships"] if r not in coco_after["relationships"]]
    assert sorted((r[0], r[1], r[2]) for r in gone) == [
        ("FIGURE_OF", "figure/victims", "platform/coco"),
        ("SOURCE_OF", "source/parquet-press-release", "figure/victims"),
    ]


def test_pruning_reference_data_that_cases_use_is_refused(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    seed = _seed_copy(tmp_path)
    load_datasets(driver, empty_db.database, [seed], load_ontology())
    before = canonical_dump(driver, empty_db.database)
    _without_records(seed / "reference" / "bodies.yaml", "agency/eurojust")
    # with the cases in the input, the check says at once that they refer to it
    done = casegraph("load", str(seed), "--prune", env=empty_db.env())
    assert done.returncode == 1
    assert "'to' refers to unknown id 'agency/eurojust'" in done.stderr
    # the reference data alone: the database says who refers to it
    done = casegraph("load", str(seed / "reference"), "--prune", env=empty_db.env())
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: --prune would delete nodes of dataset 'reference' that other datasets refer "
        "to: 'agency/eurojust' (referred to by dataset 'archetyp', 'coco-gg'); nothing was "
        "pruned. Remove those references (or keep the nodes in the input) first"
    ]
    assert canonical_dump(driver, empty_db.database) == before


def test_a_case_loads_only_when_what_it_uses_is_in_the_database(
    empty_db: Neo4jServer, driver: Driver
) -> None:
    done = casegraph("load", "seed/coco-gg/", env=empty_db.env())
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: dataset 'coco-gg' refers to ids the database does not hold: 'agency/eurojust' "
        "(dataset 'reference'); load 'reference' first (casegraph load with --dataset "
        "reference, or the whole seed folder)"
    ]
    assert canonical_dump(driver, empty_db.database) == {"nodes": [], "relationships": []}
    done = casegraph("load", "seed/", "--dataset", "reference", env=empty_db.env())
    assert done.returncode == 0, done.stderr
    done = casegraph("load", "seed/coco-gg/", env=empty_db.env())
    assert done.returncode == 0, done.stderr
    done = casegraph("load", "seed/", "--dataset", "nope", env=empty_db.env())
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "Error: --dataset 'nope': not in the input (it holds: archetyp, coco-gg, reference)"
    ]


def test_two_cases_load_at_the_same_moment(empty_db: Neo4jServer, driver: Driver) -> None:
    """coco and Archetyp both create ISO 3166 nodes (Germany, the Netherlands) and
    relationships to Eurojust: started together, both succeed, three times over."""
    ont = load_ontology()
    for _ in range(3):
        driver.execute_query("MATCH (n) DETACH DELETE n", database_=empty_db.database)
        load_datasets(driver, empty_db.database, [SEED], ont, datasets=["reference"])
        start = threading.Barrier(2)
        outcome: dict[str, Any] = {}

        def load(
            case: str, start: threading.Barrier = start, outcome: dict[str, Any] = outcome
        ) -> None:
            with GraphDatabase.driver(
                empty_db.uri, auth=(empty_db.username, empty_db.password)
            ) as own:
                start.wait()
                try:
                    outcome[case] = load_datasets(own, empty_db.database, [SEED], ont,
                                                  datasets=[case])  # fmt: skip
                except Exception as exc:  # reported below
                    outcome[case] = exc

        threads = [threading.Thread(target=load, args=(c,)) for c in ("coco-gg", "archetyp")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        for case in ("coco-gg", "archetyp"):
            reports = outcome[case]
            assert not isinstance(reports, Exception), f"{case}: {reports}"
            assert [r.status for r in reports] == ["succeeded"]
        shared = _q(
            driver,
            empty_db,
            "MATCH (n) WHERE n.id IN ['jurisdiction/de', 'jurisdiction/nl', 'agency/eurojust'] "
            "RETURN n.id AS id, count(*) AS nodes, "
            "COUNT { (n)-[r]-() WHERE r.sources IS NOT NULL } AS claims ORDER BY id",
        )
        # Eurojust: coco's COORDINATED_WITH, Archetyp's COORDINATED_WITH and PUBLISHED_BY;
        # Germany: 2 of coco, 3 of Archetyp (the searches were in Hannover, a Place of
        # its own); the Netherlands: 1 and 2
        assert [(r["id"], r["nodes"], r["claims"]) for r in shared] == [
            ("agency/eurojust", 1, 3),
            ("jurisdiction/de", 1, 5),
            ("jurisdiction/nl", 1, 3),
        ]


PERSON_A = """dataset: case-a
nodes:
  - {id: src/a, type: Source, title: Report A, publisher: A, kind: news_article}
  - {id: person/a-smith, type: Person, name: Jane Smith, sources: [src/a]}
  - {id: person/a-doe, type: Person, name: John Doe, sources: [src/a]}
"""
PERSON_B = """dataset: case-b
nodes:
  - {id: src/b, type: Source, title: Report B, publisher: B, kind: news_article}
  - {id: person/b-smith, type: Person, name: JANE  SMITH, aliases: [J. Smith], sources: [src/b]}
  - {id: person/b-roe, type: Person, name: Richard Roe, sources: [src/b]}
"""


def _review(candidates: str, judgement: str) -> str:
    """What a reviewer does to the file xref wrote: fill in the judgement."""
    return (
        candidates.replace(
            "judgement:        # same | not_same | unsure", f"judgement: {judgement}"
        )
        .replace("decided_by:\n", "decided_by: A. Reviewer\n")
        .replace("decided_on:       # YYYY-MM-DD", "decided_on: 2026-12-02")
        .replace("reason:\n", "reason: Same name in both reports.\n")
        .replace(
            "sources: []       # the Source ids the decision rests on", "sources: [src/a, src/b]"
        )
    )


def test_xref_proposes_and_a_judgement_is_one_same_as(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    root = tmp_path / "seed"
    for name, text in (("case-a", PERSON_A), ("case-b", PERSON_B)):
        (root / name).mkdir(parents=True)
        (root / name / "data.yaml").write_text(text, encoding="utf-8")
    env = empty_db.env()
    out = tmp_path / "candidates.yaml"
    done = casegraph("xref", str(root), "-o", str(out), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Wrote 1 candidate pair(s) to {out}: review them there.\n"
    text = out.read_text(encoding="utf-8")
    # "Jane Smith" and "JANE  SMITH" are one name once case and spacing are ignored
    assert '    from: "person/a-smith"\n    to: "person/b-smith"\n' in text
    assert "same name 'jane smith'" in text
    assert "    score: 0.9\n" in text
    assert "uses: [case-a, case-b]" in text
    # unreviewed, the file does not load: the judgement and the rest are missing
    (root / "identity").mkdir()
    (root / "identity" / "judgements.yaml").write_text(text, encoding="utf-8")
    done = casegraph("validate", str(root), env=env)
    assert done.returncode == 1
    assert "SAME_AS relationship needs property 'judgement'" in done.stderr
    # judged the same: loaded as one SAME_AS claim, and not proposed again
    (root / "identity" / "judgements.yaml").write_text(_review(text, "same"), encoding="utf-8")
    done = casegraph("load", str(root), env=env)
    assert done.returncode == 0, done.stderr
    rows = _q(
        driver,
        empty_db,
        "MATCH (a)-[r:SAME_AS]->(b) RETURN a.id AS a, b.id AS b, r.judgement AS judgement, "
        "r.status AS status, r.sources AS sources, r.dataset AS dataset, r.decided_by AS by",
    )
    assert rows == [
        {"a": "person/a-smith", "b": "person/b-smith", "judgement": "same", "status": "assessed",
         "sources": ["src/a", "src/b"], "dataset": "identity", "by": "A. Reviewer"}
    ]  # fmt: skip
    assert _q(driver, empty_db, "MATCH (n:Person) RETURN count(n) AS n") == [{"n": 4}]  # no merge
    again = tmp_path / "again.yaml"
    done = casegraph("xref", str(root), "-o", str(again), env=env)
    assert done.stdout == (
        f"No candidate pairs (1 already judged, left out); {again} was not written.\n"
    )
    # judged not the same: the pair is not proposed again either
    (root / "identity" / "judgements.yaml").write_text(_review(text, "not_same"), encoding="utf-8")
    done = casegraph("xref", str(root), "-o", str(tmp_path / "again.yaml"), env=env)
    assert done.returncode == 0, done.stderr
    assert "1 already judged" in done.stdout
    assert not (tmp_path / "again.yaml").exists()


def test_xref_reasons_and_scores() -> None:
    from loader.check.graph import Graph
    from loader.check.spill import Spill
    from loader.xref import candidates, normalised

    def graph(dataset: str, nodes: list[tuple[str, str, dict[str, Any]]]) -> Graph:
        rows = Spill()
        for node_id, label, props in nodes:
            rows.add(label, (node_id, props, ""))
        return Graph(dataset, rows, Spill())

    assert normalised("  Ministère de l\u2019Intérieur ") == "ministere de l interieur"
    a = graph("a", [("o/1", "Person", {"name": "Ana Lopez", "aliases": ["Ana L."]})])
    b = graph(
        "b", [("o/2", "Person", {"name": "Ana L."}), ("o/3", "Person", {"name": "Ana Lopez"})]
    )
    same = graph("a2", [("o/4", "Person", {"name": "Someone", "aliases": ["ANA LOPEZ"]})])
    found, judged = candidates([a, b, same], load_ontology())
    assert judged == 0
    got = [(c.a.id, c.b.id, c.score, sorted(c.reasons)) for c in found]
    assert got == [
        ("o/1", "o/3", 0.9, ["alias", "name"]),  # same name (and so a shared alias)
        ("o/1", "o/2", 0.7, ["alias"]),  # an alias of one is the name of the other
        ("o/1", "o/4", 0.7, ["alias"]),
        ("o/4", "o/3", 0.7, ["alias"]),
    ]
    assert candidates([a, b], mini_ontology())[0] == []  # an ontology without SAME_AS
