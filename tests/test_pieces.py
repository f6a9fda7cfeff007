"""Large files read in pieces (loader/read/pieces.py): the same graph and the same problems as
reading them whole, a bounded tree per process, and the whole read whenever in doubt.
No database needed."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks import generate as gen
from loader.check import validate
from loader.check.graph import Graph
from loader.check.validate import read_graph
from loader.errors import InputError
from loader.model.ontology import Ontology, load_ontology
from loader.read import pieces, yamlread
from loader.read.pieces import HEAD, plan

pytestmark = pytest.mark.skipif(not yamlread.can_scan(), reason="pieces need the C reader")

SMALL = 10_000  # bytes per piece in these tests: 300 generated entities make about 20


@pytest.fixture(scope="module")
def ont() -> Ontology:
    return load_ontology()


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pieces, "PIECE_BYTES", SMALL)
    monkeypatch.setattr(pieces, "SPLIT_BYTES", 0)


def one_file(tmp_path: Path, ont: Ontology, entities: int = 300, seed: int = 7) -> Path:
    gen.generate(tmp_path / "case", entities, "uniform", files=1, seed=seed, ontology=ont)
    (path,) = sorted((tmp_path / "case").glob("*.yaml"))
    return path


def whole(monkeypatch: pytest.MonkeyPatch, read: Any) -> Any:
    with monkeypatch.context() as m:
        m.setattr(pieces, "SPLIT_BYTES", 1 << 62)
        return read()


def rows(graph: Graph) -> tuple[list[Any], list[Any], str]:
    out = (list(graph.nodes), list(graph.rels), graph.checksum)
    graph.close()
    return out


def problems_of(paths: list[Path], ont: Ontology, workers: int) -> list[str]:
    with pytest.raises(InputError) as info:
        read_graph(paths, ont, workers=workers)
    return [str(p) for p in info.value.problems]


# -- the plan ---------------------------------------------------------------------------


def test_pieces_cover_the_file_and_start_where_the_file_says(tmp_path: Path, ont: Ontology) -> None:
    path = one_file(tmp_path, ont)
    data = path.read_bytes()
    found = plan(path, SMALL)
    assert found is not None
    assert found[0].start == 0
    assert found[-1].stop == len(data)
    assert all(a.stop == b.start for a, b in itertools.pairwise(found))
    assert [p.section for p in found if p.opens] == [HEAD, "nodes", "relationships"]
    assert sum(p.section == "nodes" for p in found) > 3
    assert sum(p.section == "relationships" for p in found) > 3
    for piece in found:
        assert piece.line == data.count(b"\n", 0, piece.start)  # 0-based
        head = data[piece.start : piece.start + 20]
        if piece.opens:
            assert piece.start == 0 or re.match(rb"(nodes|relationships):\n", head)
        else:
            assert head.startswith(b"  - "), head
        assert piece.stop - piece.start < 2 * SMALL  # a cut at the first item after SMALL


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("nodes:\n  - {id: a}\nothers:\n  - {id: b}\n", "a key other than the three"),
        ("nodes:\n  - {id: a}\nnodes:\n  - {id: b}\n", "a key twice"),
        ("nodes: [{id: a}]\nrelationships:\n  - {id: b}\n", "a list on the key's line"),
        ("nodes:\n- {id: a}\nrelationships:\n- {id: b}\n", "items at column 0"),
        ("  # fine\n  x: 1\nnodes:\n  - {id: a}\nrelationships:\n  - {id: b}\n", "indented"),
        ("---\nnodes:\n  - {id: a}\nrelationships:\n  - {id: b}\n", "a document marker"),
        ("\ufeffnodes:\n  - {id: a}\nrelationships:\n  - {id: b}\n", "a byte order mark"),
        ("nodes:\r\n  - {id: a}\r\nrelationships:\r\n  - {id: b}\r\n", "CR LF"),
        ("dataset:\n  x\nnodes:\n  - {id: a}\nrelationships:\n  - {id: b}\n", "dataset below"),
        ("nodes:\n  - {id: a}\n", "one piece"),
    ],
)
def test_files_not_cut(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    assert plan(path, 1) is None, why


def test_the_smallest_pieces_are_single_items(tmp_path: Path) -> None:
    text = (
        "# a case\ndataset: d  # named\n\nnodes:\n  # people\n  - id: a\n    type: T\n"
        "  - id: b\n    type: T\n\nrelationships:\n  - {type: R, from: a, to: b}\n"
        "  - {type: R, from: b, to: a}\n"
    )
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    found = plan(path, 1)
    assert found is not None
    starts = [(p.section, p.line, p.opens) for p in found]
    assert starts == [
        (HEAD, 0, True),  # with the comment before it
        ("nodes", 3, True),
        ("nodes", 7, False),
        ("relationships", 10, True),
        ("relationships", 12, False),
    ]
    data = text.encode()
    assert data[found[2].start : found[2].stop] == b"  - id: b\n    type: T\n\n"


# -- reading ----------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [0, 2])
def test_pieces_give_the_same_graph(
    tmp_path: Path,
    ont: Ontology,
    monkeypatch: pytest.MonkeyPatch,
    small_pieces: None,
    workers: int,
) -> None:
    path = one_file(tmp_path, ont)
    graph = read_graph([path], ont, workers=workers)
    assert graph.workdir is not None
    segments = list(graph.workdir.glob("0.*.seg"))
    assert len(segments) > 6  # one per piece: it was read in pieces
    links = json.loads((path.parent / gen.MANIFEST).read_text("utf-8"))["source_links"]
    assert (graph.node_count, graph.rel_count) == (300, 900 + links)
    in_pieces = rows(graph)
    assert whole(monkeypatch, lambda: rows(read_graph([path], ont, workers=workers))) == in_pieces


def test_problems_are_the_same_and_where_the_text_says(
    tmp_path: Path, ont: Ontology, monkeypatch: pytest.MonkeyPatch, small_pieces: None
) -> None:
    """Mistakes in several pieces, and across them: the same list as the whole read, in
    the same order, at lines counted here from the text."""
    path = one_file(tmp_path, ont)
    lines = path.read_text(encoding="utf-8").splitlines()
    found = plan(path, SMALL)
    assert found is not None
    node_pieces = [p for p in found if p.section == "nodes"]
    rel_pieces = [p for p in found if p.section == "relationships"]

    def item_after(line: int, prefix: str) -> int:
        return next(i for i in range(line, len(lines)) if lines[i].startswith(prefix))

    # an unknown property in the third nodes piece; the first node again in the last
    third = item_after(node_pieces[2].line + 1, "  - id: ")
    lines.insert(third + 1, "    colour: blue")
    first = item_after(0, "  - id: ")
    first_id = lines[first].split(": ", 1)[1]
    record = lines[first : item_after(first + 1, "  - ")]
    last = item_after(node_pieces[-1].line + 2, "  - id: ")
    lines[last:last] = record
    # an unknown end in the fourth relationships piece
    rel = item_after(rel_pieces[3].line + 4, "  - type: ")
    lines[rel + 1] = "    from: nobody/1"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    expected_lines = {third + 2, last + 1, rel + 2}  # 1-based, the property's, ids', end's
    for workers in (0, 2):
        in_pieces = problems_of([path], ont, workers)
        assert whole(monkeypatch, lambda w=workers: problems_of([path], ont, w)) == in_pieces
        assert {int(p.split(":")[1]) for p in in_pieces} == expected_lines, in_pieces
        assert "unknown property 'colour'" in in_pieces[0], in_pieces
        assert f"duplicate id {first_id!r}" in in_pieces[1]
        assert "'from' refers to unknown id 'nobody/1'" in in_pieces[2]


def test_relationships_before_nodes(
    tmp_path: Path, ont: Ontology, monkeypatch: pytest.MonkeyPatch, small_pieces: None
) -> None:
    """Sections in the other order: the same graph and problems as the whole read."""
    path = one_file(tmp_path, ont)
    text = path.read_text(encoding="utf-8")
    head, rest = text.split("\nnodes:\n", 1)
    nodes, rels = rest.split("\nrelationships:\n", 1)
    rels = rels.replace("    from: ", "    from: x", 1)  # an unknown end
    nodes = nodes.replace("    type: ", "    colour: blue\n    type: ", 1)  # a property
    path.write_text(f"{head}\nrelationships:\n{rels}nodes:\n{nodes}\n", encoding="utf-8")
    found = plan(path, SMALL)
    assert found is not None
    assert [p.section for p in found if p.opens] == [HEAD, "relationships", "nodes"]
    in_pieces = problems_of([path], ont, 0)
    assert whole(monkeypatch, lambda: problems_of([path], ont, 0)) == in_pieces
    assert len(in_pieces) == 2, in_pieces
    assert "refers to unknown id 'x" in in_pieces[0]  # listed by place: line 6
    assert "unknown property 'colour'" in in_pieces[1]


def test_bad_citations_are_found_in_pieces(
    tmp_path: Path, ont: Ontology, monkeypatch: pytest.MonkeyPatch, small_pieces: None
) -> None:
    path = one_file(tmp_path, ont)
    text = path.read_text(encoding="utf-8")
    for quarter in (3, 2, 1):  # three records far apart cite a source that is not there
        at = text.index("sources: [", len(text) * quarter // 4) + len("sources: [")
        text = text[:at] + "source/none, " + text[at:]
    path.write_text(text, encoding="utf-8")
    in_pieces = problems_of([path], ont, 0)
    assert len(in_pieces) == 3
    assert all("cites unknown source 'source/none'" in p for p in in_pieces)
    assert whole(monkeypatch, lambda: problems_of([path], ont, 0)) == in_pieces


def test_a_piece_the_c_reader_does_not_take_means_a_whole_read(
    tmp_path: Path, ont: Ontology, monkeypatch: pytest.MonkeyPatch, small_pieces: None
) -> None:
    """A block scalar in the middle: its piece is not taken, so the file is read whole,
    with the same result as without pieces."""
    path = one_file(tmp_path, ont)
    text = path.read_text(encoding="utf-8")
    middle = text.index("\n  - id: ", len(text) // 4)
    while "\n    note: " in text[text.rindex("\n  - id: ", 0, middle) : middle]:
        middle = text.index("\n  - id: ", middle + 1)  # after a record without a note
    text = text[:middle] + "\n    note: |\n      on\n      two lines" + text[middle:]
    path.write_text(text, encoding="utf-8")
    assert plan(path, SMALL) is not None
    called: list[str] = []
    check_file = validate.check_file

    def spy(*args: Any) -> Any:
        called.append(str(args[0]))
        return check_file(*args)

    monkeypatch.setattr(validate, "check_file", spy)
    in_pieces = rows(read_graph([path], ont, workers=0))
    assert called == [str(path)]
    assert whole(monkeypatch, lambda: rows(read_graph([path], ont, workers=0))) == in_pieces
    # a literal block keeps its last line break
    notes = [n for n in in_pieces[0] if n.props.get("note") == "on\ntwo lines\n"]
    assert len(notes) == 1

    at = text.index("sources: [", middle) + len("sources: [")  # a bad one, just after
    path.write_text(text[:at] + "source/none, " + text[at:], encoding="utf-8")
    in_pieces_problems = problems_of([path], ont, 0)
    assert len(in_pieces_problems) == 1
    assert "cites unknown source 'source/none'" in in_pieces_problems[0]
    assert whole(monkeypatch, lambda: problems_of([path], ont, 0)) == in_pieces_problems


def test_files_over_the_size_limit_are_read_when_they_can_be_cut(
    tmp_path: Path, ont: Ontology, monkeypatch: pytest.MonkeyPatch, small_pieces: None
) -> None:
    path = one_file(tmp_path, ont)
    monkeypatch.setattr(yamlread, "MAX_FILE", 10_000)
    graph = read_graph([path], ont, workers=0)
    assert graph.node_count == 300
    graph.close()
    with path.open("a", encoding="utf-8") as extra:  # now it cannot be read in pieces
        extra.write("  - type: KNOWS\n    note: >\n      folded\n")
    size = path.stat().st_size
    assert problems_of([path], ont, 0) == [f"{path}: file of {size:,} bytes is too large"]


def test_worker_count_counts_pieces(
    tmp_path: Path, ont: Ontology, monkeypatch: pytest.MonkeyPatch, small_pieces: None
) -> None:
    path = one_file(tmp_path, ont)
    monkeypatch.setattr(validate, "PARALLEL_BYTES", 0)
    monkeypatch.delenv("CASEGRAPH_WORKERS", raising=False)
    assert validate.worker_count([path]) >= min(2, validate.os.cpu_count() or 1)
    with monkeypatch.context() as m:
        m.setattr(pieces, "SPLIT_BYTES", 1 << 62)
        assert validate.worker_count([path]) == 0
