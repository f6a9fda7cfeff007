"""Every CASEGRAPH_* variable is read in loader/settings.py alone, listed there once, and
documented in the README's table; a value of the wrong kind is refused, naming it."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from loader import settings
from loader.errors import SettingError
from tests.helpers import casegraph

ROOT = Path(__file__).resolve().parent.parent
NAME = re.compile(r"CASEGRAPH_[A-Z0-9_]+")


def test_every_variable_the_loader_names_is_a_setting() -> None:
    named = {m for p in ROOT.joinpath("loader").rglob("*.py") for m in NAME.findall(p.read_text())}
    assert named == settings.NAMES


def test_only_the_settings_module_reads_them() -> None:
    reads = re.compile(r"(environ|getenv)[^\n]*CASEGRAPH_|envvar=")
    readers = [
        str(p.relative_to(ROOT))
        for p in ROOT.joinpath("loader").rglob("*.py")
        if reads.search(p.read_text())
    ]
    assert readers == []  # settings.py reads them through text(), by name


def test_the_readme_table_lists_every_setting() -> None:
    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("|")]
    listed = {m for row in rows for m in NAME.findall(row.split("|")[1])}
    assert listed == settings.NAMES


def _whole(name: str) -> object:
    return settings.whole(name, 2, minimum=1 if name == "CASEGRAPH_WRITERS" else 0)


def _seconds(name: str) -> object:
    return settings.seconds(name, 30.0)


@pytest.mark.parametrize(
    ("name", "value", "read", "message"),
    [
        ("CASEGRAPH_WRITERS", "0", _whole, "a whole number of 1 or more, not '0'"),
        ("CASEGRAPH_WORKERS", "two", _whole, "a whole number of 0 or more, not 'two'"),
        ("CASEGRAPH_WORKERS", "\u00b2", _whole, "a whole number of 0 or more, not '\u00b2'"),
        (
            "CASEGRAPH_WORKERS",
            "9" * 5000,
            _whole,
            f"a whole number of 0 or more, not '{'9' * 39}...{'9' * 39}' (5,000 characters)",
        ),
        (
            "CASEGRAPH_RETRY_SECONDS",
            "1" * 5000 + "x",
            _seconds,
            f"a number of seconds, not '{'1' * 39}...{'1' * 38}x' (5,001 characters)",
        ),
        (
            "CASEGRAPH_GUIDE_PORT",
            "99999",
            lambda n: settings.port(n, 8474),
            "a port number from 1 to 65535, not 99999",
        ),
        (
            "CASEGRAPH_BOLT_PORT",
            "0",
            lambda n: settings.port(n, 7687),
            "a whole number of 1 or more, not '0'",
        ),
        ("CASEGRAPH_RETRY_SECONDS", "-1", _seconds, "a number of seconds, not '-1'"),
        ("CASEGRAPH_RETRY_SECONDS", "nan", _seconds, "a number of seconds, not 'nan'"),
    ],
)
def test_a_value_of_the_wrong_kind_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, read: Any, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError) as info:
        read(name)
    assert str(info.value) == f"{name} must be {message}"


def test_unset_or_empty_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASEGRAPH_WRITERS", raising=False)
    assert settings.whole("CASEGRAPH_WRITERS", 2, minimum=1) == 2
    monkeypatch.setenv("CASEGRAPH_WRITERS", "  ")
    assert settings.whole("CASEGRAPH_WRITERS", 2, minimum=1) == 2
    monkeypatch.setenv("CASEGRAPH_WRITERS", " 3 ")
    assert settings.whole("CASEGRAPH_WRITERS", 2, minimum=1) == 3


def test_the_callers_variables_are_kept_out() -> None:
    """The suite is hermetic (tests/conftest.py): no CASEGRAPH_* or NEO4J_* variable the
    caller exported reaches a test or the casegraph processes it starts."""
    leaked = sorted(n for n in os.environ if n.startswith(("CASEGRAPH_", "NEO4J_")))
    assert leaked == []
    done = casegraph("validate", "tests/data/mini", "--ontology", "tests/data/ontology.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
