"""Inpatient settlements: the insurance platform's settlement list (.xlsx, identity numbers
missing often) and the county hospital's own one-stop discharge list (GBK CSV without any
identity number: name, sex, hospital and dates only).
"""

from __future__ import annotations

import polars as pl

from benchmarks.foreign_county import common
from benchmarks.foreign_county.common import Context
from benchmarks.foreign_county.dirt import IdDirt, NameDirt, render_dates, spoil_ids, spoil_names
from benchmarks.foreign_county.ex_insurance import insured_category, psn_no, stays
from benchmarks.foreign_county.layout import Column, Extract, Sheet, body_frame, money

SETTLE_COLUMNS = [
    Column("人员编号", "insurance person number"), Column("人员姓名", "name"),
    Column("证件号码", "identity number"), Column("性别", "sex", "sex"), Column("年龄", "age"),
    Column("险种类型", "insurance type", "insurance_type"),
    Column("人员类别", "insured person category", "insured_category"),
    Column("参保状态", "enrolment status", "enrolment_status"),
    Column("定点医药机构名称", "hospital"), Column("医疗类别", "medical type", "medical_type"),
    Column("入院日期", "admission date"), Column("出院日期", "discharge date"),
    Column("结算时间", "settlement date"), Column("医疗费总额", "total cost"),
    Column("基金支付总额", "fund payment"), Column("统筹基金支出", "basic insurance payment"),
    Column("大病补充医疗保险基金支出", "serious illness insurance payment"),
    Column("医疗救助基金支出", "medical assistance payment"),
    Column("个人负担总金额", "out of pocket"),
    Column("是否一站式结算", "one-stop settlement", "one_stop"),
]


def settlements(ctx: Context) -> tuple[Extract, pl.DataFrame]:
    """The platform's inpatient settlement list, and the stays it was made from."""
    rng = ctx.rng
    frame = stays(ctx)
    n = frame.height
    times = {"cell_time": 0.7, "cell": 0.3}
    values = {
        "人员编号": psn_no(),
        "人员姓名": spoil_names(frame["name"], rng, NameDirt(0.01, 0.005, 0.003, 0.01, 0.003, 0.5)),
        "证件号码": spoil_ids(frame["id_number"], rng, IdDirt(
            missing=0.1, mistyped=0.005, swapped=0.003, spaced=0.005, fullwidth=0.002,
            old15=0.002, excel_number=0.01, lower_x=0.2)),
        "性别": common.sex(), "年龄": pl.col("age"),
        "险种类型": pl.when(pl.col("employee")).then(pl.lit("310")).otherwise(pl.lit("390")),
        "人员类别": insured_category(("特困人员", "低保户", "脱贫户", "防返贫监测对象", "城乡居民",
                             "城乡居民")),
        "参保状态": pl.col("ins_state").replace_strict({0: "正常", 1: "暂停", 2: "终止"},
                                                    return_dtype=pl.String),
        "定点医药机构名称": pl.col("hospital"),
        "医疗类别": common.pick(rng, ("住院", "普通住院", "单病种住院"), n, [0.6, 0.35, 0.05]),
        "入院日期": render_dates(frame["admitted"], rng, times),
        "出院日期": render_dates(frame["discharged"], rng, times),
        "结算时间": render_dates(frame["discharged"], rng, {"iso_time": 1.0}),
        "医疗费总额": money(pl.col("total")),
        "基金支付总额": money(pl.col("fund") + pl.col("big") + pl.col("aid")),
        "统筹基金支出": money(pl.col("fund")),
        "大病补充医疗保险基金支出": money(pl.col("big")),
        "医疗救助基金支出": money(pl.col("aid")),
        "个人负担总金额": money(pl.col("total") - pl.col("fund") - pl.col("big") - pl.col("aid")),
        "是否一站式结算": pl.when(pl.col("one_stop")).then(pl.lit("是")).otherwise(pl.lit("否")),
    }
    body = body_frame(SETTLE_COLUMNS, values, frame)
    return Extract("结算明细表.xlsx", "xlsx", "insurance",
                   [Sheet("Sheet1", SETTLE_COLUMNS, body)]), frame


HOSPITAL_COLUMNS = [
    Column("序号", "serial number"), Column("住院号", "inpatient number"), Column("姓名", "name"),
    Column("性别", "sex", "sex"), Column("科室", "department"),
    Column("入院时间", "admission date"), Column("出院时间", "discharge date"),
    Column("医院名称", "hospital"), Column("总费用", "total cost"),
    Column("报销金额", "reimbursed amount"), Column("自付金额", "out of pocket"),
    Column("一站式", "one-stop settlement", "one_stop"),
]


def hospital_list(ctx: Context, frame: pl.DataFrame) -> Extract:
    """The county hospital's one-stop discharges of registered people (no identity number)."""
    rng = ctx.rng
    own = frame.filter(pl.col("key") & (pl.col("hospital") == f"{ctx.county_name}人民医院"))
    n = own.height
    paid = pl.col("fund") + pl.col("big") + pl.col("aid")
    values = {
        "序号": common.serial(),
        "住院号": pl.lit(pl.Series(rng.integers(10**7, 10**8, n).astype(str))),
        "姓名": spoil_names(own["name"], rng, NameDirt(0.03, 0.01, 0.005, 0.02, 0.01, 0.6)),
        "性别": common.sex(("男性", "女性")),
        "科室": common.pick(rng, ("内科", "外科", "骨科", "肿瘤科", "神经内科", "心内科"), n),
        "入院时间": render_dates(own["admitted"], rng, {"slash_time": 1.0}),
        "出院时间": render_dates(own["discharged"], rng, {"slash_time": 1.0}),
        "医院名称": pl.col("hospital"), "总费用": money(pl.col("total")),
        "报销金额": money(paid), "自付金额": money(pl.col("total") - paid),
        "一站式": pl.when(pl.col("one_stop")).then(pl.lit("1")).otherwise(pl.lit("0")),
    }
    body = body_frame(HOSPITAL_COLUMNS, values, own)
    title = [f"{ctx.county_name}人民医院“先诊疗后付费”一站式结算出院病人名单"]
    return Extract("一站式0930.csv", "csv", "hospital", [Sheet("", HOSPITAL_COLUMNS, body, title)],
                   encoding="gbk")


def settlement_files(ctx: Context) -> list[Extract]:
    """Both settlement files, made from the same stays."""
    platform, frame = settlements(ctx)
    return [platform, hospital_list(ctx, frame)]
