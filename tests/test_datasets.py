"""Several datasets in one input, without a database: what each sees, the order they
load in, and every way their declarations can be wrong (tests/data/ontology.yaml, and
casegraph's own ontology for the ISO 3166 reference ids)."""

from __future__ import annotations

from pathlib import Path

import pytest

from loader.check.records import check_file
from loader.check.validate import read_graph, read_graphs
from loader.errors import InputError, UsageError
from loader.model import reference
from loader.model.ontology import load_ontology
from tests.helpers import mini_ontology

PERSON = "  - {{id: {id}, type: Person, name: {name}, sources: [{source}]}}\n"
SOURCE = "  - {{id: {id}, type: Source, title: {title}}}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def case(root: Path, name: str, uses: str = "", body: str = "") -> Path:
    """A dataset folder ``root/name`` with one Source and one Person of its own."""
    head = f"dataset: {name}\n" + (f"uses: [{uses}]\n" if uses else "")
    nodes = SOURCE.format(id=f"src/{name}", title=name) + PERSON.format(
        id=f"person/{name}", name=name, source=f"src/{name}"
    )
    return write(root / name / "data.yaml", head + "nodes:\n" + nodes + body)


def knows(start: str, end: str) -> str:
    return f"relationships:\n  - {{type: KNOWS, from: {start}, to: {end}}}\n"


def problems(paths: list[Path], datasets: list[str] | None = None) -> list[str]:
    with pytest.raises(InputError) as info:
        read_graphs(paths, mini_ontology(), datasets)
    return [str(p) for p in info.value.problems]


def test_each_dataset_is_a_graph_in_dependency_order(tmp_path: Path) -> None:
    case(tmp_path, "a-case", uses="shared", body=knows("person/a-case", "person/shared"))
    case(tmp_path, "shared")
    graphs = read_graphs([tmp_path], mini_ontology())
    try:
        assert [g.dataset for g in graphs] == ["shared", "a-case"]  # what is used loads first
        shared, mine = graphs
        assert sorted(n.id for n in shared.nodes) == ["person/shared", "src/shared"]
        assert sorted(n.id for n in mine.nodes) == ["person/a-case", "src/a-case"]
        assert [(r.start, r.end) for r in mine.rels] == [("person/a-case", "person/shared")]
        assert mine.uses == ["shared"]
        assert mine.external == {"person/shared": ("Person", "shared")}
        assert shared.external == {}
        assert shared.uses == []
        assert mine.checksum != shared.checksum
    finally:
        for graph in graphs:
            graph.close()


def test_a_dataset_sees_only_what_it_uses(tmp_path: Path) -> None:
    first = case(tmp_path, "one", body=knows("person/one", "person/two"))
    case(tmp_path, "two", body="relationships:\n  - {type: KNOWS, from: person/two, to: src/one}\n")
    assert problems([tmp_path]) == [
        f"{first}:6:41: 'to' refers to 'person/two' of dataset 'two', which this file's dataset "
        "does not use (add 'two' to its 'uses:')",
        f"{tmp_path / 'two' / 'data.yaml'}:6:41: 'to' refers to 'src/one' of dataset 'one', "
        "which this file's dataset does not use (add 'one' to its 'uses:')",
    ]


def test_a_citation_must_be_of_a_dataset_it_uses(tmp_path: Path) -> None:
    case(tmp_path, "one")
    other = write(
        tmp_path / "two" / "data.yaml",
        "dataset: two\nnodes:\n  - {id: person/x, type: Person, name: X, sources: [src/one]}\n",
    )
    assert problems([tmp_path]) == [
        f"{other}:3:53: Person 'person/x' cites 'src/one' of dataset 'one', which dataset 'two' "
        "does not use (add 'one' to its 'uses:')"
    ]


def test_one_id_in_two_datasets_names_both_places(tmp_path: Path) -> None:
    first = case(tmp_path, "one")
    second = write(
        tmp_path / "two" / "data.yaml",
        "dataset: two\nuses: [one]\nnodes:\n"
        "  - {id: person/one, type: Person, name: Again, sources: [src/one]}\n",
    )
    assert problems([tmp_path]) == [
        f"{second}:4:10: duplicate id 'person/one' (first at {first}:4, dataset 'one')"
    ]


def test_unknown_and_cyclic_uses(tmp_path: Path) -> None:
    a = case(tmp_path, "a", uses="b, nowhere")
    b = case(tmp_path, "b", uses="c")
    c = case(tmp_path, "c", uses="a")
    self_user = case(tmp_path, "d", uses="d")
    assert problems([tmp_path]) == [  # in the order of their places
        f"{a}:2:8: datasets use each other in a cycle: a -> b -> c -> a",
        f"{a}:2:11: dataset 'a' uses 'nowhere', which is neither in the input nor in "
        f"{tmp_path}/nowhere/",
        f"{self_user}:2:8: dataset 'd' uses itself",
    ]
    assert b.exists()
    assert c.exists()


def test_a_used_dataset_is_read_from_beside_the_user(tmp_path: Path) -> None:
    case(tmp_path, "shared")
    mine = case(tmp_path, "mine", uses="shared", body=knows("person/mine", "person/shared"))
    graph = read_graph([mine.parent], mini_ontology())  # only the folder of "mine" given
    try:
        assert graph.dataset == "mine"
        assert graph.external == {"person/shared": ("Person", "shared")}
    finally:
        graph.close()
    (tmp_path / "shared" / "data.yaml").unlink()
    (tmp_path / "shared").rmdir()
    assert problems([mine.parent]) == [
        f"{mine}:2:8: dataset 'mine' uses 'shared', which is neither in the input nor in "
        f"{tmp_path}/shared/",
        f"{mine}:7:42: 'to' refers to unknown id 'person/shared'",
    ]


def test_dataset_picks(tmp_path: Path) -> None:
    case(tmp_path, "shared")
    case(tmp_path, "mine", uses="shared", body=knows("person/mine", "person/shared"))
    broken = write(tmp_path / "other" / "data.yaml", "dataset: other\nnodes: [1]\n")
    graphs = read_graphs([tmp_path], mini_ontology(), ["mine"])  # "other" does not stop it
    assert [g.dataset for g in graphs] == ["mine"]
    graphs[0].close()
    assert problems([tmp_path]) == [f"{broken}:2:9: each entry of 'nodes' must be a mapping"]
    with pytest.raises(UsageError) as info:
        read_graphs([tmp_path], mini_ontology(), ["mine", "nope"])
    assert str(info.value) == "--dataset 'nope': not in the input (it holds: mine, other, shared)"
    with pytest.raises(UsageError) as info:
        read_graph([tmp_path / "mine", tmp_path / "shared"], mini_ontology())
    assert str(info.value) == "the input holds 2 datasets (shared, mine); name one with --dataset"


def test_iso_3166_ids_are_referred_to_not_defined(tmp_path: Path) -> None:
    ont = load_ontology(None)
    seed = write(
        tmp_path / "c" / "data.yaml",
        "dataset: c\nnodes:\n"
        "  - {id: src/a, type: Source, title: A, publisher: P, kind: wire}\n"
        "  - {id: person/x, type: Person, name: X, sources: [src/a]}\n"
        "relationships:\n"
        "  - {type: NATIONAL_OF, from: person/x, to: jurisdiction/de, status: reported,"
        " sources: [src/a]}\n"
        "  - {type: RESIDES_IN, from: person/x, to: jurisdiction/es-b, status: reported,"
        " sources: [src/a]}\n",
    )
    graph = read_graph([seed], ont)
    try:
        assert graph.references == ["jurisdiction/de", "jurisdiction/es-b"]
        rows = graph.reference_rows
        assert sorted(rows) == ["Jurisdiction", "Source"]
        by_id = {row[0]: row[1] for row in rows["Jurisdiction"]}
        # ISO 3166: DE is Germany; ES-B the province of Barcelona, in Spain
        assert by_id["jurisdiction/de"]["name"] == "Germany"
        assert "Allemagne" in by_id["jurisdiction/de"]["aliases"]
        assert by_id["jurisdiction/de"]["kind"] == "state"
        assert by_id["jurisdiction/es-b"]["name"] == "Barcelona"
        assert by_id["jurisdiction/es-b"]["country"] == "ES"
        assert by_id["jurisdiction/es-b"]["sources"] == [reference.SOURCE_ID]
        assert [row[0] for row in rows["Source"]] == [reference.SOURCE_ID]
    finally:
        graph.close()
    seed.write_text(
        "dataset: c\nnodes:\n"
        "  - {id: src/a, type: Source, title: A, publisher: P, kind: wire}\n"
        "  - {id: jurisdiction/fr, type: Jurisdiction, name: France, sources: [src/a]}\n"
        "  - {id: person/x, type: Person, name: X, sources: [src/a]}\n"
        "relationships:\n"
        "  - {type: RESIDES_IN, from: person/x, to: jurisdiction/xx-99, status: reported,"
        " sources: [src/a]}\n"
    )
    with pytest.raises(InputError) as info:
        read_graph([seed], ont)
    assert [str(p) for p in info.value.problems] == [
        f"{seed}:4:10: 'jurisdiction/fr' is ISO 3166 reference data (France): refer to it "
        "without defining it",
        f"{seed}:7:44: 'to' refers to unknown id 'jurisdiction/xx-99'",
    ]


def test_every_reference_record_passes_the_checks(tmp_path: Path) -> None:
    """All 5,000 and more ISO 3166 records, written as seed YAML, pass the checks of a seed
    file (as the records a load refers to do, in ``validate._add_references``)."""
    ont = load_ontology(None)
    path = write(tmp_path / "iso.yaml", reference.seed_text(reference.all_ids()))
    check = check_file(path, ont, tmp_path / "iso.seg", 5_000)
    assert check.unreadable == []
    assert check.problems == []
    assert check.dataset is not None
    assert check.dataset[0] == reference.DATASET
    names = dict(zip(check.node_ids, check.node_labels, strict=True))
    assert len(names) == len(reference.all_ids()) + 1  # and the source
    assert names[reference.SOURCE_ID] == "Source"
    assert {names[i] for i in reference.all_ids()} == {"Jurisdiction"}
    assert reference.name_of("jurisdiction/fr-83") == "Var"
    assert reference.name_of("jurisdiction/nl") == "Netherlands"
    assert reference.name_of("jurisdiction/eu") == "European Union"
    assert not reference.is_reference_id("jurisdiction/fr-999")
    assert not reference.is_reference_id("jurisdiction/FR")  # ids are lower case
