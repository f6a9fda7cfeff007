"""Neo4j Browser: where it is and the link that opens it connected to the case database."""

from __future__ import annotations

from urllib.parse import quote, urlsplit


def browser_url(bolt_uri: str, http_port: int, username: str, database: str) -> str:
    """``http://host:port/browser/?dbms=neo4j://user@host:7687&db=neo4j`` for a Bolt URI."""
    parts = urlsplit(bolt_uri)
    host = parts.hostname or "127.0.0.1"
    dbms = f"{parts.scheme}://{username}@{host}:{parts.port or 7687}"
    return (
        f"http://{host}:{http_port}/browser/?dbms={quote(dbms, safe=':/@')}"
        f"&db={quote(database, safe='')}"
    )
