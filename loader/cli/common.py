"""What every casegraph command shares: consoles, and one-line errors with exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from loader.errors import CasegraphError, InputError

P = ParamSpec("P")
R = TypeVar("R")

CONTEXT = {"help_option_names": ["-h", "--help"]}


# Connection flags; flags override the NEO4J_* environment, then the local server is used.
UriOption = Annotated[
    str | None,
    typer.Option(help="Bolt URI. Env: NEO4J_URI; default: the local server.", show_default=False),
]
UserOption = Annotated[
    str | None,
    typer.Option(help="User. Env: NEO4J_USERNAME; default: neo4j.", show_default=False),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(help="Database. Env: NEO4J_DATABASE; default: neo4j.", show_default=False),
]

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, emoji=False)


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
