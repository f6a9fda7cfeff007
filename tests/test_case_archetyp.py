"""The Archetyp case (seed/archetyp), loaded into a real Neo4j and checked with Cypher.

Every expected value below is typed from the brief (../shared/seeds/archetyp-2025.md,
sources S1 to S5), not copied from the loader's output: where the sources disagree
(five countries or six, eight arrests or one, euros or dollars), both versions must be
in the graph, each with its own source; the administrator is named by no source and must
not be named here; nothing about a person is proven.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.neo4j

S1 = "source/eurojust-archetyp-release"
S2 = "source/dts-archetyp-wire"
S3 = "source/abijita-archetyp-article"
S4 = "source/nexpressdaily-archetyp-article"
S5 = "source/cyberwarriors-deep-sentinel-article"
ADMIN = "person/archetyp-administrator"
ACTION_WEEK = "event/archetyp-action-week"


# the fixtures `case` (seed/ loaded once into an empty database) and `q` (a read query
# on it) are tests/conftest.py's


def test_the_five_sources(q: Any) -> None:
    rows = q(
        "MATCH (s:Source {dataset: 'archetyp'}) RETURN s.id AS id, s.publisher AS publisher, "
        "s.kind AS kind, toString(s.date) AS date, s.date_precision AS precision ORDER BY id"
    )
    assert {r["id"]: (r["publisher"], r["kind"], r["date"], r["precision"]) for r in rows} == {
        # S1: Eurojust press release of 17 June 2025
        S1: ("Eurojust", "press_release", "2025-06-17", "day"),
        # S2: dts Nachrichtenagentur wire of June 2025; S3-S5: articles of June 2025
        S2: ("dts Nachrichtenagentur", "wire", "2025-06-01", "month"),
        S3: ("abijita.com", "news_article", "2025-06-01", "month"),
        S4: ("nexpressdaily.com", "news_article", "2025-06-01", "month"),
        S5: ("cyberwarriorsmiddleeast.com", "news_article", "2025-06-01", "month"),
    }
    # the press release is Eurojust's own: published by the reference dataset's Eurojust
    assert q(
        "MATCH (:Source {id: $s})-[r:PUBLISHED_BY]->(a:Agency) RETURN a.id AS id, "
        "a.dataset AS owner, r.status AS status",
        s=S1,
    ) == [{"id": "agency/eurojust", "owner": "reference", "status": "official"}]


def test_the_administrator_is_not_named_and_nothing_is_proven(q: Any) -> None:
    [admin] = q("MATCH (p:Person {id: $id}) RETURN p {.*} AS p", id=ADMIN)
    person = admin["p"]
    assert "not named" in person["name"]
    assert person["age"] == 30  # "aged 30" (S1)
    assert "aliases" not in person
    ties = q(
        "MATCH (:Person {id: $id})-[r]->(x) RETURN type(r) AS type, x.id AS to, "
        "r.status AS status, r.sources AS sources ORDER BY type, to",
        id=ADMIN,
    )
    assert ties == [
        # "was arrested in Spain" (S1)
        {"type": "ARRESTED_IN", "to": "event/archetyp-administrator-arrest",
         "status": "arrested", "sources": [S1]},
        # "creator and current administrator" (S1): an allegation
        {"type": "CREATED", "to": "platform/archetyp", "status": "alleged", "sources": [S1]},
        # "a German national residing in Spain" (S1)
        {"type": "NATIONAL_OF", "to": "jurisdiction/de", "status": "official", "sources": [S1]},
        {"type": "OPERATED", "to": "platform/archetyp", "status": "alleged", "sources": [S1]},
        {"type": "RESIDES_IN", "to": "jurisdiction/es", "status": "official", "sources": [S1]},
    ]  # fmt: skip
    proven = q("MATCH ()-[r {dataset: 'archetyp'}]->() WHERE r.status IN ['convicted'] RETURN r")
    assert proven == []


def test_the_arrest_in_spain_and_in_barcelona_both_stay(q: Any) -> None:
    rows = q(
        "MATCH (:Event {id: 'event/archetyp-administrator-arrest'})-[r:OCCURRED_IN]->(j) "
        "RETURN j.id AS id, j.name AS name, r.status AS status, r.sources AS sources ORDER BY id"
    )
    assert rows == [
        {"id": "jurisdiction/es", "name": "Spain", "status": "official", "sources": [S1]},
        # "in Barcelona" (S2): the ISO 3166 province that holds the city
        {"id": "jurisdiction/es-b", "name": "Barcelona", "status": "reported", "sources": [S2]},
    ]


def test_five_countries_or_six(q: Any) -> None:
    rows = q(
        "MATCH (:Investigation {id: 'investigation/archetyp'})-[r:COOPERATED_WITH]->"
        "(j:Jurisdiction) RETURN j.iso_code AS code, r.sources AS sources ORDER BY code"
    )
    # S2: Germany, the Netherlands, Romania, Spain and Sweden; S3: the same five and the US
    assert [(r["code"], r["sources"]) for r in rows] == [
        ("DE", [S2, S3]), ("ES", [S2, S3]), ("NL", [S2, S3]), ("RO", [S2, S3]),
        ("SE", [S2, S3]), ("US", [S3]),
    ]  # fmt: skip
    counts = q(
        "MATCH (f:Figure {unit: 'countries'})-[r:FIGURE_OF]->(:Event {id: $e}) "
        "RETURN f.value AS value, r.sources AS sources ORDER BY value",
        e=ACTION_WEEK,
    )
    assert counts == [{"value": 5, "sources": [S1, S2]}, {"value": 6, "sources": [S3]}]


def test_figures_keep_each_source_and_say_what_is_a_conversion(q: Any) -> None:
    rows = q(
        "MATCH (f:Figure {dataset: 'archetyp'})-[r:FIGURE_OF]->(x) "
        "RETURN f.value AS value, f.unit AS unit, f.bound AS bound, x.id AS of, "
        "r.sources AS sources, f.note AS note"
    )
    got = {(r["value"], r["unit"]): r for r in rows}
    # S1: ~17,000 listings, >600,000 users, ~3,200 vendors, at least EUR 250 million traded
    assert got[(17000, "listings")]["bound"] == "approximate"
    assert got[(600000, "users")]["bound"] == "at_least"
    assert got[(3200, "vendors")]["bound"] == "approximate"
    assert got[(250000000, "EUR")]["sources"] == [S1]
    # S4: more than USD 280 million, a conversion of S1's figure
    assert got[(280000000, "USD")]["sources"] == [S4]
    assert "conversion" in got[(280000000, "USD")]["note"]
    # EUR 7.8 million seized (S1, S2); USD 9 million (S4, a conversion)
    assert got[(7800000, "EUR")]["sources"] == [S1, S2]
    assert got[(9000000, "USD")]["sources"] == [S4]
    assert "conversion" in got[(9000000, "USD")]["note"]
    # eight arrested in all (S1); one arrested (S4)
    assert got[(8, "persons arrested")]["sources"] == [S1]
    assert got[(1, "persons arrested")]["sources"] == [S4]
    assert got[(300, "officers")]["of"] == ACTION_WEEK
    for row in rows:
        assert row["of"] in {"platform/archetyp", ACTION_WEEK}


def test_coordination_and_support(q: Any) -> None:
    rows = q(
        "MATCH (:Investigation {id: 'investigation/archetyp'})-[r]->(a:Agency) "
        "RETURN type(r) AS type, a.id AS agency, r.status AS status, r.sources AS sources "
        "ORDER BY type, agency"
    )
    assert rows == [
        # S3 names the BKA and the German Cyber Crime Centre among the authorities involved
        {"type": "COOPERATED_WITH", "agency": "agency/bka", "status": "reported",
         "sources": [S3]},
        {"type": "COOPERATED_WITH", "agency": "agency/german-cyber-crime-centre",
         "status": "reported", "sources": [S3]},
        # "Eurojust and Europol coordinated the operation" (S1)
        {"type": "COORDINATED_WITH", "agency": "agency/eurojust", "status": "official",
         "sources": [S1]},
        {"type": "COORDINATED_WITH", "agency": "agency/europol", "status": "official",
         "sources": [S1]},
        # "Europol supported the investigation from the outset" (S1)
        {"type": "SUPPORTED_BY", "agency": "agency/europol", "status": "official",
         "sources": [S1]},
    ]  # fmt: skip


def test_operation_deep_sentinel_and_the_searches(q: Any) -> None:
    [operation] = q(
        "MATCH (i:Investigation {id: 'investigation/archetyp'}) RETURN i.name AS name, "
        "i.opened_on.year AS year, i.opened_on_precision AS precision, i.sources AS sources"
    )
    # "called Operation Deep Sentinel and launched in 2020" (S5)
    assert (operation["name"], operation["year"], operation["precision"]) == (
        "Operation Deep Sentinel", 2020, "year",
    )  # fmt: skip
    assert S5 in operation["sources"]
    places = q(
        "MATCH (:Event {id: 'event/archetyp-property-searches'})-[r:OCCURRED_IN]->(j) "
        "RETURN j.iso_code AS code, r.note AS city, r.sources AS sources ORDER BY code"
    )
    # properties in Hanover and Bucharest, searched (S5)
    assert places == [
        {"code": "DE", "city": "Hanover.", "sources": [S5]},
        {"code": "RO", "city": "Bucharest.", "sources": [S5]},
    ]
    [lecouffe] = q("MATCH (p:Person {id: 'person/jean-philippe-lecouffe'}) RETURN p {.*} AS p")
    # "Europol's Deputy Executive Director of Operations, was quoted" (S2)
    assert lecouffe["p"]["role"] == "Deputy Executive Director of Operations, Europol"
    assert lecouffe["p"]["sources"] == [S2]
