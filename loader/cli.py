"""The ``casegraph`` command line: thin wrappers over the library.

Every error the library raises on purpose (``CasegraphError``) ends here as one line on
stderr and its exit code; tracebacks never show local variables (they would hold the
Neo4j password).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from loader import __version__, localserver
from loader.errors import CasegraphError, InputError

P = ParamSpec("P")
R = TypeVar("R")

CONTEXT = {"help_option_names": ["-h", "--help"]}
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

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int) -> typer.Exit:
    err.print(f"Error: {message}", markup=False, soft_wrap=True)
    return typer.Exit(code)


def friendly(func: Callable[P, R]) -> Callable[P, R]:
    """Turn casegraph's own errors into one line each and the error's exit code."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                err.print(str(problem), markup=False, soft_wrap=True)
            raise fail(str(exc), exc.exit_code) from None
        except CasegraphError as exc:
            raise fail(str(exc), exc.exit_code) from None

    return wrapper


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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
