"""How the national systems export the county's extracts: files, headers, value words, dates.

The second export style of the demo county (``sanji demo-data --style national``), written
from the issue-11 research (``pipelines/domain/headers.yaml`` and ``values.yaml`` cite the
sources), not from the classic style's words:

- 全国防止返贫监测信息系统: a GBK CSV whose IDs carry Excel's ="…" guard, no population-type
  column (户类型 and 监测对象类别 tell it), risk causes spread over 致贫/返贫风险1..3, 之子 / 之女.
- 家庭医生签约 and 基本公卫 vendor systems: one workbook per module, a title row, 签约居民,
  患病种类 (高血压患者, 糖尿病患者 …), 门诊就诊 / 上门随访 / 电话随访.
- 大病专项救治台账: a merged title, 病种名称 in the systems' words (食道癌, 尿毒症), 救治情况.
- 民政 低保/特困 system: a roster workbook, 对象类别 (农村低保, 农村特困人员（分散供养）), 对象状态.
- 殡葬 system: 逝者姓名 / 逝者证件号, 死亡时间 with a time of day.
- 国家医保信息平台: 人员参保状态 正常参保, 人员身份类别 with national codes (特困人员-7131,
  返贫致贫人口-7202); settlements with 开始日期 / 结束日期 (times of day), 医疗费总额 and the fund
  columns of the 5203 query, and 结算方式, the county's one-stop column.

A column's source is a canonical field of the classic table, ``seq`` (序号), ``=text`` (a
constant) or ``@name`` (computed in :mod:`pipelines.demo.national`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.demo.places import COUNTY_NAME

DATE, DATETIME = "%Y-%m-%d", "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class NationalSheet:
    """One extract as a national system exports it.

    Attributes:
        extract: the extract.
        file: the file name.
        sheet: the sheet name ("" for a CSV).
        encoding: a codec for a CSV, or "xlsx".
        columns: (source, header) pairs.
        formats: date field -> strftime format (default ``DATE``).
        title: a title row above the header.
        merged: the title is merged across the header's width.
        guard_ids: IDs written as ="…" (Excel's text guard).
    """

    extract: str
    file: str
    sheet: str
    encoding: str
    columns: tuple[tuple[str, str], ...]
    formats: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    merged: bool = False
    guard_ids: bool = False

    @property
    def first_data_row(self) -> int:
        """1-based row of the first data row."""
        return 2 + (self.title is not None)


# (extract, field) -> classic word -> the national system's word.
WORDS: dict[tuple[str, str], dict[str, str]] = {
    ("poverty_roster", "relation"): {"父亲": "之父", "母亲": "之母", "子": "之子", "女": "之女"},
    ("poverty_roster", "risk_cause"): {"因灾": "因自然灾害", "缺劳力": "缺劳动力",
                                       "因务工就业不稳": "务工就业不稳", "其他": "其它"},
    ("poverty_roster", "risk_cleared"): {"是": "是", "否": "否"},
    ("chronic_followup", "disease"): {"高血压": "高血压患者", "2型糖尿病": "糖尿病患者",
                                      "肺结核": "肺结核患者", "严重精神障碍": "重性精神病患者"},
    ("chronic_followup", "followup_way"): {"门诊": "门诊就诊", "家庭": "上门随访",
                                           "电话": "电话随访"},
    ("illness_ledger", "illness"): {"食管癌": "食道癌", "尘肺": "尘肺病", "终末期肾病": "尿毒症",
                                    "艾滋病机会性感染": "艾滋病机会感染",
                                    "急性心肌梗死": "急性心肌梗塞", "1型糖尿病": "Ⅰ型糖尿病"},
    ("illness_ledger", "status"): {"已救治": "救治完成", "救治中": "正在救治", "待救治": "待治疗"},
    ("assistance", "assistance_type"): {"低保": "农村低保", "特困供养": "农村特困人员（分散供养）",
                                        "临时救助": "临时救助"},
    ("assistance", "status"): {"正常": "在保", "停保": "停发"},
    ("assistance", "hardship_cause"): {"因灾": "因自然灾害", "缺劳力": "缺劳动力",
                                       "因务工就业不稳": "务工就业不稳", "其他": "其它"},
    ("enrolment", "enrol_status"): {"参保缴费": "正常参保", "暂停": "暂停参保",
                                    "终止": "终止参保"},
    ("enrolment", "subsidy_type"): {"特困全额资助": "特困人员-7131", "低保定额资助": "低保对象",
                                    "监测对象资助": "返贫致贫人口-7202",
                                    "脱贫人口资助": "农村建档立卡低收入人口",
                                    "无": "普通居民"},
    ("settlement", "diagnosis"): {"食管癌": "食管恶性肿瘤", "胃癌": "胃恶性肿瘤",
                                  "终末期肾病": "慢性肾衰竭(尿毒症期)", "肺癌": "支气管肺癌",
                                  "尘肺": "矽肺"},
    ("settlement", "one_stop"): {"是": "一站式结算", "否": "零星报销"},
}


def national_sheets(ym: str, year: int) -> dict[str, NationalSheet]:
    """Each extract as its national system exports it, by extract.

    Args:
        ym: the extracts' month as YYYYMM.
        year: the extracts' year.

    Returns:
        extract -> its sheet.
    """
    poverty = f"防止返贫监测信息系统_监测对象及脱贫人口_{ym}.csv"
    contract = "家庭医生签约服务管理系统_签约居民明细.xlsx"
    followup = "基本公共卫生服务系统_慢病随访记录.xlsx"
    ledger = "大病专项救治系统_救治台账.xlsx"
    sheets = (
        *_insurance_and_civil(ym, year),
        NationalSheet("poverty_roster", poverty, "", "gbk", (
            (f"={COUNTY_NAME}", "县(市、区、旗)"), ("township", "乡(镇)"), ("village", "行政村"),
            ("household_id", "户编号"), ("@person_code", "人编号"), ("name", "姓名"),
            ("=居民身份证", "证件类型"), ("id_number", "证件号码"), ("sex", "性别"),
            ("relation", "与户主关系"), ("head_name", "户主姓名"), ("@household_type", "户类型"),
            ("monitoring_category", "监测对象类别"), ("@risk_1", "致贫/返贫风险1"),
            ("@risk_2", "致贫/返贫风险2"), ("@risk_3", "致贫/返贫风险3"),
            ("risk_cleared", "风险是否已消除"), (f"={ym}", "数据日期"),
        ), guard_ids=True),
        NationalSheet("doctor_contract", contract, "签约居民明细", "xlsx", (
            ("seq", "序号"), ("name", "签约居民"), ("id_number", "身份证号"), ("sex", "性别"),
            ("birth_date", "出生日期"), ("township", "镇街"), ("village", "村(居)"),
            ("team", "家医团队"), ("contract_date", "签约时间"),
            ("service_package", "签约服务类型"), ("groups", "签约人所属人群"),
            ("=已签约", "签约状态"),
        ), {"contract_date": DATETIME}, title=f"{COUNTY_NAME}家庭医生签约居民明细"),
        NationalSheet("chronic_followup", followup, "随访记录", "xlsx", (
            ("name", "姓名"), ("id_number", "身份证号"), ("sex", "性别"),
            ("birth_date", "出生日期"), ("township", "乡镇"), ("village", "村(居)"),
            ("disease", "患病种类"), ("followup_date", "实际随访日期"),
            ("followup_way", "随访方式"), ("clinic", "随访单位"), ("referral_date", "登记日期"),
            ("@next_followup", "下次随访日期"), ("=控制满意", "本次随访分类"),
        ), {"referral_date": "%Y/%m/%d"}),
        NationalSheet("illness_ledger", ledger, "救治台账", "xlsx", (
            ("seq", "序号"), ("name", "患者姓名"), ("id_number", "身份证号码"), ("sex", "性别"),
            ("birth_date", "出生日期"), ("township", "乡镇"), ("village", "行政村"),
            ("illness", "病种名称"), ("hospital", "确诊医院"), ("diagnosis_date", "确诊时间"),
            ("status", "救治情况"),
        ), {"diagnosis_date": "%Y年%m月%d日"}, merged=True,
            title=f"{COUNTY_NAME}农村贫困人口大病专项救治工作台账"),
    )
    return {s.extract: s for s in sheets}


def _insurance_and_civil(ym: str, year: int) -> tuple[NationalSheet, ...]:
    """Civil affairs (低保/特困, 殡葬) and medical insurance (参保, 结算) sheets."""
    assistance = "民政社会救助系统_城乡低保特困对象名册.xlsx"
    enrolment = f"国家医保信息平台_参保人员信息_{ym}.xlsx"
    settlement = f"国家医保信息平台_结算信息查询_{year}.xlsx"
    id_type = ("=居民身份证(户口簿)", "人员证件类型")
    return (
        NationalSheet("assistance", assistance, "保障对象名册", "xlsx", (
            ("seq", "序号"), ("head_name", "户主姓名"), ("name", "家庭成员姓名"),
            ("id_number", "身份证号码"), ("sex", "性别"), ("birth_date", "出生日期"),
            ("township", "街道乡镇"), ("village", "村社区"), ("assistance_type", "对象类别"),
            ("start_date", "批准日期"), ("status", "对象状态"), ("hardship_cause", "致贫原因"),
            ("=1", "保障人数"),
        ), title="城乡低保特困救助对象花名册"),
        NationalSheet("death", "殡葬管理系统_火化基本信息统计表.xlsx", "火化信息", "xlsx", (
            ("name", "逝者姓名"), ("id_number", "逝者证件号"), ("sex", "逝者性别"),
            ("birth_date", "逝者出生日期"), ("township", "所在乡镇"), ("village", "所在村"),
            ("death_date", "死亡时间"), ("cremation_date", "逝者火化日期"),
            (f"={COUNTY_NAME}殡仪馆", "殡仪馆名称"),
        ), {"death_date": DATETIME}, title=f"{COUNTY_NAME}殡仪馆火化基本信息统计表"),
        NationalSheet("enrolment", enrolment, "参保人员信息", "xlsx", (
            ("insurance_no", "人员编号"), ("name", "人员姓名"), id_type,
            ("id_number", "证件号码"), ("sex", "性别"), ("birth_date", "出生日期"),
            ("township", "镇街"), ("village", "村(居)"), ("village_code", "行政区域代码"),
            ("=城乡居民基本医疗保险", "险种类型"), ("enrol_status", "人员参保状态"),
            ("subsidy_type", "人员身份类别"), ("enrol_year", "参保年度(居民)"),
        )),
        NationalSheet("settlement", settlement, "结算信息", "xlsx", (
            ("@settlement_id", "结算ID"), ("insurance_no", "人员编号"), ("name", "人员姓名"),
            id_type,
            ("id_number", "证件号码"), ("sex", "性别"), ("birth_date", "出生日期"),
            ("township", "乡镇"), ("village", "村"), ("village_code", "统计用区划代码"),
            ("hospital", "定点医药机构名称"), ("=普通住院", "医疗类别"),
            ("admission_date", "开始日期"), ("discharge_date", "结束日期"),
            ("diagnosis", "诊断名称"), ("total_cost", "医疗费总额"),
            ("@policy_cost", "符合政策范围金额"),
            ("basic_insurance", "基本医疗保险统筹基金支出"),
            ("critical_insurance", "居民大病保险资金支出"),
            ("medical_assistance", "医疗救助基金支出"),
            ("@fund_total", "基金支付总额"), ("out_of_pocket", "个人负担总金额"),
            ("one_stop", "结算方式"),
        ), {"admission_date": DATETIME, "discharge_date": DATETIME}),
    )




# The clinic list as a county's health bureau keeps it (classic header -> national header).
CLINIC_SHEET = NationalSheet("village_clinic", "卫健局_一体化管理村卫生室名单.xlsx", "村卫生室",
                             "xlsx", (
    ("seq", "序号"), ("卫生室名称", "村卫生室名称"), ("机构编码", "医疗机构登记号"),
    ("乡镇", "所在乡镇"), ("行政村", "所在村"), ("托管医院", "托管医院"), ("=是", "是否一体化管理"),
), title=f"{COUNTY_NAME}一体化管理村卫生室名单")
