"""Every validation message, exactly, with its place. No database needed."""

from __future__ import annotations

import datetime as dt
import json
import re
from hashlib import blake2b
from pathlib import Path

import pytest

from loader.check.identity import content_hash
from loader.check.validate import read_graph
from loader.errors import InputError, ValueProblem
from loader.model.values import parse_text
from tests.helpers import casegraph, mini_ontology

HEAD = """dataset: t
nodes:
  - {id: src/a, type: Source, title: A}
  - {id: p/1, type: Person, name: One, sources: [src/a]}
  - {id: o/1, type: Org, name: Org}
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_graph([path], mini_ontology())
    return [str(p).removeprefix(f"{path}:") for p in info.value.problems]


CASES = [
    pytest.param(
        "nodes:\n  - {id: x/1, type: Robot, name: R}\n",
        ["2:@Robot: unknown node type 'Robot' (known: Org, Person, Source)"],
        id="unknown-type",
    ),
    pytest.param(
        HEAD + "  - {id: o/2, type: Org, name: O, colour: red}\n",
        ["6:@colour: unknown property 'colour' for Org 'o/2' (known: homepage, name)"],
        id="unknown-property",
    ),
    pytest.param(
        HEAD + "  - {id: o/2, type: Org}\n",
        ["6:5: Org 'o/2' needs property 'name'"],
        id="missing-required",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, age: 4.5, sources: [src/a]}\n",
        ["6:@4.5: 'age': '4.5' is not an integer"],
        id="wrong-int",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, verified: yes, sources: [src/a]}\n",
        ["6:@yes: 'verified': 'yes' is not a boolean (use true or false)"],
        id="yaml11-bool-refused",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, born: 2023-02-30, sources: [src/a]}\n",
        ["6:@2023-02-30: 'born': 2023-02-30 is not a real date"],
        id="impossible-date",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, born: 5 May 2023, sources: [src/a]}\n",
        ["6:@5 May: 'born': '5 May 2023' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"],
        id="bad-date",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, kind: secret, sources: [src/a]}\n",
        ["6:@secret: 'kind': 'secret' is not one of official, private"],
        id="unknown-enum",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, nationality: XX, sources: [src/a]}\n",
        ["6:@XX: 'nationality': 'XX' is not an ISO 3166-1 alpha-2 country code"],
        id="unknown-country",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, nationality: fr, sources: [src/a]}\n",
        [
            "6:@fr: 'nationality': 'fr' is not an ISO 3166-1 alpha-2 country code "
            "(codes are upper case)"
        ],
        id="lowercase-country",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, region: FR-99, sources: [src/a]}\n",
        ["6:@FR-99: 'region': 'FR-99' is not an ISO 3166-2 subdivision code"],
        id="unknown-subdivision",
    ),
    pytest.param(
        HEAD + "  - {id: o/2, type: Org, name: O, homepage: 'ftp://x'}\n",
        ["6:@'ftp: 'homepage': 'ftp://x' is not an http(s) URL"],
        id="bad-url",
    ),
    pytest.param(
        HEAD + "  - {id: p/1, type: Org, name: Again}\n",
        ["6:@p/1: duplicate id 'p/1' (first at {path}:4)"],
        id="duplicate-id",
    ),
    pytest.param(
        HEAD + "  - {id: 'bad id`', type: Org, name: O}\n",
        [
            "6:@'bad: id 'bad id`' must be 1-128 characters of letters, digits and . _ : / - "
            "(starting with a letter or digit)"
        ],
        id="bad-id",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P}\n",
        ["6:5: Person 'p/2' needs 'sources' (label Person states facts)"],
        id="sources-required",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, sources: [src/zz]}\n",
        ["6:@src/zz: Person 'p/2' cites unknown source 'src/zz'"],
        id="unknown-source",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, sources: [o/1]}\n",
        ["6:@o/1: Person 'p/2' cites 'o/1', a Org, not a Source"],
        id="source-not-a-source",
    ),
    pytest.param(
        HEAD + "relationships:\n  - {type: WORKS_FOR, from: p/1, to: o/1, sources: [src/a]}\n",
        ["7:5: WORKS_FOR relationship is a claim and needs a 'status'"],
        id="claim-without-status",
    ),
    pytest.param(
        HEAD + "relationships:\n  - {type: WORKS_FOR, from: p/1, to: o/1, status: reported}\n",
        ["7:5: WORKS_FOR relationship is a claim and needs 'sources'"],
        id="claim-without-source",
    ),
    pytest.param(
        HEAD + "relationships:\n"
        "  - {type: WORKS_FOR, from: p/1, to: o/1, status: proven, sources: [src/a]}\n",
        ["7:@proven: unknown status 'proven' (one of alleged, convicted, reported)"],
        id="unknown-status",
    ),
    pytest.param(
        HEAD + "relationships:\n  - {type: KNOWS, from: p/1, to: p/9}\n",
        ["7:@p/9: 'to' refers to unknown id 'p/9'"],
        id="unknown-endpoint",
    ),
    pytest.param(
        HEAD + "relationships:\n  - {type: KNOWS, from: p/1, to: o/1}\n",
        ["7:5: KNOWS cannot go from Person to Org (allowed: Person->Person)"],
        id="forbidden-endpoints",
    ),
    pytest.param(
        HEAD + "relationships:\n  - {type: LIKES, from: p/1, to: o/1}\n",
        ["7:@LIKES: unknown relationship type 'LIKES' (known: KNOWS, WORKS_FOR)"],
        id="unknown-rel-type",
    ),
    pytest.param(
        HEAD + "relationships:\n"
        "  - {type: WORKS_FOR, from: p/1, to: o/1, status: reported, sources: [src/a]}\n"
        "  - {type: WORKS_FOR, from: p/1, to: o/1, status: alleged, sources: [src/a]}\n",
        [
            "8:5: duplicate WORKS_FOR from 'p/1' to 'o/1' (first at {path}:7); tell them "
            "apart with valid_from"
        ],
        id="duplicate-relationship",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: {first: P}, sources: [src/a]}\n",
        ["6:@{first: 'name': a nested mapping is not allowed (Neo4j stores only values and lists)"],
        id="nested-map",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: [P], sources: [src/a]}\n",
        ["6:@[P]: 'name': a list (the property is not a list) is not allowed here"],
        id="list-for-scalar",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, dataset: x, sources: [src/a]}\n",
        [
            "6:@dataset: unknown property 'dataset' for Person 'p/2' (known: age, aliases, bio, "
            "born, height, kind, name, nationality, region, verified)"
        ],
        id="bookkeeping-key",
    ),
    pytest.param(
        HEAD + '  - {id: p/2, type: Person, name: "a\\nb", sources: [src/a]}\n',
        ["6:@\"a: 'name': a one-line string is expected (use type text for several lines)"],
        id="newline-in-string",
    ),
    pytest.param(
        HEAD + "people: []\n",
        ["6:1: unknown top-level key 'people' (expected dataset, uses, nodes, relationships)"],
        id="unknown-top-key",
    ),
    pytest.param(
        "- just\n- a list\n",
        ["1:1: a seed file must be a mapping with 'nodes' and/or 'relationships'"],
        id="list-not-mapping",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, aliases: [A, [B], C], sources: [src/a]}\n",
        ["6:@[B]: 'aliases': a list inside a list is not allowed here"],
        id="list-in-list-item",
    ),
    pytest.param(
        HEAD + '  - {id: p/2, type: Person, name: P, aliases: [A, "x\\u0001"], sources: [src/a]}\n',
        ["6:@\"x: 'aliases': control character U+0001 is not allowed in text"],
        id="bad-list-item",
    ),
    pytest.param(
        HEAD + "  - {id: p/2, type: Person, name: P, sources: [src/a, src/a]}\n",
        ["6:@src/a]: source 'src/a' is listed twice"],
        id="source-twice",
    ),
    pytest.param(
        HEAD + "relationships:\n  - {type: KNOWS, from: p/1, to: p/1, since: soon}\n",
        ["7:@soon: 'since': 'soon' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"],
        id="rel-property-type",
    ),
]


def place(text: str, expected: str) -> str:
    """Expand ``L:@token:`` to ``L:C:``, C being where the token starts on line L."""
    match = re.match(r"(\d+):@(.+?): ", expected)
    if not match:
        return expected
    line = text.splitlines()[int(match.group(1)) - 1]
    column = line.index(match.group(2)) + 1
    return f"{match.group(1)}:{column}: " + expected[match.end() :]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_validation_message(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = tmp_path / "case.yaml"
    assert problems(tmp_path, text) == [place(text, e).format(path=path) for e in expected]


def test_problems_from_several_files_are_all_reported_sorted(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(HEAD + "  - {id: o/2, type: Org}\n")
    (tmp_path / "b.yaml").write_text("nodes:\n  - {id: o/3, type: Org, name: O, x: 1}\n")
    with pytest.raises(InputError) as info:
        read_graph([tmp_path], mini_ontology())
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path / 'a.yaml'}:6:5: Org 'o/2' needs property 'name'",
        f"{tmp_path / 'b.yaml'}:2:35: unknown property 'x' for Org 'o/3' (known: homepage, name)",
    ]


def test_a_file_that_cannot_be_read_does_not_hide_the_others_problems(tmp_path: Path) -> None:
    """A duplicate key makes a.yaml unreadable; b.yaml's own problems come in the same run
    (in this process and in workers), an end or a source that may be in a.yaml is not
    called unknown, and the summary says what was not checked. Once a.yaml is fixed, the
    references are checked again."""
    case = Path(__file__).parent / "corpus" / "problems-across-stages"
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text((case / name).read_text(encoding="utf-8"), "utf-8")
    found = []
    for workers in (0, 2):
        with pytest.raises(InputError) as info:
            read_graph([tmp_path], mini_ontology(), workers=workers)
        found.append(([str(p) for p in info.value.problems], str(info.value)))
    assert found[0] == found[1]
    assert [line.split(": ", 1)[1] for line in found[0][0]] == [
        "duplicate key 'id' (first at line 3)",
        "'kind': 'boss' is not one of official, private",
        "'nationality': 'XX' is not an ISO 3166-1 alpha-2 country code",
        "KNOWS cannot go from Person to Org (allowed: Person->Person)",
    ]
    assert found[0][1] == (
        "4 problems in the input (1 file could not be read, so references to ids that may "
        "be in it were not checked)"
    )
    a = tmp_path / "a.yaml"
    a.write_text(a.read_text(encoding="utf-8").replace("    id: p/2\n", ""), "utf-8")
    with pytest.raises(InputError) as info:
        read_graph([tmp_path], mini_ontology(), workers=0)
    assert str(info.value) == "4 problems in the input"
    assert f"{tmp_path / 'b.yaml'}:11:20: Person 'p/3' cites unknown source 's/9'" in [
        str(p) for p in info.value.problems
    ]


def test_directory_order_is_stable_and_recursive(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.yml").write_text("nodes:\n  - {id: o/2, type: Org, name: Two}\n")
    (tmp_path / "a.yaml").write_text("nodes:\n  - {id: o/1, type: Org, name: One}\n")
    (tmp_path / "notes.txt").write_text("not yaml")
    graph = read_graph([tmp_path], mini_ontology())
    assert graph.files == [str(tmp_path / "a.yaml"), str(tmp_path / "b" / "z.yml")]
    assert [n.id for n in graph.nodes] == ["o/1", "o/2"]


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    env_ont = str(Path(__file__).parent / "data" / "ontology.yaml")
    import os

    env = {**os.environ, "CASEGRAPH_ONTOLOGY": env_ont}
    good = casegraph("validate", str(Path(__file__).parent / "data" / "mini"), env=env)
    assert good.returncode == 0, good.stderr
    assert good.stdout == "OK: dataset 'mini': 2 file(s), 4 nodes and 3 relationships.\n"
    (tmp_path / "bad.yaml").write_text("nodes:\n  - {id: o/1, type: Org}\n")
    bad = casegraph("validate", str(tmp_path), env=env)
    assert bad.returncode == 1
    assert bad.stderr.splitlines() == [
        f"{tmp_path / 'bad.yaml'}:2:5: Org 'o/1' needs property 'name'",
        "Error: 1 problem in the input",
    ]


def test_hash_collisions_are_not_taken_for_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Duplicates are found by a digest of their identity and then checked exactly: with
    every digest equal, the valid relationships are all kept and the real duplicate is
    the only problem, named at the same places as without collisions."""
    text = (
        HEAD + "  - {id: p/2, type: Person, name: Two, sources: [src/a]}\n"
        "relationships:\n"
        "  - {type: KNOWS, from: p/1, to: p/2}\n"
        "  - {type: KNOWS, from: p/2, to: p/1}\n"
        "  - {type: WORKS_FOR, from: p/1, to: o/1, status: reported, sources: [src/a]}\n"
        "  - {type: WORKS_FOR, from: p/2, to: o/1, status: reported, sources: [src/a]}\n"
    )
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    honest = read_graph([path], mini_ontology())
    expected = sorted((r.type, r.start, r.end, r.key) for r in honest.rels)
    assert len(expected) == 4

    import loader.check.join
    import loader.check.resolve

    dup = text + "  - {type: KNOWS, from: p/2, to: p/1}\n"
    for digest in (loader.check.join.identity_digest, lambda *_: b"\0" * 8):
        monkeypatch.setattr(loader.check.join, "identity_digest", digest)  # the exact check
        monkeypatch.setattr(loader.check.resolve, "identity_digest", digest)  # the digests
        path.write_text(text, encoding="utf-8")
        colliding = read_graph([path], mini_ontology())
        assert sorted((r.type, r.start, r.end, r.key) for r in colliding.rels) == expected
        assert problems(tmp_path, dup) == [
            f"12:5: duplicate KNOWS from 'p/2' to 'p/1' (first at {path}:9); tell them "
            "apart with an identity property in the ontology"
        ]


def test_bad_citations_are_reported_at_every_citing_record_across_files(tmp_path: Path) -> None:
    """Citations are checked by distinct id; every record citing a bad one is still named."""
    (tmp_path / "a.yaml").write_text(
        "nodes:\n"
        "  - {id: p/1, type: Person, name: One, sources: [src/b, o/1]}\n"
        "  - {id: p/2, type: Person, name: Two, sources: [src/gone]}\n"
        "relationships:\n"
        "  - {type: WORKS_FOR, from: p/1, to: o/1, status: reported, sources: [src/gone]}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text(
        "nodes:\n"
        "  - {id: src/b, type: Source, title: B}\n"
        "  - {id: o/1, type: Org, name: Org, sources: [src/b]}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_graph([tmp_path], mini_ontology())
    a = tmp_path / "a.yaml"
    assert [str(p) for p in info.value.problems] == [
        f"{a}:2:57: Person 'p/1' cites 'o/1', a Org, not a Source",
        f"{a}:3:50: Person 'p/2' cites unknown source 'src/gone'",
        f"{a}:5:71: WORKS_FOR relationship cites unknown source 'src/gone'",
    ]


def test_worker_processes_give_the_same_graph_and_the_same_problems(tmp_path: Path) -> None:
    """Files checked in two worker processes or in this one: same rows in the same order,
    same checksum, and, for input with problems within and across files, the same list."""
    from benchmarks import generate as gen
    from loader.model.ontology import load_ontology

    ont = load_ontology()
    stats = gen.generate(tmp_path / "a", 400, "uniform", files=3, seed=3, ontology=ont)
    here, pool = (
        read_graph([tmp_path / "a"], ont, workers=0),
        read_graph([tmp_path / "a"], ont, workers=2),
    )
    assert (here.node_count, here.rel_count) == (400, 1200 + stats.source_links)
    assert here.checksum == pool.checksum
    assert list(here.nodes) == list(pool.nodes)
    assert list(here.rels) == list(pool.rels)
    here.close()
    pool.close()

    files = sorted((tmp_path / "a").glob("*.yaml"))
    first_id = re.search(r"- id: (\S+)", files[0].read_text(encoding="utf-8"))
    assert first_id
    with files[2].open("a", encoding="utf-8") as extra:
        extra.write(
            "  - {type: CITED_IN, from: nobody/1, to: source/1, status: reported, "
            "sources: [source/none]}\n"
        )
    text = files[1].read_text(encoding="utf-8")
    files[1].write_text(
        text.replace(
            "nodes:\n",
            f"nodes:\n  - {{id: {first_id.group(1)}, type: Platform, name: P, "
            "sources: [source/1]}\n",
            1,
        ),
        encoding="utf-8",
    )
    found = []
    for workers in (0, 2):
        with pytest.raises(InputError) as info:
            read_graph([tmp_path / "a"], ont, workers=workers)
        found.append([str(p) for p in info.value.problems])
    assert found[0] == found[1]
    assert len(found[0]) >= 3
    assert not list(tmp_path.glob("casegraph-*"))


def test_relationship_ends_checked_in_workers_are_reported_as_in_this_process(
    tmp_path: Path,
) -> None:
    """Unknown ends and ends of labels the type does not allow, in several files: the
    workers find the same problems, in the same order, as this process, and on valid
    input the same rows."""
    from benchmarks import generate as gen
    from loader.model.ontology import load_ontology

    ont = load_ontology()
    stats = gen.generate(tmp_path / "a", 300, "uniform", files=3, seed=5, ontology=ont)
    here, pool = (
        read_graph([tmp_path / "a"], ont, workers=0),
        read_graph([tmp_path / "a"], ont, workers=2),
    )
    assert list(here.rels) == list(pool.rels)
    assert here.rel_count == 900 + stats.source_links
    here.close()
    pool.close()

    files = sorted((tmp_path / "a").glob("*.yaml"))
    for number, path in enumerate(files):
        with path.open("a", encoding="utf-8") as extra:
            extra.write(
                f"  - {{type: CITED_IN, from: nobody/{number}, to: source/1, "
                "status: reported, sources: [source/2]}\n"
                # Person -> Source is not a pair CITED_IN allows
                f"  - {{type: CITED_IN, from: person/{number}, to: source/1, "
                "status: reported, sources: [source/2]}\n"
            )
    found = []
    for workers in (0, 2):
        with pytest.raises(InputError) as info:
            read_graph([tmp_path / "a"], ont, workers=workers)
        found.append([str(p) for p in info.value.problems])
    assert found[0] == found[1]
    for number, path in enumerate(files):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert f"{path}:{lines - 1}:28: 'from' refers to unknown id 'nobody/{number}'" in found[1]
        assert (
            f"{path}:{lines}:5: CITED_IN cannot go from Person to Source (allowed: "
            "Source->Source)" in found[1]
        )
    assert len(found[1]) == 6


def test_a_relationship_twice_in_two_files_is_found_with_workers(tmp_path: Path) -> None:
    """Duplicates span files: the workers' digests meet in this process, which then
    finds the duplicate exactly and reports it as without workers."""
    from benchmarks import generate as gen
    from loader.model.ontology import load_ontology

    ont = load_ontology()
    gen.generate(tmp_path / "a", 300, "uniform", files=3, seed=5, ontology=ont)
    files = sorted((tmp_path / "a").glob("*.yaml"))
    first = files[0].read_text(encoding="utf-8")
    record = re.search(r"\n  - type: (\w+)\n    from: (\S+)\n    to: (\S+)\n", first)
    assert record
    rtype, start, end = record.groups()
    copy = next(
        line
        for line in first.splitlines()[first[: record.end()].count("\n") :]
        if line.startswith("    sources:")
    )
    with files[2].open("a", encoding="utf-8") as extra:
        extra.write(f"  - type: {rtype}\n    from: {start}\n    to: {end}\n"
                    f"    status: reported\n{copy}\n")  # fmt: skip
    found = []
    for workers in (0, 2):
        with pytest.raises(InputError) as info:
            read_graph([tmp_path / "a"], ont, workers=workers)
        found.append([str(p) for p in info.value.problems])
    assert found[0] == found[1]
    assert len(found[1]) == 1
    assert found[1][0].startswith(f"{files[2]}:")
    assert f"duplicate {rtype} from {start!r} to {end!r} (first at {files[0]}:" in found[1][0]


def test_identity_digests_differ_where_the_identity_does() -> None:
    from loader.check.identity import identity_digest

    parts = [
        ("A", "b", "c", ""),
        ("A", "bc", "", ""),
        ("A", "b", "c", '["x"]'),
        ("B", "b", "c", ""),
    ]
    digests = {identity_digest(*p) for p in parts}
    assert len(digests) == len(parts)
    assert all(len(d) == 8 for d in digests)
    assert identity_digest(*parts[0]) == identity_digest("A", "b", "c", "")


@pytest.mark.parametrize("code", range(0x80))
def test_text_refuses_exactly_the_control_characters_but_tab_and_newlines(code: int) -> None:
    """Every character below U+0080 in the middle of a text: the C0 controls are refused
    (the first one is named), except tab, line feed and carriage return."""
    char = chr(code)
    text = f"a{char}b{chr(1)}"
    first = code if code < 32 and char not in "\t\n\r" else 1
    with pytest.raises(ValueProblem, match=rf"^control character U\+{first:04X} is not allowed"):
        parse_text(text)
    if first != code:
        assert parse_text(f"a{char}b") == f"a{char}b"


@pytest.mark.parametrize(
    "props",
    [
        {},
        {"name": "Zoë « guillemets »", "note": 'quote " backslash \\ tab \t line\nend'},
        {"age": 69, "big": 2**62, "neg": -3, "ok": True, "no": False},
        {"f": 0.1, "g": 1.5e300, "h": -0.0, "i": 1e-7},
        {"d": dt.date(1999, 12, 2), "d_precision": "day", "ds": [dt.date(2023, 1, 1)]},
        {"sources": ["source/1", "source/2"], "status": "charged", "key": '["x",1]'},
        {"z": 1, "a": 2, "m": [3, "trois", 3.5]},
    ],
)
def test_content_hash_is_blake2b_of_the_documented_json(props: dict[str, object]) -> None:
    """The text hashed is json.dumps of [kind, props] with sorted keys, no spaces, non-ASCII
    kept and dates as {"date": ISO}: the hashes stored by earlier loads stay valid."""

    def as_date(value: object) -> dict[str, str]:
        assert isinstance(value, dt.date)
        return {"date": value.isoformat()}

    text = json.dumps(
        ["Person", props], sort_keys=True, default=as_date, ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip
    assert content_hash("Person", props) == blake2b(text.encode(), digest_size=12).hexdigest()


def test_content_hash_of_a_text_written_by_hand() -> None:
    text = '["Person",{"born":{"date":"1980-05-01"},"name":"Zoë"}]'
    props = {"name": "Zoë", "born": dt.date(1980, 5, 1)}
    assert content_hash("Person", props) == blake2b(text.encode(), digest_size=12).hexdigest()


LINKED = """dataset: linked
nodes:
  - {id: src/a, type: Source, title: A, publisher: P, kind: wire}
  - {id: src/b, type: Source, title: B, publisher: P, kind: wire, sources: [src/a, src/b]}
  - {id: person/x, type: Person, name: X, sources: [src/a, src/b]}
"""


def test_each_source_a_node_cites_is_linked_to_it(tmp_path: Path) -> None:
    """The shipped ontology's source_link: one SOURCE_OF from each source a node cites
    (none from a source to itself), as a relationship row."""
    from loader.model.ontology import load_ontology

    (tmp_path / "case.yaml").write_text(LINKED, encoding="utf-8")
    ont = load_ontology()
    graph = read_graph([tmp_path], ont)
    links = sorted((r.start, r.end, r.start_label, r.end_label, r.props["caption"])
                   for r in graph.rels if r.type == "SOURCE_OF")  # fmt: skip
    assert links == [
        ("src/a", "person/x", "Source", "Person", "SOURCE_OF"),
        ("src/a", "src/b", "Source", "Source", "SOURCE_OF"),
        ("src/b", "person/x", "Source", "Person", "SOURCE_OF"),
    ]
    assert graph.rels_of("SOURCE_OF") == graph.rel_count == 3


def test_a_seed_file_cannot_give_a_source_link_and_an_unknown_source_is_said_once(
    tmp_path: Path,
) -> None:
    from loader.model.ontology import load_ontology

    path = tmp_path / "case.yaml"
    path.write_text(
        LINKED.replace("X, sources: [src/a, src/b]", "X, sources: [src/a, src/gone]")
        + "relationships:\n  - {type: SOURCE_OF, from: src/a, to: person/x}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_graph([path], load_ontology())
    assert [str(p).removeprefix(f"{path}:") for p in info.value.problems] == [
        "5:60: Person 'person/x' cites unknown source 'src/gone'",
        "7:12: SOURCE_OF is written by casegraph from the 'sources' of each node; a seed file "
        "cannot give it",
    ]
