"""What spans files, checked once every file is read: duplicate ids, relationship ends
(known and of an allowed pair of labels), duplicate relationships, citations (of a
Source), the dataset name. Rows stay in the segment files the per-file checks wrote.
"""

from __future__ import annotations

import pickle
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from loader.check import worker
from loader.check.graph import Graph
from loader.check.identity import identity_digest
from loader.check.records import (
    DEFAULT_DATASET,
    ID_RE,
    PENDING,
    RESOLVE_ROWS,
    FileCheck,
    Pending,
    all_text,
)
from loader.check.spill import SegmentWriter, Spill, load_rows
from loader.errors import InputError, Problem, shown
from loader.model.ontology import Ontology
from loader.read import pieces
from loader.read.pieces import file_records
from loader.read.yamlread import Mark, YList, YMap


class Join:
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
        # set when a file could not be read: an id not found may be in it, so "unknown id"
        # and "unknown source" are not said; every other check is made
        self.incomplete = False

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

    def _pending(self) -> Iterator[tuple[int, Pending]]:
        for index in range(len(self.paths)):
            for row in self.pending.rows(index):
                yield index, row

    def _mark(self, index: int, pending: Pending, which: int) -> Mark:
        return Mark(self.paths[index], pending[6 + 2 * which], pending[7 + 2 * which])

    def _label(self, node_id: str) -> str | None:
        node = self.nodes.get(node_id)
        return None if node is None else node[0]

    def _ends(self, index: int, pending: Pending, report: bool) -> tuple[str, str] | None:
        """The labels of both ends when they exist and the type allows the pair."""
        problems = self.problems if report else None
        return _ends(self.ont, self._label, self.paths[index], pending, problems, self.incomplete)

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
        quiet = self.incomplete
        if pool is None:
            results = [
                resolve_file(self.ont, labels, path, chunks, Path(segment), chunk, quiet)
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
                    pool.map(
                        _resolve_in_worker,
                        [(p, c, str(index), s, n, quiet) for p, c, s, n in jobs],
                    )
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
            self.fail(self._mark(index, pending, 0), f"duplicate {rtype} from {shown(start)} to "
                      f"{shown(end)} (first at {mark.path}:{mark.line}); tell them apart with "
                      f"{apart}")  # fmt: skip

    def check_sources(self) -> None:
        source_label = self.ont.source_label
        bad = {s for s in self.cited if self.nodes.get(s, ("",))[0] != source_label}
        if self.incomplete:  # a source not found may be in the file that was not read
            bad &= self.nodes.keys()
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
                        self.fail(mark, f"{what} cites unknown source {shown(source)}")
                    else:
                        self.fail(mark, f"{what} cites {shown(source)}, a {node[0]}, not a "
                                  f"{source_label}")  # fmt: skip

    def _citations(self, record: Any, kind: str) -> tuple[str, YList] | None:
        """What ``node``/``rel`` would have registered as this record's citations."""
        if not isinstance(record, YMap):
            return None
        sources = record.get("sources")
        if not isinstance(sources, YList) or not all_text(sources):
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
        self,
        dataset: str | None,
        files: list[Path],
        workdir: Path,
        pool: Executor | None,
        unreadable: list[Problem] | None = None,
    ) -> Graph:
        """The graph, or InputError with every problem; with ``unreadable`` (the problems of
        files that could not be read), the checks that do not need those files' content."""
        self.incomplete = bool(unreadable)
        self.resolve(workdir, pool)
        self.pending.close()
        self.check_sources()
        if dataset is None:
            if len(self.datasets) > 1:
                names = sorted(self.datasets)
                first = self.datasets[names[0]].path
                for name in names[1:]:
                    self.fail(self.datasets[name], f"dataset {shown(name)} differs from "
                              f"{shown(names[0])} ({first}); one load is one dataset")  # fmt: skip
            dataset = next(iter(sorted(self.datasets)), DEFAULT_DATASET)
        if unreadable:
            self.close()
            if not self.paths:  # no file was read: no check was left out
                raise InputError(unreadable)
            count = len({p.path for p in unreadable})
            raise InputError(
                unreadable + self.problems,
                f"{count} file{'s' if count > 1 else ''} could not be read, so references to "
                f"ids that may be in {'them' if count > 1 else 'it'} were not checked",
            )
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
    pending: Pending,
    problems: list[Problem] | None,
    quiet_unknown: bool = False,
) -> tuple[str, str] | None:
    """The labels of both ends of a waiting relationship when they exist and its type
    allows the pair; what is wrong goes to ``problems`` (when given), an end that is not
    found only when not ``quiet_unknown``."""
    rtype, start, end = pending[0], pending[1], pending[2]
    a, b = label_of(start), label_of(end)
    if problems is not None:
        for which, (key, node_id, label) in enumerate((("from", start, a), ("to", end, b))):
            if label is None and not quiet_unknown:
                mark = Mark(path, pending[8 + 2 * which], pending[9 + 2 * which])
                problems.append(mark.problem(f"{key!r} refers to unknown id {shown(node_id)}"))
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
    quiet_unknown: bool = False,
) -> ResolvedFile:
    """One file's waiting relationships against the node index ``labels`` (id -> label),
    for ``Join.resolve``: every file's but duplicates, which need every file (an end not
    found is not reported when ``quiet_unknown``)."""
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
            rows: list[Pending] = load_rows(handle)
            _resolve_rows(ont, between, labels, path, rows, problems, digests, out, quiet_unknown)
    return ResolvedFile(problems, bytes(digests), str(segment), out.close())


def _resolve_rows(
    ont: Ontology,
    between: dict[str, frozenset[tuple[str, str]]],
    labels: dict[str, str],
    path: str,
    rows: list[Pending],
    problems: list[Problem],
    digests: bytearray,
    out: SegmentWriter,
    quiet_unknown: bool,
) -> None:
    """Each waiting relationship of ``rows`` whose ends are known and allowed: its digest
    to ``digests``, its row to ``out``; what is wrong with the others to ``problems``."""
    label = labels.get
    for pending in rows:
        rtype, start, end, key, props, digest = pending[:6]
        a, b = label(start), label(end)
        if a is None or b is None or (a, b) not in between[rtype]:
            _ends(ont, label, path, pending, problems, quiet_unknown)
            continue
        digests += identity_digest(rtype, start, end, key)
        out.add((rtype, a, b), (start, end, key, props, digest))


_worker_labels: tuple[str, dict[str, str]] | None = None  # the file it was read from


def _resolve_in_worker(
    job: tuple[str, list[tuple[str, int, int]], str, str, int, bool],
) -> ResolvedFile:
    global _worker_labels  # noqa: PLW0603 (read once per worker process)
    path, chunks, labels, segment, chunk, quiet = job
    if _worker_labels is None or _worker_labels[0] != labels:
        _worker_labels = None  # the old index is freed before the new one is read
        with Path(labels).open("rb") as handle:
            _worker_labels = (labels, pickle.load(handle))  # noqa: S301 (written by this load)
    labels_of = _worker_labels[1]
    return resolve_file(worker.ontology(), labels_of, path, chunks, Path(segment), chunk, quiet)
