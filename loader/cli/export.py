"""`casegraph export ...`: the load plan as a Cypher script or as neo4j-admin CSVs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from loader.cli.common import (
    CONTEXT,
    DatasetOption,
    DatasetsOption,
    OntologyOption,
    fail,
    friendly,
    out,
    read_input,
    read_inputs,
)

export_app = typer.Typer(
    help="Write the load plan as a Cypher script or as CSVs for neo4j-admin import.",
    context_settings=CONTEXT,
    no_args_is_help=True,
)


@export_app.command("cypher")
@friendly
def export_cypher(
    file: Annotated[Path, typer.Argument(help="The script to write ('-' for stdout).")],
    paths: Annotated[
        list[Path] | None,
        typer.Option("--input", "-i", help="Seed files or directories (default: seed/)."),
    ] = None,
    dataset: DatasetsOption = None,
    batch_size: Annotated[int, typer.Option(help="Rows per statement.", min=1)] = 1000,
    ontology: OntologyOption = None,
) -> None:
    """An idempotent Cypher script (constraints + MERGE, no APOC) for cypher-shell or Browser.

    With several datasets, one script after another, in the order they load."""
    from loader.export.exports import cypher_script
    from loader.plan.build import build_plan

    with read_inputs(paths, ontology, dataset) as (ont, graphs):
        script = "\n".join(cypher_script(build_plan(g, ont, batch_size)) for g in graphs)
        nodes, rels = sum(g.node_count for g in graphs), sum(g.rel_count for g in graphs)
    if str(file) == "-":
        sys.stdout.write(script)
        return
    part = file.with_name(f".{file.name}.part")  # an old script stays whole until replaced
    try:
        part.write_text(script, encoding="utf-8")
        part.replace(file)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise fail(f"cannot write {file}: {exc.strerror}", 1) from None
    out.print(f"Wrote {file} ({nodes} nodes, {rels} relationships).")


@export_app.command("admin-csv")
@friendly
def export_admin_csv(
    directory: Annotated[Path, typer.Argument(help="Folder for the CSVs and README.md.")],
    paths: Annotated[
        list[Path] | None,
        typer.Option("--input", "-i", help="Seed files or directories (default: seed/)."),
    ] = None,
    dataset: DatasetOption = None,
    ontology: OntologyOption = None,
) -> None:
    """CSVs with typed headers for `neo4j-admin database import full`, and the command."""
    from loader.export.exports import write_admin_csv
    from loader.plan.build import build_plan

    ont, graph = read_input(paths, ontology, dataset)
    write_admin_csv(build_plan(graph, ont), ont, directory)
    out.print(f"Wrote {directory}: see {directory / 'README.md'} for the import command.")
