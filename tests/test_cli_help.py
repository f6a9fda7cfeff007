"""Every command answers -h with help text, and the entry points work."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import typer.main

from loader.cli.app import app


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
