"""Neo4j Browser: the link that opens it, and what casegraph gives it, built from the
saved-query library (``cypher/``) and the ontology.

- **favorites**: a zip of ``<Category>/<Title>.cypher`` files, each the query file itself
  (its first line ``// <Title>`` names the favorite); dropped on Browser, it adds them all;
- **guide**: one HTML page in the Browser 5 guide format (``<article class="guide">``, a
  ``<carousel>`` of ``<slide>`` elements) for ``:play <url>`` or ``:guide <url>``: a slide per
  question with its description, parameters, a runnable ``:param`` preset and the query;
- **style**: a ``.grass`` sheet for ``:style <url>``: colour and caption of every label;
- **publish**: the library written into the graph as ``(:SavedQuery)`` nodes, so everyone
  on the server finds it (``MATCH (q:SavedQuery) RETURN q.title, q.query``);
- **on connecting**: the commands the server tells Browser to run when it connects
  (``browser.post_connect_cmd``): the library's defaults, the style, the guide.

Files are deterministic: the same library and ontology give the same bytes. Browser 5
facts this relies on (read in the 5.24 bundle): ``pre.runnable`` puts its text in the
editor on click and runs it from its play icon; guides lose ``<script>`` and ``on*=``
attributes; ``:params {...}`` is parsed in the browser (integers become floats, ``date()``
a string), while ``:param x => expr`` is evaluated by the server, so presets use the latter;
a ``.grass`` file has no comments and splits each declaration on ``:``.

Over 400 lines on purpose: every file Browser is given comes from the same library and
ontology and must stay byte for byte deterministic together (tests/golden/browser).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from neo4j import Driver, ManagedTransaction, unit_of_work
from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

from loader import connection
from loader.cypher import literal as cypher_literal
from loader.errors import DatabaseUnavailableError, LoadError
from loader.model.colors import node_colors
from loader.model.ontology import SYSTEM_LABELS, Ontology, load_ontology
from loader.queries.library import SavedQuery, library_preset, param_preset

FAVORITES = "casegraph-favorites.zip"
GUIDE = "guide.html"
STYLE = "casegraph.grass"
FILES = (FAVORITES, GUIDE, STYLE)
DEFAULT_PORT = 8474
DEFAULT_BASE_URL = f"http://127.0.0.1:{DEFAULT_PORT}"


def browser_url(bolt_uri: str, http_port: int, username: str, database: str) -> str:
    """``http://host:port/browser/?dbms=neo4j://user@host:7687&db=neo4j`` for a Bolt URI."""
    parts = urlsplit(bolt_uri)
    host = parts.hostname or "127.0.0.1"
    dbms = f"{parts.scheme}://{username}@{host}:{parts.port or 7687}"
    return (
        f"http://{host}:{http_port}/browser/?dbms={quote(dbms, safe=':/@')}"
        f"&db={quote(database, safe='')}"
    )


# -- favorites ------------------------------------------------------------------------------

_UNSAFE_RE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)}
)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def safe_file_name(text: str, limit: int = 100) -> str:
    """``text`` as a file or folder name that every system accepts (and Browser imports)."""
    name = " ".join(_UNSAFE_RE.sub("_", text).split())[:limit].rstrip(" .")
    if not name:
        return "_"
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return name


def favorites(library: Mapping[str, SavedQuery]) -> list[tuple[str, bytes]]:
    """(``<Category>/<Title>.cypher``, the query file) for every query, sorted by path.

    Two titles of one category that give the same file name are told apart by the name.
    """
    paths: dict[str, SavedQuery] = {}
    for query in library.values():
        folder, stem = safe_file_name(query.category), safe_file_name(query.title)
        path = f"{folder}/{stem}.cypher"
        if path.casefold() in (p.casefold() for p in paths):
            path = f"{folder}/{stem} ({query.name}).cypher"
        paths[path] = query
    return [(path, paths[path].path.read_bytes()) for path in sorted(paths)]


def favorites_zip(library: Mapping[str, SavedQuery]) -> bytes:
    """The favorites as a zip, byte for byte the same for the same library (stored, fixed
    dates and modes), for drag-and-drop onto Neo4j Browser."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path, data in favorites(library):
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


# -- on connecting --------------------------------------------------------------------------


def post_connect_command(library: Mapping[str, SavedQuery], base_url: str) -> str:
    """The value of the server setting ``browser.post_connect_cmd``: the commands Browser runs
    on connecting (without their ``:``, separated by ``;``). Every default of the library is
    set (``library_preset``), so that a query pasted from ``cypher/`` or run from a favorite
    runs as it is; then the style is applied and the guide opened, from ``base_url`` (the
    guide server)."""
    base = base_url.rstrip("/")
    preset = library_preset(library)
    commands = [preset[1:]] if preset else []
    commands += [f"style {base}/{STYLE}", f"play {base}/{GUIDE}"]
    return "; ".join(commands)


# -- parameters -----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def params_json(query: SavedQuery) -> str:
    """The declared parameters as JSON text (a list of objects; dates as ISO text)."""
    return json.dumps(
        [
            {
                "name": p.name,
                "type": p.type,
                "required": p.required,
                "default": _plain(p.default),
                "example": _plain(p.example),
                "description": p.description,
            }
            for p in query.params
        ],
        ensure_ascii=False,
        sort_keys=True,
    )


# -- guide ----------------------------------------------------------------------------------

# Browser's cleanHtml drops what looks like an event attribute anywhere in the page, text
# included; such text gets its '=' written as an entity, which it does not match.
_EVENT_ATTR_RE = re.compile(
    r"""(\s+(on[^\s=]+)[^\s=]*\s*=\s*("[^"]*"|'[^']*'|[\w\-.:]+\s*))""", re.IGNORECASE
)


def _text(value: str) -> str:
    out = html.escape(value, quote=False)
    if _EVENT_ATTR_RE.search(out):
        out = out.replace("=", "&#61;")
    return out


def _prose(value: str) -> str:
    """Text of a description: `name` in backquotes becomes code."""
    return _BACKQUOTED_RE.sub(r"<code>\1</code>", _text(value))


_BACKQUOTED_RE = re.compile(r"`([^`]+)`")


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _runnable(code: str) -> str:
    return f'<pre class="pre-scrollable code runnable">{_text(code)}</pre>'


# the guide's own style sheet gives table cells no padding: words of two cells ran together
_CELL_STYLE = "padding: 2px 12px 2px 0; vertical-align: top"
_CELL = f' style="{_CELL_STYLE}"'
_NAME_CELL = f' style="{_CELL_STYLE}; white-space: nowrap"'  # a name is not broken


def _params_table(query: SavedQuery) -> list[str]:
    if not query.params:
        return ["<p>No parameters.</p>"]
    rows = [
        '<table class="table-condensed">',
        f"<tr><th{_CELL}>parameter</th><th{_CELL}>type</th><th{_CELL}>value</th>"
        f"<th{_CELL}>meaning</th></tr>",
    ]
    for p in query.params:
        value = (
            f"required, e.g. <code>{_text(cypher_literal(p.sample()))}</code>"
            if p.required
            else f"default <code>{_text(cypher_literal(p.default))}</code>"
        )
        rows.append(
            f"<tr><td{_CELL}><code>${_text(p.name)}</code></td><td{_CELL}>{_text(p.type)}</td>"
            f"<td{_CELL}>{value}</td><td{_CELL}>{_prose(p.description)}</td></tr>"
        )
    rows.append("</table>")
    return rows


_VIEWS = {
    "graph": "Answers with a graph: the nodes and relationships it speaks of (the Table view "
    "lists the values, hop by hop).",
    "table": "Answers with a table of values.",
}


def _query_slide(query: SavedQuery, number: int) -> list[str]:
    preset = param_preset(query)
    steps = []
    if preset is not None:
        steps += [
            "<p>1. Set the parameters (click the block to edit it in the editor, or its "
            "&#9654; icon to run it as it is):</p>",
            _runnable(preset),
            "<p>2. Run the question:</p>",
        ]
    else:
        steps.append("<p>Run the question:</p>")
    tags = ", ".join(query.tags)
    code = f"// {query.title}\n{query.text}"
    return [
        '<slide class="row-fluid">',
        '  <div class="col-sm-3">',
        f"    <h3>{_text(query.title)}</h3>",
        f'    <p class="lead">{_text(query.category)} &middot; <code>{_text(query.name)}</code>'
        f" &middot; slide {number}</p>",
        f"    <p>{_prose(query.description)}</p>",
        f"    <p><small>{_VIEWS[query.view]}</small></p>",
        *([f"    <p><small>Tags: {_text(tags)}</small></p>"] if tags else []),
        "  </div>",
        '  <div class="col-sm-9">',
        *(f"    {line}" for line in _params_table(query)),
        *(f"    {line}" for line in steps),
        f"    {_runnable(code)}",
        "  </div>",
        "</slide>",
    ]


def _intro_slide(library: Mapping[str, SavedQuery], base_url: str) -> list[str]:
    base = base_url.rstrip("/")
    preset = library_preset(library)
    contents: dict[str, list[str]] = {}
    for number, query in enumerate(library.values(), start=FIRST_QUERY_SLIDE):
        # Browser gives a play-topic element a play icon that opens the slide in a new
        # frame; a click on the element itself plays the guide again in this frame, which
        # shows its first slide: so the element holds only the icon, the title is text
        link = f'<a play-topic="{_attr(f"{base}/{GUIDE}#slide-{number}")}"></a>'
        contents.setdefault(query.category, []).append(
            f"<li>{link} {_text(query.title)} <small>(slide {number})</small></li>"
        )
    toc = []
    for category, items in contents.items():
        toc += [f"<h4>{_text(category)}</h4>", "<ul>", *items, "</ul>"]
    return [
        '<slide class="row-fluid">',
        '  <div class="col-sm-3">',
        "    <h3>casegraph: saved investigative queries</h3>",
        f'    <p class="lead">{len(library)} questions to ask of a case graph.</p>',
        "    <p>Every relationship is a claim with a <code>status</code> and its "
        "<code>sources</code>. A status is never a finding: only <code>convicted</code> "
        "means that a court found something proven.</p>",
        "    <p>On each slide, click a grey block to put it in the editor, or its &#9654; "
        "icon to run it. Set the parameters first.</p>",
        "  </div>",
        '  <div class="col-sm-9">',
        "    <p>Colours and captions for the case graph:</p>",
        f"    {_runnable(f':style {base}/{STYLE}')}",
        *(
            [
                "    <p>Every question's defaults, so that a query pasted from "
                "<code>cypher/</code> or run from a favorite runs as it is (connecting to "
                "<code>casegraph neo4j start</code>'s server does this, and the two above):</p>",
                f"    {_runnable(preset)}",
            ]
            if preset
            else []
        ),
        f'    <p>All the questions as favorites: download <a href="{_attr(f"{base}/{FAVORITES}")}"'
        f' target="_blank">{FAVORITES}</a> and drop it on this window.</p>',
        "    <p>The graph of the cases, without casegraph's own nodes:</p>",
        f"    {_runnable(OVERVIEW_QUERY)}",
        "    <p>The same library, shared in the graph:</p>",
        f"    {_runnable(SAVED_QUERIES_QUERY)}",
        "    <p>The questions (the &#9654; icon opens one in a new frame):</p>",
        *(f"    {line}" for line in toc),
        "  </div>",
        "</slide>",
    ]


OVERVIEW_QUERY = (
    "MATCH (n)\n"
    f"WHERE none(l IN labels(n) WHERE l IN {cypher_literal(sorted(SYSTEM_LABELS))})\n"
    "RETURN n LIMIT 300"
)
SAVED_QUERIES_QUERY = (
    "MATCH (q:SavedQuery)\n"
    "RETURN q.category AS category, q.title AS title, q.name AS name, q.description AS about\n"
    "ORDER BY category, name"
)


def _legend_slide(ontology: Ontology) -> list[str]:
    """How to read the graph: what a relationship's caption says, the statuses, the colours."""
    statuses = [
        f"<tr><td{_NAME_CELL}><code>{_text(name)}</code></td><td{_CELL}>"
        f"{'proven' if spec.proven else ''}</td><td{_CELL}>{_text(spec.description)}"
        "</td></tr>"
        for name, spec in sorted(ontology.statuses.items(), key=lambda i: (-i[1].firmness, i[0]))
    ]
    labels = []
    for name, spec in sorted(ontology.labels.items()):
        fill, border, text = node_colors(spec.color)
        swatch = (
            f'<span style="background: {fill}; color: {text}; border: 2px solid {border}; '
            f'border-radius: 10px; padding: 1px 8px">{_text(name)}</span>'
        )
        first = spec.description.split(". ")[0].rstrip(".")
        labels.append(f"<tr><td{_NAME_CELL}>{swatch}</td><td{_CELL}>{_text(first)}.</td></tr>")
    return [
        '<slide class="row-fluid">',
        '  <div class="col-sm-3">',
        "    <h3>Reading the graph</h3>",
        "    <p>Each claim is a relationship: its caption on the canvas gives its type and its "
        "status, e.g. <code>FACILITATED · alleged</code>. Click it: the inspector names its "
        "sources first (<code>according_to</code>: their titles), then its notes.</p>",
        "    <p>Browser styles relationships by type only, so a status does not change their "
        "colour: read the caption.</p>",
        *(
            [
                f"    <p>The pale <code>{_text(link)}</code> relationships are not claims: "
                "casegraph links each source to the nodes that cite it. Double-click a node "
                "to see its sources.</p>"
            ]
            if (link := ontology.source_link)
            else []
        ),
        "    <p>The small pale nodes (<code>LoadRun</code>, <code>LoadLock</code>, "
        "<code>SavedQuery</code>) are casegraph's own records, not part of any case.</p>",
        "  </div>",
        '  <div class="col-sm-9">',
        "    <p>The statuses, firmest first. Only one says that something is proven:</p>",
        '    <table class="table-condensed">',
        *(f"    {row}" for row in statuses),
        "    </table>",
        "    <p>The colours:</p>",
        '    <table class="table-condensed">',
        *(f"    {row}" for row in labels),
        "    </table>",
        "  </div>",
        "</slide>",
    ]


# the introduction is slide 1, the legend slide 2
FIRST_QUERY_SLIDE = 3


def guide_html(
    library: Mapping[str, SavedQuery],
    base_url: str = DEFAULT_BASE_URL,
    ontology: Ontology | None = None,
) -> str:
    """The Browser guide: an introduction, how to read the graph (of ``ontology``, by
    default the shipped one), then one slide per saved query, in library order.

    ``base_url`` is where the guide, style and favorites are served (for the ``:style``
    command and the links to slides).
    """
    lines = [
        "<title>casegraph: saved investigative queries</title>",
        '<article class="guide">',
        '  <carousel class="deck container-fluid">',
        *(f"    {line}" for line in _intro_slide(library, base_url)),
        *(f"    {line}" for line in _legend_slide(ontology or load_ontology())),
    ]
    for number, query in enumerate(library.values(), start=FIRST_QUERY_SLIDE):
        lines += [f"    {line}" for line in _query_slide(query, number)]
    lines += ["  </carousel>", "</article>", ""]
    return "\n".join(lines)


# -- style ----------------------------------------------------------------------------------

# Neo4j Browser 5's own defaults, for what no rule below sets
_NODE_DEFAULTS = (
    ("diameter", "50px"),
    ("color", "#A5ABB6"),
    ("border-color", "#9AA1AC"),
    ("border-width", "2px"),
    ("text-color-internal", "#FFFFFF"),
    ("font-size", "10px"),
)
_RELATIONSHIP_DEFAULTS = (
    ("color", "#A5ABB6"),
    ("shaft-width", "1px"),
    ("font-size", "8px"),
    ("padding", "3px"),
    ("text-color-external", "#000000"),
    ("text-color-internal", "#FFFFFF"),
    ("caption", '"<type>"'),
)
_SYSTEM_CAPTIONS = {"LoadLock": "dataset", "LoadRun": "id", "SavedQuery": "title"}
# casegraph's own nodes (a load's record, a lock, a saved query): small and pale, apart
# from the case's nodes
_SYSTEM_COLOR = "#EEEEEE"
_SYSTEM_DIAMETER = "20px"
# the source links (the ontology's source_link): pale, so that the claims stand out
_LINK_COLOR = "#DDDDDD"
_LINK_TEXT = "#6B6B6B"  # 5.3:1 on Browser's white canvas (WCAG AA)


def _rule(selector: str, props: tuple[tuple[str, str], ...]) -> list[str]:
    return [f"{selector} {{", *(f"  {key}: {value};" for key, value in props), "}"]


def _node_rule(label: str, color: str, caption: str, *more: tuple[str, str]) -> list[str]:
    fill, border, text = node_colors(color)
    return _rule(
        f"node.{label}",
        (
            *more,
            ("color", fill),
            ("border-color", border),
            ("text-color-internal", text),
            ("caption", f'"{{{caption}}}"'),
        ),
    )


def grass(ontology: Ontology) -> str:
    """The ``.grass`` style sheet: Browser's defaults, then a rule per label (its colour, an
    outline, readable caption text, its caption property; casegraph's own labels small and
    pale) and per relationship type (captioned with the caption the loader writes: its type
    and status, as ``records.caption`` makes it; the source links pale)."""
    lines = [*_rule("node", _NODE_DEFAULTS), *_rule("relationship", _RELATIONSHIP_DEFAULTS)]
    for name, spec in sorted(ontology.labels.items()):
        caption = "caption" if spec.short_caption is not None else spec.caption
        lines += _node_rule(name, spec.color, caption)
    for name in sorted(SYSTEM_LABELS):
        caption = _SYSTEM_CAPTIONS.get(name, "id")
        lines += _node_rule(name, _SYSTEM_COLOR, caption, ("diameter", _SYSTEM_DIAMETER))
    for name, rel in sorted(ontology.relationships.items()):
        pale = (("color", _LINK_COLOR), ("text-color-external", _LINK_TEXT)) if rel.derived else ()
        lines += _rule(f"relationship.{name}", (("caption", '"{caption}"'), *pale))
    return "\n".join(lines) + "\n"


# -- the files together ---------------------------------------------------------------------


def build(
    out_dir: Path,
    library: Mapping[str, SavedQuery],
    ontology: Ontology,
    base_url: str = DEFAULT_BASE_URL,
) -> list[Path]:
    """Write the favorites zip, the guide and the style into ``out_dir``; return the paths.

    Each file is written whole then renamed into place, so a server never serves half a file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    contents = {
        FAVORITES: favorites_zip(library),
        GUIDE: guide_html(library, base_url, ontology).encode("utf-8"),
        STYLE: grass(ontology).encode("utf-8"),
    }
    written = []
    for name, data in contents.items():
        path = out_dir / name
        tmp = out_dir / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(path)
        written.append(path)
    return written


# -- publish --------------------------------------------------------------------------------

CONSTRAINT = (
    "CREATE CONSTRAINT casegraph_SavedQuery_name IF NOT EXISTS "
    "FOR (q:SavedQuery) REQUIRE q.name IS UNIQUE"
)
_EXISTING = "MATCH (q:SavedQuery) RETURN q.name AS name, properties(q) AS props"
_UPSERT = "UNWIND $rows AS row MERGE (q:SavedQuery {name: row.name}) SET q = row"
_REMOVE = "MATCH (q:SavedQuery) WHERE NOT q.name IN $names DETACH DELETE q"


@dataclass
class PublishReport:
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def saved_query_row(query: SavedQuery) -> dict[str, Any]:
    """The properties of a query's ``(:SavedQuery)`` node."""
    return {
        "name": query.name,
        "title": query.title,
        "category": query.category,
        "description": query.description,
        "query": query.text,
        "params": params_json(query),
        "param_command": param_preset(query) or "",
        "tags": list(query.tags),
    }


def publish(driver: Driver, database: str, library: Mapping[str, SavedQuery]) -> PublishReport:
    """Make the ``(:SavedQuery)`` nodes the library: MERGE on name, properties replaced,
    nodes of queries no longer in it removed; values travel as parameters. Idempotent."""
    rows = [saved_query_row(q) for q in library.values()]

    @unit_of_work(timeout=60, metadata={"app": "casegraph", "action": "publish-queries"})
    def work(tx: ManagedTransaction) -> PublishReport:
        existing = {r["name"]: r["props"] for r in tx.run(_EXISTING)}
        report = PublishReport()
        for row in rows:
            old = existing.get(row["name"])
            bucket = report.created if old is None else report.changed
            (report.unchanged if old == row else bucket).append(row["name"])
        report.removed = sorted(set(existing) - {row["name"] for row in rows})
        todo = set(report.created) | set(report.changed)
        if todo:
            tx.run(_UPSERT, rows=[row for row in rows if row["name"] in todo]).consume()
        if report.removed:
            tx.run(_REMOVE, names=[row["name"] for row in rows]).consume()
        return report

    try:
        driver.execute_query(CONSTRAINT, database_=database)
        with connection.session(driver, database) as session:
            return session.execute_write(work)
    except (ServiceUnavailable, SessionExpired) as exc:
        raise DatabaseUnavailableError(f"lost Neo4j while publishing the queries: {exc}") from None
    except Neo4jError as exc:
        message = " ".join((exc.message or str(exc)).split())
        raise LoadError(f"publishing the saved queries failed: {exc.code}: {message}") from None
