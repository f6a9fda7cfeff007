"""Every command answers -h with help text, and the entry points work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main

from loader.cli.app import app
from tests.helpers import casegraph


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        found.append(path)
        if hasattr(command, "commands"):
            found.extend(_commands(command, path))
    return found


COMMANDS = _commands(typer.main.get_group(app))


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    group = typer.main.get_group(app)
    command: Any = group
    for name in path:
        command = command.commands[name]
    assert command.help, f"casegraph {' '.join(path)} has no help text"


def test_python_dash_m_loader_prints_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "loader", "-h"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "Usage:" in done.stdout
    assert "neo4j" in done.stdout


def test_browser_url_for_a_bolt_uri() -> None:
    from loader.browser.files import browser_url

    assert browser_url("neo4j://127.0.0.1:7688", 7475, "neo4j", "neo4j") == (
        "http://127.0.0.1:7475/browser/?dbms=neo4j://neo4j@127.0.0.1:7688&db=neo4j"
    )
    assert browser_url("bolt://db.example:7687", 7474, "reader", "case db") == (
        "http://db.example:7474/browser/?dbms=bolt://reader@db.example:7687&db=case%20db"
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["lod"], "Error: no such command 'lod' (did you mean 'load'?)"),
        (["load", "--prun", "seed/"],
         "Error: no such option: --prun (possible options: --dry-run, --prune)"),
        (["query", "run"],
         "Error: missing argument 'name' (usage: python -m loader query run [OPTIONS] {name})"),
        (["load", "--writers", "x", "seed/"], "Error: invalid value for '--writers': "
         "Input should be a valid integer, unable to parse string as an integer"),
    ],
)  # fmt: skip
def test_a_usage_error_is_one_line_and_exit_2(args: list[str], line: str) -> None:
    done = casegraph(*args)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [line]
    assert done.stdout == ""


def test_a_command_without_its_arguments_shows_its_help() -> None:
    done = casegraph("query")
    assert done.returncode == 2
    assert "Usage: python -m loader query [OPTIONS] COMMAND" in done.stdout + done.stderr
    assert "Error:" not in done.stdout + done.stderr


def test_a_path_that_does_not_exist_gets_no_made_up_position(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    done = casegraph("validate", "nowhere/", str(empty))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [  # sorted by path
        f"{empty}: no *.yaml or *.yml files here",
        "nowhere: no such file or directory",
        "Error: 2 problems in the input",
    ]


def test_a_seed_file_that_is_not_a_regular_file_is_named(tmp_path: Path) -> None:
    """A *.yaml that is a link to nothing or a pipe is reported, inside a folder or named,
    rather than passed over or called missing."""
    import os

    case = tmp_path / "case"
    case.mkdir()
    (case / "broken.yaml").symlink_to(tmp_path / "gone.yaml")
    os.mkfifo(case / "pipe.yaml")
    (case / "folder.yaml").mkdir()  # a folder so named is walked into, not reported
    for args in ([str(case)], [str(case / "broken.yaml"), str(case / "pipe.yaml")]):
        done = casegraph("validate", *args)
        assert done.returncode == 1
        assert done.stderr.splitlines() == [
            f"{case / 'broken.yaml'}: a symbolic link to nothing (no such file or directory)",
            f"{case / 'pipe.yaml'}: not a regular file",
            "Error: 2 problems in the input",
        ]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["validate", "seed/", "--dataset="], "Error: --dataset '' must be a name like my-case"),
        (["load", "seed/", "--dataset=-x"], "Error: --dataset '-x' must be a name like my-case"),
        (["docs", "--root", "/nonexistent-casegraph-root"],
         "Error: invalid value for '--root': dir '/nonexistent-casegraph-root' does not exist"),
    ],
)  # fmt: skip
def test_a_bad_flag_value_is_refused_before_anything_is_read_or_written(
    args: list[str], line: str
) -> None:
    done = casegraph(*args)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [line]
    assert not Path("/nonexistent-casegraph-root").exists()  # docs made no folder


def test_an_export_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    done = casegraph("export", "cypher", str(tmp_path / "missing" / "out.cypher"))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"Error: cannot write {tmp_path / 'missing' / 'out.cypher'}: No such file or directory"
    ]
    done = casegraph(
        "export", "admin-csv", "/proc/casegraph-cannot-be-here", "--dataset", "reference"
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "Error: /proc/casegraph-cannot-be-here: No such file or directory"
    ]
