"""Files to Neo4j in one call, timed by phase: what ``casegraph load`` and the benchmark run.

1. ``check``: the input's checksum from the bytes alone; when it is the last successful
   load of its dataset (and ``force`` is off), nothing is parsed or written.
2. ``parse``: read and validate every file (``read_graphs``), rows spilled to disk.
3. ``plan``: batches that read their rows from the spill when written.
4. ``write``: ``writer.load`` (schema, then the batches; see its module), one dataset
   after another in dependency order, each with its own LoadRun. A dataset whose input
   is that of its last successful load is skipped.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from neo4j import Driver

from loader.check.validate import input_checksum, read_graphs
from loader.errors import DatabaseUnavailableError, UsageError
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
    **options: Any,
) -> LoadReport:
    """``load_datasets`` for an input of one dataset (or the one ``dataset`` names)."""
    reports = load_datasets(
        driver, database, paths, ontology, datasets=[dataset] if dataset else None, **options
    )
    if len(reports) != 1:
        names = ", ".join(r.dataset for r in reports)
        raise UsageError(f"the input holds {len(reports)} datasets ({names}); name one")
    return reports[0]


def load_datasets(
    driver: Driver,
    database: str,
    paths: list[Path],
    ontology: Ontology,
    *,
    datasets: list[str] | None = None,
    batch_size: int = DEFAULT_BATCH,
    single_limit: int = DEFAULT_SINGLE_LIMIT,
    prune: bool = False,
    force: bool = False,
    progress: Progress | None = None,
    writers: int | None = None,
) -> list[LoadReport]:
    """Validate every dataset of the input (or those ``datasets`` names), then load them
    one after another; ``report.timings`` holds the seconds of each phase. Nothing is
    written unless the whole input is valid."""
    began = time.perf_counter()
    files = collect_files(paths)
    if not force and not datasets:
        try:  # an input of one dataset, unchanged since its last load: nothing to parse
            checksum = input_checksum(files, ontology)
            skipped = writer.unchanged_input(driver, database, checksum, prune)
        except DatabaseUnavailableError:
            skipped = None  # bad input is reported before an unreachable database
        if skipped is not None:
            skipped.timings = {"check_s": time.perf_counter() - began}
            return [skipped]
    checked = time.perf_counter()
    graphs = read_graphs(files, ontology, datasets, chunk=batch_size)
    reports: list[LoadReport] = []
    try:
        parsed = time.perf_counter()
        for graph in graphs:
            start = time.perf_counter()
            plan = build_plan(graph, ontology, batch_size)
            planned = time.perf_counter()
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
            graph.close()
            done = time.perf_counter()
            report.timings = {
                "check_s": checked - began if not reports else 0.0,
                "parse_s": parsed - checked if not reports else 0.0,
                "plan_s": planned - start,
                "write_s": done - planned,
            }
            reports.append(report)
    finally:
        for graph in graphs:
            graph.close()
    return reports
