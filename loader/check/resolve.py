"""Relationship ends, checked against the node index: known, of an allowed pair of
labels, seen by the relationship's dataset (or an ISO 3166 reference id). ``Join.resolve``
runs ``resolve_file`` on each file's waiting relationships, in this process or in the
worker processes (``resolve_in_worker``, which reads the index from a file once).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from loader.check import worker
from loader.check.identity import identity_digest
from loader.check.records import Pending
from loader.check.spill import SegmentWriter, load_rows
from loader.errors import Problem, shown
from loader.model import reference
from loader.model.ontology import Ontology
from loader.read.yamlread import Mark


def check_ends(
    ont: Ontology,
    label_of: Callable[[str], str | None],
    path: str,
    pending: Pending,
    problems: list[Problem] | None,
    quiet_unknown: bool = False,
    owners: dict[str, str] | None = None,
) -> tuple[str, str] | None:
    """The labels of both ends of a waiting relationship when they exist and its type
    allows the pair; what is wrong goes to ``problems`` (when given), an end that is not
    found only when not ``quiet_unknown``; ``owners`` (id -> dataset, with several
    datasets) tells an unknown id from one of a dataset the relationship's does not use."""
    rtype, start, end = pending[0], pending[1], pending[2]
    a, b = label_of(start), label_of(end)
    if problems is not None:
        for which, (key, node_id, label) in enumerate((("from", start, a), ("to", end, b))):
            if label is None and not quiet_unknown:
                mark = Mark(path, pending[8 + 2 * which], pending[9 + 2 * which])
                owner = owners.get(node_id) if owners is not None else None
                if owner is None:
                    message = f"{key!r} refers to unknown id {shown(node_id)}"
                else:
                    message = (f"{key!r} refers to {shown(node_id)} of dataset {owner!r}, which "
                               f"this file's dataset does not use (add {owner!r} to its "
                               "'uses:')")  # fmt: skip
                problems.append(mark.problem(message))
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
    digests: bytes  # identity_digest of each valid relationship (not source links), in order
    segment: str  # where the kept rows are, grouped by (type, from label, to label)
    chunks: list[tuple[Any, int, int]]
    references: set[str]  # the ISO 3166 reference ids the relationships name


def resolve_file(
    ont: Ontology,
    labels: dict[str, str],
    path: str,
    chunks: list[tuple[str, int, int]],
    segment: Path,
    chunk: int,
    quiet_unknown: bool = False,
    references: bool = False,
    owners: dict[str, str] | None = None,
) -> ResolvedFile:
    """One file's waiting relationships against the node index ``labels`` (id -> label),
    for ``Join.resolve``: every file's but duplicates, which need every file (an end not
    found is not reported when ``quiet_unknown``; it may be an ISO 3166 reference id
    when ``references``; ``owners``: see ``check_ends``)."""
    problems: list[Problem] = []
    digests = bytearray()
    referred: set[str] | None = set() if references else None
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
            _resolve_rows(
                ont, between, labels, path, rows, problems, digests, out, quiet_unknown, owners,
                referred,
            )  # fmt: skip
    return ResolvedFile(problems, bytes(digests), str(segment), out.close(), referred or set())


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
    owners: dict[str, str] | None = None,
    referred: set[str] | None = None,
) -> None:
    """Each waiting relationship of ``rows`` whose ends are known and allowed: its digest
    to ``digests``, its row to ``out``; what is wrong with the others to ``problems``.
    With ``referred``, an end not in ``labels`` may be an ISO 3166 reference id (noted
    there)."""
    label = labels.get
    derived = {name for name, spec in ont.relationships.items() if spec.derived}

    def label_or_reference(node_id: str) -> str | None:
        found = label(node_id)
        if found is None and referred is not None:
            found = reference.label_of(node_id)
            if found is not None:
                referred.add(node_id)
        return found

    for pending in rows:
        rtype, start, end, key, props, digest = pending[:6]
        a, b = label(start), label(end)
        if (a is None or b is None) and referred is not None:
            a, b = label_or_reference(start), label_or_reference(end)
        if a is None or b is None or (a, b) not in between[rtype]:
            if rtype not in derived:  # a source link's: the citation check says it
                check_ends(ont, label_or_reference, path, pending, problems, quiet_unknown, owners)
            continue
        if rtype not in derived:  # a source link is one a node: a duplicate is the node's
            digests += identity_digest(rtype, start, end, key)
        out.add((rtype, a, b), (start, end, key, props, digest))


_worker_labels: tuple[str, dict[str, str]] | None = None  # the file it was read from


def resolve_in_worker(
    job: tuple[str, list[tuple[str, int, int]], str, str, int, bool, bool],
) -> ResolvedFile:
    global _worker_labels  # noqa: PLW0603 (read once per worker process)
    path, chunks, labels, segment, chunk, quiet, refs = job
    if _worker_labels is None or _worker_labels[0] != labels:
        _worker_labels = None  # the old index is freed before the new one is read
        with Path(labels).open("rb") as handle:
            _worker_labels = (labels, pickle.load(handle))  # noqa: S301 (written by this load)
    labels_of = _worker_labels[1]
    ont = worker.ontology()
    return resolve_file(ont, labels_of, path, chunks, Path(segment), chunk, quiet, refs)
