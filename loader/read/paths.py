"""Which files a load reads: the files named, and every ``*.yaml``/``*.yml`` under the
folders named, in a stable order, each once; a path that is not there, or not a regular
file, is a problem of the path as a whole (line 0: no position is made up)."""

from __future__ import annotations

from pathlib import Path

from loader.errors import InputError, Problem


def _not_a_file(path: Path) -> str:
    if path.is_symlink() and not path.exists():
        return "a symbolic link to nothing (no such file or directory)"
    if path.exists():
        return "not a regular file"
    return "no such file or directory"


def collect_files(paths: list[Path]) -> list[Path]:
    """Files named, and every *.yaml/*.yml under directories named, in a stable order."""
    found: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            named = sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"})
            inside = [p for p in named if p.is_file()]
            # a seed file that cannot be read (a link to nothing, a pipe) is not passed over
            odd = [p for p in named if not p.is_file() and not p.is_dir()]
            problems += [Problem(str(p), 0, 0, _not_a_file(p)) for p in odd]
            if not inside and not odd:
                problems.append(Problem(str(path), 0, 0, "no *.yaml or *.yml files here"))
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(str(path), 0, 0, _not_a_file(path)))
    if problems:
        raise InputError(problems)
    unique: list[Path] = []
    seen: set[Path] = set()
    for path in found:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(path)
    return unique
