"""``sanji check``: a deliberately broken landing folder reported completely in one pass, and
the proposed mapping that, once reviewed, makes the next check clean."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from pipelines.check import check_landing, report_text, run_check
from pipelines.mapping import HeaderMapping
from pipelines.proposal import PROPOSED_FILE, guess_code, proposal_path, write_proposal

FULL_ID = "41010319900101123X"
REGIONS = (
    "区划代码,名称,级别,上级代码,曾用名\n"
    "411421000000,某县,县,,\n411421101000,城关镇,乡镇,411421000000,\n"
    "411421101001,虹光村民委员会,村,411421101000,\n"
)
BROKEN = {
    # an unseen ID header (inferred), a column nobody reads, unknown values, a bad village
    "扶贫.csv": "户编号,姓名,成员身份证(新),与户主关系,人口类型,致贫原因,乡镇,行政村,备用列\n"
               f"H1,张三,{FULL_ID},户主,脱贫人口,\"因病,因赌\",城关镇,虹光村,x\n"
               "H1,李四,110105194912310021,表弟,低保户,因残,城关镇,不存在村,y\n",
    # an unseen money header (inferred), a money column of a kind not read, a bad date
    "医保结算.csv": "姓名,身份证号,入院日期,住院医疗费用总计(元),个人账户支付金额\n"
                   f"王五,{FULL_ID},2020/13/40,100,5\n",
    # unknown enrolment status words
    "参保.csv": "姓名,身份证号,参保状态\n"
               f"赵六,{FULL_ID},正常在保\n钱七,110105194912310021,正常在保\n",
    # no extract fits, and a file that is no workbook at all
    "杂项.csv": "编号,姓名,备注\n1,甲,x\n",
    "坏.xlsx": "not a workbook",
}


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    (tmp_path / "行政区划.csv").write_text(REGIONS, encoding="utf-8")
    for name, text in BROKEN.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_everything_reported_in_one_pass(landing: Path) -> None:
    report = check_landing(landing)
    assert set(report.unrecognised.select("source_file", "check").iter_rows()) == {
        ("杂项.csv", "sheet_unrecognised"), ("坏.xlsx", "file_unreadable")}
    rec = report.recognition
    inferred = set(rec.filter(pl.col("how") == "inferred").select("header", "field").iter_rows())
    assert inferred == {("成员身份证(新)", "id_number"), ("住院医疗费用总计(元)", "total_cost")}
    unmapped = set(rec.filter(pl.col("how") == "unmapped")["header"])
    assert unmapped == {"备用列", "个人账户支付金额"}
    values = set(report.values.select("field", "value", "rows").iter_rows())
    assert values == {("relation", "表弟", 1), ("population_type", "低保户", 1),
                      ("risk_cause", "因赌", 1), ("enrol_status", "正常在保", 2)}
    assert report.places.select("value", "rows").rows() == [("不存在村", 1)]
    rejected = set(report.rejected.select("field", "check").iter_rows())
    assert ("admission_date", "date_unparseable") in rejected
    assert report.problems == 2 + 2 + 4 + 1


def test_report_text_names_every_section_and_masks_ids(landing: Path) -> None:
    text = report_text(check_landing(landing))
    for part in ("id_number ← 成员身份证(新) (inferred", "not read, unmapped: 备用列",
                 "杂项.csv", "坏.xlsx", "'正常在保' ×2", "'不存在村' ×1", "date_unparseable",
                 "enrolment.enrol_status (enrolment_status)"):
        assert part in text, part
    assert FULL_ID not in text
    assert not re.search(r"\d{17}[\dX]", text)


def test_proposal_loads_keeps_inferred_headers_and_comments_guesses(landing: Path) -> None:
    report = check_landing(landing)
    path = write_proposal(report)
    assert path == landing / "sanji_mapping.yaml"
    text = path.read_text(encoding="utf-8")
    mapping = HeaderMapping.from_yaml(path)
    assert mapping.extra["poverty_roster"]["id_number"] == ["成员身份证(新)"]
    assert mapping.extra["settlement"]["total_cost"] == ["住院医疗费用总计(元)"]
    assert mapping.values == {}  # guesses are commented out until a steward agrees
    assert '# 参保缴费: ["正常在保"]  # unknown, 2 rows in 1 file(s); contains' in text
    assert '# <extract>: ' not in text or '"杂项.csv"' in text
    assert FULL_ID not in text


def test_reviewed_proposal_makes_the_next_check_clean_of_those_problems(landing: Path) -> None:
    path = write_proposal(check_landing(landing))
    reviewed = path.read_text(encoding="utf-8").replace(
        '    # 参保缴费: ["正常在保"]', '    参保缴费: ["正常在保"]')
    path.write_text(reviewed, encoding="utf-8")
    again = check_landing(landing)
    assert "正常在保" not in set(again.values["value"])
    hows = dict(again.recognition.drop_nulls("header").select("header", "how").iter_rows())
    assert hows["成员身份证(新)"] == "steward"
    assert again.problems < check_landing(landing, HeaderMapping()).problems


def test_steward_mapping_never_overwritten_without_force(landing: Path) -> None:
    steward = landing / "sanji_mapping.yaml"
    steward.write_text("pin:\n  \"杂项.csv\": death\n", encoding="utf-8")
    report = check_landing(landing)
    assert proposal_path(landing) == landing / PROPOSED_FILE
    write_proposal(report)
    assert steward.read_text(encoding="utf-8") == "pin:\n  \"杂项.csv\": death\n"
    proposed = HeaderMapping.from_yaml(landing / PROPOSED_FILE)
    assert proposed.pin == {"杂项.csv": "death"}  # the steward's own lines are kept
    with pytest.raises(FileExistsError):
        proposal_path(landing, out=steward)
    assert write_proposal(report, force=True) == steward


def test_broken_steward_mapping_is_reported_not_fatal(landing: Path) -> None:
    (landing / "sanji_mapping.yaml").write_text("nonsense:\n  name: [x]\n", encoding="utf-8")
    report = check_landing(landing)
    assert "unknown extract 'nonsense'" in report.mapping_error
    assert report.recognition.height > 0


def test_run_check_exit_code_and_clean_folder(landing: Path, tmp_path_factory) -> None:
    lines: list[str] = []
    assert run_check(landing, echo=lines.append) == 1
    assert "proposed mapping written to" in lines[0]
    clean = tmp_path_factory.mktemp("clean")
    (clean / "行政区划.csv").write_text(REGIONS, encoding="utf-8")
    (clean / "参保.csv").write_text(f"姓名,身份证号,参保状态\n赵六,{FULL_ID},正常参保\n",
                                    encoding="utf-8")
    assert run_check(clean, echo=lines.append) == 0
    assert not (clean / "sanji_mapping.yaml").exists()


@pytest.mark.parametrize(
    ("code_list", "value", "expected"),
    [("enrolment_status", "正常在保", "参保缴费"), ("risk_cause", "因病返贫户", "因病"),
     ("treatment_status", "正在治疗中", "救治中"), ("relation_to_head", "表弟", None),
     ("risk_cause", "因赌", None)],
)
def test_value_guesses(code_list: str, value: str, expected: str | None) -> None:
    guess = guess_code(code_list, value)
    assert (guess[0] if guess else None) == expected


def test_rows_set_aside_counts_data_rows_not_lines(tmp_path: Path) -> None:
    (tmp_path / "行政区划.csv").write_text(REGIONS, encoding="utf-8")
    (tmp_path / "参保.csv").write_text(  # two title lines, records spanning lines, a totals row
        "城乡居民参保名单\n制表日期 2026-10\n姓名,身份证号,参保状态,乡镇\n"
        f'"赵\n六",{FULL_ID},参保缴费,城关镇\n'
        ",,参保缴费,\n"
        ',123,"参保\n缴费",\n'
        ",,,城关镇\n"
        "孙八,,参保缴费,\n"
        "合计,3,,\n", encoding="utf-8")
    report = check_landing(tmp_path)
    quarantined = int(report.accounting["rows_quarantined"].sum())
    assert quarantined == 4 and report.rows_set_aside == quarantined
    assert dict(report.set_aside.select("check", "rows").iter_rows()) == {
        "no_identity": 3, "totals_row": 1}
    text = report_text(report)
    assert "== rows set aside: 4 rows" in text  # the rows, not the report's 2 lines


def test_a_row_caught_twice_is_one_row_set_aside() -> None:
    from pipelines.check import _distinct_rows, rows_set_aside

    q = pl.DataFrame({"source_file": ["a.csv"] * 4 + ["b.csv"], "sheet": [""] * 5,
                      "row_number": [4, 4, 5, None, 4],
                      "check": ["no_identity", "no_identity", "totals_row", "blank_row",
                                "no_identity"]})
    assert rows_set_aside(q).filter(pl.col("source_file") == "a.csv").select(
        "check", "rows").rows() == [("blank_row", 1), ("no_identity", 1), ("totals_row", 1)]
    assert _distinct_rows(q) == 4  # a.csv rows 4, 5 and the row without a number; b.csv row 4
