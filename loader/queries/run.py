"""Running saved queries: typed parameters, a READ session with a timeout, JSON-friendly rows.

The library (``loader.queries``) parses and checks the files; this module binds ``--param``
values to the declared types and runs a query so that the server refuses any write.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, LiteralString, TypeVar

import neo4j
from neo4j import Driver, ManagedTransaction, unit_of_work
from neo4j.exceptions import DriverError, Neo4jError, ServiceUnavailable, SessionExpired
from neo4j.graph import Node, Relationship
from neo4j.graph import Path as GraphPath
from neo4j.spatial import Point
from neo4j.time import Date, DateTime, Duration, Time

from loader import connection
from loader.errors import DatabaseUnavailableError, QueryError, UsageError, ValueProblem
from loader.queries.library import DEFAULT_TIMEOUT, QueryResult, SavedQuery, parse_value

T = TypeVar("T")


# -- parameters -----------------------------------------------------------------------------


def split_param_args(args: Sequence[str]) -> dict[str, str]:
    """``["k=v", ...]`` (the --param options) -> {k: v}; UsageError on a malformed one."""
    given: dict[str, str] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--param {arg!r}: expected NAME=VALUE")
        if key in given:
            raise UsageError(f"--param {key} given twice")
        given[key] = value
    return given


def bind_params(query: SavedQuery, given: Mapping[str, str]) -> dict[str, Any]:
    """Typed parameter values for ``query``: the given texts parsed, defaults for the rest."""
    names = [p.name for p in query.params]
    for key in given:
        if key not in names:
            takes = f"its parameters: {', '.join(names)}" if names else "it takes no parameters"
            raise UsageError(f"query '{query.name}' has no parameter '{key}' ({takes})")
    bound: dict[str, Any] = {}
    for param in query.params:
        if param.name in given:
            try:
                bound[param.name] = parse_value(param.type, given[param.name])
            except ValueProblem as exc:
                raise UsageError(
                    f"parameter '{param.name}' of query '{query.name}' ({param.type}): {exc}"
                ) from None
        elif param.required:
            example = param.sample()
            hint = f" (e.g. {param.name}={_as_text(example)})" if example is not None else ""
            raise UsageError(
                f"query '{query.name}' needs parameter '{param.name}' ({param.type}): "
                f"--param {param.name}=VALUE{hint}"
            )
        else:
            bound[param.name] = param.default
    return bound


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# -- running --------------------------------------------------------------------------------


def run_query(
    driver: Driver,
    database: str,
    query: SavedQuery,
    params: Mapping[str, Any],
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Run a saved query read-only (READ session, read transaction) with a timeout.

    The transaction carries metadata ``{"app": "casegraph", "query": <name>}`` so it can be
    found in ``SHOW TRANSACTIONS``. Rows come back with JSON-friendly values.
    """

    @unit_of_work(timeout=timeout, metadata={"app": "casegraph", "query": query.name})
    def work(tx: ManagedTransaction) -> QueryResult:
        result = tx.run(_text(query.text), dict(params))
        columns = list(result.keys())
        rows = [{key: to_json(record[key]) for key in columns} for record in result]
        return QueryResult(columns, rows)

    return _read(driver, database, query, work)


def _text(text: str) -> LiteralString:
    """Query text read from the library: checked read-only, values travel as parameters."""
    return text  # type checkers that know LiteralString are told so by the signature


def _read(
    driver: Driver, database: str, query: SavedQuery, work: Callable[[ManagedTransaction], T]
) -> T:
    try:
        with connection.session(driver, database, default_access_mode=neo4j.READ_ACCESS) as session:
            return session.execute_read(work)
    except (ServiceUnavailable, SessionExpired) as exc:
        raise DatabaseUnavailableError(f"lost Neo4j while running '{query.name}': {exc}") from None
    except Neo4jError as exc:
        code = exc.code or ""
        message = " ".join((exc.message or str(exc)).split())
        if "TimedOut" in code:
            raise QueryError(f"query '{query.name}' timed out: {message}") from None
        if code.endswith("AccessMode") or "Forbidden" in code:
            raise QueryError(
                f"query '{query.name}' tried to write and was refused: saved queries run in "
                f"read-only transactions ({message})"
            ) from None
        raise QueryError(f"query '{query.name}' failed: {code}: {message}") from None
    except DriverError as exc:
        raise QueryError(f"query '{query.name}' failed: {exc}") from None


# -- output ---------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A Neo4j value as plain JSON data: temporal values as ISO text, nodes, relationships and
    paths as objects with their properties."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Node | Relationship | GraphPath):
        return _graph_json(value)
    if isinstance(value, Date | DateTime | Time | Duration):  # before tuple: Duration is one
        return value.iso_format()
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, Point):  # before tuple: Point is one
        return {"srid": value.srid, "coordinates": list(value)}
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return str(value)


def _graph_json(value: Node | Relationship | GraphPath) -> dict[str, Any]:
    if isinstance(value, Node):
        return {
            "labels": sorted(value.labels),
            "properties": {key: to_json(value[key]) for key in sorted(value.keys())},
        }
    if isinstance(value, Relationship):
        return {
            "type": value.type,
            "start": _node_key(value.start_node),
            "end": _node_key(value.end_node),
            "properties": {key: to_json(value[key]) for key in sorted(value.keys())},
        }
    return {
        "nodes": [to_json(node) for node in value.nodes],
        "relationships": [to_json(rel) for rel in value.relationships],
    }


def _node_key(node: Node | None) -> Any:
    if node is None:
        return None
    return node.get("id", node.element_id)


def cell(value: Any, sep: str = ", ") -> str:
    """A JSON-friendly value as the text of a table or CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return sep.join(cell(item, sep) for item in value)
    if isinstance(value, dict):
        graph = _graph_text(value)
        if graph is not None:
            return graph
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _graph_text(value: dict[str, Any]) -> str | None:
    """A node, relationship or path as ``to_json`` gives it, as short text: a node by its id,
    a relationship as ``start -[TYPE]-> end``, a path hop by hop; None for other maps."""
    if set(value) == {"labels", "properties"}:
        return str(value["properties"].get("id", "?"))
    if set(value) == {"type", "start", "end", "properties"}:
        return f"{value['start']} -[{value['type']}]-> {value['end']}"
    if set(value) == {"nodes", "relationships"}:
        nodes = [str(n["properties"].get("id", "?")) for n in value["nodes"]]
        out = nodes[0] if nodes else ""
        for node, rel in zip(nodes[1:], value["relationships"], strict=True):
            forward = rel["end"] == node
            out += f" -[{rel['type']}]-> {node}" if forward else f" <-[{rel['type']}]- {node}"
        return out
    return None
