"""The medical-insurance bureau's files and one hospital's: enrolment (GB18030 CSV from the
national platform), the subsidised-enrolment list (.xlsx), inpatient settlements (.xlsx) and
the county hospital's one-stop discharge list (GBK CSV with name, sex, hospital and dates only).

Header words follow the 国家医保信息平台 field names (人员编号, 人员姓名, 证件号码, 险种类型,
人员参保状态, 人员类别, 医疗费总额, 基金支付总额, 个人负担总金额 …).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.foreign_county import common, programs
from benchmarks.foreign_county.common import Context
from benchmarks.foreign_county.dirt import IdDirt, NameDirt, render_dates, spoil_ids, spoil_names
from benchmarks.foreign_county.ex_ledger import hospitals
from benchmarks.foreign_county.layout import (
    Column,
    Extract,
    Sheet,
    body_frame,
    money,
    total_cell,
    with_blank_rows,
    with_tail_rows,
)

ENROL_COLUMNS = [
    Column("人员编号", "insurance person number"), Column("人员姓名", "name"),
    Column("人员证件类型", "document type"), Column("证件号码", "identity number"),
    Column("性别", "sex", "sex"), Column("民族", "ethnicity", "ethnicity"),
    Column("出生日期", "birth date"), Column("险种类型", "insurance type", "insurance_type"),
    Column("人员参保状态", "enrolment status", "enrolment_status"),
    Column("人员类别", "insured person category", "insured_category"),
    Column("参保所属医保区划", "insurance region code"), Column("本次参保日期", "enrolment date"),
    Column("乡镇（街道）", "township"), Column("村（社区）", "village"),
]


def psn_no() -> pl.Expr:
    """人员编号 as the platform numbers people (26 digits, county first)."""
    return pl.col("village_code").str.slice(0, 6) + pl.lit("20000000000") + pl.col(
        "person_key").str.slice(1).str.zfill(9)


def _state(ctx: Context, frame: pl.DataFrame, words: tuple[str, str, str]) -> pl.Series:
    """Enrolment state: mostly active; most of the dead are terminated."""
    state = frame["ins_state"].to_numpy()
    dead = frame["death_date"].is_not_null().to_numpy() & (ctx.rng.random(frame.height) < 0.7)
    return pl.Series(np.array(words)[np.where(dead, 2, state)])


def insured_category(words: tuple[str, str, str, str, str, str]) -> pl.Expr:
    """人员类别 in a file's words: destitute, allowance, alleviated, monitored, student, other."""
    return (pl.when(pl.col("tekun")).then(pl.lit(words[0]))
            .when(pl.col("dibao")).then(pl.lit(words[1]))
            .when(pl.col("pov_kind") == programs.ALLEVIATED).then(pl.lit(words[2]))
            .when(pl.col("pov_kind") != programs.NONE).then(pl.lit(words[3]))
            .when(pl.col("age").is_between(6, 22) & (pl.col("person_key").str.slice(-1) < "4"))
            .then(pl.lit(words[4])).otherwise(pl.lit(words[5])))


def enrolment(ctx: Context) -> Extract:
    """The platform's enrolment list of resident insurance, GB18030 CSV, no title."""
    rng = ctx.rng
    people = ctx.facts.filter(pl.col("insured")).sort("township_code", "village_code")
    values = {
        "人员编号": psn_no(),
        "人员姓名": spoil_names(people["name"], rng, NameDirt(0.004, 0.002, 0.001, 0.003, 0.001,
                                                          0.3)),
        "人员证件类型": pl.lit("居民身份证（户口簿）"),
        "证件号码": spoil_ids(people["id_number"], rng, IdDirt(
            missing=0.003, mistyped=0.002, swapped=0.001, fullwidth=0.0005, spaced=0.001,
            old15=0.001, excel_text=0.003, lower_x=0.05), False),
        "性别": common.sex(), "民族": pl.col("ethnicity"),
        "出生日期": render_dates(people["birth_date"], rng, {"compact": 0.6, "iso": 0.4}),
        "险种类型": pl.when(pl.col("employee")).then(pl.lit("职工基本医疗保险"))
        .otherwise(pl.lit("城乡居民基本医疗保险")),
        "人员参保状态": pl.lit(_state(ctx, people, ("正常参保", "暂停参保", "终止参保"))),
        "人员类别": insured_category(("特困供养人员", "低保对象", "脱贫人口", "监测对象",
                                      "在校学生", "普通居民")),
        "参保所属医保区划": pl.col("village_code").str.slice(0, 6),
        "本次参保日期": pl.lit(f"{ctx.as_of.year}-01-01 00:00:00"),
        "乡镇（街道）": pl.col("township_name"), "村（社区）": common.village("bare"),
    }
    body = body_frame(ENROL_COLUMNS, values, people)
    return Extract(f"{ctx.as_of.year}年度明细.csv", "csv", "insurance",
                   [Sheet("", ENROL_COLUMNS, body)], encoding="gb18030")


SUBSIDY_COLUMNS = [
    Column("序号", "serial number"), Column("姓名", "name"),
    Column("身份证号码", "identity number"), Column("性别", "sex", "sex"),
    Column("资助类别", "subsidy type", "subsidy_type"),
    Column("参保状态", "enrolment status", "enrolment_status"),
    Column("资助金额(元)", "subsidy amount"), Column("乡镇", "township"), Column("村", "village"),
]
SUBSIDY = ("特困人员全额资助", "低保对象定额资助", "脱贫人口定额资助", "监测对象定额资助")


def subsidies(ctx: Context) -> Extract:
    """Subsidised enrolment (资助参保) of destitute, allowance and poverty people (.xlsx)."""
    rng = ctx.rng
    people = ctx.facts.filter(pl.col("insured") & (
        pl.col("tekun") | pl.col("dibao") | (pl.col("pov_kind") != programs.NONE)))
    n = people.height
    right = np.select([people["tekun"].to_numpy(), people["dibao"].to_numpy(),
                       people["pov_kind"].to_numpy() == programs.ALLEVIATED], [0, 1, 2], 3)
    kind = np.where(people["subsidy_wrong"].to_numpy(), (right + rng.integers(1, 4, n)) % 4, right)
    amount = np.array([380.0, 200.0, 100.0, 100.0])[kind]
    values = {
        "序号": common.serial(),
        "姓名": spoil_names(people["name"], rng, NameDirt(0.008, 0.004, 0.004, 0.008, 0.003, 0.5)),
        "身份证号码": spoil_ids(people["id_number"], rng, IdDirt(
            missing=0.005, mistyped=0.004, swapped=0.003, spaced=0.005, fullwidth=0.003,
            old15=0.002, excel_number=0.02, lower_x=0.3)),
        "性别": common.sex(), "资助类别": pl.lit(pl.Series(np.array(SUBSIDY)[kind])),
        "参保状态": pl.lit(_state(ctx, people, ("参保缴费", "暂停缴费", "终止缴费"))),
        "资助金额(元)": money(pl.lit(pl.Series(amount))),
        "乡镇": pl.col("township_name"), "村": common.village("cwh"),
    }
    body = body_frame(SUBSIDY_COLUMNS, values, people)
    body = with_blank_rows(body, rng, 2)
    body = with_tail_rows(body, [{"序号": "合计", "姓名": f"{n}人",
                                  "资助金额(元)": total_cell(body, "资助金额(元)")}], "total")
    title = [f"{ctx.as_of.year}年度城乡居民医保资助参保人员名单"]
    return Extract("附件2：资助对象名单.xlsx", "xlsx", "insurance",
                   [Sheet("资助名单", SUBSIDY_COLUMNS, body, title, merge_title=True)])


def stays(ctx: Context) -> pl.DataFrame:
    """One row per inpatient stay with dates, hospital and the split of its cost."""
    rng = ctx.rng
    patients = ctx.facts.filter(pl.col("insured") & (pl.col("stays") > 0))
    rows = np.repeat(np.arange(patients.height), patients["stays"].to_numpy())
    frame = patients[rows]
    n = frame.height
    serious = frame["illness"].to_numpy() >= 0
    key = (frame["pov_kind"].to_numpy() != programs.NONE) | frame["dibao"].to_numpy() | \
        frame["tekun"].to_numpy()
    total = np.round(rng.lognormal(np.where(serious, 10.0, 8.6), 0.7, n), 2)
    fund = np.round(total * rng.uniform(0.5, 0.75, n), 2)
    big = np.round(np.maximum(0.0, (total - fund - 12000) * 0.6), 2)
    aid = np.round(np.where(key, (total - fund - big) * rng.uniform(0.3, 0.7, n), 0.0), 2)
    end = np.datetime64(ctx.as_of)
    birth = frame["birth_date"].to_numpy().astype("datetime64[D]")
    admitted = np.maximum(end - rng.integers(5, 270, n), birth)
    days = np.minimum(np.clip(rng.lognormal(2.0, 0.5, n).astype(int), 1, 60),
                      (end - admitted).astype(int))
    place = np.array((*hospitals(ctx), "乡镇卫生院"))[
        rng.choice(7, n, p=[0.35, 0.12, 0.12, 0.08, 0.05, 0.05, 0.23])]
    return frame.with_columns(
        pl.Series("total", total), pl.Series("fund", fund), pl.Series("big", big),
        pl.Series("aid", aid), pl.Series("admitted", admitted).cast(pl.Date),
        pl.Series("discharged", admitted + days).cast(pl.Date),
        pl.Series("one_stop", np.where(key, rng.random(n) < 0.92, rng.random(n) < 0.6)),
        pl.Series("hospital", place), pl.Series("key", key),
    ).with_columns(
        pl.when(pl.col("hospital") == "乡镇卫生院").then(common.township_clinic())
        .otherwise(pl.col("hospital")).alias("hospital")).sort("discharged")
