"""The village clinic list: recognised like the region table, placed in villages, counted."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest import ingest_landing

REGIONS = (
    "区划代码,名称,级别,上级代码,曾用名\n"
    "411421000000,某县,县,,\n411421101000,城关镇,乡镇,411421000000,\n"
    "411421102000,李庄乡,乡镇,411421000000,\n411421101001,虹光村民委员会,村,411421101000,红光村\n"
    "411421102001,东风村民委员会,村,411421102000,\n411421102002,西湖村民委员会,村,411421102000,\n"
)
ROSTER = ("户编号,姓名,身份证号,与户主关系,人口类型,乡镇,行政村\n"
          "H1,张三,,户主,脱贫人口,城关镇,虹光村\n")


@pytest.mark.parametrize(
    ("clinic_csv", "counts", "quarantined"),
    [
        pytest.param("村卫生室名称,乡镇,行政村,机构代码\n虹光村卫生室,城关镇,虹光村,A1\n"
                     "东风卫生室,李庄乡,东风,A2\n东风村第二卫生室,李庄乡,东风村委会,A3\n",
                     {"411421101001": 1, "411421102001": 2, "411421102002": 0}, [],
                     id="village column"),
        pytest.param("卫生室名称,托管医院\n红光村卫生室,城关镇卫生院\n西湖村卫生室,李庄乡卫生院\n",
                     {"411421101001": 1, "411421102001": 0, "411421102002": 1}, [],
                     id="village from the clinic name, a former name too"),
        pytest.param("村卫生室名称,行政村\n虹光村卫生室,虹光村\n月亮村卫生室,月亮村\n,东风村\n合计,2\n",
                     {"411421101001": 1, "411421102001": 0, "411421102002": 0},
                     ["village_unresolved", "clinic_name_missing", "totals_row"],
                     id="unresolved, nameless and totals rows quarantined"),
    ],
)
def test_clinic_list_counts_per_village(tmp_path: Path, clinic_csv: str, counts: dict,
                                        quarantined: list[str]) -> None:
    (tmp_path / "行政区划.csv").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "扶贫.csv").write_text(ROSTER, encoding="utf-8")
    (tmp_path / "村医.csv").write_text(clinic_csv, encoding="utf-8")
    ingested = ingest_landing(tmp_path)
    got = dict(ingested.regions.filter(pl.col("level") == "village")
               .select("code", "clinics").iter_rows())
    assert got == counts
    assert ingested.regions.filter(pl.col("level") != "village")["clinics"].is_null().all()
    q = ingested.quarantine.filter(pl.col("source_file") == "村医.csv")
    assert sorted(q["check"]) == sorted(quarantined)
    acc = ingested.accounting.filter(pl.col("source_file") == "村医.csv").row(0, named=True)
    assert acc["extract"] == "village_clinic"
    assert acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]
    assert acc["rows_accepted"] == ingested.clinics.height
    rec = ingested.recognition.filter(pl.col("source_file") == "村医.csv")
    assert "clinic_name" in rec["field"].to_list()


def test_without_a_clinic_list_regions_have_no_clinic_column(tmp_path: Path) -> None:
    (tmp_path / "行政区划.csv").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "扶贫.csv").write_text(ROSTER, encoding="utf-8")
    ingested = ingest_landing(tmp_path)
    assert "clinics" not in ingested.regions.columns
    assert ingested.clinics is None
