"""A landing folder as a county really has it: the bureau's region table, a legacy .xls, a
semicolon file, a UTF-16 tab file, official committee names, a damaged and an unknown file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest
import xlwt

from pipelines.ingest import ingest_landing

AS_OF = dt.date(2026, 10, 15)
NBS = ("统计用区划代码,城乡分类代码,名称\n"
       "410000000000,,河南省\n411400000000,,商丘市\n411421000000,,民权县\n"
       "411421001000,,城关街道办事处\n411421001001,111,东关社区居民委员会\n"
       "411421102000,,槐店回族乡\n411421102001,121,水口居委会\n411421102208,220,水口村委会\n"
       "411421102203,220,张村村民委员会\n4.11421E+11,220,坏代码村民委员会\n")
ID_A, ID_B = "11010519491231002X", "110105194912310011"


def _xls(path: Path) -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("监测对象")
    ws.write_merge(0, 0, 0, 5, "防返贫动态监测对象名单")
    header = ["户编号", "姓名", "证件号码", "与户主关系", "人口类型", "乡镇", "行政村"]
    for j, h in enumerate(header):
        ws.write(1, j, h)
    ws.write_merge(2, 3, 0, 0, "H001")
    rows = [["甲", ID_A, "户主", "脱贫人口", "槐店回族乡人民政府", "张村村委会"],
            ["乙", ID_B, "配偶", "脱贫人口", "槐店乡", "水口居委会"]]
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            ws.write(2 + i, 1 + j, v)
    wb.save(str(path))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory):
    landing = tmp_path_factory.mktemp("real")
    (landing / "统计用区划代码.csv").write_bytes(("民权县统计用区划代码\n" + NBS).encode("gbk"))
    _xls(landing / "扶贫办_监测对象.xls")
    (landing / "民政_死亡.csv").write_text(
        "姓名;身份证号;死亡日期;村(社区)\n"
        f"丙;{ID_A};2026年1月5日;东关社区居委会\n丁;{ID_B};20-01-05;水口\n"
        f"戊;{ID_B};2020;水口村\n", encoding="utf-8")
    (landing / "医保_结算.txt").write_bytes((
        "\ufeff参保人姓名\t公民身份号码\t入院日期\t医疗总费用\n"
        f"己\t{ID_A}\t43835.5\tinf\n庚\t{ID_B}\t2020-01-05\t1e12\n"
        f"辛\t410103196810314000\t2020-01-05\t12.5\n").encode("utf-16-le"))
    (landing / "坏表.xlsx").write_bytes(b"PK\x03\x04broken " + ID_A.encode())
    (landing / "说明.csv").write_text(f"这不是数据表\n{ID_A}\n", encoding="utf-8")
    return ingest_landing(landing, as_of=AS_OF)


def test_every_file_read_or_named(ingested) -> None:
    files = dict(ingested.files.select("source_file", "extract").iter_rows())
    assert files == {"统计用区划代码.csv": "regions", "扶贫办_监测对象.xls": "poverty_roster",
                     "民政_死亡.csv": "death", "医保_结算.txt": "settlement",
                     "坏表.xlsx": "unreadable", "说明.csv": "unrecognised"}
    bad = dict(ingested.unrecognised.select("source_file", "check").iter_rows())
    assert bad == {"坏表.xlsx": "file_unreadable", "说明.csv": "sheet_unrecognised"}
    acc = ingested.accounting
    assert (acc["rows_read"] == acc["rows_accepted"] + acc["rows_quarantined"]).all()


def test_no_full_id_anywhere_a_person_reads(ingested) -> None:
    text = " ".join([*ingested.unrecognised["reason"].to_list(),
                     *ingested.quarantine["value_masked"].drop_nulls().to_list(),
                     *ingested.field_issue["value_masked"].drop_nulls().to_list()])
    assert not re.search(r"\d{15,}", text)


def test_bureau_region_table(ingested) -> None:
    assert dict(ingested.regions.group_by("level").len().iter_rows()) == {
        "county": 1, "township": 2, "village": 4}
    aside = dict(ingested.quarantine.filter(pl.col("source_file") == "统计用区划代码.csv")
                 .select("row_number", "check").iter_rows())
    assert aside == {3: "region_above_county", 4: "region_above_county",
                     12: "code_12_digits"}


def test_official_and_department_forms_resolve(ingested) -> None:
    roster = ingested.tables["poverty_roster"]
    assert roster.select("household_id", "village_code").rows() == [
        ("H001", "411421102203"), ("H001", "411421102001")]
    death = ingested.tables["death"]
    assert death["village_code"].to_list() == ["411421001001", None, "411421102208"]


def test_dates_money_and_ids_flagged(ingested) -> None:
    checks = set(ingested.field_issue.select("source_file", "row_number", "check").iter_rows())
    assert {("民政_死亡.csv", 3, "date_two_digit_year"), ("民政_死亡.csv", 3, "village_ambiguous"),
            ("民政_死亡.csv", 4, "date_incomplete"), ("医保_结算.txt", 2, "money_not_finite"),
            ("医保_结算.txt", 3, "money_implausible"),
            ("医保_结算.txt", 4, "id_excel_rounded")} <= checks
    settle = ingested.tables["settlement"]
    assert settle["total_cost"].to_list() == [None, None, 12.5]
    assert settle["admission_date"].to_list() == [dt.date(2020, 1, 5)] * 3
    assert settle["id_valid"].to_list() == [True, True, False]
    assert ingested.tables["death"]["death_date"].to_list() == [dt.date(2026, 1, 5), None, None]
