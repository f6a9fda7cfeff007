"""A synthetic case of any size: valid seed YAML for the ontology, deterministic by seed.

    python -m benchmarks.generate --entities 10000 --shape uniform --files 4 --out /tmp/case
    casegraph validate /tmp/case

Every label of the ontology gets nodes with realistic properties (French and English
strings, alias lists, dates at year, month or day precision, ISO country and subdivision
codes, enums, integers), every node of a ``sources: required`` label cites Source nodes,
and relationships of every type join allowed (from, to) label pairs, each with a
``status`` and ``sources``. Relationship identities (type, from, to, identity properties)
are unique, as the validator demands.

Shapes:
- ``uniform``: about 3 relationships per entity (mean degree ~6), ends drawn uniformly;
- ``powerlaw``: the same number, but for each relationship one end is drawn from a
  Zipf-like (Pareto) distribution over its label, so the first few nodes of each label
  are hubs (at 1M entities the biggest hold 100k+ relationships); relationships between
  nodes of one label come back as reciprocal pairs (A->B and B->A) half of the time.

The YAML is written with plain string formatting (``json.dumps`` for strings, which is
valid YAML); values are typed by the ontology, so dates and codes stay unquoted.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import time
import zlib
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from loader.model.ontology import LabelSpec, Ontology, PropertySpec, RelSpec, load_ontology

SHAPES = ("uniform", "powerlaw")
RELS_PER_ENTITY = 3.0
PARETO_ALPHA = 0.4  # P(rank 0) = 1 - 2**-alpha ~ 24% of the skewed draws of a label
RECIPROCAL_P = 0.5
ENTITIES_PER_FILE = 10_000
MANIFEST = "generator.json"

# Share of the entities per label; labels not listed get DEFAULT_SHARE.
LABEL_SHARE = {
    "Person": 0.30,
    "Event": 0.12,
    "Source": 0.08,
    "Organization": 0.08,
    "Domain": 0.07,
    "Figure": 0.07,
    "Agency": 0.06,
    "Jurisdiction": 0.06,
    "Investigation": 0.06,
    "Platform": 0.05,
    "Offence": 0.05,
}
DEFAULT_SHARE = 0.05

# fmt: off
FIRST = (
    "Jean", "Marie", "Isaac", "Sophie", "Pierre", "Camille", "Lucas", "Léa", "Thomas", "Chloé",
    "Nicolas", "Émilie", "Hugo", "Manon", "Julien", "Inès", "Karim", "Yasmine", "Olivier",
    "Anaïs", "John", "Emma", "Oliver", "Hannah", "Lukas", "Anna", "Marco", "Giulia", "Pablo",
    "Lucía", "Ivan", "Elena", "Zoé", "Noël", "François", "Hélène"
)
LAST = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "François", "Martinez", "Smith", "Müller", "Rossi", "Novak", "Ivanov", "Steidl", "O'Brien"
)
CITIES = (
    "Paris", "Lyon", "Marseille", "Toulon", "Nice", "Lille", "Bordeaux", "Toulouse",
    "Strasbourg", "Nantes", "Rennes", "Montpellier", "Grenoble", "Dijon", "Metz", "Ajaccio",
    "Bruxelles", "Genève", "Luxembourg", "Sofia"
)
# (ISO 3166-1 code, French name, English name)
COUNTRIES = (
    ("FR", "France", "France"),
    ("DE", "Allemagne", "Germany"),
    ("BE", "Belgique", "Belgium"),
    ("NL", "Pays-Bas", "Netherlands"),
    ("ES", "Espagne", "Spain"),
    ("IT", "Italie", "Italy"),
    ("BG", "Bulgarie", "Bulgaria"),
    ("LU", "Luxembourg", "Luxembourg"),
    ("CH", "Suisse", "Switzerland"),
    ("GB", "Royaume-Uni", "United Kingdom"),
    ("US", "États-Unis", "United States"),
    ("CA", "Canada", "Canada"),
    ("NO", "Norvège", "Norway"),
    ("PT", "Portugal", "Portugal"),
    ("PL", "Pologne", "Poland"),
)
# (ISO 3166-2 code, name)
SUBDIVISIONS = (
    ("FR-83", "Var"),
    ("FR-13", "Bouches-du-Rhône"),
    ("FR-06", "Alpes-Maritimes"),
    ("FR-69", "Rhône"),
    ("FR-33", "Gironde"),
    ("FR-59", "Nord"),
    ("FR-31", "Haute-Garonne"),
    ("FR-75C", "Paris"),
    ("FR-IDF", "Île-de-France"),
    ("DE-BY", "Bayern"),
    ("DE-BE", "Berlin"),
    ("BE-BRU", "Bruxelles-Capitale"),
    ("ES-CT", "Catalunya"),
    ("IT-RM", "Roma"),
    ("BG-22", "Sofia"),
    ("NL-NH", "Noord-Holland"),
    ("CH-GE", "Genève"),
    ("NO-03", "Oslo"),
)
AGENCY_KINDS = (
    ("Parquet de {city}", "{city} prosecutor's office", "prosecutor"),
    ("Brigade de gendarmerie de {city}", "{city} gendarmerie unit", "gendarmerie"),
    ("Direction régionale des douanes de {city}", "{city} customs", "customs"),
    ("Police judiciaire de {city}", "{city} criminal police", "police"),
    ("Office national anti-fraude, antenne de {city}", "ONAF {city}", "national_office"),
)
OFFENCES = (
    (
        "Complicité de détention d'images pédopornographiques",
        "Complicity in possession of child sexual abuse images",
    ),
    ("Blanchiment en bande organisée", "Organised money laundering"),
    ("Escroquerie en bande organisée", "Organised fraud"),
    (
        "Administration illicite d'une plateforme en ligne",
        "Unlawful administration of an online platform",
    ),
    ("Trafic de stupéfiants", "Drug trafficking"),
    ("Association de malfaiteurs", "Criminal conspiracy"),
    ("Harcèlement moral en ligne", "Online harassment"),
    ("Proxénétisme aggravé", "Aggravated pimping"),
)
PUBLISHERS = (
    "Le Parisien",
    "Le Monde",
    "AFP",
    "Reuters",
    "Next",
    "Libération",
    "France Info",
    "Parquet de Paris",
    "Ministère de l'Intérieur",
    "Eurojust",
    "BBC News",
    "The Guardian",
)
WORDS = (
    "chat", "coco", "kiwi", "nova", "orbit", "pixel", "lumen", "vortex", "echo", "delta",
    "sigma", "atlas", "hydra", "zen"
)
# fmt: on
TLDS = ("gg", "fr", "net", "com", "io", "eu", "to")
EVENT_NAMES = {
    "investigation_opened": "Ouverture d'une enquête",
    "shutdown": "Fermeture du site",
    "arrest": "Interpellations",
    "custody": "Garde à vue",
    "relocation": "Déménagement à l'étranger",
    "domain_move": "Changement de domaine",
    "nationality_renunciation": "Renonciation à la nationalité",
    "launch": "Lancement de la plateforme",
}
UNITS = ("procédures judiciaires", "victimes", "parquets", "utilisateurs", "euros saisis")
NOTES = (
    "Selon l'article, la date n'est pas précisée.",
    "Connu seulement par un résumé de presse.",
    "« Sa femme » : la source ne la nomme pas.",
    'The source says "at least for a time"; wording kept.',
    "Information reprise par l'AFP \\ citée par Next.",
    "Première ligne.\nDeuxième ligne : détails.",
)


@dataclass
class Stats:
    """What ``generate`` wrote (also saved as ``generator.json`` next to the YAML)."""

    entities: int
    relationships: int
    files: int
    shape: str
    seed: int
    dataset: str
    nodes_by_label: dict[str, int] = field(default_factory=dict)
    rels_by_type: dict[str, int] = field(default_factory=dict)
    top_degrees: list[int] = field(default_factory=list)
    reciprocal_pairs: int = 0
    skipped_duplicates: int = 0
    bytes: int = 0
    seconds: float = 0.0
    # the ontology's source links casegraph writes from the nodes' sources (one per
    # source a node cites), beyond the relationships of the YAML
    source_links: int = 0

    @property
    def written_relationships(self) -> int:
        """What a load writes: the YAML's relationships and the source links."""
        return self.relationships + self.source_links

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)


class _Values:
    """Property values as YAML text, by (label, property) name, else by value type."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.r = rng.random

    def pick(self, seq: tuple[Any, ...] | list[Any]) -> Any:
        return seq[int(self.r() * len(seq))]

    def date(self) -> str:
        year = 1995 + int(self.r() * 30)
        roll = self.r()
        if roll < 0.2:
            return f"{year}"
        month = 1 + int(self.r() * 12)
        if roll < 0.5:
            return f"{year}-{month:02d}"
        return f"{year}-{month:02d}-{1 + int(self.r() * 28):02d}"

    def person(self) -> str:
        return f"{self.pick(FIRST)} {self.pick(LAST)}"

    def by_type(self, spec: PropertySpec, j: int) -> str:
        t = spec.type
        if t == "date":
            return self.date()
        if t == "int":
            return str(int(self.r() * 100_000))
        if t == "float":
            return f"{self.r() * 1000:.3f}"
        if t == "bool":
            return "true" if self.r() < 0.5 else "false"
        if t == "enum":
            return str(self.pick(spec.values))
        if t == "country":
            return str(self.pick(COUNTRIES)[0])
        if t == "subdivision":
            return str(self.pick(SUBDIVISIONS)[0])
        if t == "currency":
            return str(self.pick(("EUR", "USD", "GBP", "CHF")))
        if t == "url":
            return q(f"https://example.org/{spec.name}/{j}")
        if t == "text":
            return q(self.pick(NOTES))
        return q(f"{spec.name.replace('_', ' ').capitalize()} {j}")

    def scalar(self, label: str, spec: PropertySpec, j: int, ctx: dict[str, Any]) -> str:
        name = spec.name
        special = SPECIAL.get((label, name)) or SPECIAL.get(("*", name))
        if special is not None:
            return special(self, j, ctx)
        return self.by_type(spec, j)

    def value(self, label: str, spec: PropertySpec, j: int, ctx: dict[str, Any]) -> str:
        if not spec.list:
            return self.scalar(label, spec, j, ctx)
        if spec.name == "aliases":
            return aliases(self, label, j, ctx)
        items = [self.scalar(label, spec, j, ctx) for _ in range(1 + int(self.r() * 3))]
        return "[" + ", ".join(dict.fromkeys(items)) + "]"


def aliases(v: _Values, label: str, j: int, ctx: dict[str, Any]) -> str:
    if label == "Jurisdiction":
        names = [ctx["english"], ctx["code"]]
    elif label == "Person":
        names = [f"{ctx['name'].split()[0][0]}. {ctx['name'].split()[-1]}", f"user{j}"]
    elif label == "Agency":
        names = [ctx["english"], ctx["acronym"]]
    else:
        names = [f"{ctx['name']} (EN)", f"alias-{j}"]
    return json.dumps(names[: 1 + int(v.r() * len(names))], ensure_ascii=False)


def _name(v: _Values, label: str, j: int, ctx: dict[str, Any]) -> str:  # noqa: PLR0912
    """The required name/title of a node; sets context other properties agree with."""
    if label == "Person":
        name = v.person()
    elif label == "Agency":
        fr, en, kind = v.pick(AGENCY_KINDS)
        city = v.pick(CITIES)
        name, ctx["english"], ctx["kind"] = fr.format(city=city), en.format(city=city), kind
        ctx["acronym"] = "".join(w[0] for w in name.split() if w[0].isupper()) + str(j)
    elif label == "Jurisdiction":
        if v.r() < 0.6:
            code, name, english = v.pick(COUNTRIES)
            ctx.update(kind="state", country=code)
        else:
            code, name = v.pick(SUBDIVISIONS)
            english = name
            ctx.update(kind="subdivision", country=code[:2], subdivision=code)
        ctx.update(code=code, english=english)
    elif label == "Platform":
        name = f"{v.pick(WORDS)}{j}"
    elif label == "Domain":
        name = f"{v.pick(WORDS)}{j}.{v.pick(TLDS)}"
    elif label == "Organization":
        name = f"{v.pick(LAST)} {v.pick(('SAS', 'SARL', 'Ltd', 'GmbH', 'association'))} {j}"
    elif label == "Investigation":
        name = f"Enquête sur la plateforme {v.pick(WORDS)}{j}"
    elif label == "Event":
        ctx["kind"] = kind = v.pick(tuple(EVENT_NAMES))
        name = f"{EVENT_NAMES[kind]} n° {j}"
    elif label == "Offence":
        name, ctx["english"] = v.pick(OFFENCES)
        name = f"{name} ({j})"
    elif label == "Figure":
        ctx["value"] = value = int(10 ** (1 + v.r() * 5))
        ctx["unit"] = unit = v.pick(UNITS)
        name = f"{value:,} {unit}".replace(",", " ")
    elif label == "Source":
        ctx["publisher"] = publisher = v.pick(PUBLISHERS)
        name = f"Article de {publisher} sur l'affaire n° {j}"
    else:
        name = f"{label} {j}"
    ctx["name"] = name
    return q(name)


def ruled(
    spec: LabelSpec | RelSpec, props: list[tuple[str, str]], draw: Callable[[str], str]
) -> list[tuple[str, str]]:
    """``props`` kept to the ontology's presence rules: of each ``one_of`` group exactly
    one (the first drawn, or the group's first, drawn now); each ``together`` group all
    or none (completed when it holds a ``one_of`` choice, else dropped); ``draw(name)``
    draws a value."""
    if spec.rules is None or not (spec.rules.one_of or spec.rules.together):
        return props
    chosen = set()
    for group in spec.rules.one_of:
        present = [name for name, _ in props if name in group]
        keep = present[0] if present else group[0]
        if not present:
            props.append((keep, draw(keep)))
        props = [(n, t) for n, t in props if n not in group or n == keep]
        chosen.add(keep)
    for group in spec.rules.together:
        present = {name for name, _ in props} & set(group)
        if not present or len(present) == len(group):
            continue
        if present & chosen:
            props.extend((name, draw(name)) for name in group if name not in present)
        else:
            props = [(n, t) for n, t in props if n not in group]
    return props


def in_order(spec: LabelSpec | RelSpec, props: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``props`` (name, YAML text) with the dates of each of the ontology's ``order`` rules
    swapped where drawn the wrong way round: ISO dates compare as text, and a date that
    is not after the other as text is not before it either (2003 and 2003-05)."""
    if spec.rules is None or not spec.rules.order:
        return props
    at = {name: i for i, (name, _) in enumerate(props)}
    for first, then in spec.rules.order:
        if first in at and then in at and props[at[then]][1] < props[at[first]][1]:
            i, k = at[first], at[then]
            props[i], props[k] = (first, props[k][1]), (then, props[i][1])
    return props


def _ctx(key: str, fallback: Callable[[_Values, int], str]) -> Callable[..., str]:
    def get(v: _Values, j: int, ctx: dict[str, Any]) -> str:
        value = ctx.get(key)
        return fallback(v, j) if value is None else str(value)

    return get


SPECIAL: dict[tuple[str, str], Callable[[_Values, int, dict[str, Any]], str]] = {
    ("Agency", "acronym"): lambda v, j, ctx: q(ctx["acronym"]),
    ("Agency", "kind"): lambda v, j, ctx: ctx["kind"],
    ("Jurisdiction", "iso_code"): lambda v, j, ctx: ctx["code"],
    ("Jurisdiction", "kind"): lambda v, j, ctx: ctx["kind"],
    ("Jurisdiction", "country"): lambda v, j, ctx: ctx["country"],
    ("Jurisdiction", "subdivision"): _ctx("subdivision", lambda v, j: v.pick(SUBDIVISIONS)[0]),
    ("Event", "kind"): lambda v, j, ctx: ctx["kind"],
    ("Offence", "name_en"): lambda v, j, ctx: q(ctx["english"]),
    ("Figure", "value"): lambda v, j, ctx: str(ctx["value"]),
    ("Figure", "unit"): lambda v, j, ctx: q(ctx["unit"]),
    ("Source", "publisher"): lambda v, j, ctx: q(ctx["publisher"]),
    ("Source", "language"): lambda v, j, ctx: v.pick(("fr", "en", "de", "fr", "fr")),
    ("Person", "age"): lambda v, j, ctx: str(18 + int(v.r() * 60)),
    ("Person", "role"): lambda v, j, ctx: q(
        v.pick(("créateur", "modérateur", "suspect", "témoin", "administrator"))
    ),
    ("Person", "occupation"): lambda v, j, ctx: q(
        v.pick(("ingénieur informaticien", "commerçant", "developer"))
    ),
    ("*", "people_count"): lambda v, j, ctx: str(1 + int(v.r() * 12)),
    ("*", "max_prison_years"): lambda v, j, ctx: str(v.pick((2, 3, 5, 7, 10, 20))),
    ("*", "max_fine_eur"): lambda v, j, ctx: str(v.pick((30_000, 75_000, 150_000, 750_000))),
    ("*", "role"): lambda v, j, ctx: q(v.pick(("enquêteur principal", "co-saisi", "support"))),
}


@dataclass
class _Rels:
    """Relationship sampling state: pairs, node counts, dedupe keys, degrees."""

    ont: Ontology
    counts: dict[str, int]
    shape: str
    rng: random.Random
    values: _Values
    source_ids: int
    pairs: list[tuple[str, str, str]] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    degree: array[int] = field(default_factory=lambda: array("l"))
    offset: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    reciprocal: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        total = 0
        for label in sorted(self.counts):
            self.offset[label] = total
            total += self.counts[label]
        self.total_nodes = total
        self.degree = array("l", bytes(8 * total))
        by_from: dict[str, list[tuple[str, str, str]]] = {}
        # the types seed files give (casegraph writes the source links itself)
        types = sorted(t for t, spec in self.ont.relationships.items() if not spec.derived)
        for rtype in types:
            for start, end in sorted(self.ont.relationships[rtype].between):
                by_from.setdefault(start, []).append((rtype, start, end))
        self.from_labels = sorted(by_from)
        self.by_from = by_from
        cum, acc = [], 0
        for label in self.from_labels:
            acc += self.counts[label]
            cum.append(acc)
        self.cum = cum
        self.type_index = {t: i for i, t in enumerate(types)}
        statuses = list(self.ont.statuses)
        heavy = [s for s in ("official", "reported") if s in statuses] * 4
        self.statuses = heavy + statuses

    def zipf(self, n: int) -> int:
        r = self.rng.random
        while True:
            rank = int((1.0 - r()) ** (-1.0 / PARETO_ALPHA)) - 1
            if rank < n:
                return rank

    def draw(self, label: str, skewed: bool) -> int:
        n = self.counts[label]
        return self.zipf(n) if skewed else int(self.rng.random() * n)

    def sources(self) -> str:
        n = self.source_ids
        want = min(n, 1 + (self.rng.random() < 0.35) + (self.rng.random() < 0.1))
        picked: dict[int, None] = {}
        skew = self.shape == "powerlaw"
        while len(picked) < want:
            picked[self.draw_source(n, skew)] = None
        return "[" + ", ".join(f"source/{i}" for i in picked) + "]"

    def draw_source(self, n: int, skew: bool) -> int:
        return self.zipf(n) if skew and self.rng.random() < 0.5 else int(self.rng.random() * n)

    def one(self) -> list[str]:
        """Up to two relationship records (a reciprocal pair in the power-law shape)."""
        r = self.rng.random
        for _ in range(30):
            label = self.from_labels[bisect_right(self.cum, r() * self.cum[-1])]
            choices = self.by_from[label]
            rtype, start, end = choices[int(r() * len(choices))]
            if self.shape == "powerlaw":
                skew_from = r() < 0.5
                a, b = self.draw(start, skew_from), self.draw(end, not skew_from)
            else:
                a, b = self.draw(start, False), self.draw(end, False)
            if start == end and a == b:
                continue
            spec = self.ont.relationships[rtype]
            props = self.props(spec, a)
            key = self.key(rtype, start, a, end, b, props, spec)
            if key in self.seen:
                self.skipped += 1
                continue
            self.seen.add(key)
            out = [self.record(rtype, start, a, end, b, props)]
            if self.shape == "powerlaw" and start == end and r() < RECIPROCAL_P:
                back = self.props(spec, b)
                bkey = self.key(rtype, end, b, start, a, back, spec)
                if bkey not in self.seen:
                    self.seen.add(bkey)
                    out.append(self.record(rtype, end, b, start, a, back))
                    self.reciprocal += 1
            return out
        return []

    def props(self, spec: RelSpec, j: int) -> list[tuple[str, str]]:
        out = []
        for name, pspec in spec.properties.items():
            p = 0.85 if name in spec.identity else 0.3 if pspec.type == "text" else 0.4
            if pspec.required or self.rng.random() < p:
                out.append((name, self.values.value(spec.name, pspec, j, {})))
        out = ruled(
            spec, out, lambda name: self.values.value(spec.name, spec.properties[name], j, {})
        )
        return in_order(spec, out)

    def key(
        self,
        rtype: str,
        start: str,
        a: int,
        end: str,
        b: int,
        props: list[tuple[str, str]],
        spec: RelSpec,
    ) -> int:
        variant = 0
        if spec.identity:
            ident = dict(props)
            variant = zlib.crc32(json.dumps([ident.get(p) for p in spec.identity]).encode())
        n = self.total_nodes
        ga, gb = self.offset[start] + a, self.offset[end] + b
        return (((self.type_index[rtype] * n + ga) * n + gb) << 32) | variant

    def record(
        self, rtype: str, start: str, a: int, end: str, b: int, props: list[tuple[str, str]]
    ) -> str:
        self.degree[self.offset[start] + a] += 1
        self.degree[self.offset[end] + b] += 1
        self.by_type[rtype] = self.by_type.get(rtype, 0) + 1
        status = self.statuses[int(self.rng.random() * len(self.statuses))]
        lines = [
            f"  - type: {rtype}",
            f"    from: {start.lower()}/{a}",
            f"    to: {end.lower()}/{b}",
            f"    status: {status}",
            f"    sources: {self.sources()}",
        ]
        lines.extend(f"    {name}: {text}" for name, text in props)
        return "\n".join(lines) + "\n"


def label_counts(ont: Ontology, entities: int) -> dict[str, int]:
    labels = sorted(ont.labels)
    shares = {label: LABEL_SHARE.get(label, DEFAULT_SHARE) for label in labels}
    total = sum(shares.values())
    counts = {label: max(2, int(entities * shares[label] / total)) for label in labels}
    biggest = max(labels, key=lambda label: shares[label])
    counts[biggest] += entities - sum(counts.values())
    if counts[biggest] < 2:
        raise ValueError(f"--entities {entities} is too small for {len(labels)} labels")
    return counts


def _node(
    v: _Values,
    spec: LabelSpec,
    j: int,
    sources: Callable[[], str],
    source_label: str,
    late: str | None = None,
) -> str:
    """One node record; ``late``: the source label's date property, drawn in 2025 (after
    every other date the generator draws) for the rule not_after_sources."""
    label = spec.name
    ctx: dict[str, Any] = {}
    lines = [f"  - id: {label.lower()}/{j}", f"    type: {label}"]
    first = "title" if "title" in spec.properties else "name"
    if first in spec.properties:
        lines.append(f"    {first}: {_name(v, label, j, ctx)}")
    else:
        ctx["name"] = f"{label} {j}"
    props = []
    for name, pspec in spec.properties.items():
        if name == first:
            continue
        if name == "subdivision" and label == "Jurisdiction" and "subdivision" not in ctx:
            continue  # a state has no subdivision code
        if pspec.required or v.r() < (0.3 if pspec.type == "text" else 0.6):
            text = v.value(label, pspec, j, ctx)
            props.append(
                (name, "2025" + text[4:] if label == source_label and name == late else text)
            )
    props = ruled(spec, props, lambda name: v.value(label, spec.properties[name], j, ctx))
    lines.extend(f"    {name}: {text}" for name, text in in_order(spec, props))
    if spec.sources_required or (label != source_label and v.r() < 0.5):
        lines.append(f"    sources: {sources()}")
    return "\n".join(lines) + "\n"


def generate(
    out: Path,
    entities: int,
    shape: str = "uniform",
    files: int | None = None,
    seed: int = 1,
    dataset: str = "synthetic",
    ontology: Ontology | None = None,
) -> Stats:
    """Write ``files`` YAML files into ``out`` (emptied first) and return what was written."""
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}")
    began = time.perf_counter()
    ont = ontology or load_ontology()
    counts = label_counts(ont, entities)
    entities = sum(counts.values())
    files = files or max(1, math.ceil(entities / ENTITIES_PER_FILE))
    rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
    values = _Values(rng)
    source_label = ont.source_label
    dated = [*ont.labels.values(), *ont.relationships.values()]
    late = ont.source_date if any(s.rules and s.rules.not_after_sources for s in dated) else None
    rels = _Rels(ont, counts, shape, rng, values, counts[source_label])
    cited = 0

    def node_sources() -> str:  # a node's sources, counted: a source link each
        nonlocal cited
        text = rels.sources()
        cited += text.count(",") + 1
        return text

    order = [label for label in sorted(counts) for _ in range(counts[label])]
    rng.shuffle(order)
    target = round(entities * RELS_PER_ENTITY)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    next_id = dict.fromkeys(counts, 0)
    written = size = 0
    for i in range(files):
        path = out / f"part-{i + 1:04d}.yaml"
        with path.open("w", encoding="utf-8") as fh:
            fh.write(f"# Synthetic case ({shape}, seed {seed}), file {i + 1} of {files}.\n")
            fh.write(f"dataset: {dataset}\n")
            nodes = order[i * entities // files : (i + 1) * entities // files]
            if nodes:
                fh.write("\nnodes:\n")
            for label in nodes:
                j = next_id[label]
                next_id[label] = j + 1
                fh.write(_node(values, ont.labels[label], j, node_sources, source_label, late))
            written = _write_rels(fh, rels, target * (i + 1) // files, written)
        size += path.stat().st_size
    top = sorted(rels.degree, reverse=True)[:10]
    stats = Stats(
        entities=entities,
        relationships=sum(rels.by_type.values()),
        files=files,
        shape=shape,
        seed=seed,
        dataset=dataset,
        nodes_by_label=counts,
        rels_by_type=dict(sorted(rels.by_type.items())),
        top_degrees=list(top),
        reciprocal_pairs=rels.reciprocal,
        skipped_duplicates=rels.skipped,
        bytes=size,
        seconds=round(time.perf_counter() - began, 3),
        source_links=cited if ont.source_link else 0,
    )
    (out / MANIFEST).write_text(json.dumps(stats.to_dict(), indent=2) + "\n", encoding="utf-8")
    return stats


def _write_rels(fh: TextIO, rels: _Rels, until: int, written: int) -> int:
    header = False
    misses = 0
    while written < until and misses < 1000:
        records = rels.one()
        if not records:
            misses += 1
            continue
        if not header:
            fh.write("\nrelationships:\n")
            header = True
        for record in records:
            fh.write(record)
        written += len(records)
    return written


def mutate(src: Path, dst: Path, fraction: float = 0.01) -> int:
    """Copy a generated case, changing the name of every 1/fraction-th node (or of the
    next one with a name: a Source's title is shown on everything that cites it, so
    changing one would change those too).

    Returns how many nodes changed; relationships are left as they were.
    """
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    every = max(1, round(1 / fraction))
    seen = changed = 0
    pending = False
    for path in sorted(src.glob("*.yaml")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        for n, line in enumerate(lines):
            if line.startswith("  - id: "):
                seen += 1
                pending = pending or seen % every == 0
            elif pending and line.startswith('    name: "'):
                key, _, value = line.partition(": ")
                lines[n] = f"{key}: {q(json.loads(value) + ' (révisé)')}\n"
                changed += 1
                pending = False
        (dst / path.name).write_text("".join(lines), encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=10_000, help="number of nodes")
    parser.add_argument("--shape", choices=SHAPES, default="uniform")
    parser.add_argument("--files", type=int, default=None, help="default: one per 10,000")
    parser.add_argument("--out", type=Path, required=True, help="directory (emptied first)")
    parser.add_argument("--dataset", default="synthetic")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    stats = generate(args.out, args.entities, args.shape, args.files, args.seed, args.dataset)
    print(
        f"Wrote {stats.files} file(s), {stats.entities:,} nodes and {stats.relationships:,} "
        f"relationships ({stats.bytes / 1e6:.1f} MB, {stats.shape}, seed {stats.seed}) to "
        f"{args.out} in {stats.seconds:.1f}s; biggest degrees {stats.top_degrees[:5]}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
