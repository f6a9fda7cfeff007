"""A small static server for the Neo4j Browser files: guide, style sheet, favorites zip.

Neo4j Browser fetches ``:play <url>`` and ``:style <url>`` from the page itself (axios, with
``pragma`` and ``cache-control`` request headers), so the request is cross-origin and
preflighted: this server answers ``OPTIONS`` and sends ``Access-Control-Allow-Origin: *`` on
every response. It serves only the files casegraph builds, never a directory listing, and
listens on 127.0.0.1 by default. Browser also checks the host against the server setting
``browser.remote_content_hostname_whitelist`` (``casegraph neo4j start`` allows localhost
and 127.0.0.1; Neo4j's default allows localhost).

The home (``CASEGRAPH_BROWSER_HOME``, default ``~/.local/share/casegraph/browser``) holds
``site/`` (the files) and, for a server started in the background, ``run/guideserver.json``
(pid, host, port) and ``run/guideserver.log``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from loader import settings
from loader.browser.files import DEFAULT_PORT, FILES, GUIDE
from loader.errors import PortInUseError, ServerError, StartError
from loader.server.localserver import process_runs

MODULE = "loader.browser.guideserver"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".grass": "text/plain; charset=utf-8",
    ".zip": "application/zip",
}


def default_home() -> Path:
    return settings.path("CASEGRAPH_BROWSER_HOME", settings.data_home() / "casegraph" / "browser")


def site_dir(home: Path) -> Path:
    return home / "site"


def _state_file(home: Path) -> Path:
    return home / "run" / "guideserver.json"


def log_file(home: Path) -> Path:
    return home / "run" / "guideserver.log"


@dataclass
class GuideServer:
    pid: int
    host: str
    port: int
    directory: str

    @property
    def base_url(self) -> str:
        return base_url(self.host, self.port)


def base_url(host: str, port: int) -> str:
    """The URL Browser should use for a server listening on ``host``."""
    shown = "127.0.0.1" if host in {"", "0.0.0.0", "::"} else host  # noqa: S104
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}"


def default_base_url() -> str:
    """Where the guide server listens unless told otherwise: 127.0.0.1, on
    ``CASEGRAPH_GUIDE_PORT`` (else 8474)."""
    return base_url("127.0.0.1", settings.port("CASEGRAPH_GUIDE_PORT", DEFAULT_PORT))


class Handler(SimpleHTTPRequestHandler):
    """Static files of one folder, with CORS headers; only the files casegraph builds."""

    server_version = "casegraph-guideserver"

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return TYPES.get(Path(path).suffix) or super().guess_type(path)

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        wanted = self.headers.get("Access-Control-Request-Headers")
        self.send_header("Access-Control-Allow-Headers", wanted or "*")
        if self.headers.get("Access-Control-Request-Private-Network"):
            self.send_header("Access-Control-Allow-Private-Network", "true")
        self.send_header("Access-Control-Max-Age", "600")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def do_OPTIONS(self) -> None:  # the CORS preflight
        self.send_response(HTTPStatus.NO_CONTENT)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_head(self) -> Any:
        name = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/")
        if name not in FILES:
            self.send_error(HTTPStatus.NOT_FOUND, f"only {', '.join(FILES)} are served here")
            return None
        return super().send_head()


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """A server for ``directory`` bound to host:port (0: any free port), not yet serving."""

    class Bound(Handler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(directory), **kwargs)

    try:
        return ThreadingHTTPServer((host, port), Bound)
    except OSError as exc:
        raise PortInUseError(
            f"cannot listen on {host}:{port} ({exc.strerror}): choose another with --port"
        ) from None


def check_port(host: str, port: int) -> None:
    """Raise PortInUseError unless a server could listen on host:port."""
    make_server(Path("."), host, port).server_close()


def serve(directory: Path, host: str, port: int) -> None:
    """Serve in the foreground until interrupted (Ctrl-C or SIGTERM)."""
    server = make_server(directory, host, port)

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


# -- in the background ----------------------------------------------------------------------


def _is_ours(pid: int) -> bool:
    return process_runs(pid, MODULE)


def running(home: Path) -> GuideServer | None:
    """The background server of ``home`` when it runs."""
    try:
        state = GuideServer(**json.loads(_state_file(home).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return state if _is_ours(state.pid) else None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http only)
            return bool(response.status == HTTPStatus.OK)
    except (urllib.error.URLError, OSError):
        return False


def start_background(
    directory: Path, home: Path, host: str = "127.0.0.1", port: int = 8474, timeout: float = 15
) -> GuideServer:
    """Start the server as a detached process; return when it answers."""
    current = running(home)
    if current is not None:
        if current.port == port and current.host == host:
            return current
        raise ServerError(
            f"a casegraph guide server already runs on {current.base_url} (pid {current.pid}): "
            "stop it first with `casegraph browser stop`"
        )
    check_port(host, port)
    log = log_file(home)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", MODULE, str(directory), host, str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    state = GuideServer(proc.pid, host, port, str(directory))
    _state_file(home).write_text(json.dumps(asdict(state)), encoding="utf-8")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            _state_file(home).unlink(missing_ok=True)
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
            raise StartError(f"the guide server exited: {' / '.join(tail)} (log {log})")
        if _answers(f"{state.base_url}/{GUIDE}"):
            return state
        time.sleep(0.1)
    _terminate(proc.pid)
    _state_file(home).unlink(missing_ok=True)
    raise StartError(f"the guide server did not answer within {timeout:.0f}s (log {log})")


def _terminate(pid: int, timeout: float = 10) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass
        if not _is_ours(pid):
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def stop(home: Path) -> GuideServer | None:
    """Stop the background server of ``home``; None when none runs."""
    state = running(home)
    if state is not None:
        _terminate(state.pid)
    _state_file(home).unlink(missing_ok=True)
    return state


def main(argv: list[str]) -> int:
    """``python -m loader.browser.guideserver DIR HOST PORT``: what ``start_background`` runs."""
    directory, host, port = Path(argv[0]), argv[1], int(argv[2])
    try:
        serve(directory, host, port)
    except PortInUseError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
