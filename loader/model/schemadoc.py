"""The data dictionary and the picture of the ontology, generated from the ontology.

``casegraph docs`` writes ``docs/schema.md`` (every label, relationship type, property and
status, with a Mermaid diagram, which GitHub and most Markdown viewers draw) and
``docs/ontology.mmd`` (that diagram alone, for Mermaid's own tools: ``mmdc -i`` draws it as
SVG or PNG). The picture is left to Mermaid's renderer: no layout is computed here.
Rendering is pure and deterministic; ``write_docs`` is the one function that touches
files, and with ``check`` it only compares, so CI fails when the docs are older than the
ontology.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from loader.model.colors import node_colors
from loader.model.ontology import Ontology, PropertySpec
from loader.model.rules import RecordRules

SCHEMA_MD = "docs/schema.md"
ONTOLOGY_MMD = "docs/ontology.mmd"

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1


def generate(ont: Ontology) -> dict[str, str]:
    """Every generated file: its path relative to the project root -> its content."""
    return {
        SCHEMA_MD: render_markdown(ont),
        ONTOLOGY_MMD: render_mermaid(ont),
    }


def write_docs(root: Path, ont: Ontology, check: bool) -> list[str]:
    """Write the generated files under root; return the paths that were missing or stale.

    With ``check`` nothing is written: the returned paths are the ones that are out of date.
    """
    stale = []
    for rel_path, content in generate(ont).items():
        path = root / rel_path
        data = content.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        stale.append(rel_path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    return stale


# --- Markdown ---------------------------------------------------------------------------


def _origin(ont: Ontology) -> str:
    path = Path(ont.path)
    return f"loader/{path.name}" if path.parent.name == "loader" else path.name


def _line(text: str) -> str:
    return " ".join(text.split())


def _para(text: str) -> str:
    """Text of the ontology for Markdown: one line, no HTML tags (its backticks are kept)."""
    return _line(text).replace("<", "&lt;")


def _cell(text: str) -> str:
    return _para(text).replace("\\", "\\\\").replace("|", "\\|")


def _type(prop: PropertySpec) -> str:
    kind = prop.type
    if prop.values:
        kind += ": " + ", ".join(f"`{v}`" for v in prop.values)
    kind = f"list of {kind}" if prop.list else kind
    if prop.rules is not None:
        kind += "; " + ", ".join(f"`{rule}`" for rule in prop.rules.written())
    return kind


Row = tuple[str, str, str, str]  # property, type, required, description

# casegraph's own properties, written on every node and relationship by the writer.
AUTO_ROWS: tuple[Row, ...] = (
    ("dataset", "string", "auto", "The dataset of the load that last wrote it."),
    ("load_run", "string", "auto", "Id of the last load run (a `LoadRun` node) that saw it."),
    ("first_seen", "datetime", "auto", "When a load first wrote it (UTC)."),
    ("last_seen", "datetime", "auto", "When a load last saw it (UTC)."),
    ("content_hash", "string", "auto", "Hash of its properties: unchanged ones are not rewritten."),
)


def _table(props: dict[str, PropertySpec], first: list[Row], last: list[Row]) -> list[str]:
    """The property table: declared properties, date precisions, casegraph's own."""
    rows = [*first]
    rows += [
        (p.name, _type(p), "yes" if p.required else "no", p.description) for p in props.values()
    ]
    for p in props.values():
        if p.type == "date":
            kind = "enum: `year`, `month`, `day`"
            what = f"How precise `{p.name}` is (it holds the first day of the period)."
            rows.append(
                (f"{p.name}_precision", f"list of {kind}" if p.list else kind, "auto", what)
            )
    lines = ["| property | type | required | description |", "| --- | --- | --- | --- |"]
    lines += [f"| `{n}` | {t} | {r} | {_cell(d)} |" for n, t, r, d in [*rows, *last, *AUTO_ROWS]]
    return [*lines, ""]


def _claim_rows(ont: Ontology, required: bool, what: str) -> list[Row]:
    need = "yes" if required else "no"
    return [
        (
            "sources",
            "list of string",
            need,
            f"Ids of the `{ont.source_label}` nodes that state it.",
        ),
        ("status", "enum: a [claim status](#claim-statuses)", need, what),
    ]


def _rules(rules: RecordRules | None) -> list[str]:
    if rules is None:
        return []
    return ["- rules: " + ", ".join(f"`{rule}`" for rule in rules.written())]


def _links(names: Iterable[str]) -> str:
    return ", ".join(f"[{n}](#{n.lower()})" for n in sorted(set(names))) or "none"


def _label_section(ont: Ontology, name: str) -> list[str]:
    spec = ont.labels[name]
    out = [r.name for r in ont.relationships.values() if any(a == name for a, _ in r.between)]
    into = [r.name for r in ont.relationships.values() if any(b == name for _, b in r.between)]
    indexes = "".join(f"`{i}`, " for i in spec.indexes)
    first = [("id", "string", "yes", "Unique id of the node in the load, from the seed file.")]
    claim = _claim_rows(ont, spec.sources_required, "How firm what the sources say of it is.")
    return [
        f"### {name}",
        "",
        _para(spec.description),
        "",
        f"- caption: `{spec.caption}`"
        + (f" (`{spec.short_caption}` where a node has one)" if spec.short_caption else ""),
        f"- colour: `{spec.color}`",
        f"- sources: {'required' if spec.sources_required else 'optional'}",
        f"- indexes: {indexes}`id` (unique)",
        *_rules(spec.rules),
        f"- relationships out: {_links(out)}",
        f"- relationships in: {_links(into)}",
        "",
        *_table(spec.properties, first, claim),
    ]


def _rel_section(ont: Ontology, name: str) -> list[str]:
    rel = ont.relationships[name]
    pairs = (f"[{a}](#{a.lower()}) → [{b}](#{b.lower()})" for a, b in sorted(rel.between))
    identity = ", ".join(f"`{i}`" for i in rel.identity) or "none (one per pair of nodes)"
    key = ("key", "string", "auto", "The identity properties, encoded.")
    return [
        f"### {name}",
        "",
        _para(rel.description),
        "",
        "- claim: " + ("yes: it needs a `status` and sources" if rel.claim else "no"),
        f"- between: {', '.join(pairs)}",
        f"- identity: {identity}",
        *_rules(rel.rules),
        "",
        *_table(rel.properties, [], [key, *_claim_rows(ont, rel.claim, "How firm the claim is.")]),
    ]


def render_markdown(ont: Ontology) -> str:
    """docs/schema.md: the data dictionary of the ontology."""
    out = [
        "# casegraph schema",
        "",
        f"Generated by `casegraph docs` from `{_origin(ont)}`: do not edit this file by hand;",
        "edit the ontology (format: [format.md](format.md)) and run `casegraph docs`.",
        "",
        f"Labels ({len(ont.labels)}): {_links(ont.labels)}.",
        "",
        f"Relationship types ({len(ont.relationships)}): {_links(ont.relationships)}.",
        "",
        "The picture of the ontology (labels and the relationship types allowed between",
        "them) is the Mermaid [diagram](#diagram) at the end.",
        "",
        "## Claim statuses",
        "",
        "The `status` of a claim (a relationship of a claim type, or a node) says how firm",
        "it is. Only a status marked proven means that a court found it proven. A claim",
        "whose sources each give their own status takes the firmest of them (higher",
        "firmness is firmer).",
        "",
        "| status | proven | firmness | description |",
        "| --- | --- | --- | --- |",
    ]
    for st in ont.statuses.values():
        proven = "yes" if st.proven else "no"
        out.append(f"| `{st.name}` | {proven} | {st.firmness} | {_cell(st.description)} |")
    out += ["", "## Labels", ""]
    for name in sorted(ont.labels):
        out += _label_section(ont, name)
    out += ["## Relationship types", ""]
    for name in sorted(ont.relationships):
        out += _rel_section(ont, name)
    out += ["## Diagram", "", "```mermaid", render_mermaid(ont).rstrip("\n"), "```", ""]
    return "\n".join(out)


# --- Mermaid ----------------------------------------------------------------------------


def _edges(ont: Ontology) -> list[tuple[str, str, str, bool]]:
    """Every (from label, to label, type, claim) the ontology allows, sorted (not the
    source links casegraph writes: one from the source label to every label)."""
    found = [
        (a, b, rel.name, rel.claim)
        for rel in ont.relationships.values()
        if not rel.derived
        for a, b in rel.between
    ]
    return sorted(found)


def render_mermaid(ont: Ontology) -> str:
    """The Mermaid source of the diagram: labels as nodes, each allowed pair as an edge."""
    out = ["flowchart LR"]
    for name in sorted(ont.labels):
        out.append(f'  {name}["{name}"]')
    for a, b, rel, claim in _edges(ont):
        arrow = "-->" if claim else "-.->"
        out.append(f"  {a} {arrow}|{rel}| {b}")
    for name in sorted(ont.labels):
        out.append(
            "  style {} fill:{},stroke:{},color:{}".format(
                name, *node_colors(ont.labels[name].color)
            )
        )
    return "\n".join(out) + "\n"
