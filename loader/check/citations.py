"""What records say of their sources: ``sources`` lists whose items may say what each
source says of its own (``{id, status, quote, page, url}``), and property values given
with the sources that give them (``{value, sources}``, or a list of such where the
sources disagree). The rules are here once: ``SourceChecks`` applies them while a file
is checked (``loader.check.records``), and ``entry_id``/``cited_in`` tell the join step
(``loader.check.join``) which ids a record cites, and where, when it reads a file again.
"""

from __future__ import annotations

from typing import Any

from loader.errors import ValueProblem, shown
from loader.model.ontology import SOURCE_FIELDS, Ontology, PropertySpec
from loader.model.values import PartialDate, parse_string, parse_text, parse_url
from loader.read.yamlread import Mark, YList, YMap

_TEXT = frozenset({str})
# how what a source says of its own is read (its status is one of the ontology's)
_OWN_PARSERS = {"quote": parse_text, "page": parse_string, "url": parse_url}


def all_text(items: list[Any]) -> bool:
    """Every item is text (the readers give only str, None, YMap and YList)."""
    return set(map(type, items)) <= _TEXT


def entry_id(item: Any) -> str | None:
    """The id an item of a ``sources`` list names: the item itself, or the ``id`` of
    ``{id: ..., status: ...}``; None for anything else."""
    if isinstance(item, str):
        return item
    source = item.get("id") if isinstance(item, YMap) else None
    return source if isinstance(source, str) else None


def put_date(props: dict[str, Any], key: str, date: PartialDate) -> None:
    """A date as records keep it: its first day, and ``<key>_precision``."""
    props[key], props[f"{key}_precision"] = date.value, date.precision


def put_dates(props: dict[str, Any], key: str, dates: list[PartialDate]) -> None:
    """A list of dates as records keep it: the first days, and the precisions."""
    props[key] = [d.value for d in dates]
    props[f"{key}_precision"] = [d.precision for d in dates]


def is_cited(raw: Any) -> bool:
    """Whether a property's value is given with its sources (``cited_values``): a mapping
    of a ``value``, or a list of some."""
    if isinstance(raw, YMap):
        return "value" in raw
    return isinstance(raw, YList) and any(isinstance(i, YMap) and "value" in i for i in raw)


def first_value(raw: Any) -> Any:
    """A property's value as written: of a cited one (``cited_values``), the first's."""
    if not is_cited(raw):
        return raw
    first = raw if isinstance(raw, YMap) else raw[0]
    return first.get("value") if isinstance(first, YMap) else None


def cited_in(record: YMap) -> list[tuple[str, Mark]]:
    """The source ids a record's cited property values name, with their places."""
    out: list[tuple[str, Mark]] = []
    for raw in record.values():
        if not is_cited(raw):
            continue
        for item in [raw] if isinstance(raw, YMap) else raw:
            sources = item.get("sources") if isinstance(item, YMap) else None
            if isinstance(sources, YList):
                out += [(s, m) for s, m in zip(sources, sources.item_marks, strict=True)
                        if isinstance(s, str)]  # fmt: skip
    return out


class SourceChecks:
    """The checks of this module, as methods of the per-file checker
    (``loader.check.records.FileChecker``), which gives them its ontology, its problems
    (``fail``), the ids the file cites (``cited``) and its value parser (``scalar``)."""

    ont: Ontology
    cited: set[str]

    def fail(self, mark: Mark, message: str) -> None:
        raise NotImplementedError

    def scalar(self, spec: PropertySpec, raw: Any, where: YMap | YList, at: Any) -> Any:
        raise NotImplementedError

    def cited_values(
        self, spec: PropertySpec, raw: YMap | YList, record: YMap, key: str, props: dict[str, Any]
    ) -> None:
        """A property given with the sources that give it, ``{value: V, sources: [...]}``,
        or as a list of such (values the sources disagree on, each with its own): the first
        is the property's value; every value and its sources are kept beside it, item for
        item (``<key>_values``, and ``<key>_sources`` with each one's ids joined by spaces)."""
        items = [raw] if isinstance(raw, YMap) else list(raw)
        marks = [record.at(key)] if isinstance(raw, YMap) else raw.item_marks
        values: list[Any] = []
        cited: list[str] = []
        for item, mark in zip(items, marks, strict=True):
            sources = item.get("sources") if isinstance(item, YMap) else None
            if (
                not isinstance(item, YMap)
                or "value" not in item
                or not isinstance(sources, YList)
                or not sources
                or not all_text(sources)
            ):
                self.fail(mark, f"{key!r}: a cited value is a mapping of its 'value' and its "
                          "'sources' (a list of source ids)")  # fmt: skip
                return
            for name in item:
                if name not in {"value", "sources"}:
                    self.fail(item.key_marks[name], f"{key!r}: unknown key {name!r} of a cited "
                              "value (known: value, sources)")  # fmt: skip
            value = self.scalar(spec, item["value"], item, "value")
            if value is None:
                return
            values.append(value)
            cited.append(" ".join(sources))
            self.cited.update(sources)
        if spec.type == "date":
            put_date(props, key, values[0])
            put_dates(props, f"{key}_values", values)
        else:
            props[key], props[f"{key}_values"] = values[0], values
        props[f"{key}_sources"] = cited

    def sources_and_status(
        self, record: YMap, props: dict[str, Any], what: str, claim: bool = False
    ) -> None:
        raw = record.get("sources")
        sources: list[str] = []
        own: list[YMap | None] = []  # what each source says of its own, if anything
        marks: list[Mark] = []  # the places of own's items
        if raw is not None:
            if not isinstance(raw, YList):
                self.fail(record.at("sources"), "'sources' must be a list of source ids")
            elif all_text(raw):  # the usual case: ids only
                sources = list(raw)
            else:
                sources, own, marks = self.source_entries(raw)
            if len(set(sources)) < len(sources):  # positions only when one is twice
                seen: set[str] = set()
                at = raw.item_marks if not own else marks  # item_marks: made when asked
                for source, smark in zip(sources, at, strict=True):
                    if source in seen:
                        self.fail(smark, f"source {shown(source)} is listed twice")
                    seen.add(source)
        if sources:
            props["sources"] = sources
            self.cited.update(sources)
        status = record.get("status")
        if status is not None:
            if not self.known_status(status, record.at("status")):
                return
            props["status"] = status
        if any(entry is not None for entry in own):
            self.own_says(record, props, own, what, claim)

    def source_entries(self, raw: YList) -> tuple[list[str], list[YMap | None], list[Mark]]:
        """The ids of a ``sources`` list whose items may be ``{id: ..., status: ...}``, each
        item's mapping (None for a bare id) and place; an item that is neither is left out
        (and reported)."""
        sources: list[str] = []
        own: list[YMap | None] = []
        marks: list[Mark] = []
        for item, mark in zip(raw, raw.item_marks, strict=True):
            source = entry_id(item)
            if isinstance(item, str):
                sources.append(item)
                own.append(None)
                marks.append(mark)
            elif isinstance(item, YMap) and source is not None:
                for key in item:
                    if key != "id" and key not in SOURCE_FIELDS:
                        known = ", ".join(("id", *SOURCE_FIELDS))
                        self.fail(item.key_marks[key],
                                  f"unknown key {key!r} of a source (known: {known})")  # fmt: skip
                sources.append(source)
                own.append(item)
                marks.append(item.at("id"))
            else:
                self.fail(mark, "each source is an id, or a mapping of its 'id' and what the "
                          f"source says of its own ({', '.join(SOURCE_FIELDS)})")  # fmt: skip
        return sources, own, marks

    def own_value(self, entry: YMap, key: str) -> str:
        """What one source says of its own under ``key`` ('' for nothing or a bad value)."""
        text = entry.get(key)
        if text is None:
            return ""
        if not isinstance(text, str):
            self.fail(entry.at(key), f"{key!r} of a source must be a single value")
            return ""
        if key == "status":
            return text if self.known_status(text, entry.at(key)) else ""
        try:
            return _OWN_PARSERS[key](text)
        except ValueProblem as exc:
            self.fail(entry.at(key), f"{key!r} of a source: {exc}")
            return ""

    def own_says(
        self, record: YMap, props: dict[str, Any], own: list[YMap | None], what: str, claim: bool
    ) -> None:
        """Each source's own status, quote, page and url, as lists beside ``sources`` (''
        where a source says nothing of its own; a source without a status has the
        claim's). A claim without a status of its own takes the firmest of its sources'
        when each gives one; a claim's status is never firmer than all of them say."""
        statuses = self.ont.statuses
        values: dict[str, list[str]] = {key: [] for key in SOURCE_FIELDS}
        for entry in own:
            for key in SOURCE_FIELDS:
                values[key].append("" if entry is None else self.own_value(entry, key))
        said = values["status"]
        if any(said):
            if not claim:
                for entry in own:
                    if entry is not None and entry.get("status") is not None:
                        self.fail(entry.at("status"), f"{what} is not a claim: its sources "
                                  "give no status (only a claim's do)")  # fmt: skip
                return
            given = props.get("status")
            if all(said):
                firmest = max(said, key=lambda s: statuses[s].firmness)  # the first of them
                if given is None:
                    given = props["status"] = firmest
                elif statuses[given].firmness > statuses[firmest].firmness:
                    self.fail(record.at("status"), f"{what}: status {given!r} is firmer than "
                              f"any of its sources says (the firmest: {firmest!r})")  # fmt: skip
            if given is not None:
                values["status"] = [s or given for s in said]
        for key, name in SOURCE_FIELDS.items():
            if any(values[key]):
                props[name] = values[key]

    def known_status(self, status: Any, mark: Mark) -> bool:
        """Whether ``status`` is one of the ontology's (a problem at ``mark`` if not)."""
        if isinstance(status, str) and status in self.ont.statuses:
            return True
        choices = ", ".join(sorted(self.ont.statuses))
        self.fail(mark, f"unknown status {shown(status)} (one of {choices})")
        return False
