"""Load the same synthetic case five ways into the same local Neo4j, and compare.

    .venv/bin/python -m benchmarks.run                          # 10k entities, uniform
    .venv/bin/python -m benchmarks.run --sizes 10k,100k         # what docs/performance.md shows
    .venv/bin/python -m benchmarks.run --sizes 1m --heap 4g --pagecache 4g   # long on 2 cores

For each size (and shape) it generates the case (benchmarks/generate.py), starts its own
Neo4j Community server (temporary home, free ports; or uses --uri) and runs, wiping the
database (data, constraints, indexes) between approaches:

  a  neo4j-admin database import full of casegraph's admin-csv export (server stopped,
     fresh store), then the constraints;
  b  the naive loop: PyYAML's C loader, one auto-commit MERGE per node and one
     MATCH..MATCH..MERGE per relationship, on a sample, extrapolated when it is a sample;
  c  py2neo's bulk API (merge_nodes / merge_relationships) from a throwaway venv;
  d  casegraph: the library phase by phase (parse+validate / plan / write), then the
     real CLI (`python -m loader load DIR --json`) end to end;
  e  a reload of the unchanged data, then of a copy with 1% of the entities changed.

After each approach it counts nodes and relationships on the server. Every client runs in
a subprocess of its own (its peak RSS is read with wait4). Results go to
benchmarks/results/<name>.json and a plot to <name>.svg.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks import generate as gen
from benchmarks.harness import (
    ROOT,
    Target,
    ensure_py2neo,
    last_line,
    machine,
    new_server,
    run_child,
    server_counts,
    start_server,
    wipe,
)
from benchmarks.report import (
    A_ADMIN,
    B_NAIVE,
    C_PY2NEO,
    D_CLI,
    D_LIB,
    E_CHANGED,
    E_FORCE,
    E_SAME,
    F_BULK,
    checks,
    print_run,
    svg_plot,
)
from loader.model.ontology import load_ontology
from loader.plan.build import schema_statements
from loader.server import jars, localserver
from loader.server.java import check_java

RESULTS = ROOT / "benchmarks" / "results"
APPROACHES = ("a", "b", "c", "d", "e", "f")


def parse_size(text: str) -> int:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([kKmM]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 2000, 10k, 1m)")
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return int(float(match.group(1)) * scale)


@dataclass
class Options:
    sizes: list[int] = field(default_factory=lambda: [10_000])
    shapes: list[str] = field(default_factory=lambda: ["uniform"])
    approaches: tuple[str, ...] = APPROACHES
    seed: int = 1
    files: int | None = None
    work: Path | None = None
    name: str | None = None
    results: Path | None = RESULTS
    heap: str = "4g"
    pagecache: str = "4g"
    naive_sample: int = 2000
    naive_full: bool = False
    py2neo_venv: Path | None = None
    uri: str | None = None  # an existing server for the online approaches
    user: str = "neo4j"
    password: str = ""
    database: str = "neo4j"
    timeout: float = 4 * 3600
    quiet: bool = False
    warm_up: bool = True
    cli: bool = True  # also run `casegraph load` end to end (d casegraph CLI)
    reloads: str = "all"  # e: all three reloads, or "unchanged" only (for the largest sizes)
    batch_sizes: list[int] = field(default_factory=list)  # d again with each (the sweep)
    small: bool = True  # the shipped seed's first load and warm reloads, first of all


class Bench:
    """One benchmark session: a target server, a work folder, the results so far."""

    def __init__(self, opts: Options, target: Target, work: Path, console: Console) -> None:
        self.opts, self.target, self.work, self.console = opts, target, work, console
        self.ont = load_ontology()

    def say(self, message: str) -> None:
        if not self.opts.quiet:
            self.console.print(message, markup=False, highlight=False)

    def client(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "benchmarks.clients", *args]

    def online(self, *args: str) -> list[str]:
        t = self.target
        return [*args, "--uri", t.uri, "--user", t.user, "--database", t.database]

    def measure(
        self, name: str, cmd: list[str], stdin: str | None = None, env: dict[str, str] | None = None
    ) -> dict[str, Any]:
        self.say(f"  {name} ...")
        env = env or self.target.env()
        code, out, err, wall, rss = run_child(cmd, env, self.opts.timeout, stdin)
        result: dict[str, Any] = {"name": name, "wall_s": wall, "peak_rss_mb": rss,
                                  "loadavg_1m": os.getloadavg()[0]}  # fmt: skip
        if code != 0:
            result["error"] = f"exit {code}: {last_line(err or out)}"
            return result
        try:
            text = out.strip()
            result.update(json.loads(text if text.startswith("{") else text.splitlines()[-1]))
        except (ValueError, IndexError):
            result["error"] = f"no JSON from the client: {last_line(out + err)}"
        return result

    def finish(self, result: dict[str, Any], count: bool = True) -> dict[str, Any]:
        if count and not result.get("error"):
            result["server_nodes"], result["server_rels"] = server_counts(self.target, self.ont)
        total = result.get("total_s")
        if total and not result.get("error"):
            result["nodes_per_s"] = result["nodes"] / total
            result["rels_per_s"] = result["rels"] / total
            result["records_per_s"] = (result["nodes"] + result["rels"]) / total
        self.say(f"    {result.get('error') or f'{total:.2f}s'}")
        return result

    # --- the approaches ---------------------------------------------------------------

    def casegraph(
        self,
        data: Path,
        name: str,
        encode: bool = False,
        force: bool = False,
        batch: int | None = None,
    ) -> dict[str, Any]:
        args = self.online("casegraph", str(data)) + (["--encode"] if encode else [])
        args += ["--batch-size", str(batch)] if batch else []
        result = self.measure(name, self.client(*args, *(["--force"] if force else [])))
        if not result.get("error"):
            totals = result["totals"]
            result["note"] = (
                f"created {totals['created']:,}, changed {totals['changed']:,} "
                f"({result.get('mode')}, {result.get('status')})"
            )
        return self.finish(result)

    def cli(self, data: Path, expected: tuple[int, int]) -> dict[str, Any]:
        cmd = [sys.executable, "-m", "loader", "load", str(data), "--json"]
        result = self.measure(D_CLI, cmd)
        if not result.get("error"):
            for key in ("nodes", "relationships", "run", "checksum", "dataset"):
                result.pop(key, None)
            result["nodes"], result["rels"] = expected
            result["total_s"] = result["wall_s"]
            result["note"] = "python -m loader load DIR --json, end to end in one process"
        return self.finish(result)

    def naive(self, data: Path) -> dict[str, Any]:
        args = self.online("naive", str(data), "--sample", str(self.opts.naive_sample))
        result = self.measure(
            B_NAIVE,
            self.client(*args, *(["--full"] if self.opts.naive_full else [])),
        )
        if not result.get("error"):
            result["write_s"] = result["write_s"] + result["schema_s"]
            done = f"{result['sample_nodes']:,} nodes + {result['sample_rels']:,} rels"
            result["note"] = (
                f"sample of {done}, extrapolated ({result['node_ms']:.1f} ms/node, "
                f"{result['rel_ms']:.1f} ms/rel)"
                if result["extrapolated"]
                else "full run"
            )
        return self.finish(result)

    def schema(self) -> float:
        began = time.perf_counter()
        with self.target.driver() as driver, driver.session(database=self.target.database) as s:
            for stmt in schema_statements(self.ont):
                s.run(stmt.text).consume()
        return time.perf_counter() - began

    def py2neo(self, data: Path) -> dict[str, Any]:
        name = C_PY2NEO
        python, error = ensure_py2neo(self.opts.py2neo_venv or self.work / "py2neo-venv")
        if python is None:
            return {"name": name, "error": error}
        schema_s = self.schema()
        identity = {n: list(s.identity) for n, s in self.ont.relationships.items()}
        given = json.dumps({"identity": identity, "source_link": self.ont.source_link})
        script = str(ROOT / "benchmarks" / "py2neo_client.py")
        bolt = self.target.uri.replace("neo4j://", "bolt://", 1)
        cmd = [str(python), script, str(data), bolt, self.target.database]
        env = {k: v for k, v in self.target.env().items() if k != "NEO4J_URI"}  # py2neo reads it
        result = self.measure(name, cmd, stdin=given, env=env)
        if not result.get("error"):
            result["write_s"] += schema_s
            result["total_s"] += schema_s
            result["note"] = f"py2neo {result.pop('version')}, batches of 5,000, constraints first"
        return self.finish(result)

    def admin(self, data: Path) -> dict[str, Any]:
        name = A_ADMIN
        csv_dir = self.work / "admin-csv"
        shutil.rmtree(csv_dir, ignore_errors=True)
        result = self.measure(name, self.client("export", str(data), str(csv_dir)))
        if result.get("error"):
            return result
        own = self.target.config
        home = own.home if own else self.work / "import-home"
        if own:
            localserver.stop(home)
            config = own
        else:
            shutil.rmtree(home, ignore_errors=True)
            config = new_server(home, self.opts.heap, self.opts.pagecache, "bench-import-pw")
        java = check_java()
        cmd = localserver.admin_command(
            java,
            jars.fetch_jars(java),
            "database",
            "import",
            "full",
            "neo4j",
            *result["args"],
            "--overwrite-destination",
        )
        self.say("  neo4j-admin database import full ...")
        env = localserver.java_env(home)
        code, out, err, import_s, rss = run_child(cmd, env, self.opts.timeout, cwd=csv_dir)
        start_server(config)
        target = (
            self.target
            if own
            else Target(
                f"neo4j://127.0.0.1:{config.bolt_port}", "neo4j", "bench-import-pw", "neo4j"
            )
        )
        try:
            if code != 0:
                result["error"] = f"neo4j-admin exit {code}: {last_line(out + err)}"
                return result
            bench = Bench(self.opts, target, self.work, self.console)
            constraints_s = bench.schema()
            result.update(
                import_s=import_s,
                constraints_s=constraints_s,
                import_rss_mb=rss,
                client_rss_mb=result["peak_rss_mb"],
            )
            result["peak_rss_mb"] = max(rss, result["peak_rss_mb"])
            result["write_s"] = import_s + constraints_s
            result["plan_s"] += result["export_s"]
            result["total_s"] = result["parse_s"] + result["plan_s"] + result["write_s"]
            result["note"] = (
                f"import {import_s:.1f}s + constraints {constraints_s:.1f}s; "
                f"plan includes CSV export {result['export_s']:.1f}s"
            )
            result["server_nodes"], result["server_rels"] = server_counts(target, self.ont)
            return bench.finish(result, count=False)
        finally:
            if not own:
                localserver.stop(home)
                shutil.rmtree(home, ignore_errors=True)

    def bulk(self, data: Path, expected: tuple[int, int]) -> dict[str, Any]:
        """`casegraph load --bulk` on this run's own server (stopped, imported, restarted
        by casegraph itself), end to end in one process."""
        own = self.target.config
        if own is None:
            return {"name": F_BULK, "error": "needs the benchmark's own server (no --uri)"}
        env = {**self.target.env(), "CASEGRAPH_NEO4J_HOME": str(own.home)}
        cmd = [sys.executable, "-m", "loader", "load", str(data), "--bulk", "--json"]
        result = self.measure(F_BULK, cmd, env=env)
        if not result.get("error"):
            phases = result.get("phases", {})
            for key in ("nodes", "relationships", "run", "checksum", "dataset"):
                result.pop(key, None)
            result["nodes"], result["rels"] = expected
            result["total_s"] = result["wall_s"]
            result["write_s"] = bulk_write_s(phases)
            result["note"] = "python -m loader load DIR --bulk --json: " + ", ".join(
                f"{k} {v:.1f}s" for k, v in phases.items()
            )
        return self.finish(result)


def bulk_write_s(phases: dict[str, float]) -> float:
    """What `--bulk` spends after its CSV export: the server's stop overlaps the export
    and the import (loader/write/bulk.py), then the restart and the constraints."""
    export, imported = phases.get("export_csv", 0.0), phases.get("import", 0.0)
    rest = sum(v for k, v in phases.items() if k not in {"export_csv", "import", "stop"})
    return max(export + imported, phases.get("stop", 0.0)) - export + rest


def run_size(bench: Bench, entities: int, shape: str) -> dict[str, Any]:
    """Every approach on one generated case; returns the run's results and checks."""
    opts = bench.opts
    data = bench.work / f"case-{shape}-{entities}"
    bench.say(f"Generating {entities:,} entities ({shape}) in {data} ...")
    stats = gen.generate(data, entities, shape, opts.files, opts.seed, "synthetic")
    bench.say(
        f"  {stats.relationships:,} relationships (and {stats.source_links:,} source links "
        f"casegraph writes), {stats.files} files, "
        f"{stats.bytes / 1e6:.1f} MB in {stats.seconds:.1f}s"
    )
    warm: list[float] = []
    if opts.warm_up:  # a and f of the previous case restarted the server: a cold JIT
        warm = warm_up(bench, entities)
    results: list[dict[str, Any]] = []
    changed = 0
    if "d" in opts.approaches:
        wipe(bench.target)
        # the encode and read/validate split re-read everything: skipped for the largest
        results.append(bench.casegraph(data, D_LIB, encode=entities <= 200_000))
        if opts.cli:
            wipe(bench.target)
            results.append(bench.cli(data, (stats.entities, stats.written_relationships)))
        for size in opts.batch_sizes:
            wipe(bench.target)
            results.append(bench.casegraph(data, f"{D_LIB} --batch-size {size}", batch=size))
    if "e" in opts.approaches:
        if "d" not in opts.approaches:
            wipe(bench.target)
            bench.casegraph(data, "e first load")
        results.append(bench.casegraph(data, E_SAME))
    if "e" in opts.approaches and opts.reloads == "all":
        results.append(bench.casegraph(data, E_FORCE, force=True))
        changed_dir = bench.work / f"case-{shape}-{entities}-changed"
        changed = gen.mutate(data, changed_dir, 0.01)
        results.append(bench.casegraph(changed_dir, E_CHANGED))
        shutil.rmtree(changed_dir, ignore_errors=True)
    if "b" in opts.approaches:
        wipe(bench.target)
        results.append(bench.naive(data))
    if "c" in opts.approaches:
        wipe(bench.target)
        results.append(bench.py2neo(data))
    if "a" in opts.approaches:
        wipe(bench.target)
        results.append(bench.admin(data))
    if "f" in opts.approaches:
        wipe(bench.target)
        results.append(bench.bulk(data, (stats.entities, stats.written_relationships)))
    run = {
        "entities": entities,
        "shape": shape,
        "generator": stats.to_dict(),
        "approaches": results,
        "changed_entities": changed,
        "warm_up_s": warm,
    }
    run["checks"], run["summary"] = checks(run)
    return run


WARM_UP_MAX = 100_000
WARM_UP_LOADS = 3  # at most
WARM_UP_SETTLED = 0.10  # two loads in a row within 10%: the server is warm


def settled(times: list[float]) -> bool:
    """The last two warm-up loads took times within WARM_UP_SETTLED of each other."""
    return len(times) >= 2 and abs(times[-1] - times[-2]) <= WARM_UP_SETTLED * times[-2]


def warm_up(bench: Bench, entities: int) -> list[float]:
    """Loads before each case (not measured), so that its first approach does not pay
    the server's warm-up: the JIT (cold again after a and f restart the server), and
    store files growing. As large as the case, up to WARM_UP_MAX entities: with one
    500-entity warm-up per run, the first approach of the 100k case (right after the 10k
    case's --bulk restart) took 60-69 s, the same load right after it 39-45 s. One load
    of the case's size was not enough either: the first measured load (d) came out 4-6 s
    slower than the same load run next (the CLI row) in three runs out of three. So it
    loads again until two loads in a row are within WARM_UP_SETTLED of each other, at
    most WARM_UP_LOADS times; the times go to the results (``warm_up_s``)."""
    entities = max(500, min(entities, WARM_UP_MAX))
    data = bench.work / "warm-up"
    gen.generate(data, entities, "uniform", None, bench.opts.seed + 1, "warm-up")
    times: list[float] = []
    for load in range(1, WARM_UP_LOADS + 1):
        bench.say(f"Warm-up load {load} ({entities:,} entities, not measured) ...")
        wipe(bench.target)
        result = bench.casegraph(data, "warm-up")
        times.append(float(result.get("total_s") or 0.0))
        if settled(times):
            break
    wipe(bench.target)
    shutil.rmtree(data, ignore_errors=True)
    return times


def save(
    opts: Options, results: dict[str, Any], started: dt.datetime, console: Console | None
) -> None:
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["seconds"] = (dt.datetime.now(dt.UTC) - started).total_seconds()
    if opts.results is None:
        return
    name = opts.name or started.strftime("%Y%m%d-%H%M%S")
    opts.results.mkdir(parents=True, exist_ok=True)
    path = opts.results / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    svg_plot(results, opts.results / f"{name}.svg")
    if console:
        console.print(f"Results: {path} and {path.with_suffix('.svg')}")


SMALL_RELOADS = 3  # forced reloads of the seed after its first load; the last is "warm"


def small_loads(bench: Bench, fresh: bool) -> dict[str, Any]:
    """The shipped seed (three datasets) through `casegraph load`: its first load, on a
    server just started when ``fresh``, then forced reloads. The figures are the loads'
    own write seconds (every dataset's, schema step included), and the wall time of the
    whole command."""
    cmd = [sys.executable, "-m", "loader", "load", str(ROOT / "seed"), "--json"]
    runs: list[dict[str, Any]] = []
    for attempt in range(1 + SMALL_RELOADS):
        args = cmd + (["--force"] if attempt else [])
        code, out, err, wall, _ = run_child(args, bench.target.env(), bench.opts.timeout)
        if code != 0:
            return {"error": f"exit {code}: {last_line(err or out)}"}
        reports = json.loads(out)
        runs.append({
            "wall_s": round(wall, 3),
            "write_s": round(sum(r["timings"]["write_s"] for r in reports), 3),
            "elements": sum(r["totals"]["created"] + r["totals"]["changed"]
                            + r["totals"]["unchanged"] for r in reports),
            "created": sum(r["totals"]["created"] for r in reports),
        })  # fmt: skip
        bench.say(f"  seed {'forced reload' if attempt else 'first load'}: "
                  f"write {runs[-1]['write_s']:.2f} s, wall {wall:.2f} s")  # fmt: skip
    wipe(bench.target)
    return {
        "fresh_server": fresh,
        "small_first_load_write_s": runs[0]["write_s"],
        "small_warm_reload_s": runs[-1]["write_s"],
        "runs": runs,
    }


def run_benchmark(opts: Options, console: Console | None = None) -> dict[str, Any]:
    """The whole benchmark; returns the results (also written under opts.results)."""
    console = console or Console(width=max(140, Console().width))
    work = opts.work or Path(tempfile.mkdtemp(prefix="casegraph-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    results: dict[str, Any] = {
        "name": opts.name,
        "started_at": started.isoformat(),
        "machine": machine(),
        "runs": [],
    }
    results["options"] = {
        "sizes": opts.sizes,
        "shapes": opts.shapes,
        "seed": opts.seed,
        "heap": opts.heap,
        "pagecache": opts.pagecache,
        "naive_sample": opts.naive_sample,
        "approaches": opts.approaches,
        "server": "external (--uri)" if opts.uri else "own",
    }
    own: localserver.ServerConfig | None = None
    if opts.uri:
        target = Target(opts.uri, opts.user, opts.password, opts.database)
    else:
        own = new_server(work / "neo4j-home", opts.heap, opts.pagecache, "bench-server-pw")
        console.print(f"Starting Neo4j (heap {opts.heap}, page cache {opts.pagecache}) ...")
        start_server(own)
        target = Target(
            f"neo4j://127.0.0.1:{own.bolt_port}", "neo4j", "bench-server-pw", "neo4j", own
        )
    try:
        with target.driver() as driver:
            records, _, _ = driver.execute_query(
                "CALL dbms.components() YIELD name, versions, edition "
                "RETURN name + ' ' + versions[0] + ' ' + edition AS v",
                database_="system",
            )
        results["machine"]["neo4j"] = records[0]["v"]
        bench = Bench(opts, target, work, console)
        if opts.small:
            console.print("The shipped seed, small loads:")
            results["small"] = small_loads(bench, fresh=own is not None)
            save(opts, results, started, None)
        for shape in opts.shapes:
            for entities in opts.sizes:
                run = run_size(bench, entities, shape)
                results["runs"].append(run)
                print_run(console, run)
                save(opts, results, started, None)  # after each size: a long run keeps its results
    finally:
        if own is not None:
            localserver.stop(own.home)
        if opts.work is None:
            shutil.rmtree(work, ignore_errors=True)
    save(opts, results, started, console)
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    p.add_argument("--sizes", default="10k", help="entities per run, e.g. 10k,100k,1m")
    p.add_argument(
        "--shapes", default="uniform", help="uniform, powerlaw or both: uniform,powerlaw"
    )
    p.add_argument("--approaches", default="abcdef", help="subset of abcdef (default all)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--files", type=int, default=None, help="YAML files (default 1 per 10k)")
    p.add_argument("--name", default=None, help="results file name (default: a timestamp)")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--work", type=Path, default=None, help="keep generated data here")
    p.add_argument("--heap", default="4g")
    p.add_argument("--pagecache", default="4g")
    p.add_argument("--naive-sample", type=int, default=2000, help="records the naive loop runs")
    p.add_argument("--naive-full", action="store_true", help="run the naive loop on everything")
    p.add_argument("--py2neo-venv", type=Path, default=None, help="reuse this throwaway venv")
    p.add_argument("--uri", default=None, help="use this server (NEO4J_PASSWORD) for b-e")
    p.add_argument("--database", default="neo4j")
    p.add_argument("--no-cli", action="store_true", help="skip d casegraph CLI (a second d)")
    p.add_argument(
        "--batch-sweep", default="", help="d again with these batch sizes, e.g. 1000,20000"
    )
    p.add_argument(
        "--reloads", choices=["all", "unchanged"], default="all", help="which e reloads to run"
    )
    p.add_argument("--no-small", action="store_true", help="skip the shipped seed's small loads")
    a = p.parse_args(argv)
    opts = Options(
        sizes=[parse_size(s) for s in a.sizes.split(",")],
        shapes=[s.strip() for s in a.shapes.split(",")],
        approaches=tuple(c for c in a.approaches if c in APPROACHES),
        seed=a.seed,
        files=a.files,
        work=a.work,
        name=a.name,
        results=a.results,
        heap=a.heap,
        pagecache=a.pagecache,
        naive_sample=a.naive_sample,
        naive_full=a.naive_full,
        py2neo_venv=a.py2neo_venv,
        uri=a.uri,
        password=os.environ.get("NEO4J_PASSWORD", ""),
        database=a.database,
        cli=not a.no_cli,
        reloads=a.reloads,
        batch_sizes=[parse_size(x) for x in a.batch_sweep.split(",") if x.strip()],
        small=not a.no_small,
    )
    for shape in opts.shapes:
        if shape not in gen.SHAPES:
            p.error(f"unknown shape {shape!r}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop our server on the way out
    run_benchmark(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
