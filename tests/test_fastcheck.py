"""The C checks of a record's properties (``_scan.props`` in loader/_scan.c) against the
Python ones (``_FileChecker.properties`` then ``sources_and_status``): for every record the
C code accepts, the same properties in the same order, the same citations, and no problem
from the Python code; every record with a problem is left to the Python code (None).

Records come from the repository's seed, from the benchmark's generator, and from
hypothesis, which fills them with values on the edges of the rules: control characters,
line breaks, dates that do not exist, enum values in the wrong case, lists, nulls,
mappings, unknown keys, sources listed twice.

Then whole records (``_scan.records`` against ``node``/``rel``) and relationship ends
(``_scan.resolve`` against the Python loop), on generated files with and without
problems planted in them."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from loader import validate
from loader.ontology import Ontology, PropertySpec, load_ontology
from loader.packed import REL_FIELDS
from loader.spill import load_rows
from loader.validate import NODE_KEYS, REL_KEYS, FileCheck, _FileChecker, fast_table
from loader.yamlread import Mark, YList, YMap, collect_files, read_file

ROOT = Path(__file__).resolve().parent.parent

if validate._scan is None:  # pragma: no cover - depends on the build
    if os.environ.get("CASEGRAPH_REQUIRE_SCAN"):
        raise RuntimeError("CASEGRAPH_REQUIRE_SCAN is set but loader._scan was not built")
    pytest.skip("loader._scan (the C checks) was not built here", allow_module_level=True)

ONT = load_ontology()
HERE = Mark("f.yaml", 1, 1)


def specs_of(kind: str) -> tuple[dict[str, PropertySpec], frozenset[str]]:
    if kind in ONT.labels:
        return ONT.labels[kind].properties, NODE_KEYS
    return ONT.relationships[kind].properties, REL_KEYS


def python_check(
    ont: Ontology, record: YMap, kind: str
) -> tuple[dict[str, Any], list[str], set[str]]:
    check = FileCheck("f.yaml")
    checker = _FileChecker(ont, check, None)  # type: ignore[arg-type]  # writes nothing
    specs, fixed = specs_of(kind)
    props = checker.properties(record, specs, fixed, kind)
    checker.sources_and_status(record, props, kind)
    return props, [p.message for p in check.problems], check.cited


def c_check(ont: Ontology, record: YMap, kind: str) -> tuple[dict[str, Any] | None, set[str]]:
    specs, fixed = specs_of(kind)
    table, required = fast_table(specs)
    cited: set[str] = set()
    assert validate._scan is not None
    props = validate._scan.props(record, table, required, fixed, ont.statuses, cited, YList)
    return props, cited


def typed(props: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """Keys in order, with each value's type (and its items' types): 1 == True, but not
    for a property."""

    def kind(value: Any) -> Any:
        return [type(v) for v in value] if isinstance(value, list) else type(value)

    return [(key, kind(value), value) for key, value in props.items()]


def assert_agree(record: YMap, kind: str) -> bool:
    """True when the C checks took the record (and then agree with Python's)."""
    fast, fast_cited = c_check(ONT, record, kind)
    slow, problems, slow_cited = python_check(ONT, record, kind)
    if fast is None:
        assert not fast_cited, "a refused record cites nothing"
        return False
    assert problems == [], (record, fast)
    assert typed(fast) == typed(slow)
    assert fast_cited == slow_cited
    return True


# -- records from files ----------------------------------------------------------------


def records_of(paths: list[Path]) -> list[tuple[YMap, str]]:
    out = []
    for path in collect_files(paths):
        data, _ = read_file(path)
        for key in ("nodes", "relationships"):
            for record in data.get(key) or []:
                out.append((record, record["type"]))
    return out


def test_seed_records_check_the_same_and_all_are_taken() -> None:
    records = records_of([ROOT / "seed"])
    assert len(records) > 100
    taken = [assert_agree(record, kind) for record, kind in records]
    assert all(taken)


@pytest.mark.parametrize("shape", ["uniform", "powerlaw"])
def test_generated_records_check_the_same_and_all_are_taken(tmp_path: Path, shape: str) -> None:
    generate(tmp_path, 300, shape, files=2, seed=11, ontology=ONT)
    records = records_of([tmp_path])
    assert len(records) >= 1200
    taken = [assert_agree(record, kind) for record, kind in records]
    assert all(taken)
    kinds = {kind for record, kind in records}
    assert len(kinds) > 20


# -- records by hand -------------------------------------------------------------------


def ymap(pairs: dict[str, Any]) -> YMap:
    out = YMap(pairs)
    out.mark = HERE
    out.key_marks = dict.fromkeys(pairs, HERE)
    out.value_marks = dict.fromkeys(pairs, HERE)
    return out


def ylist(items: list[Any]) -> YList:
    out = YList(items)
    out.mark = HERE
    out.item_marks = [HERE] * len(items)
    return out


def test_values_by_hand() -> None:
    """Expected values written from the rules (loader/values.py and ontology.yaml)."""
    person = ymap(
        {
            "id": "p/1",
            "type": "Person",
            "name": "Zoë\tK",
            "age_reported_on": "1984-02",
            "aliases": ylist(["A", None, "B"]),
            "sources": ylist(["src/1", "src/2"]),
            "status": "alleged",
        }
    )
    fast, cited = c_check(ONT, person, "Person")
    assert fast == {
        "name": "Zoë\tK",
        "age_reported_on": dt.date(1984, 2, 1),
        "age_reported_on_precision": "month",
        "aliases": ["A", "B"],
        "sources": ["src/1", "src/2"],
        "status": "alleged",
    }
    assert list(fast) == [
        "name",
        "age_reported_on",
        "age_reported_on_precision",
        "aliases",
        "sources",
        "status",
    ]
    assert type(fast["sources"]) is list
    assert cited == {"src/1", "src/2"}
    assert_agree(person, "Person")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", "two\nlines"),  # string: one line
        ("name", "bell\x07"),  # a control character
        ("name", None),  # required
        ("age_reported_on", "2023-02-29"),  # not a real date
        ("age_reported_on", "0000"),  # no year 0
        ("age_reported_on", "2023-1"),
        ("age_reported_on", "\uff12\uff10\uff12\uff13"),  # fullwidth digits
        ("aliases", ymap({"a": "b"})),
        ("nickname", "x"),  # unknown property
        ("sources", ylist(["src/1", "src/1"])),  # listed twice
        ("sources", ylist([f"src/{n}" for n in (1, 2, 3, 4, 5, 6, 7, 2)])),  # compared in pairs
        ("sources", ylist([f"src/{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 2)])),  # in a set
        ("sources", "src/1"),  # not a list
        ("status", "Alleged"),  # not a status
    ],
)
def test_a_problem_is_left_to_the_python_checks(key: str, value: Any) -> None:
    record = ymap({"id": "p/1", "type": "Person", "name": "N", key: value})
    fast, cited = c_check(ONT, record, "Person")
    assert fast is None
    assert cited == set()
    assert python_check(ONT, record, "Person")[1] != []


def test_leap_days_and_the_last_days_of_months() -> None:
    for text, real in [
        ("2024-02-29", True),
        ("2000-02-29", True),
        ("1900-02-29", False),
        ("2023-04-31", False),
        ("2023-12-31", True),
        ("9999-12-31", True),
        ("0001-01-01", True),
    ]:
        record = ymap({"id": "p/1", "type": "Person", "name": "N", "age_reported_on": text})
        assert (c_check(ONT, record, "Person")[0] is not None) is real, text
        assert assert_agree(record, "Person") is real


# -- generated records -----------------------------------------------------------------

KINDS = sorted([*ONT.labels, *ONT.relationships])
ENUMS = sorted({v for k in KINDS for s in specs_of(k)[0].values() for v in s.values})
FRAGMENTS = [
    "", "a", "Zoë", " ", "\t", "\n", "\r", "\x00", "\x01", "\x1f", "\x7f", "\x85", "\u2028",
    "2023", "2024", "1900", "0000", "-", "02", "29", "31", "13", "1", "\uff12", "-02", "-29",
    "12", "+7", "-5", "1e3", "9223372036854775808", "FR", "fr", "FR-75", "XX",
    "http://x.org", "https://", "source/1", "src/2", *ENUMS, *ONT.statuses, "Reported",
]  # fmt: skip


@st.composite
def scalars(draw: st.DrawFn) -> Any:
    return draw(
        st.one_of(
            st.none(),
            st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map("".join),
            st.text(max_size=4),
        )
    )


@st.composite
def values(draw: st.DrawFn) -> Any:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return ylist(draw(st.lists(scalars(), max_size=3)))
    if choice == 1:
        return ymap({"k": draw(scalars())})
    if choice == 2:
        return ylist([ylist([draw(scalars())])])
    return draw(scalars())


@st.composite
def records(draw: st.DrawFn) -> tuple[YMap, str]:
    kind = draw(st.sampled_from(KINDS))
    specs, _ = specs_of(kind)
    names = [*specs, "sources", "status", "unknown_key"]
    pairs: dict[str, Any] = {"type": kind}
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names))):
        pairs[name] = draw(values())
    if draw(st.booleans()):  # most records carry their required properties
        for name, spec in specs.items():
            if spec.required and name not in pairs:
                pairs[name] = draw(st.sampled_from(spec.values or ("Name",)))
    if draw(st.booleans()):
        pairs["sources"] = ylist(draw(st.lists(st.sampled_from(["s/1", "s/2", "s/3"]))))
    return ymap(pairs), kind


@settings(
    max_examples=int(os.environ.get("CASEGRAPH_HYPOTHESIS_EXAMPLES", "2000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=records())
def test_same_properties_or_left_to_python(case: tuple[YMap, str]) -> None:
    assert_agree(*case)


def test_the_generated_records_reach_both_outcomes() -> None:
    """Guards the property above against a C side that refuses everything: on a fixed
    sample of the strategy, some records are taken, and some are refused."""
    outcomes: list[bool] = []

    @settings(max_examples=400, database=None, derandomize=True, deadline=None)
    @given(case=records())
    def count(case: tuple[YMap, str]) -> None:
        outcomes.append(assert_agree(*case))

    count()
    assert outcomes.count(True) >= 20
    assert outcomes.count(False) >= 20


# -- the text of the content hash --------------------------------------------------------

TEXTS = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["", '"', "\\", "\x00", "\x1f", "\x7f", "é", "\u2028", "\ud800", "😀"]),
)
LEAVES = st.one_of(
    TEXTS,
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.dates(),
    st.floats(allow_nan=False),
)
PROP_VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3), max_leaves=6)


def python_json(kind: str, props: dict[str, Any]) -> bytes | None:
    try:
        return validate._hash_json([kind, props]).encode()
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for it
        return None


def c_json(kind: str, props: dict[str, Any]) -> bytes | None:
    assert validate._scan is not None
    return validate._scan.content_json(kind, props)


@settings(
    max_examples=int(os.environ.get("CASEGRAPH_HYPOTHESIS_EXAMPLES", "2000")),
    deadline=None,
)
@given(kind=TEXTS, props=st.dictionaries(TEXTS, PROP_VALUES, max_size=5))
def test_content_json_is_the_python_encoders_or_none(kind: str, props: dict[str, Any]) -> None:
    fast = c_json(kind, props)
    if fast is not None:
        assert fast == python_json(kind, props)


def test_content_json_by_hand() -> None:
    """Written from json.dumps's rules: sorted keys, no spaces, \\uXXXX in lower case for
    the other control characters, non-ASCII as is."""
    props = {"b": 'q"b\\\n\t\x01\x7fé', "a": [3, True, None, dt.date(7, 8, 9)], "c": -2}
    expected = (
        '["K",{"a":[3,true,null,{"date":"0007-08-09"}],"b":"q\\"b\\\\\\n\\t\\u0001\x7fé","c":-2}]'
    )
    assert c_json("K", props) == expected.encode()
    assert c_json("K", {"f": 0.5}) is None  # floats are left to the Python encoder
    assert c_json("K", {"s": "\ud800"}) is None


def test_content_json_reaches_both_outcomes() -> None:
    outcomes: list[bool] = []

    @settings(max_examples=400, database=None, derandomize=True, deadline=None)
    @given(kind=TEXTS, props=st.dictionaries(TEXTS, PROP_VALUES, max_size=5))
    def count(kind: str, props: dict[str, Any]) -> None:
        fast = c_json(kind, props)
        outcomes.append(fast is not None)
        if fast is not None:
            assert fast == python_json(kind, props)

    count()
    assert outcomes.count(True) >= 40
    assert outcomes.count(False) >= 20


def test_the_graph_is_the_same_without_the_c_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What an install without a C compiler gets: the same rows, hashes and checksum."""
    from loader.validate import read_graph

    generate(tmp_path, 300, "uniform", files=2, seed=13, ontology=ONT)
    graphs: dict[bool, list[Any]] = {True: [], False: []}
    for c_checks in (True, False):
        if not c_checks:
            monkeypatch.setattr(validate, "_scan", None)
        for case in (tmp_path, ROOT / "seed"):
            graph = read_graph([case], ONT, workers=0)
            graphs[c_checks].append((list(graph.nodes), list(graph.rels), graph.checksum))
            graph.close()
    assert graphs[True] == graphs[False]
    assert len(graphs[True][0][0]) == 300


# -- whole records and relationship ends (_scan.records, _scan.resolve) ------------------


def read_chunks(chunks: list[tuple[Any, str, int]]) -> list[tuple[Any, list[Any]]]:
    """The rows of each (group, segment file, offset) chunk; waiting relationships with
    their row packed (by _scan.records) as the Python code writes them: props, hash."""
    out = []
    for group, segment, offset in chunks:
        with Path(segment).open("rb") as handle:
            handle.seek(offset)
            rows = load_rows(handle)
        if group == validate.PENDING:
            rows = [unpacked(row) for row in rows]
        out.append((group, rows))
    return out


def unpacked(pending: tuple[Any, ...]) -> tuple[Any, ...]:
    if not isinstance(pending[4], bytes):
        return pending
    assert pending[5] is None
    ((start, end, key, props, content_hash),) = validate._scan.unpack_rows(pending[4], REL_FIELDS)
    assert (start, end, key) == pending[1:4]
    return (*pending[:4], props, content_hash, *pending[6:])


def checked(path: Path, segment: Path, chunk: int) -> tuple[Any, ...]:
    check = validate.check_file(path, ONT, segment, chunk)
    return (
        [p.message for p in check.problems],
        [(p.line, p.column) for p in check.problems],
        check.node_ids,
        check.node_labels,
        list(check.node_places),
        check.cited,
        read_chunks([(group, segment, offset) for group, segment, offset, _ in check.chunks]),
    )


def spoil(text: str) -> str:
    """Problems of many kinds in a generated file, spread among its valid records."""
    for pattern, new, count in (
        (r"type: Person\n", "type: Persn\n", 2),  # an unknown label
        (r"    sources: \[(source/\d+)", r"    sources: [\1, \1", 3),  # cited twice
        (r"    kind: prosecutor\n", "    kind: Prosecutor\n", 2),  # not in the enum
        (r"    age: 2", "    age: two", 2),  # not an integer
        (r"    status: reported\n", "    status: rumoured\n", 3),  # an unknown status
        (r"  - id: domain/", "  - id: domain /", 2),  # not an id
        (r"    name: \"O", '    nickname: "O', 2),  # an unknown property
        (r"    status: reported\n", "", 2),  # a claim without a status
        (r"(type: Person\n(?:    (?!sources).*\n)*)    sources: .*\n", r"\1", 2),  # a fact
    ):
        text, done = re.subn(pattern, new, text, count=count)
        assert done == count, pattern
    return text


@pytest.mark.parametrize("spoilt", [False, True])
def test_records_keep_what_node_and_rel_keep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spoilt: bool
) -> None:
    """``_scan.records`` against ``node``/``rel`` alone, on whole generated files: the
    same problems at the same places, node ids, labels and places, citations, and rows
    in the same chunks, in the same order (a small chunk: buffers fill often). On a
    valid file the C code takes every record; on a spoilt one, both take some."""
    generate(tmp_path / "case", 400, "uniform", files=1, seed=5, ontology=ONT)
    (path,) = sorted((tmp_path / "case").glob("*.yaml"))
    if spoilt:
        path.write_text(spoil(path.read_text(encoding="utf-8")), encoding="utf-8")
    slow_calls: list[str] = []
    for name in ("node", "rel"):
        method = getattr(validate._FileChecker, name)

        def spy(self: Any, record: YMap, method: Any = method, name: str = name) -> None:
            slow_calls.append(name)
            method(self, record)

        monkeypatch.setattr(validate._FileChecker, name, spy)
    fast = checked(path, tmp_path / "fast.seg", 7)
    taken_slowly = len(slow_calls)
    monkeypatch.setattr(validate._FileChecker, "_fast_context", lambda self, rels: None)
    slow = checked(path, tmp_path / "slow.seg", 7)
    records = len(slow_calls) - taken_slowly
    assert fast == slow
    assert len(fast[2]) > 300  # node ids
    if spoilt:
        for part in (
            "unknown node type 'Persn'",
            "is listed twice",
            "is not one of",
            "is not an integer",
            "unknown status",
            "must be 1-128",
            "'nickname'",
            "is a claim and needs a 'status'",
            "needs 'sources' (label Person",
        ):
            assert any(part in message for message in fast[0]), part
        assert 0 < taken_slowly < records / 4
    else:
        assert fast[0] == []
        assert taken_slowly == 0
        assert len(fast[6]) > 100  # chunks of 7 rows


def test_resolve_is_the_python_loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``_scan.resolve`` against ``_resolve_rows``'s Python loop: the same problems (ends
    unknown, pairs not allowed), ``identity_digest``'s digests, the same rows kept."""
    generate(tmp_path / "case", 300, "powerlaw", files=1, seed=9, ontology=ONT)
    (path,) = sorted((tmp_path / "case").glob("*.yaml"))
    check = validate.check_file(path, ONT, tmp_path / "check.seg", 50)
    labels = dict(zip(check.node_ids, check.node_labels, strict=True))
    some = sorted(labels)[::7]  # ends now unknown, or of another label
    for n, node_id in enumerate(some):
        if n % 2:
            del labels[node_id]
        else:
            labels[node_id] = "Jurisdiction" if labels[node_id] != "Jurisdiction" else "Person"
    pending = [(s, o, r) for group, s, o, r in check.chunks if group == validate.PENDING]
    assert sum(r for _, _, r in pending) == 900  # 3 per entity

    def resolved(name: str) -> tuple[Any, ...]:
        result = validate.resolve_file(ONT, labels, str(path), pending, tmp_path / name, 9)
        kept = read_chunks([(group, result.segment, offset) for group, offset, _ in result.chunks])
        return [p.message for p in result.problems], result.digests, kept

    fast = resolved("fast.seg")
    monkeypatch.setattr(validate, "_scan", None)
    slow = resolved("slow.seg")
    assert fast == slow
    assert len(fast[0]) > 50
    assert any("refers to unknown id" in m for m in fast[0])
    assert any("cannot go from" in m for m in fast[0])
    rows = [row for _, chunk in fast[2] for row in chunk]
    assert len(fast[1]) == 8 * len(rows) > 500
    digests = {fast[1][at : at + 8] for at in range(0, len(fast[1]), 8)}
    kept = {
        validate.identity_digest(group[0], *row[:3]) for group, chunk in fast[2] for row in chunk
    }
    assert digests == kept
