"""The server's jars, fetched once from Maven Central into the cache (``CASEGRAPH_CACHE``):
the Neo4j server and Neo4j Browser, or cypher-shell, of one Neo4j version.

No Maven installation is needed: Apache Maven's own binary archive comes from Maven
Central too (its SHA-512 is pinned here), is unpacked into the cache, and runs on the
Java that runs the server, with checksums enforced on every download. Maven downloads
through a forwarder on 127.0.0.1 that this process runs (``forwarder``): the network is
then reached by Python alone, with the system's certificates and proxy settings, which a
Java runtime from PyPI does not know (a TLS-inspecting proxy's CA, say). Each jar set goes
to a folder of its own (``<kind>-<version>/lib``, so class paths stay apart), with a
``SHA256SUMS`` file written when the fetch completed; every later use checks the jars
against it. A fetch that fails leaves no folder behind. Maven's local repository
(``maven-repository``) keeps the POMs only, so that the next fetch (cypher-shell, another
version) need not ask for them again one by one.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from loader import settings
from loader.errors import DownloadError, UsageError, shown
from loader.serving import serving

NEO4J_VERSION = "5.26.30"  # the default: the 5.26 LTS
BROWSER_VERSION = "5.24.0"
DOCKER_HINT = "or run Neo4j with Docker instead: `docker compose up -d`"
CENTRAL = "https://repo.maven.apache.org/maven2"
MAVEN_VERSION = "3.9.16"
MAVEN_SHA512 = (
    "831a8591fe20c8243b1dbe7d71e3244f31d1665b0804b2e825e38cbbe5ce0caf"
    "b8338851f90780735568773e0a6cd07bbec107cda0b896b008b861075358b6f6"
)
# named in full: no plugin-prefix lookup, and the same plugin on every machine
COPY_DEPENDENCIES = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
SUMS = "SHA256SUMS"

# 5.26.x (the LTS) and the calendar releases, 2025.01.0 on
VERSION = re.compile(r"5\.26\.\d{1,3}|20(?:2[5-9]|[3-9]\d)\.(?:0[1-9]|1[0-2])\.\d{1,3}")

POM_TEMPLATE = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>casegraph.local</groupId>
  <artifactId>jars</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
{dependencies}
  </dependencies>
</project>
"""
# every repository any POM names goes through the forwarder (a POM's own repositories too)
SETTINGS_TEMPLATE = """<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <mirrors>
    <mirror><id>casegraph</id><mirrorOf>*</mirrorOf><url>{url}</url></mirror>
  </mirrors>
</settings>
"""
DEPENDENCY = (
    "    <dependency><groupId>{}</groupId><artifactId>{}</artifactId>"
    "<version>{}</version></dependency>"
)
MARKER_JAR = {"neo4j": "neo4j-kernel-*.jar", "cypher-shell": "cypher-shell-*.jar"}


def check_version(version: str) -> str:
    """``version`` when it names a Neo4j casegraph runs: 5.26.x or a calendar release."""
    if not VERSION.fullmatch(version):
        raise UsageError(
            f"--version {shown(version)} is not a Neo4j casegraph runs: give a 5.26 LTS "
            f"release (e.g. {NEO4J_VERSION}) or a calendar release (e.g. 2026.04.0)"
        )
    return version


def artifacts(kind: str, version: str) -> tuple[tuple[str, str, str], ...]:
    """What a jar set holds."""
    if kind == "neo4j":
        return (
            ("org.neo4j", "neo4j", version),
            ("org.neo4j.client", "neo4j-browser", BROWSER_VERSION),
        )
    return (("org.neo4j", "cypher-shell", version),)


def cache_dir() -> Path:
    return settings.path("CASEGRAPH_CACHE", settings.cache_home() / "casegraph")


def repository() -> str:
    """The Maven repository the jars come from: ``CASEGRAPH_MAVEN_REPOSITORY``, else
    Maven Central."""
    return (settings.text("CASEGRAPH_MAVEN_REPOSITORY") or CENTRAL).rstrip("/")


def lib_dir(kind: str = "neo4j", version: str = NEO4J_VERSION) -> Path:
    return cache_dir() / f"{kind}-{version}" / "lib"


def jars_present(lib: Path, kind: str = "neo4j") -> bool:
    """A finished fetch: its checksums file and its marker jar are there."""
    return (lib / SUMS).is_file() and any(lib.glob(MARKER_JAR[kind]))


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def write_sums(lib: Path) -> None:
    jars = sorted(p for p in lib.iterdir() if p.suffix == ".jar")
    text = "".join(f"{_sha256(p)}  {p.name}\n" for p in jars)
    (lib / SUMS).write_text(text, encoding="utf-8")


def verify(lib: Path) -> None:
    """The jars of a finished fetch are the ones fetched: each matches ``SHA256SUMS``
    and none is missing or added."""
    again = f"remove {lib.parent} and run the command again to fetch it afresh"
    listed: dict[str, str] = {}
    for line in (lib / SUMS).read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {p.name for p in lib.iterdir() if p.suffix == ".jar"}
    for name in sorted(present - listed.keys()):
        raise DownloadError(f"the jar cache holds {lib / name}, which was not fetched: {again}")
    for name, digest in sorted(listed.items()):
        if name not in present:
            raise DownloadError(f"the jar cache lacks {lib / name}: {again}")
        if _sha256(lib / name) != digest:
            raise DownloadError(
                f"the cached jar {lib / name} does not match its checksum in {lib / SUMS} "
                f"(corrupt or changed): {again}"
            )


def _get(url: str, what: str) -> bytes:
    """The body at ``url``; a clear error when the repository cannot be reached."""
    try:
        with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310 (https, or the user's repository)
            body: bytes = answer.read()
            return body
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise FileNotFoundError(url) from None
        raise DownloadError(
            f"{repository()} answered {exc.code} for {what}: check the repository "
            f"(CASEGRAPH_MAVEN_REPOSITORY) and retry, {DOCKER_HINT}"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"cannot reach the Maven repository {repository()} to fetch {what} ({reason}): "
            f"check the network (or HTTPS_PROXY, or CASEGRAPH_MAVEN_REPOSITORY for a mirror) "
            f"and retry, {DOCKER_HINT}"
        ) from None


def published_versions() -> list[str]:
    """The versions of ``org.neo4j:neo4j`` the repository lists, oldest first."""
    try:
        body = _get(f"{repository()}/org/neo4j/neo4j/maven-metadata.xml", "Neo4j's versions")
    except FileNotFoundError:
        return []
    try:
        root = ET.fromstring(body)  # noqa: S314 (the repository's metadata, no entities)
    except ET.ParseError:
        return []
    return [v.text or "" for v in root.iter("version")]


def check_published(version: str) -> None:
    """Refuse a version the repository does not have, naming the newest ones it has."""
    versions = published_versions()
    if not versions or version in versions:
        return  # a repository without the metadata: Maven says what it lacks
    ours = [v for v in versions if VERSION.fullmatch(v)]
    lts = [v for v in ours if v.startswith("5.26.")][-1:]
    calendar = [v for v in ours if not v.startswith("5.")][-3:]
    raise UsageError(
        f"Neo4j {version} is not in {repository()}: choose one that is, such as "
        f"{', '.join([*reversed(calendar), *lts])}"
    )


class _Forward(http.server.BaseHTTPRequestHandler):
    """GET and HEAD of a repository path, answered from the repository."""

    upstream = ""

    def do_GET(self) -> None:
        self._forward(send_body=True)

    def do_HEAD(self) -> None:
        self._forward(send_body=False)

    def _forward(self, send_body: bool) -> None:
        url = self.upstream + self.path
        try:
            with urllib.request.urlopen(url, timeout=120) as answer:  # noqa: S310
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, b""
        except (urllib.error.URLError, OSError):
            status, body = 502, b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def forwarder() -> Iterator[str]:
    """The URL of a repository on 127.0.0.1 that forwards to ``repository()``, for as
    long as the block runs."""
    handler = type("Forward", (_Forward,), {"upstream": repository()})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    with serving(server) as url:
        yield url


def maven_home(log: Callable[[str], None]) -> Path:
    """Apache Maven from the repository, unpacked once into the cache."""
    home = cache_dir() / f"apache-maven-{MAVEN_VERSION}"
    if (home / "bin" / "m2.conf").is_file():
        return home
    name = f"apache-maven-{MAVEN_VERSION}-bin.tar.gz"
    url = f"{repository()}/org/apache/maven/apache-maven/{MAVEN_VERSION}/{name}"
    log(f"Fetching Apache Maven {MAVEN_VERSION} (once, 9 MB)...")
    try:
        archive = _get(url, f"Apache Maven {MAVEN_VERSION}")
    except FileNotFoundError:
        raise DownloadError(f"{url} was not found: check CASEGRAPH_MAVEN_REPOSITORY") from None
    if hashlib.sha512(archive).hexdigest() != MAVEN_SHA512:
        raise DownloadError(
            f"{url} does not match the SHA-512 casegraph expects: the download was changed "
            "on its way (a proxy?); retry, or use another repository"
        )
    home.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home.parent, prefix=".maven-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(archive)
        with tarfile.open(path) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4 on
                tar.extractall(tmp, filter="data")
            else:  # its SHA-512 is pinned above: the archive is the one published
                tar.extractall(tmp)  # noqa: S202
        (Path(tmp) / f"apache-maven-{MAVEN_VERSION}").rename(home)
    return home


def maven_command(java: Path, maven: Path, project: Path, *args: str) -> list[str]:
    """Maven's launcher run by ``java`` directly, as its ``bin/mvn`` script does: no shell
    script, and the same Java as the server's."""
    (boot,) = (maven / "boot").glob("plexus-classworlds-*.jar")
    return [
        str(java),
        "-classpath",
        str(boot),
        f"-Dclassworlds.conf={maven / 'bin' / 'm2.conf'}",
        f"-Dmaven.home={maven}",
        f"-Dlibrary.jansi.path={maven / 'lib' / 'jansi-native'}",
        f"-Dmaven.multiModuleProjectDirectory={project}",
        "org.codehaus.plexus.classworlds.launcher.Launcher",
        *args,
    ]


def fetch_jars(
    java: Path,
    log: Callable[[str], None] = lambda _: None,
    kind: str = "neo4j",
    version: str = NEO4J_VERSION,
) -> Path:
    """A jar set (the server and Browser, or cypher-shell) of ``version``, fetched into
    the cache once and checked against its checksums on every later use."""
    lib = lib_dir(kind, version)
    if jars_present(lib, kind):
        verify(lib)
        return lib
    check_version(version)
    check_published(version)
    maven = maven_home(log)
    cache_dir().mkdir(parents=True, exist_ok=True)
    names = ", ".join(f"{g}:{a}:{v}" for g, a, v in artifacts(kind, version))
    log(f"Fetching {names} from {repository()} (once)...")
    poms = cache_dir() / "maven-repository"  # kept: a later fetch resolves much faster
    with tempfile.TemporaryDirectory(dir=cache_dir(), prefix=".fetch-") as tmp:
        project = Path(tmp)
        deps = "\n".join(DEPENDENCY.format(*artifact) for artifact in artifacts(kind, version))
        pom = project / "pom.xml"
        pom.write_text(POM_TEMPLATE.format(dependencies=deps))

        target = project / "lib"
        cmd = maven_command(
            java, maven, project,
            "-B", "-q", "--strict-checksums", "-f", str(pom), "-s", str(project / "settings.xml"),
            f"-Dmaven.repo.local={poms}",
            COPY_DEPENDENCIES, "-DincludeScope=runtime",
            f"-DoutputDirectory={target}",
        )  # fmt: skip
        env = dict(os.environ, JAVA_HOME=str(java.parent.parent))
        try:
            with forwarder() as url:
                (project / "settings.xml").write_text(SETTINGS_TEMPLATE.format(url=url))
                done = subprocess.run(
                    cmd, cwd=project, env=env, capture_output=True, text=True, timeout=1800,
                    check=False,
                )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise DownloadError(
                "Maven did not finish fetching the Neo4j jars within 30 minutes: "
                "check the network and retry"
            ) from None
        if done.returncode != 0 or not any(target.glob(MARKER_JAR[kind])):
            raise DownloadError(
                f"Maven could not fetch {names}: {_maven_reason(done.stdout + done.stderr)} "
                f"(check access to {repository()} and retry, {DOCKER_HINT})"
            )
        for jar in poms.rglob("*.jar"):  # copied to lib: kept once, not twice
            jar.unlink()
        write_sums(target)
        shutil.rmtree(lib.parent, ignore_errors=True)
        lib.parent.mkdir(parents=True)
        target.rename(lib)
    return lib


def _maven_reason(output: str) -> str:
    """What Maven said went wrong: its error lines up to the first pointer to its help,
    joined and shortened."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line.removeprefix("[ERROR]").strip() for line in lines if line.startswith("[ERROR]")]
    said = []
    for line in errors or lines[-1:] or ["(no output)"]:
        if line.startswith("-> [Help"):
            break
        said.append(line)
    text = " ".join(said)
    return text if len(text) <= 600 else text[:597] + "..."
