"""A local Neo4j Community server run from Maven Central jars, for machines without Docker.

Layout:
- the jar cache (``CASEGRAPH_CACHE``, default ``~/.cache/casegraph``) holds
  ``neo4j-<version>/lib/*.jar``, fetched once by ``mvn dependency:copy-dependencies``;
- the server home (``CASEGRAPH_NEO4J_HOME``, default ``~/.local/share/casegraph/neo4j``)
  holds ``conf/neo4j.conf``, ``data/``, ``logs/``, the pid, the chosen ports and the
  password (mode 0600) so that other casegraph commands can connect without asking.

The server JVM is started directly (the main class its jar registers: ``entry_point``) in
its own process group, so the recorded pid is the server itself and ``stop`` can wait for it.

Over 400 lines on purpose: configuring, starting and stopping one server process share
its state files and ports; the jars (``jars``) and Java (``java``) are apart.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from loader import settings
from loader.errors import (
    DatabaseUnavailableError,
    PortInUseError,
    ServerError,
    StartError,
)
from loader.server.jars import NEO4J_VERSION, check_version, fetch_jars
from loader.server.java import choose_java

# the service Neo4j's own bootloader looks up for the server's main class, which moved
# (5.26: org.neo4j.server.CommunityEntryPoint; 2026.04: org.neo4j.server.Neo4jCommunity)
ENTRY_POINT_SERVICE = "META-INF/services/org.neo4j.server.startup.EntryPoint"
SERVER_CLASSES = "org.neo4j.server."  # in every server's command line, as its main class

# The JVM options of the 5.26 tarball's default neo4j.conf that matter on Java 17 and 21
# (the same in 2026.04's); neo4j-admin gets them too.
JVM_OPTIONS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "-Dfile.encoding=UTF-8",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
)


def default_home() -> Path:
    return settings.path("CASEGRAPH_NEO4J_HOME", settings.data_home() / "casegraph" / "neo4j")


@dataclass
class ServerConfig:
    home: Path
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "1g"
    pagecache: str = "1g"
    timeout: float = 180.0
    settings: dict[str, str] = field(default_factory=dict)  # more neo4j.conf settings
    version: str = NEO4J_VERSION

    @property
    def bolt_uri(self) -> str:
        return f"neo4j://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"


@dataclass
class ServerState:
    """What ``start`` records in the home so that later commands find the server."""

    pid: int
    bolt_port: int
    http_port: int
    version: str
    started_at: float
    # what ``load --bulk`` needs to start the server again as it was; None in state files
    # written before they were recorded (``recorded_config`` then reads neo4j.conf)
    heap: str | None = None
    pagecache: str | None = None
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def bolt_uri(self) -> str:
        return f"neo4j://127.0.0.1:{self.bolt_port}"

    @property
    def browser_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/browser/"


def _state_file(home: Path) -> Path:
    return home / "run" / "casegraph-server.json"


def password_file(home: Path) -> Path:
    return home / "password"


def read_state(home: Path) -> ServerState | None:
    try:
        data = json.loads(_state_file(home).read_text(encoding="utf-8"))
        return ServerState(**data)
    except (OSError, ValueError, TypeError):
        return None


def read_password(home: Path) -> str | None:
    try:
        return password_file(home).read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def process_runs(pid: int, marker: str) -> bool:
    """True when ``pid`` is alive and its command line holds ``marker`` (not a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (macOS): trust the pid
    return marker.encode() in cmdline


def is_server_process(pid: int) -> bool:
    """True when ``pid`` is alive and is a Neo4j server JVM."""
    return process_runs(pid, SERVER_CLASSES)


def local_target(home: Path | None = None) -> tuple[str, str | None]:
    """The Bolt URI and stored password of the server running in ``home`` (default:
    ``default_home()``), for ``loader.connection.resolve`` when no URI is given; when it
    does not run, DatabaseUnavailableError says so (no other port is tried: a server
    found there would be someone else's, and its refusal would mislead)."""
    home = home or default_home()
    state = running_state(home)
    if state is None:
        recorded = read_state(home)
        port = recorded.bolt_port if recorded else settings.port("CASEGRAPH_BOLT_PORT", 7687)
        raise DatabaseUnavailableError(
            f"the local Neo4j server (home {home}, Bolt port {port}) is not running and "
            "NEO4J_URI is not set: start it with `casegraph neo4j start`, or set NEO4J_URI "
            "(or --uri) to the server to use"
        )
    return state.bolt_uri, read_password(home)


def running_state(home: Path) -> ServerState | None:
    state = read_state(home)
    if state is not None and is_server_process(state.pid):
        return state
    return None


# --- ports -----------------------------------------------------------------------------
def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a server could listen on the port (as Neo4j does, with SO_REUSEADDR, so
    connections of a previous server still in TIME_WAIT do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def check_ports(config: ServerConfig) -> None:
    for name, port, flag in (
        ("Bolt", config.bolt_port, "--bolt-port"),
        ("HTTP", config.http_port, "--http-port"),
    ):
        if not port_free(port):
            raise PortInUseError(
                f"port {port} ({name}) on 127.0.0.1 is already taken: stop what uses it "
                f"or choose another with {flag}"
            )


# --- configuration and start --------------------------------------------------------------


def render_conf(config: ServerConfig) -> str:
    lines = [
        "# Written by `casegraph neo4j start`; rewritten at every start.",
        "server.default_listen_address=127.0.0.1",
        "server.default_advertised_address=127.0.0.1",
        f"server.bolt.listen_address=127.0.0.1:{config.bolt_port}",
        f"server.bolt.advertised_address=127.0.0.1:{config.bolt_port}",
        f"server.http.listen_address=127.0.0.1:{config.http_port}",
        f"server.http.advertised_address=127.0.0.1:{config.http_port}",
        "server.https.enabled=false",
        "server.directories.data=data",
        "server.directories.logs=logs",
        "server.directories.run=run",
        "server.directories.import=import",
        "dbms.security.auth_enabled=true",
        f"server.memory.heap.initial_size={config.heap}",
        f"server.memory.heap.max_size={config.heap}",
        f"server.memory.pagecache.size={config.pagecache}",
        "dbms.usage_report.enabled=false",
        "client.allow_telemetry=false",
        "browser.remote_content_hostname_whitelist=localhost,127.0.0.1",
        *(f"{name}={value}" for name, value in sorted(config.settings.items())),
        "",
    ]
    return "\n".join(lines)


def _conf_values(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs if not key.startswith("#")}


def recorded_config(home: Path, state: ServerState) -> ServerConfig:
    """The configuration the running server of ``home`` was started with, to restart it."""
    heap, pagecache, settings = state.heap, state.pagecache, state.settings
    if heap is None or pagecache is None:  # recorded by an older casegraph: read neo4j.conf
        conf = _conf_values((home / "conf" / "neo4j.conf").read_text(encoding="utf-8"))
        base = _conf_values(render_conf(ServerConfig(home=home)))
        heap = conf.get("server.memory.heap.max_size", "1g")
        pagecache = conf.get("server.memory.pagecache.size", "1g")
        settings = {key: value for key, value in conf.items() if key not in base}
    return ServerConfig(
        home=home,
        bolt_port=state.bolt_port,
        http_port=state.http_port,
        heap=heap,
        pagecache=pagecache,
        settings=dict(settings),
        version=state.version,
    )


def java_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["NEO4J_HOME"] = str(home)
    env["NEO4J_CONF"] = str(home / "conf")
    return env


def cypher_shell_command(java: Path, *args: str) -> list[str]:
    """The command line of cypher-shell from its Maven jars (fetched on first use)."""
    lib = fetch_jars(java, kind="cypher-shell")
    return [str(java), "-cp", f"{lib}/*", "org.neo4j.shell.Main", *args]


def admin_command(java: Path, lib: Path, *args: str) -> list[str]:
    """The command line of ``neo4j-admin`` (``org.neo4j.cli.AdminTool``) from the same jars."""
    # the server's JVM options: the importer needs java.nio opened on Java 21 as the server
    return [str(java), "-cp", f"{lib}/*", *JVM_OPTIONS, "org.neo4j.cli.AdminTool", *args]


def _store_exists(home: Path) -> bool:
    return (home / "data" / "dbms" / "auth.ini").exists() or (
        home / "data" / "databases" / "system"
    ).exists()


def entry_point(lib: Path, version: str) -> str:
    """The server's main class, as the ``org.neo4j:neo4j`` jar of ``version`` registers it."""
    jar = lib / f"neo4j-{version}.jar"
    try:
        with zipfile.ZipFile(jar) as archive:
            names = archive.read(ENTRY_POINT_SERVICE).decode("utf-8").split()
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise StartError(f"cannot read the server's entry point from {jar}: {exc}") from None
    main = next((name for name in names if name.startswith(SERVER_CLASSES)), None)
    if main is None:
        raise StartError(f"{jar} registers no server entry point ({ENTRY_POINT_SERVICE})")
    return main


def _store_version_file(home: Path) -> Path:
    return home / "data" / "casegraph-neo4j-version"


def check_store_version(home: Path, version: str) -> None:
    """Refuse to start ``version`` on a store it should not open: one of a newer Neo4j
    (which it cannot read), or one of 5.26 under a calendar release (which would upgrade
    it for good). A newer patch of the same line upgrades the store as Neo4j does."""
    try:
        made = _store_version_file(home).read_text(encoding="utf-8").strip()
    except OSError:  # a new home, or one of a casegraph that ran only the default version
        made = NEO4J_VERSION if _store_exists(home) else ""
    if not made or made == version:
        return
    older = _version_key(version) < _version_key(made)
    if older or made.startswith("5.") != version.startswith("5."):
        change = "cannot read it" if older else "would upgrade it for good"
        raise StartError(
            f"the server home {home} holds the store of Neo4j {made}, which Neo4j {version} "
            f"{change}: start {made} (--version {made}), or give Neo4j {version} a home "
            "of its own (--home)"
        )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _ensure_password(java: Path, lib: Path, home: Path, log: Callable[[str], None]) -> None:
    stored = read_password(home)
    if _store_exists(home):
        wanted = os.environ.get("NEO4J_PASSWORD")
        if stored and wanted and wanted != stored:
            log(
                "NEO4J_PASSWORD differs from the password this server was created with; "
                f"the server keeps the old one (stored in {password_file(home)})"
            )
        return
    password = os.environ.get("NEO4J_PASSWORD") or stored
    generated = password is None
    if password is None:
        password = secrets.token_urlsafe(12)
    if len(password) < 8:
        raise StartError("NEO4J_PASSWORD must have at least 8 characters for Neo4j 5")
    done = subprocess.run(
        admin_command(java, lib, "dbms", "set-initial-password", password),
        env=java_env(home),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        reason = next(
            (line for line in (done.stderr + done.stdout).splitlines() if "Exception" in line),
            f"exit {done.returncode}",
        )
        raise StartError(f"neo4j-admin could not set the initial password: {reason[:300]}")
    pw_file = password_file(home)
    pw_file.write_text(password + "\n", encoding="utf-8")
    pw_file.chmod(0o600)
    if generated:
        log(f"Generated password for user neo4j: {password} (stored in {pw_file})")


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _wait_for_bolt(
    state: ServerState, password: str, timeout: float, proc: subprocess.Popen[bytes]
) -> str:
    """Wait until Bolt answers a query; returns the server version."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import AuthError, Neo4jError, ServiceUnavailable

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StartError(f"exited with code {proc.returncode}")
        try:
            with GraphDatabase.driver(
                f"bolt://127.0.0.1:{state.bolt_port}",
                auth=("neo4j", password),
                connection_timeout=5,
            ) as driver:
                driver.verify_connectivity()
                records, _, _ = driver.execute_query(
                    "CALL dbms.components() YIELD versions RETURN versions[0] AS v",
                    database_="system",
                )
                return str(records[0]["v"])
        except AuthError as exc:
            raise StartError(f"the server refused the stored password: {exc.message}") from None
        except (ServiceUnavailable, Neo4jError, OSError) as exc:
            last = exc
        time.sleep(0.2)  # a refused connection costs little; the server is up sooner
    raise StartError(f"Bolt did not answer within {timeout:.0f}s ({type(last).__name__})")


def start(config: ServerConfig, log: Callable[[str], None] = lambda _: None) -> ServerState:
    """Fetch (once), configure and start the server; return when Bolt answers."""
    home = config.home
    state = running_state(home)
    if state is not None:
        log(f"Neo4j is already running (pid {state.pid}).")
        return state
    version = check_version(config.version)
    java = choose_java(version)
    log(f"Using {java}.")
    check_ports(config)
    check_store_version(home, version)
    lib = fetch_jars(java.path, log, version=version)
    for sub in ("conf", "data", "logs", "run", "import"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    (home / "conf" / "neo4j.conf").write_text(render_conf(config), encoding="utf-8")
    _ensure_password(java.path, lib, home, log)
    _store_version_file(home).write_text(version + "\n", encoding="utf-8")
    password = read_password(home) or ""
    console = home / "logs" / "console.log"
    cmd = [
        str(java.path),
        "-cp",
        f"{home / 'conf'}/*:{lib}/*",
        f"-Xms{config.heap}",
        f"-Xmx{config.heap}",
        *JVM_OPTIONS,
        entry_point(lib, version),
        f"--home-dir={home}",
        f"--config-dir={home / 'conf'}",
        "--console-mode",
    ]
    log(f"Starting Neo4j {version} (home {home})...")
    began = time.time()
    with console.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=home,
            env=java_env(home),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    state = ServerState(
        pid=proc.pid,
        bolt_port=config.bolt_port,
        http_port=config.http_port,
        version=version,
        started_at=began,
        heap=config.heap,
        pagecache=config.pagecache,
        settings=dict(config.settings),
    )
    _state_file(home).write_text(json.dumps(asdict(state)), encoding="utf-8")
    try:
        state.version = _wait_for_bolt(state, password, config.timeout, proc)
    except StartError as exc:
        _terminate(proc.pid, 20)
        _state_file(home).unlink(missing_ok=True)
        raise StartError(f"Neo4j did not come up: {exc}; log {console}:\n{tail(console)}") from None
    _state_file(home).write_text(json.dumps(asdict(state)), encoding="utf-8")
    return state


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs the server; reaps it when it is our exited child."""
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return is_server_process(pid)


def _terminate(pid: int, timeout: float) -> bool:
    """SIGTERM (Neo4j shuts down cleanly on it), then SIGKILL after ``timeout``."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process_alive(pid):
            return True
        time.sleep(0.2)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return True
    for _ in range(50):
        if not process_alive(pid):
            break
        time.sleep(0.1)
    return False


def stop(home: Path, timeout: float = 90.0) -> ServerState | None:
    """Stop the server of ``home`` and wait until its process is gone. None if not running."""
    state = running_state(home)
    if state is None:
        _state_file(home).unlink(missing_ok=True)
        return None
    clean = _terminate(state.pid, timeout)
    if process_alive(state.pid):
        raise ServerError(f"Neo4j (pid {state.pid}) did not stop; kill it by hand")
    _state_file(home).unlink(missing_ok=True)
    if not clean:
        raise ServerError(
            f"Neo4j (pid {state.pid}) ignored SIGTERM for {timeout:.0f}s and was killed"
        )
    return state
