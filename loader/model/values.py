"""Value types: the code half of the ontology. Each parses YAML text into a Neo4j value.

A parser takes the text of one scalar and returns the value to store, or raises
``ValueProblem`` with a message for the user; it raises nothing else, whatever the text
(tests/test_values_total.py feeds them random text). A message shows a long text
cut short (``loader.errors.shown``). Dates keep their precision: ``2023``,
``2023-12`` and ``2023-12-05`` become the first day of the period plus a precision.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from loader.errors import ValueProblem, shown

INT64 = 2**63
INT64_DIGITS = 19  # 2**63 has 19 digits: more than that never fits


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date known to a year, a month or a day."""

    value: dt.date
    precision: str  # "year" | "month" | "day"

    def __str__(self) -> str:
        if self.precision == "year":
            return f"{self.value.year:04d}"
        if self.precision == "month":
            return f"{self.value.year:04d}-{self.value.month:02d}"
        return self.value.isoformat()


_INT_RE = re.compile(r"[-+]?[0-9]+")
_FLOAT_RE = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # below U+0020 but \t \n \r
_STRING_BAD_RE = re.compile(r"[\x00-\x08\x0a-\x1f]")  # the same, and \n \r
_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


def parse_string(text: str) -> str:
    if _STRING_BAD_RE.search(text) is None:  # one search for the usual case
        return text
    if "\n" in text or "\r" in text:
        raise ValueProblem("a one-line string is expected (use type text for several lines)")
    return parse_text(text)


def parse_text(text: str) -> str:
    bad = _CONTROL_RE.search(text)
    if bad is not None:
        raise ValueProblem(f"control character U+{ord(bad[0]):04X} is not allowed in text")
    return text


def parse_int(text: str) -> int:
    if not _INT_RE.fullmatch(text):
        raise ValueProblem(f"{shown(text)} is not an integer")
    # CPython's int() refuses more than 4,300 digits (a ValueError): leading zeros are
    # dropped, and a number longer than any 64-bit integer is not converted at all
    digits = text.lstrip("+-").lstrip("0") or "0"
    value = int(digits) if len(digits) <= INT64_DIGITS else INT64 + 1  # out of range
    value = -value if text[0] == "-" else value
    if not -INT64 <= value < INT64:
        raise ValueProblem(f"{shown(text, quoted=False)} does not fit in a 64-bit integer")
    return value


def parse_float(text: str) -> float:
    if not _FLOAT_RE.fullmatch(text):
        raise ValueProblem(f"{shown(text)} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueProblem(f"{shown(text, quoted=False)} is too large")
    return value


def parse_bool(text: str) -> bool:
    if text in {"true", "True", "TRUE"}:
        return True
    if text in {"false", "False", "FALSE"}:
        return False
    raise ValueProblem(f"{shown(text)} is not a boolean (use true or false)")


def parse_date(text: str) -> PartialDate:
    match = _DATE_RE.fullmatch(text)
    if not match:
        raise ValueProblem(f"{shown(text)} is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = match.groups()
    precision = "day" if day else "month" if month else "year"
    try:
        value = dt.date(int(year), int(month or 1), int(day or 1))
    except ValueError:
        raise ValueProblem(f"{text} is not a real date") from None
    return PartialDate(value, precision)


def parse_url(text: str) -> str:
    try:
        parts = urlsplit(text)
        ok = parts.scheme in {"http", "https"} and bool(parts.hostname)
    except ValueError:  # e.g. an unclosed [ in an IPv6 host
        ok = False
    if not ok or any(c.isspace() for c in text):
        raise ValueProblem(f"{shown(text)} is not an http(s) URL")
    return text


@cache
def _countries() -> frozenset[str]:
    import pycountry

    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def _subdivisions() -> frozenset[str]:
    import pycountry

    return frozenset(sub.code for sub in pycountry.subdivisions)


@cache
def _currencies() -> frozenset[str]:
    import pycountry

    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


def parse_country(text: str) -> str:
    if text not in _countries():
        hint = " (codes are upper case)" if text.upper() in _countries() else ""
        raise ValueProblem(f"{shown(text)} is not an ISO 3166-1 alpha-2 country code{hint}")
    return text


def parse_subdivision(text: str) -> str:
    if text not in _subdivisions():
        raise ValueProblem(f"{shown(text)} is not an ISO 3166-2 subdivision code")
    return text


def parse_currency(text: str) -> str:
    if text not in _currencies():
        hint = " (codes are upper case)" if text.upper() in _currencies() else ""
        raise ValueProblem(f"{shown(text)} is not an ISO 4217 currency code{hint}")
    return text


PARSERS: dict[str, Callable[[str], Any]] = {
    "string": parse_string,
    "text": parse_text,
    "int": parse_int,
    "float": parse_float,
    "bool": parse_bool,
    "date": parse_date,
    "url": parse_url,
    "country": parse_country,
    "subdivision": parse_subdivision,
    "currency": parse_currency,
    "enum": parse_string,  # the vocabulary is checked by the caller
}

# neo4j-admin import column types for each value type
CSV_TYPES = {
    "string": "string",
    "text": "string",
    "int": "long",
    "float": "double",
    "bool": "boolean",
    "date": "date",
    "url": "string",
    "country": "string",
    "subdivision": "string",
    "currency": "string",
    "enum": "string",
}
