"""The data dictionary and the picture of the ontology, generated from the ontology.

``casegraph docs`` writes ``docs/schema.md`` (every label, relationship type, property and
status, with a Mermaid diagram), ``docs/ontology.mmd`` (that diagram alone) and
``docs/ontology.svg`` (a picture drawn here: no graphviz, no network, no other tool).
Rendering is pure and deterministic; ``write_docs`` is the one function that touches
files, and with ``check`` it only compares, so CI fails when the docs are older than the
ontology.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from itertools import combinations, permutations
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

from loader.model.ontology import Ontology, PropertySpec

SCHEMA_MD = "docs/schema.md"
ONTOLOGY_SVG = "docs/ontology.svg"
ONTOLOGY_MMD = "docs/ontology.mmd"

Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # x0, y0, x1, y1


def generate(ont: Ontology) -> dict[str, str]:
    """Every generated file: its path relative to the project root -> its content."""
    return {
        SCHEMA_MD: render_markdown(ont),
        ONTOLOGY_MMD: render_mermaid(ont),
        ONTOLOGY_SVG: render_svg(ont),
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
    return f"list of {kind}" if prop.list else kind


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
        f"- caption: `{spec.caption}`",
        f"- colour: `{spec.color}`",
        f"- sources: {'required' if spec.sources_required else 'optional'}",
        f"- indexes: {indexes}`id` (unique)",
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
        "![The ontology: labels and the relationship types allowed between them](ontology.svg)",
        "",
        "## Claim statuses",
        "",
        "The `status` of a claim (a relationship of a claim type, or a node) says how firm",
        "it is. Only a status marked proven means that a court found it proven.",
        "",
        "| status | proven | description |",
        "| --- | --- | --- |",
    ]
    for st in ont.statuses.values():
        out.append(f"| `{st.name}` | {'yes' if st.proven else 'no'} | {_cell(st.description)} |")
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
    """Every (from label, to label, type, claim) the ontology allows, sorted."""
    found = [
        (a, b, rel.name, rel.claim) for rel in ont.relationships.values() for a, b in rel.between
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
            f"  style {name} fill:{ont.labels[name].color},color:{_ink(ont.labels[name].color)}"
        )
    return "\n".join(out) + "\n"


# --- SVG --------------------------------------------------------------------------------

BOX_FONT = 15
EDGE_FONT = 11
SPREAD = 30  # distance between the middles of two relationship types of the same pair


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _ink(color: str) -> str:
    """Text colour readable on a fill colour."""
    r, g, b = _rgb(color)
    return "#000000" if 0.299 * r + 0.587 * g + 0.114 * b > 110 else "#FFFFFF"


def _dark(color: str) -> str:
    return "#" + "".join(f"{int(c * 0.62):02X}" for c in _rgb(color))


def _width(text: str, size: float) -> float:
    """A generous estimate of the width of text in a sans-serif font."""
    return size * sum(0.74 if c.isupper() or c.isdigit() else 0.6 for c in text)


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _order(ont: Ontology) -> list[str]:
    """Labels in their order on the ellipse: few crossings, related labels close.

    A local search from the sorted names (swap two labels, or move one), so deterministic.
    """
    size = len(ont.labels)
    weight: dict[tuple[str, str], int] = {}
    for a, b, _, _ in _edges(ont):
        if a != b:
            pair = (min(a, b), max(a, b))
            weight[pair] = weight.get(pair, 0) + 1

    def cost(names: list[str]) -> int:
        at = {name: i for i, name in enumerate(names)}
        chords = [(min(at[a], at[b]), max(at[a], at[b]), w) for (a, b), w in weight.items()]
        length = sum(w * min(j - i, size - j + i) for i, j, w in chords)
        crossing = sum(
            w * v
            for (i, j, w), (k, m, v) in combinations(chords, 2)
            if i < k < j < m or k < i < m < j
        )
        return 3 * crossing + length

    def neighbours(names: list[str]) -> Iterable[list[str]]:
        for i, j in combinations(range(size), 2):
            swapped = names.copy()
            swapped[i], swapped[j] = names[j], names[i]
            yield swapped
        for i, j in permutations(range(size), 2):
            moved = names.copy()
            moved.insert(j, moved.pop(i))
            yield moved

    order = sorted(ont.labels)
    best = cost(order)
    while (better := next((n for n in neighbours(order) if cost(n) < best), None)) is not None:
        order, best = better, cost(better)
    return order


def _border(box: Rect, start: Point, toward: Point, gap: float) -> Point:
    """Where the ray from start (inside box) toward a point leaves the box, plus gap."""
    dx, dy = toward[0] - start[0], toward[1] - start[1]
    norm = math.hypot(dx, dy) or 1.0
    dx, dy = dx / norm, dy / norm
    reach = [math.inf]
    if dx:
        reach.append(((box[2] if dx > 0 else box[0]) - start[0]) / dx)
    if dy:
        reach.append(((box[3] if dy > 0 else box[1]) - start[1]) / dy)
    scale = min(reach) + gap
    return start[0] + dx * scale, start[1] + dy * scale


def _anchor(box: Rect, dx: float, dy: float) -> Point:
    """A point inside box, moved from its centre by (dx, dy) but kept clear of the edges."""
    half_w, half_h = (box[2] - box[0]) / 2 - 10, (box[3] - box[1]) / 2 - 8
    x = (box[0] + box[2]) / 2 + max(-half_w, min(half_w, dx))
    y = (box[1] + box[3]) / 2 + max(-half_h, min(half_h, dy))
    return x, y


def _overlap(a: Rect, b: Rect) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _curve(p0: Point, c1: Point, c2: Point, p3: Point) -> Callable[[float], Point]:
    def at(t: float) -> Point:
        u = 1 - t
        x = u**3 * p0[0] + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t**3 * p3[0]
        y = u**3 * p0[1] + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t**3 * p3[1]
        return x, y

    return at


class _Arrow(NamedTuple):
    start: str  # the label the relationship starts from
    rel: str
    svg: str  # the <path> element
    spots: list[Point]  # where the type name may go, best first


def _layout(ont: Ontology) -> dict[str, Rect]:
    """Boxes of the labels, on an ellipse around (0, 0) sized for their number."""
    order = _order(ont)
    count = max(len(order), 1)
    rx = max(220.0, 50.0 * count)
    ry = rx * 0.72
    boxes: dict[str, Rect] = {}
    for i, name in enumerate(order):
        angle = -math.pi / 2 + 2 * math.pi * i / count
        x, y = rx * math.cos(angle), ry * math.sin(angle)
        w, h = max(100.0, _width(name, BOX_FONT) * 1.08 + 24), 40.0
        boxes[name] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
    return boxes


def _centre(box: Rect) -> Point:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _loop(box: Rect, index: int) -> tuple[Point, Point, Point, Point, list[Point]]:
    """A self-loop on the outer side of a box (away from the centre of the ellipse)."""
    cx, cy = _centre(box)
    norm = math.hypot(cx, cy) or 1.0
    ux, uy = cx / norm, cy / norm
    reach = 70.0 + 34.0 * index
    p0 = _border(box, (cx, cy), (cx + ux - uy * 0.45, cy + uy + ux * 0.45), 2)
    p3 = _border(box, (cx, cy), (cx + ux + uy * 0.45, cy + uy - ux * 0.45), 4)
    c1 = (p0[0] + (ux - uy * 0.6) * reach, p0[1] + (uy + ux * 0.6) * reach)
    c2 = (p3[0] + (ux + uy * 0.6) * reach, p3[1] + (uy - ux * 0.6) * reach)
    top = _curve(p0, c1, c2, p3)(0.5)
    return p0, c1, c2, p3, [(top[0] + ux * d, top[1] + uy * d) for d in (12, 24, 36, 48)]


def _bow(
    boxes: dict[str, Rect], a: str, b: str, offset: float
) -> tuple[Point, Point, Point, Point, list[Point]]:
    """A curve from box a to box b whose middle is offset from the straight line."""
    lo, hi = sorted((a, b))  # the same side for both directions of a pair
    (ax, ay), (bx, by) = _centre(boxes[lo]), _centre(boxes[hi])
    length = math.hypot(bx - ax, by - ay) or 1.0
    nx, ny = -(by - ay) / length, (bx - ax) / length
    mid = ((ax + bx) / 2 + nx * 2 * offset, (ay + by) / 2 + ny * 2 * offset)
    p0 = _border(boxes[a], _anchor(boxes[a], nx * offset / 2, ny * offset / 2), mid, 2)
    p3 = _border(boxes[b], _anchor(boxes[b], nx * offset / 2, ny * offset / 2), mid, 4)
    c1 = (p0[0] + (mid[0] - p0[0]) * 2 / 3, p0[1] + (mid[1] - p0[1]) * 2 / 3)
    c2 = (p3[0] + (mid[0] - p3[0]) * 2 / 3, p3[1] + (mid[1] - p3[1]) * 2 / 3)
    at = _curve(p0, c1, c2, p3)
    return p0, c1, c2, p3, [at(t) for t in (0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73, 0.2, 0.8)]


def _arrows(ont: Ontology, boxes: dict[str, Rect]) -> list[_Arrow]:
    """One curve per allowed (from, to) pair of each type; those of one pair fan out."""
    groups: dict[tuple[str, str], list[tuple[str, str, str, bool]]] = {}
    for edge in _edges(ont):
        groups.setdefault((min(edge[0], edge[1]), max(edge[0], edge[1])), []).append(edge)
    arrows = []
    for edges in groups.values():
        for i, (a, b, rel, claim) in enumerate(edges):
            if a == b:
                p0, c1, c2, p3, spots = _loop(boxes[a], i)
            else:
                p0, c1, c2, p3, spots = _bow(boxes, a, b, (i - (len(edges) - 1) / 2) * SPREAD)
            d = "M{} {} C{} {} {} {} {} {}".format(*(_n(v) for v in (*p0, *c1, *c2, *p3)))
            dash = "" if claim else ' stroke-dasharray="6 4"'
            tip = escape(f"({a})-[:{rel}]->({b})")
            svg = (
                f'<path d="{d}" fill="none" stroke="{_dark(ont.labels[a].color)}" '
                f'stroke-width="1.5"{dash} marker-end="url(#to-{a})"><title>{tip}</title></path>'
            )
            arrows.append(_Arrow(a, rel, svg, spots))
    return arrows


def _names(ont: Ontology, arrows: list[_Arrow], taken: list[Rect]) -> list[str]:
    """The type names, each at the first spot of its curve that overlaps nothing placed."""
    out = []
    for arrow in arrows:
        w, h = _width(arrow.rel, EDGE_FONT) + 8, EDGE_FONT + 6.0
        rects = [(x - w / 2, y - h / 2, x + w / 2, y + h / 2) for x, y in arrow.spots]
        rect = min(rects, key=lambda r: sum(_overlap(r, t) for t in taken))
        taken.append(rect)
        x, y = _centre(rect)
        out.append(
            f'<rect x="{_n(rect[0])}" y="{_n(rect[1])}" width="{_n(w)}" height="{_n(h)}" '
            f'rx="3" fill="#FFFFFF" fill-opacity="0.9" '
            f'stroke="{_dark(ont.labels[arrow.start].color)}" stroke-width="0.6"/>'
            f'<text x="{_n(x)}" y="{_n(y + EDGE_FONT * 0.36)}" font-size="{EDGE_FONT}" '
            f'text-anchor="middle" fill="#222222">{escape(arrow.rel)}</text>'
        )
    return out


def _box(ont: Ontology, name: str, box: Rect) -> str:
    spec = ont.labels[name]
    x, y = _centre(box)
    return (
        f"<g><title>{escape(f'{name}: {_line(spec.description)}')}</title>"
        f'<rect x="{_n(box[0])}" y="{_n(box[1])}" width="{_n(box[2] - box[0])}" '
        f'height="{_n(box[3] - box[1])}" rx="12" fill="{spec.color}" '
        f'stroke="{_dark(spec.color)}" stroke-width="1.5"/>'
        f'<text x="{_n(x)}" y="{_n(y + BOX_FONT * 0.36)}" font-size="{BOX_FONT}" '
        f'font-weight="bold" text-anchor="middle" fill="{_ink(spec.color)}">'
        f"{escape(name)}</text></g>"
    )


def render_svg(ont: Ontology) -> str:
    """A self-contained SVG picture of the ontology: labels on an ellipse, types as arrows."""
    boxes = _layout(ont)
    arrows = _arrows(ont, boxes)
    taken = [(b[0] - 4, b[1] - 4, b[2] + 4, b[3] + 4) for b in boxes.values()]
    names = _names(ont, arrows, taken)
    nodes = [_box(ont, name, box) for name, box in sorted(boxes.items())]
    title = (
        f"casegraph ontology: {len(ont.labels)} labels, {len(ont.relationships)} relationship types"
    )
    notes = [
        "Each arrow is a relationship type allowed from one label to another, "
        "in the colour of its start label.",
        ("Dashed: not a claim. " if any(not r.claim for r in ont.relationships.values()) else "")
        + f"Generated from {_origin(ont)} by casegraph docs; do not edit.",
    ]
    x0, y0 = min(r[0] for r in taken) - 20, min(r[1] for r in taken) - 60
    x1, y1 = max(r[2] for r in taken) + 20, max(r[3] for r in taken) + 60
    wide = max(_width(title, 20) * 1.1, *(_width(n, 12) for n in notes)) + 40
    if x1 - x0 < wide:
        x0, x1 = x0 - (wide - x1 + x0) / 2, x1 + (wide - x1 + x0) / 2
    w, h = x1 - x0, y1 - y0
    markers = [
        f'<marker id="to-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        f'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
        f'<path d="M0 0 L10 5 L0 10 z" fill="{_dark(spec.color)}"/></marker>'
        for name, spec in sorted(ont.labels.items())
    ]
    texts = [
        f'<text x="{_n(x0 + 20)}" y="{_n(y1 - 36 + 16 * i)}" font-size="12" fill="#555555">'
        f"{escape(note)}</text>"
        for i, note in enumerate(notes)
    ]
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(w)}" height="{_n(h)}" '
            f'viewBox="{_n(x0)} {_n(y0)} {_n(w)} {_n(h)}" '
            'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">',
            f"<title>{escape(title)}</title>",
            "<defs>",
            *markers,
            "</defs>",
            f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(w)}" height="{_n(h)}" fill="#FFFFFF"/>',
            f'<text x="{_n(x0 + 20)}" y="{_n(y0 + 32)}" font-size="20" font-weight="bold" '
            f'fill="#222222">{escape(title)}</text>',
            *texts,
            '<g id="relationships">',
            *(arrow.svg for arrow in arrows),
            "</g>",
            '<g id="labels">',
            *nodes,
            "</g>",
            '<g id="type-names">',
            *names,
            "</g>",
            "</svg>",
            "",
        ]
    )
