"""Civil affairs' files: the 低保 / 特困 roster (.xls, two sheets, household layout, totals)
and the funeral home's cremation register (.xls saved by LibreOffice).

The roster still writes the renamed village under its former name. The cremation register's
columns follow a funeral home's 火化基本信息统计表 (火化日期, 序号, 姓名, 性别, 年龄, 住址,
身份证号, 死亡日期, 死亡原因, 家属电话).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from benchmarks.foreign_county import common
from benchmarks.foreign_county.common import Context
from benchmarks.foreign_county.dirt import IdDirt, NameDirt, render_dates, spoil_ids, spoil_names
from benchmarks.foreign_county.layout import (
    Column,
    Extract,
    Sheet,
    body_frame,
    money,
    split_sheet,
    total_cell,
    with_tail_rows,
)

CIVIL_RELATIONS = ("本人", "配偶", "子", "父亲", "孙子", "女婿")
CIVIL_RELATIONS_F = ("本人", "配偶", "女", "母亲", "孙女", "儿媳")
CIVIL_IDS = IdDirt(missing=0.005, mistyped=0.004, swapped=0.003, fullwidth=0.002, spaced=0.004,
                   old15=0.02, lower_x=0.1)
CIVIL_NAMES = NameDirt(0.006, 0.003, 0.003, 0.006, 0.002, 0.4)

DIBAO_COLUMNS = [
    Column("序号", "serial number"), Column("所属区划", "township and village"),
    Column("户主姓名", "household head name"),
    Column("户主身份证号码", "household head identity number"),
    Column("姓名", "name"), Column("身份证号码", "identity number"),
    Column("与户主关系", "relation to household head", "relation_to_head"),
    Column("保障类别", "assistance type", "assistance_type"), Column("保障人数", "household size"),
    Column("月保障金(元)", "monthly allowance"),
    Column("救助证号", "assistance certificate number"),
    Column("享受起始日期", "assistance start date"),
    Column("状态", "assistance status", "assistance_status"),
]


def _relation() -> pl.Expr:
    expr = pl.lit(None, dtype=pl.String)
    for code in range(6):
        word = pl.when(pl.col("sex") == "M").then(pl.lit(CIVIL_RELATIONS[code])).otherwise(
            pl.lit(CIVIL_RELATIONS_F[code]))
        expr = pl.when(pl.col("role") == code).then(word).otherwise(expr)
    return expr


def _status(ctx: Context, frame: pl.DataFrame, words: tuple[str, str]) -> pl.Series:
    """Active or stopped; most of the dead are stopped, some are still paid."""
    dead = frame["death_date"].is_not_null().to_numpy()
    stopped = frame["assist_stopped"].to_numpy() | (dead & (ctx.rng.random(frame.height) < 0.6))
    return pl.Series(np.where(stopped, words[1], words[0]))


def _dibao_sheet(ctx: Context) -> Sheet:
    rng = ctx.rng
    members = ctx.facts.filter(pl.col("dibao")).sort("village_code", "household_no", "member_no")
    members = members.with_columns(
        pl.col("name").first().over("household_no").alias("head_name"),
        pl.col("id_number").first().over("household_no").alias("head_id"),
        pl.len().over("household_no").alias("hh_size"),
        (pl.col("member_no") == 0).alias("is_head"))
    n = members.height
    kind = np.where(members["kind"].to_numpy() == "社区", "城市低保", "农村低保")
    kind = np.where(rng.random(n) < 0.15, "城乡低保", kind)
    amount = pl.col("hh_size") * pl.lit(pl.Series(rng.integers(180, 420, n).astype(float)))
    values = {
        "序号": common.serial(),
        "所属区划": pl.col("township_name") + common.village("full", former=True),
        "户主姓名": pl.col("head_name"),
        "户主身份证号码": spoil_ids(members["head_id"], rng, CIVIL_IDS, False),
        "姓名": spoil_names(members["name"], rng, CIVIL_NAMES),
        "身份证号码": spoil_ids(members["id_number"], rng, CIVIL_IDS, False),
        "与户主关系": _relation(), "保障类别": pl.lit(pl.Series(kind)),
        "保障人数": pl.col("hh_size"),
        "月保障金(元)": pl.when(pl.col("is_head")).then(money(amount)),
        "救助证号": pl.lit("DB") + pl.col("household_key").str.slice(1),
        "享受起始日期": render_dates(members["assist_start"], rng, {"slash": 0.7, "serial": 0.3}),
        "状态": pl.lit(_status(ctx, members, ("正常", "停保"))),
    }
    body = body_frame(DIBAO_COLUMNS, values, members)
    households = members["household_no"].n_unique()
    body = with_tail_rows(body, [{"序号": "合计", "户主姓名": f"{households}户", "保障人数": str(n),
                                  "月保障金(元)": total_cell(body, "月保障金(元)")}], "total")
    month = f"{ctx.as_of.year}年{ctx.as_of.month}月"
    title = [f"{ctx.county_name}城乡最低生活保障对象花名册（{month}）"]
    return Sheet("低保", DIBAO_COLUMNS, body, title, merge_title=True)


TEKUN_COLUMNS = [
    Column("序号", "serial number"), Column("乡镇(街道)", "township"),
    Column("村(社区)", "village"), Column("姓名", "name"), Column("性别", "sex", "sex"),
    Column("身份证号码", "identity number"), Column("出生日期", "birth date"),
    Column("供养方式", "assistance type", "assistance_type"),
    Column("供养标准(元/月)", "monthly allowance"), Column("认定时间", "assistance start date"),
    Column("人员状态", "assistance status", "assistance_status"),
]


def _tekun_sheet(ctx: Context) -> Sheet:
    rng = ctx.rng
    people = ctx.facts.filter(pl.col("tekun")).sort("village_code")
    n = people.height
    kind = np.where(people["tekun_central"].to_numpy(), "集中供养特困人员", "分散供养特困人员")
    kind = np.where(rng.random(n) < 0.2, "特困人员", kind)
    values = {
        "序号": common.serial(), "乡镇(街道)": pl.col("township_name"),
        "村(社区)": common.village("cwh", former=True),
        "姓名": spoil_names(people["name"], rng, CIVIL_NAMES), "性别": common.sex(),
        "身份证号码": spoil_ids(people["id_number"], rng, CIVIL_IDS, False),
        "出生日期": render_dates(people["birth_date"], rng, {"cell": 0.6, "compact": 0.4}),
        "供养方式": pl.lit(pl.Series(kind)),
        "供养标准(元/月)": money(pl.lit(pl.Series(rng.integers(600, 1100, n).astype(float)))),
        "认定时间": render_dates(people["assist_start"], rng, {"cell": 0.8, "cn": 0.2}),
        "人员状态": pl.lit(_status(ctx, people, ("在保", "停保"))),
    }
    body = body_frame(TEKUN_COLUMNS, values, people)
    body = with_tail_rows(body, [{"序号": "合计", "姓名": f"{n}人", "供养标准(元/月)":
                                  total_cell(body, "供养标准(元/月)")}], "total")
    title = [f"{ctx.county_name}特困人员救助供养花名册"]
    return Sheet("特困", TEKUN_COLUMNS, body, title, merge_title=True)


def assistance_roster(ctx: Context) -> Extract:
    """低保 and 特困 in one .xls, one sheet each."""
    sheets = [*split_sheet(_dibao_sheet(ctx), 65000), _tekun_sheet(ctx)]
    return Extract("花名册.xls", "xls", "civil", sheets)


CREMATION_COLUMNS = [
    Column("火化日期", "cremation date"), Column("序号", "serial number"), Column("姓名", "name"),
    Column("性别", "sex", "sex"), Column("年龄", "age"), Column("住址", "address"),
    Column("身份证号", "identity number"), Column("死亡日期", "death date"),
    Column("死亡原因", "death cause", "death_cause"), Column("家属电话", "phone"),
]


def cremations(ctx: Context) -> Extract:
    """The funeral home's cremation register, written by LibreOffice as .xls."""
    rng = ctx.rng
    dead = ctx.facts.filter(pl.col("death_date").is_not_null())
    dead = dead.filter(pl.Series(rng.random(dead.height) < 0.85))
    dead = dead.with_columns(
        (pl.col("death_date") + pl.duration(days=pl.lit(pl.Series(
            rng.integers(1, 4, dead.height))))).alias("cremated")).sort("cremated")
    n = dead.height
    group = pl.lit(pl.Series(rng.integers(1, 12, n).astype(str)))
    values = {
        "火化日期": render_dates(dead["cremated"], rng, {"cell": 1.0}), "序号": common.serial(),
        "姓名": spoil_names(dead["name"], rng, NameDirt(0.01, 0.005, 0.005, 0.01, 0.002, 0.5)),
        "性别": common.sex(), "年龄": pl.col("age"),
        "住址": pl.lit(ctx.county_name) + pl.col("township_name") + common.village("cun")
        + group + pl.lit("组"),
        "身份证号": spoil_ids(dead["id_number"], rng, IdDirt(
            missing=0.03, mistyped=0.01, swapped=0.005, spaced=0.005, fullwidth=0.002,
            old15=0.003), False),
        "死亡日期": render_dates(dead["death_date"], rng, {"cell": 0.6, "cell_time": 0.4}),
        "死亡原因": common.pick(rng, ("疾病死亡", "正常死亡", "意外死亡", "病故"), n,
                            [0.55, 0.3, 0.05, 0.1]),
        "家属电话": common.phones(rng, n),
    }
    body = body_frame(CREMATION_COLUMNS, values, dead)
    title = [f"{ctx.county_name}殡仪馆火化基本信息统计表"]
    sheet = Sheet("Sheet1", CREMATION_COLUMNS, body, title, merge_title=True)
    return Extract("民政局反馈数据.xls", "xls_lo", "civil", [sheet])
