"""`casegraph query list|show|run`, as a user runs them, on the coco.gg case.

Errors are asserted as the exact one line the user sees, with its exit code: 2 for usage
(unknown query, missing or badly typed parameter), 1 for a bad query library, 3 when Neo4j
cannot be reached. The password never appears in any output.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from neo4j import Driver

from tests.conftest import Neo4jServer
from tests.helpers import ROOT, casegraph, load_seed

pytestmark = pytest.mark.neo4j

CYPHER = ROOT / "cypher"


def _env(server: Neo4jServer | None = None, **extra: str) -> dict[str, str]:
    env = server.env() if server else dict(os.environ)
    env.pop("CASEGRAPH_QUERIES", None)
    env["COLUMNS"] = "300"  # rich tables: one line per row, titles unwrapped
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def case(neo4j_server: Neo4jServer, driver: Driver) -> Neo4jServer:
    """An empty database into which seed/ was loaded once, successfully."""
    return load_seed(neo4j_server, driver)


def _one_error(done: subprocess.CompletedProcess[str], code: int) -> str:
    """The single stderr line of a failed command, after checking its exit code."""
    assert done.returncode == code, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_list_shows_every_query_with_title_and_parameters() -> None:
    done = casegraph("query", "list", env=_env())
    assert done.returncode == 0, done.stderr
    files = sorted(CYPHER.glob("*.cypher"))
    assert len(files) >= 12
    assert f"{len(files)} saved queries" in done.stdout
    for path in files:
        title = path.read_text(encoding="utf-8").split("\n", 1)[0].removeprefix("// ")
        assert path.stem in done.stdout  # every file is named after its query
        assert title in done.stdout
    assert "States and international bodies that cooperated in an investigation" in done.stdout
    assert "investigation: string = ''" in done.stdout
    assert "case: string = ''" in done.stdout
    assert "depth: int = 1" in done.stdout
    assert "asOf: date, required (e.g. date('2024-06-30'))" in done.stdout


def test_show_prints_the_file_as_it_is() -> None:
    done = casegraph("query", "show", "as-of", env=_env())
    assert done.returncode == 0, done.stderr
    assert done.stdout == (CYPHER / "as-of.cypher").read_text(encoding="utf-8")
    done = casegraph("query", "show", "ego-network", "--params", env=_env())
    assert done.stdout == (
        ":param [{entity, depth, exclude, case}] => "
        "{ RETURN 'agency/eurojust' AS entity, 1 AS depth, ['Source', 'LoadRun'] AS exclude, "
        "'' AS case }\n"
    )


def test_run_cooperating_states_as_json_gives_exactly_the_five(case: Neo4jServer) -> None:
    done = casegraph(
        "query", "run", "cooperating-states", "-p", "case=coco-gg", "--format", "json",
        env=_env(case),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    # "cinq pays européens : la Bulgarie, l'Allemagne, la Lituanie, les Pays-Bas et la Hongrie"
    assert [row["iso_code"] for row in rows] == ["BG", "DE", "HU", "LT", "NL"]
    done = casegraph("query", "run", "cooperating-states", "--format", "json", env=_env(case))
    rows = json.loads(done.stdout)  # every case: Archetyp's six (S2's five and S3's US) too
    by_case = {}
    for row in rows:
        by_case.setdefault(row["investigation"], []).append(row["iso_code"])
    assert by_case == {
        "Enquête sur la plateforme coco": ["BG", "DE", "HU", "LT", "NL"],
        "Operation Deep Sentinel": ["DE", "ES", "NL", "RO", "SE", "US"],
    }


def test_run_international_cooperation_as_json(case: Neo4jServer) -> None:
    done = casegraph(
        "query", "run", "international-cooperation", "-p", "investigation=investigation/coco",
        "--format", "json", env=_env(case),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    states = sorted(row["country"] for row in rows if row["type"] == "Jurisdiction")
    # "cinq pays européens : la Bulgarie, l'Allemagne, la Lituanie, les Pays-Bas et la Hongrie"
    assert states == ["BG", "DE", "HU", "LT", "NL"]
    # and the one international body: "Les opérations ont en outre été coordonnées avec Eurojust"
    assert [row["partner"] for row in rows if row["type"] != "Jurisdiction"] == ["Eurojust"]


def test_run_with_typed_params_as_csv(case: Neo4jServer) -> None:
    done = casegraph(
        "query", "run", "timeline", "-p", "undated=false", "-p", "case=coco-gg", "-f", "csv",
        env=_env(case),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("date,precision,kind,event,concerns")
    assert lines[1].startswith("2022,year,domain_move,Passage de coco.fr à coco.gg,")
    assert len(lines) == 1 + 6  # six dated events
    done = casegraph(
        "query", "run", "as-of", "--param", "asOf=2021-06-01", "--format", "json",
        env=_env(case),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    coco = {
        ("coco.fr", "DOMAIN_OF"),  # before the move to coco.gg in 2022
        ("Isaac Steidl", "NATIONAL_OF"),  # French until 2023
    }
    # every case: and Operation Deep Sentinel, "launched in 2020" (S5 of the Archetyp brief)
    assert {(r["subject"], r["relation"]) for r in json.loads(done.stdout)} == {
        *coco,
        ("Operation Deep Sentinel", "investigation opened"),
    }
    done = casegraph(
        "query", "run", "as-of", "-p", "asOf=2021-06-01", "-p", "case=coco-gg", "-f", "json",
        env=_env(case),
    )  # fmt: skip
    assert {(r["subject"], r["relation"]) for r in json.loads(done.stdout)} == coco


def test_run_as_table(case: Neo4jServer) -> None:
    done = casegraph("query", "run", "name-search", "-p", "text=paris prosecutor", env=_env(case))
    assert done.returncode == 0, done.stderr
    assert "Find entities by name, alias or acronym" in done.stdout
    assert "agency/parquet-paris" in done.stdout
    assert "1 row" in done.stdout


def test_unknown_query_exits_2() -> None:
    done = casegraph("query", "run", "no-such-question", env=_env())
    assert _one_error(done, 2) == (
        "Error: unknown query 'no-such-question' (see `casegraph query list`)"
    )
    done = casegraph("query", "show", "timelne", env=_env())
    assert _one_error(done, 2) == (
        "Error: unknown query 'timelne' (did you mean 'timeline'? see `casegraph query list`)"
    )


def test_missing_or_badly_typed_param_exits_2() -> None:
    done = casegraph("query", "run", "as-of", env=_env())
    assert _one_error(done, 2) == (
        "Error: query 'as-of' needs parameter 'asOf' (date): --param asOf=VALUE "
        "(e.g. asOf=2024-06-30)"
    )
    done = casegraph("query", "run", "ego-network", "-p", "entity=x", "-p", "depth=two", env=_env())
    assert _one_error(done, 2) == (
        "Error: parameter 'depth' of query 'ego-network' (int): 'two' is not an integer"
    )
    done = casegraph("query", "run", "as-of", "-p", "asOf=30/06/2024", env=_env())
    assert _one_error(done, 2) == (
        "Error: parameter 'asOf' of query 'as-of' (date): '30/06/2024' is not a date "
        "(use YYYY, YYYY-MM or YYYY-MM-DD)"
    )
    done = casegraph("query", "run", "timeline", "-p", "when=2024", env=_env())
    assert _one_error(done, 2) == (
        "Error: query 'timeline' has no parameter 'when' (its parameters: about, undated, case)"
    )
    done = casegraph("query", "run", "timeline", "-p", "undated", env=_env())
    assert _one_error(done, 2) == "Error: --param 'undated': expected NAME=VALUE"


def test_a_bad_library_exits_1_with_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.cypher"
    bad.write_text(
        "// Bad\n// name: bad\n// description: d\n// category: c\n\n"
        "MATCH (n) DETACH DELETE n RETURN $gone\n",
        encoding="utf-8",
    )
    done = casegraph("query", "list", "--queries", str(tmp_path), env=_env())
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{bad}:6:11: write clause DETACH: saved queries are read-only",
        f"{bad}:6:18: write clause DELETE: saved queries are read-only",
        f"{bad}:6:34: parameter $gone is used but not declared (add '// param: gone <type> ...')",
        "Error: 3 problems in the input",
    ]
    done = casegraph("query", "list", env=_env(CASEGRAPH_QUERIES=str(tmp_path)))
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "Error: 3 problems in the input"


def test_unreachable_database_exits_3_without_the_password() -> None:
    env = _env(NEO4J_URI="bolt://127.0.0.1:9", NEO4J_PASSWORD="s3cret-never-shown")
    done = casegraph("query", "run", "timeline", env=env)
    assert _one_error(done, 3).startswith("Error: cannot reach Neo4j at bolt://127.0.0.1:9")
    assert "s3cret-never-shown" not in done.stdout + done.stderr


def test_no_uri_and_no_local_server_says_so_and_tries_no_other_port(
    case: Neo4jServer, tmp_path: Path
) -> None:
    """With no NEO4J_URI, the local server is the one to use; when it does not run, the
    command says so, even where some other Neo4j answers (here the tests' own, on the
    port CASEGRAPH_BOLT_PORT names), instead of trying it and misreporting its refusal."""
    port = case.uri.rsplit(":", 1)[1]
    home = tmp_path / "home"
    env = {k: v for k, v in _env().items() if not k.startswith("NEO4J_")}
    env.update(CASEGRAPH_NEO4J_HOME=str(home), CASEGRAPH_BOLT_PORT=port)
    expected = (
        f"Error: the local Neo4j server (home {home}, Bolt port {{port}}) is not running and "
        "NEO4J_URI is not set: start it with `casegraph neo4j start`, or set NEO4J_URI (or "
        "--uri) to the server to use"
    )
    done = casegraph("query", "run", "cooperating-states", env=env)
    assert _one_error(done, 3) == expected.format(port=port)
    # a server that ran once and stopped: the port it recorded is named
    (home / "run").mkdir(parents=True)
    (home / "run" / "casegraph-server.json").write_text(
        json.dumps(
            {
                "pid": 999_999_999,
                "bolt_port": 17687,
                "http_port": 17474,
                "version": "5.26.30",
                "started_at": 0.0,
            }
        ),
        encoding="utf-8",
    )
    for args in (["query", "run", "cooperating-states"], ["load", "seed/"]):
        done = casegraph(*args, env=env)
        assert _one_error(done, 3) == expected.format(port=17687)
