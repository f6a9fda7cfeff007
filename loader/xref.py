"""Candidate pairs of one entity in two cases, for a person to judge (``casegraph xref``).

casegraph never merges two nodes. ``candidates`` compares the checked graphs of several
datasets and proposes pairs of nodes of one label and two datasets that may be one
entity, each with a score (0 to 1) and its reasons:

- the same name, once normalised (case, accents, punctuation and spacing ignored): 0.9;
- a name or alias of one that is a name or alias of the other: 0.7;
- the same acronym: 0.6.

A pair that a ``SAME_AS`` record of the input already judges (same, not_same or unsure,
in either direction) is not proposed again. ``candidates_file`` writes the proposals as
a seed file of ``SAME_AS`` records whose judgement, author, date, reason and sources are
left for the reviewer: it does not validate until they are filled in, so nothing
unreviewed can be loaded.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from loader.check.graph import Graph
from loader.model.ontology import Ontology
from loader.read.yamlread import scalar_text

SAME_AS = "SAME_AS"
SCORES = {"name": 0.9, "alias": 0.7, "acronym": 0.6}


def normalised(text: str) -> str:
    """``text`` compared loosely: no accents, case or punctuation, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.replace("\u2019", "'"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", bare).split())


@dataclass(frozen=True)
class Entity:
    id: str
    label: str
    dataset: str
    name: str
    key: str  # the normalised name
    names: frozenset[str]  # the normalised name and aliases
    acronym: str


@dataclass
class Candidate:
    a: Entity
    b: Entity
    reasons: dict[str, str] = field(default_factory=dict)  # kind -> the matching text

    @property
    def score(self) -> float:
        return max(SCORES[kind] for kind in self.reasons)

    @property
    def why(self) -> str:
        said = {"name": "same name", "alias": "a name or alias of both", "acronym": "same acronym"}
        return "; ".join(f"{said[k]} {v!r}" for k, v in sorted(self.reasons.items()))


def _entities(graphs: Iterable[Graph], ontology: Ontology) -> list[Entity]:
    out = []
    matchable = {
        label for pair in ontology.relationships[SAME_AS].between for label in pair
    } if SAME_AS in ontology.relationships else set()  # fmt: skip
    for graph in graphs:
        for node in graph.nodes:
            if node.label not in matchable:
                continue
            name = str(node.props.get("name") or "")
            key = normalised(name)
            names = {key, *(normalised(x) for x in node.props.get("aliases", []))}
            acronym = normalised(str(node.props.get("acronym") or ""))
            names.discard("")
            out.append(
                Entity(node.id, node.label, graph.dataset, name, key, frozenset(names), acronym)
            )
    return out


def judged(graphs: Iterable[Graph]) -> set[frozenset[str]]:
    """The pairs of ids that a SAME_AS record of the input judges (either direction)."""
    return {
        frozenset((rel.start, rel.end)) for g in graphs for rel in g.rels if rel.type == SAME_AS
    }


def candidates(graphs: list[Graph], ontology: Ontology, min_score: float = 0.0) -> tuple[
    list[Candidate], int
]:  # fmt: skip
    """The proposed pairs, best first, and how many matching pairs were already judged."""
    entities = _entities(graphs, ontology)
    done = judged(graphs)
    buckets: dict[tuple[str, str, str], list[Entity]] = {}
    for entity in entities:
        keys = [("name", entity.key)] if entity.name else []
        keys += [("alias", n) for n in entity.names]
        if entity.acronym:
            keys.append(("acronym", entity.acronym))
        for kind, text in keys:
            buckets.setdefault((entity.label, kind, text), []).append(entity)
    found: dict[tuple[str, str], Candidate] = {}
    for (_, kind, text), members in sorted(buckets.items()):
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.dataset == b.dataset or a.id == b.id:
                    continue
                first, second = sorted((a, b), key=lambda e: (e.dataset, e.id))
                pair = found.setdefault((first.id, second.id), Candidate(first, second))
                if kind not in pair.reasons:
                    pair.reasons[kind] = text
    already = [c for c in found.values() if frozenset((c.a.id, c.b.id)) in done]
    fresh = [c for c in found.values() if frozenset((c.a.id, c.b.id)) not in done]
    fresh = [c for c in fresh if c.score >= min_score]
    fresh.sort(key=lambda c: (-c.score, c.a.label, c.a.id, c.b.id))
    return fresh, len(already)


def candidates_file(found: list[Candidate], dataset: str, generated_on: str) -> str:
    """The proposals as a seed file of SAME_AS records for review (see the module doc)."""
    uses = sorted({c.a.dataset for c in found} | {c.b.dataset for c in found})
    lines = [
        f"# Candidate pairs proposed by `casegraph xref` on {generated_on}. Review each one:",
        "# set judgement (same, not_same or unsure), decided_by, decided_on, reason and the",
        "# sources the decision rests on; delete a pair you do not want to judge. This file",
        "# does not validate until then. Put it in its own folder (e.g. seed/identity/):",
        "# loaded, every judgement is a SAME_AS claim, and judged pairs are not proposed again.",
        f"dataset: {dataset}",
        f"uses: [{', '.join(uses)}]",
        "",
        "relationships:",
    ]
    for c in found:
        lines += [
            f"  # {c.a.label} {scalar_text(c.a.name)} ({c.a.dataset}) and {scalar_text(c.b.name)} "
            f"({c.b.dataset}): {c.why}",
            "  - type: SAME_AS",
            f"    from: {scalar_text(c.a.id)}",
            f"    to: {scalar_text(c.b.id)}",
            "    judgement:        # same | not_same | unsure",
            "    status: assessed",
            "    decided_by:",
            "    decided_on:       # YYYY-MM-DD",
            "    reason:",
            "    sources: []       # the Source ids the decision rests on",
            f"    score: {c.score}",
            f"    note: {scalar_text('proposed by casegraph xref: ' + c.why)}",
            "",
        ]
    return "\n".join(lines)
