"""The plan is pure: golden files pin its Cypher text, batching and rows.

Regenerate after a deliberate change with CASEGRAPH_REGEN_GOLDEN=1, then read the diff.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from loader.browser.files import grass
from loader.check.validate import read_graph
from loader.errors import InputError, SchemaNameError
from loader.model.ontology import load_ontology, parse_ontology
from loader.plan.build import build_plan
from loader.read.yamlread import parse_text
from tests.helpers import DATA, ROOT, TEST_ONTOLOGY, harness, mini_ontology

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


def _titles_and_hashes(directory: Path) -> dict[str, tuple[list[str] | None, str]]:
    ont = mini_ontology()
    plan = build_plan(read_graph([directory], ont), ont)
    out = {}
    for batch in plan.batches:
        for row in batch.rows:
            name = row.get("id") or f"{row['start']}-{batch.name}-{row['key']}"
            out[name] = (row["props"].get("according_to"), row["hash"])
    return out


def test_elements_name_their_sources_and_a_new_title_rewrites_them(tmp_path: Path) -> None:
    """Every element that cites sources carries their titles (Browser's inspector shows
    them), item for item; a source's new title changes the hash of what cites it, so a
    reload writes those elements again, and only those."""
    (tmp_path / "a").mkdir()
    for name in ("people.yaml", "sources.yaml"):
        (tmp_path / "a" / name).write_text((DATA / "mini" / name).read_text("utf-8"), "utf-8")
    before = _titles_and_hashes(tmp_path / "a")
    cited = {name for name, (titles, _) in before.items() if titles is not None}
    assert cited >= {"person/ada", "person/bob", 'person/ada-WORKS_FOR-["2020-01"]'}
    assert all(before[name][0] == ["The Daily Paper"] for name in cited)  # sources.yaml
    assert before["src/paper"][0] is None  # the source itself cites none
    path = tmp_path / "a" / "sources.yaml"
    path.write_text(path.read_text("utf-8").replace("The Daily Paper", "The Paper"), "utf-8")
    after = _titles_and_hashes(tmp_path / "a")
    assert all(after[name][0] == ["The Paper"] for name in cited)
    changed = {name for name in before if before[name][1] != after[name][1]}
    assert changed == cited | {"src/paper"}  # the source's own title changed too


def test_a_source_of_a_used_dataset_is_named_by_its_title(tmp_path: Path) -> None:
    """A dataset may cite the sources of a dataset it uses: their titles are known too."""
    (tmp_path / "sources.yaml").write_text(
        "dataset: library\nnodes:\n"
        "  - {id: src/gazette, type: Source, title: The Gazette, published: 2024}\n",
        "utf-8",
    )
    (tmp_path / "case.yaml").write_text(
        "dataset: case\nuses: [library]\nnodes:\n"
        "  - {id: person/cy, type: Person, name: Cy, sources: [src/gazette]}\n",
        "utf-8",
    )
    ont = mini_ontology()
    plan = build_plan(read_graph([tmp_path], ont, dataset="case"), ont)
    rows = [row for batch in plan.nodes for row in batch.rows]
    assert [(r["id"], r["props"].get("according_to")) for r in rows] == [
        ("person/cy", ["The Gazette"])
    ]


def test_an_agency_is_captioned_with_its_acronym_where_it_has_one() -> None:
    """Agency's short caption: the seed gives JUNALCO and UNCyber their acronyms, and the
    Gendarmerie nationale none, so it keeps its name."""
    ont = load_ontology()
    graph = read_graph([ROOT / "seed"], ont, dataset="coco-gg")
    captions = {node.id: node.props.get("caption") for node in graph.nodes}
    assert captions["agency/junalco"] == "JUNALCO"
    assert captions["agency/uncyber"] == "UNCyber"
    assert captions["agency/gendarmerie-nationale"] == "Gendarmerie nationale"
    assert captions["person/isaac-steidl"] is None  # Person has no short caption
    agency = grass(ont).split("node.Agency {")[1].split("\n}")[0]
    assert '  caption: "{caption}";' in agency


def test_a_short_caption_must_be_a_property_of_its_label() -> None:
    text = TEST_ONTOLOGY.read_text("utf-8").replace(
        "    caption: name\n", "    caption: name\n    short_caption: nick\n", 1
    )
    with pytest.raises(InputError) as caught:
        parse_ontology(parse_text(text, "ontology.yaml"), "ontology.yaml")
    [problem] = caught.value.problems
    assert problem.message == "short_caption 'nick' of label Person is not one of its properties"


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ("WORKS_FOR", "source_link 'WORKS_FOR' is already a relationship type or a label"),
        ("cites", "source_link 'cites' must be UPPER_SNAKE_CASE"),
    ],
)
def test_a_source_link_is_a_new_relationship_type(link: str, message: str) -> None:
    text = TEST_ONTOLOGY.read_text("utf-8").replace(
        "source_label: Source\n", f"source_label: Source\nsource_link: {link}\n", 1
    )
    with pytest.raises(InputError) as caught:
        parse_ontology(parse_text(text, "ontology.yaml"), "ontology.yaml")
    assert [p.message for p in caught.value.problems] == [message]
