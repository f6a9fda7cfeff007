"""The rules of one seed file: its top-level keys, and each record of it checked against
the ontology (``FileChecker``): type, id, properties and their values, sources, status
(what records say of their sources is ``loader.check.citations``). Nothing here looks
beyond the file; ``loader.check.join`` checks what spans files.

Over 400 lines on purpose: everything one record must be is checked here, in the worker
processes, as one unit (with the rows it gives: the node's, its source links, the
relationship's waiting for its ends).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loader.check.citations import SourceChecks, all_text, is_cited, put_date, put_dates
from loader.check.identity import content_hash, identity_key
from loader.check.spill import SegmentWriter
from loader.errors import InputError, Problem, ValueProblem, shown
from loader.model.ontology import LabelSpec, Ontology, PropertySpec
from loader.model.rules import RecordRules, latest_day
from loader.model.values import PARSERS, PartialDate
from loader.read import pieces
from loader.read.pieces import read_piece
from loader.read.yamlread import Mark, YList, YMap, read_file

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
TOP_KEYS = frozenset({"dataset", "uses", "nodes", "relationships"})
DATASET_RULE = "must be a name like my-case"


def is_dataset_name(name: object) -> bool:
    """A dataset name is written as an id is (``ID_RE``), in a file or with ``--dataset``."""
    return isinstance(name, str) and ID_RE.fullmatch(name) is not None


NODE_KEYS = frozenset({"id", "type", "sources", "status"})
REL_KEYS = frozenset({"type", "from", "to", "sources", "status"})
DEFAULT_DATASET = "default"
DEFAULT_CHUNK = 5_000

PARALLEL_BYTES = 4_000_000  # below this much YAML, files are checked in this process
RESOLVE_ROWS = 40_000  # relationships whose ends one job checks (at most a chunk more)
PENDING = ("pending",)  # the segment group of relationships waiting for every node
# a relationship waiting for every node to be read: (type, start, end, key, props, hash,
# then line and column of the record, of its 'from' value and of its 'to' value)
Pending = tuple[Any, ...]


@dataclass
class FileCheck:
    """What checking one file, or a piece of one, gives back to the main process
    (picklable, and small: the rows are in segment files, named in ``chunks``)."""

    path: str
    digest: bytes = b""  # sha256 of the file's bytes
    unreadable: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    dataset: tuple[str, int, int] | None = None  # name, line, column
    uses: list[tuple[str, int, int]] = field(default_factory=list)  # the datasets it uses
    # the nodes, compactly (a large file's may all be in memory at once): ids, labels
    # (the ontology's strings, which pickle sends once), and three numbers per node:
    # the line of the record, and the line and column of its id
    node_ids: list[str] = field(default_factory=list)
    node_labels: list[str] = field(default_factory=list)
    node_places: array[int] = field(default_factory=lambda: array("q"))
    cited: set[str] = field(default_factory=set)
    # for the rule not_after_sources: the Sources' dates (id -> the last day it may be,
    # the date as written), and for each cited source the latest of the dates its
    # records may not be after (join.check_source_dates reads a file again only when one
    # of these is after its source's date)
    source_dates: dict[str, tuple[dt.date, str]] = field(default_factory=dict)
    dated: dict[str, dt.date] = field(default_factory=dict)
    # the Sources' captions (id -> title): a claim shows its sources' titles (plan)
    source_titles: dict[str, str] = field(default_factory=dict)
    chunks: list[tuple[Any, str, int, int]] = field(default_factory=list)
    # ^ (group, segment file, offset, rows)
    cut: list[pieces.Piece] | None = None  # the pieces it was read in, if it was

    def extend(self, other: FileCheck) -> None:
        """Add what a later piece of the same file found (problems are sorted by place
        when reported, rows stay in the order of the pieces)."""
        if other.dataset is not None:
            self.dataset = other.dataset
        self.uses.extend(other.uses)
        self.problems.extend(other.problems)
        self.node_ids.extend(other.node_ids)
        self.node_labels.extend(other.node_labels)
        self.node_places.extend(other.node_places)
        self.cited |= other.cited
        self.source_dates.update(other.source_dates)
        self.source_titles.update(other.source_titles)
        for source, day in other.dated.items():
            self.dated[source] = max(day, self.dated.get(source, day))
        self.chunks.extend(other.chunks)


def _at(where: YMap | YList, at: Any) -> Mark:
    """The position of ``where[at]``."""
    return where.at(at) if isinstance(where, YMap) else where.item_marks[at]


class FileChecker(SourceChecks):
    """Checks the records of one file against the ontology (nothing that spans files)."""

    def __init__(self, ontology: Ontology, check: FileCheck, out: SegmentWriter) -> None:
        self.ont = ontology
        self.check = check
        self.problems = check.problems
        self.cited = check.cited
        self.out = out
        self._required: dict[int, tuple[str, ...]] = {}  # by id() of a specs dict
        link = ontology.source_link  # its rows' properties and hash are the same for all
        self._link = None if link is None else {"key": "", "caption": caption(link, None)}
        self._link_hash = "" if self._link is None else content_hash(str(link), self._link)

    def fail(self, mark: Mark, message: str) -> None:
        self.problems.append(mark.problem(message))

    # -- values ---------------------------------------------------------------------------

    def value(self, spec: PropertySpec, raw: Any, record: YMap, key: str) -> Any:
        """Parse one property value (a scalar or, for list properties, a list).

        Positions are looked up only for a problem: on valid input they are not needed."""
        if spec.list:
            if not isinstance(raw, YList):
                return [] if (one := self.scalar(spec, raw, record, key)) is None else [one]
            out = []
            for index, item in enumerate(raw):
                parsed = self.scalar(spec, item, raw, index)
                if parsed is not None:
                    out.append(parsed)
            return out
        return self.scalar(spec, raw, record, key)

    def scalar(self, spec: PropertySpec, raw: Any, where: YMap | YList, at: Any) -> Any:
        """One value; ``where[at]`` is its place (a key of a mapping or an index of a list),
        looked up only for a problem: on valid input no position is needed."""
        if type(raw) is str:  # the usual case first
            return self.parsed(spec, raw, where, at)
        if raw is None:
            return None
        if isinstance(raw, YMap):
            self.fail(_at(where, at), f"{spec.name!r}: a nested mapping is not allowed (Neo4j "
                      "stores only values and lists)")  # fmt: skip
            return None
        if isinstance(raw, YList):
            why = "a list inside a list" if spec.list else "a list (the property is not a list)"
            self.fail(_at(where, at), f"{spec.name!r}: {why} is not allowed here")
            return None
        return self.parsed(spec, raw, where, at)

    def parsed(self, spec: PropertySpec, raw: Any, where: YMap | YList, at: Any) -> Any:
        """The value of a scalar's text, or None with a problem."""
        try:
            value = PARSERS[spec.type](raw)
        except ValueProblem as exc:
            self.fail(_at(where, at), f"{spec.name!r}: {exc}")
            return None
        if spec.type == "enum" and value not in spec.values:
            self.fail(_at(where, at), f"{spec.name!r}: {shown(value)} is not one of "
                      f"{', '.join(spec.values)}")  # fmt: skip
            return None
        if spec.rules is not None:
            problem = spec.rules.problem(value)
            if problem is not None:
                self.fail(_at(where, at), f"{spec.name!r}: {problem}")
                return None
        return value

    def properties(
        self, record: YMap, specs: dict[str, PropertySpec], fixed: frozenset[str], what: str
    ) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for key, raw in record.items():
            if key in fixed:
                continue
            spec = specs.get(key)
            if spec is None:
                known = ", ".join(sorted(specs)) or "none"
                self.fail(record.key_marks[key], f"unknown property {shown(key)} for {what} "
                          f"(known: {known})")  # fmt: skip
                continue
            if type(raw) is not str and not spec.list and is_cited(raw):  # str: the usual case
                self.cited_values(spec, raw, record, key, props)
                continue
            value = self.value(spec, raw, record, key)
            if value is None or value == []:
                continue
            if spec.type == "date":
                if spec.list:
                    put_dates(props, key, value)
                else:
                    assert isinstance(value, PartialDate)
                    put_date(props, key, value)
            else:
                props[key] = value
        required = self._required.get(id(specs))
        if required is None:
            required = self._required[id(specs)] = tuple(n for n, s in specs.items() if s.required)
        for name in required:
            if name not in props and record.get(name) is None:
                self.fail(record.mark, f"{what} needs property {name!r}")
        return props

    def checked_properties(
        self,
        record: YMap,
        specs: dict[str, PropertySpec],
        fixed: frozenset[str],
        what: str,
        claim: bool = False,
    ) -> dict[str, Any]:
        """A record's properties, then its sources and status."""
        props = self.properties(record, specs, fixed, what)
        self.sources_and_status(record, props, what, claim)
        return props

    def record_rules(
        self, rules: RecordRules, record: YMap, props: dict[str, Any], what: str
    ) -> None:
        given = None  # the names of props unless a presence rule needs the record's own
        if rules.together or rules.one_of:
            given = [key for key, value in record.items() if value is not None]
        for key, problem in rules.problems(props, given):
            self.fail(record.mark if key is None else record.at(key), f"{what}: {problem}")
        if rules.not_after_sources and "sources" in props:
            day = rules.earliest(props)
            if day is not None:
                dated = self.check.dated
                for source in props["sources"]:
                    dated[source] = max(day, dated.get(source, day))

    def text_field(self, record: YMap, key: str, what: str) -> str | None:
        value = record.get(key)
        if value is None:
            self.fail(record.mark, f"{what} needs {key!r}")
            return None
        if not isinstance(value, str):
            self.fail(record.at(key), f"{key!r} must be a single value")
            return None
        return value

    # -- records --------------------------------------------------------------------------

    def nodes(self, records: list[YMap]) -> None:
        for record in records:
            self.node(record)

    def rels(self, records: list[YMap]) -> None:
        for record in records:
            self.rel(record)

    def node(self, record: YMap) -> None:
        label, node_id = record.get("type"), record.get("id")
        if type(label) is not str or type(node_id) is not str:
            label = self.text_field(record, "type", "a node")
            node_id = self.text_field(record, "id", "a node")
            if label is None or node_id is None:
                return
        spec = self.ont.labels.get(label)
        if spec is None:
            known = ", ".join(sorted(self.ont.labels))
            self.fail(record.at("type"), f"unknown node type {shown(label)} (known: {known})")
            return
        label = spec.name  # one string for every node of the label, not one per record
        if not ID_RE.fullmatch(node_id):
            self.fail(record.at("id"), f"id {shown(node_id)} must be 1-128 characters of letters, "
                      "digits and . _ : / - (starting with a letter or digit)")  # fmt: skip
            return
        what = f"{label} {node_id!r}"
        props = self.checked_properties(record, spec.properties, NODE_KEYS, what)
        if spec.sources_required and "sources" not in props:
            self.fail(record.mark, f"{what} needs 'sources' (label {label} states facts)")
        if spec.rules is not None:
            self.record_rules(spec.rules, record, props, what)
        if label == self.ont.source_label:
            title = props.get(spec.caption)
            if isinstance(title, str):
                self.check.source_titles[node_id] = title
            if self.ont.source_date is not None:
                dated = latest_day(props, self.ont.source_date)
                if dated is not None:
                    self.check.source_dates[node_id] = dated
        line, _, id_line, id_column = record.places(None, "id")
        check = self.check
        check.node_ids.append(node_id)
        check.node_labels.append(label)
        check.node_places.extend((line, id_line, id_column))
        if not self.problems:  # rows are only worth keeping while the input is valid
            self.keep(record, spec, node_id, props)

    def keep(self, record: YMap, spec: LabelSpec, node_id: str, props: dict[str, Any]) -> None:
        """A valid node's row, and the ontology's ``source_link`` from each source it
        cites to it, waiting for every node like any relationship (placed at the node's
        ``sources``; a source that is not there is said once, by the citation check)."""
        props["id"] = node_id
        if spec.short_caption is not None:
            props["caption"] = node_caption(props, spec.short_caption, spec.caption)
        self.out.add(spec.name, (node_id, props, content_hash(spec.name, props)))
        if self._link is None or "sources" not in props:
            return
        link, digest = self.ont.source_link, self._link_hash
        where = record.places(None, "sources", "id")
        for source in dict.fromkeys(props["sources"]):
            if source != node_id:
                self.out.add(PENDING, (link, source, node_id, "", self._link, digest, *where))

    def rel(self, record: YMap) -> None:
        rtype, start, end = record.get("type"), record.get("from"), record.get("to")
        if type(rtype) is not str or type(start) is not str or type(end) is not str:
            rtype = self.text_field(record, "type", "a relationship")
            start = self.text_field(record, "from", "a relationship")
            end = self.text_field(record, "to", "a relationship")
            if rtype is None:
                return
        spec = self.ont.relationships.get(rtype)
        if spec is None:
            known = ", ".join(sorted(self.ont.relationships))
            self.fail(record.at("type"), f"unknown relationship type {shown(rtype)} "
                      f"(known: {known})")  # fmt: skip
            return
        rtype = spec.name
        if spec.derived:
            self.fail(record.at("type"), f"{rtype} is written by casegraph from the 'sources' "
                      "of each node; a seed file cannot give it")  # fmt: skip
            return
        what = f"{rtype} relationship"
        props = self.checked_properties(record, spec.properties, REL_KEYS, what, spec.claim)
        if spec.claim:
            if "status" not in props and record.get("status") is None:
                self.fail(record.mark, f"{what} is a claim and needs a 'status'")
            if "sources" not in props and not _malformed_sources(record):
                self.fail(record.mark, f"{what} is a claim and needs 'sources'")
        if spec.rules is not None:
            self.record_rules(spec.rules, record, props, what)
        if start is None or end is None:
            return
        if spec.rules is not None and (loop := spec.rules.loop_problem(start, end)):
            self.fail(record.at("to"), f"{what} {loop}")
        # the ends may be in a file not read yet: resolved once every file is in
        where = record.places(None, "from", "to")
        key = props["key"] = _key_of(props, spec.identity)
        props["caption"] = caption(rtype, props.get("status"))
        self.out.add(PENDING, (rtype, start, end, key, props, content_hash(rtype, props), *where))

    def file(self, data: Any, path: str) -> tuple[list[YMap], list[YMap]]:
        if not isinstance(data, YMap):
            self.problems.append(Problem(path, 1, 1, "a seed file must be a mapping with "
                                         "'nodes' and/or 'relationships'"))  # fmt: skip
            return [], []
        for key in data:
            if key not in TOP_KEYS:
                self.fail(data.key_marks[key], f"unknown top-level key {shown(key)} (expected "
                          "dataset, uses, nodes, relationships)")  # fmt: skip
        dataset = data.get("dataset")
        if dataset is not None:
            if not is_dataset_name(dataset):
                self.fail(data.at("dataset"), f"'dataset' {DATASET_RULE}")
            else:
                mark = data.at("dataset")
                self.check.dataset = (dataset, mark.line, mark.column)
        uses = data.get("uses")
        if uses is not None:
            items = uses if isinstance(uses, YList) else None
            if items is None or not all_text(items):
                self.fail(data.at("uses"), "'uses' must be a list of dataset names")
            else:
                for name, mark in zip(items, items.item_marks, strict=True):
                    if not is_dataset_name(name):
                        self.fail(mark, f"'uses': {shown(name)} {DATASET_RULE}")
                    else:
                        self.check.uses.append((name, mark.line, mark.column))
        return self.records(data, "nodes"), self.records(data, "relationships")

    def records(self, data: YMap, key: str) -> list[YMap]:
        raw = data.get(key)
        if raw is None:
            return []
        if not isinstance(raw, YList):
            self.fail(data.at(key), f"{key!r} must be a list of records")
            return []
        out = [item for item in raw if isinstance(item, YMap)]
        if len(out) < len(raw):  # positions only for a problem
            for item, mark in zip(raw, raw.item_marks, strict=True):
                if not isinstance(item, YMap):
                    self.fail(mark, f"each entry of {key!r} must be a mapping")
        return out


def caption(rtype: str, status: Any) -> str:
    """What Neo4j Browser writes on a relationship (the style sheet's ``{caption}``): its type
    and its status, so that an allegation reads as one on the canvas ("FACILITATED ·
    alleged"). Browser captions a relationship with one property or its type, not both."""
    return f"{rtype} · {status}" if isinstance(status, str) else rtype


def node_caption(props: dict[str, Any], short: str, caption: str) -> str:
    """What Neo4j Browser writes on a node of a label with a ``short_caption``: that
    property where the node has it (an acronym: "JUNALCO"), else its caption property
    (the name), which Browser would cut in the circle ("Gendar...")."""
    value = props.get(short)
    return str(value if isinstance(value, str) and value else props.get(caption, props["id"]))


def _malformed_sources(record: YMap) -> bool:
    """'sources' is there but not a list of ids (already reported as such)."""
    raw = record.get("sources")
    return raw is not None and not (isinstance(raw, YList) and all_text(raw))


def _identity_value(props: dict[str, Any], name: str) -> Any:
    precision = props.get(f"{name}_precision")
    if isinstance(precision, str):  # a date: keep its precision (2023 differs from 2023-01-01)
        return str(PartialDate(props[name], precision))
    return props.get(name)


def _key_of(props: dict[str, Any], identity: tuple[str, ...]) -> str:
    """A relationship's identity key from its properties."""
    return identity_key([_identity_value(props, p) for p in identity])


def check_file(path: Path, ontology: Ontology, segment: Path, chunk: int) -> FileCheck:
    """Read and check one file; its rows go to ``segment`` (see ``FileCheck``)."""
    check = FileCheck(str(path))
    try:
        data, raw = read_file(path)
    except InputError as exc:
        check.unreadable = exc.problems
        return check
    check.digest = hashlib.sha256(raw).digest()
    del raw
    out = SegmentWriter(segment, chunk)
    checker = FileChecker(ontology, check, out)
    nodes, rels = checker.file(data, str(path))
    checker.nodes(nodes)
    checker.rels(rels)
    del data, nodes, rels
    check.chunks = [(group, str(segment), offset, rows) for group, offset, rows in out.close()]
    return check


def check_piece(
    path: Path, piece: pieces.Piece, ontology: Ontology, segment: Path, chunk: int
) -> FileCheck | None:
    """Read and check one piece of a file (``loader.pieces``), as ``check_file`` does the
    whole: its records' rows go to ``segment``. A piece of top-level scalars gives the
    file's ``dataset`` and the problems with it. None when the C reader does not take
    the piece: then the file is read whole."""
    tree = read_piece(path, piece)
    if tree is None:
        return None
    check = FileCheck(str(path))
    out = SegmentWriter(segment, chunk)
    checker = FileChecker(ontology, check, out)
    if piece.section == pieces.HEAD:
        checker.file(tree, str(path))
    elif piece.section == "nodes":
        checker.nodes(checker.records(tree, "nodes"))
    else:
        checker.rels(checker.records(tree, "relationships"))
    del tree
    check.chunks = [(group, str(segment), offset, rows) for group, offset, rows in out.close()]
    return check
