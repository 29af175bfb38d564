"""The poverty office's files: the national monitoring system's member export (.xls) and a
township clerk's monitoring ledger saved as GBK CSV.

Header words follow the 全国防止返贫监测和衔接推进乡村振兴信息系统 member list (户编号, 人编号,
证件号码, 与户主关系, 易返贫致贫户(监测对象)类型, 致贫/返贫风险1, 风险是否已消除 …).
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
    split_sheet,
    with_blank_rows,
    with_tail_rows,
)

RELATIONS = ("户主", "配偶", "之子", "之父", "之孙子", "之女婿")  # by role code, men
RELATIONS_F = ("户主", "配偶", "之女", "之母", "之孙女", "之儿媳")  # by role code, women
RISK_WORDS = ("因病", "因残", "因学", "因灾", "因意外事故", "因产业项目失败", "因务工就业不稳",
              "缺劳动力", "其他")
RISK_WORDS_SHORT = ("疾病", "残疾", "上学", "自然灾害", "意外事故", "产业失败", "就业不稳",
                    "缺劳力", "其它")
CATEGORY = {programs.UNSTABLE: "脱贫不稳定户", programs.MARGINAL: "边缘易致贫户",
            programs.SUDDEN: "突发严重困难户"}


def _relation(male_words: tuple[str, ...], female_words: tuple[str, ...]) -> pl.Expr:
    role = pl.col("role")
    expr = pl.lit(None, dtype=pl.String)
    for code in range(6):
        word = pl.when(pl.col("sex") == "M").then(pl.lit(male_words[code])).otherwise(
            pl.lit(female_words[code]))
        expr = pl.when(role == code).then(word).otherwise(expr)
    return expr


def _members(ctx: Context) -> pl.DataFrame:
    """Members of poverty households; most who died are already removed (自然减少)."""
    facts = ctx.facts.filter(pl.col("pov_kind") != programs.NONE)
    gone = facts["death_date"].is_not_null().to_numpy() & (ctx.rng.random(facts.height) < 0.6)
    size = pl.len().over("household_no")
    return (facts.filter(~pl.Series(gone)).sort("village_code", "household_no", "member_no")
            .with_columns(size.alias("hh_size"),
                          (pl.col("village_code") + pl.col("household_no").cast(pl.String)
                           .str.zfill(5)).alias("hh_no")))


SYSTEM_COLUMNS = [
    Column("序号", "serial number"), Column("县(市、区、旗)", "county"),
    Column("乡(镇)", "township"), Column("行政村", "village"), Column("自然村", "hamlet"),
    Column("户编号", "household number"), Column("人编号", "person number"),
    Column("姓名", "name"), Column("证件号码", "identity number"), Column("人数", "household size"),
    Column("与户主关系", "relation to household head", "relation_to_head"),
    Column("性别", "sex", "sex"), Column("民族", "ethnicity", "ethnicity"),
    Column("文化程度", "education", "education"),
    Column("健康状况", "health status", "health_status"),
    Column("劳动技能", "labour ability", "labour_ability"),
    Column("户类型", "population type", "population_type"),
    Column("易返贫致贫户(监测对象)类型", "monitoring category", "monitoring_category"),
    Column("致贫/返贫风险1", "risk type", "risk_type"),
    Column("风险是否已消除", "risk cleared", "risk_cleared"),
    Column("风险识别时间", "risk identified date"), Column("风险消除时间", "risk cleared date"),
    Column("户联系电话", "phone"),
]


def _system_values(ctx: Context, members: pl.DataFrame) -> dict[str, pl.Expr | pl.Series]:
    rng, n = ctx.rng, members.height
    monitored = pl.col("pov_kind") != programs.ALLEVIATED
    age = common.age_at(ctx.as_of)
    education = (pl.when(age < 7).then(pl.lit("学龄前儿童"))
                 .otherwise(common.pick(rng, ("文盲或半文盲", "小学", "初中", "高中", "大专及以上"),
                                        n, [0.15, 0.35, 0.35, 0.1, 0.05])))
    labour = (pl.when((age < 16) | (age >= 65)).then(pl.lit("无劳动力"))
              .otherwise(common.pick(rng, ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力",
                                           "丧失劳动力"), n, [0.6, 0.15, 0.2, 0.05])))
    health = (pl.when(pl.col("illness") >= 0).then(pl.lit("患有大病"))
              .when(pl.col("htn") | pl.col("dm")).then(pl.lit("长期慢性病"))
              .otherwise(common.pick(rng, ("健康", "残疾"), n, [0.95, 0.05])))
    risk = pl.col("risk").replace_strict(dict(enumerate(RISK_WORDS)), return_dtype=pl.String)
    iso = {"iso": 0.9, "iso_midnight": 0.1}
    return {
        "序号": common.serial(), "县(市、区、旗)": pl.lit(ctx.county_name),
        "乡(镇)": pl.col("township_name"), "行政村": common.village("cun"),
        "自然村": pl.col("core") + pl.lit("一组"), "户编号": pl.col("hh_no"),
        "人编号": pl.col("hh_no") + (pl.col("member_no") + 1).cast(pl.String).str.zfill(2),
        "姓名": spoil_names(members["name"], rng, NameDirt(0.002, 0.0, 0.0, 0.003, 0.001, 0.0)),
        "证件号码": spoil_ids(members["id_number"], rng, IdDirt(
            missing=0.002, mistyped=0.003, swapped=0.002, spaced=0.002, old15=0.001), False),
        "人数": pl.col("hh_size"), "与户主关系": _relation(RELATIONS, RELATIONS_F),
        "性别": common.sex(), "民族": pl.col("ethnicity"), "文化程度": education,
        "健康状况": health, "劳动技能": labour,
        "户类型": pl.when(pl.col("pov_kind").is_in([programs.MARGINAL, programs.SUDDEN]))
        .then(pl.lit("监测户")).otherwise(pl.lit("脱贫户")),
        "易返贫致贫户(监测对象)类型": pl.col("pov_kind").replace_strict(
            CATEGORY, default=None, return_dtype=pl.String),
        "致贫/返贫风险1": pl.when(monitored).then(risk),
        "风险是否已消除": pl.when(monitored).then(
            pl.when(pl.col("risk_cleared")).then(pl.lit("是")).otherwise(pl.lit("否"))),
        "风险识别时间": pl.when(monitored).then(render_dates(members["monitor_start"], rng, iso)),
        "风险消除时间": pl.when(monitored & pl.col("risk_cleared")).then(
            render_dates(members["risk_cleared_on"], rng, iso)),
        "户联系电话": common.phones(rng, n),
    }


def system_export(ctx: Context) -> Extract:
    """The national system's member list: an .xls with a merged two-line title."""
    members = _members(ctx)
    body = body_frame(SYSTEM_COLUMNS, _system_values(ctx, members), members)
    title = ["全国防止返贫监测和衔接推进乡村振兴信息系统",
             f"脱贫户（含监测户）家庭成员信息表    数据截至：{ctx.as_of:%Y-%m-%d}"]
    sheet = Sheet("sheet1", SYSTEM_COLUMNS, body, title, merge_title=True)
    return Extract("导出数据(3).xls", "xls", "poverty", split_sheet(sheet, 65000))


LEDGER_COLUMNS = [
    Column("序号", "serial number"), Column("乡镇", "township"), Column("村", "village"),
    Column("户码", "household number"), Column("户主姓名", "household head name"),
    Column("姓名", "name"), Column("身份证号码", "identity number"),
    Column("与户主关系", "relation to household head", "relation_to_head"),
    Column("人员类型", "population type", "population_type"),
    Column("监测类型", "monitoring category", "monitoring_category"),
    Column("主要风险", "risk type", "risk_type"),
    Column("风险消除", "risk cleared", "risk_cleared"),
    Column("纳入监测时间", "monitoring start date"),
]


def township_ledger(ctx: Context) -> Extract:
    """A township clerk's ledger of monitored people, saved from Excel as GBK CSV."""
    rng = ctx.rng
    members = _members(ctx).filter(pl.col("pov_kind") != programs.ALLEVIATED)
    still = rng.random(int(members["household_no"].max() or 0) + 1) < 0.3
    keep = ~members["risk_cleared"].to_numpy() | still[members["household_no"].to_numpy()]
    members = members.filter(pl.Series(keep)).with_columns(
        pl.col("name").first().over("household_no").alias("head_name"))
    short = {k: v.removesuffix("户") for k, v in CATEGORY.items()}
    values = {
        "序号": common.serial(), "乡镇": pl.col("township_name"), "村": common.village("bare"),
        "户码": pl.col("hh_no"), "户主姓名": pl.col("head_name"),
        "姓名": spoil_names(members["name"], rng, NameDirt(0.01, 0.005, 0.003, 0.01, 0.003, 0.6)),
        "身份证号码": spoil_ids(members["id_number"], rng, IdDirt(
            missing=0.01, mistyped=0.005, swapped=0.003, fullwidth=0.005, spaced=0.01,
            old15=0.002, excel_text=0.02, lower_x=0.4), False),
        "与户主关系": _relation(RELATIONS, RELATIONS_F),
        "人员类型": pl.when(pl.col("pov_kind") == programs.UNSTABLE)
        .then(pl.lit("脱贫户（监测对象）")).otherwise(pl.lit("防返贫监测对象")),
        "监测类型": pl.col("pov_kind").replace_strict(short, return_dtype=pl.String),
        "主要风险": pl.col("risk").replace_strict(dict(enumerate(RISK_WORDS_SHORT)),
                                              return_dtype=pl.String),
        "风险消除": pl.when(pl.col("risk_cleared")).then(pl.lit("已消除"))
        .otherwise(pl.lit("未消除")),
        "纳入监测时间": render_dates(members["monitor_start"], rng,
                               {"compact": 0.5, "slash": 0.4, "cn": 0.1}),
    }
    body = body_frame(LEDGER_COLUMNS, values, members)
    body = with_blank_rows(body, rng, int(np.clip(body.height // 400, 1, 6)))
    households = members["household_no"].n_unique()
    body = with_tail_rows(body, [{"序号": "合计", "姓名": f"共{households}户{members.height}人"}],
                          "total")
    title = [f"{ctx.county_name}防返贫监测对象信息台账（{ctx.as_of.year}年{ctx.as_of.month}月）"]
    return Extract("防返贫监测对象信息(更新).csv", "csv", "poverty",
                   [Sheet("", LEDGER_COLUMNS, body, title)], encoding="gbk")
