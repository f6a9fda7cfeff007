"""Value rules of the ontology (loader/model/rules.py): bounds, patterns, an order between
two dates, properties that go together, relationship types that cannot loop. Each broken
rule is reported at its place with the rule named, every problem at once, and a load of
such input writes nothing. The ontology's own rules are checked when it is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from neo4j import Driver

from loader.errors import InputError
from loader.model.ontology import load_ontology
from loader.model.rules import RecordRules, ValueRules
from tests.conftest import Neo4jServer
from tests.dump import canonical_dump
from tests.helpers import TEST_ONTOLOGY, casegraph

# The shipped ontology: Source.language has pattern [a-z]{2}, Person.age minimum 0,
# Figure orders period_start before period_end and has an amount together with its
# currency (an ISO 4217 code), Event orders date before end_date, SPOUSE_OF has loops:
# false.
BROKEN = """\
dataset: rules
nodes:
  - id: source/a
    type: Source
    title: A report
    publisher: A newspaper
    kind: news_article
    language: French
  - id: person/a
    type: Person
    name: A
    age: -44
    sources: [source/a]
  - id: figure/a
    type: Figure
    name: Arrests
    value: 8
    unit: persons
    metric: persons_arrested
    period_start: 2025-06-13
    period_end: 2025-06-11
    sources: [source/a]
  - id: figure/b
    type: Figure
    name: Within June
    value: 1
    unit: persons
    metric: persons_arrested
    period_start: 2025-06-13
    period_end: 2025-06
    sources: [source/a]
  - id: figure/c
    type: Figure
    name: Assets seized
    amount: 7800000
    unit: assets seized
    metric: assets_seized
    sources: [source/a]
  - id: figure/d
    type: Figure
    name: Assets seized, in dollars
    amount: 9000000
    currency: USX
    unit: assets seized
    metric: assets_seized
    sources: [source/a]
  - id: event/a
    type: Event
    name: Action week
    kind: action
    date: 2025-06-13
    end_date: 2025-06-11
    sources: [source/a]
relationships:
  - type: SPOUSE_OF
    from: person/a
    to: person/a
    status: reported
    sources: [source/a]
"""

# line:column of each broken value, counted in BROKEN; figure/b is fine: a period that
# ends "in June 2025" may end after the 13th
EXPECTED = [
    "{f}:8:15: 'language': 'French' does not have the expected form (rule pattern: '[a-z]{{2}}')",
    "{f}:12:10: 'age': -44 is less than 0 (rule minimum: 0)",
    "{f}:21:17: Figure 'figure/a': 'period_end' (2025-06-11) is before 'period_start' "
    "(2025-06-13) (rule order: [period_start, period_end])",
    "{f}:32:5: Figure 'figure/c': 'amount' without 'currency' (rule together: [amount, currency])",
    "{f}:43:15: 'currency': 'USX' is not an ISO 4217 currency code",
    "{f}:52:15: Event 'event/a': 'end_date' (2025-06-11) is before 'date' (2025-06-13) "
    "(rule order: [date, end_date])",
    "{f}:57:9: SPOUSE_OF relationship goes from 'person/a' to itself (rule loops: false)",
    "Error: 7 problems in the input",
]


def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "rules.yaml").write_text(BROKEN, encoding="utf-8")
    return folder


def test_each_broken_rule_is_named_at_its_place(tmp_path: Path) -> None:
    folder = broken(tmp_path)
    done = casegraph("validate", str(folder))
    assert done.returncode == 1
    f = folder / "rules.yaml"
    assert done.stderr.splitlines() == [line.format(f=f) for line in EXPECTED]


def test_mended_input_passes(tmp_path: Path) -> None:
    """The same records with the values mended are valid: the rules refuse only what they
    say (an age of 0, a period of one day, two people married to each other)."""
    text = (
        BROKEN.replace("language: French", "language: fr")
        .replace("age: -44", "age: 0")
        .replace("period_end: 2025-06-11", "period_end: 2025-06-13")
        .replace("    amount: 7800000\n", "    amount: 7800000\n    currency: EUR\n")
        .replace("currency: USX", "currency: USD")
        .replace("end_date: 2025-06-11", "end_date: 2025-06-13")
        .replace("    to: person/a\n", "    to: person/b\n")
        .replace(
            "relationships:\n",
            "  - {id: person/b, type: Person, name: B, sources: [source/a]}\nrelationships:\n",
        )
    )
    folder = tmp_path / "mended"
    folder.mkdir()
    (folder / "rules.yaml").write_text(text, encoding="utf-8")
    done = casegraph("validate", str(folder))
    assert done.returncode == 0, done.stderr


@pytest.mark.neo4j
def test_a_load_of_broken_values_writes_nothing(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path
) -> None:
    before = canonical_dump(driver, empty_db.database)
    done = casegraph("load", str(broken(tmp_path)), env=empty_db.env())
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == "Error: 7 problems in the input"
    assert canonical_dump(driver, empty_db.database) == before


SOURCES = """\
dataset: dated
nodes:
  - {id: source/day, type: Source, title: A, publisher: P, kind: wire, date: 2025-06-17}
  - {id: source/month, type: Source, title: B, publisher: P, kind: wire, date: 2025-06}
  - {id: source/undated, type: Source, title: C, publisher: P, kind: wire}
"""
# the records cite sources of another file: the check spans files
DATED = """\
dataset: dated
nodes:
  - id: event/week
    type: Event
    name: Action week
    kind: action
    date: 2025-06-11
    end_date: 2025-06-20
    sources: [source/day, source/month, source/undated]
  - id: event/july
    type: Event
    name: In July
    kind: arrest
    date: 2025-07
    sources: [source/month]
  - id: event/within
    type: Event
    name: Within the month of the source
    kind: arrest
    date: 2025-06-30
    sources: [source/month, source/undated]
  - id: person/a
    type: Person
    name: A
    sources: [source/day]
relationships:
  - type: RESIDES_IN
    from: person/a
    to: jurisdiction/es
    valid_from: 2026
    status: reported
    sources: [source/day]
"""


def test_dates_are_not_after_the_sources_that_report_them(tmp_path: Path) -> None:
    """A date after the date of a source the record cites is refused at its place; a
    source known to a month may be of its last day; an undated source proves nothing."""
    folder = tmp_path / "dated"
    folder.mkdir()
    (folder / "a-sources.yaml").write_text(SOURCES, encoding="utf-8")
    (folder / "b-dated.yaml").write_text(DATED, encoding="utf-8")
    done = casegraph("validate", str(folder))
    assert done.returncode == 1
    f = folder / "b-dated.yaml"
    rule = "(rule not_after_sources: [date, end_date])"
    assert done.stderr.splitlines() == [
        f"{f}:8:15: Event 'event/week': 'end_date' (2025-06-20) is after the date of its "
        f"source 'source/day' (2025-06-17) {rule}",
        f"{f}:14:11: Event 'event/july': 'date' (2025-07) is after the date of its source "
        f"'source/month' (2025-06) {rule}",
        f"{f}:30:17: RESIDES_IN relationship: 'valid_from' (2026) is after the date of its "
        "source 'source/day' (2025-06-17) (rule not_after_sources: [valid_from])",
        "Error: 3 problems in the input",
    ]
    mended = DATED.replace("2025-06-20", "2025-06-13").replace("2025-07", "2025-06")
    (folder / "b-dated.yaml").write_text(mended.replace("2026", "2024"), encoding="utf-8")
    done = casegraph("validate", str(folder))
    assert done.returncode == 0, done.stderr


def test_a_rule_on_source_dates_needs_the_ontology_to_name_them(tmp_path: Path) -> None:
    path = ontology_with(
        tmp_path, (PERSON_INDEXES, PERSON_INDEXES + "    not_after_sources: [born]\n")
    )
    with pytest.raises(InputError) as caught:
        load_ontology(path)
    assert [p.message for p in caught.value.problems] == [
        "label Person has 'not_after_sources': the ontology needs 'source_date' (the date "
        "property of its source_label)"
    ]


AGE = "      age: {type: int}\n"
KNOWS = "    between: [[Person, Person]]\n"
PERSON_INDEXES = "    indexes: [name]\n"  # the first label with indexes is Person


def ontology_with(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The tests' ontology with each (text, replacement) of ``edits`` made once."""
    text = TEST_ONTOLOGY.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "ontology.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_properties_that_go_together(tmp_path: Path) -> None:
    path = ontology_with(
        tmp_path, (PERSON_INDEXES, PERSON_INDEXES + "    together:\n      - [age, born]\n")
    )
    rules = load_ontology(path).labels["Person"].rules
    assert rules == RecordRules(together=(("age", "born"),))
    assert list(rules.problems({"age": 44})) == [
        (None, "'age' without 'born' (rule together: [age, born])")
    ]
    assert list(rules.problems({"age": 44, "born": "x"})) == []
    assert list(rules.problems({})) == []  # neither: nothing to pair
    # a value given but refused (reported on its own) is not also missing
    assert list(rules.problems({"age": 44}, given=["age", "born"])) == []


def test_exactly_one_of(tmp_path: Path) -> None:
    path = ontology_with(
        tmp_path, (PERSON_INDEXES, PERSON_INDEXES + "    one_of:\n      - [age, born]\n")
    )
    rules = load_ontology(path).labels["Person"].rules
    assert rules == RecordRules(one_of=(("age", "born"),))
    rule = "(rule one_of: [age, born])"
    assert list(rules.problems({})) == [(None, f"none is given: exactly one is expected {rule}")]
    assert list(rules.problems({"age": 44, "born": "x"})) == [
        (None, f"'age' and 'born' are both given: exactly one is expected {rule}")
    ]
    assert list(rules.problems({"age": 44})) == []
    assert list(rules.problems({"born": "x"})) == []


@pytest.mark.parametrize(
    ("person", "knows", "message"),
    [
        (", minimum: x", "", "'minimum' of property 'age' of label Person: 'x' is not an integer"),
        (
            ", minimum: 5, maximum: 1",
            "",
            "'maximum' of property 'age' of label Person is less than its 'minimum'",
        ),
        (
            ", pattern: '[0-9]+'",
            "",
            "'pattern' is only for string and text properties (property 'age' of label Person)",
        ),
        ("", "    loops: maybe\n", "'loops' of relationship KNOWS must be true or false"),
        (
            "",
            "    order: [[since, age]]\n",
            "'order' of relationship KNOWS names 'age', which is not one of its properties",
        ),
        (
            "",
            "    order: [since]\n",
            "each 'order' entry of relationship KNOWS must be a list of two or more properties",
        ),
    ],
)
def test_rules_of_the_ontology_are_checked(
    tmp_path: Path, person: str, knows: str, message: str
) -> None:
    path = ontology_with(
        tmp_path, (AGE, AGE.replace("int}", f"int{person}}}")), (KNOWS, KNOWS + knows)
    )
    with pytest.raises(InputError) as caught:
        load_ontology(path)
    assert [p.message for p in caught.value.problems] == [message]


def test_a_pattern_that_is_not_a_regular_expression(tmp_path: Path) -> None:
    path = ontology_with(
        tmp_path, ("      bio: {type: text}\n", "      bio: {type: text, pattern: '[a-'}\n")
    )
    with pytest.raises(InputError) as caught:
        load_ontology(path)
    (problem,) = caught.value.problems
    assert problem.message.startswith(
        "'pattern' of property 'bio' of label Person is not a regular expression: "
    )


def test_an_order_of_two_types_and_loops_on_a_label_are_refused(tmp_path: Path) -> None:
    path = ontology_with(
        tmp_path, (PERSON_INDEXES, PERSON_INDEXES + "    order: [[age, born]]\n    loops: false\n")
    )
    with pytest.raises(InputError) as caught:
        load_ontology(path)
    assert sorted(p.message for p in caught.value.problems) == [
        "each 'order' entry of label Person is two properties of one type: int, float or date",
        "unknown key 'loops' in label Person",
    ]


def test_the_shipped_ontology_states_its_rules() -> None:
    ont = load_ontology()
    age = ont.labels["Person"].properties["age"].rules
    assert age is not None
    assert (age.minimum, age.maximum) == (0, 150)
    for name in ("SPOUSE_OF", "SAME_AS", "PART_OF", "CITED_IN"):
        rules = ont.relationships[name].rules
        assert rules is not None, name
        assert rules.loops is False, name


def test_bounds_are_shown_as_written_and_include_their_ends() -> None:
    rules = ValueRules(minimum=0.0, maximum=2.5)
    assert rules.problem(-1.5) == "-1.5 is less than 0 (rule minimum: 0)"
    assert rules.problem(2.75) == "2.75 is more than 2.5 (rule maximum: 2.5)"
    assert rules.problem(0.0) is None
    assert rules.problem(2.5) is None
