"""The ontology: node and relationship types, as data read from YAML and validated.

No entity type is written in Python; ``loader/model/ontology.yaml`` (or ``--ontology``) holds
them. The ontology is checked when it is read, every problem reported with its place.

Over 400 lines on purpose: the format of the ontology is read and checked here whole
(statuses, labels, relationship types, the source label, its date and its links), so that
each key's rule is beside the others and written once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loader import cypher, settings
from loader.errors import InputError, Problem
from loader.model import rules
from loader.model.rules import RecordRules, ValueRules, read_record_rules, read_value_rules
from loader.model.values import PARSERS
from loader.read.yamlread import Mark, YList, YMap, read_file

DEFAULT_PATH = Path(__file__).with_name("ontology.yaml")

# Labels casegraph writes for itself; an ontology cannot declare them.
SYSTEM_LABELS = frozenset({"LoadRun", "LoadLock", "SavedQuery"})
# Record keys and casegraph's bookkeeping properties; no ontology property may use them.
# what a claim's source may say of its own (``sources: [{id, status, quote, page, url}]``),
# and the list property that keeps it beside ``sources``, one item per source
SOURCE_FIELDS = {
    "status": "source_statuses",
    "quote": "source_quotes",
    "page": "source_pages",
    "url": "source_urls",
}
# the titles of a claim's sources, item for item with ``sources`` (written by the plan)
SOURCE_TITLES = "according_to"
# what a property cited with its sources keeps beside it (``<property>_values``, ...)
CITED_SUFFIXES = ("_values", "_sources")
RESERVED = frozenset(
    {
        *SOURCE_FIELDS.values(),
        SOURCE_TITLES,
        "id",
        "type",
        "from",
        "to",
        "sources",
        "status",
        "dataset",
        "load_run",
        "first_seen",
        "last_seen",
        "content_hash",
        "key",
        "caption",
    }
)
LABEL_RE = re.compile(r"[A-Z][A-Za-z0-9]{0,62}")
REL_RE = re.compile(r"[A-Z][A-Z0-9_]{0,62}")
PROP_RE = re.compile(r"[a-z][a-z0-9_]{0,62}")
COLOR_RE = re.compile(r"#[0-9A-Fa-f]{6}")
PROPERTY_KEYS = frozenset({"type", "list", "required", "values", "description", *rules.VALUE_KEYS})
LABEL_KEYS = frozenset(
    {
        "description",
        "caption",
        "short_caption",
        "color",
        "sources",
        "indexes",
        "properties",
        *rules.RECORD_KEYS,
    }
)
RELATIONSHIP_KEYS = frozenset(
    {"description", "claim", "between", "identity", "properties", *rules.RELATIONSHIP_KEYS}
)


@dataclass(frozen=True)
class PropertySpec:
    name: str
    type: str
    list: bool = False
    required: bool = False
    values: tuple[str, ...] = ()
    description: str = ""
    rules: ValueRules | None = None  # minimum, maximum, pattern (loader.model.rules)


@dataclass(frozen=True)
class LabelSpec:
    name: str
    description: str
    caption: str
    color: str
    sources_required: bool
    properties: dict[str, PropertySpec]
    indexes: tuple[str, ...] = ()
    rules: RecordRules | None = None  # loader.model.rules
    # shown instead of the caption on the nodes that have it (e.g. an acronym): the loader
    # then writes the node's ``caption``, which the style shows
    short_caption: str | None = None


@dataclass(frozen=True)
class RelSpec:
    name: str
    description: str
    claim: bool
    between: frozenset[tuple[str, str]]
    identity: tuple[str, ...]
    properties: dict[str, PropertySpec]
    rules: RecordRules | None = None  # loader.model.rules
    derived: bool = False  # written by casegraph (the ontology's source_link), not by seeds


@dataclass(frozen=True)
class StatusSpec:
    name: str
    description: str
    proven: bool
    firmness: int = 0  # higher is firmer: a claim's status is its sources' firmest


@dataclass(frozen=True)
class Ontology:
    path: str
    source_label: str
    statuses: dict[str, StatusSpec]
    labels: dict[str, LabelSpec]
    relationships: dict[str, RelSpec]
    names: frozenset[str] = field(default=frozenset())
    checksum: str = ""  # of the YAML it was read from: a load's checksum includes it
    source_date: str | None = None  # the date property of source_label that dates a source
    source_link: str | None = None  # (source)-[:SOURCE_LINK]->(node) per source a node cites

    def quote(self, name: str) -> str:
        """Quote a label, relationship type or property key of this schema for Cypher."""
        return cypher.quote(name, self.names)

    def object_name(self, *parts: str) -> str:
        """The quoted name of a constraint or index casegraph creates for schema names."""
        return cypher.object_name(parts, self.names)


def default_path() -> Path:
    env = settings.text("CASEGRAPH_ONTOLOGY")
    return Path(env) if env else DEFAULT_PATH


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, mark: Mark, message: str) -> None:
        self.problems.append(mark.problem(message))

    def mapping(self, value: Any, mark: Mark, what: str) -> YMap | None:
        if isinstance(value, YMap):
            return value
        self.fail(mark, f"{what} must be a mapping")
        return None

    def keys(self, data: YMap, allowed: Collection[str], what: str) -> None:
        for key in data:
            if key not in allowed:
                self.fail(data.key_marks[key], f"unknown key {key!r} in {what}")

    def text(self, data: YMap, key: str, what: str, required: bool = False) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(data.mark, f"{what} needs {key!r}")
            return ""
        if not isinstance(value, str):
            self.fail(data.at(key), f"{key!r} of {what} must be text")
            return ""
        return value

    def flag(self, data: YMap, key: str, what: str) -> bool:
        value = data.get(key)
        if value is None:
            return False
        if value not in {"true", "false"}:
            self.fail(data.at(key), f"{key!r} of {what} must be true or false")
            return False
        return bool(value == "true")

    def names(self, data: YMap, key: str, what: str) -> list[tuple[str, Mark]]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, YList) or not all(isinstance(v, str) for v in value):
            self.fail(data.at(key), f"{key!r} of {what} must be a list of names")
            return []
        return list(zip(value, value.item_marks, strict=True))

    def properties(self, data: YMap, what: str) -> dict[str, PropertySpec]:
        raw = data.get("properties")
        if raw is None:
            return {}
        props = self.mapping(raw, data.at("properties"), f"properties of {what}")
        if props is None:
            return {}
        result: dict[str, PropertySpec] = {}
        for name, spec in props.items():
            mark = props.key_marks[name]
            if not PROP_RE.fullmatch(name):
                self.fail(mark, f"property name {name!r} must be lower_snake_case")
                continue
            if name in RESERVED:
                self.fail(mark, f"property name {name!r} is reserved by casegraph")
                continue
            if name.endswith(CITED_SUFFIXES):
                self.fail(mark, f"property name {name!r} is reserved by casegraph (a property "
                          "cited with its sources keeps its values and sources in names ending "
                          "in _values and _sources)")  # fmt: skip
                continue
            body = self.mapping(spec, props.at(name), f"property {name!r} of {what}")
            if body is None:
                continue
            where = f"property {name!r} of {what}"
            self.keys(body, PROPERTY_KEYS, where)
            kind = self.text(body, "type", where, required=True)
            if kind and kind not in PARSERS:
                choices = ", ".join(sorted(PARSERS))
                self.fail(body.at("type"), f"unknown value type {kind!r} (one of {choices})")
                continue
            values = tuple(v for v, _ in self.names(body, "values", where))
            if kind == "enum" and not values:
                self.fail(body.mark, f"{where} is an enum and needs 'values'")
            if kind != "enum" and values:
                self.fail(body.at("values"), f"'values' is only for enum properties ({where})")
            result[name] = PropertySpec(
                name=name,
                type=kind,
                list=self.flag(body, "list", where),
                required=self.flag(body, "required", where),
                values=values,
                description=self.text(body, "description", where),
                rules=read_value_rules(body, kind, where, self.fail),
            )
        for name, spec in result.items():
            if spec.type == "date" and f"{name}_precision" in result:
                self.fail(
                    props.key_marks[f"{name}_precision"],
                    f"property {name + '_precision'!r} is reserved for the precision of {name!r}",
                )
        return result


def _statuses(r: _Reader, top: YMap) -> dict[str, StatusSpec]:
    statuses: dict[str, StatusSpec] = {}
    raw = r.mapping(top.get("statuses"), top.at("statuses"), "'statuses'") or YMap()
    for name, body in raw.items():
        what = f"status {name!r}"
        if not PROP_RE.fullmatch(name):
            r.fail(raw.key_marks[name], f"{what} must be lower_snake_case")
        spec = r.mapping(body, raw.at(name), what)
        if spec is None:
            continue
        r.keys(spec, {"description", "proven", "firmness"}, what)
        firmness = spec.get("firmness", "0")
        if not isinstance(firmness, str) or not firmness.isdigit():
            r.fail(spec.at("firmness"), f"'firmness' of {what} must be a whole number, 0 or more")
            firmness = "0"
        statuses[name] = StatusSpec(
            name,
            r.text(spec, "description", what, True),
            r.flag(spec, "proven", what),
            int(firmness),
        )
    return statuses


def _label(r: _Reader, name: str, spec: YMap) -> LabelSpec:
    what = f"label {name}"
    r.keys(spec, LABEL_KEYS, what)
    props = r.properties(spec, what)
    caption = r.text(spec, "caption", what) or "id"
    if caption != "id" and caption not in props:
        r.fail(spec.at("caption"), f"caption {caption!r} of {what} is not one of its properties")
    short = r.text(spec, "short_caption", what) or None
    if short is not None and short not in props:
        r.fail(spec.at("short_caption"), f"short_caption {short!r} of {what} is not one of its "
               "properties")  # fmt: skip
    color = r.text(spec, "color", what) or "#A5ABB6"
    if not COLOR_RE.fullmatch(color):
        r.fail(spec.at("color"), f"color of {what} must look like #RRGGBB")
    sources = r.text(spec, "sources", what) or "optional"
    if sources not in {"required", "optional"}:
        r.fail(spec.at("sources"), f"'sources' of {what} must be required or optional")
    indexes = []
    for prop, pmark in r.names(spec, "indexes", what):
        if prop not in props:
            r.fail(pmark, f"index on {prop!r}, which is not a property of {what}")
        else:
            indexes.append(prop)
    return LabelSpec(
        name=name,
        description=r.text(spec, "description", what, required=True),
        caption=caption,
        color=color,
        sources_required=sources == "required",
        properties=props,
        indexes=tuple(indexes),
        rules=read_record_rules(spec, props, what, r.fail, relationship=False),
        short_caption=short,
    )


def _labels(r: _Reader, top: YMap) -> dict[str, LabelSpec]:
    labels: dict[str, LabelSpec] = {}
    raw = r.mapping(top.get("labels"), top.at("labels"), "'labels'") or YMap()
    for name, body in raw.items():
        mark = raw.key_marks[name]
        if not LABEL_RE.fullmatch(name):
            r.fail(mark, f"label {name!r} must be UpperCamelCase letters and digits")
        elif name in SYSTEM_LABELS:
            r.fail(mark, f"label {name!r} is reserved by casegraph")
        elif (spec := r.mapping(body, raw.at(name), f"label {name}")) is not None:
            labels[name] = _label(r, name, spec)
    return labels


def _between(
    r: _Reader, spec: YMap, what: str, labels: dict[str, LabelSpec]
) -> set[tuple[str, str]]:
    between: set[tuple[str, str]] = set()
    raw = spec.get("between")
    if not isinstance(raw, YList) or not raw:
        r.fail(spec.at("between"), f"{what} needs 'between': a list of [FromLabel, ToLabel]")
        return between
    for pair, pmark in zip(raw, raw.item_marks, strict=True):
        if (
            not isinstance(pair, YList)
            or len(pair) != 2
            or not all(isinstance(p, str) for p in pair)
        ):
            r.fail(pmark, f"each 'between' entry of {what} must be [FromLabel, ToLabel]")
            continue
        for label, lmark in zip(pair, pair.item_marks, strict=True):
            if label not in labels:
                r.fail(lmark, f"{what} names unknown label {label!r}")
        between.add((pair[0], pair[1]))
    return between


def _relationship(r: _Reader, name: str, spec: YMap, labels: dict[str, LabelSpec]) -> RelSpec:
    what = f"relationship {name}"
    r.keys(spec, RELATIONSHIP_KEYS, what)
    props = r.properties(spec, what)
    identity = []
    for prop, pmark in r.names(spec, "identity", what):
        if prop not in props:
            r.fail(pmark, f"identity property {prop!r} is not a property of {what}")
        else:
            identity.append(prop)
    return RelSpec(
        name=name,
        description=r.text(spec, "description", what, required=True),
        claim=r.flag(spec, "claim", what),
        between=frozenset(_between(r, spec, what, labels)),
        identity=tuple(identity),
        properties=props,
        rules=read_record_rules(spec, props, what, r.fail, relationship=True),
    )


def _relationships(r: _Reader, top: YMap, labels: dict[str, LabelSpec]) -> dict[str, RelSpec]:
    rels: dict[str, RelSpec] = {}
    raw = r.mapping(top.get("relationships"), top.at("relationships"), "'relationships'")
    for name, body in (raw or YMap()).items():
        mark = raw.key_marks[name] if raw else top.mark
        if not REL_RE.fullmatch(name):
            r.fail(mark, f"relationship type {name!r} must be UPPER_SNAKE_CASE")
        elif name in labels:
            r.fail(mark, f"relationship type {name!r} has the name of a label")
        elif raw and (spec := r.mapping(body, raw.at(name), f"relationship {name}")) is not None:
            rels[name] = _relationship(r, name, spec, labels)
    return rels


def parse_ontology(data: Any, path: str) -> Ontology:
    """Validate the YAML of an ontology; raise InputError listing every problem."""
    r = _Reader()
    top = r.mapping(data, Mark(path, 1, 1), "the ontology")
    if top is None:
        raise InputError(r.problems)
    top_keys = {
        "version",
        "source_label",
        "source_date",
        "source_link",
        "statuses",
        "labels",
        "relationships",
    }
    r.keys(top, top_keys, "the ontology")
    if top.get("version") != "1":
        r.fail(top.at("version"), "the ontology needs 'version: 1'")
    statuses = _statuses(r, top)
    labels = _labels(r, top)
    source_label = r.text(top, "source_label", "the ontology", required=True)
    if source_label and source_label not in labels:
        r.fail(top.at("source_label"), f"source_label {source_label!r} is not a label")
    rels = _relationships(r, top, labels)
    source_link = _source_link(r, top, source_label, labels, rels)
    source_date = _source_date(
        r, top, labels.get(source_label or ""), [*labels.values(), *rels.values()]
    )
    if r.problems:
        raise InputError(r.problems)
    names = set(labels) | set(rels) | set(SYSTEM_LABELS) | RESERVED
    specs: list[LabelSpec | RelSpec] = [*labels.values(), *rels.values()]
    for spec in specs:
        for prop in spec.properties:
            names.update((prop, f"{prop}_precision", f"{prop}_values_precision"))
            names.update(prop + suffix for suffix in CITED_SUFFIXES)
    return Ontology(
        path=path,
        source_label=source_label,
        statuses=statuses,
        labels=labels,
        relationships=rels,
        names=frozenset(names),
        source_date=source_date,
        source_link=source_link,
    )


def _source_link(
    r: _Reader,
    top: YMap,
    source_label: str,
    labels: dict[str, LabelSpec],
    rels: dict[str, RelSpec],
) -> str | None:
    """The ontology's ``source_link``: a relationship type casegraph writes from each
    Source to every node that cites it (added to ``rels``, ``derived``)."""
    name = r.text(top, "source_link", "the ontology") or None
    if name is None or source_label not in labels:
        return None
    mark = top.at("source_link")
    if not REL_RE.fullmatch(name):
        r.fail(mark, f"source_link {name!r} must be UPPER_SNAKE_CASE")
    elif name in rels or name in labels:
        r.fail(mark, f"source_link {name!r} is already a relationship type or a label")
    rels[name] = RelSpec(
        name=name,
        description=(
            f"({source_label})-[:{name}]->(any node): written by casegraph, one for each "
            f"source a node lists in its `sources`, so that the {source_label} nodes are "
            "linked to what they state (seed files do not give it)."
        ),
        claim=False,
        between=frozenset((source_label, label) for label in labels),
        identity=(),
        properties={},
        derived=True,
    )
    return name


def _source_date(
    r: _Reader, top: YMap, source: LabelSpec | None, specs: list[LabelSpec | RelSpec]
) -> str | None:
    """The ontology's ``source_date``: a date property of the source label, needed by the
    rule ``not_after_sources``."""
    name = r.text(top, "source_date", "the ontology") or None
    if name is not None and source is not None:
        prop = source.properties.get(name)
        if prop is None or prop.type != "date" or prop.list:
            message = f"source_date {name!r} is not a date property of label {source.name}"
            r.fail(top.at("source_date"), message)
            return None
    if name is None:
        for spec in specs:
            if spec.rules is not None and spec.rules.not_after_sources:
                kind = "label" if isinstance(spec, LabelSpec) else "relationship"
                r.fail(top.mark, f"{kind} {spec.name} has 'not_after_sources': the ontology "
                       "needs 'source_date' (the date property of its source_label)")  # fmt: skip
                break
    return name


def load_ontology(path: Path | None = None) -> Ontology:
    path = path or default_path()
    data, raw = read_file(path)
    return replace(parse_ontology(data, str(path)), checksum=hashlib.sha256(raw).hexdigest())
