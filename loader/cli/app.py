"""The ``casegraph`` command line: thin wrappers over the library.

Every error the library raises on purpose (``CasegraphError``) ends here as one line on
stderr and its exit code; tracebacks never show local variables (they would hold the
Neo4j password).
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from loader import __version__
from loader.cli.common import (
    CONTEXT,
    DatabaseOption,
    UriOption,
    UserOption,
    err,
    fail,
    friendly,
    out,
)
from loader.cli.query import QueriesOption, query_app
from loader.errors import DatabaseUnavailableError
from loader.server import localserver

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
neo4j_app = typer.Typer(
    help="Run a local Neo4j Community server from Maven jars (no Docker needed).",
    context_settings=CONTEXT,
    no_args_is_help=True,
)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(query_app, name="query")
export_app = typer.Typer(
    help="Write the load plan as a Cypher script or as CSVs for neo4j-admin import.",
    context_settings=CONTEXT,
    no_args_is_help=True,
)
app.add_typer(export_app, name="export")

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Server home (conf, data, logs). Default: $CASEGRAPH_NEO4J_HOME or "
        "~/.local/share/casegraph/neo4j.",
        show_default=False,
    ),
]


def _home(home: Path | None) -> Path:
    return (home or localserver.default_home()).expanduser().resolve()


def _say(message: str) -> None:
    err.print(message, markup=False, soft_wrap=True)


@app.command()
def version() -> None:
    """Print casegraph's version and the Neo4j version it manages."""
    out.print(f"casegraph {__version__} (local Neo4j {localserver.NEO4J_VERSION})")


@neo4j_app.command("start")
@friendly
def neo4j_start(
    home: HomeOption = None,
    bolt_port: Annotated[
        int, typer.Option(envvar="CASEGRAPH_BOLT_PORT", help="Bolt port on 127.0.0.1.")
    ] = 7687,
    http_port: Annotated[
        int,
        typer.Option(envvar="CASEGRAPH_HTTP_PORT", help="HTTP port (Neo4j Browser) on 127.0.0.1."),
    ] = 7474,
    heap: Annotated[str, typer.Option(envvar="CASEGRAPH_NEO4J_HEAP", help="JVM heap size.")] = "1g",
    pagecache: Annotated[
        str, typer.Option(envvar="CASEGRAPH_NEO4J_PAGECACHE", help="Page cache size.")
    ] = "1g",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt to answer.")] = 180.0,
) -> None:
    """Fetch Neo4j Community (once), configure it on 127.0.0.1 and start it.

    The password comes from NEO4J_PASSWORD, or is generated, printed once and stored
    in the server home for the other casegraph commands.
    """
    config = localserver.ServerConfig(
        home=_home(home),
        bolt_port=bolt_port,
        http_port=http_port,
        heap=heap,
        pagecache=pagecache,
        timeout=timeout,
    )
    state = localserver.start(config, log=_say)
    out.print(f"Neo4j {state.version} is running (pid {state.pid}).")
    out.print(f"  Bolt:    {state.bolt_uri}")
    out.print(f"  Browser: {state.browser_url}")


@neo4j_app.command("stop")
@friendly
def neo4j_stop(home: HomeOption = None) -> None:
    """Stop the local server cleanly and wait until its process is gone."""
    state = localserver.stop(_home(home))
    if state is None:
        out.print("Neo4j is not running.")
    else:
        out.print(f"Neo4j stopped (pid {state.pid}).")


@neo4j_app.command("status")
@friendly
def neo4j_status(home: HomeOption = None) -> None:
    """Say whether the local server runs, its version and its URLs. Exit 1 when stopped."""
    state = localserver.running_state(_home(home))
    if state is None:
        out.print("Neo4j is not running. Start it with `casegraph neo4j start`.")
        raise typer.Exit(1)
    out.print(f"Neo4j {state.version} is running (pid {state.pid}).")
    out.print(f"  Bolt:    {state.bolt_uri}")
    out.print(f"  Browser: {state.browser_url}")
    out.print(f"  Home:    {_home(home)}")


PathsArg = Annotated[
    list[Path] | None,
    typer.Argument(
        help="Seed files or directories (every *.yaml/*.yml under them).", show_default=False
    ),
]
OntologyOption = Annotated[
    Path | None,
    typer.Option(
        "--ontology",
        envvar="CASEGRAPH_ONTOLOGY",
        help="Ontology YAML. Default: the one shipped in loader/model/ontology.yaml.",
        show_default=False,
    ),
]
DatasetOption = Annotated[
    str | None,
    typer.Option(
        "--dataset", help="Dataset name; default: the files' 'dataset:' key.", show_default=False
    ),
]


def _read(
    paths: list[Path] | None, ontology: Path | None, dataset: str | None
) -> tuple[Ontology, Graph]:
    from loader.check.validate import read_graph
    from loader.model.ontology import load_ontology

    ont = load_ontology(ontology)
    return ont, read_graph(paths or [Path("seed")], ont, dataset)


@app.command()
@friendly
def validate(
    paths: PathsArg = None, ontology: OntologyOption = None, dataset: DatasetOption = None
) -> None:
    """Check seed YAML against the ontology without a database.

    Prints every problem as path:line:col: message and exits 1 when there is one.
    """
    _, graph = _read(paths, ontology, dataset)
    out.print(
        f"OK: {len(graph.files)} file(s), {graph.node_count} nodes and "
        f"{graph.rel_count} relationships in dataset {graph.dataset!r}."
    )


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
    dataset: DatasetOption = None,
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
    """Validate seed YAML, then load it into Neo4j: idempotent, all-or-nothing.

    The password comes from NEO4J_PASSWORD (or the local server's stored one); it is
    never printed. Exit codes: 0 done, 1 invalid data or failed load, 2 usage,
    3 database unreachable or authentication failed.
    """
    import json
    import sys

    from loader import connection
    from loader.model.ontology import load_ontology
    from loader.plan.build import build_plan
    from loader.write import bulk as bulk_load
    from loader.write import writer

    report: LoadReport
    if bulk or dry_run:
        if bulk:
            bulk_load.check_options(dry_run=dry_run, prune=prune)
        ont, graph = _read(paths, ontology, dataset)
        plan = build_plan(graph, ont, batch_size)
        if bulk:
            report = bulk_load.load(
                plan, ont, uri=uri, username=username, database=database, log=_say
            )
        else:
            conn = connection.resolve(uri=uri, username=username, database=database)
            with connection.open_driver(conn) as driver:
                report = writer.dry_run(driver, conn.database, plan, prune=prune)
    else:
        ont = load_ontology(ontology)
        with ExitStack() as stack:
            try:
                conn = connection.resolve(uri=uri, username=username, database=database)
                driver = stack.enter_context(connection.open_driver(conn))
            except DatabaseUnavailableError:
                _read(paths, ontology, dataset)  # bad input is reported first
                raise
            show = sys.stderr.isatty() and not as_json
            report = _load_with_progress(
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
        print(json.dumps(report.to_dict(), indent=2))
    else:
        _print_report(report)


def _load_with_progress(
    driver: Driver,
    database: str,
    paths: list[Path],
    ont: Ontology,
    dataset: str | None,
    batch_size: int,
    prune: bool,
    single_limit: int,
    show: bool,
    force: bool,
    writers: int | None = None,
) -> LoadReport:
    from loader.pipeline import load_files

    options: dict[str, Any] = {
        "dataset": dataset,
        "batch_size": batch_size,
        "prune": prune,
        "single_limit": single_limit,
        "force": force,
        "writers": writers,
    }
    if not show:
        return load_files(driver, database, paths, ont, **options)
    from rich.progress import Progress

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("Loading", total=None)

        def progress(done: int, total: int) -> None:
            if total > 10_000:
                bar.update(task, completed=done, total=total)

        return load_files(driver, database, paths, ont, progress=progress, **options)


browser_app = typer.Typer(
    help="Neo4j Browser: its link, and the saved queries as favorites, a guide and a style.",
    context_settings=CONTEXT,
)
app.add_typer(browser_app, name="browser")
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="Where Browser will fetch the files, for the guide's :style command and links. "
        "Default: http://127.0.0.1:8474 (build), the server's own address (serve).",
        show_default=False,
    ),
]


def _browser_files(
    out_dir: Path, base_url: str, queries: Path | None, ontology: Path | None
) -> list[Path]:
    from loader.browser.files import build
    from loader.model.ontology import load_ontology
    from loader.queries.library import load_library

    return build(out_dir, load_library(queries), load_ontology(ontology), base_url)


@browser_app.callback(invoke_without_command=True)
@friendly
def browser(ctx: typer.Context, home: HomeOption = None) -> None:
    """Print how to open the case graph in Neo4j Browser (same as `casegraph browser show`)."""
    if ctx.invoked_subcommand is None:
        browser_show(home)


@browser_app.command("show")
@friendly
def browser_show(home: HomeOption = None) -> None:
    """Print the Browser link, and the :play, :style and favorites of the saved queries."""
    import os

    from loader.browser import guideserver
    from loader.browser.files import DEFAULT_PORT, FAVORITES, GUIDE, STYLE, browser_url

    state = localserver.running_state(_home(home))
    env_uri = os.environ.get("NEO4J_URI")
    uri = env_uri or (state.bolt_uri if state else None)
    if uri is None:
        out.print("No Neo4j found: start one with `casegraph neo4j start` or set NEO4J_URI.")
        raise typer.Exit(3)
    user = os.environ.get("NEO4J_USERNAME", "neo4j")
    http_port = state.http_port if state and not env_uri else 7474
    url = browser_url(uri, http_port, user, os.environ.get("NEO4J_DATABASE", "neo4j"))
    out.print(f"Neo4j Browser: {url}")
    out.print(f"  user {user}; the password is NEO4J_PASSWORD or, for the local server, in")
    out.print(f"  {localserver.password_file(_home(home))}")
    guide_home = guideserver.default_home()
    served = guideserver.running(guide_home)
    port = os.environ.get("CASEGRAPH_GUIDE_PORT", "")
    default = guideserver.base_url("127.0.0.1", int(port) if port.isdigit() else DEFAULT_PORT)
    base = served.base_url if served else default
    site = Path(served.directory) if served else guideserver.site_dir(guide_home)
    status = f"running, pid {served.pid}" if served else "not running"
    out.print(f"Saved queries in Neo4j Browser (guide server {base}: {status}):")
    out.print(f"  guide:      :play {base}/{GUIDE}    (or :guide {base}/{GUIDE})")
    out.print(f"  style:      :style {base}/{STYLE}")
    out.print(f"  favorites:  drop {site / FAVORITES} on the Browser window")
    out.print(
        "  shared:     MATCH (q:SavedQuery) RETURN q.title, q.query  (casegraph browser publish)"
    )
    if not served:
        out.print("  Start the guide server with `casegraph browser serve --background`.")


@browser_app.command("build")
@friendly
def browser_build(
    out_dir: Annotated[
        Path | None,
        typer.Argument(
            help="Folder for the files. Default: site/ in $CASEGRAPH_BROWSER_HOME or "
            "~/.local/share/casegraph/browser.",
            show_default=False,
        ),
    ] = None,
    base_url: BaseUrlOption = None,
    queries: QueriesOption = None,
    ontology: OntologyOption = None,
) -> None:
    """Write the favorites zip, the guide (guide.html) and the style (casegraph.grass)."""
    from loader.browser import guideserver
    from loader.browser.files import DEFAULT_BASE_URL

    target = out_dir or guideserver.site_dir(guideserver.default_home())
    paths = _browser_files(target, base_url or DEFAULT_BASE_URL, queries, ontology)
    out.print(f"Wrote {', '.join(str(p) for p in paths)}.")


@browser_app.command("serve")
@friendly
def browser_serve(
    port: Annotated[
        int, typer.Option(envvar="CASEGRAPH_GUIDE_PORT", help="Port to listen on.", min=1)
    ] = 8474,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    background: Annotated[
        bool, typer.Option("--background", help="Run detached; stop with `casegraph browser stop`.")
    ] = False,
    base_url: BaseUrlOption = None,
    queries: QueriesOption = None,
    ontology: OntologyOption = None,
) -> None:
    """Build the files, then serve them with CORS headers for :play, :guide and :style."""
    from loader.browser import guideserver
    from loader.browser.files import GUIDE, STYLE

    home = guideserver.default_home()
    site = guideserver.site_dir(home)
    served = guideserver.base_url(host, port)
    current = guideserver.running(home)
    if not (background and current and (current.host, current.port) == (host, port)):
        guideserver.check_port(host, port)  # before writing anything
    _browser_files(site, base_url or served, queries, ontology)
    if background:
        state = guideserver.start_background(site, home, host, port)
        out.print(
            f"Guide server running on {served} (pid {state.pid}); log {guideserver.log_file(home)}"
        )
    else:
        out.print(f"Serving {site} on {served} (Ctrl-C stops).")
    out.print(f"  :play {served}/{GUIDE}")
    out.print(f"  :style {served}/{STYLE}")
    if not background:
        guideserver.serve(site, host, port)


@browser_app.command("stop")
@friendly
def browser_stop() -> None:
    """Stop the guide server started with `casegraph browser serve --background`."""
    from loader.browser import guideserver

    state = guideserver.stop(guideserver.default_home())
    out.print(f"Guide server stopped (pid {state.pid})." if state else "No guide server runs.")


@browser_app.command("publish")
@friendly
def browser_publish(
    queries: QueriesOption = None,
    uri: UriOption = None,
    username: UserOption = None,
    database: DatabaseOption = None,
) -> None:
    """Write the saved queries into the graph as (:SavedQuery) nodes, shared by all its users.

    MERGE on name; nodes of queries that left the library are removed. Idempotent.
    Exit codes: 0 done, 1 bad library or failed write, 3 database unreachable.
    """
    from loader import connection
    from loader.browser.files import publish
    from loader.queries.library import load_library

    library = load_library(queries)
    conn = connection.resolve(uri=uri, username=username, database=database)
    with connection.open_driver(conn) as driver:
        report = publish(driver, conn.database, library)
    out.print(
        f"Published {len(library)} saved queries to database {conn.database!r}: "
        f"{len(report.created)} created, {len(report.changed)} changed, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed."
    )


@app.command()
@friendly
def docs(
    root: Annotated[Path, typer.Option(help="The project folder that holds docs/.")] = Path("."),
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; exit 1 when a file is out of date.")
    ] = False,
    ontology: OntologyOption = None,
) -> None:
    """Generate docs/schema.md and the ontology picture from the ontology."""
    from loader.model.ontology import load_ontology
    from loader.model.schemadoc import write_docs

    paths = write_docs(root, load_ontology(ontology), check=check)
    if check and paths:
        raise fail(f"out of date: {', '.join(paths)}; run `casegraph docs`", 1)
    if check:
        out.print("docs are up to date.")
    else:
        out.print(f"Wrote {', '.join(paths)}." if paths else "docs were already up to date.")


@export_app.command("cypher")
@friendly
def export_cypher(
    file: Annotated[Path, typer.Argument(help="The script to write ('-' for stdout).")],
    paths: Annotated[
        list[Path] | None,
        typer.Option("--input", "-i", help="Seed files or directories (default: seed/)."),
    ] = None,
    dataset: DatasetOption = None,
    batch_size: Annotated[int, typer.Option(help="Rows per statement.", min=1)] = 1000,
    ontology: OntologyOption = None,
) -> None:
    """An idempotent Cypher script (constraints + MERGE, no APOC) for cypher-shell or Browser."""
    from loader.export.exports import cypher_script
    from loader.plan.build import build_plan

    ont, graph = _read(paths, ontology, dataset)
    script = cypher_script(build_plan(graph, ont, batch_size))
    if str(file) == "-":
        sys.stdout.write(script)
        return
    file.write_text(script, encoding="utf-8")
    out.print(f"Wrote {file} ({graph.node_count} nodes, {graph.rel_count} relationships).")


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

    ont, graph = _read(paths, ontology, dataset)
    write_admin_csv(build_plan(graph, ont), ont, directory)
    out.print(f"Wrote {directory}: see {directory / 'README.md'} for the import command.")


def main() -> None:
    import logging

    # the driver logs each retry; the CLI reports the outcome as one line instead
    driver_log = logging.getLogger("neo4j")
    driver_log.addHandler(logging.NullHandler())
    driver_log.propagate = False
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
