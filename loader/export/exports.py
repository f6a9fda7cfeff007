"""Exporters that read the same plan as the Neo4j writer.

- ``cypher_script``: constraints, then one statement per batch that binds the rows as a
  literal list and runs the writer's own query body; idempotent (MERGE), no APOC, runs
  in cypher-shell (``-f FILE``) and in Neo4j Browser.
- ``write_admin_csv``: typed CSV files for ``neo4j-admin database import full``, with the
  exact command and the constraints to create afterwards in a README.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from loader.cypher import literal
from loader.heap import old_objects_frozen
from loader.model.ontology import SOURCE_FIELDS, SOURCE_TITLES, Ontology, PropertySpec
from loader.model.values import CSV_TYPES
from loader.plan.build import Plan

ARRAY_DELIMITER = "\x1f"  # validation keeps control characters out of every value
ARRAY_DELIMITER_ARG = "U+001F"


def export_run_id(plan: Plan) -> str:
    return f"export-{plan.checksum[:16]}"


def cypher_script(plan: Plan) -> str:
    lines = [
        f"// casegraph export of dataset {plan.dataset!r}, input checksum {plan.checksum}",
        "// Idempotent: run it again and nothing changes. cypher-shell -f FILE, or Neo4j Browser.",
        "",
    ]
    lines.extend(stmt.text + ";" for stmt in plan.schema)
    head = (
        f"WITH {{rows}} AS rows, {literal(plan.dataset)} AS dataset, "
        f"{literal(export_run_id(plan))} AS run, datetime() AS now\n"
    )
    for batch in plan.batches:
        lines.append("")
        lines.append(f"// {batch.kind} {batch.name}: {batch.size} rows")
        lines.append(head.replace("{rows}", literal(batch.rows), 1) + batch.body + ";")
    return "\n".join(lines) + "\n"


# --- neo4j-admin CSV ---------------------------------------------------------------------


def _csv_field(value: Any, kind: str = "") -> str:
    """A value as a field of neo4j-admin's CSV; a scalar date (ISO text in the plan's
    rows) is written bare, like a number."""
    if value is None:
        return ""
    if kind == "date":
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return '"' + ARRAY_DELIMITER.join(str(v) for v in value).replace('"', '""') + '"'
    return '"' + str(value).replace('"', '""') + '"'


def _columns(props: dict[str, PropertySpec], cited: set[str]) -> list[tuple[str, str]]:
    """(property, neo4j-admin type) for each stored property of an ontology type; for
    those in ``cited`` (given with their sources), the values and sources beside them."""
    columns = []
    for name, spec in sorted(props.items()):
        suffix = "[]" if spec.list else ""
        columns.append((name, CSV_TYPES[spec.type] + suffix))
        if spec.type == "date":
            columns.append((f"{name}_precision", "string" + suffix))
        if name in cited:
            columns.append((f"{name}_values", CSV_TYPES[spec.type] + "[]"))
            if spec.type == "date":
                columns.append((f"{name}_values_precision", "string[]"))
            columns.append((f"{name}_sources", "string[]"))
    return columns


def _keys(batches: Iterable[Any], name: str) -> set[str]:
    """The property keys the rows of the type ``name`` have."""
    return {
        key for batch in batches if batch.name == name for row in batch.rows for key in row["props"]
    }


def _own_columns(specs: dict[str, PropertySpec], keys: set[str]) -> list[tuple[str, str]]:
    """The columns of an ontology type's properties, and those beside them that its rows
    have: the values of a property cited with its sources, what each source says."""
    cited = {key.removesuffix("_sources") for key in keys if key.endswith("_sources")}
    said = [(name, "string[]") for name in (*SOURCE_FIELDS.values(), SOURCE_TITLES) if name in keys]
    return _columns(specs, cited) + said


BOOKKEEPING = [
    ("sources", "string[]"),
    ("status", "string"),
    ("dataset", "string"),
    ("load_run", "string"),
    ("first_seen", "datetime"),
    ("last_seen", "datetime"),
    ("content_hash", "string"),
]


def _write(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\n")
        for row in rows:
            out.write(",".join(row) + "\n")


def write_admin_csv(
    plan: Plan, ont: Ontology, directory: Path, now: dt.datetime | None = None
) -> list[str]:
    """Write the CSVs, constraints.cypher and README.md; return the import arguments."""
    plan.require_self_contained("export admin-csv")
    directory.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    book = {"dataset": plan.dataset, "load_run": export_run_id(plan), "first_seen": now,
            "last_seen": now}  # fmt: skip
    with old_objects_frozen():
        args = _write_csvs(plan, ont, directory, {k: _csv_field(v) for k, v in book.items()})
    args += [f"--array-delimiter={ARRAY_DELIMITER_ARG}", "--multiline-fields=true"]
    (directory / "constraints.cypher").write_text(
        "\n".join(stmt.text + ";" for stmt in plan.schema) + "\n", encoding="utf-8"
    )
    command = " \\\n  ".join(["neo4j-admin database import full neo4j", *args,
                              "--overwrite-destination"])  # fmt: skip
    (directory / "README.md").write_text(
        f"# neo4j-admin import of dataset `{plan.dataset}`\n\n"
        "Written by `casegraph export admin-csv`. Stop the server, then run from this "
        "folder (the database `neo4j` is replaced):\n\n"
        f"```sh\n{command}\n```\n\n"
        "Start the server and create the constraints (Community cannot create them "
        "during the import):\n\n"
        "```sh\ncypher-shell -f constraints.cypher\n```\n\n"
        "Arrays use U+001F as delimiter and fields may span lines, hence the two options.\n",
        encoding="utf-8",
    )
    return args


def _write_csvs(plan: Plan, ont: Ontology, directory: Path, book: dict[str, str]) -> list[str]:
    """One CSV per label and per relationship type; ``book``: bookkeeping fields, written
    once (the same on every row)."""
    args: list[str] = []
    for label in sorted({b.name for b in plan.nodes}):
        specs = ont.labels[label].properties
        cols = _own_columns(specs, _keys(plan.nodes, label)) + BOOKKEEPING
        header = ["id:ID"] + [f"{name}:{kind}" for name, kind in cols]
        rows = (
            [_csv_field(row["id"])]
            + [book[n] if n in book else _csv_field(row["props"].get(n), k) for n, k in cols[:-1]]
            + [_csv_field(row["hash"])]
            for batch in plan.nodes
            if batch.name == label
            for row in batch.rows
        )
        path = directory / f"nodes-{label}.csv"
        _write(path, header, rows)
        # ./: neo4j-admin of the calendar releases wants a file's folder named
        args.append(f"--nodes={ont.quote(label).strip('`')}=./{path.name}")
    for rtype in sorted({b.name for b in plan.rels}):
        specs = ont.relationships[rtype].properties
        own = _own_columns(specs, _keys(plan.rels, rtype))
        cols = [("key", "string"), ("caption", "string"), *own, *BOOKKEEPING]
        header = [":START_ID", ":END_ID"] + [f"{name}:{kind}" for name, kind in cols]
        rows = (
            [_csv_field(row["start"]), _csv_field(row["end"])]
            + [book[n] if n in book else _csv_field(row["props"].get(n), k) for n, k in cols[:-1]]
            + [_csv_field(row["hash"])]
            for batch in plan.rels
            if batch.name == rtype
            for row in batch.rows
        )
        path = directory / f"relationships-{rtype}.csv"
        _write(path, header, rows)
        args.append(f"--relationships={ont.quote(rtype).strip('`')}=./{path.name}")
    return args
