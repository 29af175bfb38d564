"""The serious-illness ledger (大病专项救治台账): a workbook kept by hand, one sheet per
township, a merged two-line title, blank rows, a 合计 row and a signature line.

It is the dirtiest file of the county: identity numbers missing or turned into numbers by
Excel, dates typed every way, disease names in the words of whoever typed them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.foreign_county import common, programs
from benchmarks.foreign_county.common import Context
from benchmarks.foreign_county.dirt import IdDirt, NameDirt, render_dates, spoil_ids, spoil_names
from benchmarks.foreign_county.layout import (
    Column,
    Extract,
    Sheet,
    body_frame,
    with_blank_rows,
    with_tail_rows,
)

ILLNESS_WORDS = {
    "chd_child": ("儿童先天性心脏病",), "leukaemia_child": ("儿童白血病",),
    "oesophagus": ("食管癌",), "stomach": ("胃癌",), "colon": ("结肠癌",), "rectum": ("直肠癌",),
    "esrd": ("终末期肾病", "尿毒症"), "lung": ("肺癌",), "breast": ("乳腺癌",),
    "cervix": ("宫颈癌",), "mental": ("重性精神病", "严重精神障碍"), "mdr_tb": ("耐多药肺结核",),
    "aids": ("艾滋病机会性感染",), "ami": ("急性心肌梗死", "急性心梗"),
    "stroke": ("脑梗死", "脑卒中"), "haemophilia": ("血友病",), "t1dm": ("1型糖尿病",),
    "hyperthyroid": ("甲亢",), "cleft": ("唇腭裂",), "liver": ("肝癌",),
    "pneumoconiosis": ("尘肺病", "尘肺"), "cataract": ("白内障",), "copd": ("慢性阻塞性肺气肿",),
}
STATUS_WORDS = {"under": ("救治中", "正在救治"), "awaiting": ("待救治",),
                "treated": ("已救治", "已治愈"), "died": ("死亡", "已死亡"),
                "declined": ("放弃治疗",)}

LEDGER_COLUMNS = [
    Column("序号", "serial number"), Column("乡镇", "township"), Column("村", "village"),
    Column("患者姓名", "name"), Column("性别", "sex", "sex"), Column("年龄", "age"),
    Column("身份证号", "identity number"),
    Column("疾病名称", "serious illness", "serious_illness"),
    Column("确诊时间", "diagnosis date"), Column("确诊医院", "diagnosing hospital"),
    Column("定点救治医院", "designated hospital"),
    Column("救治状态", "treatment status", "treatment_status"),
    Column("联系电话", "phone"), Column("备注", "remarks"),
]


def _word_of(codes: np.ndarray, table: dict[str, tuple[str, ...]], keys: tuple[str, ...],
             rng: np.random.Generator) -> np.ndarray:
    """A word for each code, the variant drawn per row."""
    variant = rng.integers(0, 2, codes.size)
    choices = np.array([[table[k][0], table[k][-1]] for k in keys])
    return choices[codes, variant]


def hospitals(ctx: Context) -> tuple[str, ...]:
    """County, city and province hospitals this county's patients go to."""
    county, city = ctx.county.name, ctx.county.city
    return (f"{county}人民医院", f"{county}中医医院", f"{city}中心医院",
            f"{city}第一人民医院", f"{ctx.county.province}人民医院", f"{county}妇幼保健院")


def _patients(ctx: Context) -> pl.DataFrame:
    rng = ctx.rng
    patients = ctx.facts.filter(pl.col("illness") >= 0).sort("township_code", "village_code")
    n = patients.height
    status = patients["treatment"].to_numpy()
    dead = patients["death_date"].is_not_null().to_numpy()
    status = np.where(dead & (rng.random(n) < 0.7), programs.TREATMENT.index("died"), status)
    illness = _word_of(patients["illness"].to_numpy(), ILLNESS_WORDS, programs.ILLNESSES, rng)
    words = _word_of(status, STATUS_WORDS, programs.TREATMENT, rng)
    place = hospitals(ctx)
    return patients.with_columns(
        pl.Series("illness_word", illness), pl.Series("status_word", words),
        pl.Series("diag_hospital", np.array(place)[rng.choice(5, n, p=[.3, .1, .3, .2, .1])]),
        pl.Series("fixed_hospital", np.array(place[:3])[rng.choice(3, n, p=[.6, .2, .2])]),
        pl.Series("remark", np.where(rng.random(n) < 0.1, "已纳入监测", "")))


def _sheet(ctx: Context, township: str, patients: pl.DataFrame) -> Sheet:
    rng, n = ctx.rng, patients.height
    values = {
        "序号": common.serial(), "乡镇": pl.col("township_name"), "村": common.village("cun"),
        "患者姓名": spoil_names(patients["name"], rng, NameDirt(0.02, 0.01, 0.01, 0.02, 0.005,
                                                            0.7)),
        "性别": common.sex(), "年龄": pl.col("age"),
        "身份证号": spoil_ids(patients["id_number"], rng, IdDirt(
            missing=0.08, mistyped=0.02, swapped=0.01, fullwidth=0.01, spaced=0.02, old15=0.005,
            excel_number=0.06, excel_text=0.01, lower_x=0.5)),
        "疾病名称": pl.col("illness_word"),
        "确诊时间": render_dates(patients["diagnosed"], rng, {
            "cn": 0.25, "dot": 0.15, "serial": 0.15, "cell": 0.25, "slash": 0.2}),
        "确诊医院": pl.col("diag_hospital"), "定点救治医院": pl.col("fixed_hospital"),
        "救治状态": pl.col("status_word"), "联系电话": common.phones(rng, n),
        "备注": pl.col("remark"),
    }
    body = body_frame(LEDGER_COLUMNS, values, patients)
    body = with_blank_rows(body, rng, 1 if n >= 3 else 0)
    body = with_tail_rows(body, [{"序号": "合计", "患者姓名": f"{n}人"}], "total")
    clerk, checker = common.staff(rng, 2)
    body = with_tail_rows(body, [{"序号": f"填表人：{clerk}        审核人：{checker}"}], "note")
    title = [f"{ctx.county_name}农村低收入人口大病专项救治工作台账",
             f"填报单位（盖章）：{township}卫生院        填报时间：{ctx.as_of:%Y年%m月%d日}"]
    return Sheet(township, LEDGER_COLUMNS, body, title, merge_title=True)


def illness_ledger(ctx: Context) -> Extract:
    """The ledger workbook: one sheet per township that has patients."""
    patients = _patients(ctx)
    sheets = [_sheet(ctx, str(t[0]).removesuffix("办事处"), group)
              for t, group in patients.group_by("township_name", maintain_order=True)]
    return Extract("新建 Microsoft Excel 工作表.xlsx", "xlsx", "health", sheets)
