"""Value rules, the ontology's checks beyond a value's type: bounds (``minimum``,
``maximum``), a ``pattern``, properties that go ``together``, an ``order`` between two
properties of one record, relationships that cannot ``loops`` back to their start.

Each rule is read here from the ontology's YAML (``read_value_rules``,
``read_record_rules``) and applied here (``ValueRules.problem``, ``RecordRules.problems``),
by the record checks (``loader.check.records``) and by nothing else. Every message ends
with the rule as the ontology writes it, e.g. ``(rule minimum: 0)``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from loader.errors import ValueProblem, shown
from loader.model.values import PartialDate, parse_float, parse_int
from loader.read.yamlread import Mark, YList, YMap

Fail = Callable[[Mark, str], None]
NUMBER_PARSERS: dict[str, Callable[[str], int | float]] = {"int": parse_int, "float": parse_float}
PATTERN_TYPES = frozenset({"string", "text"})
ORDER_TYPES = frozenset({"int", "float", "date"})
# the ontology keys the rules are read from (loader.model.ontology allows them)
VALUE_KEYS = ("minimum", "maximum", "pattern")
RECORD_KEYS = ("together", "order")
RELATIONSHIP_KEYS = (*RECORD_KEYS, "loops")
LOOPS = "loops: false"


@dataclass(frozen=True)
class ValueRules:
    """The rules of one property, applied to each of its values."""

    minimum: int | float | None = None
    maximum: int | float | None = None
    pattern: re.Pattern[str] | None = None

    def written(self) -> list[str]:
        """The rules as the ontology writes them (for messages and docs/schema.md)."""
        out = [_bound("minimum", self.minimum)] if self.minimum is not None else []
        out += [_bound("maximum", self.maximum)] if self.maximum is not None else []
        return out + ([f"pattern: {self.pattern.pattern!r}"] if self.pattern else [])

    def problem(self, value: Any) -> str | None:
        """What is wrong with ``value`` (already of the property's type), or None."""
        if self.minimum is not None and value < self.minimum:
            rule = _bound("minimum", self.minimum)
            return f"{value} is less than {_number(self.minimum)} (rule {rule})"
        if self.maximum is not None and value > self.maximum:
            rule = _bound("maximum", self.maximum)
            return f"{value} is more than {_number(self.maximum)} (rule {rule})"
        if self.pattern is not None and self.pattern.fullmatch(value) is None:
            return f"{shown(value)} does not have the expected form (rule {self.written()[-1]})"
        return None


@dataclass(frozen=True)
class RecordRules:
    """The rules of one label or relationship type, applied to each record's properties
    (dates as the record checks keep them: the first day and ``<name>_precision``)."""

    together: tuple[tuple[str, ...], ...] = ()
    order: tuple[tuple[str, str], ...] = ()
    loops: bool = True  # relationship types only: may a relationship end where it starts

    def written(self) -> list[str]:
        """The rules as the ontology writes them (for messages and docs/schema.md)."""
        out = [_together(group) for group in self.together]
        out += [_order(first, then) for first, then in self.order]
        return out + ([] if self.loops else [LOOPS])

    def problems(self, props: dict[str, Any]) -> Iterator[tuple[str | None, str]]:
        """(the property to point at, or None for the record; the message) per problem."""
        for group in self.together:
            present = [name for name in group if name in props]
            if present and len(present) < len(group):
                missing = [name for name in group if name not in props]
                rule = _together(group)
                yield None, f"{_names(present)} without {_names(missing)} (rule {rule})"
        for first, then in self.order:
            if first in props and then in props:
                early = _span(props, first)[0]
                late = _span(props, then)[1]
                if late < early:
                    yield (
                        then,
                        f"{then!r} ({_shown(props, then)}) is before {first!r} "
                        f"({_shown(props, first)}) (rule {_order(first, then)})",
                    )

    def loop_problem(self, start: str, end: str) -> str | None:
        if self.loops or start != end:
            return None
        return f"goes from {start!r} to itself (rule {LOOPS})"


def _bound(key: str, value: float) -> str:
    return f"{key}: {_number(value)}"


def _together(group: tuple[str, ...]) -> str:
    return f"together: [{', '.join(group)}]"


def _order(first: str, then: str) -> str:
    return f"order: [{first}, {then}]"


def _number(value: float) -> str:
    """A bound as the ontology would write it: ``0``, not ``0.0``, for a float property."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _names(names: list[str]) -> str:
    return " and ".join(repr(name) for name in names)


def _span(props: dict[str, Any], name: str) -> tuple[Any, Any]:
    """The least and the greatest the value may be: a date known to a month is any day of
    that month, so 2025-06 is not before 2025-06-13."""
    value, precision = props[name], props.get(f"{name}_precision")
    if not isinstance(value, dt.date) or precision in (None, "day"):
        return value, value
    if precision == "year":
        return value, dt.date(value.year, 12, 31)
    following = dt.date(value.year + value.month // 12, value.month % 12 + 1, 1)
    return value, following - dt.timedelta(days=1)


def _shown(props: dict[str, Any], name: str) -> str:
    value, precision = props[name], props.get(f"{name}_precision")
    return str(PartialDate(value, precision)) if isinstance(precision, str) else str(value)


# -- reading the rules from the ontology ----------------------------------------------------


def read_value_rules(body: YMap, kind: str, where: str, fail: Fail) -> ValueRules | None:
    """The ``minimum``, ``maximum`` and ``pattern`` of a property of type ``kind``."""
    bounds = _bounds(body, kind, where, fail)
    pattern = _pattern(body, kind, where, fail)
    if not bounds and pattern is None:
        return None
    return ValueRules(bounds.get("minimum"), bounds.get("maximum"), pattern)


def _bounds(body: YMap, kind: str, where: str, fail: Fail) -> dict[str, int | float]:
    bounds: dict[str, int | float] = {}
    for key in ("minimum", "maximum"):
        raw = body.get(key)
        if raw is None:
            continue
        parse = NUMBER_PARSERS.get(kind)
        if parse is None:
            fail(body.at(key), f"{key!r} is only for int and float properties ({where})")
        elif not isinstance(raw, str):
            fail(body.at(key), f"{key!r} of {where} must be a number")
        else:
            try:
                bounds[key] = parse(raw)
            except ValueProblem as exc:
                fail(body.at(key), f"{key!r} of {where}: {exc}")
    if len(bounds) == 2 and bounds["minimum"] > bounds["maximum"]:
        fail(body.at("maximum"), f"'maximum' of {where} is less than its 'minimum'")
    return bounds


def _pattern(body: YMap, kind: str, where: str, fail: Fail) -> re.Pattern[str] | None:
    raw = body.get("pattern")
    if raw is None:
        return None
    if kind not in PATTERN_TYPES:
        fail(body.at("pattern"), f"'pattern' is only for string and text properties ({where})")
    elif not isinstance(raw, str):
        fail(body.at("pattern"), f"'pattern' of {where} must be a regular expression")
    else:
        try:
            return re.compile(raw)
        except re.error as exc:
            fail(body.at("pattern"), f"'pattern' of {where} is not a regular expression: {exc}")
    return None


def read_record_rules(
    spec: YMap, props: dict[str, Any], where: str, fail: Fail, relationship: bool
) -> RecordRules | None:
    """The ``together``, ``order`` and (for a relationship type) ``loops`` of a label or
    relationship type whose properties (``PropertySpec`` by name) are ``props``."""
    together = tuple(tuple(group) for group, _ in _groups(spec, "together", props, where, fail))
    order: list[tuple[str, str]] = []
    for pair, mark in _groups(spec, "order", props, where, fail):
        kinds = {props[name].type for name in pair}
        if len(pair) != 2 or len(kinds) != 1 or not kinds <= ORDER_TYPES:
            fail(mark, f"each 'order' entry of {where} is two properties of one type: "
                 "int, float or date")  # fmt: skip
        elif any(props[name].list for name in pair):
            fail(mark, f"'order' of {where} cannot name a list property")
        else:
            order.append((pair[0], pair[1]))
    loops = True
    raw = spec.get("loops") if relationship else None  # a label's is an unknown key
    if raw is not None:
        if raw not in {"true", "false"}:
            fail(spec.at("loops"), f"'loops' of {where} must be true or false")
        else:
            loops = raw == "true"
    if not together and not order and loops:
        return None
    return RecordRules(together, tuple(order), loops)


def _groups(
    spec: YMap, key: str, props: dict[str, Any], where: str, fail: Fail
) -> Iterator[tuple[list[str], Mark]]:
    """The lists of property names under ``key`` (and their places), each name one of
    ``props``."""
    raw = spec.get(key)
    if raw is None:
        return
    if not isinstance(raw, YList):
        fail(spec.at(key), f"{key!r} of {where} must be a list of lists of property names")
        return
    for group, mark in zip(raw, raw.item_marks, strict=True):
        if (
            not isinstance(group, YList)
            or len(group) < 2
            or not all(isinstance(name, str) for name in group)
        ):
            fail(mark, f"each {key!r} entry of {where} must be a list of two or more properties")
            continue
        unknown = [(n, m) for n, m in zip(group, group.item_marks, strict=True) if n not in props]
        for name, name_mark in unknown:
            fail(
                name_mark, f"{key!r} of {where} names {name!r}, which is not one of its properties"
            )
        if not unknown:
            yield list(group), mark
