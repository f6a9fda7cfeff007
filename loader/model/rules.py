"""Value rules, the ontology's checks beyond a value's type: bounds (``minimum``,
``maximum``), a ``pattern``, properties that go ``together``, properties of which a
record has exactly ``one_of``, an ``order`` between two properties of one record, dates
``not_after_sources`` (not after the date of a source the record cites), relationships
that cannot ``loops`` back to their start.

Each rule is read here from the ontology's YAML (``read_value_rules``,
``read_record_rules``) and applied here (``ValueRules.problem``, ``RecordRules.problems``),
by the record checks (``loader.check.records``) and by nothing else. Every message ends
with the rule as the ontology writes it, e.g. ``(rule minimum: 0)``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterator
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
RECORD_KEYS = ("together", "one_of", "order", "not_after_sources")
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
    one_of: tuple[tuple[str, ...], ...] = ()
    order: tuple[tuple[str, str], ...] = ()
    not_after_sources: tuple[str, ...] = ()  # date properties (the ontology's source_date)
    loops: bool = True  # relationship types only: may a relationship end where it starts

    def written(self) -> list[str]:
        """The rules as the ontology writes them (for messages and docs/schema.md)."""
        out = [_together(group) for group in self.together]
        out += [_one_of(group) for group in self.one_of]
        out += [_order(first, then) for first, then in self.order]
        out += [_not_after(self.not_after_sources)] if self.not_after_sources else []
        return out + ([] if self.loops else [LOOPS])

    def problems(
        self, props: dict[str, Any], given: Collection[str] | None = None
    ) -> Iterator[tuple[str | None, str]]:
        """(the property to point at, or None for the record; the message) per problem.
        ``given``: the properties the record names, valid or not (a bad value is a problem
        of its own, not a missing one); ``props``' names when None."""
        given = props.keys() if given is None else given
        for group in self.together:
            present = [name for name in group if name in given]
            if present and len(present) < len(group):
                missing = [name for name in group if name not in given]
                rule = _together(group)
                yield None, f"{_names(present)} without {_names(missing)} (rule {rule})"
        for group in self.one_of:
            present = [name for name in group if name in given]
            if len(present) != 1:
                rule = _one_of(group)
                each = "both" if len(present) == 2 else "all"
                said = f"{_names(present)} are {each} given" if present else "none is given"
                yield None, f"{said}: exactly one is expected (rule {rule})"
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

    def earliest(self, props: dict[str, Any]) -> dt.date | None:
        """The latest of the earliest days the record's ``not_after_sources`` dates may be:
        a source dated before it is dated before one of them (None: the record has none)."""
        days = [_span(props, name)[0] for name in self.not_after_sources if name in props]
        return max(days) if days else None

    def source_problems(
        self, props: dict[str, Any], sources: dict[str, tuple[dt.date, str]]
    ) -> Iterator[tuple[str, str]]:
        """(property, message) for each of the record's ``not_after_sources`` dates that is
        after the date of a source it cites; ``sources``: id -> (the last day the source's
        date may be, the date as written), for the sources whose date is known."""
        for name in self.not_after_sources:
            if name not in props:
                continue
            early = _span(props, name)[0]
            for source in props.get("sources", ()):
                known = sources.get(source)
                if known is not None and known[0] < early:
                    yield (
                        name,
                        (
                            f"{name!r} ({_shown(props, name)}) is after the date of its source "
                            f"{source!r} ({known[1]}) (rule {_not_after(self.not_after_sources)})"
                        ),
                    )

    def loop_problem(self, start: str, end: str) -> str | None:
        if self.loops or start != end:
            return None
        return f"goes from {start!r} to itself (rule {LOOPS})"


def _bound(key: str, value: float) -> str:
    return f"{key}: {_number(value)}"


def _together(group: tuple[str, ...]) -> str:
    return f"together: [{', '.join(group)}]"


def _one_of(group: tuple[str, ...]) -> str:
    return f"one_of: [{', '.join(group)}]"


def _order(first: str, then: str) -> str:
    return f"order: [{first}, {then}]"


def _not_after(names: tuple[str, ...]) -> str:
    return f"not_after_sources: [{', '.join(names)}]"


def latest_day(props: dict[str, Any], name: str) -> tuple[dt.date, str] | None:
    """The last day the date ``name`` of a record may be, and the date as written (None
    when the record has no such date): a source's, for ``not_after_sources``."""
    if name not in props:
        return None
    return _span(props, name)[1], _shown(props, name)


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
    """The ``together``, ``one_of``, ``order`` and (for a relationship type) ``loops`` of a label or
    relationship type whose properties (``PropertySpec`` by name) are ``props``."""
    together = tuple(tuple(group) for group, _ in _groups(spec, "together", props, where, fail))
    one_of = tuple(tuple(group) for group, _ in _groups(spec, "one_of", props, where, fail))
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
    dated = _dates(spec, props, where, fail)
    if not together and not one_of and not order and not dated and loops:
        return None
    return RecordRules(together, one_of, tuple(order), dated, loops)


def _dates(spec: YMap, props: dict[str, Any], where: str, fail: Fail) -> tuple[str, ...]:
    """The date properties named by ``not_after_sources``."""
    raw = spec.get("not_after_sources")
    if raw is None:
        return ()
    if not isinstance(raw, YList) or not raw or not all(isinstance(n, str) for n in raw):
        fail(spec.at("not_after_sources"),
             f"'not_after_sources' of {where} must be a list of date properties")  # fmt: skip
        return ()
    names = []
    for name, mark in zip(raw, raw.item_marks, strict=True):
        prop = props.get(name)
        if prop is None or prop.type != "date" or prop.list:
            fail(mark, f"'not_after_sources' of {where} names {name!r}, which is not one of "
                 "its date properties (lists excepted)")  # fmt: skip
        else:
            names.append(name)
    return tuple(names)


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
