"""The demo county through ingest: no row lost, each kind of dirt repaired, flagged or
quarantined under the check it calls for, and clean rows left without field issues."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest import person_records

sys.path.insert(0, str(Path(__file__).parent))
from demo_fixtures import DEMO_SEEDS

KEY = ["source_file", "sheet", "row_number"]
# dirt kind -> the checks that may name it (a typo or swap inside the birth digits can make
# an impossible date, in the first two a region that is no province, and at the end a
# number ending in 000, each reported before the checksum)
DAMAGED = {"id_checksum", "id_birth_date", "id_region", "id_excel_rounded"}
FLAG_CHECKS = {
    "id_typo": DAMAGED,
    "id_swap": DAMAGED,
    "id_scientific": {"id_excel_scientific"},
    "id_missing": {"id_missing"},
    "infant_no_id": {"id_missing"},
}
QUARANTINE_CHECKS = {"blank_row": "blank_row", "totals_row": "totals_row",
                     "unusable_row": "no_identity"}
# field in dirt.csv -> (field_issue column, person_records column, truth column)
REPAIRED = {"id_number": ("id_number", "id_number", "id_number"),
            "name": ("name", "name", "name"),
            "village": ("village", "village_code", "village_code")}


def _truth(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64))


@pytest.fixture(scope="module", params=DEMO_SEEDS, ids=lambda s: f"seed{s}")
def county(request: pytest.FixtureRequest, demo_county):
    """The shared county of the seed (tests/pipelines/conftest.py), ingested, and its dirt."""
    shared = demo_county(request.param)
    dirt = _truth(shared.out / "truth" / "dirt.csv")
    assert dirt.height > 0
    return shared.out, shared.ingested, dirt


def test_no_row_lost_or_invented(county) -> None:
    out, ingested, _ = county
    truth = _truth(out / "truth" / "records.csv")
    seen = pl.concat([person_records(ingested.tables).select(KEY), ingested.quarantine.select(KEY)])
    assert seen.height == truth.height
    assert truth.join(seen, on=KEY, how="anti").height == 0
    acc = ingested.accounting
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()


def test_flagged_dirt_names_the_expected_check(county) -> None:
    _, ingested, dirt = county
    flagged = dirt.filter(pl.col("expect") == "flagged")
    assert set(flagged["kind"]) <= set(FLAG_CHECKS), "a new dirt kind needs its check here"
    got = flagged.join(ingested.field_issue.rename({"column": "field"}),
                       on=[*KEY, "field"], how="left")
    for kind, checks in FLAG_CHECKS.items():
        rows = got.filter(pl.col("kind") == kind)
        per_row = rows.group_by(KEY).agg(pl.col("check").drop_nulls())
        bad = per_row.filter(~pl.col("check").list.eval(pl.element().is_in(checks)).list.any())
        assert bad.height == 0, (kind, bad)


def test_quarantined_dirt_under_its_check(county) -> None:
    _, ingested, dirt = county
    wanted = dirt.filter(pl.col("expect") == "quarantined").with_columns(
        pl.col("kind").replace_strict(QUARANTINE_CHECKS).alias("check"))
    missing = wanted.join(ingested.quarantine, on=[*KEY, "check"], how="anti")
    assert missing.height == 0, missing


def test_repaired_dirt_matches_truth_without_issue(county) -> None:
    out, ingested, dirt = county
    truth = _truth(out / "truth" / "records.csv").join(
        pl.read_csv(out / "truth" / "persons.csv", infer_schema=False), on="person_key")
    recs = person_records(ingested.tables).join(truth, on=KEY, suffix="_true")
    repaired = dirt.filter(pl.col("expect") == "repaired")
    for field, (issue_col, col, true_col) in REPAIRED.items():
        rows = repaired.filter(pl.col("field") == field).select(*KEY, "kind")
        assert rows.height > 0, field
        got = rows.join(recs, on=KEY, how="left")
        value, true = pl.col(col), pl.col(f"{true_col}_true")
        if field == "name":  # a file that cannot hold the dot drops it: nothing to put back
            dotless = pl.col("kind") == "name_dot"
            value = pl.when(dotless).then(value.str.replace_all("·", "")).otherwise(value)
            true = pl.when(dotless).then(true.str.replace_all("·", "")).otherwise(true)
        wrong = got.filter(value.ne_missing(true))
        assert wrong.height == 0, (field, wrong.select(*KEY, "kind", col, f"{true_col}_true"))
        issues = ingested.field_issue.filter(pl.col("column") == issue_col)
        flagged = rows.join(issues, on=KEY, how="inner")
        assert flagged.height == 0, (field, flagged)


def test_clean_rows_have_no_id_name_or_village_issue(county) -> None:
    _, ingested, dirt = county
    issues = ingested.field_issue.filter(pl.col("column").is_in(["id_number", "name", "village"]))
    # a real number ending in 000 cannot be told from one Excel rounded: flagged, by design
    genuine_000 = (pl.col("check") == "id_excel_rounded") & pl.col("value_masked").str.ends_with(
        "000")
    stray = issues.filter(~genuine_000).join(dirt, on=KEY, how="anti")
    assert stray.height == 0, stray.select(*KEY, "column", "check")
    assert person_records(ingested.tables).join(dirt, on=KEY, how="anti").height > 0


def test_valid_ids_match_truth(county) -> None:
    out, ingested, dirt = county
    truth = _truth(out / "truth" / "records.csv").join(
        pl.read_csv(out / "truth" / "persons.csv", infer_schema=False), on="person_key")
    recs = person_records(ingested.tables).join(truth, on=KEY, suffix="_true")
    valid = recs.filter(pl.col("id_valid"))
    assert (valid["id_number"] == valid["id_number_true"]).all()
    # settlements carry no village; a blanked village (village_blank) has nothing to resolve
    blank = dirt.filter(pl.col("kind") == "village_blank").select(KEY)
    placed = recs.filter(pl.col("extract") != "settlement").join(blank, on=KEY, how="anti")
    assert placed["village_code"].is_not_null().mean() > 0.99
    assert recs.filter(pl.col("extract") == "settlement")["village_code"].is_null().all()
