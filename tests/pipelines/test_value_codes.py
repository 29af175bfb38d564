"""Values to canonical codes, table-driven over every code list; unknown values as field issues."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.domain.codes import CODE_LISTS, SERIOUS_ILLNESSES
from pipelines.domain.extracts import EXTRACTS
from pipelines.domain.vocabulary import normalise_header
from pipelines.ingest import ingest_landing
from pipelines.values import code_of, map_column, serious_illness_in

# (code list, header as written, value as read, expected code or None, known word?)
CASES = [
    ("population_type", "人口类型", "脱贫户", "脱贫人口", True),
    ("population_type", "人口类型", "防止返贫监测对象", "监测对象", True),
    ("population_type", "人口类型", "普通农户", "一般农户", True),
    ("population_type", "人员类型", "脱贫户（监测对象）", "监测对象", True),
    ("household_type", "户类型", "低保脱贫户", "脱贫户", True),
    ("household_type", "户类型", "监测户", "监测户", True),
    ("monitoring_category", "监测对象类别", "脱贫不稳定户-7203", "脱贫不稳定户", True),
    ("monitoring_category", "监测对象类别", "突发困难户", "突发严重困难户", True),
    ("risk_cause", "风险类型", "缺劳动力", "缺劳力", True),
    ("risk_cause", "风险类型", "因病致贫", "因病", True),
    ("relation_to_head", "与户主关系", "之子", "儿子", True),
    ("relation_to_head", "与户主关系", "03", "儿子", True),
    ("relation_to_head", "家庭关系", "03", None, False),  # old codes only in 与户主关系
    ("assistance_type", "救助类别", "农村特困人员（分散供养）", "特困供养", True),
    ("assistance_type", "救助类别", "最低生活保障", "低保", True),
    ("assistance_type", "救助类别", "城乡低保", "低保", True),
    ("assistance_type", "供养方式", "分散供养", "特困供养", True),
    ("assistance_type", "供养方式", "集中供养特困人员", "特困供养", True),
    ("assistance_status", "保障状态", "停保", "暂停", True),
    ("assistance_status", "保障状态", "在保", "正常", True),
    ("enrolment_status", "参保状态", "正常参保", "参保缴费", True),
    ("enrolment_status", "参保状态", "正常", "参保缴费", True),
    ("enrolment_status", "人员参保状态", "4", "终止", True),
    ("enrolment_status", "缴费状态", "3", "终止", True),
    ("enrolment_status", "是否参保", "是", "参保缴费", True),
    ("enrolment_status", "参保状态", "是", None, False),  # 是 only in a 是否参保 column
    ("subsidy_type", "人员身份类别", '="特困人员-7131"', "特困全额资助", True),
    ("subsidy_type", "人员身份类别", "返贫致贫人口-7202", "监测对象资助", True),
    ("subsidy_type", "代缴类别", "7202-返贫致贫人口", "监测对象资助", True),
    ("subsidy_type", "资助类别", "特困人员全额资助", "特困全额资助", True),
    ("subsidy_type", "资助类别", "低保对象定额资助", "低保定额资助", True),
    ("subsidy_type", "资助类别", "脱贫人口定额资助", "脱贫人口资助", True),
    ("subsidy_type", "资助类别", "监测对象定额资助", "监测对象资助", True),
    ("chronic_disease", "疾病类型", "糖尿病", "2型糖尿病", True),
    ("chronic_disease", "疾病类型", "重性精神病患者", "严重精神障碍", True),
    ("serious_illness", "病种", "食道癌", "食管癌", True),
    ("serious_illness", "病种", "Ⅰ型糖尿病", "1型糖尿病", True),
    ("treatment_status", "救治状态", "正在救治", "救治中", True),
    ("followup_way", "随访方式", "2", "家庭", True),
    ("followup_way", "随访方式", "电话随访", "电话", True),
    ("yes_no", "是否", "√", "是", True),
    ("risk_cleared", "风险是否消除", "风险已消除", "是", True),
    ("risk_cleared", "风险是否消除", "N", "否", True),
    ("one_stop", "结算方式", "零星报销", "否", True),
    ("sex", "性别", "女性", "女", True),
    ("sex", "性别", "1", "男", True),
    ("sex", "性别", "男(1)", "男", True),
    ("enrolment_status", "参保状态", "/", None, True),  # a null word: no code, no issue
    ("enrolment_status", "参保状态", " 正常\u200b在保 ", None, False),
]


@pytest.mark.parametrize(("code_list", "header", "value", "code", "known"), CASES)
def test_value_to_code(code_list: str, header: str, value: str, code: str | None,
                       known: bool) -> None:
    got = code_of(value, CODE_LISTS[code_list], normalise_header(header))
    assert got == (code, known)


def test_every_code_list_is_covered_and_every_code_names_itself() -> None:
    assert {c[0] for c in CASES} == set(CODE_LISTS)
    for codes in CODE_LISTS.values():
        for code in codes.codes:
            assert code_of(code, codes) == (code, True), (codes.name, code)


def test_every_categorical_field_names_a_code_list() -> None:
    for spec in EXTRACTS.values():
        assert set(spec.codes.values()) <= set(CODE_LISTS)
        assert set(spec.multi) <= set(spec.codes)


def test_serious_illnesses_keep_their_order() -> None:
    assert len(SERIOUS_ILLNESSES) == 30
    assert SERIOUS_ILLNESSES[:3] == ("儿童急性淋巴细胞白血病", "儿童急性早幼粒细胞白血病",
                                     "儿童先天性房间隔缺损")
    assert SERIOUS_ILLNESSES[-1] == "1型糖尿病"


def test_map_column_works_on_unique_values_and_lists() -> None:
    frame = pl.DataFrame({"v": ["因病", "因病,因赌", None, "因残、因病", "因病", "/"]})
    codes, unknown = map_column(frame, "v", CODE_LISTS["risk_cause"], multi=True)
    assert codes.to_list() == ["因病", "因病", None, "因病、因残", "因病", None]
    assert unknown.to_list() == [None, "因赌", None, None, None, None]


def test_map_column_of_a_column_without_values_is_nulls_of_its_height() -> None:
    frame = pl.DataFrame({"v": [None, None, None]}, schema={"v": pl.String})
    codes, unknown = map_column(frame, "v", CODE_LISTS["risk_cause"], multi=True)
    assert (codes.dtype, unknown.dtype) == (pl.String, pl.String)
    assert codes.to_list() == unknown.to_list() == [None, None, None]


def test_steward_value_words_come_first() -> None:
    frame = pl.DataFrame({"v": ["正常在保", "正常参保"]})
    codes, unknown = map_column(frame, "v", CODE_LISTS["enrolment_status"],
                                steward={"正常在保": "参保缴费"})
    assert codes.to_list() == ["参保缴费", "参保缴费"]
    assert unknown.null_count() == 2


@pytest.mark.parametrize(
    ("diagnosis", "illness"),
    [("食管恶性肿瘤", "食管癌"), ("慢性肾衰竭（尿毒症期）", "终末期肾病"),
     ("支气管肺癌伴转移", "肺癌"), ("肺炎", None), ("2型糖尿病", None), ("脑梗死", None),
     ("儿童急性淋巴细胞白血病", "儿童急性淋巴细胞白血病")],
)
def test_serious_illness_in_a_diagnosis(diagnosis: str, illness: str | None) -> None:
    assert serious_illness_in(pl.Series([diagnosis])).to_list() == [illness]


def test_unknown_value_is_a_field_issue_naming_file_sheet_row_column_value(tmp_path: Path) -> None:
    (tmp_path / "参保.csv").write_text(
        "姓名,身份证号,参保状态,资助类别\n"
        "甲,11010519491231002X,正常在保,特困人员-7131\n"
        "乙,110105194912310021,410103199001011234,低保对象\n", encoding="utf-8")
    ingested = ingest_landing(tmp_path)
    table = ingested.tables["enrolment"]
    assert table["enrol_status"].to_list() == [None, None]
    assert table["subsidy_type"].to_list() == ["特困全额资助", "低保定额资助"]
    issues = ingested.field_issue.filter(pl.col("check") == "value_unknown").sort("row_number")
    assert issues.select("source_file", "sheet", "row_number", "column").rows() == [
        ("参保.csv", "", 2, "enrol_status"), ("参保.csv", "", 3, "enrol_status")]
    assert issues["value_masked"].to_list() == ["正常在保", "410103********1234"]
    assert "sanji_mapping.yaml" in issues["reason"][0]
