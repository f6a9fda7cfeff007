"""The server's jars, fetched once from Maven Central into the cache
(``CASEGRAPH_CACHE``): the Neo4j server and Neo4j Browser, or cypher-shell."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from loader import settings
from loader.errors import DownloadError, MavenError

NEO4J_VERSION = "5.26.30"
BROWSER_VERSION = "5.24.0"
DOCKER_HINT = "or run Neo4j with Docker instead: `docker compose up -d`"

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
DEPENDENCY = (
    "    <dependency><groupId>{}</groupId><artifactId>{}</artifactId>"
    "<version>{}</version></dependency>"
)

# What each jar set holds; each goes to a folder of its own so class paths stay apart.
JAR_SETS = {
    "neo4j": (
        ("org.neo4j", "neo4j", NEO4J_VERSION),
        ("org.neo4j.client", "neo4j-browser", BROWSER_VERSION),
    ),
    "cypher-shell": (("org.neo4j", "cypher-shell", NEO4J_VERSION),),
}
MARKER_JAR = {"neo4j": "neo4j-kernel-*.jar", "cypher-shell": "cypher-shell-*.jar"}


def cache_dir() -> Path:
    return settings.path("CASEGRAPH_CACHE", settings.cache_home() / "casegraph")


def lib_dir(kind: str = "neo4j") -> Path:
    return cache_dir() / f"{kind}-{NEO4J_VERSION}" / "lib"


def jars_present(lib: Path, kind: str = "neo4j") -> bool:
    return lib.is_dir() and any(lib.glob(MARKER_JAR[kind]))


def fetch_jars(log: Callable[[str], None] = lambda _: None, kind: str = "neo4j") -> Path:
    """Fetch a jar set (the server and Browser, or cypher-shell) with Maven into the cache.

    Reused when already there; a failed fetch leaves no half-filled folder behind.
    """
    lib = lib_dir(kind)
    if jars_present(lib, kind):
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenError(
            "the Neo4j jars are not cached and Maven (mvn) is not installed: "
            f"apt-get install maven, {DOCKER_HINT}"
        )
    lib.parent.mkdir(parents=True, exist_ok=True)
    artifacts = JAR_SETS[kind]
    names = ", ".join(f"{g}:{a}:{v}" for g, a, v in artifacts)
    log(f"Fetching {names} with Maven (once)...")
    with tempfile.TemporaryDirectory(dir=lib.parent, prefix=".fetch-") as tmp:
        pom = Path(tmp) / "pom.xml"
        deps = "\n".join(DEPENDENCY.format(*artifact) for artifact in artifacts)
        pom.write_text(POM_TEMPLATE.format(dependencies=deps))
        target = Path(tmp) / "lib"
        cmd = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={target}",
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, check=False)
        except subprocess.TimeoutExpired:
            raise DownloadError(
                "Maven did not finish fetching the Neo4j jars within 30 minutes: "
                "check the network and retry"
            ) from None
        if done.returncode != 0 or not jars_present(target, kind):
            last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["(no output)"]
            raise DownloadError(
                f"Maven could not fetch {names}: {last[0][:300]} "
                f"(check access to Maven Central and retry, {DOCKER_HINT})"
            )
        if lib.exists():
            shutil.rmtree(lib)
        target.rename(lib)
    return lib
