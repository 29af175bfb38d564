"""End to end: a handmade landing folder through ingest_landing and person_records."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines.domain.extracts import EXTRACTS
from pipelines.ingest import ingest_landing, person_records
from schemas.canonical import COMMON_COLUMNS, table_schema

REGIONS = (
    "区划代码,名称,级别,上级代码,曾用名\n"
    "411421000000,某县,县,,\n411421101000,城关镇,乡镇,411421000000,\n"
    "411421102000,李庄乡,乡镇,411421000000,\n411421101001,虹光村,村,411421101000,红光村\n"
    "411421102001,虹光村,村,411421102000,\n411421102002,东风村,村,411421102000,\n"
)
POVERTY = [
    "户编号,户主姓名,姓名,身份证号,与户主关系,人口类型,乡镇,行政村,风险是否消除",
    "H001,张三,张三,11010519491231002X,户主,脱贫人口,城关镇,虹光村委会,是",
    "H001,张三,李 四,110105194912310021,配偶,脱贫人口,城关镇,红光村,否",
    "",
    "H002,陳五,陳五,4.11421E+17,户主,监测对象,李庄乡,虹光村,",
    "H003,,,,子女,监测对象,李庄乡,东风村,",
    "H004,赵八,,110105491231001,户主,监测对象,李庄乡,不存在村,",
    "合计,,,,,,,,",
]


def write_landing(root: Path) -> Path:
    """A small county: every encoding, a workbook with title/totals rows, messy headers."""
    landing = root / "landing"
    landing.mkdir()
    (landing / "行政区划.csv").write_text(REGIONS, encoding="utf-8")
    (landing / "扶贫.csv").write_bytes(("\n".join(POVERTY) + "\n").encode("gbk"))
    wb = xlsxwriter.Workbook(str(landing / "卫健委报表.xlsx"))
    ws = wb.add_worksheet("家庭医生签约")
    ws.merge_range(0, 0, 0, 3, "家庭医生签约名单")
    ws.write_row(1, 0, ["姓 名", "身份证号码", "签约日期", "村委会"])
    ws.write_row(2, 0, ["王五", "11010519491231002x", "2020年1月5日", "东风村"])
    ws.write_row(3, 0, ["赵六", "110105491231002", "43835", "东风"])
    ws.write_row(4, 0, ["钱七", None, "2020/13/40", "东风村"])
    ws.write_number(4, 1, 110105194912310021)
    ws2 = wb.add_worksheet("大病专项救治台账")
    ws2.write_row(0, 0, ["患者姓名", "证件号码", "病种", "救治状态"])
    ws2.write_row(1, 0, ["孙七", "11010519491231002X", "胃癌", "救治中"])
    ws2.write_row(2, 0, ["合 计", "", "1", ""])
    wb.close()
    (landing / "民政救助.csv").write_bytes(
        "\ufeff救助对象姓名,身份证号,救助类别\n周九,11010519491231002X,低保\n".encode())
    (landing / "医保结算.csv").write_bytes(
        "参保人姓名,公民身份号码,入院时间,医疗总费用,一站式结算\n"
        "吴十,11010519491231002X,2020-01-05,\"1,234.5\",是\n"
        "郑𠀀,11010519491231002X,2020-01-05,abc,不知道\n".encode("gb18030"))
    (landing / "decisions.csv").write_text("record_id_l,record_id_r\n", encoding="utf-8")
    (landing / "readme.txt").write_text("not data", encoding="utf-8")
    return landing


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory):
    return ingest_landing(write_landing(tmp_path_factory.mktemp("county")))


def test_every_row_accounted(ingested) -> None:
    acc = ingested.accounting
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()
    q = ingested.quarantine.group_by("source_file", "sheet").len()
    joined = acc.join(q, on=["source_file", "sheet"], how="left").with_columns(
        pl.col("len").fill_null(0))
    assert (joined["len"] == joined["rows_quarantined"]).all()
    recs = person_records(ingested.tables)
    per_file = recs.group_by("source_file", "sheet").len()
    joined = acc.filter(pl.col("extract") != "regions").join(
        per_file, on=["source_file", "sheet"], how="left").with_columns(pl.col("len").fill_null(0))
    assert (joined["len"] == joined["rows_accepted"]).all()
    row = acc.filter(pl.col("source_file") == "扶贫.csv").row(0, named=True)
    assert (row["rows_read"], row["rows_accepted"], row["rows_quarantined"]) == (7, 4, 3)


def test_files_encodings_and_extracts(ingested) -> None:
    files = {(r["source_file"], r["sheet"]): (r["extract"], r["encoding"])
             for r in ingested.files.iter_rows(named=True)}
    assert files == {
        ("行政区划.csv", ""): ("regions", "utf-8"),
        ("扶贫.csv", ""): ("poverty_roster", "gbk"),
        ("卫健委报表.xlsx", "家庭医生签约"): ("doctor_contract", "xlsx"),
        ("卫健委报表.xlsx", "大病专项救治台账"): ("illness_ledger", "xlsx"),
        ("民政救助.csv", ""): ("assistance", "utf-8-sig"),
        ("医保结算.csv", ""): ("settlement", "gb18030"),
        ("readme.txt", ""): ("unrecognised", "utf-8"),
    }


def test_a_file_that_is_no_extract_is_set_aside_whole_and_named(ingested) -> None:
    row = ingested.unrecognised.row(0, named=True)
    assert ingested.unrecognised.height == 1
    assert (row["source_file"], row["check"], row["rows_read"]) == (
        "readme.txt", "sheet_unrecognised", 1)
    assert "no header row" in row["reason"]
    q = ingested.quarantine.filter(pl.col("source_file") == "readme.txt")
    assert q.select("row_number", "check").rows() == [(1, "sheet_unrecognised")]


def test_quarantine_reasons_and_row_numbers(ingested) -> None:
    q = {(r["source_file"], r["row_number"]): r["check"]
         for r in ingested.quarantine.iter_rows(named=True)}
    assert q == {
        ("readme.txt", 1): "sheet_unrecognised",
        ("扶贫.csv", 4): "blank_row",
        ("扶贫.csv", 6): "no_identity",
        ("扶贫.csv", 8): "totals_row",
        ("卫健委报表.xlsx", 3): "totals_row",
    }
    assert ingested.quarantine["reason"].is_not_null().all()


def test_bad_fields_flagged_rows_kept(ingested) -> None:
    issues = {(r["record_id"], r["check"]) for r in ingested.field_issue.iter_rows(named=True)}
    assert ("扶贫.csv||3", "id_checksum") in issues
    assert ("扶贫.csv||5", "id_excel_scientific") in issues
    assert ("扶贫.csv||7", "name_missing") in issues
    assert ("扶贫.csv||7", "village_unresolved") in issues
    assert ("卫健委报表.xlsx|家庭医生签约|5", "id_excel_scientific") in issues
    assert ("卫健委报表.xlsx|家庭医生签约|5", "date_unparseable") in issues
    assert ("医保结算.csv||3", "money_unparseable") in issues
    assert ("医保结算.csv||3", "bool_unparseable") in issues
    poverty = ingested.tables["poverty_roster"]
    row = poverty.filter(pl.col("row_number") == 3).row(0, named=True)
    assert (row["id_number"], row["id_valid"], row["name"]) == ("110105194912310021", False, "李四")


def test_no_full_id_in_issue_or_quarantine_values(ingested) -> None:
    values = pl.concat([ingested.field_issue["value_masked"],
                        ingested.quarantine["value_masked"]]).drop_nulls().to_list()
    assert values
    assert not any(re.search(r"\d{15,}", v) for v in values)


def test_tables_typed_and_complete(ingested) -> None:
    assert set(ingested.tables) == set(EXTRACTS)
    for name, table in ingested.tables.items():
        assert dict(table.schema) == table_schema(name), name
    assert ingested.tables["death"].height == 0
    contract = ingested.tables["doctor_contract"]
    assert contract["contract_date"].to_list() == [dt.date(2020, 1, 5)] * 2 + [None]
    assert contract["id_number"].to_list()[:2] == ["11010519491231002X"] * 2
    assert contract["village_code"].to_list() == ["411421102002"] * 3
    settle = ingested.tables["settlement"]
    assert settle["total_cost"].to_list() == [1234.5, None]
    assert settle["one_stop"].to_list() == [True, None]
    assert ingested.tables["poverty_roster"]["name"].to_list() == ["张三", "李四", "陈五", None]


def test_person_records_contract(ingested) -> None:
    recs = person_records(ingested.tables)
    assert recs.columns == list(COMMON_COLUMNS)
    assert recs["record_id"].is_unique().all()
    assert recs.height == ingested.accounting.filter(
        pl.col("extract") != "regions")["rows_accepted"].sum()
    row = recs.filter(pl.col("record_id") == "扶贫.csv||2").row(0, named=True)
    assert row["village_code"] == "411421101001"
    assert row["township_code"] == "411421101000"
    assert row["sex"] == "女"
    assert row["birth_date"] == dt.date(1949, 12, 31)
    assert set(ingested.regions.columns) == {"code", "name", "level", "parent_code",
                                             "township_code", "former_name"}


def test_mapping_file_in_landing_is_used(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "死亡.csv").write_text("姓名,身份号,死亡日期\n甲,11010519491231002X,2020-01-05\n",
                                    encoding="utf-8")
    unmapped = ingest_landing(landing)
    row = unmapped.unrecognised.row(0, named=True)
    assert (row["source_file"], row["check"]) == ("死亡.csv", "sheet_unrecognised")
    assert re.search(r"id_number.*身份号", row["reason"])
    assert "身份号" in row["closest"]
    assert unmapped.accounting.select("rows_read", "rows_quarantined").row(0) == (2, 2)
    (landing / "sanji_mapping.yaml").write_text("death:\n  id_number: [身份号]\n",
                                                encoding="utf-8")
    out = ingest_landing(landing)
    assert out.tables["death"]["id_valid"].to_list() == [True]
    assert out.tables["death"]["village_code"].to_list() == [None]


def test_empty_landing_gives_empty_typed_tables(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    out = ingest_landing(tmp_path)
    assert all(t.height == 0 for t in out.tables.values())
    assert dict(out.tables["settlement"].schema) == table_schema("settlement")
    assert out.regions.height == 0
    # the empty file is named, not silently dropped
    assert out.unrecognised.select("source_file", "check").rows() == [("empty.csv", "file_empty")]
    assert out.accounting.select("extract", "rows_read").rows() == [("empty", 0)]
    assert out.files["source_file"].to_list() == ["empty.csv"]
    assert person_records(out.tables).columns == list(COMMON_COLUMNS)


def test_without_region_table_villages_are_flagged_not_dropped(tmp_path: Path) -> None:
    text = "姓名,身份证号,死亡日期,村\n甲,11010519491231002X,2020-01-05,东风村\n"
    (tmp_path / "d.csv").write_text(text, encoding="utf-8")
    out = ingest_landing(tmp_path)
    assert out.tables["death"]["village_raw"].to_list() == ["东风村"]
    assert out.field_issue["check"].to_list() == ["village_unresolved"]


def test_schema_error_lists_column_failures_without_ids() -> None:
    from pipelines.ingest.issues import schema_issues as _schema_issues

    schema = table_schema("death")
    row = {c: None for c in schema} | {
        "record_id": "d.csv||2", "source_file": "d.csv", "sheet": "", "row_number": 2,
        "extract": "death", "department": "civil", "name": "甲",
        "id_number": "110105194912310021", "id_valid": True,  # fails its checksum
    }
    table = pl.DataFrame([row], schema=schema).drop("death_date")
    with pytest.raises(ValueError, match="death_date") as err:
        _schema_issues(table, "death")
    assert not re.search(r"[0-9]{15}", str(err.value))


def test_file_whose_rows_have_no_name_or_id_quarantines_each_row(tmp_path: Path) -> None:
    text = "姓名,身份证号,死亡日期\n,,2020-01-05\n\n,,2020-02-05\n\n"
    (tmp_path / "死亡.csv").write_text(text, encoding="utf-8")
    out = ingest_landing(tmp_path)
    assert out.tables["death"].height == 0
    # a blank row between rows is quarantined; blank lines after the last row are no rows
    assert sorted(out.quarantine.select("row_number", "check").rows()) == [
        (2, "no_identity"), (3, "blank_row"), (4, "no_identity")]
    (tmp_path / "死亡.csv").write_text("姓名,身份证号,死亡日期\n\n,,\n", encoding="utf-8")
    out = ingest_landing(tmp_path)  # only blank rows: nothing to identify, nothing wrong
    assert out.quarantine.height == 0
    assert out.accounting.select("rows_read", "rows_accepted").row(0) == (0, 0)
