"""A fuzz target for the C reader (loader/read/_scan.c): mutated seed texts, bounded in time.

``tests/fuzz/run.sh`` builds the reader with AddressSanitizer and UndefinedBehaviorSanitizer
and runs this with them preloaded (and ``PYTHONMALLOC=malloc``, so that every allocation,
the text's included, is one the sanitizer watches): a memory error or undefined behaviour
aborts the run. On top of that, every text the reader takes is read again by PyYAML, on
libyaml's parser and on the pure-Python one, and the three trees must be equal, positions
included (``tests.test_scan.assert_same``); a text either PyYAML refuses must be declined.

The mutations are those of a text fuzzer: characters that matter to YAML inserted or
replaced, spans deleted, lines repeated, swapped or cut, pieces of other texts spliced
in, all from a seeded random generator (``--seed``), so a run can be repeated. A failing
text is written to ``--crashes`` before the run stops.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import random
import sys
import time
from pathlib import Path
from types import ModuleType

from benchmarks.generate import generate
from loader.errors import InputError
from loader.read import yamlread
from loader.read.yamlread import MAX_SCALAR, YList, YMap

ROOT = Path(__file__).resolve().parent.parent.parent
ALPHABET = [
    *":-?,[]{}#&*!|>'\"%@` \n\t\r~\\/.=<0aZ_é«»\u00a0\u2028\u0085\ufeff\x00\x7f\U0001f600",
    *(": ", " #", "- ", "  ", "\n  - ", "\n    ", '\\"', "''", "null", "[a, b]", '"\\u00e9"'),
]


def load_reader(path: Path) -> ModuleType:
    """The reader built at ``path`` (the sanitized one), as ``loader.read._scan``."""
    loader = importlib.machinery.ExtensionFileLoader("loader.read._scan", str(path))
    spec = importlib.util.spec_from_file_location("loader.read._scan", path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def corpus(work: Path) -> list[str]:
    texts = []
    found = [*ROOT.joinpath("seed").rglob("*.yaml"), *ROOT.joinpath("tests").rglob("*.yaml")]
    generate(work, 40, "powerlaw", files=1, seed=7)
    found += sorted(work.glob("*.yaml"))
    for path in sorted(found):
        try:
            text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
        except (UnicodeDecodeError, OSError):
            continue
        texts.append(text[:20_000])  # a few records are enough to mutate
    return texts


def mutate(text: str, texts: list[str], rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(text))
        op = rng.randrange(7)
        if op == 0:
            text = text[:at] + rng.choice(ALPHABET) + text[at:]
        elif op == 1 and text:
            text = text[:at] + rng.choice(ALPHABET) + text[at + 1 :]
        elif op == 2:
            text = text[:at] + text[at + rng.randint(1, 8) :]
        else:
            lines = text.split("\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if op == 3:
                lines.insert(j, lines[i])
            elif op == 4:
                lines[i], lines[j] = lines[j], lines[i]
            elif op == 5:
                other = rng.choice(texts).split("\n")
                k = rng.randrange(len(other))
                lines[i:i] = other[k : k + rng.randint(1, 4)]
            else:
                lines = lines[: max(i, j) + 1]
            text = "\n".join(lines)
    return text


def check(reader: ModuleType, text: str, first_line: int) -> bool:
    """Whether the reader took the text; AssertionError when PyYAML reads it otherwise."""
    from tests.test_scan import assert_same

    tree = reader.scan(text, "f.yaml", YMap, YList, MAX_SCALAR, first_line)
    if tree is None or first_line:
        return tree is not None
    for loader_class in (yamlread._Loader, yamlread._PureLoader):
        try:
            slow = yamlread._parse_pyyaml(text, "f.yaml", loader_class)
        except InputError as exc:
            raise AssertionError(f"{loader_class.__name__} refuses it: {exc.problems}") from None
        assert_same(tree, slow)
    return True


def fuzz_arguments(doc: str, argv: list[str] | None) -> argparse.Namespace:
    """The options every fuzz target takes (tests/fuzz/run.sh passes them)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--module", type=Path, help="the C reader (default: the built one)")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crashes", type=Path, default=ROOT / "tests" / "artifacts" / "fuzz")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = fuzz_arguments(__doc__, argv)
    reader = load_reader(args.module) if args.module else yamlread._scan
    if reader is None:
        print("loader.read._scan was not built", file=sys.stderr)
        return 2
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        texts = corpus(Path(tmp))
    rng = random.Random(args.seed)  # noqa: S311 (a fuzzer's, repeatable by its seed)
    taken = runs = 0
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        text = mutate(rng.choice(texts), texts, rng)
        first_line = rng.choice((0, 0, 0, rng.randint(1, 10_000)))
        runs += 1
        try:
            taken += check(reader, text, first_line)
        except AssertionError as exc:
            args.crashes.mkdir(parents=True, exist_ok=True)
            where = args.crashes / f"divergence-{args.seed}-{runs}.yaml"
            where.write_text(text, encoding="utf-8", errors="surrogatepass")
            print(f"the reader and PyYAML disagree on {where}: {exc}", file=sys.stderr)
            return 1
    print(
        f"fuzzed the C reader: {runs} texts in {args.seconds:.0f} s, {taken} taken by it and "
        f"read the same by both PyYAML parsers, {runs - taken} declined; no divergence"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
