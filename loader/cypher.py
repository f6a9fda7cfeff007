"""The one place where names enter Cypher text.

Labels, relationship types and property keys cannot be Cypher parameters, so they are
written into query text here, and only here: each name is checked against the schema
(the ontology plus casegraph's own labels) and quoted with backticks. Values never pass
through this module; they travel as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from loader.errors import CasegraphError

# A label, relationship type or property key that casegraph accepts in an ontology.
NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")


class SchemaNameError(CasegraphError):
    """A name that is not in the schema was about to be written into Cypher text."""


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
