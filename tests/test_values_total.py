"""No value crashes casegraph: every value parser returns a value of its type or raises
``ValueProblem`` with a short message, whatever the text; and a seed file full of hostile
values gives located problems (file:line:column), the same read whole or in pieces.
No database needed."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loader.check.validate import read_graph
from loader.errors import InputError, ValueProblem
from loader.model.values import PARSERS, PartialDate
from loader.read import pieces, yamlread
from tests.helpers import mini_ontology

RESULT_TYPES = {
    "string": str,
    "text": str,
    "int": int,
    "float": float,
    "bool": bool,
    "date": PartialDate,
    "url": str,
    "country": str,
    "subdivision": str,
    "currency": str,
    "enum": str,
}
MESSAGE_MAX = 300  # characters: a message names the value, it does not repeat it

HOSTILE = [
    "1" * 5_000,  # more digits than CPython converts (sys.get_int_max_str_digits)
    "-" + "9" * 100_000,
    "+" + "0" * 10_000 + "1",  # many digits, a small value
    "0" * 10_000 + "9999999999999999999",  # 19 digits after the zeros: still too large
    "-" + "0" * 10_000 + "9223372036854775809",
    "9223372036854775807",  # the largest 64-bit integer: fits
    "9223372036854775808",
    "-9223372036854775809",
    "1e" + "9" * 5_000,
    "." + "5" * 10_000,
    "1" * 400 + ".0",
    "x" * 1_000_000,  # a megabyte
    "\x00",
    "a\x1bb",
    "\x7f\x85\u2028\u2029",
    "\ud800",  # a lone surrogate (PyYAML's reader refuses one; a parser must not care)
    "\udfffz",
    "\ufeff",
    "https://[::1",  # an unclosed IPv6 host
    "https://" + "a" * 100_000 + ".org",
    "http://exa mple.org",
    "9999-99-99",
    "0000",
    "2024-02-30",
    "\uff26\uff32",  # FR in full-width letters
    "fr-83",
    "\u0661\u0662\u0663",  # Arabic-Indic digits: Unicode digits, not an integer here
    "²",
    "",
]


def check_one(kind: str, text: str) -> None:
    try:
        value = PARSERS[kind](text)
    except ValueProblem as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert len(message) <= MESSAGE_MAX, (kind, message[:500])
        return
    assert isinstance(value, RESULT_TYPES[kind]), (kind, text[:80], value)
    if kind == "int":
        assert -(2**63) <= value < 2**63


@pytest.mark.parametrize("kind", sorted(PARSERS))
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_gives_a_value_or_a_problem(kind: str, text: str) -> None:
    check_one(kind, text)


@pytest.mark.parametrize("kind", sorted(PARSERS))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.text(st.characters(codec=None, exclude_categories=())),  # surrogates too
        st.from_regex(r"[-+]?[0-9]{1,6000}(\.[0-9]*)?([eE][-+]?[0-9]{1,6000})?", fullmatch=True),
        st.from_regex(r"[0-9]{1,6}(-[0-9]{1,3}){0,3}", fullmatch=True),
        st.from_regex(r"https?://[^/]{0,40}(/.{0,20})?", fullmatch=True),
    )
)
def test_random_text_gives_a_value_or_a_problem(kind: str, text: str) -> None:
    check_one(kind, text)


def test_the_digit_limit_is_really_exceeded() -> None:
    """The first hostile integer would make a bare int() raise: the case is real."""
    limit = sys.get_int_max_str_digits()
    assert 0 < limit < 5_000
    with pytest.raises(ValueError, match="limit"):
        int(HOSTILE[0])
    with pytest.raises(ValueProblem, match="does not fit in a 64-bit integer"):
        PARSERS["int"](HOSTILE[0])
    assert PARSERS["int"]("+" + "0" * 10_000 + "1") == 1
    assert PARSERS["int"]("9223372036854775807") == 2**63 - 1
    assert PARSERS["int"]("-9223372036854775808") == -(2**63)
    for text in ("-9223372036854775809", "-" + "9" * 30, "-" + "0" * 10_000 + "9" * 19):
        with pytest.raises(ValueProblem, match="does not fit in a 64-bit integer"):
            PARSERS["int"](text)
    assert PARSERS["date"]("2024-02-29") == PartialDate(dt.date(2024, 2, 29), "day")


HOSTILE_FILE = """\
dataset: mini
nodes:
  - id: src/paper
    type: Source
    title: The Daily Paper
  - id: person/ada
    type: Person
    name: Ada
    age: {huge}
    height: 1e{huge}
    born: {huge}
    nationality: "{huge}"
    aliases: ["{mega}"]
    sources: [src/paper]
  - id: person/bob
    type: Person
    name: "bob\\x1b"
    kind: "{mega}"
    sources: [src/paper]
"""


def test_a_file_of_hostile_values_gives_located_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(HOSTILE_FILE.format(huge="7" * 5_000, mega="m" * 1_000_000), "utf-8")
    ont = mini_ontology()
    with pytest.raises(InputError) as info:
        read_graph([path], ont, workers=0)
    found = [str(p) for p in info.value.problems]
    assert [line.split(": ", 1)[0] for line in found] == [
        f"{path}:9:10",
        f"{path}:10:13",
        f"{path}:11:11",
        f"{path}:12:18",
        f"{path}:17:11",  # counted by hand: name of person/bob
        f"{path}:18:11",  # its kind
    ]
    assert "'age': 7777" in found[0]
    assert found[0].endswith("(5,000 characters) does not fit in a 64-bit integer")
    assert found[3].endswith("(5,000 characters) is not an ISO 3166-1 alpha-2 country code")
    assert "control character U+001B" in found[4]
    assert "(1,000,000 characters) is not one of official, private" in found[5]
    assert all(len(line) < len(str(path)) + MESSAGE_MAX for line in found)
    if yamlread.can_scan():  # the same problems when the file is read in pieces
        monkeypatch.setattr(pieces, "PIECE_BYTES", 2_000)
        monkeypatch.setattr(pieces, "SPLIT_BYTES", 0)
        with pytest.raises(InputError) as split:
            read_graph([path], ont, workers=0)
        assert [str(p) for p in split.value.problems] == found
