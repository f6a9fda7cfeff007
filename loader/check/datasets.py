"""The datasets of an input: which file is of which, what each uses, in which order they
load, and each one's checksum.

Every seed file says its ``dataset:`` (a file that does not is of the input's one named
dataset when there is exactly one, else of dataset ``default``) and may say
``uses: [other, ...]``: the datasets whose ids its relationships and citations may
name. What a dataset uses is the union of what its files say; a dataset sees its own ids
and those of what it uses, in turn. A used dataset that the input does not hold is read
from the folder of its name beside the user's folder (``seed/reference/`` for a dataset
of ``seed/coco-gg/``): checked, not loaded. The datasets load in dependency order
(``order``); a cycle, an unknown name and a ``--dataset`` the input does not hold are
errors.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from loader import __version__
from loader.check.records import DEFAULT_DATASET, FileCheck
from loader.errors import Problem, UsageError, shown
from loader.model.ontology import Ontology
from loader.read.yamlread import Mark


def input_digest(ontology: Ontology) -> hashlib._Hash:
    """The start of a dataset's checksum (``validate.input_checksum`` and the check must
    agree: the unchanged-input check compares what one computed with what the other
    stored): casegraph's version and the ontology. The ``None`` is what the digest held
    when ``--dataset`` renamed a load and was not given: it stays, so that an input loaded
    before datasets could be several is still recognised as unchanged."""
    return hashlib.sha256(f"{__version__}\0{ontology.checksum}\0None\0".encode())


def add_file(digest: hashlib._Hash, path: Path, content_sha256: bytes) -> None:
    digest.update(path.name.encode() + b"\0" + content_sha256)


@dataclass
class Datasets:
    """What the check learns of the datasets, file by file (``add``)."""

    ontology: Ontology
    picks: list[str] | None = None  # --dataset: the datasets to give graphs of
    of_file: list[str] = field(default_factory=list)  # the dataset of each file (``settle``)
    given: set[str] = field(default_factory=set)  # datasets with a file in the input
    files: dict[str, list[str]] = field(default_factory=dict)
    uses: dict[str, list[tuple[str, Mark]]] = field(default_factory=dict)
    # as read, file by file: (its dataset or None, path, content digest, given, uses)
    _read: list[tuple[str | None, str, bytes, bool, list[tuple[str, Mark]]]] = field(
        default_factory=list
    )

    def add(self, check: FileCheck, given: bool) -> str | None:
        """Note one file (of the input when ``given``, else read as a dependency); the
        dataset it names, if any."""
        name = check.dataset[0] if check.dataset is not None else None
        uses = [(used, Mark(check.path, line, column)) for used, line, column in check.uses]
        self._read.append((name, check.path, check.digest, given, uses))
        return name

    def named(self, index: int) -> str | None:
        """The dataset that file ``index`` names itself, if it does (``settle`` may give
        it the input's)."""
        return self._read[index][0]

    @property
    def several(self) -> bool:
        """Whether the input holds more than one dataset (after ``settle``)."""
        return len(self.files) > 1

    def settle(self) -> None:
        """Each file's dataset: its own, else the one the input names (``default``)."""
        named = {name for name, _, _, given, _ in self._read if name is not None and given}
        fallback = next(iter(named)) if len(named) == 1 else DEFAULT_DATASET
        self.of_file, self.given, self.files, self.uses = [], set(), {}, {}
        for name, path, _, given, uses in self._read:
            dataset = name if name is not None else fallback
            self.of_file.append(dataset)
            if given:
                self.given.add(dataset)
            self.files.setdefault(dataset, []).append(path)
            self.uses.setdefault(dataset, []).extend(uses)

    def checksum(self, name: str) -> str:
        """The dataset's checksum: casegraph, the ontology, and its files in order."""
        digest = input_digest(self.ontology)
        for dataset, (_, path, content, _, _) in zip(self.of_file, self._read, strict=True):
            if dataset == name:
                add_file(digest, Path(path), content)
        return digest.hexdigest()

    @property
    def needed(self) -> set[str]:
        """The datasets to give graphs of: the picked ones, else those of the input."""
        return set(self.picks) & set(self.files) if self.picks else set(self.given)

    def concerned(self) -> set[str]:
        """The needed datasets and every one they use: their problems are the input's."""
        out: set[str] = set()
        for name in self.needed:
            out |= self.closure(name)
        return out

    def closure(self, name: str) -> set[str]:
        """``name`` and every dataset it uses, directly or in turn (known ones only)."""
        seen, todo = {name}, [name]
        while todo:
            for used, _ in self.uses.get(todo.pop(), []):
                if used not in seen and used in self.files:
                    seen.add(used)
                    todo.append(used)
        return seen

    def missing(self) -> list[tuple[str, Path]]:
        """Used datasets not read yet, each with the folder to look for it in."""
        self.settle()
        out: list[tuple[str, Path]] = []
        for name in sorted(self.concerned()):
            for used, _ in self.uses.get(name, []):
                folder = self.beside(name, used)
                if used not in self.files and (used, folder) not in out:
                    out.append((used, folder))
        return out

    def beside(self, name: str, used: str) -> Path:
        """Where a dataset ``name`` uses is looked for: the folder of its name beside the
        folder that holds ``name``'s files."""
        folder = os.path.commonpath([str(Path(p).parent) for p in self.files[name]])
        return Path(folder).parent / used

    def problems(self) -> list[Problem]:
        """An unknown used dataset, a dataset that uses itself or a cycle; each once."""
        out: list[Problem] = []
        concerned = self.concerned()
        for name in sorted(concerned):
            for used, mark in self.uses.get(name, []):
                if used == name:
                    out.append(mark.problem(f"dataset {shown(name)} uses itself"))
                elif used not in self.files:
                    where = self.beside(name, used)
                    out.append(mark.problem(f"dataset {shown(name)} uses {shown(used)}, which "
                               f"is neither in the input nor in {where}/"))  # fmt: skip
        for cycle in self._cycles(concerned):
            first = cycle[0]
            mark = next(m for used, m in self.uses[first] if used == cycle[1])
            path = " -> ".join(cycle)
            out.append(mark.problem(f"datasets use each other in a cycle: {path}"))
        return out

    def _cycles(self, names: set[str]) -> list[list[str]]:
        """Each cycle of ``uses`` among ``names`` (of two or more), from its least name."""
        cycles: list[list[str]] = []
        seen: set[tuple[str, ...]] = set()

        def walk(path: list[str]) -> None:
            for used, _ in self.uses.get(path[-1], []):
                if used == path[0] and len(path) > 1:
                    if min(path) == path[0] and tuple(path) not in seen:
                        seen.add(tuple(path))
                        cycles.append([*path, path[0]])
                elif used in names and used not in path and used > path[0]:
                    walk([*path, used])

        for name in sorted(names):
            walk([name])
        return cycles

    def check_picks(self) -> None:
        if not self.picks:
            return
        unknown = [name for name in self.picks if name not in self.files]
        if unknown:
            held = ", ".join(sorted(self.given)) or "none"
            names = ", ".join(shown(name) for name in unknown)
            raise UsageError(f"--dataset {names}: not in the input (it holds: {held})")

    def order(self) -> list[str]:
        """The needed datasets, each after those it uses (by name where free)."""
        needed = self.needed
        done: list[str] = []
        while len(done) < len(needed):
            ready = [
                name
                for name in sorted(needed - set(done))
                if all(u in done or u not in needed for u, _ in self.uses.get(name, []))
            ]
            if not ready:  # a cycle (reported by ``problems``)
                ready = sorted(needed - set(done))
            done.extend(ready[:1])
        return done

    def depends_on(self, name: str) -> list[str]:
        return sorted(self.closure(name) - {name})
