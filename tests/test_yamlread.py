"""The safe YAML reader: positions, duplicate keys, aliases, tags, encodings, limits."""

from __future__ import annotations

import dataclasses
import gc
import time
from pathlib import Path

import pytest
import yaml

from loader.errors import InputError
from loader.read.yamlread import CORE_TAGS, Mark, YList, YMap, _Loader, parse_text, read_file


def messages(text: str) -> list[str]:
    with pytest.raises(InputError) as info:
        parse_text(text, "f.yaml")
    return [str(p) for p in info.value.problems]


def test_scalars_stay_text_and_nulls_are_none() -> None:
    data = parse_text("a: NO\nb: 010\nc: yes\nd:\ne: ~\nf: 'null'\ng: ''\n", "f.yaml")
    assert data == {"a": "NO", "b": "010", "c": "yes", "d": None, "e": None, "f": "null", "g": ""}


def test_positions_of_keys_and_values() -> None:
    data = parse_text("top:\n  key: value\n", "f.yaml")
    assert isinstance(data, YMap)
    inner = data["top"]
    assert (inner.key_marks["key"].line, inner.key_marks["key"].column) == (2, 3)
    assert (inner.at("key").line, inner.at("key").column) == (2, 8)


def test_duplicate_key_is_an_error() -> None:
    assert messages("a: 1\nb: 2\na: 3\n") == ["f.yaml:3:1: duplicate key 'a' (first at line 1)"]


def test_alias_is_refused() -> None:
    assert messages("a: &x [1, 2]\nb: *x\n") == [
        "f.yaml:1:4: YAML anchors and aliases are not allowed (this node is reused)"
    ]


def test_merge_key_is_refused() -> None:
    assert "YAML merge keys (<<) are not allowed" in messages("a: {x: 1}\nb:\n  <<: {y: 2}\n")[0]


def test_billion_laughs_fails_fast() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    started = time.monotonic()
    found = messages("\n".join(lines) + "\n")
    assert time.monotonic() - started < 2.0
    assert found[0].endswith("YAML anchors and aliases are not allowed (this node is reused)")


def test_tags_are_refused() -> None:
    assert messages("a: !!python/object:os.system x\n") == [
        "f.yaml:1:4: YAML tags are not allowed (tag:yaml.org,2002:python/object:os.system)"
    ]


def test_deep_nesting_is_refused() -> None:
    text = "a: " + "[" * 40 + "]" * 40 + "\n"
    assert messages(text)[0].endswith("nesting deeper than 32 levels")


def test_syntax_error_has_a_place() -> None:
    assert messages("a: [1, 2\nb: 3\n")[0].startswith("f.yaml:2:2: invalid YAML:")


def test_tab_indentation_has_a_place() -> None:
    found = messages("a:\n\tb: 1\n")
    assert found[0].startswith("f.yaml:2:1: invalid YAML:")


def test_empty_file() -> None:
    assert messages("") == ["f.yaml:1:1: empty file"]
    assert messages("# only a comment\n") == ["f.yaml:1:1: empty file (no YAML document)"]


def test_non_utf8_bytes(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("a: ok\nb: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        read_file(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:2:7: not UTF-8: byte 0xe9 cannot be decoded"
    ]


def test_huge_scalar_is_refused() -> None:
    found = messages("a: " + "x" * 1_000_001 + "\n")
    assert found == ["f.yaml:1:4: value of 1,000,001 characters (at most 1,000,000)"]


def test_non_specific_tag_is_resolved_as_if_untagged() -> None:
    data = parse_text("a: ! x\nb: ! 12\nc: ! ~\nd: ! ''\ne: ! [1, ~]\nf: ! {g: h}\n", "f.yaml")
    assert data == {"a": "x", "b": "12", "c": None, "d": "", "e": ["1", None], "f": {"g": "h"}}


def test_core_tags_are_allowed_and_kept_as_text() -> None:
    text = "a: !!str 5\nb: !!str yes\nc: !!int x\nd: !!null ''\ne: !!seq [x]\nf: !!map {x: y}\n"
    data = parse_text(text + "g: !<tag:yaml.org,2002:str> s\nh: !!str ~\n", "f.yaml")
    assert data == {"a": "5", "b": "yes", "c": "x", "d": "", "e": ["x"], "f": {"x": "y"},
                    "g": "s", "h": None}  # fmt: skip  # a plain ~ is null whatever its tag


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a: =\n", ["f.yaml:1:4: YAML tags are not allowed (tag:yaml.org,2002:value)"],
                     id="plain-equals"),
        pytest.param("a: <<\n", ["f.yaml:1:4: YAML tags are not allowed (tag:yaml.org,2002:merge)"],
                     id="plain-merge-value"),
        pytest.param("- ! =\n- <<\n",
                     ["f.yaml:1:3: YAML tags are not allowed (tag:yaml.org,2002:value)",
                      "f.yaml:2:3: YAML tags are not allowed (tag:yaml.org,2002:merge)"],
                     id="in-a-list"),
        pytest.param("=: 1\n", ["f.yaml:1:1: YAML tags are not allowed (tag:yaml.org,2002:value)"],
                     id="equals-key"),
        pytest.param("'<<': 1\n", ["f.yaml:1:1: YAML merge keys (<<) are not allowed"],
                     id="quoted-merge-key"),
        pytest.param("!t a: 1\na: 2\na: 3\n", ["f.yaml:1:1: YAML tags are not allowed (!t)",
                                              "f.yaml:3:1: duplicate key 'a' (first at line 2)"],
                     id="tagged-key-then-duplicate"),
        pytest.param("{&a k: 1, *a : 2}\n",
                     ["f.yaml:1:2: YAML anchors and aliases are not allowed (this node is reused)"],
                     id="aliased-key"),
        pytest.param("x: &a k\ny: [*a]\n",
                     ["f.yaml:1:4: YAML anchors and aliases are not allowed (this node is reused)"],
                     id="aliased-item"),
    ],
)  # fmt: skip
def test_implicit_non_core_tags_and_odd_keys(text: str, expected: list[str]) -> None:
    assert messages(text) == expected


def test_quoted_equals_and_merge_are_text() -> None:
    assert parse_text("a: '='\nb: \"<<\"\nc: 'x * y & z'\n", "f.yaml") == {
        "a": "=",
        "b": "<<",
        "c": "x * y & z",
    }


@pytest.mark.parametrize(
    "value",
    ["", "~", "null", "NULL", "yes", "No", "on", "010", "0x1F", "0o7", "1_000", "-1.5e3",
     ".inf", ".NaN", "2001-10-06", "2001-10-06 12:00:00Z", "=", "<<", "<", "=x", "<<<",
     "x", "12 monkeys", "#x", "'q'", "y", "n"],
)  # fmt: skip
def test_resolver_gives_the_same_verdict_as_safeloader(value: str) -> None:
    """The short-cut resolver says 'core' exactly when SafeLoader's resolver does."""
    ours, theirs = _Loader(""), yaml.SafeLoader("")  # the pure-Python resolver
    try:
        for kind in (yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode):
            for implicit in ((True, False), (False, True), (False, False)):
                arg = value if kind is yaml.ScalarNode else None
                mine = ours.resolve(kind, arg, implicit)
                safe = theirs.resolve(kind, arg, implicit)  # type: ignore[no-untyped-call]
                assert (mine in CORE_TAGS) == (safe in CORE_TAGS)
                if safe not in CORE_TAGS:
                    assert mine == safe
    finally:
        ours.dispose()
        theirs.dispose()


TEXT = "top:\n  key: value\n  list:\n    - a\n    - [b, c]\n  empty: ~\nother: 1\n"
EXPECTED_MARKS = {
    "top": (1, 1, 2, 3),
    "top.key": (2, 3, 2, 8),
    "top.list": (3, 3, 4, 5),
    "top.empty": (6, 3, 6, 10),
    "other": (7, 1, 7, 8),
}


def test_lazy_marks_equal_eagerly_built_ones() -> None:
    data = parse_text(TEXT, "f.yaml")
    top = data["top"]
    assert top.at("key") == Mark("f.yaml", 2, 8)  # built alone, before value_marks exists
    assert top.at("missing") == top.mark == Mark("f.yaml", 2, 3)
    assert data.mark == Mark("f.yaml", 1, 1)
    for where, (kline, kcol, vline, vcol) in EXPECTED_MARKS.items():
        parent, key = (top, where[4:]) if where.startswith("top.") else (data, where)
        assert parent.key_marks[key] == Mark("f.yaml", kline, kcol)
        assert parent.value_marks[key] == Mark("f.yaml", vline, vcol)
        assert parent.at(key) == parent.value_marks[key]
        assert hash(parent.at(key)) == hash(Mark("f.yaml", vline, vcol))
    assert list(top.key_marks) == list(top.value_marks) == list(top) == ["key", "list", "empty"]
    items = top["list"]
    assert items.mark == Mark("f.yaml", 4, 5)
    assert items.item_marks == [Mark("f.yaml", 4, 7), Mark("f.yaml", 5, 7)]
    assert items[1].item_marks == [Mark("f.yaml", 5, 8), Mark("f.yaml", 5, 11)]
    assert items.item_marks is items.item_marks  # built once, then kept
    with pytest.raises(dataclasses.FrozenInstanceError):
        top.mark.line = 3


def test_place_is_the_line_and_column_of_at() -> None:
    data = parse_text(TEXT, "f.yaml")
    for mapping in (data, data["top"]):
        for key in [*mapping, "missing", None]:
            mark = mapping.mark if key is None else mapping.at(key)
            assert mapping.place(key) == (mark.line, mark.column), key
    assert data["top"].place("key") == (2, 8)
    made = YMap(a=1)
    made.mark = Mark("g.yaml", 3, 2)
    made.value_marks = {"a": Mark("g.yaml", 3, 5)}
    assert made.place("a") == (3, 5)
    assert made.place() == made.place("b") == (3, 2)
    parsed = parse_text("a: 1\n", "f.yaml")
    parsed.value_marks = {}  # an assigned attribute wins, as for at()
    assert parsed.place("a") == (1, 1)


def test_places_are_place_one_after_the_other() -> None:
    for text in (TEXT, "a: 1\n"):
        for built in (False, True):
            data = parse_text(text, "f.yaml")
            if built:
                assert data.mark  # built before: the other way to the same positions
            keys = [None, *data, "missing"]
            expected = tuple(n for key in keys for n in data.place(key))
            assert data.places(*keys) == expected
            assert data.places() == ()
    assert parse_text(TEXT, "f.yaml")["top"].places("key", None) == (2, 8, 2, 3)


def test_marks_of_hand_made_containers_behave_as_plain_attributes() -> None:
    made = YMap(a=1)
    assert not hasattr(made, "mark")
    assert not hasattr(YList(), "item_marks")
    made.mark = Mark("g.yaml", 1, 1)
    made.value_marks = {"a": Mark("g.yaml", 1, 4)}
    assert made.at("a") == Mark("g.yaml", 1, 4)
    assert made.at("b") == made.mark
    parsed = parse_text("a: 1\n", "f.yaml")
    parsed.value_marks = {}  # an assigned attribute wins over the lazily built one
    assert parsed.at("a") == parsed.mark == Mark("f.yaml", 1, 1)


@pytest.mark.parametrize("enabled", [True, False], ids=["gc-on", "gc-off"])
def test_parsing_leaves_the_garbage_collector_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        parse_text("a: [1, 2]\n", "f.yaml")
        with pytest.raises(InputError):
            parse_text("a: [1\n", "f.yaml")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
