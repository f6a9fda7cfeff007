"""Seed records -> validated graph, collecting every problem before anything is written."""

from __future__ import annotations

import gc
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loader import __version__
from loader.errors import InputError, Problem
from loader.graph import Graph, Node, Rel
from loader.ontology import Ontology, PropertySpec
from loader.values import PARSERS, PartialDate, ValueProblem
from loader.yamlread import Mark, YList, YMap, collect_files, read_file

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
TOP_KEYS = frozenset({"dataset", "nodes", "relationships"})
NODE_KEYS = frozenset({"id", "type", "sources", "status"})
REL_KEYS = frozenset({"type", "from", "to", "sources", "status"})
DEFAULT_DATASET = "default"


@dataclass(slots=True)
class _PendingRel:
    """A relationship record checked on its own, waiting for every node to be read."""

    type: str
    start: str
    end: str
    props: dict[str, Any]
    mark: Mark
    from_mark: Mark
    to_mark: Mark


class _Builder:
    def __init__(self, ontology: Ontology) -> None:
        self.ont = ontology
        self.problems: list[Problem] = []
        self.nodes: dict[str, Node] = {}
        self.rels: dict[tuple[str, str, str, str], Rel] = {}
        self.pending_sources: list[tuple[list[tuple[str, Mark]], str]] = []
        self.pending_rels: list[_PendingRel] = []
        self.datasets: dict[str, Mark] = {}

    def fail(self, mark: Mark, message: str) -> None:
        self.problems.append(mark.problem(message))

    # -- values ---------------------------------------------------------------------------

    def value(self, spec: PropertySpec, raw: Any, mark: Mark, marks: list[Mark] | None) -> Any:
        """Parse one property value (a scalar or, for list properties, a list)."""
        if spec.list:
            if not isinstance(raw, YList):
                items, item_marks = [raw], [mark]
            else:
                items, item_marks = list(raw), raw.item_marks
            out = []
            for item, imark in zip(items, item_marks, strict=True):
                parsed = self.scalar(spec, item, imark)
                if parsed is not None:
                    out.append(parsed)
            return out
        return self.scalar(spec, raw, mark)

    def scalar(self, spec: PropertySpec, raw: Any, mark: Mark) -> Any:
        if isinstance(raw, YMap):
            self.fail(mark, f"{spec.name!r}: a nested mapping is not allowed (Neo4j stores "
                      "only values and lists)")  # fmt: skip
            return None
        if isinstance(raw, YList):
            why = "a list inside a list" if spec.list else "a list (the property is not a list)"
            self.fail(mark, f"{spec.name!r}: {why} is not allowed here")
            return None
        if raw is None:
            return None
        try:
            value = PARSERS[spec.type](raw)
        except ValueProblem as exc:
            self.fail(mark, f"{spec.name!r}: {exc}")
            return None
        if spec.type == "enum" and value not in spec.values:
            self.fail(mark, f"{spec.name!r}: {value!r} is not one of {', '.join(spec.values)}")
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
                self.fail(record.key_marks[key], f"unknown property {key!r} for {what} "
                          f"(known: {known})")  # fmt: skip
                continue
            value = self.value(spec, raw, record.at(key), None)
            if value is None or value == []:
                continue
            if spec.type == "date":
                if spec.list:
                    props[key] = [d.value for d in value]
                    props[f"{key}_precision"] = [d.precision for d in value]
                else:
                    assert isinstance(value, PartialDate)
                    props[key] = value.value
                    props[f"{key}_precision"] = value.precision
            else:
                props[key] = value
        for spec in specs.values():
            if spec.required and spec.name not in props and record.get(spec.name) is None:
                self.fail(record.mark, f"{what} needs property {spec.name!r}")
        return props

    def sources_and_status(self, record: YMap, props: dict[str, Any], what: str) -> None:
        raw = record.get("sources")
        sources: list[tuple[str, Mark]] = []
        if raw is not None:
            if not isinstance(raw, YList) or not all(isinstance(s, str) for s in raw):
                self.fail(record.at("sources"), "'sources' must be a list of source ids")
            else:
                sources = list(zip(raw, raw.item_marks, strict=True))
                seen: set[str] = set()
                for source, smark in sources:
                    if source in seen:
                        self.fail(smark, f"source {source!r} is listed twice")
                    seen.add(source)
        if sources:
            props["sources"] = [s for s, _ in sources]
            self.pending_sources.append((sources, what))
        status = record.get("status")
        if status is not None:
            if not isinstance(status, str) or status not in self.ont.statuses:
                choices = ", ".join(sorted(self.ont.statuses))
                self.fail(record.at("status"), f"unknown status {status!r} (one of {choices})")
            else:
                props["status"] = status

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

    def node(self, record: YMap) -> None:
        label = self.text_field(record, "type", "a node")
        node_id = self.text_field(record, "id", "a node")
        if label is None or node_id is None:
            return
        spec = self.ont.labels.get(label)
        if spec is None:
            known = ", ".join(sorted(self.ont.labels))
            self.fail(record.at("type"), f"unknown node type {label!r} (known: {known})")
            return
        if not ID_RE.fullmatch(node_id):
            self.fail(record.at("id"), f"id {node_id!r} must be 1-128 characters of letters, "
                      "digits and . _ : / - (starting with a letter or digit)")  # fmt: skip
            return
        what = f"{label} {node_id!r}"
        props = self.properties(record, spec.properties, NODE_KEYS, what)
        self.sources_and_status(record, props, what)
        if spec.sources_required and "sources" not in props:
            self.fail(record.mark, f"{what} needs 'sources' (label {label} states facts)")
        first = self.nodes.get(node_id)
        if first is not None:
            self.fail(record.at("id"), f"duplicate id {node_id!r} (first at "
                      f"{first.mark.path}:{first.mark.line})")  # fmt: skip
            return
        props["id"] = node_id
        self.nodes[node_id] = Node(node_id, label, props, record.mark)

    def rel(self, record: YMap) -> None:
        rtype = self.text_field(record, "type", "a relationship")
        start = self.text_field(record, "from", "a relationship")
        end = self.text_field(record, "to", "a relationship")
        if rtype is None:
            return
        spec = self.ont.relationships.get(rtype)
        if spec is None:
            known = ", ".join(sorted(self.ont.relationships))
            self.fail(record.at("type"), f"unknown relationship type {rtype!r} (known: {known})")
            return
        what = f"{rtype} relationship"
        props = self.properties(record, spec.properties, REL_KEYS, what)
        self.sources_and_status(record, props, what)
        if spec.claim:
            if "status" not in props and record.get("status") is None:
                self.fail(record.mark, f"{what} is a claim and needs a 'status'")
            if "sources" not in props and not _malformed_sources(record):
                self.fail(record.mark, f"{what} is a claim and needs 'sources'")
        if start is None or end is None:
            return
        # the ends may be in a file not read yet: resolved once every file is in
        marks = (record.mark, record.at("from"), record.at("to"))
        self.pending_rels.append(_PendingRel(rtype, start, end, props, *marks))

    def resolve(self, pending: _PendingRel) -> None:
        rtype, start, end, props = pending.type, pending.start, pending.end, pending.props
        spec = self.ont.relationships[rtype]
        ends = []
        for key, node_id, mark in (
            ("from", start, pending.from_mark),
            ("to", end, pending.to_mark),
        ):
            node = self.nodes.get(node_id)
            if node is None:
                self.fail(mark, f"{key!r} refers to unknown id {node_id!r}")
            ends.append(node)
        a, b = ends
        if a is None or b is None:
            return
        if (a.label, b.label) not in spec.between:
            allowed = ", ".join(f"{x}->{y}" for x, y in sorted(spec.between))
            self.fail(pending.mark, f"{rtype} cannot go from {a.label} to {b.label} "
                      f"(allowed: {allowed})")  # fmt: skip
            return
        key = identity_key([_identity_value(props, p) for p in spec.identity])
        props["key"] = key
        rel = Rel(rtype, start, end, a.label, b.label, key, props, pending.mark)
        first = self.rels.get(rel.identity)
        if first is not None:
            apart = ", ".join(spec.identity) or "an identity property in the ontology"
            where = f"{first.mark.path}:{first.mark.line}"
            self.fail(pending.mark, f"duplicate {rtype} from {start!r} to {end!r} (first at "
                      f"{where}); tell them apart with {apart}")  # fmt: skip
            return
        self.rels[rel.identity] = rel

    def check_sources(self) -> None:
        for sources, what in self.pending_sources:
            for source, mark in sources:
                node = self.nodes.get(source)
                if node is None:
                    self.fail(mark, f"{what} cites unknown source {source!r}")
                elif node.label != self.ont.source_label:
                    self.fail(mark, f"{what} cites {source!r}, a {node.label}, not a "
                              f"{self.ont.source_label}")  # fmt: skip

    def add_file(self, data: Any, path: str) -> None:
        """Check one parsed file; afterwards nothing refers to ``data`` any more."""
        nodes, rels = self.file(data, path)
        for record in nodes:
            self.node(record)
        for record in rels:
            self.rel(record)

    def finish(self, dataset: str | None, files: list[str]) -> Graph:
        for pending in self.pending_rels:
            self.resolve(pending)
        self.pending_rels.clear()
        self.check_sources()
        if dataset is None:
            if len(self.datasets) > 1:
                names = sorted(self.datasets)
                first = self.datasets[names[0]].path
                for name in names[1:]:
                    self.fail(self.datasets[name], f"dataset {name!r} differs from "
                              f"{names[0]!r} ({first}); one load is one dataset")  # fmt: skip
            dataset = next(iter(sorted(self.datasets)), DEFAULT_DATASET)
        if self.problems:
            raise InputError(self.problems)
        return Graph(dataset, list(self.nodes.values()), list(self.rels.values()), files)

    def file(self, data: Any, path: str) -> tuple[list[YMap], list[YMap]]:
        if not isinstance(data, YMap):
            self.problems.append(Problem(path, 1, 1, "a seed file must be a mapping with "
                                         "'nodes' and/or 'relationships'"))  # fmt: skip
            return [], []
        for key in data:
            if key not in TOP_KEYS:
                self.fail(data.key_marks[key], f"unknown top-level key {key!r} (expected "
                          "dataset, nodes, relationships)")  # fmt: skip
        dataset = data.get("dataset")
        if dataset is not None:
            if not isinstance(dataset, str) or not ID_RE.fullmatch(dataset):
                self.fail(data.at("dataset"), "'dataset' must be a name like my-case")
            else:
                self.datasets.setdefault(dataset, data.at("dataset"))
        return self.records(data, "nodes"), self.records(data, "relationships")

    def records(self, data: YMap, key: str) -> list[YMap]:
        raw = data.get(key)
        if raw is None:
            return []
        if not isinstance(raw, YList):
            self.fail(data.at(key), f"{key!r} must be a list of records")
            return []
        out = []
        for item, mark in zip(raw, raw.item_marks, strict=True):
            if isinstance(item, YMap):
                out.append(item)
            else:
                self.fail(mark, f"each entry of {key!r} must be a mapping")
        return out


def _malformed_sources(record: YMap) -> bool:
    """'sources' is there but not a list of ids (already reported as such)."""
    raw = record.get("sources")
    return raw is not None and not (isinstance(raw, YList) and all(isinstance(s, str) for s in raw))


def _identity_value(props: dict[str, Any], name: str) -> Any:
    precision = props.get(f"{name}_precision")
    if isinstance(precision, str):  # a date: keep its precision (2023 differs from 2023-01-01)
        return str(PartialDate(props[name], precision))
    return props.get(name)


def identity_key(values: list[Any]) -> str:
    """The stable qualifier that tells relationships of one type between two nodes apart."""
    if all(v is None for v in values):
        return ""
    return json.dumps(values, default=str, ensure_ascii=False, separators=(",", ":"))


def build_graph(
    sources: list[tuple[str, Any]], ontology: Ontology, dataset: str | None = None
) -> Graph:
    """Validate parsed files (display path, data) into a graph, or raise InputError."""
    b = _Builder(ontology)
    for path, data in sources:
        b.add_file(data, path)
    return b.finish(dataset, [path for path, _ in sources])


def read_graph(paths: list[Path], ontology: Ontology, dataset: str | None = None) -> Graph:
    """Read and check the files one by one (all problems at once), then resolve references.

    Only one file's YAML tree is in memory at a time; the graph keeps typed properties.
    """
    files = collect_files(paths)
    problems: list[Problem] = []
    builder = _Builder(ontology)
    digest = hashlib.sha256(f"{__version__}\0{ontology.checksum}\0{dataset}\0".encode())
    gc_was_on = gc.isenabled()
    gc.disable()  # parsing makes many small objects and no cycles: the collector only costs
    try:
        for path in files:
            try:
                data, raw = read_file(path)
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            digest.update(path.name.encode() + b"\0" + hashlib.sha256(raw).digest())
            if not problems:  # once a file is unreadable, only reading problems are reported
                builder.add_file(data, str(path))  # file by file: its YAML tree is let go
            del data
        if problems:
            raise InputError(problems)
        graph = builder.finish(dataset, [str(path) for path in files])
    finally:
        if gc_was_on:
            gc.enable()
    graph.checksum = digest.hexdigest()
    return graph
