"""The plan is pure: golden files pin its Cypher text, batching and rows.

Regenerate after a deliberate change with CASEGRAPH_REGEN_GOLDEN=1, then read the diff.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from loader.check.validate import read_graph
from loader.errors import SchemaNameError
from loader.plan.build import build_plan
from tests.helpers import DATA, harness, mini_ontology

GOLDEN = Path(__file__).parent / "golden"


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if harness("CASEGRAPH_REGEN_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with CASEGRAPH_REGEN_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def plan_json(batch_size: int) -> str:
    ont = mini_ontology()
    graph = read_graph([DATA / "mini"], ont)
    graph.checksum = "fixed"  # paths differ between machines
    plan = build_plan(graph, ont, batch_size=batch_size)
    doc = {
        "schema": [s.text for s in plan.schema],
        "batches": [
            {"kind": b.kind, "name": b.name, "body": b.body, "rows": _jsonable(b.rows)}
            for b in plan.batches
        ],
        "prune": [{"kind": p.kind, "name": p.name, "keep": p.keep} for p in plan.prune],
    }
    return json.dumps(doc, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def test_plan_golden() -> None:
    check_golden("plan-mini.json", plan_json(batch_size=5000))


def test_batches_split_by_size() -> None:
    ont = mini_ontology()
    plan = build_plan(read_graph([DATA / "mini"], ont), ont, batch_size=1)
    assert [(b.kind, b.name, len(b.rows)) for b in plan.batches] == [
        ("node", "Org", 1),
        ("node", "Person", 1),
        ("node", "Person", 1),
        ("node", "Source", 1),
        ("rel", "KNOWS", 1),
        ("rel", "WORKS_FOR", 1),
        ("rel", "WORKS_FOR", 1),
    ]
    assert plan.size == 7


def test_values_never_enter_query_text(tmp_path: Path) -> None:
    evil = "x` }) DETACH DELETE n //"
    (tmp_path / "evil.yaml").write_text(
        f'nodes:\n  - {{id: o/1, type: Org, name: "{evil}"}}\n', encoding="utf-8"
    )
    ont = mini_ontology()
    plan = build_plan(read_graph([tmp_path], ont), ont)
    assert all(evil not in b.body for b in plan.batches)
    assert plan.nodes[0].rows[0]["props"]["name"] == evil


def test_quote_refuses_names_outside_the_schema() -> None:
    ont = mini_ontology()
    assert ont.quote("Person") == "`Person`"
    with pytest.raises(SchemaNameError):
        ont.quote("Person`) DETACH DELETE n //")
    with pytest.raises(SchemaNameError):
        ont.quote("Robot")
