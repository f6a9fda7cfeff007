"""Validated graph -> load plan. Pure: no I/O, so dry runs, exporters and golden tests share it.

A plan is schema statements (uniqueness constraint on ``id`` per label, the ontology's
indexes) and batches: one query text per label or per (type, from label, to label), the
rows as parameters. Labels and types enter query text only through ``Ontology.quote``.

Each query starts with a head that binds ``rows``, ``dataset``, ``run`` and ``now``: for
the driver that head reads parameters; the Cypher exporter writes literals instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from loader.graph import Graph, Node, Rel
from loader.ontology import Ontology

DEFAULT_BATCH = 5_000
PARAM_HEAD = "WITH $rows AS rows, $dataset AS dataset, $run AS run, $now AS now\n"

NODE_BODY = """UNWIND rows AS row
MERGE (n:{label} {{id: row.id}})
WITH n, row, dataset, run, now, n.content_hash AS before, coalesce(n.first_seen, now) AS first
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.hash THEN [1] ELSE [] END |
  SET n = row.props, n.first_seen = first, n.content_hash = row.hash)
SET n.dataset = dataset, n.load_run = run, n.last_seen = now
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before <> row.hash THEN 1 END) AS changed"""

REL_BODY = """UNWIND rows AS row
MATCH (a:{start} {{id: row.start}})
MATCH (b:{end} {{id: row.end}})
MERGE (a)-[r:{type} {{key: row.key}}]->(b)
WITH r, row, dataset, run, now, r.content_hash AS before, coalesce(r.first_seen, now) AS first
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.hash THEN [1] ELSE [] END |
  SET r = row.props, r.first_seen = first, r.content_hash = row.hash)
SET r.dataset = dataset, r.load_run = run, r.last_seen = now
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before <> row.hash THEN 1 END) AS changed"""

NODE_DIFF = """UNWIND $rows AS row
OPTIONAL MATCH (n:{label} {{id: row.id}})
RETURN count(*) AS rows, count(CASE WHEN n IS NULL THEN 1 END) AS created,
       count(CASE WHEN n.content_hash <> row.hash THEN 1 END) AS changed"""

REL_DIFF = """UNWIND $rows AS row
OPTIONAL MATCH (:{start} {{id: row.start}})-[r:{type} {{key: row.key}}]->(:{end} {{id: row.end}})
RETURN count(*) AS rows, count(CASE WHEN r IS NULL THEN 1 END) AS created,
       count(CASE WHEN r.content_hash <> row.hash THEN 1 END) AS changed"""

OWNERS = """UNWIND $nodes AS node
MATCH (n:{label} {{id: node.id}})
WHERE n.dataset IS NULL OR n.dataset <> $dataset OR node.label <> $label
RETURN n.id AS id, n.dataset AS owner, $label AS label, node.label AS wanted LIMIT 5"""

PRUNE_RELS = """MATCH (a)-[r:{type}]->(b)
WHERE r.dataset = $dataset AND NOT [a.id, b.id, r.key] IN $keep
{action}"""

PRUNE_NODES = """MATCH (n:{label})
WHERE n.dataset = $dataset AND NOT n.id IN $keep AND NOT EXISTS {{ (n)--() }}
DELETE n RETURN count(*) AS deleted"""

COUNT_STALE_NODES = """MATCH (n:{label})
WHERE n.dataset = $dataset AND NOT n.id IN $keep
RETURN count(n) AS deleted"""

PRUNE_NODES_KEPT = """MATCH (n:{label})
WHERE n.dataset = $dataset AND NOT n.id IN $keep AND EXISTS {{ (n)--() }}
RETURN count(n) AS kept"""


@dataclass(frozen=True)
class Statement:
    text: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Batch:
    kind: str  # "node" | "rel"
    name: str  # label, or relationship type
    body: str  # query text after the head
    diff: str  # read-only query that counts what this batch would create or change
    rows: list[dict[str, Any]]


@dataclass
class PruneStep:
    kind: str
    name: str
    delete: str
    count: str
    kept: str | None
    keep: list[Any]


@dataclass
class Plan:
    dataset: str
    checksum: str
    schema: list[Statement]
    nodes: list[Batch]
    rels: list[Batch]
    owners: list[Statement]
    prune: list[PruneStep]

    @property
    def batches(self) -> list[Batch]:
        return [*self.nodes, *self.rels]

    @property
    def size(self) -> int:
        return sum(len(b.rows) for b in self.batches)


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def content_hash(kind: str, props: dict[str, Any]) -> str:
    """A short, stable hash of an element's type and properties (sources and status too)."""
    text = json.dumps(
        [kind, {k: _canonical(v) for k, v in sorted(props.items())}],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def node_row(node: Node) -> dict[str, Any]:
    return {"id": node.id, "props": node.props, "hash": content_hash(node.label, node.props)}


def rel_row(rel: Rel) -> dict[str, Any]:
    return {
        "start": rel.start,
        "end": rel.end,
        "key": rel.key,
        "props": rel.props,
        "hash": content_hash(rel.type, rel.props),
    }


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def schema_statements(ont: Ontology) -> list[Statement]:
    out = []
    for label in sorted([*ont.labels, "LoadRun"]):
        name = ont.object_name(label, "id")
        q = ont.quote(label)
        out.append(
            Statement(f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{q}) REQUIRE n.id IS UNIQUE")
        )
    lock = ont.quote("LoadLock")
    out.append(
        Statement(
            f"CREATE CONSTRAINT {ont.object_name('LoadLock', 'dataset')} IF NOT EXISTS "
            f"FOR (n:{lock}) REQUIRE n.dataset IS UNIQUE"
        )
    )
    for label, spec in sorted(ont.labels.items()):
        for prop in spec.indexes:
            name, q, p = ont.object_name(label, prop), ont.quote(label), ont.quote(prop)
            out.append(Statement(f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{q}) ON (n.{p})"))
    return out


def build_plan(graph: Graph, ont: Ontology, batch_size: int = DEFAULT_BATCH) -> Plan:
    by_label: dict[str, list[dict[str, Any]]] = {}
    for node in graph.nodes:
        by_label.setdefault(node.label, []).append(node_row(node))
    by_type: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for rel in graph.rels:
        by_type.setdefault((rel.type, rel.start_label, rel.end_label), []).append(rel_row(rel))

    nodes: list[Batch] = []
    owners: list[Statement] = []
    for label in sorted(by_label):
        rows = by_label[label]
        q = ont.quote(label)
        body = NODE_BODY.format(label=q)
        diff = NODE_DIFF.format(label=q)
        nodes.extend(Batch("node", label, body, diff, chunk) for chunk in _chunks(rows, batch_size))
    # ids are global: one owner (dataset) and one label each, whatever label the load gives
    every = [{"id": n.id, "label": n.label} for n in graph.nodes]
    for label in sorted(ont.labels):
        params = {"nodes": every, "dataset": graph.dataset, "label": label}
        owners.append(Statement(OWNERS.format(label=ont.quote(label)), params))
    rels: list[Batch] = []
    for rtype, start, end in sorted(by_type):
        rows = by_type[(rtype, start, end)]
        fmt = {"type": ont.quote(rtype), "start": ont.quote(start), "end": ont.quote(end)}
        body, diff = REL_BODY.format(**fmt), REL_DIFF.format(**fmt)
        rels.extend(Batch("rel", rtype, body, diff, chunk) for chunk in _chunks(rows, batch_size))

    prune: list[PruneStep] = []
    for rtype in sorted(ont.relationships):
        keep = sorted(
            [r["start"], r["end"], r["key"]]
            for (t, _, _), rows in by_type.items()
            if t == rtype
            for r in rows
        )
        text = PRUNE_RELS.format(type=ont.quote(rtype), action="{action}")
        prune.append(
            PruneStep(
                "rel",
                rtype,
                text.format(action="DELETE r RETURN count(*) AS deleted"),
                text.format(action="RETURN count(r) AS deleted"),
                None,
                keep,
            )
        )
    for label in sorted(ont.labels):
        keep_ids = sorted(r["id"] for r in by_label.get(label, []))
        q = ont.quote(label)
        prune.append(
            PruneStep(
                "node",
                label,
                PRUNE_NODES.format(label=q),
                COUNT_STALE_NODES.format(label=q),
                PRUNE_NODES_KEPT.format(label=q),
                keep_ids,
            )
        )
    return Plan(
        dataset=graph.dataset,
        checksum=graph.checksum,
        schema=schema_statements(ont),
        nodes=nodes,
        rels=rels,
        owners=owners,
        prune=prune,
    )
