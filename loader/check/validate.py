"""Seed files -> the checked graph, every problem collected before anything is written.

The stage's order of work, not its rules: each file is read and checked on its own
(``records``), in worker processes when the input is large; a large file is read in
pieces (``loader.read.pieces``), checked apart and put together again. Then what spans
files is checked here, in the main process (``join``): duplicate ids, relationship ends
and duplicates, citations, the dataset name. With worker processes, relationship ends
are checked there too, a file (or part of one) per job, against the node index this
process sends them; only their identities come back, to find duplicates.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from loader import settings
from loader.check import worker
from loader.check.datasets import Datasets, add_file, input_digest
from loader.check.graph import Graph
from loader.check.join import Join
from loader.check.records import (
    DATASET_RULE,
    DEFAULT_CHUNK,
    PARALLEL_BYTES,
    PENDING,
    FileCheck,
    check_file,
    check_piece,
    is_dataset_name,
)
from loader.check.spill import Spill
from loader.errors import InputError, Problem, UsageError, shown
from loader.model import reference
from loader.model.ontology import Ontology
from loader.read import pieces, yamlread
from loader.read.paths import collect_files


def input_checksum(files: list[Path], ontology: Ontology) -> str:
    """The checksum of a load's input, from the bytes alone (no parsing): casegraph's
    version, the ontology, and every file's name and content. For an input of one dataset
    it is that dataset's checksum (``Datasets.checksum``)."""
    digest = input_digest(ontology)
    for path in files:
        try:
            content = file_digest(path)
        except OSError as exc:
            raise InputError([Problem(str(path), 0, 0, f"cannot read: {exc.strerror}")]) from None
        add_file(digest, path, content)
    return digest.hexdigest()


def file_digest(path: Path) -> bytes:
    """The sha256 of a file's bytes, read a block at a time (a whole file at a time
    fragments the heap)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").digest()


def _check_in_worker(job: _Job) -> FileCheck | bytes | None:
    return _run(job, worker.ontology())


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
    wanted = settings.whole("CASEGRAPH_WORKERS", -1)  # -1: not set
    if wanted >= 0:
        return min(wanted, jobs)
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
    files: list[Path],
    ontology: Ontology,
    workdir: Path,
    chunk: int,
    pool: Executor | None,
    number_from: int = 0,
) -> Iterator[FileCheck]:
    """Every file's check, in the order of ``files``; a large file's pieces are checked
    apart (in parallel with a ``pool``) and put together again. Segment files are
    numbered from ``number_from``."""
    units: list[_Unit] = []
    for i, path in enumerate(files, number_from):
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
        workers, mp_context=context, initializer=worker.start, initargs=(ontology,)
    )


def read_graph(
    paths: list[Path],
    ontology: Ontology,
    dataset: str | None = None,
    chunk: int = DEFAULT_CHUNK,
    workers: int | None = None,
) -> Graph:
    """The graph of the one dataset of the input (or the one ``dataset`` names); see
    ``read_graphs``. An input of several datasets needs ``dataset``."""
    graphs = read_graphs(paths, ontology, [dataset] if dataset else None, chunk, workers)
    if len(graphs) == 1:
        return graphs[0]
    names = ", ".join(g.dataset for g in graphs)
    for graph in graphs:
        graph.close()
    raise UsageError(f"the input holds {len(graphs)} datasets ({names}); name one with --dataset")


def read_graphs(
    paths: list[Path],
    ontology: Ontology,
    datasets: list[str] | None = None,
    chunk: int = DEFAULT_CHUNK,
    workers: int | None = None,
) -> list[Graph]:
    """Read and check the files (all problems at once), then what spans them: the graph
    of each dataset of the input (or of those ``datasets`` names), each after the ones
    it uses. A used dataset the input does not hold is read from its folder
    (``loader.check.datasets``), checked and not returned.

    ``workers`` processes check files in parallel (default: ``worker_count``). Only one
    file's YAML tree is in memory per process at a time; rows go to segment files in a
    temporary folder that closing the last of the graphs removes, in chunks of ``chunk``
    rows (best equal to the batch size of the plan that will read them).
    """
    for name in datasets or []:
        if not is_dataset_name(name):
            raise UsageError(f"--dataset {shown(name)} {DATASET_RULE}")
    files = collect_files(paths)
    workdir = Path(tempfile.mkdtemp(prefix="casegraph-"))
    join = Join(ontology, chunk)
    join.sets.picks = list(dict.fromkeys(datasets)) if datasets else None
    unreadable: list[Problem] = []
    gc_was_on = gc.isenabled()
    gc.disable()  # parsing makes many small objects and no cycles: the collector only costs
    try:
        count = worker_count(files) if workers is None else workers
        with ExitStack() as stack:
            pool = stack.enter_context(_pool(count, ontology)) if count > 1 else None
            todo, given, done = files, True, {p.resolve() for p in files}
            scheduled = 0  # files given to _checks so far: their segments are numbered on
            while todo:
                checks = _checks(todo, ontology, workdir, chunk, pool, scheduled)
                scheduled += len(todo)
                for check in checks:
                    if check.unreadable:
                        unreadable.extend(check.unreadable)
                        continue
                    join.add(check, given)  # checked whatever other files are unreadable
                todo, given = _dependencies(join.sets, done), False
            graphs = join.finish(workdir, pool, unreadable)
        _add_references(graphs, ontology, workdir, chunk)
    except BaseException:
        join.close()
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        if gc_was_on:
            gc.enable()
    for graph in graphs:
        graph.workdir, graph.sharing = workdir, graphs
    # removed by closing the graphs, else when they are collected or the program exits
    if graphs:
        weakref.finalize(graphs[0], shutil.rmtree, workdir, True)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return graphs


def _dependencies(sets: Datasets, done: set[Path]) -> list[Path]:
    """The files of the used datasets not read yet, from their folders (those that exist:
    a missing one is reported by the check)."""
    out: list[Path] = []
    for _, folder in sets.missing():
        if not folder.is_dir():
            continue
        for path in collect_files([folder]):
            if path.resolve() not in done:
                done.add(path.resolve())
                out.append(path)
    return out


def _add_references(graphs: list[Graph], ontology: Ontology, workdir: Path, chunk: int) -> None:
    """The rows of the ISO 3166 reference nodes each graph refers to, written as a seed
    file (``reference.seed_text``) and checked as any other."""
    wanted = sorted({node_id for graph in graphs for node_id in graph.references})
    if not wanted:
        return
    path = workdir / f"{reference.DATASET}.yaml"
    path.write_text(reference.seed_text(wanted), encoding="utf-8")
    check = check_file(path, ontology, workdir / "reference.seg", chunk)
    if check.unreadable or check.problems:  # the reference data does not fit the ontology
        raise InputError(check.unreadable + check.problems)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    store = Spill(chunk)
    for group, segment, offset, count in check.chunks:
        if group != PENDING:  # the reference nodes' source links: not written
            store.adopt(group, segment, offset, count)
    try:
        for label in store.groups():
            rows[str(label)] = list(store.rows(label))
    finally:
        store.close()
    for graph in graphs:
        mine = set(graph.references)
        if mine:
            graph.source_titles = {**graph.source_titles, **check.source_titles}
            graph.reference_rows = {
                label: [r for r in found if r[0] in mine or label != reference.LABEL]
                for label, found in rows.items()
            }
