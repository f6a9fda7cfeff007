"""Each source its own status (and quote, page, url): ``sources: [{id: ..., status: ...}]``.

A claim keeps ``sources`` as before and, item for item, ``source_statuses`` (and the
quotes, pages and urls its sources give); its own status, when it gives none, is the
firmest of its sources' (the ontology's ``firmness``), and may never be firmer than all
of them say. Expected values are typed from the input below.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from neo4j import Driver

from loader.errors import InputError
from loader.model.ontology import load_ontology
from tests.conftest import Neo4jServer
from tests.dump import canonical_dump
from tests.helpers import TEST_ONTOLOGY, casegraph

CASE = """\
dataset: own
nodes:
  - {id: source/a, type: Source, title: A, publisher: A, kind: wire, date: 2025-06}
  - {id: source/b, type: Source, title: B, publisher: B, kind: press_release, date: 2025-06}
  - id: person/x
    type: Person
    name: X
    sources: [{id: source/a, quote: "a man, X"}, source/b]
  - {id: platform/p, type: Platform, name: P, sources: [source/a]}
relationships:
  - type: CREATED
    from: person/x
    to: platform/p
    sources:
      - {id: source/a, status: reported}
      - {id: source/b, status: alleged, quote: "X made P", page: "3", url: "https://b.example/1"}
  - type: OPERATED
    from: person/x
    to: platform/p
    status: alleged
    sources: [source/a, {id: source/b, status: official}]
  - type: HOSTED_IN
    from: platform/p
    to: jurisdiction/fr
    status: reported
    sources: [source/a, source/b]
"""


@pytest.mark.neo4j
def test_each_source_keeps_its_own_status_quote_page_and_url(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    (tmp_path / "own.yaml").write_text(CASE, encoding="utf-8")
    done = casegraph("load", str(tmp_path), env=empty_db.env())
    assert done.returncode == 0, done.stderr
    records, _, _ = driver.execute_query(
        "MATCH (:Person)-[r]->() RETURN type(r) AS type, r {.*} AS r ORDER BY type",
        database_=empty_db.database,
    )
    rels = {record["type"]: record["r"] for record in records}
    created = rels["CREATED"]
    # no status of its own: the firmer of reported (2) and alleged (1)
    assert created["status"] == "reported"
    assert created["sources"] == ["source/a", "source/b"]
    assert created["source_statuses"] == ["reported", "alleged"]
    assert created["source_quotes"] == ["", "X made P"]
    assert created["source_pages"] == ["", "3"]
    assert created["source_urls"] == ["", "https://b.example/1"]
    # a source without a status of its own has the claim's
    operated = rels["OPERATED"]
    assert operated["status"] == "alleged"
    assert operated["source_statuses"] == ["alleged", "official"]
    assert "source_quotes" not in operated
    # ids only: none of the lists
    [hosted] = driver.execute_query(
        "MATCH ()-[r:HOSTED_IN]->() RETURN r {.*} AS r", database_=empty_db.database
    ).records
    assert not {k for k in hosted["r"] if k.startswith("source_")}
    # a node's source may quote it too
    [person] = driver.execute_query(
        "MATCH (p:Person) RETURN p {.*} AS p", database_=empty_db.database
    ).records
    assert person["p"]["source_quotes"] == ["a man, X", ""]
    assert "source_statuses" not in person["p"]
    # loading again writes nothing
    before = canonical_dump(driver, empty_db.database)
    again = casegraph("load", str(tmp_path), "--force", "--json", env=empty_db.env())
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)  # one dataset: its report alone
    assert report["dataset"] == "own"
    assert (report["totals"]["created"], report["totals"]["changed"]) == (0, 0)
    # its 4 nodes and 3 relationships, France (ISO 3166) and the ISO 3166 source, and a
    # SOURCE_OF from each source the person (2) and the platform (1) cite
    assert report["totals"]["unchanged"] == 4 + 3 + 2 + 3
    assert canonical_dump(driver, empty_db.database) == before


BAD = """\
dataset: bad
nodes:
  - {id: source/a, type: Source, title: A, publisher: P, kind: wire}
  - {id: source/b, type: Source, title: B, publisher: P, kind: press_release}
  - id: person/x
    type: Person
    name: X
    sources: [{id: source/a, status: official}]
  - {id: platform/p, type: Platform, name: P, sources: [source/a]}
relationships:
  - type: OPERATED
    from: person/x
    to: platform/p
    status: official
    sources:
      - {id: source/a, status: reported}
  - type: ORIGINATES_FROM
    from: person/x
    to: jurisdiction/fr
    status: reported
    sources:
      - {id: source/a, status: rumoured, colour: red}
      - {id: source/b, url: "ftp://x"}
      - [source/a]
      - {id: source/nowhere, status: reported}
  - type: CREATED
    from: person/x
    to: platform/p
    sources:
      - source/a
      - {id: source/b, status: reported}
"""


def test_what_a_source_says_of_its_own_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD, encoding="utf-8")
    done = casegraph("validate", str(path))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{path}:8:38: Person 'person/x' is not a claim: its sources give no status (only a "
        "claim's do)",
        f"{path}:14:13: OPERATED relationship: status 'official' is firmer than any of its "
        "sources says (the firmest: 'reported')",
        f"{path}:22:32: unknown status 'rumoured' (one of acquitted, alleged, arrested, "
        "assessed, charged, convicted, custody, denied, official, reported, suspected)",
        f"{path}:22:42: unknown key 'colour' of a source (known: id, status, quote, page, url)",
        f"{path}:23:29: 'url' of a source: 'ftp://x' is not an http(s) URL",
        f"{path}:24:9: each source is an id, or a mapping of its 'id' and what the source "
        "says of its own (status, quote, page, url)",
        f"{path}:25:14: ORIGINATES_FROM relationship cites unknown source 'source/nowhere'",
        # a source without a status, and the claim gives none: nothing to take it from
        f"{path}:26:5: CREATED relationship is a claim and needs a 'status'",
        "Error: 8 problems in the input",
    ]


CITED = """\
dataset: cited
nodes:
  - {id: source/a, type: Source, title: A, publisher: A, kind: press_release, date: 2025-06}
  - {id: source/b, type: Source, title: B, publisher: B, kind: news_article, date: 2025-06}
  - id: event/e
    type: Event
    name: Arrests
    kind: arrest
    date:
      - {value: 2025-06-11, sources: [source/a]}
      - {value: 2025-06, sources: [source/b]}
    people_count:
      - {value: 8, sources: [source/a]}
      - {value: 1, sources: [source/b]}
    sources: [source/a, source/b]
  - id: person/x
    type: Person
    name: X
    age: {value: 30, sources: [source/a, source/b]}
    sources: [source/a]
"""


@pytest.mark.neo4j
def test_a_property_cites_its_sources_and_disputed_values_both_stay(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    (tmp_path / "cited.yaml").write_text(CITED, encoding="utf-8")
    done = casegraph("load", str(tmp_path), env=empty_db.env())
    assert done.returncode == 0, done.stderr
    [event] = driver.execute_query(
        "MATCH (e:Event) RETURN e {.*} AS e", database_=empty_db.database
    ).records
    e = event["e"]
    # the first value is the property's; every value stays, item for item with its sources
    assert (e["people_count"], e["people_count_values"]) == (8, [8, 1])
    assert e["people_count_sources"] == ["source/a", "source/b"]
    assert (str(e["date"]), e["date_precision"]) == ("2025-06-11", "day")
    assert [str(d) for d in e["date_values"]] == ["2025-06-11", "2025-06-01"]
    assert e["date_values_precision"] == ["day", "month"]
    [person] = driver.execute_query(
        "MATCH (p:Person) RETURN p {.*} AS p", database_=empty_db.database
    ).records
    assert (person["p"]["age"], person["p"]["age_sources"]) == (30, ["source/a source/b"])
    # the conflicts view lists the two counts (and the two dates: the 11th is in June, but
    # the sources give different dates, which a reader should see)
    conflicts = casegraph("conflicts", "--dataset", "cited", "--format", "json", env=empty_db.env())
    assert conflicts.returncode == 0, conflicts.stderr
    rows = [
        (r["conflict"], r["subject"], r["about"], r["says_1"], r["sources_1"], r["says_2"],
         r["sources_2"])
        for r in json.loads(conflicts.stdout)
    ]  # fmt: skip
    assert rows == [
        ("different value", "Arrests", "date", "date: 2025-06-11", ["source/a"],
         "date: 2025-06-01", ["source/b"]),
        ("different value", "Arrests", "people_count", "people_count: 8", ["source/a"],
         "people_count: 1", ["source/b"]),
    ]  # fmt: skip
    again = casegraph("load", str(tmp_path), "--force", "--json", env=empty_db.env())
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert (report["totals"]["created"], report["totals"]["changed"]) == (0, 0)


BAD_CITED = """\
dataset: bad
nodes:
  - {id: source/a, type: Source, title: A, publisher: A, kind: wire}
  - id: person/x
    type: Person
    name: X
    age: {value: -4, sources: [source/a]}
    occupation: {value: baker}
    role:
      - {value: seller, sources: [source/nowhere], since: 2020}
      - plain
    aliases: [{value: Y, sources: [source/a]}]
    sources: [source/a]
"""


def test_cited_values_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_CITED, encoding="utf-8")
    done = casegraph("validate", str(path))
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{path}:7:18: 'age': -4 is less than 0 (rule minimum: 0)",
        f"{path}:8:17: 'occupation': a cited value is a mapping of its 'value' and its "
        "'sources' (a list of source ids)",
        f"{path}:10:35: Person 'person/x' cites unknown source 'source/nowhere'",
        f"{path}:10:52: 'role': unknown key 'since' of a cited value (known: value, sources)",
        f"{path}:11:9: 'role': a cited value is a mapping of its 'value' and its 'sources' "
        "(a list of source ids)",
        f"{path}:12:15: 'aliases': a nested mapping is not allowed (Neo4j stores only values "
        "and lists)",
        "Error: 6 problems in the input",
    ]


def test_the_names_beside_a_cited_property_are_reserved(tmp_path: Path) -> None:
    text = TEST_ONTOLOGY.read_text(encoding="utf-8")
    born = "      born: {type: date}\n"
    assert born in text
    path = tmp_path / "ontology.yaml"
    path.write_text(text.replace(born, born + "      born_sources: {type: string}\n", 1))
    with pytest.raises(InputError) as caught:
        load_ontology(path)
    assert [p.message for p in caught.value.problems] == [
        "property name 'born_sources' is reserved by casegraph (a property cited with its "
        "sources keeps its values and sources in names ending in _values and _sources)"
    ]
