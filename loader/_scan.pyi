"""Types of the optional C reader, loader/_scan.c."""

from typing import Any, Self

class Pos:
    """The start of a value, read like a yaml.Node's: ``start_mark.line``/``.column``."""

    line: int
    column: int
    value: list[Pos] | None
    @property
    def start_mark(self) -> Self: ...

def scan(
    text: str, path: str, ymap: type, ylist: type, max_scalar: int, first_line: int = 0
) -> Any: ...
def props(
    record: dict[str, Any],
    specs: dict[str, tuple[Any, ...]],
    required: tuple[str, ...],
    fixed: frozenset[str],
    statuses: Any,
    cited: set[str],
    ylist: type,
) -> dict[str, Any] | None: ...
def content_json(kind: str, props: dict[str, Any]) -> bytes | None: ...
def records(ctx: tuple[Any, ...], items: list[Any], start: int, keep: bool) -> tuple[int, bool]: ...
def resolve(rows: list[Any], start: int, ctx: tuple[Any, ...]) -> tuple[int, bool]: ...
def pack_rows(rows: list[Any], fields: tuple[str, ...]) -> tuple[bytes, list[int]] | None: ...
