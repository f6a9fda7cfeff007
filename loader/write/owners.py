"""Who holds the ids a plan names, checked in the load's transaction before anything is
written: the ids of the input must not be other data's (``check_owners``), the ids of
other datasets that its relationships name must be in the database, and the ISO 3166
reference ids must be the reference data's (``check_references``)."""

from __future__ import annotations

from neo4j import ManagedTransaction, Record

from loader.errors import LoadError
from loader.model.reference import DATASET as REFERENCE_DATASET
from loader.plan.build import Plan
from loader.write.batches import query_text


def _held(record: Record) -> str:
    """An id that other data holds, as the messages name it: "'x' (a Person of dataset 'y')"."""
    owner = record["owner"]
    who = f"dataset {owner!r}" if owner else "data casegraph did not write"
    return f"{record['id']!r} (a {record['label']} of {who})"


def check_owners(tx: ManagedTransaction, plan: Plan) -> None:
    """Refuse ids used in the database by other data (see ``plan.OWNERS_SEEK``). One
    statement reads every label's size from the count store; a label with no node costs
    nothing more, and a first load into an empty database reads nothing else."""
    clashes: list[str] = []
    wanted: dict[str, str] | None = None
    sizes = tx.run(query_text(plan.owner_sizes)).single(strict=True)["sizes"]
    for check, size in zip(plan.owners, sizes, strict=True):
        if not size:
            continue
        if wanted is None:
            wanted = plan.wanted()
        if not wanted:
            return
        text = check.scan if size <= len(wanted) else check.seek
        params = {"wanted": wanted, "dataset": plan.dataset, "label": check.label}
        for record in tx.run(query_text(text), params):
            if record["owner"] == plan.dataset:  # same dataset, another label: a change of type
                clashes.append(
                    f"{record['id']!r} (a {record['label']} in the database, a "
                    f"{record['wanted']} in the input: to change its type, remove it with "
                    "--prune first)"
                )
            else:
                clashes.append(_held(record))
    if clashes:
        raise LoadError(
            f"ids already used in the database by other data: {', '.join(clashes[:5])}; "
            f"dataset {plan.dataset!r} may not overwrite them (use other ids)"
        )


def check_references(tx: ManagedTransaction, plan: Plan) -> None:
    """Refuse a load whose relationships name ids of other datasets that the database
    does not hold (load those first), or ISO 3166 ids that other data holds."""
    missing: list[tuple[str, str]] = []  # (id, the dataset that defines it)
    for check in plan.external:
        owner = dict(zip(check.ids, check.datasets, strict=True))
        for record in tx.run(query_text(check.text), ids=check.ids):
            missing.append((record["id"], owner[record["id"]]))
    if missing:
        named = ", ".join(f"{node_id!r} (dataset {dataset!r})" for node_id, dataset in missing[:5])
        first = sorted({dataset for _, dataset in missing})
        raise LoadError(
            f"dataset {plan.dataset!r} refers to ids the database does not hold: {named}; "
            f"load {', '.join(repr(d) for d in first)} first (casegraph load with --dataset "
            f"{first[0]}, or the whole seed folder)"
        )
    clashes: list[str] = []
    for check in plan.reference_owners:
        params = {"ids": check.ids, "label": check.label, "dataset": plan.dataset,
                  "reference": REFERENCE_DATASET}  # fmt: skip
        clashes.extend(_held(record) for record in tx.run(query_text(check.text), params))
    if clashes:
        raise LoadError(
            f"ISO 3166 reference ids are used in the database by other data: "
            f"{', '.join(clashes[:5])}; dataset {plan.dataset!r} refers to them as reference "
            "data"
        )
