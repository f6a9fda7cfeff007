"""docker-compose.yml cannot run here (no Docker engine); check what can be checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from loader.browser.files import post_connect_command
from loader.queries.library import load_library

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_neo4j_image_is_5_26_community(compose: dict[str, Any]) -> None:
    assert compose["services"]["neo4j"]["image"] == "neo4j:5.26-community"


def test_ports_are_browser_and_bolt_on_loopback(compose: dict[str, Any]) -> None:
    assert sorted(compose["services"]["neo4j"]["ports"]) == [
        "127.0.0.1:7474:7474",
        "127.0.0.1:7687:7687",
    ]


def test_auth_comes_from_the_environment(compose: dict[str, Any]) -> None:
    auth = compose["services"]["neo4j"]["environment"]["NEO4J_AUTH"]
    assert auth.startswith("neo4j/${NEO4J_PASSWORD")
    loader_env = compose["services"]["loader"]["environment"]
    assert loader_env["NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD")
    assert loader_env["NEO4J_URI"] == "neo4j://neo4j:7687"


def test_named_volumes(compose: dict[str, Any]) -> None:
    volumes = compose["services"]["neo4j"]["volumes"]
    named = {v.split(":")[0] for v in volumes}
    assert named == {"neo4j-data", "neo4j-logs"}
    assert set(compose["volumes"]) == named


def test_healthcheck_probes_http(compose: dict[str, Any]) -> None:
    check = compose["services"]["neo4j"]["healthcheck"]
    assert "7474" in " ".join(check["test"])
    assert check["retries"] >= 10


def test_loader_waits_for_health_and_loads_seed(compose: dict[str, Any]) -> None:
    loader = compose["services"]["loader"]
    assert loader["profiles"] == ["load"]
    assert loader["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert "load seed/" in loader["command"]


def test_browser_runs_the_library_defaults_style_and_guide_on_connecting(
    compose: dict[str, Any],
) -> None:
    """The value is what casegraph computes from cypher/ for the guide service's address."""
    env = compose["services"]["neo4j"]["environment"]
    value = env["NEO4J_browser_post__connect__cmd"]
    wanted = post_connect_command(load_library(ROOT / "cypher"), "http://localhost:8474")
    assert value == wanted, f"set NEO4J_browser_post__connect__cmd to: {wanted}"
    commands = [c.strip() for c in value.split(";")]
    assert commands[0].startswith("param [{about, case, depth,")
    assert commands[1:] == [
        "style http://localhost:8474/casegraph.grass",
        "play http://localhost:8474/guide.html",
    ]
    assert "localhost" in env["NEO4J_browser_remote__content__hostname__whitelist"].split(",")
