"""The C reader (loader/read/_scan.c) against PyYAML's path: for every text it accepts, the same
tree with the same positions; every text PyYAML refuses, it leaves to PyYAML (None).

Texts come from the repository (seed, corpus), from the benchmark's generator and from
hypothesis, which assembles lines out of fragments chosen to sit on the edges of YAML's
rules (indicators, comments, quotes, escapes, nulls, indentation, line breaks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import generate
from loader.errors import InputError
from loader.read import yamlread
from loader.read.yamlread import MAX_SCALAR, YList, YMap, parse_text
from tests.helpers import harness

ROOT = Path(__file__).resolve().parent.parent

if yamlread._scan is None:  # pragma: no cover - depends on the build
    if harness("CASEGRAPH_REQUIRE_SCAN"):
        raise RuntimeError("CASEGRAPH_REQUIRE_SCAN is set but loader.read._scan was not built")
    pytest.skip("loader.read._scan (the C reader) was not built here", allow_module_level=True)

scan_module = yamlread._scan


def scan(text: str) -> Any:
    return scan_module.scan(text, "f.yaml", YMap, YList, MAX_SCALAR)


LOADERS = (yamlread._Loader, yamlread._PureLoader)  # libyaml's parser, PyYAML's own


def pyyaml(text: str, loader: type[Any] = yamlread._Loader) -> Any:
    """What parse_text gives without the C reader, or the InputError it raises."""
    try:
        return yamlread._parse_pyyaml(text, "f.yaml", loader)
    except InputError as exc:
        return exc


def assert_same(fast: Any, slow: Any, where: str = "") -> None:
    """Equal values of equal types, with equal positions for every map, key, value, item."""
    assert type(fast) is type(slow), where
    if isinstance(slow, YMap):
        assert list(fast) == list(slow), where
        # before any mark is built: positions read from the nodes, one at a time
        assert fast.places(None, *slow, "absent") == slow.places(None, *slow, "absent"), where
        assert [fast.at(key) for key in slow] == [slow.at(key) for key in slow], where
        assert fast.mark == slow.mark, where
        assert fast.place() == slow.place(), where
        for key in slow:
            assert fast.key_marks[key] == slow.key_marks[key], f"{where}/{key}"
            assert fast.value_marks[key] == slow.value_marks[key], f"{where}/{key}"
            assert fast.place(key) == slow.place(key), f"{where}/{key}"
            assert_same(fast[key], slow[key], f"{where}/{key}")
    elif isinstance(slow, YList):
        assert len(fast) == len(slow), where
        assert fast.mark == slow.mark, where
        assert fast.item_marks == slow.item_marks, where
        for index, (a, b) in enumerate(zip(fast, slow, strict=True)):
            assert_same(a, b, f"{where}[{index}]")
    else:
        assert fast == slow, where


def check(text: str) -> bool:
    """The property, against PyYAML on libyaml's parser and on its own pure-Python one;
    True when the C reader took the text."""
    fast = scan(text)
    if fast is None:
        return False
    for loader in LOADERS:
        slow = pyyaml(text, loader)
        assert not isinstance(slow, InputError), f"{loader.__name__} refuses it: {slow}"
        assert_same(fast, slow)
    return True


def test_a_question_mark_in_a_flow_list_is_left_to_pyyaml() -> None:
    """libyaml reads ``[Who?]`` as one item; PyYAML's own parser refuses it. The C reader
    takes only what both read the same, so it declines."""
    text = "nodes:\n  - id: a\n    aliases: [Who?]\n"
    assert scan(text) is None
    assert not isinstance(pyyaml(text, yamlread._Loader), InputError)
    assert isinstance(pyyaml(text, yamlread._PureLoader), InputError)
    assert scan("nodes:\n  - id: a\n    note: Who?\n") is not None  # outside a flow list


# -- texts of the repository and of the generator ----------------------------------------


def repository_yaml() -> list[Path]:
    found = [*ROOT.joinpath("seed").rglob("*.yaml"), *ROOT.joinpath("tests").rglob("*.yaml")]
    return sorted(p for p in found if "artifacts" not in p.parts)


@pytest.mark.parametrize("path", repository_yaml(), ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_files_read_the_same(path: Path) -> None:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        pytest.skip("not UTF-8 (a test of the decoder)")
    check(text.removeprefix("\ufeff"))


@pytest.mark.parametrize("shape", ["uniform", "powerlaw"])
def test_generated_cases_are_read_by_the_c_reader_the_same(tmp_path: Path, shape: str) -> None:
    generate(tmp_path, 600, shape, files=2, seed=3)
    files = sorted(tmp_path.glob("*.yaml"))
    assert files
    for path in files:
        assert check(path.read_text(encoding="utf-8")), f"{path.name} went to PyYAML"


def test_parse_text_uses_the_c_reader_and_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = yamlread._parse_pyyaml

    def spy(text: str, path: str) -> Any:
        calls.append(text)
        return original(text, path)

    monkeypatch.setattr(yamlread, "_parse_pyyaml", spy)
    simple = "dataset: x\nnodes:\n  - id: a\n    type: Person\n"
    expected = {"dataset": "x", "nodes": [{"id": "a", "type": "Person"}]}
    assert parse_text(simple, "f.yaml") == expected
    assert calls == []  # read by the C reader
    folded = "note: >-\n  two\n  lines\n"
    assert parse_text(folded, "f.yaml") == {"note": "two lines"}
    assert calls == [folded]


def test_problems_are_still_reported_by_pyyaml() -> None:
    """Texts of the C reader's shape but for one error: PyYAML's message, not a tree."""
    for text, message in [
        ("a: 1\na: 2\n", "f.yaml:2:1: duplicate key 'a' (first at line 1)"),
        ("nodes:\n  - id: a\n    id: b\n", "f.yaml:3:5: duplicate key 'id' (first at line 2)"),
        ("a: =\n", "f.yaml:1:4: YAML tags are not allowed (tag:yaml.org,2002:value)"),
    ]:
        assert scan(text) is None
        with pytest.raises(InputError) as info:
            parse_text(text, "f.yaml")
        assert [str(p) for p in info.value.problems] == [message]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a: "x\\"y\\\\z\\n\\t\\/"\n', {"a": 'x"y\\z\n\t/'}),
        ("a: 'it''s'\n", {"a": "it's"}),
        ("a: x #c\nb: C# and x#y\n", {"a": "x", "b": "C# and x#y"}),
        ("a: ~\nb: null\nc: Null\nd: NULL\ne: nul\nf:\ng: ''\n", {
            "a": None, "b": None, "c": None, "d": None, "e": "nul", "f": None, "g": ""}),
        ("a: [x, \"y, z\", ~, é]\nb: []\n", {"a": ["x", "y, z", None, "é"], "b": []}),
        ("a: http://x.y/z?q=1\nb: yes\nc: 010\n",
         {"a": "http://x.y/z?q=1", "b": "yes", "c": "010"}),
    ],
)  # fmt: skip
def test_values_written_by_hand(text: str, expected: dict[str, Any]) -> None:
    """Expected values are YAML's, written out here, not read off either reader."""
    assert scan(text) == expected
    assert check(text)


def test_positions_are_in_characters() -> None:
    text = 'é: 1\nnodes:\n  - id: «a»\n    aliases: [«b», "c"]\n'
    assert scan(text) is None  # a key outside [A-Za-z_][A-Za-z0-9_]*: PyYAML's
    text = 'nodes:\n  - id: «a»\n    aliases: [«b», "c"]\n'
    tree = scan(text)
    aliases = tree["nodes"][0]["aliases"]
    assert [(m.line, m.column) for m in aliases.item_marks] == [(3, 15), (3, 20)]
    assert check(text)


def test_a_first_line_moves_every_line_and_nothing_else() -> None:
    text = 'dataset: d\nnodes:\n  - id: «a»\n    aliases: [«b», "c"]\n  - id: b\n'
    moved = scan_module.scan("\n" * 41 + text, "f.yaml", YMap, YList, MAX_SCALAR)
    assert moved is not None
    assert_same(scan_module.scan(text, "f.yaml", YMap, YList, MAX_SCALAR, 41), moved)


# -- hypothesis: lines from fragments on the edges of the rules ------------------------------

KEYS = ["id", "type", "name", "note", "a_b", "_x", "x1"]
ODD_KEYS = ["1x", "a-b", "<<", '"q"', "null", "a b", "k" * 1030, "é", "a:b", "- a"]
SCALARS = [
    "abc", "a b", "a  b  ", "a:b", "a#b", "~", "null", "Null", "NULL", "nUll", "<", "-1",
    "?a", "'q'", "'it''s'", "''", '""', '"dq"', '"a\\"b"', '"a\\nb"', "[a, b]", "[a,b]",
    "[]", "[ ]", '["x", y]', "['x']", "[~, null]", "é", "x\u00a0", "x\\", "yes", "010",
    "2024-05", "http://x.y/z", "a ,b", "a]", "a}", "a[", "x # c", '"x" # c', "[a] # c",
    "\U0001f600", "C#", "a ' b", 'a " b', "a, b", "x:y:z", "k: ", "v #",
]  # fmt: skip
ODD_SCALARS = [
    "a: b", "a:", "a #b", "#x", "=", "<<", "-", "- a", "?", "? a", ":", ": a", "&a", "*a",
    "!t", "!!str x", "|", ">", "'open", '"\\x41"', '"\\u00e9"', '"bad\\q"', '"open',
    '"a" "b"', "[a, ]", "[, a]", "[a, [b]]", "[a: b]", "[a:b]", "[a #b]", "[=]", "[a] b",
    "{a: 1}", "{}", "%x", "@x", "`x", "\u00a0x", "\u3000x", "[a b, c]", "['a''b']",
    '"x"#c', "'x'#c", "[a]#c", "a\tb", "a\u2028b", "a\x85b", "a\x7fb", "a\ufeffb",
    "a\rb", "a\x00b", "[\"a\\tb\"]", "[\u00a0]", "[\"\"]", "['']", "a\u00a0#b",
]  # fmt: skip
NOISE = ["", "# c", "   # c", "---", "...", "%YAML 1.1", "- x", "-", "  ", "a", " a: b",
         "\ta: b", "a: b: c", "? a", "a: |", "  b", "[a]", "{a: b}"]  # fmt: skip


@st.composite
def texts(draw: st.DrawFn) -> str:
    def pick(usual: list[str], odd: list[str]) -> str:
        """Mostly the usual fragments, one time in five an odd one."""
        return draw(st.sampled_from(odd if draw(st.integers(0, 4)) == 0 else usual))

    def scalar_line(indent: str) -> str:
        key = pick(KEYS, ODD_KEYS)
        value = pick(SCALARS, ODD_SCALARS)
        sep = pick([": "], [":  ", ":", ": \t", " : "])
        return f"{indent}{key}{sep}{value}".rstrip(" ") + pick([""], [" ", "  # c"])

    lines: list[str] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = pick(["scalar", "empty", "seq", "seq"], ["noise"])
        if kind == "scalar":
            lines.append(scalar_line(""))
        elif kind == "empty":
            lines.append(draw(st.sampled_from(KEYS[:4])) + pick([":"], [": ", ": # c"]))
        elif kind == "noise":
            lines.append(draw(st.sampled_from(NOISE)))
        else:
            lines.append(draw(st.sampled_from(["nodes", "relationships", "x"])) + ":")
            seq = draw(st.sampled_from(["", "  ", "   "]))
            for _ in range(draw(st.integers(0, 3))):
                dash = pick(["- "], ["-  ", "-\t", "-"])
                lines.append(seq + dash + scalar_line("").lstrip())
                inner = seq + " " * len(dash)
                for _ in range(draw(st.integers(0, 3))):
                    where = pick([inner], [inner + " ", inner[:-1], "\t"])
                    if draw(st.integers(0, 5)) == 0:
                        lines.append(where + draw(st.sampled_from(["note:", "name: # c"])))
                    else:
                        lines.append(scalar_line(where))
                if draw(st.integers(0, 3)) == 0:
                    lines.append(pick(["", "# c", seq + "# c"], ["  nested: x", seq + "- x"]))
    return "\n".join(lines) + pick(["\n", ""], ["\n\n", "\r\n"])


@settings(
    max_examples=3000,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=texts())
def test_same_tree_or_pyyaml_reads_it(text: str) -> None:
    check(text)


def test_the_fragments_reach_both_readers() -> None:
    """The generated texts are not all refused (else the property test proves nothing)."""
    taken = refused = 0

    # the same 400 texts every run (their share varies by about ±15 between random runs)
    @settings(max_examples=400, deadline=None, database=None, derandomize=True)
    @given(text=texts())
    def count(text: str) -> None:
        nonlocal taken, refused
        if check(text):
            taken += 1
        else:
            refused += 1

    count()
    assert taken >= 20
    assert refused >= 20
