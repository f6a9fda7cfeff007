"""py2neo's bulk API (``merge_nodes`` / ``merge_relationships``) on the same YAML.

Runs with the python of a throwaway venv that has py2neo and PyYAML (never casegraph's
venv); imports nothing from casegraph. One transaction per batch of BATCH rows, one
batch list per label and per (type, from label, to label); relationships merge on the
same ``key`` as casegraph's. Prints one JSON object; the password comes from
NEO4J_PASSWORD. Usage: python py2neo_client.py DIR URI [DATABASE] (identity JSON on stdin).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from py2neo import Graph
from py2neo.bulk import merge_nodes, merge_relationships

BATCH = 5000


def main() -> int:
    directory, uri = Path(sys.argv[1]), sys.argv[2]
    database = sys.argv[3] if len(sys.argv) > 3 else "neo4j"
    given = json.loads(sys.stdin.read())
    identity: dict[str, list[str]] = given["identity"]
    link: str | None = given["source_link"]  # from each source a node cites, to it
    t0 = time.perf_counter()
    nodes: list[dict[str, Any]] = []
    rels: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.yaml")):
        with path.open("rb") as fh:
            data = yaml.load(fh, Loader=yaml.CSafeLoader)
        nodes.extend(data.get("nodes") or [])
        rels.extend(data.get("relationships") or [])
    if link is not None:  # what casegraph writes beside the records (clients.read_records)
        rels.extend(
            {"type": link, "from": source, "to": node["id"], "caption": link}
            for node in nodes
            for source in dict.fromkeys(node.get("sources") or [])
            if source != node["id"]
        )
    by_label: dict[str, list[dict[str, Any]]] = {}
    for node in nodes:
        by_label.setdefault(node["type"], []).append({k: v for k, v in node.items() if k != "type"})
    label_of = {n["id"]: n["type"] for n in nodes}
    by_type: dict[tuple[str, str, str], list[tuple[Any, ...]]] = {}
    for rel in rels:
        rtype = rel["type"]
        props = {k: v for k, v in rel.items() if k not in {"type", "from", "to"}}
        props["key"] = json.dumps([str(rel.get(p)) for p in identity[rtype]])
        group = (rtype, label_of[rel["from"]], label_of[rel["to"]])
        by_type.setdefault(group, []).append(((rel["from"],), props, (rel["to"],)))
    t1 = time.perf_counter()
    graph = Graph(uri, auth=("neo4j", os.environ.get("NEO4J_PASSWORD", "")), name=database)
    for label, rows in sorted(by_label.items()):
        for i in range(0, len(rows), BATCH):
            tx = graph.begin()
            merge_nodes(tx, rows[i : i + BATCH], (label, "id"))
            graph.commit(tx)
    t2 = time.perf_counter()
    for (rtype, start, end), triples in sorted(by_type.items()):
        for i in range(0, len(triples), BATCH):
            tx = graph.begin()
            merge_relationships(
                tx,
                triples[i : i + BATCH],
                (rtype, "key"),
                start_node_key=(start, "id"),
                end_node_key=(end, "id"),
            )
            graph.commit(tx)
    t3 = time.perf_counter()
    import py2neo

    print(
        json.dumps(
            {
                "parse_s": t1 - t0,
                "node_write_s": t2 - t1,
                "rel_write_s": t3 - t2,
                "write_s": t3 - t1,
                "total_s": t3 - t0,
                "nodes": len(nodes),
                "rels": len(rels),
                "version": py2neo.__version__,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
