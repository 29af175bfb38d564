"""The vocabulary every stage shares: departments, extracts, canonical fields and their headers.

This module is the contract between the demo generator, the readers, the linker and the
published tables. It holds data only; behaviour lives in the modules that use it.

- ``EXTRACTS`` names each extract sanji recognises, the department that sends it, its
  canonical fields with the header variants the departments' systems use, and the headers
  that identify it (its signature).
- ``COMMON_COLUMNS`` are the columns every canonical record carries after ingest; the
  linker reads exactly these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The county's clock: months, schedules and decision times are read in China Standard Time.
TIMEZONE = "Asia/Shanghai"

DEPARTMENTS: dict[str, str] = {
    "poverty": "乡村振兴局(扶贫办)",
    "health": "卫健局",
    "civil": "民政局",
    "insurance": "医保局",
}

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
    "code": ("区划代码", "统计用区划代码", "代码"),
    "name": ("名称", "区划名称", "单位名称"),
    "level": ("级别", "层级"),
    "parent_code": ("上级代码", "上级区划代码"),
    "former_name": ("曾用名", "原名称"),
}
REGION_LEVELS = {"县": "county", "乡镇": "township", "村": "village"}

# Columns every canonical record carries after ingest (one row per accepted input row).
# Types: record_id/source_file/sheet/department/extract/name*/id*/sex/household_id/codes: str;
# row_number: Int64; id_valid: Boolean; birth_date: Date.
COMMON_COLUMNS: tuple[str, ...] = (
    "record_id",      # f"{source_file}|{sheet}|{row_number}", unique within a run
    "source_file",    # file name within the landing folder
    "sheet",          # sheet name, "" for CSV
    "row_number",     # the row a person sees in the file (CSV header is line 1)
    "department",     # key of DEPARTMENTS
    "extract",        # key of EXTRACTS
    "name_raw",       # as read
    "name",           # normalised (NFKC, no spaces, one middle dot, simplified); null if none
    "name_pinyin",    # toneless pinyin of `name`, syllables joined without separator
    "id_raw",         # as read (text)
    "id_number",      # normalised 18-char ID (upper X), null when unusable; may fail checksum
    "id_valid",       # checksum and birth date in the ID are right
    "sex",            # "男" / "女" / null; from a valid ID, else from the sex column
    "birth_date",     # from a valid ID, else from the birth date column
    "township_code",  # 12-digit code of the township (xxxxxxyyy000), null if unresolved
    "village_code",   # 12-digit code of the village, null if unresolved
    "village_raw",    # the village as written (name or code)
    "household_id",   # poverty roster only, else null
)

POPULATION_TYPES = ("脱贫人口", "监测对象")
MONITORING_CATEGORIES = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")
RISK_CAUSES = ("因病", "因残", "因学", "因灾", "因意外事故", "缺劳力", "因务工就业不稳", "其他")
CHRONIC_DISEASES = ("高血压", "2型糖尿病", "肺结核", "严重精神障碍")
ILLNESS_STATUSES = ("待救治", "救治中", "已救治", "死亡", "放弃救治")
ASSISTANCE_TYPES = ("低保", "特困供养", "临时救助")
ENROL_STATUSES = ("参保缴费", "暂停", "终止")
SUBSIDY_TYPES = ("特困全额资助", "低保定额资助", "脱贫人口资助", "监测对象资助", "无")

# The 30 serious illnesses of 大病专项救治 (国卫办医函〔2019〕 30 种).
SERIOUS_ILLNESSES: tuple[str, ...] = (
    "儿童急性淋巴细胞白血病", "儿童急性早幼粒细胞白血病", "儿童先天性房间隔缺损",
    "儿童先天性室间隔缺损", "儿童先天性动脉导管未闭", "儿童先天性肺动脉瓣狭窄", "食管癌", "胃癌",
    "结肠癌", "直肠癌", "终末期肾病", "乳腺癌", "宫颈癌", "重性精神病", "耐多药结核病",
    "艾滋病机会性感染", "肺癌", "肝癌", "急性心肌梗死", "白内障", "尘肺", "神经母细胞瘤",
    "儿童淋巴瘤", "骨肉瘤", "血友病", "地中海贫血", "唇腭裂", "尿道下裂", "发育性髋关节发育不良",
    "1型糖尿病",
)

# Published table names: a contract with stewards and the illness office.
PUBLISHED_TABLES: tuple[str, ...] = (
    "person_source", "person", "quarantine", "field_issue", "mismatch", "uncertain_match",
    "village_monthly", "township_monthly", "county_monthly", "exchange_diff",
)
