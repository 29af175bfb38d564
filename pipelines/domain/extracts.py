"""The extracts a county lands: who sends each, its fields, and the header words for them.

- ``EXTRACTS`` names each extract sanji recognises, the department that sends it, its canonical
  fields with the header variants the departments' systems use, and the headers that identify
  it (its signature).
- ``REGION_FIELDS`` are the columns of the county's division table (统计用区划代码).
- ``DATE_FIELDS``, ``MONEY_FIELDS`` and ``BOOL_FIELDS`` say how an extract's own fields are
  typed (:func:`field_type`). The columns every accepted record carries are the contract
  ``schemas.canonical.PersonRecords``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

# Header variants shared by most extracts. The first variant is the canonical Chinese header
# used when sanji writes a file (exchange workbook, steward exports).
PERSON_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "人员姓名", "患者姓名", "参保人姓名", "救助对象姓名", "成员姓名", "死者姓名"),
    "id_number": (
        "证件号码", "身份证号", "公民身份号码", "身份证号码", "身份证件号码", "证件号", "身份证",
    ),
    "sex": ("性别",),
    "birth_date": ("出生日期", "出生年月日"),
    "township": ("乡镇", "乡(镇)", "乡镇(街道)", "所属乡镇", "乡镇名称"),
    "village": ("行政村", "村", "村(社区)", "所属村", "村委会", "村名称"),
    "village_code": ("村级区划代码", "区划代码", "行政区划代码", "统计用区划代码"),
}


@dataclass(frozen=True)
class ExtractSpec:
    """One kind of extract: who sends it, which fields it has, how to recognise it.

    Attributes:
        name: canonical extract name, also the Dagster asset and table stem.
        department: key of ``DEPARTMENTS``.
        title: Chinese name stewards use for it.
        fields: canonical field -> header variants (first is canonical).
        required: fields that must be present among the headers.
        signature: headers (canonical field names) whose joint presence identifies it.
        sheet_hints: sheet names that identify it in a workbook.
        one_row_per_person: True when the extract lists each person once, so two of its
            records are two different people (a cannot-link constraint in linkage).
    """

    name: str
    department: str
    title: str
    fields: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    signature: tuple[str, ...]
    sheet_hints: tuple[str, ...] = ()
    one_row_per_person: bool = False
    person_fields: tuple[str, ...] = field(default=("name", "id_number", "sex", "birth_date",
                                                    "township", "village", "village_code"))


def _person(*names: str) -> dict[str, tuple[str, ...]]:
    return {n: PERSON_HEADERS[n] for n in names}


_PLACE = ("township", "village", "village_code")

EXTRACTS: dict[str, ExtractSpec] = {
    spec.name: spec
    for spec in (
        ExtractSpec(
            name="poverty_roster",
            department="poverty",
            title="防返贫动态监测名单",
            fields={
                "household_id": ("户编号", "户号", "家庭编号"),
                "head_name": ("户主姓名", "户主"),
                **_person("name", "id_number", "sex", "birth_date", *_PLACE),
                "relation": ("与户主关系", "与户主关系(称谓)"),
                "population_type": ("人口类型", "人员类型"),
                "monitoring_category": ("监测对象类别", "监测类型"),
                "risk_cause": ("风险类型", "主要风险", "致贫原因", "主要致贫(返贫)原因"),
                "risk_cleared": ("风险是否消除", "风险消除"),
            },
            required=("household_id", "name", "id_number", "relation", "population_type"),
            signature=("household_id", "relation"),
            sheet_hints=("防返贫", "监测", "脱贫人口"),
            one_row_per_person=True,
        ),
        ExtractSpec(
            name="doctor_contract",
            department="health",
            title="家庭医生签约",
            fields={
                **_person("name", "id_number", "sex", "birth_date", *_PLACE),
                "team": ("签约团队", "家庭医生团队"),
                "contract_date": ("签约日期", "签约时间"),
                "service_package": ("服务包", "签约服务包"),
                "groups": ("人群分类", "重点人群"),
            },
            required=("name", "id_number", "contract_date"),
            signature=("contract_date",),
            sheet_hints=("家庭医生签约", "签约"),
            one_row_per_person=True,
        ),
        ExtractSpec(
            name="chronic_followup",
            department="health",
            title="慢病随访",
            fields={
                **_person("name", "id_number", "sex", "birth_date", *_PLACE),
                "disease": ("疾病类型", "慢病类型", "管理病种"),
                "followup_date": ("随访日期", "随访时间"),
                "followup_way": ("随访方式",),
                "clinic": ("随访机构", "随访医疗机构"),
                "referral_date": ("转诊日期", "转诊时间"),
            },
            required=("name", "id_number", "disease", "followup_date"),
            signature=("followup_date",),
            sheet_hints=("慢病随访", "随访"),
        ),
        ExtractSpec(
            name="illness_ledger",
            department="health",
            title="大病专项救治台账",
            fields={
                **_person("name", "id_number", "sex", "birth_date", *_PLACE),
                "illness": ("病种", "大病病种", "疾病名称"),
                "hospital": ("定点医院", "救治医院"),
                "diagnosis_date": ("确诊日期", "诊断日期"),
                "status": ("救治状态",),
            },
            required=("name", "id_number", "illness", "status"),
            signature=("illness", "status"),
            sheet_hints=("大病专项救治", "大病救治", "台账"),
        ),
        ExtractSpec(
            name="assistance",
            department="civil",
            title="低保特困临时救助对象",
            fields={
                **_person("name", "id_number", "sex", "birth_date", *_PLACE),
                "head_name": ("户主姓名", "户主"),
                "assistance_type": ("救助类型", "保障类型", "救助类别"),
                "start_date": ("起始日期", "享受起始日期", "救助开始日期"),
                "status": ("状态", "保障状态"),
                "hardship_cause": ("致困原因", "主要致困原因"),
            },
            required=("name", "id_number", "assistance_type"),
            signature=("assistance_type",),
            sheet_hints=("救助", "低保", "特困"),
            one_row_per_person=True,
        ),
        ExtractSpec(
            name="death",
            department="civil",
            title="死亡火化记录",
            fields={
                **_person("name", "id_number", "sex", "birth_date", *_PLACE),
                "death_date": ("死亡日期", "死亡时间"),
                "cremation_date": ("火化日期", "火化时间"),
            },
            required=("name", "id_number", "death_date"),
            signature=("death_date",),
            sheet_hints=("死亡", "火化"),
            one_row_per_person=True,
        ),
        ExtractSpec(
            name="enrolment",
            department="insurance",
            title="城乡居民医保参保",
            fields={
                **_person("name", "id_number", "sex", "birth_date", *_PLACE),
                "enrol_status": ("参保状态", "缴费状态"),
                "subsidy_type": ("资助类型", "资助类别", "医疗救助资助类型"),
                "enrol_year": ("参保年度", "缴费年度"),
            },
            required=("name", "id_number", "enrol_status"),
            signature=("enrol_status",),
            sheet_hints=("参保",),
            one_row_per_person=True,
        ),
        ExtractSpec(
            name="settlement",
            department="insurance",
            title="住院结算",
            fields={
                **_person("name", "id_number", "sex", "birth_date", *_PLACE),
                "hospital": ("就诊医院", "医疗机构名称", "定点医疗机构"),
                "diagnosis": ("主要诊断", "出院诊断", "结算病种"),
                "admission_date": ("入院日期", "入院时间"),
                "discharge_date": ("出院日期", "出院时间"),
                "total_cost": ("医疗总费用", "总费用"),
                "basic_insurance": ("基本医保支付", "统筹基金支付", "基本医疗保险支付"),
                "critical_insurance": ("大病保险支付",),
                "medical_assistance": ("医疗救助支付",),
                "out_of_pocket": ("个人自付", "个人负担"),
                "one_stop": ("一站式结算", "是否一站式结算"),
            },
            required=("name", "id_number", "admission_date", "total_cost"),
            signature=("admission_date",),
            sheet_hints=("结算", "住院"),
        ),
    )
}

# The county's statistical division table (统计用区划代码), read from the landing folder.
REGION_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("区划代码", "统计用区划代码", "代码", "code"),
    "name": ("名称", "区划名称", "单位名称", "name"),
    "level": ("级别", "层级", "level"),
    "parent_code": ("上级代码", "上级区划代码", "parent_code"),
    "former_name": ("曾用名", "原名称"),
}
REGION_LEVELS = {"县": "county", "乡镇": "township", "村": "village"}

DATE_FIELDS = frozenset({
    "contract_date", "followup_date", "referral_date", "diagnosis_date", "start_date",
    "death_date", "cremation_date", "admission_date", "discharge_date",
})
MONEY_FIELDS = frozenset({
    "total_cost", "basic_insurance", "critical_insurance", "medical_assistance", "out_of_pocket",
})
BOOL_FIELDS = frozenset({"risk_cleared", "one_stop"})


def field_type(name: str) -> pl.DataType:
    """The polars type of an extract field.

    Args:
        name: canonical field name.

    Returns:
        Date, Float64, Boolean or String.
    """
    if name in DATE_FIELDS:
        return pl.Date()
    if name in MONEY_FIELDS:
        return pl.Float64()
    if name in BOOL_FIELDS:
        return pl.Boolean()
    return pl.String()

