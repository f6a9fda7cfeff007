"""ISO 3166 reference data: every state and subdivision as a Jurisdiction nobody types.

A case refers to ``jurisdiction/de`` or ``jurisdiction/fr-83`` without defining it; the
check finds the id here, and the load creates the node the first time a case refers to
it (dataset ``iso-3166``), so the database holds only the places cases meet, not the
5,000 subdivisions. The records are written as seed YAML (``seed_text``) and checked by
the same rules as any seed file: nothing here is a second copy of a rule.

Names come from pycountry (the Debian iso-codes data): a state's English name, with its
official and common names and its names in ``LOCALES`` as aliases; a subdivision's
English name where iso-codes has one, else its own, with the other forms as aliases. The
European Union, which ISO 3166-1 reserves as ``EU``, is the one supranational entry.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from importlib.metadata import version
from typing import Any

import pycountry

from loader.model.ontology import Ontology
from loader.read.yamlread import scalar_text

DATASET = "iso-3166"
LABEL = "Jurisdiction"
SOURCE_ID = "source/iso-3166"
PREFIX = "jurisdiction/"
# languages whose names become aliases: the cases' (French, German, Spanish, Dutch,
# Romanian, Swedish) and the EU's other large ones
LOCALES = ("fr", "de", "es", "it", "nl", "pt", "ro", "sv")
_ID = re.compile(r"jurisdiction/([a-z]{2})(?:-([a-z0-9]{1,3}))?")

_SUPRANATIONAL = {
    "eu": {
        "name": "European Union",
        "aliases": ["EU", "Union européenne", "UE", "Europäische Union", "Unión Europea"],
        "iso_code": "EU",
        "note": "ISO 3166-1 reserves the code EU for the European Union (exceptional reservation).",
    }
}


_JURISDICTION = frozenset({"name", "aliases", "iso_code", "kind", "country", "subdivision", "note"})
_SOURCE = frozenset({"title", "publisher", "kind", "url", "note"})


def usable(ontology: Ontology) -> bool:
    """Whether the ontology has the labels and properties the reference nodes are written
    in (casegraph's has; an ontology of one's own may not, and then there are none)."""
    jurisdiction = ontology.labels.get(LABEL)
    source = ontology.labels.get(ontology.source_label)
    return (
        ontology.source_label == "Source"
        and jurisdiction is not None
        and source is not None
        and set(jurisdiction.properties) >= _JURISDICTION
        and set(source.properties) >= _SOURCE
    )


def is_reference_id(node_id: str) -> bool:
    """Whether ``node_id`` names an ISO 3166 state or subdivision, or the EU."""
    return _record(node_id) is not None


def label_of(node_id: str) -> str | None:
    """``Jurisdiction`` for a reference id, else None (for the checks of relationship ends)."""
    return LABEL if is_reference_id(node_id) else None


def name_of(node_id: str) -> str:
    record = _record(node_id)
    return "" if record is None else str(record["name"])


@cache
def _translator(domain: str, locale: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale], fallback=True)


def _forms(domain: str, text: str) -> list[str]:
    return [_translator(domain, locale).gettext(text) for locale in LOCALES]


def _distinct(name: str, forms: list[str]) -> list[str]:
    out: list[str] = []
    for form in forms:
        if form and form != name and form not in out:
            out.append(form)
    return out


@cache
def _record(node_id: str) -> dict[str, Any] | None:
    found = _ID.fullmatch(node_id)
    if found is None:
        return None
    country, part = found.groups()
    if part is None and country in _SUPRANATIONAL:
        return {"kind": "supranational", **_SUPRANATIONAL[country]}
    state = pycountry.countries.get(alpha_2=country.upper())
    if state is None:
        return None
    if part is None:
        forms = [getattr(state, "official_name", ""), getattr(state, "common_name", "")]
        return {
            "name": state.name,
            "aliases": _distinct(state.name, forms + _forms("iso3166-1", state.name)),
            "iso_code": state.alpha_2,
            "kind": "state",
            "country": state.alpha_2,
        }
    code = f"{country}-{part}".upper()
    sub = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    if sub is None:
        return None
    own, _, other = sub.name.partition(" [")  # "Catalunya [Cataluña]": two local forms
    english = _translator("iso3166-2", "en").gettext(sub.name)
    name = english.partition(" [")[0] if english != sub.name else own
    forms = [own, other.rstrip("]"), *_forms("iso3166-2", sub.name)]
    within = f"; part of {sub.parent_code}" if sub.parent_code else ""
    return {
        "name": name,
        "aliases": _distinct(name, [f.partition(" [")[0] for f in forms]),
        "iso_code": code,
        "kind": "subdivision",
        "country": sub.country_code,
        "subdivision": code,
        "note": f"ISO 3166-2 subdivision type: {sub.type}{within}.",
    }


def all_ids() -> list[str]:
    """Every reference id (about 5,300): the states, their subdivisions and the EU."""
    ids = [PREFIX + code for code in _SUPRANATIONAL]
    ids += [PREFIX + c.alpha_2.lower() for c in pycountry.countries]
    ids += [PREFIX + s.code.lower() for s in pycountry.subdivisions]
    return sorted(set(ids))


def source_record() -> dict[str, Any]:
    return {
        "title": "ISO 3166: codes for the representation of names of countries and their "
        "subdivisions",
        "publisher": f"International Organization for Standardization (ISO), as packaged by "
        f"pycountry {version('pycountry')}",
        "kind": "official_documentation",
        "url": "https://www.iso.org/iso-3166-country-codes.html",
        "note": "Names and translations from the Debian iso-codes data that pycountry ships; "
        "generated by casegraph, not typed by hand.",
    }


def seed_text(ids: list[str]) -> str:
    """The reference nodes of ``ids`` (and their source) as a seed file of dataset
    ``iso-3166``, to be checked like any other (``scalar_text`` writes the values)."""
    lines = [f"dataset: {DATASET}", "nodes:"]
    records = [(SOURCE_ID, "Source", source_record())]
    for node_id in sorted(set(ids)):
        record = _record(node_id)
        if record is not None:
            records.append((node_id, LABEL, {**record, "sources": [SOURCE_ID]}))
    for node_id, label, props in records:
        lines.append(f"  - id: {scalar_text(node_id)}")
        lines.append(f"    type: {label}")
        for key, value in props.items():
            if value != []:
                lines.append(f"    {key}: {scalar_text(value)}")
    return "\n".join(lines) + "\n"
