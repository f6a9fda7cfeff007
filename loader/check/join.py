"""What spans files, checked once every file is read: duplicate ids, relationship ends
(known and of an allowed pair of labels), duplicate relationships, citations (of a
Source), the datasets and what each uses. Rows stay in the segment files the per-file
checks wrote.

An input may hold several datasets (each file says its ``dataset:``). A dataset sees its
own ids, those of the datasets it ``uses:`` (and theirs, in turn), and the ISO 3166
reference ids (``loader.model.reference``); a relationship end or a citation outside
that is an error. Ids are global: one id defined by two datasets is a duplicate.
"""

from __future__ import annotations

import datetime as dt
import pickle
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import suppress
from pathlib import Path
from typing import Any

from loader.check.citations import cited_in, entry_id, first_value, put_date
from loader.check.datasets import Datasets
from loader.check.graph import Graph
from loader.check.identity import identity_digest
from loader.check.records import (
    ID_RE,
    PENDING,
    RESOLVE_ROWS,
    FileCheck,
    Pending,
)
from loader.check.resolve import check_ends, resolve_file, resolve_in_worker
from loader.check.spill import Spill
from loader.errors import InputError, Problem, ValueProblem, shown
from loader.model import reference
from loader.model.ontology import Ontology
from loader.model.values import parse_date
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
        self.cited: dict[str, set[str]] = {}  # dataset -> the ids its files cite (finish)
        # the same by the dataset each file names (None: it names none), gathered as the
        # files come: every file of a name is of one dataset (``Datasets.settle``), and one
        # set per file held each file's own copy of the ids (450 MB at 1M entities)
        self.named_cited: dict[str | None, set[str]] = {}
        self.source_dates: dict[str, tuple[dt.date, str]] = {}  # FileCheck.source_dates
        self.source_titles: dict[str, str] = {}  # FileCheck.source_titles
        self.file_dated: list[dict[str, dt.date]] = []  # FileCheck.dated, per file
        self.file_rows: list[list[tuple[Any, str, int, int]] | None] = []  # node chunks
        self.sets = Datasets(ontology)  # which file is of which dataset, and what each uses
        self.references = reference.usable(ontology)  # ISO 3166 ids may be referred to
        self.referred: dict[str, set[str]] = {}  # dataset -> the reference ids it refers to
        self.pending = Spill(chunk)  # group: the index of the file
        self.pending_chunks: list[list[tuple[str, int, int]]] = []  # the same, per file
        self.chunk = chunk
        self.node_rows: dict[str, Spill] = {}  # dataset -> its nodes' rows, by label
        self.rel_rows: dict[str, Spill] = {}  # dataset -> its relationships' rows
        # set when a file could not be read: an id not found may be in it, so "unknown id"
        # and "unknown source" are not said; every other check is made
        self.incomplete = False

    def fail(self, mark: Mark, message: str) -> None:
        self.problems.append(mark.problem(message))

    def add(self, check: FileCheck, given: bool = True) -> None:
        """One file's check; ``given`` is false for a file read only because a dataset
        of the input uses its dataset (it is checked, its rows are not kept)."""
        index = len(self.paths)
        self.paths.append(check.path)
        self.cuts.append(check.cut)
        self.pending_chunks.append([])
        self.problems.extend(check.problems)
        dataset = self.sets.add(check, given)
        self.named_cited.setdefault(dataset, set()).update(check.cited)
        self.source_dates.update(check.source_dates)
        self.source_titles.update(check.source_titles)
        self.file_dated.append(check.dated)
        places = check.node_places
        for at, (node_id, label) in enumerate(zip(check.node_ids, check.node_labels, strict=True)):
            first = self.nodes.get(node_id)
            mark = Mark(check.path, places[3 * at + 1], places[3 * at + 2])
            if first is not None:
                other = self.sets.named(first[1])
                where = (
                    "" if None in (other, dataset) or other == dataset else f", dataset {other!r}"
                )
                self.fail(mark, f"duplicate id {node_id!r} (first at "
                          f"{self.paths[first[1]]}:{first[2]}{where})")  # fmt: skip
                continue
            if self.references and reference.is_reference_id(node_id):
                self.fail(mark, f"{node_id!r} is ISO 3166 reference data "
                          f"({reference.name_of(node_id)}): refer to it without defining "
                          "it")  # fmt: skip
            self.nodes[node_id] = (label, index, places[3 * at])
        rows = []
        for group, segment, offset, count in check.chunks:
            if group == PENDING:
                self.pending.adopt(index, segment, offset, count)
                self.pending_chunks[index].append((segment, offset, count))
            elif given:
                rows.append((group, segment, offset, count))
        self.file_rows.append(rows)

    def _settle(self) -> None:
        """Each file's dataset known (``Datasets.settle``): the rows and citations by it."""
        self.sets.settle()
        for index, dataset in enumerate(self.sets.of_file):
            ids = self.named_cited.pop(self.sets.named(index), None)
            if ids is not None:
                self.cited.setdefault(dataset, set()).update(ids)
            rows = self.node_rows.setdefault(dataset, Spill(self.chunk))
            for group, segment, offset, count in self.file_rows[index] or []:
                rows.adopt(group, segment, offset, count)
            self.file_rows[index] = None

    def _pending(self) -> Iterator[tuple[int, Pending]]:
        for index in range(len(self.paths)):
            for row in self.pending.rows(index):
                yield index, row

    def _mark(self, index: int, pending: Pending, which: int) -> Mark:
        return Mark(self.paths[index], pending[6 + 2 * which], pending[7 + 2 * which])

    def _label(self, node_id: str) -> str | None:
        node = self.nodes.get(node_id)
        if node is None:
            return reference.label_of(node_id) if self.references else None
        return node[0]

    def _ends(self, index: int, pending: Pending, report: bool) -> tuple[str, str] | None:
        """The labels of both ends when they exist and the type allows the pair."""
        problems = self.problems if report else None
        return check_ends(
            self.ont, self._label, self.paths[index], pending, problems, self.incomplete
        )

    def _visible(self) -> tuple[dict[str, dict[str, str]], dict[str, str]] | None:
        """With several datasets: the ids each sees (id -> label), and the dataset of
        every id (for the message about one it does not see); None with one dataset."""
        if not self.sets.several:
            return None
        names = set(self.sets.files)
        seen = {name: self.sets.closure(name) for name in names}
        out: dict[str, dict[str, str]] = {name: {} for name in names}
        owners: dict[str, str] = {}
        for node_id, (label, index, _) in self.nodes.items():
            owner = owners[node_id] = self.sets.of_file[index]
            for name in names:
                if owner in seen[name]:
                    out[name][node_id] = label
        return out, owners

    def _labels(self) -> dict[str, str]:
        """The node index the ends are checked against: id -> label."""
        return {node_id: node[0] for node_id, node in self.nodes.items()}

    def resolve(self, workdir: Path, pool: Executor | None = None) -> None:
        """Check every waiting relationship against the node index; keep the valid ones.

        ``resolve_file`` checks each file's, in the worker processes when there is a
        ``pool`` (the node index goes to them in a file, id -> label), else here. Each
        writes the valid rows grouped to a new segment and gives back its problems and a
        64-bit digest of each valid relationship's identity. Duplicates span files: the
        digests are compared here, and a digest seen twice is checked exactly
        (``_check_duplicates``): a real duplicate, which is an error, or a collision."""
        per_job = max(1, RESOLVE_ROWS // self.chunk)  # chunks: a large file's in parts
        places = [
            (i, k)
            for i, chunks in enumerate(self.pending_chunks)
            for k in range(0, len(chunks), per_job)
        ]
        jobs = [
            (self.paths[i], self.pending_chunks[i][k : k + per_job],
             str(workdir / f"{i}.{k}.rels.seg"), self.chunk)
            for i, k in places
        ]  # fmt: skip
        quiet = self.incomplete
        refs = self.references
        visible = self._visible()
        if visible is not None:  # several datasets (a small input, as seeds are): here
            sees, owners = visible
            results = [
                resolve_file(
                    self.ont,
                    sees[self.sets.of_file[i]],
                    path,
                    chunks,
                    Path(segment),
                    chunk,
                    quiet,
                    refs,
                    owners,
                )
                for (i, _), (path, chunks, segment, chunk) in zip(places, jobs, strict=True)
            ]
        elif pool is None:
            labels = self._labels()
            results = [
                resolve_file(self.ont, labels, path, chunks, Path(segment), chunk, quiet, refs)
                for path, chunks, segment, chunk in jobs
            ]
            del labels
        else:
            labels = self._labels()
            index = workdir / "labels.pickle"
            with index.open("wb") as handle:
                pickle.dump(labels, handle, protocol=pickle.HIGHEST_PROTOCOL)
            del labels
            try:
                results = list(
                    pool.map(
                        resolve_in_worker,
                        [(p, c, str(index), s, n, quiet, refs) for p, c, s, n in jobs],
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
        needed = self.sets.needed
        for (i, _), result in zip(places, results, strict=True):
            dataset = self.sets.of_file[i]
            self.referred.setdefault(dataset, set()).update(result.references)
            if not self.problems and dataset in needed:  # rows kept while valid
                rows = self.rel_rows.setdefault(dataset, Spill(self.chunk))
                for group, offset, count in result.chunks:
                    rows.adopt(group, result.segment, offset, count)

    def _check_duplicates(self, twice: set[int]) -> None:
        """Report each relationship whose identity an earlier one has, among those whose
        digest is in ``twice`` (the others cannot be duplicates)."""
        first: dict[tuple[Any, ...], Mark] = {}
        for index, pending in self._pending():
            if self.ont.relationships[pending[0]].derived:  # one per source of a node
                continue
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
        """Each cited id must be a Source that the citing dataset sees."""
        bad: dict[str, set[str]] = {}
        for dataset, ids in self.cited.items():
            seen = self.sets.closure(dataset) if self.sets.several else None
            found = {s for s in ids if self._wrong_citation(s, seen)}
            if found:
                bad[dataset] = found
        if not bad:
            return
        for index, (path, cut) in enumerate(zip(self.paths, self.cuts, strict=True)):
            dataset = self.sets.of_file[index]
            wrong = bad.get(dataset, set())
            if not wrong:  # only when a citation is wrong: every citing record
                continue
            for kind, record in file_records(Path(path), cut):
                cited = self._citations(record, kind)
                if cited is None:
                    continue
                what, sources = cited
                for source, mark in sources + cited_in(record):
                    if source in wrong:
                        self.fail(mark, self._citation_problem(dataset, what, source))

    def _wrong_citation(self, source: str, seen: set[str] | None) -> bool:
        """Whether ``source`` is not a Source of the datasets ``seen`` (None: of any)."""
        node = self.nodes.get(source)
        if node is None:
            return not self.incomplete  # it may be in the file that was not read
        if node[0] != self.ont.source_label:
            return True
        return seen is not None and self.sets.of_file[node[1]] not in seen

    def _citation_problem(self, dataset: str, what: str, source: str) -> str:
        node = self.nodes.get(source)
        if node is None:
            return f"{what} cites unknown source {shown(source)}"
        if node[0] != self.ont.source_label:
            return f"{what} cites {shown(source)}, a {node[0]}, not a {self.ont.source_label}"
        owner = self.sets.of_file[node[1]]
        return (f"{what} cites {shown(source)} of dataset {owner!r}, which dataset "
                f"{dataset!r} does not use (add {owner!r} to its 'uses:')")  # fmt: skip

    def check_source_dates(self) -> None:
        """The rule ``not_after_sources``: a file with a date after the date of a source it
        cites (as the per-file checks found) is read again, and each such date reported."""
        known = self.source_dates
        for index, dated in enumerate(self.file_dated):
            if not any(s in known and known[s][0] < day for s, day in dated.items()):
                continue
            for kind, record in file_records(Path(self.paths[index]), self.cuts[index]):
                cited = self._citations(record, kind)
                if cited is None:
                    continue
                what, sources = cited
                group = self.ont.relationships if kind == "relationships" else self.ont.labels
                rules = group[record["type"]].rules
                if rules is None or not rules.not_after_sources:
                    continue
                props: dict[str, Any] = {"sources": [source for source, _ in sources]}
                for name in rules.not_after_sources:
                    raw = first_value(record.get(name))
                    with suppress(ValueProblem):  # a bad date is reported by the file's check
                        if isinstance(raw, str):
                            put_date(props, name, parse_date(raw))
                for name, message in rules.source_problems(props, known):
                    self.fail(record.at(name), f"{what}: {message}")

    def _citations(self, record: Any, kind: str) -> tuple[str, list[tuple[str, Mark]]] | None:
        """What ``node``/``rel`` would have registered as this record's citations: the
        record as its messages name it, and each id of its ``sources`` with its place (those
        of its cited property values: ``cited_in``)."""
        if not isinstance(record, YMap):
            return None
        raw = record.get("sources")
        if raw is not None and not isinstance(raw, YList):
            return None
        sources = []
        for item, mark in zip(raw or [], raw.item_marks if raw else [], strict=True):
            source = entry_id(item)
            if source is None:
                continue  # reported by the file's check
            sources.append((source, item.at("id") if isinstance(item, YMap) else mark))
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
        workdir: Path,
        pool: Executor | None,
        unreadable: list[Problem] | None = None,
    ) -> list[Graph]:
        """The graph of each needed dataset, each after those it uses, or InputError with
        every problem; with ``unreadable`` (the problems of files that could not be read),
        the checks that do not need those files' content."""
        self.incomplete = bool(unreadable)
        self._settle()
        self.sets.check_picks()
        self.problems.extend(self.sets.problems())
        self.resolve(workdir, pool)
        self.pending.close()
        self.check_sources()
        self.check_source_dates()
        self.problems = self._concerning(self.problems)
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
        graphs = []
        for name in self.sets.order():
            graph = Graph(
                name,
                self.node_rows.pop(name, Spill(self.chunk)),
                self.rel_rows.pop(name, Spill(self.chunk)),
                list(self.sets.files[name]),
            )
            graph.checksum = self.sets.checksum(name)
            graph.uses = self.sets.depends_on(name)
            graph.references = sorted(self.referred.get(name, set()))
            graph.source_titles = self.source_titles  # every dataset's: one may cite another's
            if self.sets.several:
                graph.external = self._external(name, graph)
            graphs.append(graph)
        self.nodes.clear()
        for spill in (*self.node_rows.values(), *self.rel_rows.values()):
            spill.close()  # of datasets read but not asked for
        return graphs

    def _concerning(self, problems: list[Problem]) -> list[Problem]:
        """The problems of files whose dataset is needed or used by one that is (with
        ``--dataset``, a dataset nobody asked for does not stop the others)."""
        concerned = self.sets.concerned()
        if set(self.sets.files) <= concerned:
            return problems
        skip = {p for p, d in zip(self.paths, self.sets.of_file, strict=True) if d not in concerned}
        return [p for p in problems if p.path not in skip]

    def _external(self, name: str, graph: Graph) -> dict[str, tuple[str, str]]:
        """The ids the dataset's relationships name that another dataset defines: id ->
        (label, dataset); the load checks that the database holds them."""
        out: dict[str, tuple[str, str]] = {}
        for rel in graph.rels:
            for node_id in (rel.start, rel.end):
                node = self.nodes.get(node_id)
                if node is not None and self.sets.of_file[node[1]] != name:
                    out[node_id] = (node[0], self.sets.of_file[node[1]])
        return out

    def close(self) -> None:
        for spill in (self.pending, *self.node_rows.values(), *self.rel_rows.values()):
            spill.close()
