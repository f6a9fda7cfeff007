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
    assert person["age"] == 30  # "aged 30" (S1), which the property cites
    assert (person["age_values"], person["age_sources"]) == ([30], [S1])
    assert "aliases" not in person
    ties = q(
        "MATCH (:Person {id: $id})-[r]->(x) RETURN type(r) AS type, x.id AS to, "
        "r.status AS status, r.sources AS sources ORDER BY type, to",
        id=ADMIN,
    )
    assert ties == [
        # "was arrested in Spain" (S1), "in Barcelona" (S2)
        {"type": "ARRESTED_IN", "to": "event/archetyp-administrator-arrest",
         "status": "arrested", "sources": [S1, S2]},
        # "creator and current administrator" (S1): an allegation
        {"type": "CREATED", "to": "platform/archetyp", "status": "alleged", "sources": [S1]},
        # "a German national residing in Spain" (S1)
        {"type": "NATIONAL_OF", "to": "jurisdiction/de", "status": "official", "sources": [S1]},
        {"type": "OPERATED", "to": "platform/archetyp", "status": "alleged", "sources": [S1]},
        # "also owned properties in Hanover and Bucharest" (S5)
        {"type": "OWNS", "to": "asset/archetyp-administrator-property-bucharest",
         "status": "reported", "sources": [S5]},
        {"type": "OWNS", "to": "asset/archetyp-administrator-property-hanover",
         "status": "reported", "sources": [S5]},
        {"type": "RESIDES_IN", "to": "jurisdiction/es", "status": "official", "sources": [S1]},
    ]  # fmt: skip
    proven = q("MATCH ()-[r {dataset: 'archetyp'}]->() WHERE r.status IN ['convicted'] RETURN r")
    assert proven == []


def test_the_arrest_in_spain_and_in_barcelona_both_stay(q: Any) -> None:
    rows = q(
        "MATCH (:Event {id: 'event/archetyp-administrator-arrest'})-[r:OCCURRED_IN]->(x) "
        "RETURN labels(x) AS labels, x.id AS id, x.name AS name, x.kind AS kind, "
        "r.status AS status, r.sources AS sources ORDER BY id"
    )
    assert rows == [
        # "in Spain" (S1)
        {"labels": ["Jurisdiction"], "id": "jurisdiction/es", "name": "Spain", "kind": "state",
         "status": "official", "sources": [S1]},
        # "in Barcelona" (S2): the city, not the ISO 3166 province of the same name
        {"labels": ["Place"], "id": "place/barcelona", "name": "Barcelona", "kind": "city",
         "status": "reported", "sources": [S2]},
    ]  # fmt: skip
    # the city lies in the province of Barcelona, in Spain
    [where] = q(
        "MATCH (:Place {id: 'place/barcelona'})-[:LOCATED_IN]->(p:Jurisdiction) "
        "RETURN p.id AS id, p.kind AS kind, p.country AS country"
    )
    assert where == {"id": "jurisdiction/es-b", "kind": "subdivision", "country": "ES"}
    # the arrest is one of the eight of the action (S1)
    assert q(
        "MATCH (:Event {id: 'event/archetyp-administrator-arrest'})-[r:PART_OF]->(e:Event) "
        "RETURN e.id AS id, r.sources AS sources"
    ) == [{"id": ACTION_WEEK, "sources": [S1]}]


def test_the_action_week_spans_three_days(q: Any) -> None:
    [week] = q(
        "MATCH (e:Event {id: $e}) RETURN e.kind AS kind, toString(e.date) AS start, "
        "toString(e.end_date) AS end, e.end_date_precision AS precision",
        e=ACTION_WEEK,
    )
    # "an action week took place on 11-13 June 2025" (S1)
    assert week == {"kind": "action", "start": "2025-06-11", "end": "2025-06-13",
                    "precision": "day"}  # fmt: skip


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
        "MATCH (f:Figure {metric: 'countries_involved'})-[r:FIGURE_OF]->(:Event {id: $e}) "
        "RETURN f.value AS value, r.sources AS sources ORDER BY value",
        e=ACTION_WEEK,
    )
    assert counts == [{"value": 5, "sources": [S1, S2]}, {"value": 6, "sources": [S3]}]


def test_figures_keep_each_source_and_say_what_is_a_conversion(q: Any) -> None:
    rows = q(
        "MATCH (f:Figure {dataset: 'archetyp'})-[r:FIGURE_OF]->(x) "
        "RETURN f.metric AS metric, f.value AS value, f.amount AS amount, "
        "f.currency AS currency, f.bound AS bound, x.id AS of, r.sources AS sources, "
        "f.note AS note"
    )
    counts = {(r["metric"], r["value"]): r for r in rows if r["value"] is not None}
    money = {(r["metric"], r["currency"]): r for r in rows if r["amount"] is not None}
    assert len(counts) + len(money) == len(rows) == 12
    # S1: ~17,000 listings, >600,000 users, ~3,200 vendors
    assert counts[("listings", 17000)]["bound"] == "approximate"
    assert counts[("users", 600000)]["bound"] == "more_than"
    assert counts[("vendors", 3200)]["bound"] == "approximate"
    # drugs worth at least EUR 250 million traded (S1); more than USD 280 million (S4),
    # a conversion of S1's figure
    eur, usd = money[("traded_volume", "EUR")], money[("traded_volume", "USD")]
    assert (eur["amount"], eur["bound"], eur["sources"]) == (250_000_000, "at_least", [S1])
    assert (usd["amount"], usd["bound"], usd["sources"]) == (280_000_000, "more_than", [S4])
    assert "conversion" in usd["note"]
    # EUR 7.8 million seized (S1, S2); USD 9 million (S4, a conversion)
    eur, usd = money[("assets_seized", "EUR")], money[("assets_seized", "USD")]
    assert (eur["amount"], eur["sources"]) == (7_800_000, [S1, S2])
    assert (usd["amount"], usd["sources"]) == (9_000_000, [S4])
    assert "conversion" in usd["note"]
    assert isinstance(eur["amount"], float)
    assert eur["value"] is None
    # eight arrested in all (S1); one arrested (S4)
    assert counts[("persons_arrested", 8)]["sources"] == [S1]
    assert counts[("persons_arrested", 1)]["sources"] == [S4]
    assert counts[("officers_involved", 300)]["of"] == ACTION_WEEK
    for row in rows:
        assert row["of"] in {"platform/archetyp", ACTION_WEEK}


def test_coordination_support_and_participation(q: Any) -> None:
    rows = q(
        "MATCH (:Investigation {id: 'investigation/archetyp'})-[r]-(a:Agency) "
        "RETURN type(r) AS type, a.id AS agency, r.status AS status, r.sources AS sources "
        "ORDER BY type, agency"
    )
    assert rows == [
        # "Eurojust and Europol coordinated the operation" (S1)
        {"type": "COORDINATED_WITH", "agency": "agency/eurojust", "status": "official",
         "sources": [S1]},
        {"type": "COORDINATED_WITH", "agency": "agency/europol", "status": "official",
         "sources": [S1]},
        # S3 names the BKA and the German Cyber Crime Centre among the authorities involved:
        # they took part, which does not say that they led it
        {"type": "PARTICIPATED_IN", "agency": "agency/bka", "status": "reported",
         "sources": [S3]},
        {"type": "PARTICIPATED_IN", "agency": "agency/german-cyber-crime-centre",
         "status": "reported", "sources": [S3]},
        # "Europol supported the investigation from the outset" (S1)
        {"type": "SUPPORTED_BY", "agency": "agency/europol", "status": "official",
         "sources": [S1]},
    ]  # fmt: skip
    # the operation's website, www.operation-deepsentinel.com (S3)
    assert q(
        "MATCH (d:Domain)-[r:DOMAIN_OF]->(:Investigation {id: 'investigation/archetyp'}) "
        "RETURN d.name AS name, r.sources AS sources"
    ) == [{"name": "operation-deepsentinel.com", "sources": [S3]}]


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
    # the administrator's properties in Hanover and Bucharest, which were searched (S5)
    searched = q(
        "MATCH (e:Event {id: 'event/archetyp-property-searches'})-[c:CONCERNS]->(a:Asset)"
        "-[:LOCATED_IN]->(city:Place)<-[:OCCURRED_IN]-(e) "
        "MATCH (:Person {id: $admin})-[o:OWNS]->(a) "
        "RETURN e.kind AS kind, a.kind AS asset, c.role AS role, city.aliases AS city, "
        "city.country AS country, o.sources AS owner_sources ORDER BY country"
    , admin=ADMIN)  # fmt: skip
    assert searched == [
        {"kind": "search", "asset": "real_estate", "role": "searched", "city": ["Hanover"],
         "country": "DE", "owner_sources": [S5]},
        {"kind": "search", "asset": "real_estate", "role": "searched",
         "city": ["Bucharest", "Bucuresti"], "country": "RO", "owner_sources": [S5]},
    ]  # fmt: skip


def test_lecouffe_holds_a_post_at_europol(q: Any) -> None:
    [lecouffe] = q(
        "MATCH (p:Person {id: 'person/jean-philippe-lecouffe'})-[r:AFFILIATED_WITH]->"
        "(a:Agency) RETURN p.name AS name, p.sources AS sources, a.id AS agency, "
        "r.role AS role, r.status AS status, r.sources AS said_by"
    )
    # "Jean-Philippe Lecouffe, Europol's Deputy Executive Director of Operations" (S2)
    assert lecouffe == {
        "name": "Jean-Philippe Lecouffe", "sources": [S2], "agency": "agency/europol",
        "role": "Deputy Executive Director of Operations", "status": "reported",
        "said_by": [S2],
    }  # fmt: skip


def test_a_moderator_and_six_top_vendors(q: Any) -> None:
    rows = q(
        "MATCH (e:Event {id: 'event/archetyp-measures-moderator-vendors'})-[c:CONCERNS]->(x)"
        "-[a:ACTIVE_ON]->(:Platform {id: 'platform/archetyp'}) "
        "RETURN labels(x) AS labels, x.size AS size, a.role AS role, c.sources AS sources "
        "ORDER BY role"
    )
    # "measures against a moderator and six top vendors" in Germany and Sweden (S2)
    assert rows == [
        {"labels": ["Person"], "size": None, "role": "moderator", "sources": [S2]},
        {"labels": ["Group"], "size": 6, "role": "top vendors", "sources": [S2]},
    ]


def test_each_source_says_with_its_own_status(q: Any) -> None:
    """Eurojust states (S1) what the wire reports (S2): each source keeps its own status,
    and the claim's is the firmer of the two."""
    [arrest] = q(
        "MATCH (:Person {id: $admin})-[r:ARRESTED_IN]->() "
        "RETURN r.status AS status, r.sources AS sources, r.source_statuses AS statuses",
        admin=ADMIN,
    )
    assert arrest == {
        "status": "arrested",
        "sources": [S1, S2],
        "statuses": ["arrested", "reported"],
    }
    rows = q(
        "MATCH (f:Figure)-[r:FIGURE_OF]->(:Event {id: $e}) WHERE r.source_statuses IS NOT NULL "
        "RETURN f.metric AS metric, r.status AS status, r.sources AS sources, "
        "r.source_statuses AS statuses ORDER BY metric",
        e=ACTION_WEEK,
    )
    # EUR 7.8 million seized and five countries: stated by Eurojust, reported by dts
    assert rows == [
        {"metric": "assets_seized", "status": "official", "sources": [S1, S2],
         "statuses": ["official", "reported"]},
        {"metric": "countries_involved", "status": "official", "sources": [S1, S2],
         "statuses": ["official", "reported"]},
    ]  # fmt: skip
    # a claim without sources of their own status has none of the lists
    assert (
        q(
            "MATCH ()-[r:OCCURRED_IN {dataset: 'archetyp'}]->() "
            "WHERE r.source_statuses IS NOT NULL RETURN r"
        )
        == []
    )
