"""Seed records -> validated graph, collecting every problem before anything is written.

Each file is checked on its own (``_FileChecker``), in worker processes when the input
is large and there are several files or a large one, which is checked in pieces
(``loader.pieces``) put together again. Records are typed by the ontology, rows and the
relationships still to resolve go to segment files, and each file gives back its node
ids, its citations and its problems. This process then checks what spans files (``_Join``):
duplicate ids, relationship ends and duplicates, citations, the dataset name. With worker
processes, the relationships' ends are checked there too, a file (or part of one) per
job, against the node index this process sends them; only their identities come back,
to find duplicates.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import os
import pickle
import re
import shutil
import sys
import tempfile
import weakref
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any

from loader import __version__
from loader.check.graph import Graph
from loader.check.spill import SegmentWriter, Spill, load_rows
from loader.errors import InputError, Problem
from loader.model.ontology import Ontology, PropertySpec
from loader.model.values import PARSERS, PartialDate, ValueProblem
from loader.read import pieces, yamlread
from loader.read.yamlread import Mark, YList, YMap, collect_files, read_file

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}")
TOP_KEYS = frozenset({"dataset", "nodes", "relationships"})
NODE_KEYS = frozenset({"id", "type", "sources", "status"})
REL_KEYS = frozenset({"type", "from", "to", "sources", "status"})
DEFAULT_DATASET = "default"
DEFAULT_CHUNK = 5_000

PARALLEL_BYTES = 4_000_000  # below this much YAML, files are checked in this process
RESOLVE_ROWS = 40_000  # relationships whose ends one job checks (at most a chunk more)
PENDING = ("pending",)  # the segment group of relationships waiting for every node
# a relationship waiting for every node to be read: (type, start, end, key, props, hash,
# then line and column of the record, of its 'from' value and of its 'to' value)
_Pending = tuple[Any, ...]


@dataclass
class FileCheck:
    """What checking one file, or a piece of one, gives back to the main process
    (picklable, and small: the rows are in segment files, named in ``chunks``)."""

    path: str
    digest: bytes = b""  # sha256 of the file's bytes
    unreadable: list[Problem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    dataset: tuple[str, int, int] | None = None  # name, line, column
    # the nodes, compactly (a large file's may all be in memory at once): ids, labels
    # (the ontology's strings, which pickle sends once), and three numbers per node:
    # the line of the record, and the line and column of its id
    node_ids: list[str] = field(default_factory=list)
    node_labels: list[str] = field(default_factory=list)
    node_places: array[int] = field(default_factory=lambda: array("q"))
    cited: set[str] = field(default_factory=set)
    chunks: list[tuple[Any, str, int, int]] = field(default_factory=list)
    # ^ (group, segment file, offset, rows)
    cut: list[pieces.Piece] | None = None  # the pieces it was read in, if it was

    def extend(self, other: FileCheck) -> None:
        """Add what a later piece of the same file found (problems are sorted by place
        when reported, rows stay in the order of the pieces)."""
        if other.dataset is not None:
            self.dataset = other.dataset
        self.problems.extend(other.problems)
        self.node_ids.extend(other.node_ids)
        self.node_labels.extend(other.node_labels)
        self.node_places.extend(other.node_places)
        self.cited |= other.cited
        self.chunks.extend(other.chunks)


def content_hash(kind: str, props: dict[str, Any]) -> str:
    """A short, stable hash of an element's type and properties (sources and status too).

    The text hashed is the JSON of ``[kind, props]`` with sorted keys, a date written as
    ``{"date": "YYYY-MM-DD"}``."""
    data = _hash_json([kind, props]).encode()
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _date_json(value: Any) -> dict[str, str]:
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    raise TypeError(f"not a property value: {value!r}")


# json.dumps(value, sort_keys=True, default=_date_json, ensure_ascii=False,
# separators=(",", ":")) builds an encoder per call, and even a reused JSONEncoder's
# .encode() builds the C encoder underneath, and a dict to detect cycles, on every call.
# That C encoder (the same arguments, without the cycle check: the values are fresh lists
# and dicts of scalars) is made once here. Tests check the text against json.dumps.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
if _c_make_encoder is not None:  # CPython's _json accelerator
    _encode_chunks = _c_make_encoder(
        None, _date_json, json.encoder.encode_basestring, None, ":", ",", True, False, True
    )

    def _hash_json_fast(value: Any) -> str:
        return "".join(_encode_chunks(value, 0))

    _hash_json: Callable[[Any], str] = _hash_json_fast
else:  # pragma: no cover - a Python without the accelerator
    _hash_json = json.JSONEncoder(
        sort_keys=True, default=_date_json, ensure_ascii=False, separators=(",", ":")
    ).encode


_TEXT = frozenset({str})


def _all_text(items: list[Any]) -> bool:
    """Every item is text (the readers give only str, None, YMap and YList)."""
    return set(map(type, items)) <= _TEXT


def _at(where: YMap | YList, at: Any) -> Mark:
    """The position of ``where[at]``."""
    return where.at(at) if isinstance(where, YMap) else where.item_marks[at]


class _FileChecker:
    """Checks the records of one file against the ontology (nothing that spans files)."""

    def __init__(self, ontology: Ontology, check: FileCheck, out: SegmentWriter) -> None:
        self.ont = ontology
        self.check = check
        self.problems = check.problems
        self.cited = check.cited
        self.out = out
        self._required: dict[int, tuple[str, ...]] = {}  # by id() of a specs dict

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
            self.fail(_at(where, at), f"{spec.name!r}: {value!r} is not one of "
                      f"{', '.join(spec.values)}")  # fmt: skip
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
            value = self.value(spec, raw, record, key)
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
        required = self._required.get(id(specs))
        if required is None:
            required = self._required[id(specs)] = tuple(n for n, s in specs.items() if s.required)
        for name in required:
            if name not in props and record.get(name) is None:
                self.fail(record.mark, f"{what} needs property {name!r}")
        return props

    def checked_properties(
        self, record: YMap, specs: dict[str, PropertySpec], fixed: frozenset[str], what: str
    ) -> dict[str, Any]:
        """A record's properties, then its sources and status."""
        props = self.properties(record, specs, fixed, what)
        self.sources_and_status(record, props, what)
        return props

    def sources_and_status(self, record: YMap, props: dict[str, Any], what: str) -> None:
        raw = record.get("sources")
        sources: list[str] = []
        if raw is not None:
            if not isinstance(raw, YList) or not _all_text(raw):
                self.fail(record.at("sources"), "'sources' must be a list of source ids")
            else:
                sources = list(raw)
                if len(set(sources)) < len(sources):  # positions only when one is twice
                    seen: set[str] = set()
                    for source, smark in zip(sources, raw.item_marks, strict=True):
                        if source in seen:
                            self.fail(smark, f"source {source!r} is listed twice")
                        seen.add(source)
        if sources:
            props["sources"] = sources
            self.cited.update(sources)
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
            self.fail(record.at("type"), f"unknown node type {label!r} (known: {known})")
            return
        label = spec.name  # one string for every node of the label, not one per record
        if not ID_RE.fullmatch(node_id):
            self.fail(record.at("id"), f"id {node_id!r} must be 1-128 characters of letters, "
                      "digits and . _ : / - (starting with a letter or digit)")  # fmt: skip
            return
        what = f"{label} {node_id!r}"
        props = self.checked_properties(record, spec.properties, NODE_KEYS, what)
        if spec.sources_required and "sources" not in props:
            self.fail(record.mark, f"{what} needs 'sources' (label {label} states facts)")
        line, _, id_line, id_column = record.places(None, "id")
        check = self.check
        check.node_ids.append(node_id)
        check.node_labels.append(label)
        check.node_places.extend((line, id_line, id_column))
        if not self.problems:  # rows are only worth keeping while the input is valid
            props["id"] = node_id
            self.out.add(label, (node_id, props, content_hash(label, props)))

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
            self.fail(record.at("type"), f"unknown relationship type {rtype!r} (known: {known})")
            return
        rtype = spec.name
        what = f"{rtype} relationship"
        props = self.checked_properties(record, spec.properties, REL_KEYS, what)
        if spec.claim:
            if "status" not in props and record.get("status") is None:
                self.fail(record.mark, f"{what} is a claim and needs a 'status'")
            if "sources" not in props and not _malformed_sources(record):
                self.fail(record.mark, f"{what} is a claim and needs 'sources'")
        if start is None or end is None:
            return
        # the ends may be in a file not read yet: resolved once every file is in
        where = record.places(None, "from", "to")
        key = props["key"] = _key_of(props, spec.identity)
        self.out.add(PENDING, (rtype, start, end, key, props, content_hash(rtype, props), *where))

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
                mark = data.at("dataset")
                self.check.dataset = (dataset, mark.line, mark.column)
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


class _Join:
    """What spans files, in the main process: node ids (kept compactly: label and place),
    relationship ends, duplicates and citations. Rows stay in the segment files."""

    def __init__(self, ontology: Ontology, chunk: int) -> None:
        self.ont = ontology
        self.problems: list[Problem] = []
        self.paths: list[str] = []
        self.cuts: list[list[pieces.Piece] | None] = []  # per file, as read (FileCheck.cut)
        self.nodes: dict[str, tuple[str, int, int]] = {}  # id -> (label, path index, line)
        self.cited: set[str] = set()
        self.datasets: dict[str, Mark] = {}
        self.pending = Spill(chunk)  # group: the index of the file
        self.pending_chunks: list[list[tuple[str, int, int]]] = []  # the same, per file
        self.node_rows = Spill(chunk)
        self.rel_rows = Spill(chunk)

    def fail(self, mark: Mark, message: str) -> None:
        self.problems.append(mark.problem(message))

    def add(self, check: FileCheck) -> None:
        index = len(self.paths)
        self.paths.append(check.path)
        self.cuts.append(check.cut)
        self.pending_chunks.append([])
        self.problems.extend(check.problems)
        self.cited |= check.cited
        if check.dataset is not None:
            name, line, column = check.dataset
            self.datasets.setdefault(name, Mark(check.path, line, column))
        places = check.node_places
        for at, (node_id, label) in enumerate(zip(check.node_ids, check.node_labels, strict=True)):
            first = self.nodes.get(node_id)
            if first is not None:
                mark = Mark(check.path, places[3 * at + 1], places[3 * at + 2])
                self.fail(mark, f"duplicate id {node_id!r} (first at "
                          f"{self.paths[first[1]]}:{first[2]})")  # fmt: skip
                continue
            self.nodes[node_id] = (label, index, places[3 * at])
        for group, segment, offset, rows in check.chunks:
            if group == PENDING:
                self.pending.adopt(index, segment, offset, rows)
                self.pending_chunks[index].append((segment, offset, rows))
            else:
                self.node_rows.adopt(group, segment, offset, rows)

    def _pending(self) -> Iterator[tuple[int, _Pending]]:
        for index in range(len(self.paths)):
            for row in self.pending.rows(index):
                yield index, row

    def _mark(self, index: int, pending: _Pending, which: int) -> Mark:
        return Mark(self.paths[index], pending[6 + 2 * which], pending[7 + 2 * which])

    def _label(self, node_id: str) -> str | None:
        node = self.nodes.get(node_id)
        return None if node is None else node[0]

    def _ends(self, index: int, pending: _Pending, report: bool) -> tuple[str, str] | None:
        """The labels of both ends when they exist and the type allows the pair."""
        problems = self.problems if report else None
        return _ends(self.ont, self._label, self.paths[index], pending, problems)

    def resolve(self, workdir: Path, pool: Executor | None = None) -> None:
        """Check every waiting relationship against the node index; keep the valid ones.

        ``resolve_file`` checks each file's, in the worker processes when there is a
        ``pool`` (the node index goes to them in a file, id -> label), else here. Each
        writes the valid rows grouped to a new segment and gives back its problems and a
        64-bit digest of each valid relationship's identity. Duplicates span files: the
        digests are compared here, and a digest seen twice is checked exactly
        (``_check_duplicates``): a real duplicate, which is an error, or a collision."""
        labels = {node_id: node[0] for node_id, node in self.nodes.items()}
        per_job = max(1, RESOLVE_ROWS // self.rel_rows.chunk)  # chunks: a large file's in parts
        jobs = [
            (path, chunks[k : k + per_job], str(workdir / f"{i}.{k}.rels.seg"), self.rel_rows.chunk)
            for i, (path, chunks) in enumerate(zip(self.paths, self.pending_chunks, strict=True))
            for k in range(0, len(chunks), per_job)
        ]
        if pool is None:
            results = [
                resolve_file(self.ont, labels, path, chunks, Path(segment), chunk)
                for path, chunks, segment, chunk in jobs
            ]
            del labels
        else:
            index = workdir / "labels.pickle"
            with index.open("wb") as handle:
                pickle.dump(labels, handle, protocol=pickle.HIGHEST_PROTOCOL)
            del labels
            try:
                results = list(
                    pool.map(_resolve_in_worker, [(p, c, str(index), s, n) for p, c, s, n in jobs])
                )
            finally:
                index.unlink()
        seen: set[int] = set()
        total = 0
        for result in results:
            self.problems.extend(result.problems)
            digests = memoryview(result.digests).cast("Q")
            seen.update(digests)
            total += len(digests)
        if total != len(seen):  # rare: a duplicate, or two identities with one digest
            counts = Counter(d for r in results for d in memoryview(r.digests).cast("Q"))
            self._check_duplicates({d for d, n in counts.items() if n > 1})
        if not self.problems:  # rows are only worth keeping while the input is valid
            for result in results:
                for group, offset, rows in result.chunks:
                    self.rel_rows.adopt(group, result.segment, offset, rows)

    def _check_duplicates(self, twice: set[int]) -> None:
        """Report each relationship whose identity an earlier one has, among those whose
        digest is in ``twice`` (the others cannot be duplicates)."""
        first: dict[tuple[Any, ...], Mark] = {}
        for index, pending in self._pending():
            identity = pending[:4]
            digest = int.from_bytes(identity_digest(*identity), sys.byteorder)  # as cast("Q")
            if digest not in twice or self._ends(index, pending, report=False) is None:
                continue
            mark = first.get(identity)
            if mark is None:
                first[identity] = self._mark(index, pending, 0)
                continue
            rtype, start, end, _ = identity
            spec = self.ont.relationships[rtype]
            apart = ", ".join(spec.identity) or "an identity property in the ontology"
            self.fail(self._mark(index, pending, 0), f"duplicate {rtype} from {start!r} to "
                      f"{end!r} (first at {mark.path}:{mark.line}); tell them apart with "
                      f"{apart}")  # fmt: skip

    def check_sources(self) -> None:
        source_label = self.ont.source_label
        bad = {s for s in self.cited if self.nodes.get(s, ("",))[0] != source_label}
        if not bad:
            return
        for path, cut in zip(self.paths, self.cuts, strict=True):  # only when a citation is
            for kind, record in file_records(Path(path), cut):  # wrong: every citing record
                cited = self._citations(record, kind)
                if cited is None:
                    continue
                what, sources = cited
                for source, mark in zip(sources, sources.item_marks, strict=True):
                    if source not in bad:
                        continue
                    node = self.nodes.get(source)
                    if node is None:
                        self.fail(mark, f"{what} cites unknown source {source!r}")
                    else:
                        self.fail(mark, f"{what} cites {source!r}, a {node[0]}, not a "
                                  f"{source_label}")  # fmt: skip

    def _citations(self, record: Any, kind: str) -> tuple[str, YList] | None:
        """What ``node``/``rel`` would have registered as this record's citations."""
        if not isinstance(record, YMap):
            return None
        sources = record.get("sources")
        if not isinstance(sources, YList) or not _all_text(sources):
            return None
        rtype = record.get("type")
        if not isinstance(rtype, str):
            return None
        if kind == "relationships":
            if rtype not in self.ont.relationships:
                return None
            return f"{rtype} relationship", sources
        node_id = record.get("id")
        if rtype not in self.ont.labels or not isinstance(node_id, str):
            return None
        if not ID_RE.fullmatch(node_id):
            return None
        return f"{rtype} {node_id!r}", sources

    def finish(
        self, dataset: str | None, files: list[Path], workdir: Path, pool: Executor | None
    ) -> Graph:
        self.resolve(workdir, pool)
        self.pending.close()
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
            self.close()
            raise InputError(self.problems)
        self.nodes.clear()
        return Graph(dataset, self.node_rows, self.rel_rows, [str(p) for p in files])

    def close(self) -> None:
        for spill in (self.pending, self.node_rows, self.rel_rows):
            spill.close()


def _ends(
    ont: Ontology,
    label_of: Callable[[str], str | None],
    path: str,
    pending: _Pending,
    problems: list[Problem] | None,
) -> tuple[str, str] | None:
    """The labels of both ends of a waiting relationship when they exist and its type
    allows the pair; what is wrong goes to ``problems`` (when given)."""
    rtype, start, end = pending[0], pending[1], pending[2]
    a, b = label_of(start), label_of(end)
    if problems is not None:
        for which, (key, node_id, label) in enumerate((("from", start, a), ("to", end, b))):
            if label is None:
                mark = Mark(path, pending[8 + 2 * which], pending[9 + 2 * which])
                problems.append(mark.problem(f"{key!r} refers to unknown id {node_id!r}"))
    if a is None or b is None:
        return None
    spec = ont.relationships[rtype]
    if (a, b) not in spec.between:
        if problems is not None:
            allowed = ", ".join(f"{x}->{y}" for x, y in sorted(spec.between))
            problems.append(Mark(path, pending[6], pending[7]).problem(
                f"{rtype} cannot go from {a} to {b} (allowed: {allowed})"))  # fmt: skip
        return None
    return a, b


def identity_digest(rtype: str, start: str, end: str, key: str) -> bytes:
    """8 bytes that tell relationships of one type between two nodes apart (the same in
    every process, unlike ``hash``)."""
    text = f"{rtype}\0{start}\0{end}\0{key}".encode()
    return hashlib.blake2b(text, digest_size=8).digest()


@dataclass
class ResolvedFile:
    """What resolving one file's relationships in a worker gives back."""

    problems: list[Problem]
    digests: bytes  # identity_digest of each valid relationship, in order
    segment: str  # where the kept rows are, grouped by (type, from label, to label)
    chunks: list[tuple[Any, int, int]]


def resolve_file(
    ont: Ontology,
    labels: dict[str, str],
    path: str,
    chunks: list[tuple[str, int, int]],
    segment: Path,
    chunk: int,
) -> ResolvedFile:
    """One file's waiting relationships against the node index ``labels`` (id -> label),
    for ``_Join.resolve``: every file's but duplicates, which need every file."""
    problems: list[Problem] = []
    digests = bytearray()
    out = SegmentWriter(segment, chunk)
    between = {name: spec.between for name, spec in ont.relationships.items()}
    with ExitStack() as files:
        handles: dict[str, IO[bytes]] = {}  # a file's chunks are in its one segment
        for source, offset, _ in chunks:
            handle = handles.get(source)
            if handle is None:
                handle = handles[source] = files.enter_context(Path(source).open("rb"))
            handle.seek(offset)
            rows: list[_Pending] = load_rows(handle)
            _resolve_rows(ont, between, labels, path, rows, problems, digests, out)
    return ResolvedFile(problems, bytes(digests), str(segment), out.close())


def _resolve_rows(
    ont: Ontology,
    between: dict[str, frozenset[tuple[str, str]]],
    labels: dict[str, str],
    path: str,
    rows: list[_Pending],
    problems: list[Problem],
    digests: bytearray,
    out: SegmentWriter,
) -> None:
    """Each waiting relationship of ``rows`` whose ends are known and allowed: its digest
    to ``digests``, its row to ``out``; what is wrong with the others to ``problems``."""
    label = labels.get
    for pending in rows:
        rtype, start, end, key, props, digest = pending[:6]
        a, b = label(start), label(end)
        if a is None or b is None or (a, b) not in between[rtype]:
            _ends(ont, label, path, pending, problems)
            continue
        digests += identity_digest(rtype, start, end, key)
        out.add((rtype, a, b), (start, end, key, props, digest))


def _malformed_sources(record: YMap) -> bool:
    """'sources' is there but not a list of ids (already reported as such)."""
    raw = record.get("sources")
    return raw is not None and not (isinstance(raw, YList) and _all_text(raw))


def _identity_value(props: dict[str, Any], name: str) -> Any:
    precision = props.get(f"{name}_precision")
    if isinstance(precision, str):  # a date: keep its precision (2023 differs from 2023-01-01)
        return str(PartialDate(props[name], precision))
    return props.get(name)


def _key_of(props: dict[str, Any], identity: tuple[str, ...]) -> str:
    """A relationship's identity key from its properties."""
    return identity_key([_identity_value(props, p) for p in identity])


def identity_key(values: list[Any]) -> str:
    """The stable qualifier that tells relationships of one type between two nodes apart."""
    if all(v is None for v in values):
        return ""
    return json.dumps(values, default=str, ensure_ascii=False, separators=(",", ":"))


def _input_digest(ontology: Ontology, dataset: str | None) -> hashlib._Hash:
    """The start of a load's checksum (``input_checksum`` and ``read_graph`` must agree:
    the unchanged-input check compares what one computed with what the other stored)."""
    return hashlib.sha256(f"{__version__}\0{ontology.checksum}\0{dataset}\0".encode())


def _add_file(digest: hashlib._Hash, path: Path, content_sha256: bytes) -> None:
    digest.update(path.name.encode() + b"\0" + content_sha256)


def input_checksum(files: list[Path], ontology: Ontology, dataset: str | None) -> str:
    """The checksum of a load's input, from the bytes alone (no parsing): casegraph's
    version, the ontology, the --dataset given, and every file's name and content."""
    digest = _input_digest(ontology, dataset)
    for path in files:
        try:
            content = file_digest(path)
        except OSError as exc:
            raise InputError([Problem(str(path), 1, 1, f"cannot read: {exc.strerror}")]) from None
        _add_file(digest, path, content)
    return digest.hexdigest()


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
    checker = _FileChecker(ontology, check, out)
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
    checker = _FileChecker(ontology, check, out)
    if piece.section == pieces.HEAD:
        checker.file(tree, str(path))
    elif piece.section == "nodes":
        checker.nodes(checker.records(tree, "nodes"))
    else:
        checker.rels(checker.records(tree, "relationships"))
    del tree
    check.chunks = [(group, str(segment), offset, rows) for group, offset, rows in out.close()]
    return check


def read_piece(path: Path, piece: pieces.Piece) -> YMap | None:
    """A piece of a file as the C reader reads it: a mapping of its one section (or of
    the top-level scalars); None when it does not take it."""
    with path.open("rb") as handle:
        handle.seek(piece.start)
        raw = handle.read(piece.stop - piece.start)
    try:
        text, line = piece.text(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    del raw
    tree = yamlread.scan_piece(text, str(path), line)
    if not isinstance(tree, YMap) or (piece.section and list(tree) != [piece.section]):
        return None
    return tree


def file_records(path: Path, split: list[pieces.Piece] | None) -> Iterator[tuple[str, Any]]:
    """("nodes" or "relationships", entry) for every entry of a file's two lists, a piece
    at a time when it was checked in the pieces ``split`` (which the C reader took)."""
    if split is not None:
        for piece in split:
            if piece.section == pieces.HEAD:
                continue
            tree = read_piece(path, piece)
            if tree is None:
                raise InputError([Problem(str(path), 1, 1, "the file changed while it was read")])
            records = tree.get(piece.section)
            if isinstance(records, YList):
                yield from ((piece.section, record) for record in records)
        return
    data, _ = read_file(path)
    if isinstance(data, YMap):
        for kind in ("nodes", "relationships"):
            records = data.get(kind)
            if isinstance(records, YList):
                yield from ((kind, record) for record in records)


def file_digest(path: Path) -> bytes:
    """The sha256 of a file's bytes, read a block at a time (a whole file at a time
    fragments the heap)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").digest()


_worker_ontology: Ontology | None = None


def _start_worker(ontology: Ontology) -> None:
    global _worker_ontology  # noqa: PLW0603 (one per worker process, set once)
    _worker_ontology = ontology
    gc.disable()  # see read_graph


def _check_in_worker(job: _Job) -> FileCheck | bytes | None:
    assert _worker_ontology is not None
    return _run(job, _worker_ontology)


_worker_labels: tuple[str, dict[str, str]] | None = None  # the file it was read from


def _resolve_in_worker(job: tuple[str, list[tuple[str, int, int]], str, str, int]) -> ResolvedFile:
    global _worker_labels  # noqa: PLW0603 (read once per worker process)
    assert _worker_ontology is not None
    path, chunks, labels, segment, chunk = job
    if _worker_labels is None or _worker_labels[0] != labels:
        _worker_labels = None  # the old index is freed before the new one is read
        with Path(labels).open("rb") as handle:
            _worker_labels = (labels, pickle.load(handle))  # noqa: S301 (written by this load)
    return resolve_file(_worker_ontology, _worker_labels[1], path, chunks, Path(segment), chunk)


def worker_count(files: list[Path]) -> int:
    """Processes to check files with: ``CASEGRAPH_WORKERS`` when set, else one per core
    (at most 4) for inputs of more than ``PARALLEL_BYTES`` in several files or in a file
    large enough to be read in pieces; 0 means this process does it."""
    size, jobs = 0, 0
    for path in files:
        with suppress(OSError):
            one = path.stat().st_size
            size += one
            jobs += one // pieces.PIECE_BYTES if one > pieces.SPLIT_BYTES else 1
    jobs = max(jobs, len(files))
    wanted = os.environ.get("CASEGRAPH_WORKERS", "").strip()
    if wanted.isdigit():
        return min(int(wanted), jobs)
    if jobs < 2 or size < PARALLEL_BYTES:
        return 0
    return min(os.cpu_count() or 1, 4, jobs)


# a job of checking files: (what, path, piece, segment, chunk); what is "file" (the
# whole), "piece" (of the file) or "digest" (of the file's bytes)
_Job = tuple[str, str, "pieces.Piece | None", str, int]


def _run(job: _Job, ontology: Ontology) -> FileCheck | bytes | None:
    what, path, piece, segment, chunk = job
    if what == "file":
        return check_file(Path(path), ontology, Path(segment), chunk)
    if what == "digest":
        return file_digest(Path(path))
    assert piece is not None
    return check_piece(Path(path), piece, ontology, Path(segment), chunk)


def cut(path: Path) -> list[pieces.Piece] | None:
    """The pieces to read a large file in (``loader.pieces``), or None to read it whole
    (a small file, or no C reader: the pieces need it)."""
    try:
        large = yamlread.can_scan() and path.stat().st_size > pieces.SPLIT_BYTES
    except OSError:
        return None  # reading it whole reports why
    return pieces.plan(path, pieces.PIECE_BYTES) if large else None


@dataclass
class _Unit:
    """The jobs of checking one file: the whole, or its digest and its pieces."""

    whole: _Job
    digest: _Job | None = None
    pieces: list[_Job] = field(default_factory=list)

    @property
    def jobs(self) -> list[_Job]:
        return [self.whole] if self.digest is None else [self.digest, *self.pieces]


def _checks(
    files: list[Path], ontology: Ontology, workdir: Path, chunk: int, pool: Executor | None
) -> Iterator[FileCheck]:
    """Every file's check, in the order of ``files``; a large file's pieces are checked
    apart (in parallel with a ``pool``) and put together again."""
    units: list[_Unit] = []
    for i, path in enumerate(files):
        unit = _Unit(("file", str(path), None, str(workdir / f"{i}.seg"), chunk))
        split = cut(path)
        if split is not None:
            unit.digest = ("digest", str(path), None, "", chunk)
            unit.pieces = [
                ("piece", str(path), piece, str(workdir / f"{i}.{j}.seg"), chunk)
                for j, piece in enumerate(split)
            ]
        units.append(unit)

    def run(job: _Job) -> FileCheck | bytes | None:
        return _run(job, ontology)

    jobs = [job for unit in units for job in unit.jobs]
    results = pool.map(_check_in_worker, jobs) if pool else map(run, jobs)
    for unit in units:
        first = next(results)
        if unit.digest is None:
            assert isinstance(first, FileCheck)
            yield first
            continue
        assert isinstance(first, bytes)
        split = [job[2] for job in unit.pieces if job[2] is not None]
        check: FileCheck | None = FileCheck(unit.whole[1], digest=first, cut=split)
        for _ in unit.pieces:  # put together as they come: each piece's part is freed
            part = next(results)
            if check is not None and isinstance(part, FileCheck):
                check.extend(part)
            else:
                check = None  # a piece the C reader did not take
        if check is None:  # the file is read whole
            whole = pool.submit(_check_in_worker, unit.whole).result() if pool else run(unit.whole)
            assert isinstance(whole, FileCheck)
            check = whole
        yield check


def _pool(workers: int, ontology: Ontology) -> ProcessPoolExecutor:
    context = get_context("spawn")  # no state inherited from this process (the driver's)
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_worker, initargs=(ontology,)
    )


def read_graph(
    paths: list[Path],
    ontology: Ontology,
    dataset: str | None = None,
    chunk: int = DEFAULT_CHUNK,
    workers: int | None = None,
) -> Graph:
    """Read and check the files (all problems at once), then what spans them.

    ``workers`` processes check files in parallel (default: ``worker_count``). Only one
    file's YAML tree is in memory per process at a time; rows go to segment files in a
    temporary folder that ``Graph.close`` removes, in chunks of ``chunk`` rows (best
    equal to the batch size of the plan that will read them).
    """
    files = collect_files(paths)
    workdir = Path(tempfile.mkdtemp(prefix="casegraph-"))
    join = _Join(ontology, chunk)
    digest = _input_digest(ontology, dataset)
    unreadable: list[Problem] = []
    gc_was_on = gc.isenabled()
    gc.disable()  # parsing makes many small objects and no cycles: the collector only costs
    try:
        count = worker_count(files) if workers is None else workers
        with ExitStack() as stack:
            pool = stack.enter_context(_pool(count, ontology)) if count > 1 else None
            for check in _checks(files, ontology, workdir, chunk, pool):
                if check.unreadable:
                    unreadable.extend(check.unreadable)
                    continue
                _add_file(digest, Path(check.path), check.digest)
                if not unreadable:  # once a file is unreadable, only reading problems are
                    join.add(check)  # reported
            if unreadable:
                raise InputError(unreadable)
            graph = join.finish(dataset, files, workdir, pool)
    except BaseException:
        join.close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        if gc_was_on:
            gc.enable()
    graph.workdir = workdir
    # removed by graph.close(), else when the graph is collected or the program exits
    weakref.finalize(graph, shutil.rmtree, workdir, True)
    graph.checksum = digest.hexdigest()
    return graph
