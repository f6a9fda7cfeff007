"""The safe YAML reader: positions, duplicate keys, aliases, tags, encodings, limits."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from loader.errors import InputError
from loader.yamlread import YMap, parse_text, read_file


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
