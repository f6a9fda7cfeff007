"""What a worker process of a load's checks holds for its life: the ontology, given once
when the process starts (``start``, the pool's initializer)."""

from __future__ import annotations

import gc
import signal

from loader.model.ontology import Ontology

_ontology: Ontology | None = None


def start(ontology: Ontology) -> None:
    global _ontology  # noqa: PLW0603 (one per worker process, set once)
    _ontology = ontology
    # Ctrl-C reaches the whole process group: the loading process stops the pool, and a
    # worker's own KeyboardInterrupt would only print a traceback
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()  # parsing makes many small objects and no cycles (see read_graph)


def ontology() -> Ontology:
    assert _ontology is not None, "not a worker process of a load (start() was not called)"
    return _ontology
