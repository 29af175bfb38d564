"""The demo county through ingest: no row lost, dirt repaired, flagged or quarantined as told."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest import ingest_landing, person_records

demo = pytest.importorskip("pipelines.demo")
KEY = ["source_file", "sheet", "row_number"]


def _truth(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64))


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("demo")
    demo.generate_county(2000, 1, out)
    ingested = ingest_landing(out / "landing")
    return out, ingested


def test_no_row_lost_or_invented(county) -> None:
    out, ingested = county
    truth = _truth(out / "truth" / "records.csv")
    seen = pl.concat([person_records(ingested).select(KEY), ingested.quarantine.select(KEY)])
    assert seen.height == truth.height
    assert truth.join(seen, on=KEY, how="anti").height == 0
    acc = ingested.accounting
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()


def test_dirt_treated_as_expected(county) -> None:
    out, ingested = county
    dirt = _truth(out / "truth" / "dirt.csv")
    quarantined = ingested.quarantine.select(KEY).unique().with_columns(pl.lit(True).alias("q"))
    flagged = ingested.field_issue.select(KEY).unique().with_columns(pl.lit(True).alias("f"))
    got = dirt.join(quarantined, on=KEY, how="left").join(flagged, on=KEY, how="left")
    wrong_q = got.filter((pl.col("expect") == "quarantined") & pl.col("q").is_null())
    wrong_f = got.filter((pl.col("expect") == "flagged") & pl.col("f").is_null())
    assert wrong_q.height == 0, wrong_q
    assert wrong_f.height == 0, wrong_f


def test_repaired_ids_and_villages_match_truth(county) -> None:
    out, ingested = county
    truth = _truth(out / "truth" / "records.csv").join(
        pl.read_csv(out / "truth" / "persons.csv", infer_schema=False), on="person_key")
    recs = person_records(ingested).join(truth, on=KEY, suffix="_true")
    valid = recs.filter(pl.col("id_valid"))
    assert (valid["id_number"] == valid["id_number_true"]).all()
    assert recs["village_code"].is_not_null().mean() > 0.99
