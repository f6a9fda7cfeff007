"""What every casegraph command shares: consoles, and one-line errors with exit codes."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from loader.errors import CasegraphError, InputError, Terminated, signal_exit_code, signal_in
from loader.server import localserver

if TYPE_CHECKING:
    from loader.check.graph import Graph
    from loader.model.ontology import Ontology

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
        except (KeyboardInterrupt, Terminated) as exc:  # outside a load's own handling
            raise fail("interrupted", signal_exit_code(exc)) from None
        except OSError as exc:  # a file the command writes or reads: a folder missing, ...
            if signal_in(exc) is not None:
                raise fail("interrupted", signal_exit_code(exc)) from None
            where = f"{exc.filename}: " if exc.filename else ""
            raise fail(f"{where}{exc.strerror or exc}", 1) from None
        except Exception as exc:  # an error of the clean-up after a signal is the signal
            if signal_in(exc) is None:
                raise
            raise fail("interrupted", signal_exit_code(exc)) from None

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


def home_dir(home: Path | None) -> Path:
    return (home or localserver.default_home()).expanduser().resolve()


def say(message: str) -> None:
    err.print(message, markup=False, soft_wrap=True)


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
        help="Ontology YAML. Default: $CASEGRAPH_ONTOLOGY, else the one shipped in "
        "loader/model/ontology.yaml.",
        show_default=False,
    ),
]
DatasetsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--dataset",
        help="Only this dataset of the input (repeat for several); the datasets it uses are "
        "checked too. Default: every dataset of the input.",
        show_default=False,
    ),
]
DatasetOption = Annotated[
    str | None,
    typer.Option(
        "--dataset",
        help="The dataset of the input to take; needed when the input holds several.",
        show_default=False,
    ),
]


@contextmanager
def read_inputs(
    paths: list[Path] | None, ontology: Path | None, datasets: list[str] | None
) -> Iterator[tuple[Ontology, list[Graph]]]:
    """The checked graph of every dataset of the input (or of those named), in the order
    they load; closed (their temporary rows removed) when the block ends."""
    from loader.check.validate import read_graphs
    from loader.model.ontology import load_ontology

    ont = load_ontology(ontology)
    graphs = read_graphs(paths or [Path("seed")], ont, datasets or None)
    try:
        yield ont, graphs
    finally:
        for graph in graphs:
            graph.close()


def read_input(
    paths: list[Path] | None, ontology: Path | None, dataset: str | None
) -> tuple[Ontology, Graph]:
    """The checked graph of the one dataset of the input, or of the one named."""
    from loader.check.validate import read_graph
    from loader.model.ontology import load_ontology

    ont = load_ontology(ontology)
    return ont, read_graph(paths or [Path("seed")], ont, dataset)
