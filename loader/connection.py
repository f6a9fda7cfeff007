"""Where to connect: flags, then the NEO4J_* environment, then the local server.

Neo4j's own convention is followed: ``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``,
``NEO4J_DATABASE``. When no URI is given anywhere, the caller's ``local`` says which
server to use (the command line passes the one ``casegraph neo4j start`` runs, and its
stored password, or an error when it does not run); this module knows nothing of it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TypeVar

from neo4j import Driver, GraphDatabase, RoutingControl, Session
from neo4j.exceptions import AuthError, ClientError, ConfigurationError, ServiceUnavailable

from loader import settings
from loader.errors import DatabaseUnavailableError

DEFAULT_URI = "neo4j://127.0.0.1:7687"
C = TypeVar("C", Driver, Session)


@dataclass(frozen=True)
class Connection:
    uri: str
    username: str
    password: str
    database: str

    def __repr__(self) -> str:  # never show the password, even in a traceback
        return (
            f"Connection(uri={self.uri!r}, username={self.username!r}, "
            f"database={self.database!r}, password=***)"
        )


# the Bolt URI and stored password of the server to use when no URI is given; it raises
# DatabaseUnavailableError (saying why and what to do) when there is none
LocalServer = Callable[[], tuple[str, str | None]]


def resolve(
    uri: str | None = None,
    username: str | None = None,
    password: str | None = None,
    database: str | None = None,
    local: LocalServer | None = None,
) -> Connection:
    """Flags, then the ``NEO4J_*`` environment; with no URI in either, ``local()`` (the
    command line's: the server ``casegraph neo4j start`` runs, or an error saying it does
    not run), else ``DEFAULT_URI``."""
    env = os.environ
    uri = uri or env.get("NEO4J_URI")
    found = None
    if not uri:
        found = local() if local is not None else None
        uri = found[0] if found else DEFAULT_URI
    if password is None:
        password = env.get("NEO4J_PASSWORD")
        if password is None and found is not None:
            password = found[1]
    return Connection(
        uri=uri,
        username=username or env.get("NEO4J_USERNAME") or "neo4j",
        password=password or "",
        database=database or env.get("NEO4J_DATABASE") or "neo4j",
    )


def retry_seconds() -> float:
    """How long a transaction is retried on transient errors (``CASEGRAPH_RETRY_SECONDS``)."""
    return settings.seconds("CASEGRAPH_RETRY_SECONDS", 30.0)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200].rstrip(":")


@contextmanager
def open_driver(conn: Connection) -> Iterator[Driver]:
    """A driver that has proven it can reach the server and the database."""
    try:
        driver = GraphDatabase.driver(
            conn.uri,
            auth=(conn.username, conn.password),
            notifications_min_severity="OFF",
            max_transaction_retry_time=retry_seconds(),
        )
    except (ValueError, ConfigurationError) as exc:
        raise DatabaseUnavailableError(f"bad Neo4j URI {conn.uri!r}: {exc}") from None
    with _closed(driver):
        try:
            driver.verify_connectivity()
            driver.execute_query("RETURN 1", database_=conn.database, routing_=RoutingControl.READ)
        except AuthError:
            raise DatabaseUnavailableError(
                f"Neo4j at {conn.uri} refused user {conn.username!r}: check NEO4J_USERNAME "
                "and NEO4J_PASSWORD"
            ) from None
        except ServiceUnavailable as exc:
            raise DatabaseUnavailableError(
                f"cannot reach Neo4j at {conn.uri} ({_first_line(exc)}): start it with "
                "`casegraph neo4j start` (or `docker compose up -d`), or set NEO4J_URI"
            ) from None
        except ClientError as exc:
            raise DatabaseUnavailableError(
                f"Neo4j at {conn.uri} refused database {conn.database!r}: {exc.message}"
            ) from None
        except OSError as exc:
            raise DatabaseUnavailableError(f"cannot reach Neo4j at {conn.uri}: {exc}") from None
        yield driver


@contextmanager
def session(driver: Driver, database: str, **config: object) -> Iterator[Session]:
    """A session of ``database``, closed on the way out. When the body raised, a failure
    to close is not shown: the body's error is the one that counts. The command line's
    SIGINT and SIGTERM handlers raise inside the driver's socket read, which leaves the
    connection mid-message; closing it then fails (a ``BufferError`` of the driver's
    buffer), and that must not hide the signal. The server rolls back what was open when
    the connection goes. Every session casegraph opens is opened here."""
    with _closed(driver.session(database=database, **config)) as opened:  # type: ignore[arg-type]
        yield opened


@contextmanager
def _closed(resource: C) -> Iterator[C]:
    """``resource`` closed on the way out; when the body raised, a failure to close is not
    shown (``session`` says why). The driver and every session are closed so."""
    try:
        yield resource
    except BaseException:
        with suppress(Exception):
            resource.close()
        raise
    resource.close()
