"""A fuzz target for the whole check (``read_graphs``, what ``casegraph validate`` runs):
mutated seed files, bounded in time.

Each run writes the seed case (coco, beside the reference dataset it uses) with one file
changed, or one to three files of the
repository's YAML and of a generated case, changed (mutations, and hostile values spliced
in: numbers of thousands of digits, control characters, long strings), and checks them
with the shipped ontology. The outcome must be a graph, or an ``InputError`` whose every
problem names one of the files (or the folder), a line and a column within the file, and
a message of one line. Any other exception is a crash: the files are kept under
``--crashes`` and the run stops with exit 1.

``tests/fuzz/run.sh`` runs it after the reader's target, with the same sanitized build of
the C reader (``--module``), so the whole path from bytes to problems is under ASan/UBSan.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from loader.check.validate import read_graphs
from loader.errors import InputError
from loader.model.ontology import load_ontology
from loader.read import yamlread
from tests.fuzz.fuzz_reader import ROOT, corpus, fuzz_arguments, load_reader, mutate

HOSTILE_VALUES = [
    "9" * 5_000,
    "-" + "0" * 6_000 + "7",
    "1e" + "9" * 400,
    '"\\x1b\\x00"',
    '"\\u2028"',
    "x" * 200_000,
    "[" * 50,
    "{a: [b, {c: d}]}",
    "&a [*a]",
    "!!binary aGk=",
    "2024-13-45",
    "https://[::1",
    "ZZ",
    "FR-999",
]
KEYS = ["age", "name", "id", "type", "sources", "status", "from", "to", "date", "url", "kind"]


def hostile(text: str, rng: random.Random) -> str:
    """``text`` with a hostile value put after one of its keys, or on a new line."""
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    value = rng.choice(HOSTILE_VALUES)
    if ": " in lines[i] and rng.random() < 0.7:
        lines[i] = lines[i].split(": ", 1)[0] + ": " + value
    else:
        indent = len(lines[i]) - len(lines[i].lstrip(" "))
        lines.insert(i + 1, " " * indent + f"{rng.choice(KEYS)}: {value}")
    return "\n".join(lines)


def refused(folder: Path, files: dict[Path, str]) -> bool:
    """Whether the check refuses the folder; AssertionError when a problem is not located
    in the input."""
    try:
        for graph in read_graphs([folder], ONTOLOGY, workers=0):
            graph.close()
    except InputError as exc:
        problems = exc.problems
    else:
        return False
    expect(bool(problems), "an InputError with no problem")
    for problem in problems:
        path = Path(problem.path)
        expect(path in files or path == folder, f"a problem in no input file: {problem}")
        lines = breaks(files[path]) + 2 if path in files else 2
        expect(1 <= problem.line <= lines, f"line out of the file: {problem}")
        expect(problem.column >= 1, f"column: {problem}")
        expect(bool(problem.message), f"no message: {problem!r}")
        expect("\n" not in problem.message, f"a message of several lines: {problem!r}")
        expect(len(problem.message) < 2_000, f"a message of {len(problem.message)} chars")
    return True


def breaks(text: str) -> int:
    """Line breaks as YAML 1.1 counts them (PyYAML's positions): NEL, LS and PS too."""
    return sum(text.count(c) for c in "\n\r\x85\u2028\u2029")


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


ONTOLOGY = load_ontology()
SEED = sorted((ROOT / "seed" / "coco-gg").glob("*.yaml"))
REFERENCE = sorted((ROOT / "seed" / "reference").glob("*.yaml"))


def main(argv: list[str] | None = None) -> int:
    args = fuzz_arguments(__doc__, argv)
    if args.module:
        yamlread._scan = load_reader(args.module)  # this test's own sanitized build
    rng = random.Random(args.seed)  # noqa: S311 (a fuzzer's, repeatable by its seed)
    runs = refusals = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        texts = corpus(work / "generated")
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            runs += 1
            folder = work / f"case-{runs}"
            folder.mkdir()
            files = {}
            if rng.random() < 0.3:  # the whole seed case, one of its files changed
                chosen = [(f"coco-gg/{p.name}", p.read_text(encoding="utf-8")) for p in SEED]
                changed = {rng.randrange(len(chosen))}
                chosen += [
                    (f"reference/{p.name}", p.read_text(encoding="utf-8")) for p in REFERENCE
                ]
            else:  # one to three texts of the corpus, each changed
                chosen = [(f"f{k}.yaml", rng.choice(texts)) for k in range(rng.randint(1, 3))]
                changed = set(range(len(chosen)))
            for k, (name, original) in enumerate(chosen):
                text = original
                for _ in range(rng.randint(1, 3) if k in changed else 0):
                    text = hostile(text, rng) if rng.random() < 0.5 else mutate(text, texts, rng)
                path = folder / name
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8", errors="surrogatepass")
                files[path] = text
            try:
                refusals += refused(folder, files)
            except Exception as exc:  # any other exception is the finding
                args.crashes.mkdir(parents=True, exist_ok=True)
                kept = args.crashes / f"validate-{args.seed}-{runs}"
                shutil.copytree(folder, kept, dirs_exist_ok=True)
                detail = "".join(traceback.format_exception(exc))
                print(f"the check crashed on {kept}:\n{detail}", file=sys.stderr)
                return 1
            shutil.rmtree(folder)
    print(
        f"fuzzed the whole check: {runs} cases in {args.seconds:.0f} s, {runs - refusals} "
        f"accepted, {refusals} refused with every problem located in the input; no crash"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
