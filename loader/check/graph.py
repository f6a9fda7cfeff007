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

    @property
    def node_count(self) -> int:
        return len(self.node_rows)

    @property
    def rel_count(self) -> int:
        return len(self.rel_rows)

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

    def close(self) -> None:
        self.node_rows.close()
        self.rel_rows.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
