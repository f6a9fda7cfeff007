"""`casegraph neo4j start | stop | status`, on a server of its own, and its failure paths."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from loader.browser.files import post_connect_command
from loader.queries.library import load_library
from loader.server import localserver
from tests.helpers import ROOT, free_port

PASSWORD = "lifecycle-pw-1"


def casegraph(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loader", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.strip()]


def process_gone(pid: int, timeout: float = 10.0) -> bool:
    """True once ``pid`` has exited (a zombie waiting for init to reap it counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] in {"Z", "X"}:
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


def test_bolt_port_taken_is_one_line(tmp_path: Path, taken_port: int) -> None:
    done = casegraph(
        "neo4j", "start", "--home", str(tmp_path / "home"), "--bolt-port", str(taken_port)
    )
    assert done.returncode == 1
    assert error_lines(done)[1:] == [  # after the line naming the Java it found
        f"Error: port {taken_port} (Bolt) on 127.0.0.1 is already taken: stop what uses it "
        "or choose another with --bolt-port"
    ]


def test_http_port_taken_is_one_line(tmp_path: Path, taken_port: int) -> None:
    done = casegraph(
        "neo4j", "start", "--home", str(tmp_path / "home"),
        "--bolt-port", str(free_port()), "--http-port", str(taken_port),
    )  # fmt: skip
    assert done.returncode == 1
    assert error_lines(done)[1:] == [
        f"Error: port {taken_port} (HTTP) on 127.0.0.1 is already taken: stop what uses it "
        "or choose another with --http-port"
    ]


def test_status_when_stopped(tmp_path: Path) -> None:
    done = casegraph("neo4j", "status", "--home", str(tmp_path))
    assert done.returncode == 1
    assert "Neo4j is not running" in done.stdout


@pytest.mark.slow
def test_start_status_browser_auth_stop(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bolt, http = free_port(), free_port()
    env = dict(os.environ, NEO4J_PASSWORD=PASSWORD, CASEGRAPH_GUIDE_PORT="8475")
    env["CASEGRAPH_QUERIES"] = str(ROOT / "cypher")
    started = casegraph(
        "neo4j", "start", "--home", str(home), "--bolt-port", str(bolt),
        "--http-port", str(http), "--heap", "512m", "--pagecache", "256m", env=env,
    )  # fmt: skip
    state = localserver.read_state(home)
    try:
        assert started.returncode == 0, started.stderr
        assert state is not None
        assert PASSWORD not in started.stdout + started.stderr
        status = casegraph("neo4j", "status", "--home", str(home))
        assert status.returncode == 0
        assert "is running" in status.stdout
        assert f"neo4j://127.0.0.1:{bolt}" in status.stdout
        assert f"http://127.0.0.1:{http}/browser/" in status.stdout

        with urllib.request.urlopen(f"http://127.0.0.1:{http}/browser/", timeout=30) as resp:
            assert resp.status == 200
            assert b"Neo4j Browser" in resp.read()

        with GraphDatabase.driver(f"neo4j://127.0.0.1:{bolt}", auth=("neo4j", PASSWORD)) as drv:
            records, _, _ = drv.execute_query("RETURN 1 AS one")
            assert records[0]["one"] == 1
            # what Browser runs on connecting: the library's defaults, the style, the guide
            records, _, _ = drv.execute_query("CALL dbms.clientConfig()")
            config = {r["name"]: r["value"] for r in records}
            library = load_library(ROOT / "cypher")
            assert config["browser.post_connect_cmd"] == post_connect_command(
                library, "http://127.0.0.1:8475"
            )
            assert "On connecting, Browser sets the saved queries' defaults" in started.stdout
        with (
            GraphDatabase.driver(f"bolt://127.0.0.1:{bolt}", auth=("neo4j", "wrong-pw-1")) as drv,
            pytest.raises(AuthError),
        ):
            drv.verify_connectivity()
    finally:
        stopped = casegraph("neo4j", "stop", "--home", str(home))
    assert stopped.returncode == 0, stopped.stderr
    assert "Neo4j stopped" in stopped.stdout
    assert process_gone(state.pid)
    again = casegraph("neo4j", "status", "--home", str(home))
    assert again.returncode == 1
