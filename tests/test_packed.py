"""Rows packed in C (``_scan.pack_rows``, ``loader.packed``) against the neo4j driver's own
packing of the same rows as dicts: byte for byte, on a generated case and on values at
every size and type boundary of PackStream; slices of packed rows (the writer halves a
batch); the wrapper of the driver's packer leaves every other message as it was; and a
load with packed rows writes the same graph as a load with dicts."""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from neo4j import Driver
from neo4j._codec.hydration.bolt.v2 import HydrationHandler
from neo4j._codec.packstream import v1

from benchmarks.generate import generate
from loader import packed
from tests.dump import canonical_dump
from loader.ontology import load_ontology
from loader.packed import NODE_FIELDS, REL_FIELDS, PackedRows
from loader.pipeline import load_files
from loader.plan import build_plan
from loader.validate import read_graph
from tests.conftest import Neo4jServer, wipe
from tests.helpers import ROOT

_scan = pytest.importorskip("loader._scan")

HOOKS = HydrationHandler().dehydration_hooks  # how the driver packs dates


def driver_bytes(value: Any) -> bytes:
    """What the driver's packer writes for ``value`` (the wrapper passes it through)."""
    buffer = io.BytesIO()
    v1.Packer(buffer).pack(value, dehydration_hooks=HOOKS)
    return buffer.getvalue()


def as_dicts(rows: list[tuple[Any, ...]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    return [dict(zip(fields, row, strict=True)) for row in rows]


def check_packs_like_the_driver(rows: list[tuple[Any, ...]], fields: tuple[str, ...]) -> None:
    out = _scan.pack_rows(rows, fields)
    assert out is not None
    data, ends = out
    assert len(ends) == len(rows)
    assert data == b"".join(driver_bytes(row) for row in as_dicts(rows, fields))
    start = 0
    for row, end in zip(as_dicts(rows, fields), ends, strict=True):
        assert data[start:end] == driver_bytes(row)
        start = end


BOUNDARIES: list[Any] = [
    # integers: each PackStream width, both sides of each limit
    *[0, -1, -16, -17, 127, 128, -128, -129, 32767, 32768, -32768, -32769],
    *[2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63 - 2, -(2**63)],
    # strings: tiny, 8-bit, 16-bit and 32-bit sizes, in UTF-8 bytes
    *["", "a" * 15, "a" * 16, "é" * 8, "x" * 255, "x" * 256, "y" * 65535, "y" * 65536],
    "Parquet de Paris \u2013 JUNALCO \u2713 \U0001d11e",
    *[None, True, False, 1.5, -0.0, math.inf, -math.inf, 1e-300],
    # dates: the epoch, before it, leap days, the first and last year Python has
    *[dt.date(1970, 1, 1), dt.date(1969, 12, 31), dt.date(2000, 2, 29), dt.date(1900, 3, 1)],
    *[dt.date(1, 1, 1), dt.date(9999, 12, 31), dt.date(2024, 6, 25)],
    # lists and maps: tiny, 8-bit and 16-bit sizes, nested
    *[[], list(range(15)), list(range(16)), ["a"] * 256, [dt.date(2024, 1, 2), "x", 3]],
    *[{}, {"k": [dt.date(2024, 6, 1)]}, {str(i): i for i in range(16)}],
]


def test_boundary_values_pack_like_the_driver() -> None:
    rows = [(f"id/{i}", {"p": value, "q": [value]}, "hash") for i, value in enumerate(BOUNDARIES)]
    check_packs_like_the_driver(rows, NODE_FIELDS)
    check_packs_like_the_driver([(v, v, "", {"v": v}, "h") for v in BOUNDARIES], REL_FIELDS)


def test_nan_packs_like_the_driver() -> None:  # nan != nan: compared as bytes only
    assert _scan.pack_rows([("a", {"x": math.nan}, "h")], NODE_FIELDS)[0] == driver_bytes(
        {"id": "a", "props": {"x": math.nan}, "hash": "h"}
    )


values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 2)
    | st.floats(allow_nan=False)
    | st.text()
    | st.dates(),
    lambda inner: st.lists(inner, max_size=20) | st.dictionaries(st.text(), inner, max_size=20),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.text(), st.dictionaries(st.text(), values), st.text()), max_size=8))
def test_any_rows_of_these_types_pack_like_the_driver(rows: list[tuple[Any, ...]]) -> None:
    surrogates = any("\ud800" <= c <= "\udfff" for c in repr(rows))
    if surrogates:  # not UTF-8: left to the driver, which refuses them
        return
    check_packs_like_the_driver(rows, NODE_FIELDS)


class Text(str):
    pass


@pytest.mark.parametrize(
    "value",
    [
        2**63 - 1,  # the pure-Python packer refuses it: left to the driver
        2**63,
        -(2**63) - 1,
        b"bytes",
        bytearray(b"x"),
        dt.datetime(2024, 1, 1, 12, 0),  # a date subclass, not a Date
        dt.time(12, 0),
        "\ud800",  # not UTF-8
        (1, 2),
        Text("a str subclass"),
        1j,
        {1: "a key that is not a str"},
    ],
)
def test_other_values_are_left_to_the_driver(value: Any) -> None:
    assert _scan.pack_rows([("a", {"x": value}, "h")], NODE_FIELDS) is None
    assert _scan.pack_rows([("a", {"x": [value]}, "h")], NODE_FIELDS) is None


def test_rows_of_another_shape_are_left_to_the_driver() -> None:
    assert _scan.pack_rows([["a", {}, "h"]], NODE_FIELDS) is None  # a list, not a tuple
    assert _scan.pack_rows([("a", {}, "h", "extra")], NODE_FIELDS) is None
    assert _scan.pack_rows([], NODE_FIELDS) == (b"", [])
    with pytest.raises(TypeError):
        _scan.pack_rows([("a",)], (1,))


def test_a_generated_case_packs_like_the_driver(tmp_path: Path) -> None:
    ont = load_ontology()
    generate(tmp_path / "case", 400, "powerlaw", files=2, seed=5, ontology=ont)
    graph = read_graph([tmp_path / "case"], ont, None, chunk=37, workers=0)
    batches = build_plan(graph, ont, batch_size=50).batches
    assert {b.kind for b in batches} == {"node", "rel"}
    assert packed.ready()  # this driver takes packed rows: the load's path is the fast one
    for batch in batches:
        raw = batch._source()
        check_packs_like_the_driver(raw, batch.fields)
        wire = batch.wire_rows()
        assert isinstance(wire, PackedRows)
        assert driver_bytes({"rows": wire}) == driver_bytes({"rows": batch.rows})
    graph.close()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_slices_are_the_rows_they_name(data: st.DataObject) -> None:
    rows = [(f"n/{i}", {"name": "é" * (i % 20), "n": i * 977}, str(i)) for i in range(40)]
    whole = packed.pack(rows, NODE_FIELDS)
    assert whole is not None
    start = data.draw(st.integers(0, 40))
    stop = data.draw(st.integers(0, 40))
    part = whole[start:stop]
    assert len(part) == len(rows[start:stop])
    expected = as_dicts(rows[start:stop], NODE_FIELDS)
    assert driver_bytes({"rows": part}) == driver_bytes({"rows": expected})
    # halving again, as the writer does on a memory error
    half = len(part) // 2
    assert driver_bytes({"rows": part[:half]}) == driver_bytes({"rows": expected[:half]})
    assert driver_bytes({"rows": part[half:]}) == driver_bytes({"rows": expected[half:]})


def test_a_cleared_batch_sends_no_rows() -> None:
    rows = packed.pack([("a", {}, "h")], NODE_FIELDS)
    assert rows is not None
    rows.clear()
    assert len(rows) == 0
    assert driver_bytes({"rows": rows}) == driver_bytes({"rows": []})
    assert "0 packed rows" in repr(rows)


def test_other_messages_are_packed_as_before() -> None:
    """The wrapper changes only maps that hold packed rows."""
    assert packed.ready()
    wrapped = v1.Packer._pack
    assert getattr(wrapped, "casegraph", False)
    values: list[Any] = [
        ["MATCH (n) RETURN n", {"a": 1, "b": [dt.date(2024, 1, 1)]}, {"db": "neo4j"}],
        {"rows": [{"id": "x"}], "n": 2},
        {str(i): i for i in range(300)},
    ]
    for value in values:
        fields = value if isinstance(value, list) else [value]
        got = io.BytesIO()
        v1.Packer(got).pack_struct(b"\x10", fields, HOOKS)
        try:
            v1.Packer._pack = wrapped.original  # type: ignore[attr-defined]
            want = io.BytesIO()
            v1.Packer(want).pack_struct(b"\x10", fields, HOOKS)
        finally:
            v1.Packer._pack = wrapped  # type: ignore[method-assign]
        assert got.getvalue() == want.getvalue()


def run_python(code: str, **env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_turned_off_rows_go_as_dicts() -> None:
    code = (
        "from loader import packed; from neo4j._codec.packstream import v1; "
        "print(packed.ready(), packed.pack([('a', {}, 'h')], packed.NODE_FIELDS), "
        "getattr(v1.Packer._pack, 'casegraph', False))"
    )
    assert run_python(code, CASEGRAPH_PACKED_ROWS="0") == "False None False"
    assert run_python(code, CASEGRAPH_PACKED_ROWS="1") != "False None False"


def test_a_failed_self_test_puts_the_drivers_packer_back() -> None:
    code = (
        "from loader import packed; from neo4j._codec.packstream import v1; "
        "before = v1.Packer._pack; "
        "packed._self_test = lambda v1: (_ for _ in ()).throw(RuntimeError('other driver')); "
        "print(packed.ready(), v1.Packer._pack is before)"
    )
    assert run_python(code) == "False True"


@pytest.mark.neo4j
def test_packed_rows_load_the_same_graph_as_dicts(
    empty_db: Neo4jServer, driver: Driver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ont = load_ontology()
    generate(tmp_path / "case", 300, "uniform", files=2, seed=3, ontology=ont)
    dumps = []
    for ready in (True, False):
        monkeypatch.setattr(packed, "_ready", ready)
        wipe(driver, empty_db.database)
        report = load_files(driver, empty_db.database, [tmp_path / "case"], ont, batch_size=64)
        assert report.status == "succeeded"
        assert report.totals.created > 300
        dumps.append(canonical_dump(driver, empty_db.database))
    assert dumps[0] == dumps[1]
    dated = [p for _, p in dumps[0]["nodes"] if any(str(v).startswith("Date:") for v in p.values())]
    assert dated  # dates went through both paths
