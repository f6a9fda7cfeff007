"""`casegraph query ...`: list, show and run the saved queries of cypher/."""

from __future__ import annotations

import csv
import enum
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loader.cli.common import CONTEXT, DatabaseOption, UriOption, UserOption, friendly, out

if TYPE_CHECKING:
    from loader.queries.library import QueryResult, SavedQuery

query_app = typer.Typer(
    help="The saved investigative queries (cypher/*.cypher): list, show, run.",
    context_settings=CONTEXT,
    no_args_is_help=True,
)


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


QueriesOption = Annotated[
    Path | None,
    typer.Option(
        "--queries",
        help="Directory of saved queries. Default: $CASEGRAPH_QUERIES, else cypher/ next "
        "to the loader package.",
        show_default=False,
    ),
]
OutputOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]
TimeoutOption = Annotated[
    float, typer.Option(help="Seconds before the server stops the query.", min=0.001)
]


NameArg = Annotated[str, typer.Argument(help="The query's name (see `casegraph query list`).")]


def _library(queries: Path | None) -> dict[str, SavedQuery]:
    from loader.queries.library import load_library

    return load_library(queries)


def _describe_params(query: SavedQuery) -> str:
    from loader.cypher import literal as cypher_literal

    parts = []
    for param in query.params:
        text = f"{param.name}: {param.type}"
        if param.required:
            text += f", required (e.g. {cypher_literal(param.sample())})"
        else:
            text += f" = {cypher_literal(param.default)}"
        parts.append(text)
    return "\n".join(parts)


@query_app.command("list")
@friendly
def list_queries(queries: QueriesOption = None) -> None:
    """List the saved queries: name, title, category and parameters."""
    from rich.table import Table
    from rich.text import Text

    library = _library(queries)
    if not library:
        out.print("No saved queries.")
        return
    table = Table(title=f"{len(library)} saved queries", show_lines=True)
    for column in ("name", "title", "category", "parameters"):
        table.add_column(column, overflow="fold")
    for query in library.values():
        table.add_row(
            *(
                Text(text)
                for text in (query.name, query.title, query.category, _describe_params(query))
            )
        )
    out.print(table)


@query_app.command("show")
@friendly
def show(
    name: NameArg,
    params: Annotated[
        bool,
        typer.Option(
            "--params", help="Print only the ':param' command to paste into Neo4j Browser."
        ),
    ] = False,
    queries: QueriesOption = None,
) -> None:
    """Print a saved query's file as it is (paste it into Neo4j Browser or cypher-shell)."""
    from loader.queries.library import find, param_preset

    query = find(_library(queries), name)
    if params:
        out.out(param_preset(query) or "(this query takes no parameter)", highlight=False)
        return
    text = query.path.read_text(encoding="utf-8")
    out.out(text, end="" if text.endswith("\n") else "\n", highlight=False)


@query_app.command("run")
@friendly
def run(
    name: NameArg,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="A parameter as NAME=VALUE (repeatable); typed as the query's header says. "
            "Dates: YYYY, YYYY-MM or YYYY-MM-DD; lists: a,b,c.",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = Format.table,
    timeout: TimeoutOption = 30.0,
    queries: QueriesOption = None,
    uri: UriOption = None,
    username: UserOption = None,
    database: DatabaseOption = None,
) -> None:
    """Run a saved query read-only and print its rows (table, json or csv).

    The password comes from NEO4J_PASSWORD (or the local server's stored one); it is never
    printed. Exit codes: 0 done, 1 bad query library or query failed, 2 usage (unknown
    query or parameter, bad value), 3 database unreachable or authentication failed.
    """
    from loader.queries.run import split_param_args

    given = split_param_args(param or [])
    _run_saved(name, given, output, timeout, queries, uri, username, database)


@friendly
def conflicts(
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset",
            "-d",
            help="Only the disagreements of this case (dataset).",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = Format.table,
    timeout: TimeoutOption = 30.0,
    queries: QueriesOption = None,
    uri: UriOption = None,
    username: UserOption = None,
    database: DatabaseOption = None,
) -> None:
    """Where the sources disagree: figures of one metric about one subject with different
    values, one sum in two currencies (flagged, often a conversion), a member of a list
    that another source's list leaves out. Each row says who says what.

    The saved query `conflicts` (`casegraph query show conflicts`), run read-only.

    Exit codes as for `casegraph query run`.
    """
    _run_saved(
        "conflicts", {"case": dataset or ""}, output, timeout, queries, uri, username, database
    )


def _run_saved(
    name: str,
    given: dict[str, str],
    output: Format,
    timeout: float,
    queries: Path | None,
    uri: str | None,
    username: str | None,
    database: str | None,
) -> None:
    from loader import connection
    from loader.queries.library import find
    from loader.queries.run import bind_params, run_query
    from loader.server import localserver

    query = find(_library(queries), name)
    values = bind_params(query, given)
    conn = connection.resolve(
        uri=uri, username=username, database=database, local=localserver.local_target
    )
    with connection.open_driver(conn) as driver:
        result = run_query(driver, conn.database, query, values, timeout=timeout)
    if output is Format.json:
        print(json.dumps(result.rows, ensure_ascii=False, indent=2))
    elif output is Format.csv:
        print(_csv(result), end="")
    else:
        _print_table(query, result)


def _csv(result: QueryResult) -> str:
    from loader.queries.run import cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([cell(row[column], "; ") for column in result.columns])
    return buffer.getvalue()


def _print_table(query: SavedQuery, result: QueryResult) -> None:
    from rich.table import Table
    from rich.text import Text

    from loader.queries.run import cell

    count = len(result.rows)
    table = Table(
        title=Text(query.title), caption=f"{count} row{'s' if count != 1 else ''}", show_lines=True
    )
    for column in result.columns:
        table.add_column(column, overflow="fold")
    for row in result.rows:
        table.add_row(*(Text(cell(row[column])) for column in result.columns))
    out.print(table)
