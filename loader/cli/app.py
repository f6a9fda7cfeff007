"""The ``casegraph`` command line: thin wrappers over the library.

Every error the library raises on purpose (``CasegraphError``) ends here as one line on
stderr and its exit code; tracebacks never show local variables (they would hold the
Neo4j password).
"""

from __future__ import annotations

import re
import signal
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from loader import __version__
from loader.cli.browser import browser_app
from loader.cli.common import (
    CONTEXT,
    DatabaseOption,
    DatasetsOption,
    OntologyOption,
    PathsArg,
    UriOption,
    UserOption,
    err,
    fail,
    friendly,
    out,
    read_inputs,
    say,
)
from loader.cli.export import export_app
from loader.cli.neo4j import neo4j_app
from loader.cli.query import conflicts, query_app
from loader.cli.xref import xref
from loader.errors import DatabaseUnavailableError, Terminated, signal_exit_code
from loader.server import jars, localserver

if TYPE_CHECKING:
    from neo4j import Driver

    from loader.check.graph import Graph
    from loader.model.ontology import Ontology
    from loader.write.report import LoadReport

app = typer.Typer(
    help="Load investigative case data from YAML into Neo4j, and query it.",
    context_settings=CONTEXT,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(query_app, name="query")
app.add_typer(export_app, name="export")
app.command()(xref)
app.command()(conflicts)


@app.command()
def version() -> None:
    """Print casegraph's version and the Neo4j version it manages."""
    out.print(f"casegraph {__version__} (local Neo4j {jars.NEO4J_VERSION})")


@app.command()
@friendly
def validate(
    paths: PathsArg = None, ontology: OntologyOption = None, dataset: DatasetsOption = None
) -> None:
    """Check seed YAML against the ontology without a database.

    Every dataset of the input is checked, with the datasets it uses (read from their
    folders beside it when not given). Prints every problem as path:line:col: message
    and exits 1 when there is one.
    """
    with read_inputs(paths, ontology, dataset) as (ont, graphs):
        for graph in graphs:
            out.print(f"OK: dataset {graph.dataset!r}: {_describe(graph, ont.source_link)}.")


def _describe(graph: Graph, source_link: str | None) -> str:
    links = graph.rels_of(source_link) if source_link else 0
    rels = f"{graph.rel_count - links} relationships"
    counts = (  # the links are written from the nodes' sources, not by the YAML
        f"{graph.node_count} nodes, {rels} and {links} {source_link} links"
        if links
        else f"{graph.node_count} nodes and {rels}"
    )
    parts = [f"{len(graph.files)} file(s), {counts}"]
    if graph.uses:
        parts.append(f"uses {', '.join(repr(u) for u in graph.uses)}")
    if graph.references:
        parts.append(f"refers to {len(graph.references)} ISO 3166 jurisdiction(s)")
    return "; ".join(parts)


def _print_report(report: LoadReport) -> None:
    from rich.table import Table

    verb = "Would load" if report.dry_run else "Loaded"
    table = Table(title=f"{verb} dataset {report.dataset!r} (run {report.run}, {report.mode})")
    for column in ("kind", "name", "created", "changed", "unchanged", "deleted"):
        table.add_column(
            column, justify="left" if column in {"kind", "name"} else "right", overflow="fold"
        )
    for kind, rows in (("node", report.nodes), ("relationship", report.relationships)):
        for name, c in sorted(rows.items()):
            table.add_row(
                kind, name, str(c.created), str(c.changed), str(c.unchanged), str(c.deleted)
            )
    t = report.totals
    table.add_section()
    table.add_row("total", "", str(t.created), str(t.changed), str(t.unchanged), str(t.deleted))
    out.print(table)
    if report.mode == "skipped":
        out.print(
            "The input is the same as at the last successful load: nothing was written "
            "(--force writes anyway)."
        )
    if report.kept:
        out.print(
            f"{report.kept} node(s) no longer in the YAML were kept: data casegraph did not "
            "write is linked to them."
        )
    if report.retries:
        from loader.write.report import retry_reasons_text  # imported late: CLI start-up

        why = retry_reasons_text(report.retry_reasons)
        out.print(
            f"Batches retried after a transient error: {report.retries} ({why}); from the "
            "first retry on, one writer went on alone."
        )
    if report.timings:
        out.print("Time: " + ", ".join(f"{k.removesuffix('_s')} {v:.1f} s" for k, v in
                                       report.timings.items()))  # fmt: skip
    phases = getattr(report, "phases", None)  # load --bulk
    if phases:
        during = {"stop": "stop (during export_csv)"} if "export_csv" in phases else {}
        out.print("Phases: " + ", ".join(f"{during.get(name, name)} {s:.1f} s"
                                         for name, s in phases.items()))  # fmt: skip


@app.command()
@friendly
def load(
    paths: PathsArg = None,
    dataset: DatasetsOption = None,
    batch_size: Annotated[int, typer.Option(help="Rows per UNWIND batch.", min=1)] = 5000,
    single_limit: Annotated[
        int,
        typer.Option(
            help="Loads up to this many elements run in one transaction (all-or-nothing).", min=1
        ),
    ] = 100_000,
    writers: Annotated[
        int | None,
        typer.Option(
            help="Concurrent write transactions of a batched load "
            "[default: CASEGRAPH_WRITERS, else 2].",
            min=1,
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Delete this dataset's nodes and relationships no longer in the YAML."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Write even when the input is the same as the last successful load."
        ),
    ] = False,
    ontology: OntologyOption = None,
    uri: UriOption = None,
    username: UserOption = None,
    database: DatabaseOption = None,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk",
            help="First load into the EMPTY database of the local server (`casegraph neo4j "
            "start`): stop it, neo4j-admin import, start it again, create the constraints.",
        ),
    ] = False,
) -> None:
    """Validate seed YAML, then load it into Neo4j: idempotent, all-or-nothing per dataset.

    Every dataset of the input loads (or those --dataset names), each after the ones it
    uses, each in its own transaction with its own LoadRun; nothing is written unless all
    of the input is valid.

    The password comes from NEO4J_PASSWORD (or the local server's stored one); it is
    never printed. Exit codes: 0 done, 1 invalid data or failed load, 2 usage,
    3 database unreachable or authentication failed.
    """
    import json
    import sys

    from loader import connection
    from loader.model.ontology import load_ontology

    reports: list[LoadReport]
    if bulk or dry_run:
        reports = _bulk_or_dry_run(
            paths, ontology, dataset, batch_size, bulk, dry_run, prune, uri, username, database
        )
    else:
        ont = load_ontology(ontology)
        with ExitStack() as stack:
            try:
                conn = connection.resolve(
                    uri=uri, username=username, database=database, local=localserver.local_target
                )
                driver = stack.enter_context(connection.open_driver(conn))
            except DatabaseUnavailableError:
                with read_inputs(paths, ontology, dataset):  # bad input is reported first
                    pass
                raise
            show = sys.stderr.isatty() and not as_json
            reports = _load_with_progress(
                driver,
                conn.database,
                paths or [Path("seed")],
                ont,
                dataset,
                batch_size,
                prune,
                single_limit,
                show,
                force,
                writers,
            )
    if as_json:
        body = [r.to_dict() for r in reports]
        print(json.dumps(body[0] if len(body) == 1 else body, indent=2))
    else:
        for report in reports:
            _print_report(report)


def _bulk_or_dry_run(
    paths: list[Path] | None,
    ontology: Path | None,
    dataset: list[str] | None,
    batch_size: int,
    bulk: bool,
    dry_run: bool,
    prune: bool,
    uri: str | None,
    username: str | None,
    database: str | None,
) -> list[LoadReport]:
    from loader import connection
    from loader.plan.build import build_plan
    from loader.write import bulk as bulk_load
    from loader.write import writer

    if bulk:
        bulk_load.check_options(dry_run=dry_run, prune=prune)
    with read_inputs(paths, ontology, dataset) as (ont, graphs):
        plans = [build_plan(graph, ont, batch_size) for graph in graphs]
        if bulk:
            if len(plans) != 1:
                names = ", ".join(p.dataset for p in plans)
                raise fail(f"--bulk loads one dataset; the input holds {names}: name one with "
                           "--dataset", 2)  # fmt: skip
            return [
                bulk_load.load(
                    plans[0], ont, uri=uri, username=username, database=database, log=say
                )
            ]
        conn = connection.resolve(
            uri=uri, username=username, database=database, local=localserver.local_target
        )
        with connection.open_driver(conn) as driver:
            return [writer.dry_run(driver, conn.database, p, prune=prune) for p in plans]


def _load_with_progress(
    driver: Driver,
    database: str,
    paths: list[Path],
    ont: Ontology,
    datasets: list[str] | None,
    batch_size: int,
    prune: bool,
    single_limit: int,
    show: bool,
    force: bool,
    writers: int | None = None,
) -> list[LoadReport]:
    from loader.pipeline import load_datasets

    options: dict[str, Any] = {
        "datasets": datasets or None,
        "batch_size": batch_size,
        "prune": prune,
        "single_limit": single_limit,
        "force": force,
        "writers": writers,
    }
    if not show:
        return load_datasets(driver, database, paths, ont, **options)
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("Loading", total=None)

        def progress(done: int, total: int) -> None:
            if total > 10_000:
                bar.update(task, completed=done, total=total)

        return load_datasets(driver, database, paths, ont, progress=progress, **options)


app.add_typer(browser_app, name="browser")


@app.command()
@friendly
def docs(
    root: Annotated[
        Path,
        typer.Option(help="The project folder that holds docs/.", exists=True, file_okay=False),
    ] = Path("."),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when a file is out of date.")
    ] = False,
    ontology: OntologyOption = None,
) -> None:
    """Generate docs/schema.md and its Mermaid diagram (docs/ontology.mmd) from the ontology."""
    from loader.model.ontology import load_ontology
    from loader.model.schemadoc import write_docs

    paths = write_docs(root, load_ontology(ontology), check=check)
    if check and paths:
        raise fail(f"out of date: {', '.join(paths)}; run `casegraph docs`", 1)
    if check:
        out.print("docs are up to date.")
    else:
        out.print(f"Wrote {', '.join(paths)}." if paths else "docs were already up to date.")


def main() -> None:
    import logging

    # the driver logs each retry; the CLI reports the outcome as one line instead
    driver_log = logging.getLogger("neo4j")
    driver_log.addHandler(logging.NullHandler())
    driver_log.propagate = False
    signal.signal(signal.SIGTERM, _terminate)  # stops a load as Ctrl-C does
    try:
        result = app(standalone_mode=False)  # usage errors come here, not to a boxed panel
    except (KeyboardInterrupt, Terminated, typer.Abort) as exc:
        err.print("Error: interrupted", markup=False)
        sys.exit(signal_exit_code(exc))
    except Exception as exc:
        if not is_usage_error(exc):
            raise
        message = usage_message(exc)
        if message:  # none when the command was given no arguments: its help is shown
            err.print(f"Error: {message}", markup=False, soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(result if isinstance(result, int) else 0)  # a typer.Exit's code


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


def is_usage_error(exc: BaseException) -> bool:
    """Whether ``exc`` is one of the command-line errors typer raises (click's
    ``ClickException`` family: a bad flag, a missing argument, no such command). Recent
    typer versions carry a private copy of click, so they are told by their documented
    interface, ``format_message()`` and ``exit_code``, rather than by a class."""
    return callable(getattr(exc, "format_message", None)) and isinstance(
        getattr(exc, "exit_code", None), int
    )


def usage_message(exc: Exception) -> str:
    """A command-line error as one line in casegraph's style: "no such command 'lod' (did
    you mean 'load'?)", "missing argument 'name' (usage: casegraph query run ... {name})"."""
    message = str(exc.format_message()).strip().rstrip(".")  # type: ignore[attr-defined]
    message = re.sub(r"\. Did you mean (.*?)\??$", r" (did you mean \1?)", message)
    message = message.replace("(Possible options:", "(possible options:")
    message = message[:1].lower() + message[1:]
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and message.startswith(("missing", "got unexpected")):
        usage = str(ctx.get_usage()).removeprefix("Usage: ")
        message += f" (usage: {usage})"
    return message
