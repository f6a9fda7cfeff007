"""Validated graph -> load plan. Pure: no I/O, so dry runs, exporters and golden tests share it.

A plan is schema statements (uniqueness constraint on ``id`` per label, the ontology's
indexes) and batches: one query text per label or per (type, from label, to label), the
rows as parameters. Labels and types enter query text only through ``Ontology.quote``.

Each query starts with a head that binds ``rows``, ``dataset``, ``run`` and ``now``: for
the driver that head reads parameters; the Cypher exporter writes literals instead.

A node's row is a map of ``id``, ``props`` and ``hash``; a relationship's of ``start``,
``end``, ``key``, ``props`` and ``hash``. Its dates travel as ISO text, which
the query turns back into Neo4j dates (``date(...)``): the driver packs text natively,
while each ``datetime.date`` costs it a call back into Python (measured: 8.4 against 2.6
µs per row of the benchmark's shape with one date).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

from loader.check.graph import Graph
from loader.check.identity import titled_hash
from loader.check.spill import Spill
from loader.cypher import literal
from loader.errors import UsageError
from loader.model import reference
from loader.model.ontology import SOURCE_TITLES, Ontology, PropertySpec
from loader.plan.statements import (
    COUNT_STALE_NODES,
    COUNT_STALE_RELS,
    EXTERNAL_MISSING,
    LABEL_SIZE,
    LABEL_SIZES,
    NODE_BODY,
    NODE_CREATE,
    NODE_DIFF,
    OWNERS_SCAN,
    OWNERS_SEEK,
    PRUNE_NODES,
    PRUNE_NODES_KEPT,
    PRUNE_REFERRED,
    PRUNE_RELS,
    REFERENCE_BODY,
    REFERENCE_OWNERS,
    REL_BODY,
    REL_CREATE,
    REL_DIFF,
)

DEFAULT_BATCH = 5_000


@dataclass(frozen=True)
class Statement:
    text: str
    params: dict[str, Any] = field(default_factory=dict)
    name: str = ""  # a schema statement's constraint or index: created only when missing


class Batch:
    """One UNWIND batch; its rows are read from the graph's spill store when asked for."""

    def __init__(
        self,
        kind: str,
        name: str,
        body: str,
        diff: str,
        source: RowSource,
        size: int,
        create: str = "",
        dates: tuple[tuple[str, bool], ...] = (),
        titles: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind  # "node" | "rel"
        self.name = name  # label, or relationship type
        self.body = body  # query text after the head
        self.create = create or body  # the same, for a first load of the dataset
        self.diff = diff  # read-only query that counts what this batch would create or change
        self._source = source
        self.size = size
        self.dates = dates  # (property, is a list) of each date property: sent as text
        self.titles = titles  # the sources' titles (id -> title), written beside `sources`

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows as the queries read them (``row.id``, ``row.props``...; dates as text).
        The maps are written out, not built with ``dict(zip(...))``: a quarter of its time,
        which the writer pays for every row."""
        dates = self.dates

        def props(p: dict[str, Any]) -> dict[str, Any]:
            return _dates_as_text(p, dates) if dates else p

        rows = self._source()
        if self.titles is not None:
            rows = _titled(rows, self.titles)
        if self.kind == "node":
            return [{"id": i, "props": props(p), "hash": h} for i, p, h in rows]
        return [
            {"start": a, "end": b, "key": k, "props": props(p), "hash": h} for a, b, k, p, h in rows
        ]


def _titled(rows: list[tuple[Any, ...]], titles: dict[str, str]) -> list[tuple[Any, ...]]:
    """The rows (a node's or a relationship's: props and hash come last), each that cites
    sources with ``according_to``: each source's title (its id when the input does not
    hold it), so that Neo4j Browser's inspector names the sources; the hash covers them.
    Rows citing the same sources share one list (most rows of a batch do)."""
    shown: dict[tuple[str, ...], tuple[list[str], str]] = {}
    out = []
    for row in rows:
        props, digest = row[-2], row[-1]
        cited = props.get("sources")
        if not cited:
            out.append(row)
            continue
        key = tuple(cited)
        found = shown.get(key)
        if found is None:
            names = [titles.get(source, source) for source in cited]
            found = shown[key] = (names, "\x1f".join(names))
        props = {**props, SOURCE_TITLES: found[0]}
        out.append((*row[:-2], props, titled_hash(digest, found[1])))
    return out


def _dates_as_text(props: dict[str, Any], dates: tuple[tuple[str, bool], ...]) -> dict[str, Any]:
    """``props`` with its dates as ISO text (a copy: the stored row is left as it is)."""
    out: dict[str, Any] | None = None
    for name, is_list in dates:
        value = props.get(name)
        if value is None:
            continue
        if out is None:
            out = dict(props)
        out[name] = [d.isoformat() for d in value] if is_list else value.isoformat()
    return props if out is None else out


def _date_properties(props: dict[str, PropertySpec]) -> tuple[tuple[str, bool], ...]:
    return tuple((name, spec.list) for name, spec in sorted(props.items()) if spec.type == "date")


def _date_sets(ont: Ontology, var: str, dates: tuple[tuple[str, bool], ...]) -> str:
    """``, n.born = date(row.props.born)`` for each date property (text in the row)."""
    out = []
    for name, is_list in dates:
        q = ont.quote(name)
        value = f"[d IN row.props.{q} | date(d)]" if is_list else f"date(row.props.{q})"
        out.append(f", {var}.{q} = {value}")
    return "".join(out)


RowSource = Callable[[], list[tuple[Any, ...]]]


@dataclass(frozen=True)
class OwnerCheck:
    """The ids of the input already used in the database by other data, in one label."""

    label: str
    seek: str
    scan: str


@dataclass(frozen=True)
class IdCheck:
    """Ids of one label that the database must hold (``EXTERNAL_MISSING``), or whose
    owner must be the reference data or the loading dataset (``REFERENCE_OWNERS``)."""

    label: str
    text: str
    ids: list[str]
    datasets: tuple[str, ...] = ()  # of the ids, for the message


@dataclass
class PruneStep:
    """Deleting this dataset's elements that the load did not touch (``delete``, ``kept``:
    their ``load_run`` is not this run's), or counting those not in the input (``count``,
    for dry runs, against ``keep``)."""

    kind: str
    name: str
    delete: str
    count: str
    kept: str | None
    keep_source: Callable[[], list[Any]]
    referred: str | None = None  # stale nodes that other datasets' relationships point at

    @property
    def keep(self) -> list[Any]:
        return self.keep_source()


@dataclass
class Plan:
    dataset: str
    checksum: str
    schema: list[Statement]
    nodes: list[Batch]
    rels: list[Batch]
    owners: list[OwnerCheck]
    owner_sizes: str  # one statement: how many nodes each owners' label has, in order
    wanted_source: Callable[[], dict[str, str]]  # id -> label, every node of the input
    prune: list[PruneStep]
    batch_size: int = DEFAULT_BATCH  # rows a batch; a batched prune deletes as many a transaction
    references: list[Batch] = field(default_factory=list)  # ISO 3166 nodes, before the others
    reference_owners: list[IdCheck] = field(default_factory=list)
    external: list[IdCheck] = field(default_factory=list)  # other datasets' ids it names

    @property
    def batches(self) -> list[Batch]:
        return [*self.references, *self.nodes, *self.rels]

    @property
    def size(self) -> int:
        return sum(b.size for b in self.batches)

    @property
    def node_count(self) -> int:
        return sum(b.size for b in self.nodes)

    def require_self_contained(self, what: str) -> None:
        """Refuse, for ``what`` (an offline import), a plan whose relationships reach
        nodes outside it: ISO 3166 reference nodes or other datasets' nodes."""
        if self.references or self.external:
            raise UsageError(
                f"{what} takes a dataset that refers to nothing outside it; {self.dataset!r} "
                "refers to ISO 3166 reference data or to other datasets: load it with "
                "`casegraph load` (or export it with `casegraph export cypher`)"
            )

    def wanted(self) -> dict[str, str]:
        """Every id of the input and its label (read from the spill when asked for)."""
        return self.wanted_source()


def schema_statements(ont: Ontology) -> list[Statement]:
    out = []
    for label in sorted([*ont.labels, "LoadRun"]):
        name = ont.object_name(label, "id")
        q = ont.quote(label)
        out.append(
            Statement(
                f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{q}) REQUIRE n.id IS UNIQUE",
                name=name.strip("`"),
            )
        )
    lock, name = ont.quote("LoadLock"), ont.object_name("LoadLock", "dataset")
    out.append(
        Statement(
            f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{lock}) REQUIRE n.dataset IS UNIQUE",
            name=name.strip("`"),
        )
    )
    for label, spec in sorted(ont.labels.items()):
        for prop in spec.indexes:
            name, q, p = ont.object_name(label, prop), ont.quote(label), ont.quote(prop)
            out.append(
                Statement(
                    f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{q}) ON (n.{p})",
                    name=name.strip("`"),
                )
            )
    return out


def _batches(spill: Spill, key: Hashable, size: int) -> Iterator[RowSource]:
    for start in range(0, spill.count(key), size):
        stop = min(start + size, spill.count(key))

        def rows(start: int = start, stop: int = stop) -> list[tuple[Any, ...]]:
            return spill.read(key, start, stop)

        yield rows


def _batch_sizes(total: int, size: int) -> Iterator[int]:
    for start in range(0, total, size):
        yield min(size, total - start)


def _reference_batches(graph: Graph, ont: Ontology) -> tuple[list[Batch], list[IdCheck]]:
    """The ISO 3166 reference nodes the graph refers to (and their source), and the check
    of who holds their ids (``REFERENCE_BODY``, ``REFERENCE_OWNERS``)."""
    batches, checks = [], []
    for label, rows in sorted(graph.reference_rows.items()):
        q = ont.quote(label)
        body = REFERENCE_BODY.format(label=q, reference=literal(reference.DATASET))
        diff = NODE_DIFF.format(label=q)

        def source(rows: list[tuple[Any, ...]] = rows) -> list[tuple[Any, ...]]:
            return list(rows)

        name = f"{label} ({reference.DATASET})"
        batches.append(
            Batch("node", name, body, diff, source, len(rows), titles=graph.source_titles)
        )
        ids = sorted(row[0] for row in rows)
        checks.append(IdCheck(label, REFERENCE_OWNERS.format(label=q), ids))
    return batches, checks


def _external_checks(graph: Graph, ont: Ontology) -> list[IdCheck]:
    by_label: dict[str, list[tuple[str, str]]] = {}
    for node_id, (label, dataset) in sorted(graph.external.items()):
        by_label.setdefault(label, []).append((node_id, dataset))
    return [
        IdCheck(
            label,
            EXTERNAL_MISSING.format(label=ont.quote(label)),
            [node_id for node_id, _ in found],
            tuple(dataset for _, dataset in found),
        )
        for label, found in sorted(by_label.items())
    ]


def build_plan(graph: Graph, ont: Ontology, batch_size: int = DEFAULT_BATCH) -> Plan:
    labels = [str(label) for label in graph.node_rows.groups()]
    groups: list[tuple[str, str, str]] = graph.rel_rows.groups()  # type: ignore[assignment]

    nodes: list[Batch] = []
    for label in labels:
        q = ont.quote(label)
        dates = _date_properties(ont.labels[label].properties)
        sets = _date_sets(ont, "n", dates)
        body, diff = NODE_BODY.format(label=q, dates=sets), NODE_DIFF.format(label=q)
        create = NODE_CREATE.format(label=q, dates=sets)
        sizes = _batch_sizes(graph.node_rows.count(label), batch_size)
        batches = _batches(graph.node_rows, label, batch_size)  # rows: (id, props, hash)
        for source, size in zip(batches, sizes, strict=True):
            nodes.append(
                Batch("node", label, body, diff, source, size, create, dates, graph.source_titles)
            )
    rels: list[Batch] = []
    for group in groups:
        rtype, start, end = group
        fmt = {"type": ont.quote(rtype), "start": ont.quote(start), "end": ont.quote(end)}
        dates = _date_properties(ont.relationships[rtype].properties)
        sets = _date_sets(ont, "r", dates)
        body, diff = REL_BODY.format(**fmt, dates=sets), REL_DIFF.format(**fmt)
        create = REL_CREATE.format(**fmt, dates=sets)
        sizes = _batch_sizes(graph.rel_rows.count(group), batch_size)
        batches = _batches(graph.rel_rows, group, batch_size)  # (start, end, key, props, hash)
        for source, size in zip(batches, sizes, strict=True):
            rels.append(
                Batch("rel", rtype, body, diff, source, size, create, dates, graph.source_titles)
            )

    def wanted() -> dict[str, str]:
        return {
            str(node_id): label for label in labels for node_id, _, _ in graph.node_rows.rows(label)
        }

    owners = [
        OwnerCheck(
            label,
            OWNERS_SEEK.format(label=ont.quote(label)),
            OWNERS_SCAN.format(label=ont.quote(label)),
        )
        for label in sorted(ont.labels)
    ]
    owner_sizes = LABEL_SIZES.format(
        calls="\n".join(
            LABEL_SIZE.format(label=ont.quote(check.label), index=i)
            for i, check in enumerate(owners)
        ),
        names=", ".join(f"n{i}" for i in range(len(owners))),
    )

    def rel_keep(rtype: str) -> Callable[[], list[Any]]:
        def keep() -> list[Any]:
            return sorted(
                [a, b, k]
                for group in groups
                if group[0] == rtype
                for a, b, k, _, _ in graph.rel_rows.rows(group)
            )

        return keep

    def node_keep(label: str) -> Callable[[], list[Any]]:
        def keep() -> list[Any]:
            return sorted(row[0] for row in graph.node_rows.rows(label))

        return keep

    references, reference_owners = _reference_batches(graph, ont)
    prune: list[PruneStep] = []
    for rtype in sorted(ont.relationships):
        q = ont.quote(rtype)
        prune.append(
            PruneStep(
                "rel",
                rtype,
                PRUNE_RELS.format(type=q),
                COUNT_STALE_RELS.format(type=q),
                None,
                rel_keep(rtype),
            )
        )
    for label in sorted(ont.labels):
        q = ont.quote(label)
        prune.append(
            PruneStep(
                "node",
                label,
                PRUNE_NODES.format(label=q),
                COUNT_STALE_NODES.format(label=q),
                PRUNE_NODES_KEPT.format(label=q),
                node_keep(label),
                PRUNE_REFERRED.format(label=q),
            )
        )
    return Plan(
        dataset=graph.dataset,
        checksum=graph.checksum,
        schema=schema_statements(ont),
        nodes=nodes,
        rels=rels,
        owners=owners,
        owner_sizes=owner_sizes,
        wanted_source=wanted,
        prune=prune,
        batch_size=batch_size,
        references=references,
        reference_owners=reference_owners,
        external=_external_checks(graph, ont),
    )
