"""The golden canonical dumps that guard the graph a load writes (tests/test_golden_dump.py).

Each case is loaded into an empty database with ``load_files`` (what ``casegraph load``
runs) and dumped with ``tests.dump.canonical_dump`` (or, for a tree before it moved
there, ``loader.dump``). The dump of the seed case is kept whole; the one of the
generated 10k power-law case (18 MB) as its SHA-256 and its counts by label and type.

They were made from commit 505e02b, the code before the loader was reshaped (issue 19),
and must never be remade from the code they guard. To make them again from such a tree::

    $ git worktree add /tmp/old 505e02b && cd /tmp/old && make venv
    $ .venv/bin/python /path/to/tests/golden_dumps.py /path/to/tests/golden/dumps

``sha256_unhashed_relationships`` of the power-law case is the SHA-256 of the same dump
with the relationships' ``content_hash`` left out (and the relationships sorted again,
as ``tests.dump`` sorts them): issue 23 gave every relationship a
caption, which changed those hashes on purpose. It was computed from commit 0ba4509, the
code before that change, whose dump of the case has the ``sha256`` above (checked in the
same run), so it describes the same graph.

``sha256_unhashed`` is the same with every ``content_hash`` left out, of nodes too, and the
nodes sorted again: issue 23 then wrote beside the sources of every element their titles
(``according_to``), which changed the hashes of everything that cites a source. It was
computed from commit f25fc9d, the code before that change, whose dump of the case has the
``sha256_unhashed_relationships`` above (checked in the same run).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.generate import generate

SEED_NAME = "seed-coco-gg.json"
POWERLAW_NAME = "powerlaw-10k.json"
POWERLAW = {"entities": 10_000, "shape": "powerlaw", "files": 1, "seed": 1}


def dump_text(dump: dict[str, list[Any]]) -> str:
    return json.dumps(dump, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def summary(dump: dict[str, list[Any]]) -> dict[str, Any]:
    """The SHA-256 of the dump's text and its counts (to say where a difference is)."""
    labels = Counter(";".join(labels) for labels, _ in dump["nodes"])
    types = Counter(row[0] for row in dump["relationships"])
    return {
        "sha256": hashlib.sha256(dump_text(dump).encode()).hexdigest(),
        "nodes": dict(sorted(labels.items())),
        "relationships": dict(sorted(types.items())),
    }


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# the generator draws its records from the ontology: the case is generated from the
# ontology of the golden dump's day, and loaded with it (issue 21 added types and values;
# issue 22 added value rules, which refuse what the old ontology drew at random, e.g. a
# valid_to before its valid_from)
GOLDEN_ONTOLOGY = Path(__file__).resolve().parent / "golden" / "ontology-v1.yaml"


def powerlaw_case(where: Path) -> Path:
    from loader.model.ontology import load_ontology

    ont = load_ontology(GOLDEN_ONTOLOGY) if GOLDEN_ONTOLOGY.exists() else None
    generate(where, POWERLAW["entities"], POWERLAW["shape"], files=POWERLAW["files"],
             seed=POWERLAW["seed"], ontology=ont)  # fmt: skip
    return where


def _main(out: Path) -> None:  # pragma: no cover - run by hand, from the old tree
    from neo4j import GraphDatabase

    from loader.pipeline import load_files

    try:  # the tree as it is
        from loader.model.ontology import load_ontology
        from loader.server import localserver
    except ImportError:  # the tree before the move into subpackages (505e02b)
        from loader.ontology import load_ontology  # type: ignore[no-redef]

        from loader import localserver  # type: ignore[no-redef]

    try:
        from tests.dump import canonical_dump
    except ImportError:
        from tests.dump import canonical_dump  # type: ignore[no-redef]

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        localserver.password_file(home).write_text("golden-pw\n", encoding="utf-8")
        config = localserver.ServerConfig(
            home=home, bolt_port=_free_port(), http_port=_free_port(),
            heap="1g", pagecache="512m",
        )  # fmt: skip
        state = localserver.start(config)
        try:
            ont = load_ontology()
            with GraphDatabase.driver(state.bolt_uri, auth=("neo4j", "golden-pw")) as driver:
                root = Path(__file__).resolve().parent.parent
                cases = [
                    (SEED_NAME, root / "seed"),
                    (POWERLAW_NAME, powerlaw_case(Path(tmp) / "p")),
                ]
                for name, path in cases:
                    driver.execute_query("MATCH (n) DETACH DELETE n")
                    load_files(driver, "neo4j", [path], ont, force=True)
                    dump = canonical_dump(driver, "neo4j")
                    text = dump_text(dump) if name == SEED_NAME else json.dumps(
                        summary(dump), indent=1, sort_keys=True) + "\n"  # fmt: skip
                    (out / name).write_text(text, encoding="utf-8")
                    print(f"wrote {out / name}")
        finally:
            localserver.stop(home)


if __name__ == "__main__":  # pragma: no cover
    _main(Path(sys.argv[1]))
