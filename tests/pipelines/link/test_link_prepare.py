"""Preparing records: text columns stripped and blank as null whether or not a column needs it
(an untouched column is the input's own, not a copy), one-row lists as categories."""

from __future__ import annotations

import polars as pl
import pytest
from sanji_link_frames import frame, record, valid_id

from pipelines.link.linker import prepare_records
from pipelines.link.prepare import ONE_ROW_EXTRACTS
from pipelines.link.regroup import one_list_hash

A = valid_id("19800101", "123")


@pytest.mark.parametrize(("names", "expected"), [
    (["张伟", "李四"], ["张伟", "李四"]),  # nothing to do: the column as it came
    ([" 张伟", "李四 "], ["张伟", "李四"]),  # stray spaces
    (["", "李四"], [None, "李四"]),  # blank: null
    (["王\u3000", "\t"], ["王", None]),  # an ideographic space, a tab
    (["\u00a0李四", "张伟\n"], ["李四", "张伟"]),  # a no-break space, a line break
    ([None, "李四"], [None, "李四"]),
])
def test_names_are_stripped_and_blank_is_null(names: list, expected: list) -> None:
    rows = [record(k, "甲", A, "1980-01-01") for k in range(2)]
    records = frame(rows).with_columns(name=pl.Series(names, dtype=pl.String))
    assert prepare_records(records)["name"].to_list() == expected


def test_an_untouched_text_column_keeps_its_values_and_type() -> None:
    records = frame([record(0, "张伟", A, "1980-01-01"), record(1, "李四", None, None)])
    rec = prepare_records(records)
    for column in ("name", "id_number", "village_code"):
        assert rec[column].dtype == pl.String
        assert rec[column].to_list() == records[column].to_list()


def test_one_row_lists_are_categories_hashed_as_their_text() -> None:
    rows = [record(0, "张伟", A, "1980-01-01", extract="poverty_roster"),
            record(1, "李四", None, None, extract="settlement")]
    rec = prepare_records(frame(rows))
    assert rec["one_list"].dtype == pl.Categorical
    assert rec["one_list"][1] is None  # settlements list a person more than once
    text = rec["one_list"].cast(pl.String)
    assert text[0].startswith("poverty_roster|")
    assert (one_list_hash(rec) == text.hash(seed=3).to_numpy()).all()


@pytest.mark.parametrize("extracts", [
    [],
    ["poverty_roster"],
    ["poverty_roster", "poverty_roster", "settlement", "poverty_roster", "enrolment"],
    ["settlement", "enrolment", "enrolment", "settlement", "settlement"],
])
def test_one_row_lists_worked_out_per_run_are_each_records_own(extracts: list) -> None:
    """The lists are worked out once per run of rows of one (extract, file, sheet) and
    gathered: the same as per record, whatever the runs (a list that comes back later)."""
    rows = [record(k, "张伟", A, "1980-01-01", extract=e) for k, e in enumerate(extracts)]
    records = frame(rows) if rows else frame([record(0, "张伟", A, "1980-01-01")]).head(0)
    rec = prepare_records(records)
    one_row = pl.col("extract").is_in(ONE_ROW_EXTRACTS)
    listed = pl.concat_str("extract", "source_file", "sheet", separator="|")
    expected = records.select(multi_row=~one_row, one_list=pl.when(one_row).then(listed))
    assert rec["multi_row"].to_list() == expected["multi_row"].to_list()
    assert rec["one_list"].dtype == pl.Categorical
    assert rec["one_list"].cast(pl.String).to_list() == expected["one_list"].to_list()
