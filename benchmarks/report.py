"""Benchmark results: the printed table, the JSON file and a hand-written SVG plot."""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from loader.write.report import retry_reasons_text

A_ADMIN = "a neo4j-admin import"
B_NAIVE = "b naive loop"
C_PY2NEO = "c py2neo bulk"
D_LIB = "d casegraph"
D_CLI = "d casegraph CLI"
E_SAME = "e reload unchanged"
E_FORCE = "e reload unchanged --force"
E_CHANGED = "e reload 1% changed"
F_BULK = "f casegraph load --bulk"

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf")  # fmt: skip


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def print_run(console: Console, run: dict[str, Any]) -> None:
    """One table per (size, shape): each approach's times, rates, memory and counts."""
    gen = run["generator"]
    table = Table(
        title=f"{gen['entities']:,} entities, {gen['relationships']:,} relationships "
        f"({run['shape']}, {gen['files']} files)",
        title_justify="left",
    )
    columns = (
        "approach",
        "parse+validate s",
        "plan s",
        "write s",
        "total s",
        "nodes/s",
        "rels/s",
        "peak RSS MB",
        "server nodes",
        "server rels",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "approach" else "right")
    notes = []
    for a in run["approaches"]:
        if a.get("error"):
            table.add_row(a["name"], *["-"] * (len(columns) - 1))
            notes.append(f"{a['name']}: FAILED: {a['error']}")
            continue
        table.add_row(
            a["name"],
            _num(a.get("parse_s"), 2),
            _num(a.get("plan_s"), 2),
            _num(a.get("write_s"), 2),
            _num(a.get("total_s"), 2),
            _num(a.get("nodes_per_s"), 0),
            _num(a.get("rels_per_s"), 0),
            _num(a.get("peak_rss_mb"), 0),
            _num(a.get("server_nodes")),
            _num(a.get("server_rels")),
        )
        if a.get("note"):
            notes.append(f"{a['name']}: {a['note']}")
    console.print(table)
    for line in [*notes, *run["summary"]]:
        console.print("  " + line, markup=False, highlight=False, soft_wrap=True)


def svg_plot(results: dict[str, Any], path: Path) -> None:
    """Throughput (records per second, log scale) against entities (log scale)."""
    series: dict[str, list[tuple[float, float]]] = {}
    for run in results["runs"]:
        for a in run["approaches"]:
            rate = a.get("records_per_s")
            if rate and rate > 0 and not a.get("error"):
                name = f"{a['name']} ({run['shape']})"
                series.setdefault(name, []).append((run["generator"]["entities"], rate))
    width, height, left, right, top, bottom = 860, 460, 80, 300, 40, 60
    xs = [x for points in series.values() for x, _ in points] or [1.0, 10.0]
    ys = [y for points in series.values() for _, y in points] or [1.0, 10.0]
    x0, x1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)

    def px(x: float) -> float:
        return left + (math.log10(x) - x0) / (x1 - x0) * (width - left - right)

    def py(y: float) -> float:
        return height - bottom - (math.log10(y) - y0) / (y1 - y0) * (height - top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="14">casegraph benchmark: records (nodes + '
        f"relationships) loaded per second, by size</text>",
    ]
    for e in range(x0, x1 + 1):
        x = px(10**e)
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height - bottom}" stroke="#ddd"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle">{10**e:,}</text>'
        )
    for e in range(y0, y1 + 1):
        y = py(10**e)
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{10**e:,}</text>')
    out.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 15}" '
        'text-anchor="middle">entities (log scale)</text>'
    )
    out.append(
        f'<text x="18" y="{(top + height - bottom) / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {(top + height - bottom) / 2})">records/s (log scale)'
        "</text>"
    )
    for i, (name, points) in enumerate(sorted(series.items())):
        color = COLORS[i % len(COLORS)]
        dash = ' stroke-dasharray="5,3"' if "powerlaw" in name else ""
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in sorted(points))
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"{dash}/>'
        )
        for x, y in points:
            out.append(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{color}">'
                f"<title>{html.escape(name)}: {y:,.0f}/s at {x:,}</title></circle>"
            )
        ly = top + 10 + i * 20
        lx = width - right + 15
        out.append(
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke="{color}" '
            f'stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{lx + 30}" y="{ly + 4}">{html.escape(name)}</text>')
    out.append("</svg>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _get(run: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((a for a in run["approaches"] if a["name"] == name and not a.get("error")), None)


def _batches_and_reload(run: dict[str, Any], out: dict[str, Any], lines: list[str]) -> None:
    """Retried and halved batches of the first load, and the unchanged reload's share."""
    first = _get(run, D_LIB)
    if first and "batch_retries" in first:
        counted = first.get("batches")  # counted by the client when it timed encoding
        batches = counted or -(-(first["nodes"] + first["rels"]) // 5000)  # at least
        out["batches"] = {"about": batches, "retries": first["batch_retries"],
                          "halvings": first["batch_halvings"]}  # fmt: skip
        lines.append(
            f"{D_LIB}: {first['batch_retries']} batch retries after a transient error "
            f"(deadlocks included) and {first['batch_halvings']} halvings, in "
            f"{'' if counted else 'about '}{batches:,} batches; status {first.get('status')}"
        )
        for name in (E_FORCE, E_CHANGED):
            other = _get(run, name)
            if other and "batch_retries" in other:
                why = retry_reasons_text(other.get("batch_retry_reasons", {}))
                lines.append(
                    f"{name}: {other['batch_retries']} batch retries"
                    + (f" ({why})" if why else "")
                    + f" and {other['batch_halvings']} halvings; status {other.get('status')}"
                )
    same = _get(run, E_SAME)
    if first and same:
        out["reload_unchanged_ratio"] = same["total_s"] / first["total_s"]
        lines.append(
            f"{E_SAME}: {same['total_s']:.2f}s, {out['reload_unchanged_ratio']:.3f}x the first "
            f"load's {first['total_s']:.2f}s"
        )


def _client_cost(d: dict[str, Any]) -> dict[str, float]:
    """casegraph's client-side microseconds per record, from approach d's figures."""
    n = d["nodes"] + d["rels"]
    cost = {"parse_validate_us": d["parse_s"] / n * 1e6, "plan_us": d["plan_s"] / n * 1e6}
    if d.get("encode_s") is not None:
        cost["encode_us"] = d["encode_s"] / n * 1e6
    cost["total_us"] = sum(cost.values())
    if d.get("yaml_read_s") is not None:  # the split of older runs, wall against CPU
        cost["of_which_yaml_read_us"] = d["yaml_read_s"] / n * 1e6
        cost["of_which_validate_us"] = d["validate_s"] / n * 1e6
    if d.get("yaml_read_1p_s") is not None:  # timed apart, in one process: CPU
        cost["one_process_yaml_read_us"] = d["yaml_read_1p_s"] / n * 1e6
        cost["one_process_validate_us"] = d["validate_1p_s"] / n * 1e6
    return cost


def checks(run: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Correctness (equal counts, idempotent reload, ~1% changed) and the ratios."""
    stats = run["generator"]
    expected = (stats["entities"], stats["relationships"] + stats.get("source_links", 0))
    full = [a for a in run["approaches"] if not a.get("error") and a["name"] != B_NAIVE]
    counts = {a["name"]: (a.get("server_nodes"), a.get("server_rels")) for a in full}
    equal = bool(counts) and all(c == expected for c in counts.values())
    out: dict[str, Any] = {"expected_counts": expected, "counts": counts, "counts_equal": equal}
    lines = [
        f"Server counts equal across approaches ({expected[0]:,} nodes, "
        f"{expected[1]:,} relationships): {'yes' if equal else f'NO: {counts}'}"
    ]
    if run.get("warm_up_s"):
        times = ", ".join(f"{t:.1f}" for t in run["warm_up_s"])
        lines.append(f"Warm-up loads before the case (not measured): {times} s")
    naive = _get(run, B_NAIVE)
    if naive:
        sample = (naive["sample_nodes"], naive["sample_rels"])
        got = (naive["server_nodes"], naive["server_rels"])
        out["naive_sample_equal"] = sample == got
        how = "extrapolated linearly from the sample" if naive["extrapolated"] else "full run"
        lines.append(
            f"Naive loop: loaded {sample[0]:,} nodes + {sample[1]:,} rels, server has "
            f"{got[0]:,} + {got[1]:,} ({'equal' if sample == got else 'DIFFERENT'}); "
            f"its full time is {how}"
        )
    for key, name in (("reload_unchanged", E_SAME), ("reload_unchanged_force", E_FORCE)):
        same = _get(run, name)
        if same:
            t = same["totals"]
            out[key] = {"created": t["created"], "changed": t["changed"]}
            lines.append(
                f"{name}: {t['created']} created, {t['changed']} changed (expected 0 and 0; "
                f"{same.get('status')})"
            )
    _batches_and_reload(run, out, lines)
    changed = _get(run, E_CHANGED)
    if changed:
        t = changed["totals"]
        out["reload_changed"] = {
            "created": t["created"],
            "changed": t["changed"],
            "expected_changed": run["changed_entities"],
        }
        lines.append(
            f"Reload with 1% changed: {t['created']} created, {t['changed']:,} changed "
            f"(expected 0 and {run['changed_entities']:,})"
        )
    a, b, d = _get(run, A_ADMIN), _get(run, B_NAIVE), _get(run, D_LIB)
    ratios: dict[str, float] = {}
    if a and d:
        ratios["d_over_a"] = d["total_s"] / a["total_s"]
        ratios["d_write_over_a_import"] = d["write_s"] / a["write_s"]
    if b and d:
        ratios["b_over_d"] = b["total_s"] / d["total_s"]
    f = _get(run, F_BULK)
    if a and f:
        ratios["f_over_a"] = f["total_s"] / a["total_s"]
    out["ratios"] = ratios
    if ratios:
        lines.append(
            "Ratios (total times): "
            + ", ".join(f"{k.replace('_over_', '/')} = {v:,.2f}" for k, v in ratios.items())
        )
    if d:
        cost = _client_cost(d)
        out["client_us_per_record"] = cost
        lines.append(
            "Client-side cost per record (no server): "
            + ", ".join(
                f"{k.removesuffix('_us').replace('_', ' ')} {v:,.1f} µs" for k, v in cost.items()
            )
        )
    return out, lines


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown tables (what docs/performance.md shows)."""
    out = []
    for run in results["runs"]:
        gen = run["generator"]
        out.append(
            f"**{gen['entities']:,} entities, {gen['relationships']:,} relationships** "
            f"({run['shape']}, {gen['files']} files, {gen['bytes'] / 1e6:.1f} MB of YAML)\n"
        )
        out.append(
            "| approach | parse+validate s | plan s | write s | total s | nodes/s | "
            "rels/s | peak RSS MB | server nodes / rels |"
        )
        out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for a in run["approaches"]:
            if a.get("error"):
                out.append(f"| {a['name']} | failed: {a['error']} |||||||| ")
                continue
            counts = f"{_num(a.get('server_nodes'))} / {_num(a.get('server_rels'))}"
            out.append(
                f"| {a['name']} | {_num(a.get('parse_s'), 2)} | {_num(a.get('plan_s'), 2)} | "
                f"{_num(a.get('write_s'), 2)} | {_num(a.get('total_s'), 2)} | "
                f"{_num(a.get('nodes_per_s'), 0)} | {_num(a.get('rels_per_s'), 0)} | "
                f"{_num(a.get('peak_rss_mb'), 0)} | {counts} |"
            )
        out.append("")
        out.extend(f"- {a['name']}: {a['note']}" for a in run["approaches"] if a.get("note"))
        out.extend(f"- {line}" for line in run["summary"])
        out.append("")
    return "\n".join(out)


def merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Several result files as one (runs in order), e.g. 10k-100k and 1M for one plot."""
    merged = dict(parts[0])
    merged["runs"] = [run for part in parts for run in part["runs"]]
    merged["parts"] = [
        {"name": p.get("name"), "started_at": p.get("started_at"), "machine": p.get("machine")}
        for p in parts
    ]
    return merged


USAGE = """usage: python -m benchmarks.report [--svg] RESULTS.json ...
       python -m benchmarks.report --merge OUT.json IN.json IN.json ...

The first prints each results file as Markdown tables (and, with --svg, draws its plot
next to it); the second merges several results files into one, with one plot."""


def _read(name: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(Path(name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"report: cannot read {name}: {exc}") from None
    return data


if __name__ == "__main__":
    import sys

    args = sys.argv[1:]
    files = [a for a in args if a not in ("--svg", "--merge")]
    if not files or any(a in ("-h", "--help") for a in args):
        print(USAGE, file=sys.stdout if args else sys.stderr)
        sys.exit(0 if args else 2)
    if args[0] == "--merge":
        if len(files) < 2:
            raise SystemExit(USAGE)
        out, *inputs = files
        merged = merge([_read(name) for name in inputs])
        merged["name"] = Path(out).stem
        Path(out).write_text(json.dumps(merged, indent=2, default=str) + "\n", encoding="utf-8")
        svg_plot(merged, Path(out).with_suffix(".svg"))
        sys.exit(0)
    for name in files:
        data = _read(name)
        if "--svg" in args:
            svg_plot(data, Path(name).with_suffix(".svg"))
        print(markdown(data))
