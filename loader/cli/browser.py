"""`casegraph browser ...`: the Browser link, and the saved queries as favorites, a guide
and a style sheet, served or published."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loader import settings
from loader.cli.common import (
    CONTEXT,
    DatabaseOption,
    HomeOption,
    OntologyOption,
    UriOption,
    UserOption,
    friendly,
    home_dir,
    out,
)
from loader.cli.query import QueriesOption
from loader.server import localserver

browser_app = typer.Typer(
    help="Neo4j Browser: its link, and the saved queries as favorites, a guide and a style.",
    context_settings=CONTEXT,
)
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
    from loader.browser.files import FAVORITES, GUIDE, STYLE, browser_url

    state = localserver.running_state(home_dir(home))
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
    out.print(f"  {localserver.password_file(home_dir(home))}")
    guide_home = guideserver.default_home()
    served = guideserver.running(guide_home)
    base = served.base_url if served else guideserver.default_base_url()
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
        int | None,
        typer.Option(
            help="Port to listen on [default: CASEGRAPH_GUIDE_PORT, else 8474].",
            min=1,
            max=65535,
            show_default=False,
        ),
    ] = None,
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
    from loader.browser.files import DEFAULT_PORT, GUIDE, STYLE

    if port is None:
        port = settings.port("CASEGRAPH_GUIDE_PORT", DEFAULT_PORT)

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
    conn = connection.resolve(
        uri=uri, username=username, database=database, local=localserver.local_target
    )
    with connection.open_driver(conn) as driver:
        report = publish(driver, conn.database, library)
    out.print(
        f"Published {len(library)} saved queries to database {conn.database!r}: "
        f"{len(report.created)} created, {len(report.changed)} changed, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed."
    )
