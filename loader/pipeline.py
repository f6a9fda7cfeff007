"""Files to Neo4j in one call, timed by phase: what ``casegraph load`` and the benchmark run.

1. ``check``: the input's checksum from the bytes alone; when it is the last successful
   load of its dataset (and ``force`` is off), nothing is parsed or written.
2. ``parse``: read and validate every file (``read_graph``), rows spilled to disk.
3. ``plan``: batches that read their rows from the spill when written.
4. ``write``: ``writer.load`` (schema, then the batches; see its module).
"""

from __future__ import annotations

import time
from pathlib import Path

from neo4j import Driver

from loader.check.validate import input_checksum, read_graph
from loader.errors import DatabaseUnavailableError
from loader.model.ontology import Ontology
from loader.plan.build import DEFAULT_BATCH, build_plan
from loader.read.paths import collect_files
from loader.write import writer
from loader.write.batches import Progress
from loader.write.report import LoadReport
from loader.write.writer import DEFAULT_SINGLE_LIMIT


def load_files(
    driver: Driver,
    database: str,
    paths: list[Path],
    ontology: Ontology,
    *,
    dataset: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    single_limit: int = DEFAULT_SINGLE_LIMIT,
    prune: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    writers: int | None = None,
) -> LoadReport:
    """Validate and load; ``report.timings`` holds the seconds of each phase."""
    began = time.perf_counter()
    files = collect_files(paths)
    if not force:
        try:
            checksum = input_checksum(files, ontology, dataset)
            skipped = writer.unchanged_input(driver, database, checksum, prune)
        except DatabaseUnavailableError:
            skipped = None  # bad input is reported before an unreachable database
        if skipped is not None:
            skipped.timings = {"check_s": time.perf_counter() - began}
            return skipped
    checked = time.perf_counter()
    graph = read_graph(files, ontology, dataset, chunk=batch_size)
    try:
        parsed = time.perf_counter()
        plan = build_plan(graph, ontology, batch_size)
        planned = time.perf_counter()
        # the checksum was just looked for: only a load that ran meanwhile could match now
        report = writer.load(
            driver,
            database,
            plan,
            prune=prune,
            single_limit=single_limit,
            progress=progress,
            force=force,
            writers=writers,
        )
    finally:
        graph.close()
    done = time.perf_counter()
    report.timings = {
        "check_s": checked - began,
        "parse_s": parsed - checked,
        "plan_s": planned - parsed,
        "write_s": done - planned,
    }
    return report
