"""The exchange's columns and the header words for them, out and back."""

from __future__ import annotations

from pipelines.domain.extracts import EXTRACTS, PERSON_HEADERS

CASE_SHEET = "大病救治病例"
_LEDGER = EXTRACTS["illness_ledger"].fields
_SETTLEMENT = EXTRACTS["settlement"].fields

# Exchange field -> header variants; the first is the header sanji writes. The office's own
# system may send any variant back (or the settlement extract's headers).
EXCHANGE_HEADERS: dict[str, tuple[str, ...]] = {
    "person_id": ("人员编号", "人员ID", "个人编号", "人员唯一编号", "编号"),
    "name": PERSON_HEADERS["name"],
    "id_masked": PERSON_HEADERS["id_number"],
    "township": PERSON_HEADERS["township"],
    "village": PERSON_HEADERS["village"],
    "illness": _LEDGER["illness"],
    "hospital": _LEDGER["hospital"],
    "status": (*_LEDGER["status"], "救治情况", "状态"),
    "diagnosis_date": _LEDGER["diagnosis_date"],
    "admissions": ("住院次数", "住院人次", "结算次数"),
    "total_cost": _SETTLEMENT["total_cost"],
    "basic_insurance": ("基本医保", *_SETTLEMENT["basic_insurance"]),
    "critical_insurance": ("大病保险", *_SETTLEMENT["critical_insurance"]),
    "medical_assistance": ("医疗救助", *_SETTLEMENT["medical_assistance"]),
    "out_of_pocket": _SETTLEMENT["out_of_pocket"],
    "one_stop": _SETTLEMENT["one_stop"],
}
# Fields only a return carries: the office's own system lists people by name, ID and birth
# date (no person id of ours); read to match its rows to people, never written back.
RETURN_HEADERS: dict[str, tuple[str, ...]] = {
    "birth_date": PERSON_HEADERS["birth_date"],
    "sex": PERSON_HEADERS["sex"],
}
REQUIRED = ("illness", "status")
# An extract field a steward maps in sanji_mapping.yaml -> the exchange field it feeds.
MAPPED_FIELDS = {"id_number": "id_masked"}
# Cells that label the month a returned sheet is for (统计月份: 2026年10月).
