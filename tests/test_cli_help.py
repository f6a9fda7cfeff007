"""Every command answers -h with help text, and the entry points work."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import typer.main

from loader.cli import app


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
