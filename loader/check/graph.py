"""The validated graph: what the YAML says, typed by the ontology, ready to plan.

Property maps hold Neo4j-ready values: dates are ``datetime.date`` with a sibling
``<name>_precision``; empty values are left out. The rows live in two ``Spill`` stores
(nodes grouped by label, relationships by type and end labels), so a large case is not
held in memory; ``nodes`` and ``rels`` iterate over them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loader.check.spill import Spill


@dataclass(slots=True)
class Node:
    id: str
    label: str
    props: dict[str, Any]
    hash: str = ""


@dataclass(slots=True)
class Rel:
    type: str
    start: str
    end: str
    start_label: str
    end_label: str
    key: str
    props: dict[str, Any]
    hash: str = ""


@dataclass
class Graph:
    """Node rows are ``(id, props, hash)`` keyed by label; relationship rows are
    ``(start, end, key, props, hash)`` keyed by ``(type, start label, end label)``."""

    dataset: str
    node_rows: Spill = field(default_factory=Spill)
    rel_rows: Spill = field(default_factory=Spill)
    files: list[str] = field(default_factory=list)
    checksum: str = ""
    workdir: Path | None = None  # the segment files the rows are in (removed by close)
    uses: list[str] = field(default_factory=list)  # the datasets it uses, directly or not
    # the ISO 3166 reference ids its relationships name (loader.model.reference), and
    # their rows (with the reference source's) by label, created by the load when missing
    references: list[str] = field(default_factory=list)
    reference_rows: dict[str, list[tuple[str, dict[str, Any], str]]] = field(default_factory=dict)
    # the ids its relationships name that other datasets define: id -> (label, dataset)
    external: dict[str, tuple[str, str]] = field(default_factory=dict)
    # the title of each Source it may cite (id -> title), shown on the claims that cite it
    source_titles: dict[str, str] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return len(self.node_rows)

    @property
    def rel_count(self) -> int:
        return len(self.rel_rows)

    def rels_of(self, rtype: str) -> int:
        """How many relationships of one type."""
        count = 0
        for group in self.rel_rows.groups():
            if group[0] == rtype:  # type: ignore[index]
                count += self.rel_rows.count(group)
        return count

    @property
    def nodes(self) -> Iterator[Node]:
        for label in self.node_rows.groups():
            for node_id, props, digest in self.node_rows.rows(label):
                yield Node(node_id, str(label), props, digest)

    @property
    def rels(self) -> Iterator[Rel]:
        for group in self.rel_rows.groups():
            rtype, start_label, end_label = (str(part) for part in group)  # type: ignore[attr-defined]
            for start, end, key, props, digest in self.rel_rows.rows(group):
                yield Rel(rtype, start, end, start_label, end_label, key, props, digest)

    sharing: list[Graph] = field(
        default_factory=list, repr=False, compare=False
    )  # graphs of one workdir
    closed: bool = False

    def close(self) -> None:
        """Free the rows; the workdir goes with the last open graph of one check."""
        self.node_rows.close()
        self.rel_rows.close()
        closed, self.closed = self.closed, True
        if closed or self.workdir is None:
            return
        if all(other.closed for other in self.sharing):
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.workdir = None
