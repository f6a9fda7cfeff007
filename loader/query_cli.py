"""`casegraph query ...`: list, show and run the saved queries of cypher/."""

from __future__ import annotations

import typer

from loader.cli_common import CONTEXT

query_app = typer.Typer(
    help="The saved investigative queries (cypher/*.cypher): list, show, run.",
    context_settings=CONTEXT,
    no_args_is_help=True,
)
