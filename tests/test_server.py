"""The real Neo4j the tests run against."""

from __future__ import annotations

import pytest
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import AuthError

from tests.conftest import Neo4jServer, cypher_language, neo4j_version

pytestmark = pytest.mark.neo4j


def test_server_is_the_neo4j_asked_for(driver: Driver) -> None:
    """casegraph's default (the 5.26 LTS), or the release ``--neo4j-version`` names."""
    records, _, _ = driver.execute_query(
        "CALL dbms.components() YIELD name, versions RETURN name, versions[0] AS version",
        database_="system",
    )
    assert records[0]["name"] == "Neo4j Kernel"
    assert records[0]["version"] == neo4j_version()


def test_the_database_speaks_the_cypher_asked_for(driver: Driver) -> None:
    """On a calendar release the compatibility run's databases default to Cypher 25, so
    that every test's query (the saved ones among them) runs as Cypher 25."""
    if neo4j_version().startswith("5."):
        pytest.skip("5.26 speaks Cypher 5 only")
    records, _, _ = driver.execute_query(
        "SHOW DATABASE neo4j YIELD defaultLanguage RETURN defaultLanguage", database_="system"
    )
    assert records[0]["defaultLanguage"] == cypher_language() == "CYPHER 25"


def test_wrong_password_is_refused(neo4j_server: Neo4jServer) -> None:
    with (
        GraphDatabase.driver(neo4j_server.uri, auth=(neo4j_server.username, "not-it-123")) as drv,
        pytest.raises(AuthError),
    ):
        drv.verify_connectivity()


def test_empty_db_fixture_wipes_data_and_schema(empty_db: Neo4jServer, driver: Driver) -> None:
    driver.execute_query("CREATE (:Thing {id: 'x'})", database_=empty_db.database)
    driver.execute_query(
        "CREATE CONSTRAINT thing_id IF NOT EXISTS FOR (n:Thing) REQUIRE n.id IS UNIQUE",
        database_=empty_db.database,
    )
    from tests.conftest import wipe

    wipe(driver, empty_db.database)
    records, _, _ = driver.execute_query(
        "MATCH (n) RETURN count(n) AS n", database_=empty_db.database
    )
    assert records[0]["n"] == 0
    records, _, _ = driver.execute_query("SHOW CONSTRAINTS", database_=empty_db.database)
    assert records == []
