"""What every casegraph command shares: consoles, and one-line errors with exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from loader.errors import CasegraphError, InputError

P = ParamSpec("P")
R = TypeVar("R")

CONTEXT = {"help_option_names": ["-h", "--help"]}

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
