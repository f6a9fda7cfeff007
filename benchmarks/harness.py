"""The benchmark's plumbing: a server of our own, wiping, counting, measured subprocesses."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neo4j import Driver, GraphDatabase

from loader.cypher import quote_server_name
from loader.model.ontology import Ontology
from loader.server import localserver
from loader.server.java import check_java

ROOT = Path(__file__).resolve().parent.parent
WIPE = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"


@dataclass
class Target:
    uri: str
    user: str
    password: str
    database: str
    config: localserver.ServerConfig | None = None  # set when this run owns the server

    def driver(self) -> Driver:
        return GraphDatabase.driver(self.uri, auth=(self.user, self.password))

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            NEO4J_URI=self.uri,
            NEO4J_USERNAME=self.user,
            NEO4J_PASSWORD=self.password,
            NEO4J_DATABASE=self.database,
            PYTHONPATH=str(ROOT),
        )
        return env


@contextmanager
def _no_password_env() -> Iterator[None]:
    saved = os.environ.pop("NEO4J_PASSWORD", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["NEO4J_PASSWORD"] = saved


def new_server(home: Path, heap: str, pagecache: str, password: str) -> localserver.ServerConfig:
    """A server home of our own on free ports (not started)."""
    for sub in ("conf", "data", "logs", "run", "import"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    localserver.password_file(home).write_text(password + "\n", encoding="utf-8")
    config = localserver.ServerConfig(
        home=home,
        bolt_port=_free_port(),
        http_port=_free_port(),
        heap=heap,
        pagecache=pagecache,
        timeout=300,
    )
    (home / "conf" / "neo4j.conf").write_text(localserver.render_conf(config), encoding="utf-8")
    return config


def start_server(config: localserver.ServerConfig) -> None:
    with _no_password_env():
        localserver.start(config)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (Linux ``/proc``), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(target: Target, limit: float = 60.0) -> float:
    """Wait until our own server is idle (under 5% of a core over a second, at most
    ``limit`` seconds): a wipe leaves it collecting garbage and flushing, which would be
    charged to the next approach. Returns the seconds waited."""
    state = localserver.read_state(target.config.home) if target.config else None
    last = _cpu_seconds(state.pid) if state is not None else None
    if state is None or last is None:
        return 0.0
    began = time.monotonic()
    while time.monotonic() - began < limit:
        time.sleep(1.0)
        now = _cpu_seconds(state.pid)
        if now is None or now - last < 0.05:
            break
        last = now
    return time.monotonic() - began


def wipe(target: Target) -> None:
    """Data, constraints and indexes out (as the tests' wipe does), then wait for the
    server to go idle."""
    _wipe(target)
    settle(target)


def _wipe(target: Target) -> None:
    with target.driver() as driver, driver.session(database=target.database) as session:
        session.run(WIPE).consume()
        for record in session.run("SHOW CONSTRAINTS YIELD name RETURN name").data():
            session.run(f"DROP CONSTRAINT {quote_server_name(record['name'])}").consume()
        for record in session.run(
            "SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name"
        ).data():
            session.run(f"DROP INDEX {quote_server_name(record['name'])}").consume()


def server_counts(target: Target, ont: Ontology) -> tuple[int, int]:
    """Nodes of the ontology's labels and relationships of its types (from count stores),
    so casegraph's own bookkeeping nodes (LoadRun and the like) are left out."""
    with target.driver() as driver, driver.session(database=target.database) as session:
        nodes = sum(
            session.run(f"MATCH (n:{ont.quote(label)}) RETURN count(n) AS c").single(strict=True)[
                "c"
            ]
            for label in ont.labels
        )
        rels = sum(
            session.run(f"MATCH ()-[r:{ont.quote(t)}]->() RETURN count(r) AS c").single(
                strict=True
            )["c"]
            for t in ont.relationships
        )
    return int(nodes), int(rels)


def run_child(
    cmd: list[str],
    env: dict[str, str],
    timeout: float,
    stdin: str | None = None,
    cwd: Path = ROOT,
) -> tuple[int, str, str, float, float]:
    """Run a subprocess; return (exit code, stdout, stderr, wall seconds, peak RSS MB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
        )
        if stdin and proc.stdin:
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        deadline = began + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        wall = time.perf_counter() - began
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            wall,
            usage.ru_maxrss / 1024,
        )


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "(no output)"


def ensure_py2neo(venv: Path) -> tuple[Path | None, str]:
    """A throwaway venv with py2neo and PyYAML (never the project's); (python, error)."""
    python = venv / "bin" / "python"
    if python.exists() and _ok([str(python), "-c", "import py2neo, yaml"]):
        return python, ""
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        return None, f"cannot create a venv: {last_line(made.stderr)}"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "py2neo", "pyyaml"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if pip.returncode != 0:
        return None, f"pip install py2neo failed: {last_line(pip.stderr + pip.stdout)}"
    return python, ""


def _ok(cmd: list[str]) -> bool:
    return subprocess.run(cmd, capture_output=True, check=False).returncode == 0


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        meminfo = Path("/proc/meminfo").read_text()
        info["mem_gb"] = round(int(meminfo.split()[1]) / 1024**2, 1)
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            (ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("model name")),
            "?",
        )
    except OSError:
        pass
    java = subprocess.run(
        [str(check_java()), "-version"], capture_output=True, text=True, check=False
    )
    info["java"] = (java.stderr or java.stdout).splitlines()[0]
    import neo4j
    import yaml

    info["neo4j_driver"] = neo4j.__version__
    info["pyyaml"] = f"{yaml.__version__} (libyaml: {yaml.__with_libyaml__})"
    info["loadavg_start"] = os.getloadavg()
    try:
        from neo4j._codec.packstream.v1 import _rust_pack

        info["neo4j_rust_ext"] = _rust_pack is not None  # the driver's Rust PackStream
    except ImportError:
        info["neo4j_rust_ext"] = False
    from loader.read import yamlread

    info["c_reader"] = yamlread._scan is not None  # loader/read/_scan.c was built
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run([*git, "status", "--porcelain", "loader"], capture_output=True,
                           text=True, check=False)  # fmt: skip
    info["casegraph_commit"] = head.stdout.strip() + (" (loader/ modified)" if dirty.stdout else "")
    return info


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
