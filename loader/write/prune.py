"""``--prune``: deleting the dataset's elements that the load did not touch (their
``load_run`` is not this run's), or counting those that left the input (a dry run).

In a single-transaction load the prune is part of the one transaction
(``prune_in``); a batched load prunes in transactions of its own, of at most the
plan's batch size, halved on the transaction memory limit (``prune_batched``).
"""

from __future__ import annotations

from neo4j import ManagedTransaction, Session

from loader.errors import LoadError
from loader.plan.build import Plan
from loader.plan.statements import PRUNE_ALL
from loader.write import batches
from loader.write.batches import query_text
from loader.write.report import LoadReport


def check_prune(tx: ManagedTransaction, plan: Plan, run: str) -> None:
    """Refuse to prune a node that left the input while another dataset's relationships
    still point at it (reference data that cases use): those must go first."""
    held: list[str] = []
    for step in plan.prune:
        if step.referred:
            params = {"dataset": plan.dataset, "run": run}
            for record in tx.run(query_text(step.referred), params):
                by = ", ".join(repr(d) for d in sorted(record["by"]))
                held.append(f"{record['id']!r} (referred to by dataset {by})")
    if held:
        raise LoadError(
            f"--prune would delete nodes of dataset {plan.dataset!r} that other datasets "
            f"refer to: {', '.join(held[:5])}; nothing was pruned. Remove those references "
            "(or keep the nodes in the input) first"
        )


def prune_batched(session: Session, plan: Plan, report: LoadReport) -> None:
    """A batched load's prune: each step deletes in transactions of its own, of at most
    the plan's batch size, halved on the transaction memory limit
    (``batches.delete_stale``). Interrupted, it leaves some stale elements, which the same
    load run again deletes: they keep their old ``load_run``."""
    tries = batches.Tries()
    metadata = {"app": "casegraph", "load_run": report.run, "dataset": plan.dataset}
    params = {"dataset": plan.dataset, "run": report.run}
    for step in plan.prune:  # relationships come first in the plan
        deleted = batches.delete_stale(
            session, step.delete, params, metadata, tries, limit=plan.batch_size
        )
        if deleted:
            report.count(step.kind, step.name).deleted += deleted
        if step.kept:

            def count_kept(tx: ManagedTransaction, text: str = step.kept) -> int:
                return int(tx.run(query_text(text), params).single(strict=True)["kept"])

            report.kept += session.execute_read(count_kept)
    report.halvings += tries.halvings
    for reason, times in tries.reasons.items():
        report.retry_reasons[reason] = report.retry_reasons.get(reason, 0) + times


def prune_in(tx: ManagedTransaction, plan: Plan, report: LoadReport, count_only: bool) -> None:
    for step in plan.prune:  # relationships come first in the plan
        if count_only:  # a dry run wrote nothing: compare with the ids of the input
            record = tx.run(query_text(step.count), dataset=plan.dataset, keep=step.keep).single(
                strict=True
            )
        else:  # this run marked every element of the input with its load_run
            params = {"dataset": plan.dataset, "run": report.run, "limit": PRUNE_ALL}
            record = tx.run(query_text(step.delete), params).single(strict=True)
        if record["deleted"]:
            report.count(step.kind, step.name).deleted += record["deleted"]
        if step.kept and not count_only:
            kept = tx.run(query_text(step.kept), dataset=plan.dataset, run=report.run).single(
                strict=True
            )
            report.kept += kept["kept"]
