"""The client side of each approach, run by ``benchmarks/run.py`` in a subprocess of its own.

Each subcommand prints one JSON object on stdout (timings in seconds); the parent reads
the subprocess's peak RSS with ``os.wait4``. The password comes from NEO4J_PASSWORD.

- ``casegraph DIR``: the library in sequence (read_graph / build_plan / writer.load),
  each phase timed; ``--encode`` also packs every batch with the driver's PackStream
  encoder after the load (client-side cost, no server).
- ``export DIR OUT``: casegraph's admin-csv export (the input of neo4j-admin import).
- ``naive DIR``: what a user writes first: PyYAML's C loader, then one auto-commit MERGE
  per node and one MATCH..MATCH..MERGE per relationship through the official driver, on
  a sample (the first relationships and their end nodes) unless ``--full``.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from loader.check.validate import cut, read_graph
from loader.heap import old_objects_frozen
from loader.model.ontology import Ontology, load_ontology
from loader.plan.build import DEFAULT_BATCH, Plan, build_plan
from loader.read.paths import collect_files
from loader.read.pieces import read_piece
from loader.read.yamlread import read_file


def _driver(args: argparse.Namespace) -> Any:
    """The naive loop's driver: the defaults a user starts with."""
    from neo4j import GraphDatabase

    return GraphDatabase.driver(args.uri, auth=(args.user, os.environ.get("NEO4J_PASSWORD", "")))


def _casegraph_driver(args: argparse.Namespace) -> Any:
    """The driver `casegraph load` opens (its settings, a pool large enough for the lock
    and the writers)."""
    from loader import connection

    conn = connection.resolve(
        uri=args.uri,
        username=args.user,
        password=os.environ.get("NEO4J_PASSWORD", ""),
        database=args.database,
    )
    return connection.open_driver(conn)


def encode_seconds(plan: Plan) -> float | None:
    """Time to read every batch's rows and encode them as the writer sends them
    (``Batch.rows``) with the driver's PackStream packer (no server).

    Uses the driver's private codec modules; None when they moved in another version.
    """
    try:
        from neo4j._codec.hydration.bolt.v2 import HydrationHandler
        from neo4j._codec.packstream.v1 import Packer
    except ImportError:
        return None
    hooks = HydrationHandler().dehydration_hooks
    began = time.perf_counter()
    with old_objects_frozen():  # as writer.load does
        for batch in plan.batches:
            buffer = io.BytesIO()
            Packer(buffer).pack({"rows": batch.rows}, dehydration_hooks=hooks)
    return time.perf_counter() - began


def cmd_casegraph(args: argparse.Namespace) -> dict[str, Any]:
    """What `casegraph load` runs (loader.pipeline): the unchanged-input check from the
    bytes, then parse, plan and write, each timed by the pipeline itself."""
    from loader.pipeline import load_files

    t0 = time.perf_counter()
    ont = load_ontology()
    with _casegraph_driver(args) as driver:
        report = load_files(
            driver,
            args.database,
            [args.dir],
            ont,
            dataset=args.dataset,
            force=args.force,
            batch_size=args.batch_size,
        )
    t1 = time.perf_counter()
    timings = report.timings
    totals = report.totals
    out: dict[str, Any] = {
        "check_s": timings.get("check_s", 0.0),
        "parse_s": timings.get("parse_s", 0.0),
        "plan_s": timings.get("plan_s", 0.0),
        "write_s": timings.get("write_s", 0.0),
        "total_s": t1 - t0,
        "nodes": sum(c.created + c.changed + c.unchanged for c in report.nodes.values()),
        "rels": sum(c.created + c.changed + c.unchanged for c in report.relationships.values()),
        "mode": report.mode,
        "status": report.status,
        "totals": vars(totals),
        "batch_retries": report.retries,
        "batch_retry_reasons": report.retry_reasons,
        "batch_halvings": report.halvings,
    }
    if args.encode:
        graph = read_graph([args.dir], ont, args.dataset)
        plan = build_plan(graph, ont, args.batch_size)
        out["batches"] = len(plan.batches)  # of a batched load; one transaction otherwise
        out["encode_s"] = encode_seconds(plan)
        del plan
        graph.close()
        del graph
        out.update(parse_validate_split(args.dir, ont, args.dataset))
    return out


def parse_validate_split(directory: Path, ont: Ontology, dataset: str | None) -> dict[str, float]:
    """read_graph's two halves timed apart, both in this process (no worker processes, so
    the figures are CPU per record, not wall with two workers): YAML reading alone, then
    read_graph; validation is the difference. Run after the load, so the load's times are
    untouched. Files are read as the load reads them: large ones in pieces."""
    gc.collect()
    t0 = time.perf_counter()
    gc.disable()  # as read_graph does while it parses
    try:
        for path in collect_files([directory]):
            split = cut(path)
            if split is None:
                read_file(path)
            for piece in split or []:
                read_piece(path, piece)
    finally:
        gc.enable()
    t1 = time.perf_counter()
    read_graph([directory], ont, dataset, workers=0).close()
    t2 = time.perf_counter()
    return {"yaml_read_1p_s": t1 - t0, "validate_1p_s": (t2 - t1) - (t1 - t0)}


def cmd_export(args: argparse.Namespace) -> dict[str, Any]:
    from loader.export.exports import write_admin_csv

    t0 = time.perf_counter()
    ont = load_ontology()
    graph = read_graph([args.dir], ont, args.dataset)
    t1 = time.perf_counter()
    plan = build_plan(graph, ont)
    t2 = time.perf_counter()
    import_args = write_admin_csv(plan, ont, args.out)
    t3 = time.perf_counter()
    return {
        "parse_s": t1 - t0,
        "plan_s": t2 - t1,
        "export_s": t3 - t2,
        "nodes": graph.node_count,
        "rels": graph.rel_count,
        "args": import_args,
        "schema": [s.text for s in plan.schema],
    }


def read_records(
    directory: Path, source_link: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every node and relationship record, with PyYAML's C loader (YAML 1.1 typing), and
    with ``source_link`` a relationship of that type from each source a node cites to it
    (what casegraph writes beside the records: the same graph, loaded the naive way)."""
    nodes: list[dict[str, Any]] = []
    rels: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.yaml")):
        with path.open("rb") as fh:
            data = yaml.load(fh, Loader=yaml.CSafeLoader)
        nodes.extend(data.get("nodes") or [])
        rels.extend(data.get("relationships") or [])
    if source_link is not None:
        rels.extend(
            {"type": source_link, "from": source, "to": node["id"], "caption": source_link}
            for node in nodes
            for source in dict.fromkeys(node.get("sources") or [])
            if source != node["id"]
        )
    return nodes, rels


def sample(
    nodes: list[dict[str, Any]], rels: list[dict[str, Any]], size: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """About ``size`` records: the first relationships, their end nodes, then more nodes."""
    if len(nodes) + len(rels) <= size:
        return nodes, rels
    by_id = {n["id"]: n for n in nodes}
    picked_rels = rels[: max(1, size // 3)]
    wanted: dict[str, None] = {}
    for rel in picked_rels:
        wanted[rel["from"]] = None
        wanted[rel["to"]] = None
    for node in nodes:
        if len(wanted) >= size - len(picked_rels):
            break
        wanted[node["id"]] = None
    return [by_id[i] for i in wanted], picked_rels


def _tick(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def cmd_naive(args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    ont = load_ontology()
    nodes, rels = read_records(args.dir, ont.source_link)
    t1 = time.perf_counter()
    identity = {name: spec.identity for name, spec in ont.relationships.items()}
    label_of = {n["id"]: n["type"] for n in nodes}
    todo_nodes, todo_rels = (nodes, rels) if args.full else sample(nodes, rels, args.sample)
    with _driver(args) as driver, driver.session(database=args.database) as session:
        for label in sorted(ont.labels):
            session.run(
                f"CREATE CONSTRAINT IF NOT EXISTS FOR (n:{_tick(label)}) REQUIRE n.id IS UNIQUE"
            ).consume()
        t2 = time.perf_counter()
        node_times = _Times()
        for node in todo_nodes:
            props = {k: v for k, v in node.items() if k not in {"id", "type"}}
            text = f"MERGE (n:{_tick(node['type'])} {{id: $id}}) SET n += $props"
            began = time.perf_counter()
            session.run(text, id=node["id"], props=props).consume()
            node_times.add(text, time.perf_counter() - began)
        t3 = time.perf_counter()
        rel_times = _Times()
        for rel in todo_rels:
            rtype = rel["type"]
            props = {k: v for k, v in rel.items() if k not in {"type", "from", "to"}}
            key = json.dumps([str(rel.get(p)) for p in identity[rtype]])
            text = (
                f"MATCH (a:{_tick(label_of[rel['from']])} {{id: $start}}) "
                f"MATCH (b:{_tick(label_of[rel['to']])} {{id: $end}}) "
                f"MERGE (a)-[r:{_tick(rtype)} {{key: $key}}]->(b) SET r += $props"
            )
            began = time.perf_counter()
            session.run(text, start=rel["from"], end=rel["to"], key=key, props=props).consume()
            rel_times.add(text, time.perf_counter() - began)
        t4 = time.perf_counter()
    extrapolated = len(todo_nodes) < len(nodes) or len(todo_rels) < len(rels)
    full_write = node_times.estimate(len(nodes)) + rel_times.estimate(len(rels))
    return {
        "parse_s": t1 - t0,
        "schema_s": t2 - t1,
        "node_write_s": t3 - t2,
        "rel_write_s": t4 - t3,
        "nodes": len(nodes),
        "rels": len(rels),
        "sample_nodes": len(todo_nodes),
        "sample_rels": len(todo_rels),
        "extrapolated": extrapolated,
        "write_s": full_write if extrapolated else t4 - t2,
        "total_s": (t2 - t0) + (full_write if extrapolated else t4 - t2),
        "node_ms": node_times.steady() * 1000,
        "rel_ms": rel_times.steady() * 1000,
        "first_run_s": node_times.first + rel_times.first,
    }


class _Times:
    """Per-statement times: the first run of each query text (plan compilation) apart."""

    def __init__(self) -> None:
        self.texts: set[str] = set()
        self.first = 0.0
        self.rest = 0.0
        self.count = 0

    def add(self, text: str, seconds: float) -> None:
        if text in self.texts:
            self.rest += seconds
            self.count += 1
        else:
            self.texts.add(text)
            self.first += seconds

    def steady(self) -> float:
        return self.rest / self.count if self.count else 0.0

    def estimate(self, total: int) -> float:
        """Time for ``total`` statements: the compilations once, the rest at the steady rate."""
        return self.first + max(0, total - len(self.texts)) * self.steady()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="One benchmark client (run by run.py).")
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("casegraph", "export", "naive"):
        p = sub.add_parser(name)
        p.add_argument("dir", type=Path)
        p.add_argument("--dataset", default=None)
        if name != "export":
            p.add_argument("--uri", required=True)
            p.add_argument("--user", default="neo4j")
            p.add_argument("--database", default="neo4j")
    sub.choices["casegraph"].add_argument("--encode", action="store_true")
    sub.choices["casegraph"].add_argument("--force", action="store_true")
    sub.choices["casegraph"].add_argument("--batch-size", type=int, default=DEFAULT_BATCH)
    sub.choices["export"].add_argument("out", type=Path)
    sub.choices["naive"].add_argument("--sample", type=int, default=2000)
    sub.choices["naive"].add_argument("--full", action="store_true")
    args = parser.parse_args(argv)
    handler = {"casegraph": cmd_casegraph, "export": cmd_export, "naive": cmd_naive}[args.cmd]
    print(json.dumps(handler(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
