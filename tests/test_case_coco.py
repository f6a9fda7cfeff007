"""The coco.gg case (seed/coco-gg), loaded into a real Neo4j and checked with Cypher.

Every expected value below is typed from the source article (Next, June 2024, about the
takedown of coco.gg), not copied from the loader's output: who closed the site according
to whom, who conducted the investigation and under whose authority, the five cooperating
states, the offences and their penalties, the figures of the Parquet's press release,
the arrests, and where every fact comes from.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Neo4jServer
from tests.helpers import casegraph

pytestmark = pytest.mark.neo4j

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "loader" / "model" / "ontology.yaml"

X_POST = "source/parquet-x-post"
PRESS_RELEASE = "source/parquet-press-release"
LE_PARISIEN = "source/le-parisien"
PORTRAIT = "source/le-parisien-portrait"
AFP = "source/afp"
NEXT = "source/next-article"
INTERIOR_DOC = "source/interior-ministry-doc"


def _cli(server: Neo4jServer | None, *args: str) -> subprocess.CompletedProcess[str]:
    return casegraph(*args, env=server.env() if server else None)


# the fixtures `case` (seed/ loaded once into an empty database) and `q` (a read query
# on it) are tests/conftest.py's


def _date(value: Any) -> str:
    """A Neo4j Date as YYYY-MM-DD (the first day of the period for year/month dates)."""
    return str(value)


# -- who did what ---------------------------------------------------------------------------


def test_investigation_conducted_by_uncyber_and_onaf(q: Any) -> None:
    rows = q(
        "MATCH (:Investigation {id: 'investigation/coco'})-[r:CONDUCTED_BY]->(a:Agency) "
        "RETURN a.id AS id, a.name AS name, a.acronym AS acronym, r.status AS status, "
        "r.sources AS sources"
    )
    got = {row["id"]: row for row in rows}
    assert set(got) == {"agency/uncyber", "agency/onaf"}
    assert got["agency/uncyber"]["name"] == "Unité nationale cyber"
    assert got["agency/uncyber"]["acronym"] == "UNCyber"
    assert got["agency/onaf"]["name"] == "Office national anti-fraude"
    assert got["agency/onaf"]["acronym"] == "ONAF"
    for row in rows:
        assert row["status"] == "official"
        assert row["sources"] == [PRESS_RELEASE]
    # "l'Unité Nationale Cyber (UNCyber) de la Gendarmerie"
    rows = q("MATCH (:Agency {id: 'agency/uncyber'})-[:PART_OF]->(g:Agency) RETURN g.name AS name")
    assert [row["name"] for row in rows] == ["Gendarmerie nationale"]


def test_investigation_under_authority_of_junalco_of_paris_prosecutor(q: Any) -> None:
    rows = q(
        "MATCH (:Investigation {id: 'investigation/coco'})-[r:UNDER_AUTHORITY_OF]->(j:Agency)"
        "-[:PART_OF]->(p:Agency) "
        "RETURN j.acronym AS junalco, j.name AS name, p.name AS parquet, r.sources AS sources"
    )
    assert len(rows) == 1
    assert rows[0]["junalco"] == "JUNALCO"
    assert rows[0]["name"] == (
        "Juridiction nationale chargée de la lutte contre la criminalité organisée"
    )
    assert rows[0]["parquet"] == "Parquet de Paris"
    assert rows[0]["sources"] == [X_POST]
    # the X post places the closure itself under JUNALCO's authority
    rows = q(
        "MATCH (e:Event {kind: 'shutdown'})-[r:UNDER_AUTHORITY_OF]->(a:Agency) "
        "RETURN a.id AS id, r.sources AS sources, r.status AS status"
    )
    assert rows == [{"id": "agency/junalco", "sources": [X_POST], "status": "official"}]
    # findable by its English name and its acronym
    rows = q(
        "MATCH (a:Agency) WHERE 'Paris prosecutor' IN a.aliases OR 'JUNALCO' IN a.aliases "
        "RETURN a.id AS id ORDER BY id"
    )
    assert [row["id"] for row in rows] == ["agency/junalco", "agency/parquet-paris"]


def test_comcyber_mi_supported_the_investigation(q: Any) -> None:
    rows = q(
        "MATCH (:Investigation {id: 'investigation/coco'})-[r:SUPPORTED_BY]->(a:Agency) "
        "RETURN a.acronym AS acronym, a.name AS name, r.sources AS sources"
    )
    assert rows == [
        {
            "acronym": "COMCYBER-MI",
            "name": "Commandement du ministère de l'Intérieur dans le cyberespace",
            "sources": [PRESS_RELEASE],
        }
    ]


def test_site_closed_by_customs_and_gendarmerie_per_the_x_post(q: Any) -> None:
    rows = q(
        "MATCH (:Platform {id: 'platform/coco'})-[r:SHUT_DOWN_BY]->(a:Agency) "
        "RETURN a.id AS id, a.aliases AS aliases, r.sources AS sources, r.status AS status"
    )
    got = {row["id"]: row for row in rows}
    assert set(got) == {"agency/dgddi", "agency/gendarmerie-nationale"}
    for row in rows:
        assert row["sources"] == [X_POST]
        assert row["status"] == "official"
    assert "customs" in got["agency/dgddi"]["aliases"]
    # "Le communiqué de presse du Parquet ne mentionne pas la douane"
    rows = q(
        "MATCH (:Agency {id: 'agency/dgddi'})-[r]-() WHERE $press IN r.sources "
        "RETURN count(r) AS n",
        press=PRESS_RELEASE,
    )
    assert rows[0]["n"] == 0
    rows = q("MATCH (a:Agency {id: 'agency/dgddi'}) RETURN a.name AS name, a.sources AS sources")
    assert rows[0]["name"] == "Direction générale des douanes et droits indirects"
    assert PRESS_RELEASE not in rows[0]["sources"]


def test_operations_coordinated_with_eurojust(q: Any) -> None:
    rows = q(
        "MATCH (:Investigation {id: 'investigation/coco'})-[r:COORDINATED_WITH]->(a:Agency) "
        "RETURN a.name AS name, a.kind AS kind, r.status AS status"
    )
    assert rows == [{"name": "Eurojust", "kind": "eu_agency", "status": "official"}]


def test_five_cooperating_states(q: Any) -> None:
    rows = q(
        "MATCH (:Investigation {id: 'investigation/coco'})-[r:COOPERATED_WITH]->"
        "(j:Jurisdiction) RETURN j.iso_code AS iso, j.kind AS kind, r.sources AS sources"
    )
    assert sorted(row["iso"] for row in rows) == ["BG", "DE", "HU", "LT", "NL"]
    for row in rows:
        assert row["kind"] == "state"
        assert row["sources"] == [LE_PARISIEN]


def test_company_relocated_to_bulgaria_and_servers_in_germany(q: Any) -> None:
    rows = q(
        "MATCH (o:Organization)-[:OPERATED]->(:Platform {id: 'platform/coco'}) "
        "MATCH (o)-[r:RELOCATED_TO]->(j:Jurisdiction) "
        "MATCH (o)-[:NATIONAL_OF]->(n:Jurisdiction) "
        "RETURN j.iso_code AS iso, r.sources AS sources, n.iso_code AS nationality"
    )
    assert rows == [{"iso": "BG", "sources": [LE_PARISIEN], "nationality": "FR"}]
    rows = q(
        "MATCH (:Platform {id: 'platform/coco'})-[r:HOSTED_IN]->(j:Jurisdiction) "
        "RETURN j.iso_code AS iso, r.sources AS sources"
    )
    assert rows == [{"iso": "DE", "sources": [LE_PARISIEN]}]


# -- the platform ---------------------------------------------------------------------------


def test_both_domains_and_the_move_in_2022(q: Any) -> None:
    rows = q(
        "MATCH (d:Domain)-[r:DOMAIN_OF]->(:Platform {id: 'platform/coco'}) "
        "RETURN d.name AS name, r.valid_from AS since, r.valid_from_precision AS since_p, "
        "r.valid_to AS until, r.valid_to_precision AS until_p"
    )
    got = {row["name"]: row for row in rows}
    assert set(got) == {"coco.fr", "coco.gg"}
    assert got["coco.fr"]["until"].year == 2022
    assert got["coco.fr"]["until_p"] == "year"
    assert got["coco.fr"]["since"] is None
    assert got["coco.gg"]["since"].year == 2022
    assert got["coco.gg"]["since_p"] == "year"
    assert got["coco.gg"]["until"] is None
    rows = q(
        "MATCH (e:Event {kind: 'domain_move'}) "
        "OPTIONAL MATCH (e)-[c:CONCERNS]->(d:Domain) "
        "RETURN e.date AS date, e.date_precision AS p, e.sources AS sources, "
        "collect([c.role, d.name]) AS domains"
    )
    assert len(rows) == 1
    assert _date(rows[0]["date"]) == "2022-01-01"
    assert rows[0]["p"] == "year"
    # "[qui s'était délocalisé en 2022 sur coco.gg, ndlr]": Next's editorial note
    assert rows[0]["sources"] == [NEXT]
    assert sorted(rows[0]["domains"]) == [
        ["ancien domaine", "coco.fr"],
        ["nouveau domaine", "coco.gg"],
    ]


def test_platform_facilitated_acts_per_press_release(q: Any) -> None:
    rows = q(
        "MATCH (:Platform {id: 'platform/coco'})-[r:FACILITATED]->(o:Offence) "
        "RETURN o.name AS name, r.status AS status, r.sources AS sources"
    )
    assert {row["name"] for row in rows} == {
        "Actes de pédocriminalité",
        "Proxénétisme",
        "Prostitution",
        "Viols",
        "Vente de stupéfiants",
        "Guet-apens",
        "Homicides",
    }
    for row in rows:
        assert row["status"] == "alleged"
        assert row["sources"] == [PRESS_RELEASE]


# -- the investigation ----------------------------------------------------------------------


def test_investigation_opened_in_december_2023(q: Any) -> None:
    rows = q(
        "MATCH (i:Investigation {id: 'investigation/coco'}) "
        "RETURN i.opened_on AS d, i.opened_on_precision AS p"
    )
    assert _date(rows[0]["d"]) == "2023-12-01"
    assert rows[0]["p"] == "month"
    rows = q(
        "MATCH (e:Event {kind: 'investigation_opened'})-[:CONCERNS]->"
        "(:Investigation {id: 'investigation/coco'}) RETURN e.date AS d, e.date_precision AS p"
    )
    assert [(_date(row["d"]), row["p"]) for row in rows] == [("2023-12-01", "month")]


def test_suspected_offences_and_their_penalties(q: Any) -> None:
    rows = q(
        "MATCH (:Investigation {id: 'investigation/coco'})-[r:OPENED_FOR]->(o:Offence) "
        "RETURN o.name AS name, o.max_prison_years AS years, o.max_fine_eur AS fine, "
        "r.status AS status"
    )
    got = {row["name"]: (row["years"], row["fine"]) for row in rows}
    assert got == {
        "Fourniture d'une plateforme en ligne pour permettre une transaction illicite "
        "en bande organisée": (10, 500000),
        "Intermédiation ou séquestre, au moyen d'une plateforme en ligne, ayant pour objet "
        "de mettre en œuvre, dissimuler ou faciliter une transaction illicite en bande "
        "organisée": (10, 500000),
        "Infractions relatives à la pédocriminalité": (None, None),
        "Proxénétisme aggravé": (None, None),
        "Blanchiment aggravé": (None, None),
        "Association de malfaiteurs en vue de commettre ces infractions": (None, None),
    }
    assert {row["status"] for row in rows} == {"suspected"}


def test_figures_of_the_press_release(q: Any) -> None:
    rows = q(
        "MATCH (f:Figure)-[r:FIGURE_OF]->(:Platform {id: 'platform/coco'}) "
        "RETURN f.value AS value, f.unit AS unit, f.bound AS bound, "
        "f.period_start AS start, f.period_start_precision AS start_p, "
        "f.period_end AS end, f.period_end_precision AS end_p, "
        "f.sources AS sources, r.sources AS rsources"
    )
    got = {row["value"]: row for row in rows}
    assert set(got) == {23051, 70, 480}
    procedures = got[23051]
    assert procedures["unit"] == "procédures judiciaires"
    assert procedures["bound"] == "at_least"  # "pas moins de"
    assert _date(procedures["start"]) == "2021-01-01"
    assert _date(procedures["end"]) == "2024-05-07"
    assert procedures["start_p"] == procedures["end_p"] == "day"
    assert got[70]["unit"] == "parquets"
    assert got[480]["unit"] == "victimes"
    for row in rows:
        assert row["sources"] == [PRESS_RELEASE]
        assert row["rsources"] == [PRESS_RELEASE]


# -- people ---------------------------------------------------------------------------------


def test_four_people_arrested_including_the_creator(q: Any) -> None:
    rows = q(
        "MATCH (e:Event {kind: 'arrest', dataset: 'coco-gg'}) "
        "OPTIONAL MATCH (p:Person)-[r:ARRESTED_IN]->(e) "
        "RETURN e.people_count AS n, collect([p.id, r.status]) AS people"
    )
    assert len(rows) == 1
    assert rows[0]["n"] == 4
    assert sorted(rows[0]["people"]) == [
        ["person/isaac-steidl", "arrested"],
        ["person/steidl-wife", "arrested"],
    ]


def test_what_the_article_says_of_the_creator(q: Any) -> None:
    rows = q(
        "MATCH (p:Person)-[r:CREATED]->(:Platform {id: 'platform/coco'}) "
        "RETURN p.id AS id, p.name AS name, p.age AS age, p.occupation AS occupation, "
        "p.age_reported_on AS age_on, r.sources AS sources"
    )
    assert len(rows) == 1
    steidl = rows[0]
    assert steidl["name"] == "Isaac Steidl"
    assert steidl["age"] == 44
    assert steidl["occupation"] == "ingénieur informaticien"
    assert (steidl["age_on"].year, steidl["age_on"].month) == (2024, 5)  # portrait "fin mai"
    assert set(steidl["sources"]) == {LE_PARISIEN, PORTRAIT}

    rows = q(
        "MATCH (:Person {id: 'person/isaac-steidl'})-[r]->(j:Jurisdiction) "
        "RETURN type(r) AS type, j.iso_code AS iso, r.valid_from AS since, "
        "r.valid_from_precision AS since_p, r.valid_to AS until, r.date AS date, "
        "r.date_precision AS date_p, r.status AS status"
    )
    got = {(row["type"], row["iso"]): row for row in rows}
    assert set(got) == {
        ("ORIGINATES_FROM", "FR-83"),  # "varois"
        ("RELOCATED_TO", "BG"),
        ("NATIONAL_OF", "FR"),
        ("RENOUNCED_NATIONALITY_OF", "FR"),
    }
    relocated = got[("RELOCATED_TO", "BG")]
    assert (relocated["since"].year, relocated["since_p"]) == (2023, "year")
    renounced = got[("RENOUNCED_NATIONALITY_OF", "FR")]
    assert (renounced["date"].year, renounced["date_p"]) == (2023, "year")
    assert got[("NATIONAL_OF", "FR")]["until"].year == 2023
    rows = q("MATCH (j:Jurisdiction {iso_code: 'FR-83'}) RETURN j.name AS name")
    assert rows == [{"name": "Var"}]
    rows = q(
        "MATCH (e:Event)-[:CONCERNS]->(:Person {id: 'person/isaac-steidl'}) "
        "RETURN e.kind AS kind, e.date AS date, e.date_precision AS p"
    )
    got_events = {row["kind"]: row for row in rows}
    assert set(got_events) == {"relocation", "nationality_renunciation", "launch"}
    for kind in ("relocation", "nationality_renunciation"):
        assert _date(got_events[kind]["date"]) == "2023-01-01"
        assert got_events[kind]["p"] == "year"
    # "il y a une vingtaine d'années": approximate, so no date is stored
    assert got_events["launch"]["date"] is None


def test_his_wife_held_in_custody_in_the_var(q: Any) -> None:
    rows = q(
        "MATCH (w:Person)-[s:SPOUSE_OF]-(:Person {id: 'person/isaac-steidl'}) "
        "MATCH (w)-[r:HELD_IN_CUSTODY]->(j:Jurisdiction) "
        "RETURN w.id AS id, j.iso_code AS iso, j.name AS place, r.status AS status, "
        "r.sources AS sources, r.date AS date, s.sources AS spouse_sources"
    )
    assert rows == [
        {
            "id": "person/steidl-wife",
            "iso": "FR-83",
            "place": "Var",
            "status": "custody",
            "sources": [AFP],
            "date": None,  # "mardi": the article does not say which Tuesday
            "spouse_sources": [AFP],
        }
    ]


# -- sources and provenance -----------------------------------------------------------------


def test_the_exact_set_of_sources(q: Any) -> None:
    rows = q(
        "MATCH (s:Source {dataset: 'coco-gg'}) "
        "RETURN s.id AS id, s.kind AS kind, s.publisher AS publisher, "
        "s.date AS date, s.date_precision AS p, s.url AS url"
    )
    got = {row["id"]: row for row in rows}
    assert set(got) == {X_POST, PRESS_RELEASE, LE_PARISIEN, PORTRAIT, AFP, NEXT, INTERIOR_DOC}
    assert {row_id: row["kind"] for row_id, row in got.items()} == {
        X_POST: "social_media_post",
        PRESS_RELEASE: "press_release",
        LE_PARISIEN: "news_article",
        PORTRAIT: "news_article",
        AFP: "wire",
        NEXT: "news_article",
        INTERIOR_DOC: "official_documentation",
    }
    assert got[NEXT]["publisher"] == "Next"
    assert (_date(got[NEXT]["date"]), got[NEXT]["p"]) == ("2024-06-01", "month")
    assert (_date(got[PORTRAIT]["date"]), got[PORTRAIT]["p"]) == ("2024-05-01", "month")
    # the article gives no URL for any of them
    assert all(row["url"] is None for row in rows)
    # every other source is known only through the Next article
    rows = q("MATCH (s:Source)-[:CITED_IN]->(:Source {id: $next}) RETURN s.id AS id", next=NEXT)
    assert {row["id"] for row in rows} == set(got) - {NEXT}


def test_every_fact_has_a_source_and_no_person_is_proven_guilty(q: Any) -> None:
    ontology = yaml.safe_load(ONTOLOGY.read_text(encoding="utf-8"))
    source_label = ontology["source_label"]
    claims = [name for name, spec in ontology["relationships"].items() if spec.get("claim")]
    statuses = ontology["statuses"]
    proven = [name for name, spec in statuses.items() if spec.get("proven") is True]
    required = [
        name for name, spec in ontology["labels"].items() if spec.get("sources") == "required"
    ]
    assert claims
    assert "convicted" in proven

    rows = q(
        "MATCH ()-[r]->() WHERE type(r) IN $claims "
        "AND (r.status IS NULL OR NOT r.status IN $statuses "
        "OR r.sources IS NULL OR size(r.sources) = 0) "
        "RETURN type(r) AS type, r.status AS status, r.sources AS sources",
        claims=claims,
        statuses=list(statuses),
    )
    assert rows == [], "claims without a status or a source"
    rows = q("MATCH ()-[r]->() WHERE type(r) IN $claims RETURN count(r) AS n", claims=claims)
    assert rows[0]["n"] > 0

    rows = q(
        "MATCH (n) WHERE any(label IN labels(n) WHERE label IN $required) "
        "AND (n.sources IS NULL OR size(n.sources) = 0) RETURN n.id AS id",
        required=required,
    )
    assert rows == [], "nodes of a sources: required label without sources"

    cited = q(
        "CALL () { MATCH (n) WHERE n.sources IS NOT NULL RETURN n.sources AS sources "
        "UNION ALL MATCH ()-[r]->() WHERE r.sources IS NOT NULL RETURN r.sources AS sources } "
        "UNWIND sources AS id RETURN collect(DISTINCT id) AS ids"
    )[0]["ids"]
    existing = q(
        f"MATCH (s:`{source_label}`) RETURN collect(s.id) AS ids",
    )[0]["ids"]
    assert cited
    assert set(cited) <= set(existing), "sources cited but not loaded"

    rows = q(
        "MATCH (p:Person)-[r]-() WHERE r.status IN $proven "
        "RETURN p.id AS id, type(r) AS type, r.status AS status",
        proven=proven,
    )
    assert rows == [], "a relationship of a person has a proven status"
    rows = q("MATCH (p:Person) WHERE p.status IN $proven RETURN p.id AS id", proven=proven)
    assert rows == []


# -- the command line -----------------------------------------------------------------------


def test_loading_again_changes_nothing(case: Neo4jServer) -> None:
    done = _cli(case, "load", "seed/", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    reports = json.loads(done.stdout)  # one per dataset, in the order they load
    assert [r["dataset"] for r in reports] == ["reference", "archetyp", "coco-gg"]
    for report in reports:
        assert report["status"] == "succeeded"
        assert report["mode"] == "skipped"  # the same input: not even compared row by row
        assert report["totals"]["created"] == 0
        assert report["totals"]["changed"] == 0
        assert report["totals"]["unchanged"] > 0
    forced = json.loads(_cli(case, "load", "seed/", "--json", "--force").stdout)
    for report in forced:  # written again: every row compared, none different
        assert report["mode"] == "single"
        assert (report["totals"]["created"], report["totals"]["changed"]) == (0, 0)


def test_validate_accepts_the_seed() -> None:
    done = _cli(None, "validate", "seed/")
    assert done.returncode == 0, done.stdout + done.stderr
