"""The Java that runs the local server: ``$JAVA_HOME/bin/java``, else ``java`` on PATH,
of version 17 or later."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from loader.errors import JavaError
from loader.server.jars import DOCKER_HINT, NEO4J_VERSION

MIN_JAVA = 17


def find_java() -> Path:
    """The java executable: ``$JAVA_HOME/bin/java`` when JAVA_HOME is set, else PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if not os.access(candidate, os.X_OK):
            raise JavaError(
                f"JAVA_HOME={java_home} has no bin/java: point JAVA_HOME at a Java "
                f"{MIN_JAVA}+ install (e.g. apt-get install openjdk-17-jre-headless), "
                f"{DOCKER_HINT}"
            )
        return candidate
    found = shutil.which("java")
    if found is None:
        raise JavaError(
            f"no Java found on PATH: install Java {MIN_JAVA} or 21 "
            f"(e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME, {DOCKER_HINT}"
        )
    return Path(found)


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


def check_java() -> Path:
    java = find_java()
    major = java_major(java)
    if major < MIN_JAVA:
        raise JavaError(
            f"{java} is Java {major}; Neo4j {NEO4J_VERSION} needs Java {MIN_JAVA} or 21: "
            f"install one and set JAVA_HOME, {DOCKER_HINT}"
        )
    return java
