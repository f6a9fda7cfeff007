"""Types of the optional C reader, loader/read/_scan.c."""

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
