"""Warehouse: DuckDB and PostgreSQL read back the same frame; replaces are atomic."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.warehouse import Warehouse


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "person_id": ["P1", "P2", "P3"],
            "name": ["张伟", "买买提·艾力", None],
            "note": ["", 'a "quoted", comma\nline', None],
            "n_records": pl.Series([3, None, 1], dtype=pl.Int32),
            "rate": [0.1, None, 1 / 3],
            "ok": [True, None, False],
            "birth_date": [date(1990, 1, 1), None, date(2020, 2, 29)],
            "seen": [datetime(2024, 5, 1, 8, 30, 1, 123456, tzinfo=UTC), None,
                     datetime(2024, 5, 2, tzinfo=UTC)],
            "departments": [["health", "poverty"], [], None],
        }
    )


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    return df.sort("month", "person_id", nulls_last=True)


@pytest.mark.postgres
def test_duckdb_and_postgres_read_back_identical(duck: Warehouse, pg: Warehouse) -> None:
    for w in (duck, pg):
        w.publish("person", _frame(), run_id="run-1")
    a, b = duck.read("person"), pg.read("person")
    assert_frame_equal(_sorted(a).drop("published_at"), _sorted(b).drop("published_at"))
    assert a.schema == b.schema
    assert a.schema["published_at"] == pl.Datetime("us")
    got = _sorted(a).row(0, named=True)
    assert got["departments"] == "health,poverty" and got["n_records"] == 3
    assert got["seen"] == datetime(2024, 5, 1, 8, 30, 1, 123456)
    assert got["run_id"] == "run-1" and got["month"] is None
    assert _sorted(a)["note"].to_list() == ["", 'a "quoted", comma\nline', None]


def test_publish_replaces_whole_table(wh: Warehouse) -> None:
    wh.publish("person", _frame(), run_id="run-1")
    wh.publish("person", _frame().head(1).with_columns(extra=pl.lit("x")), run_id="run-2")
    out = wh.read("person")
    assert out.height == 1 and out["run_id"].to_list() == ["run-2"]
    assert "extra" in out.columns
    assert wh.tables() == ["person"] and wh.has_table("person") and not wh.has_table("nope")


def test_month_slices_are_independent(wh: Warehouse) -> None:
    df = _frame().select("person_id", "rate")
    wh.publish("village_monthly", df, run_id="r1", month="2024-01")
    wh.publish("village_monthly", df.head(2), run_id="r2", month="2024-02")
    assert wh.read("village_monthly", month="2024-01")["run_id"].to_list() == ["r1"] * 3
    wh.publish("village_monthly", df.head(1), run_id="r3", month="2024-01")
    jan = wh.read("village_monthly", month="2024-01")
    assert jan["person_id"].to_list() == ["P1"] and jan["run_id"].to_list() == ["r3"]
    assert wh.read("village_monthly", month="2024-02").height == 2
    assert wh.read("village_monthly").height == 3


def test_read_some_columns_and_count_rows(wh: Warehouse) -> None:
    """``read(columns=…)`` reads only those the table has (in its order); ``count`` counts a
    table or a month of it without reading its rows (0 for no table)."""
    wh.publish("t", pl.DataFrame({"k": ["a", "b"], "v": [1, 2]}), run_id="r1", month="2026-09")
    wh.publish("t", pl.DataFrame({"k": ["c"], "v": [3]}), run_id="r2", month="2026-10")
    slim = wh.read("t", month="2026-09", columns=["v", "k", "nope"])
    assert slim.columns == ["k", "v"] and slim.sort("k")["v"].to_list() == [1, 2]
    assert wh.read("t", columns=["nope"]).shape == (0, 0)
    assert wh.read("t", columns=["run_id"])["run_id"].sort().to_list() == ["r1", "r1", "r2"]
    assert (wh.count("t"), wh.count("t", month="2026-10"), wh.count("absent")) == (3, 1, 0)


def test_month_slice_with_new_columns_keeps_other_months(wh: Warehouse) -> None:
    df = _frame().select("person_id", "rate")
    wh.publish("t", df, run_id="r1", month="2024-01")
    wh.publish("t", df.with_columns(clinic_coverage=pl.lit(0.5)), run_id="r2", month="2024-02")
    out = wh.read("t")
    assert out.filter(pl.col("month") == "2024-01")["clinic_coverage"].null_count() == 3
    assert out.filter(pl.col("month") == "2024-02")["clinic_coverage"].to_list() == [0.5] * 3


def _failing_load(wh: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next bulk load fail after the old rows were deleted / the stage was created."""
    def boom(*_: object) -> None:
        msg = "disk full (simulated)"
        raise OSError(msg)

    monkeypatch.setattr(wh._db, "load", boom)


def test_failed_month_publish_leaves_the_old_slice(wh: Warehouse,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    df = _frame().select("person_id", "rate")
    wh.publish("m", df, run_id="r1", month="2024-01")
    _failing_load(wh, monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        wh.publish("m", df.head(1), run_id="r2", month="2024-01")
    monkeypatch.undo()
    assert wh.read("m", month="2024-01")["run_id"].to_list() == ["r1"] * 3


def test_failed_full_publish_leaves_the_old_table(wh: Warehouse,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    wh.publish("person", _frame(), run_id="r1")
    _failing_load(wh, monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        wh.publish("person", _frame().head(1), run_id="r2")
    monkeypatch.undo()
    assert wh.read("person")["run_id"].to_list() == ["r1"] * 3
    assert wh.tables() == ["person"]  # no staging table left behind


def test_append_adds_rows_and_rejects_unknown_columns(wh: Warehouse) -> None:
    decisions = pl.DataFrame({"record_id_l": ["a"], "record_id_r": ["b"], "decision": ["link"]})
    wh.append("decision", decisions)
    wh.append("decision", decisions.with_columns(decision=pl.lit("no_link")))
    assert wh.read("decision")["decision"].sort().to_list() == ["link", "no_link"]
    with pytest.raises(ValueError, match="not in the table"):
        wh.append("decision", decisions.with_columns(who=pl.lit("x")))


def test_bad_input_raises_clearly(wh: Warehouse) -> None:
    with pytest.raises(KeyError, match="no table 'missing'"):
        wh.read("missing")
    with pytest.raises(ValueError, match="YYYY-MM"):
        wh.publish("t", _frame(), run_id="r", month="2024/01")
    with pytest.raises(ValueError, match="not a valid"):
        wh.publish("bad name; drop", _frame(), run_id="r")
    with pytest.raises(TypeError, match="'obj'"):
        wh.publish("t", pl.DataFrame({"obj": [{"a": 1}]}), run_id="r")


def test_unsupported_url() -> None:
    with pytest.raises(ValueError, match="unsupported warehouse URL"):
        Warehouse.from_url("mysql://x@y/z")


def test_validate_published_lists_failures_and_masks_ids() -> None:
    from schemas.contract import conform
    from schemas.exchange import ExchangeDiff
    from schemas.published import Person, PublishedTableError, validate_published

    diff = conform(pl.DataFrame({"month": ["2024-06", "2024-13"], "person_id": ["P1", None],
                                 "illness": ["胃癌", "肺癌"], "kind": ["only_ours", "only_ours"],
                                 "side": ["ours_only", "both"], "field": [None, "status"],
                                 "ours": [None, "x"], "theirs": [None, "y"]}), ExchangeDiff)
    with pytest.raises(PublishedTableError) as err:
        validate_published("exchange_diff", diff)
    text = str(err.value)
    assert "exchange_diff" in text and "month" in text and "side" in text and "2 failures" in text
    person = pl.DataFrame({"person_id": ["P1"], "name": ["张伟"],
                           "id_number": ["41010119900101123"],
                           "sex": ["男"], "birth_date": [None], "township_code": [None],
                           "village_code": [None], "household_id": [None],
                           "departments": ["health"], "n_records": [0], "name_source": [None],
                           "id_number_source": [None], "village_code_source": [None]})
    person = conform(person, Person)
    with pytest.raises(PublishedTableError, match="n_records"):
        validate_published("person", person)
    quarantine = pl.DataFrame({"source_file": ["a.csv"], "sheet": [""], "row_number": [0],
                               "column": ["证件号码"], "check": ["id_checksum"],
                               "reason": ["410101199001011234 bad"], "value_masked": [None]})
    with pytest.raises(PublishedTableError) as err:
        validate_published("quarantine", quarantine.with_columns(reason=pl.lit(None, pl.String)))
    assert "reason" in str(err.value)
    with pytest.raises(KeyError, match="no schema"):
        validate_published("nope", person)


def test_a_repeated_record_or_person_id_fails_its_schema() -> None:
    """``person_source.record_id`` and ``person.person_id`` are unique (hashes first, then
    the repeated values named as failures)."""
    from schemas.contract import conform
    from schemas.published import Person, PersonSource, PublishedTableError, validate_published

    n = 50_000
    sources = conform(pl.DataFrame({
        "source_file": ["a.csv"] * n, "sheet": [""] * n, "row_number": range(1, n + 1),
        "record_id": [f"a.csv||{i}" for i in range(n)], "department": ["civil"] * n,
        "extract": ["death"] * n, "person_id": [f"P{i // 2}" for i in range(n)]}), PersonSource)
    assert validate_published("person_source", sources).height == n
    twice = sources.with_columns(record_id=pl.when(pl.col("row_number") == n)
                                 .then(pl.lit("a.csv||7")).otherwise("record_id"))
    with pytest.raises(PublishedTableError) as err:
        validate_published("person_source", twice)
    assert "2 failures" in str(err.value) and "field_uniqueness" in str(err.value)
    people = conform(pl.DataFrame({"person_id": [f"P{i}" for i in range(n)], "departments":
                                   ["civil"] * n, "n_records": [1] * n}), Person)
    assert validate_published("person", people).height == n
    with pytest.raises(PublishedTableError, match="person_id, check field_uniqueness"):
        validate_published("person", pl.concat([people, people.tail(1)]))


def test_mask_hides_ids_in_messages() -> None:
    from schemas.published import _mask

    assert _mask("id 410101199001011234 bad") == "id 410101********1234 bad"


def test_month_column_of_the_frame(wh: Warehouse) -> None:
    df = pl.DataFrame({"village_code": ["410100001001"], "month": ["2024-06"]})
    wh.publish("v", df, run_id="r")  # no month given: the frame's own month is kept
    assert wh.read("v", month="2024-06").height == 1
    with pytest.raises(ValueError, match="2024-06"):
        wh.publish("v", df, run_id="r", month="2024-07")
