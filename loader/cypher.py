"""The one place where names enter Cypher text.

Labels, relationship types and property keys cannot be Cypher parameters, so they are
written into query text here, and only here: each name is checked against the schema
(the ontology plus casegraph's own labels) and quoted with backticks. Values travel as parameters;
``literal`` writes a value as Cypher text only for the exported script and for Neo4j
Browser's ``:params`` line, never for a query casegraph runs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection
from typing import Any

from loader.errors import SchemaNameError

# A label, relationship type or property key that casegraph accepts in an ontology.
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")


def is_valid_name(name: str) -> bool:
    return NAME_RE.fullmatch(name) is not None


def quote(name: str, allowed: Collection[str]) -> str:
    """Backtick-quote ``name`` for Cypher after checking it is one of ``allowed``."""
    if name not in allowed:
        raise SchemaNameError(f"{name!r} is not in the schema")
    if not is_valid_name(name):
        raise SchemaNameError(f"{name!r} is not a valid schema name")
    return f"`{name}`"


def object_name(parts: Collection[str], allowed: Collection[str]) -> str:
    """``casegraph_<part>_<part>``, quoted, for constraints and indexes; parts are checked."""
    for part in parts:
        quote(part, allowed)
    return "`casegraph_" + "_".join(parts) + "`"


def quote_server_name(name: str) -> str:
    """Quote a name the server itself reported (a constraint or index name) for DROP."""
    return "`" + name.replace("`", "``") + "`"


_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    if ord(ch) < 32 or ch in "\u2028\u2029":
        return f"\\u{ord(ch):04x}"
    return ch


def literal(value: Any) -> str:
    """A Cypher literal for a value (the exporter's only way to write a value into text)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} as a Cypher literal")
        return repr(value)
    if isinstance(value, str):
        return "'" + "".join(_escape(ch) for ch in value) + "'"
    if isinstance(value, dt.datetime):
        return f"datetime('{value.isoformat()}')"
    if isinstance(value, dt.date):
        return f"date('{value.isoformat()}')"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (f"`{str(k).replace('`', '``')}`: {literal(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    raise TypeError(f"no Cypher literal for {type(value).__name__}")
