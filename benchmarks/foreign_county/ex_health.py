"""The health commission's files: family-doctor contracts (.xlsx), chronic-disease follow-ups
(a UTF-16 tab text export of the public-health system) and the serious-illness ledger (a
hand-kept workbook, one sheet per township, with totals and a signature line).

Header and value words follow the public-health systems' own layouts (签约团队, 签约日期,
签约包型, 人群分类, 签约状态 签约/解约/续约; 随访日期, 随访方式 门诊/家庭/电话 …).
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
)

CONTRACT_COLUMNS = [
    Column("序号", "serial number"), Column("姓名", "name"), Column("性别", "sex", "sex"),
    Column("出生日期", "birth date"), Column("身份证号", "identity number"),
    Column("联系电话", "phone"), Column("所属乡镇(街道)", "township"),
    Column("所属村(居)委会", "village"), Column("行政区划代码", "village code"),
    Column("签约团队", "contract team"), Column("签约医生", "contract doctor"),
    Column("签约日期", "contract date"), Column("结束日期", "contract end date"),
    Column("签约状态", "contract status", "contract_status"),
    Column("签约包型", "service package", "service_package"),
    Column("人群分类", "population groups", "population_group"),
    Column("管理机构", "managing clinic"),
]


def _packages(rng: np.random.Generator, n: int) -> pl.Expr:
    """签约包型: the basic package plus the ones that fit the person, joined by commas."""
    basic = common.pick(rng, ("基础服务包", "基本公共卫生服务包"), n, [0.8, 0.2])
    chronic_word = common.pick(rng, ("慢病服务包", ""), n, [0.3, 0.7])
    parts = [
        pl.lit(basic),
        pl.when(pl.col("age") >= 65).then(pl.lit("老年人服务包")),
        pl.when(pl.col("htn")).then(pl.when(pl.lit(chronic_word) != "").then(pl.lit(chronic_word))
                                    .otherwise(pl.lit("高血压个性化服务包"))),
        pl.when(pl.col("dm")).then(pl.lit("糖尿病个性化服务包")),
        pl.when(pl.col("mental")).then(pl.lit("严重精神障碍服务包")),
        pl.when(pl.col("pov_kind") != programs.NONE).then(pl.lit("脱贫人口个性化服务包")),
    ]
    return pl.concat_str(parts, separator=",", ignore_nulls=True)


def _groups(rng: np.random.Generator, n: int) -> pl.Expr:
    """人群分类: every group the person is in, joined by 、 (一般人群 when none)."""
    poor_word = common.pick(rng, ("建档立卡", "脱贫人口"), n, [0.5, 0.5])
    age = pl.col("age")
    parts = [
        pl.when(age >= 65).then(pl.lit("老年人")), pl.when(age <= 6).then(pl.lit("0-6岁儿童")),
        pl.when(pl.col("htn")).then(pl.lit("高血压")),
        pl.when(pl.col("dm")).then(pl.lit("糖尿病")),
        pl.when(pl.col("mental")).then(pl.lit("精障")),
        pl.when(pl.col("tb")).then(pl.lit("结核病")),
        pl.when(pl.col("pov_kind") != programs.NONE).then(pl.lit(poor_word)),
        pl.when(pl.col("dibao")).then(pl.lit("城乡低保")),
        pl.when(pl.col("tekun")).then(pl.lit("城乡特困")),
    ]
    joined = pl.concat_str(parts, separator="、", ignore_nulls=True)
    return pl.when(joined == "").then(pl.lit("一般人群")).otherwise(joined)


def contracts(ctx: Context) -> Extract:
    """Family-doctor contracts exported from the public-health system (.xlsx, merged title)."""
    rng = ctx.rng
    people = ctx.facts.filter(pl.col("contract")).sort("township_code", "village_code")
    n = people.height
    dead = people["death_date"].is_not_null().to_numpy()
    status = np.where(dead & (rng.random(n) < 0.5), "解约",
                      np.array(["签约", "续约", "解约"])[rng.choice(3, n, p=[0.7, 0.26, 0.04])])
    team = rng.integers(1, 6, n).astype(str)
    doctors = common.staff(rng, 400)
    ends = people["contract_date"].dt.offset_by("1y").dt.offset_by("-1d")
    values = {
        "序号": common.serial(),
        "姓名": spoil_names(people["name"], rng, NameDirt(0.008, 0.004, 0.004, 0.008, 0.004, 0.5)),
        "性别": common.sex(), "出生日期": render_dates(people["birth_date"], rng, {"cell": 1.0}),
        "身份证号": spoil_ids(people["id_number"], rng, IdDirt(
            missing=0.01, mistyped=0.006, swapped=0.004, fullwidth=0.004, spaced=0.006,
            old15=0.003, excel_number=0.015, lower_x=0.3)),
        "联系电话": common.phones(rng, n), "所属乡镇(街道)": pl.col("township_name"),
        "所属村(居)委会": common.village("cwh"),
        "行政区划代码": pl.when(pl.lit(pl.Series(rng.random(n) < 0.7)))
        .then(pl.col("village_code")),
        "签约团队": common.township_clinic() + pl.lit("家庭医生团队") + pl.lit(pl.Series(team)),
        "签约医生": pl.lit(pl.Series(doctors[rng.integers(0, doctors.size, n)])),
        "签约日期": render_dates(people["contract_date"], rng,
                             {"cell": 0.8, "slash": 0.15, "iso_time": 0.05}),
        "结束日期": render_dates(ends, rng, {"cell": 1.0}),
        "签约状态": pl.lit(pl.Series(status)), "签约包型": _packages(rng, n),
        "人群分类": _groups(rng, n), "管理机构": common.township_clinic(),
    }
    body = body_frame(CONTRACT_COLUMNS, values, people)
    title = [f"{ctx.county_name}家庭医生签约服务居民花名册",
             f"导出时间：{ctx.as_of:%Y-%m-%d} 16:02:11"]
    sheet = Sheet("签约居民信息", CONTRACT_COLUMNS, body, title, merge_title=True)
    return Extract("公卫导出_0930.xlsx", "xlsx", "health", [sheet])


FOLLOW_COLUMNS = [
    Column("档案编号", "health record number"), Column("姓名", "name"),
    Column("性别", "sex", "sex"), Column("出生日期", "birth date"),
    Column("身份证号", "identity number"), Column("现住址", "address (township and village)"),
    Column("管理病种", "managed disease", "managed_disease"),
    Column("随访日期", "follow-up date"), Column("随访方式", "follow-up way", "follow_up_way"),
    Column("此次随访分类", "follow-up result", "follow_up_result"),
    Column("随访医生", "follow-up doctor"), Column("随访机构", "follow-up clinic"),
]
DISEASES = (("htn", 3.6, ("高血压", "原发性高血压"), (0.9, 0.1)),
            ("dm", 3.4, ("2型糖尿病", "糖尿病"), (0.7, 0.3)),
            ("mental", 3.8, ("严重精神障碍", "重性精神病", "精神分裂症"), (0.75, 0.15, 0.1)),
            ("tb", 4.0, ("肺结核", "结核病"), (0.8, 0.2)))


def _visits(ctx: Context) -> pl.DataFrame:
    """One row per follow-up: person facts, disease word and visit date."""
    frames = []
    for flag, rate, words, shares in DISEASES:
        patients = ctx.facts.filter(pl.col(flag))
        counts = np.clip(ctx.rng.poisson(rate, patients.height), 0, 8)
        word = np.array(words)[ctx.rng.choice(len(words), patients.height, p=shares)]
        rows = np.repeat(np.arange(patients.height), counts)
        frames.append(patients[rows].with_columns(
            pl.Series("disease_word", word[rows]),
            pl.Series("visit", ctx.rng.integers(1, 366, rows.size))))
    visits = pl.concat(frames).with_columns(
        (pl.lit(ctx.as_of) - pl.duration(days=pl.col("visit"))).alias("visit_date"))
    return visits.sort("township_code", "person_key", "visit_date")


def follow_ups(ctx: Context) -> Extract:
    """Chronic-disease follow-ups saved as Unicode text (UTF-16, tab separated)."""
    rng = ctx.rng
    visits = _visits(ctx)
    n = visits.height
    ways = np.array(["门诊", "家庭", "电话", "门诊就诊", "上门随访", "电话随访"])[
        rng.choice(6, n, p=[0.47, 0.28, 0.2, 0.02, 0.02, 0.01])]
    result = np.array(["控制满意", "控制不满意", "不良反应", "并发症"])[
        rng.choice(4, n, p=[0.7, 0.2, 0.05, 0.05])]
    doctors = common.staff(rng, 300)
    values = {
        "档案编号": pl.col("village_code") + pl.col("person_key").str.slice(3),
        "姓名": spoil_names(visits["name"], rng, NameDirt(0.006, 0.003, 0.002, 0.006, 0.003, 0.5)),
        "性别": common.sex(("1", "2")),
        "出生日期": render_dates(visits["birth_date"], rng, {"compact": 1.0}),
        "身份证号": spoil_ids(visits["id_number"], rng, IdDirt(
            missing=0.02, mistyped=0.005, swapped=0.004, fullwidth=0.003, spaced=0.01,
            old15=0.002, lower_x=0.2), False),
        "现住址": pl.col("township_name") + common.village("cun"),
        "管理病种": pl.col("disease_word"),
        "随访日期": render_dates(visits["visit_date"], rng, {"iso": 0.85, "iso_midnight": 0.15}),
        "随访方式": pl.lit(pl.Series(ways)), "此次随访分类": pl.lit(pl.Series(result)),
        "随访医生": pl.lit(pl.Series(doctors[rng.integers(0, doctors.size, n)])),
        "随访机构": common.township_clinic(),
    }
    body = body_frame(FOLLOW_COLUMNS, values, visits)
    return Extract("export_20251008.txt", "txt", "health", [Sheet("", FOLLOW_COLUMNS, body)],
                   encoding="utf-16", delimiter="\t")
