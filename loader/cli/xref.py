"""``casegraph xref``: candidate pairs of one entity in two cases, for review."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loader.cli.common import (
    DatasetsOption,
    OntologyOption,
    PathsArg,
    fail,
    friendly,
    out,
    read_inputs,
)


@friendly
def xref(
    paths: PathsArg = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The file of candidate pairs to write.")
    ] = Path("xref-candidates.yaml"),
    judgements: Annotated[
        str,
        typer.Option(help="The dataset name the file gives the judgements."),
    ] = "identity",
    min_score: Annotated[
        float, typer.Option(help="Leave out pairs scored below this (0 to 1).", min=0, max=1)
    ] = 0.0,
    ontology: OntologyOption = None,
    dataset: DatasetsOption = None,
) -> None:
    """Propose pairs of nodes of two datasets that may be one entity, for review.

    Compares names, aliases and acronyms across the datasets of the input (no database)
    and writes the pairs as SAME_AS records to fill in: judgement (same, not_same,
    unsure), who decided, when, why and on which sources. Pairs that a SAME_AS record of
    the input already judges are not proposed again. Nothing is ever merged.
    """
    import datetime as dt

    from loader.check.records import is_dataset_name
    from loader.xref import candidates, candidates_file

    if not is_dataset_name(judgements):
        raise fail(f"--judgements {judgements!r} must be a name like my-case", 2)
    with read_inputs(paths, ontology, dataset) as (ont, graphs):
        found, already = candidates(graphs, ont, min_score)
    left_out = f" ({already} already judged, left out)" if already else ""
    if not found:
        out.print(f"No candidate pairs{left_out}; {output} was not written.")
        return
    part = output.with_name(f".{output.name}.part")
    try:
        part.write_text(candidates_file(found, judgements, dt.date.today().isoformat()), "utf-8")
        part.replace(output)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise fail(f"cannot write {output}: {exc.strerror}", 1) from None
    out.print(f"Wrote {len(found)} candidate pair(s) to {output}{left_out}: review them there.")
