"""The graph a load writes, against golden canonical dumps made from the code before the
loader was reshaped (tests/golden_dumps.py says how, and from which commit).

The seed case is compared whole (a difference names the node or relationship); the
generated 10k power-law case by the SHA-256 of its dump, after its counts by label and
type. The facts of the seed dump are checked against the article in test_case_coco.py;
this test only says that nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from neo4j import Driver

from loader.model.ontology import load_ontology
from loader.pipeline import load_files
from tests.conftest import Neo4jServer
from tests.dump import canonical_dump
from tests.golden_dumps import POWERLAW_NAME, SEED_NAME, powerlaw_case, summary

pytestmark = pytest.mark.neo4j

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "dumps"


def _load(server: Neo4jServer, driver: Driver, path: Path) -> dict[str, list[object]]:
    load_files(driver, server.database, [path], load_ontology(), force=True)
    return canonical_dump(driver, server.database)


def test_the_seed_case_loads_as_before(empty_db: Neo4jServer, driver: Driver) -> None:
    golden = json.loads((GOLDEN / SEED_NAME).read_text(encoding="utf-8"))
    dump = json.loads(json.dumps(_load(empty_db, driver, ROOT / "seed")))  # lists, as read
    assert len(dump["nodes"]) == len(golden["nodes"])
    for got, want in zip(dump["nodes"], golden["nodes"], strict=True):
        assert got == want
    assert len(dump["relationships"]) == len(golden["relationships"])
    for got, want in zip(dump["relationships"], golden["relationships"], strict=True):
        assert got == want


def test_a_generated_powerlaw_case_loads_as_before(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    golden = json.loads((GOLDEN / POWERLAW_NAME).read_text(encoding="utf-8"))
    got = summary(_load(empty_db, driver, powerlaw_case(tmp_path)))
    assert got["nodes"] == golden["nodes"]
    assert got["relationships"] == golden["relationships"]
    assert got["sha256"] == golden["sha256"]
