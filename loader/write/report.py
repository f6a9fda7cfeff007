"""What a load did: created, changed, unchanged and deleted elements by label and type,
retries and halvings, the time of each phase; as the CLI prints it and as JSON."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from loader.plan.build import Plan


@dataclass
class Counts:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def add(self, other: Counts) -> None:
        self.created += other.created
        self.changed += other.changed
        self.unchanged += other.unchanged
        self.deleted += other.deleted


def retry_reasons_text(reasons: dict[str, int]) -> str:
    """``code: n, code: n``, by code: why batches were retried."""
    return ", ".join(f"{code}: {n}" for code, n in sorted(reasons.items()))


@dataclass
class LoadReport:
    run: str
    dataset: str
    checksum: str
    mode: str
    dry_run: bool = False
    status: str = "running"
    nodes: dict[str, Counts] = field(default_factory=dict)
    relationships: dict[str, Counts] = field(default_factory=dict)
    kept: int = 0  # stale nodes kept because data casegraph did not write links to them
    halvings: int = 0  # batches split in two after a transaction memory limit
    # batches tried again after a transient error (a deadlock, a leader switch), by the
    # error's code (or the driver's exception)
    retry_reasons: dict[str, int] = field(default_factory=dict)
    pruned: bool = False
    first_load: bool = False  # no element of the dataset was in the database: CREATE
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase

    @property
    def retries(self) -> int:
        return sum(self.retry_reasons.values())

    def count(self, kind: str, name: str) -> Counts:
        table = self.nodes if kind == "node" else self.relationships
        return table.setdefault(name, Counts())

    @property
    def totals(self) -> Counts:
        total = Counts()
        for counts in [*self.nodes.values(), *self.relationships.values()]:
            total.add(counts)
        return total

    def to_dict(self) -> dict[str, Any]:
        def table(t: dict[str, Counts]) -> dict[str, dict[str, int]]:
            return {name: vars(c) for name, c in sorted(t.items())}

        return {
            "run": self.run,
            "dataset": self.dataset,
            "status": self.status,
            "dry_run": self.dry_run,
            "mode": self.mode,
            "checksum": self.checksum,
            "totals": vars(self.totals),
            "nodes": table(self.nodes),
            "relationships": table(self.relationships),
            "kept_linked_nodes": self.kept,
            "batch_halvings": self.halvings,
            "batch_retries": self.retries,
            "batch_retry_reasons": dict(sorted(self.retry_reasons.items())),
            "first_load": self.first_load,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }


def new_report(plan: Plan, single_limit: int, dry_run: bool = False) -> LoadReport:
    return LoadReport(
        run=uuid.uuid4().hex,
        dataset=plan.dataset,
        checksum=plan.checksum,
        mode="single" if plan.size <= single_limit else "batched",
        dry_run=dry_run,
    )


def element_counts(report: LoadReport) -> str:
    """Elements per label and type (whatever happened to them), as JSON for the LoadRun."""

    def sizes(table: dict[str, Counts]) -> dict[str, int]:
        return {k: c.created + c.changed + c.unchanged for k, c in sorted(table.items())}

    return json.dumps({"nodes": sizes(report.nodes), "relationships": sizes(report.relationships)})
