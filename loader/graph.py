"""The validated graph: what the YAML says, typed by the ontology, ready to plan.

Property maps hold Neo4j-ready values: dates are ``datetime.date`` with a sibling
``<name>_precision``; empty values are left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loader.yamlread import Mark


@dataclass(slots=True)
class Node:
    id: str
    label: str
    props: dict[str, Any]
    mark: Mark


@dataclass(slots=True)
class Rel:
    type: str
    start: str
    end: str
    start_label: str
    end_label: str
    key: str
    props: dict[str, Any]
    mark: Mark

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.type, self.start, self.end, self.key)


@dataclass
class Graph:
    dataset: str
    nodes: list[Node] = field(default_factory=list)
    rels: list[Rel] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    checksum: str = ""
