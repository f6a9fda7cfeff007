"""A canonical dump of what casegraph wrote: compare two databases or two runs exactly.

Bookkeeping that differs between runs (``load_run``, ``first_seen``, ``last_seen``) and
the ``(:LoadRun)`` and ``(:LoadLock)`` nodes are left out; everything else is kept, values as text.
"""

from __future__ import annotations

import json
from typing import Any

from neo4j import Driver

VOLATILE = frozenset({"load_run", "first_seen", "last_seen"})

NODES = """MATCH (n) WHERE NOT n:LoadRun AND NOT n:LoadLock
RETURN labels(n) AS labels, properties(n) AS props"""
RELS = """MATCH (a)-[r]->(b) WHERE NOT a:LoadRun AND NOT b:LoadRun
RETURN type(r) AS type, a.id AS start, b.id AS end, properties(r) AS props"""


def _text(value: Any) -> Any:
    if isinstance(value, list):
        return [_text(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return f"{type(value).__name__}:{value.iso_format() if hasattr(value, 'iso_format') else value}"


def _props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: _text(v) for k, v in sorted(props.items()) if k not in VOLATILE}


def canonical_dump(driver: Driver, database: str) -> dict[str, list[Any]]:
    """Every node and relationship (but casegraph's own), sorted, with stable properties."""
    nodes, _, _ = driver.execute_query(NODES, database_=database)
    rels, _, _ = driver.execute_query(RELS, database_=database)
    node_rows = [[sorted(r["labels"]), _props(r["props"])] for r in nodes]
    rel_rows = [[r["type"], r["start"], r["end"], _props(r["props"])] for r in rels]
    return {
        "nodes": sorted(node_rows, key=row_order),
        "relationships": sorted(rel_rows, key=row_order),
    }


def row_order(row: list[Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False)
