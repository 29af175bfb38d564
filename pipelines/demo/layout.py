"""How each department lays out its extract: file, encoding, sheet, headers, date styles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pipelines.demo.places import COUNTY_NAME


@dataclass(frozen=True)
class SheetLayout:
    """One table as a department writes it.

    Attributes:
        extract: key of `pipelines.domain.extracts.EXTRACTS`.
        sheet: sheet name ("" for CSV).
        columns: (source, header) pairs; source is a canonical field, or "seq" (序号).
        dates: source -> style: iso, slash, compact, zh, mixed, serial (Excel number) or
            serial_fmt (Excel number shown as a date); CSV styles mix in 10% other formats.
        title: a title row above the header (merged across the columns if `merged`).
        merged: merge the title across the header's width.
        totals: write a 合计 row after the data.
    """

    extract: str
    sheet: str
    columns: tuple[tuple[str, str], ...]
    dates: dict[str, str] = field(default_factory=dict)
    title: str | None = None
    merged: bool = False
    totals: bool = False

    @property
    def first_data_row(self) -> int:
        """1-based row number of the first data row, as a person sees it."""
        return 2 + (self.title is not None)


@dataclass(frozen=True)
class FileLayout:
    """One landing file: name, encoding (a codec name, or "xlsx") and its sheets."""

    name: str
    encoding: str
    sheets: tuple[SheetLayout, ...]
    line_terminator: str = "\n"

    @property
    def dot_choices(self) -> tuple[str, ...]:
        """Middle-dot variants the file's encoding can hold."""
        return (".", "", "．") if self.encoding == "gbk" else ("•", ".", "", "．")


def layouts(as_of: date) -> tuple[FileLayout, ...]:
    """The eight extracts in six files, as the county's departments send them.

    Args:
        as_of: the extracts' reference date (names the month in titles and file names).

    Returns:
        The file layouts, in writing order. The inpatient settlement list carries the
        insurance person number (人员编号), name, ID, sex, hospital and dates only (no birth
        date, no village); the enrolment list carries the person number too, as the insurance
        platform's exports do (docs/linkage.md, *The insurance person number in the demo*).
    """
    return (*_poverty_files(as_of), *_health_files(as_of), *_civil_affairs_files(as_of),
            *_insurance_files(as_of))


def _poverty_files(as_of: date) -> tuple[FileLayout, ...]:
    """The poverty office's monitoring roster (GBK, CRLF)."""
    ym = f"{as_of:%Y%m}"
    return (
        FileLayout(f"扶贫办_防返贫监测名单_{ym}.csv", "gbk", (SheetLayout(
            "poverty_roster", "", (
                ("household_id", "户编号"), ("head_name", "户主姓名"), ("name", "成员姓名"),
                ("id_number", "公民身份号码"), ("sex", "性别"), ("relation", "与户主关系"),
                ("population_type", "人口类型"), ("monitoring_category", "监测对象类别"),
                ("risk_cause", "主要致贫(返贫)原因"), ("risk_cleared", "风险是否消除"),
                ("township", "乡镇"), ("village", "行政村"),
            )),), "\r\n"),
    )


def _health_files(as_of: date) -> tuple[FileLayout, ...]:
    """The health commission's workbook: three sheets."""
    month = f"{as_of.year}年{as_of.month}月"
    return (
        FileLayout(f"卫健局_健康帮扶三项台账_{month}.xlsx", "xlsx", (
            SheetLayout("doctor_contract", "家庭医生签约", (
                ("name", "姓名"), ("id_number", "身份证号码"), ("sex", "性别"),
                ("birth_date", "出生日期"), ("township", "乡镇(街道)"), ("village", "村(社区)"),
                ("team", "家庭医生团队"), ("contract_date", "签约日期"),
                ("service_package", "签约服务包"), ("groups", "重点人群"),
            ), {"birth_date": "mixed", "contract_date": "serial_fmt"},
                title=f"{COUNTY_NAME}家庭医生签约服务台账(截至{month})"),
            SheetLayout("chronic_followup", "慢病随访", (
                ("name", "患者姓名"), ("id_number", "身份证号"), ("sex", "性别"),
                ("birth_date", "出生年月日"), ("township", "所属乡镇"), ("village", "所属村"),
                ("disease", "管理病种"), ("followup_date", "随访日期"),
                ("followup_way", "随访方式"), ("clinic", "随访医疗机构"),
                ("referral_date", "转诊日期"),
            ), {"birth_date": "iso", "followup_date": "serial", "referral_date": "slash"}),
            SheetLayout("illness_ledger", "大病专项救治台账", (
                ("seq", "序号"), ("name", "姓名"), ("id_number", "身份证件号码"), ("sex", "性别"),
                ("birth_date", "出生日期"), ("township", "乡镇名称"), ("village", "村委会"),
                ("illness", "大病病种"), ("hospital", "定点医院"),
                ("diagnosis_date", "确诊日期"), ("status", "救治状态"),
            ), {"birth_date": "compact", "diagnosis_date": "mixed"},
                title=f"{COUNTY_NAME}农村贫困人口大病专项救治台账({month})", merged=True,
                totals=True),
        )),
    )


def _civil_affairs_files(as_of: date) -> tuple[FileLayout, ...]:
    """Civil affairs: the assistance roll and the death register."""
    return (
        FileLayout("民政局_低保特困临时救助对象花名册.csv", "utf-8-sig", (SheetLayout(
            "assistance", "", (
                ("name", "救助对象姓名"), ("id_number", "证件号码"), ("sex", "性别"),
                ("birth_date", "出生日期"), ("township", "乡(镇)"), ("village", "村名称"),
                ("head_name", "户主"), ("assistance_type", "救助类别"),
                ("start_date", "享受起始日期"), ("status", "保障状态"),
                ("hardship_cause", "主要致困原因"),
            ), {"birth_date": "slash", "start_date": "zh"}),)),
        FileLayout(f"民政局_死亡火化信息_{as_of.year}.csv", "utf-8-sig", (SheetLayout(
            "death", "", (
                ("name", "死者姓名"), ("id_number", "身份证"), ("sex", "性别"),
                ("birth_date", "出生日期"), ("township", "所属乡镇"), ("village", "村"),
                ("death_date", "死亡日期"), ("cremation_date", "火化日期"),
            ), {"birth_date": "zh", "death_date": "iso", "cremation_date": "iso"}),)),
    )


def _insurance_files(as_of: date) -> tuple[FileLayout, ...]:
    """Medical insurance: the enrolment list and the inpatient settlements."""
    return (
        FileLayout("医保局_城乡居民参保名单.csv", "utf-8", (SheetLayout(
            "enrolment", "", (
                ("insurance_no", "人员编号"), ("name", "参保人姓名"), ("id_number", "证件号"),
                ("sex", "性别"),
                ("birth_date", "出生年月日"), ("township", "乡镇"),
                ("village_code", "行政区划代码"), ("enrol_status", "参保状态"),
                ("subsidy_type", "资助类别"), ("enrol_year", "参保年度"),
            ), {"birth_date": "compact"}),)),
        FileLayout(f"医保局_住院结算明细_{as_of.year}.csv", "gb18030", (SheetLayout(
            "settlement", "", (
                ("insurance_no", "人员编号"), ("name", "姓名"), ("id_number", "身份证件号码"),
                ("sex", "性别"),
                ("hospital", "定点医疗机构"),
                ("diagnosis", "出院诊断"), ("admission_date", "入院日期"),
                ("discharge_date", "出院日期"), ("total_cost", "医疗总费用"),
                ("basic_insurance", "统筹基金支付"), ("critical_insurance", "大病保险支付"),
                ("medical_assistance", "医疗救助支付"), ("out_of_pocket", "个人自付"),
                ("one_stop", "是否一站式结算"),
            ), {"admission_date": "mixed", "discharge_date": "mixed"}),)),
    )
