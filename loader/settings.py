"""Every ``CASEGRAPH_*`` environment variable casegraph reads, read here and only here.

Each one is a ``Setting`` in ``SETTINGS`` (the README's table lists the same); flags of
the command line override them. A value that is set but not of the expected kind is a
``SettingError`` naming the variable, never a silent default. The ``NEO4J_*`` variables
follow Neo4j's own convention and are read by ``loader.connection``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from loader.errors import SettingError, shown


@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # as the README says it
    meaning: str


SETTINGS = (
    Setting("CASEGRAPH_CACHE", "~/.cache/casegraph", "where the Neo4j jars and Maven are kept"),
    Setting("CASEGRAPH_MAVEN_REPOSITORY", "https://repo.maven.apache.org/maven2",
            "the Maven repository (or mirror) the jars come from"),
    Setting("CASEGRAPH_NEO4J_VERSION", "5.26.30",
            "the local server's Neo4j version (`neo4j start --version`)"),
    Setting("CASEGRAPH_NEO4J_HOME", "~/.local/share/casegraph/neo4j",
            "the local server's conf, data, logs, pid and password"),
    Setting("CASEGRAPH_BOLT_PORT", "7687", "the local server's Bolt port on 127.0.0.1"),
    Setting("CASEGRAPH_HTTP_PORT", "7474", "the local server's HTTP port (Browser) on 127.0.0.1"),
    Setting("CASEGRAPH_NEO4J_HEAP", "1g", "the local server's JVM heap"),
    Setting("CASEGRAPH_NEO4J_PAGECACHE", "1g", "the local server's page cache"),
    Setting("CASEGRAPH_ONTOLOGY", "loader/model/ontology.yaml", "the ontology (`--ontology`)"),
    Setting("CASEGRAPH_QUERIES", "cypher/", "the saved queries (`--queries`)"),
    Setting("CASEGRAPH_WORKERS", "one per core, at most 4, for inputs over 4 MB",
            "processes that check files (0: the loading process)"),
    Setting("CASEGRAPH_WRITERS", "2", "concurrent write transactions of a batched load"),
    Setting("CASEGRAPH_RETRY_SECONDS", "30", "how long transient errors are retried"),
    Setting("CASEGRAPH_BROWSER_HOME", "~/.local/share/casegraph/browser",
            "the guide server's files, pid and log"),
    Setting("CASEGRAPH_GUIDE_PORT", "8474", "the guide server's port"),
)  # fmt: skip
NAMES = frozenset(s.name for s in SETTINGS)


def text(name: str) -> str | None:
    """The variable's value, stripped; None when unset or empty."""
    assert name in NAMES, f"{name} is not a casegraph setting"
    value = os.environ.get(name, "").strip()
    return value or None


def path(name: str, default: Path) -> Path:
    value = text(name)
    return Path(value).expanduser() if value else default


def whole(name: str, default: int, minimum: int = 0) -> int:
    value = text(name)
    if value is None:
        return default
    # ASCII digits only ("\u00b2".isdigit() is true), and few enough for int()
    if not (value.isascii() and value.isdigit() and len(value) < 19) or int(value) < minimum:
        raise SettingError(f"{name} must be a whole number of {minimum} or more, "
                           f"not {shown(value)}")  # fmt: skip
    return int(value)


def port(name: str, default: int) -> int:
    """A TCP port: a whole number from 1 to 65535."""
    value = whole(name, default, minimum=1)
    if value > 65535:
        raise SettingError(f"{name} must be a port number from 1 to 65535, not {value}")
    return value


def seconds(name: str, default: float) -> float:
    value = text(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number >= 0:  # NaN too
        raise SettingError(f"{name} must be a number of seconds, not {shown(value)}")
    return number


def data_home() -> Path:
    """``XDG_DATA_HOME``, else ``~/.local/share``."""
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg else Path.home() / ".local" / "share"


def cache_home() -> Path:
    """``XDG_CACHE_HOME``, else ``~/.cache``."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg) if xdg else Path.home() / ".cache"
