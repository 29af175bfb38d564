"""Each comparison level, table-driven on pairs of handmade records (and their evidence)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from sanji_link_frames import frame, record, valid_id

from pipelines.link import LinkSettings
from pipelines.link.coding import code_records
from pipelines.link.comparisons import compare
from pipelines.link.evidence import EVIDENCE_COLUMNS
from pipelines.link.linker import prepare_records as _prepare

A = valid_id("19800101")
SUB = A[:8] + ("9" if A[8] != "9" else "8") + A[9:]
SWAP = A[:6] + A[7] + A[6] + A[8:]  # "19" -> "91" across the first segment border
B = valid_id("19800101", "456")
C = valid_id("19800101", "789")

CASES = [
    {
        "description": "name exact",
        "field": "name",
        "l": {"name": "张伟"},
        "r": {"name": "张伟"},
        "expected": "exact",
    },
    {
        "description": "name homophone",
        "field": "name",
        "l": {"name": "张伟"},
        "r": {"name": "张玮"},
        "expected": "homophone",
    },
    {
        "description": "name look-alike 3 chars",
        "field": "name",
        "l": {"name": "李己明"},
        "r": {"name": "李已明"},
        "expected": "fuzzy",
    },
    {
        "description": "name different",
        "field": "name",
        "l": {"name": "张伟"},
        "r": {"name": "王芳"},
        "expected": "different",
    },
    {
        "description": "name one char off, 2 chars, other pinyin: same surname",
        "field": "name",
        "l": {"name": "张伟"},
        "r": {"name": "张敏"},
        "expected": "same-surname",
    },
    {
        "description": "name other given name, same compound surname",
        "field": "name",
        "l": {"name": "欧阳娜娜"},
        "r": {"name": "欧阳明"},
        "expected": "same-surname",
    },
    {
        "description": "name compound surname vs its first character",
        "field": "name",
        "l": {"name": "欧阳明辉"},
        "r": {"name": "欧明华"},
        "expected": "different",
    },
    {
        "description": "name 司马 compound vs 司 single surname",
        "field": "name",
        "l": {"name": "司马光明"},
        "r": {"name": "司光辉"},
        "expected": "different",
    },
    {
        "description": "name minority names with a middle dot have no surname",
        "field": "name",
        "l": {"name": "买买提·艾力"},
        "r": {"name": "买买提·图尔逊"},
        "expected": "different",
    },
    {
        "description": "name missing",
        "field": "name",
        "l": {"name": None},
        "r": {"name": "张伟"},
        "expected": None,
    },
    {
        "description": "id exact",
        "field": "id",
        "l": {"idn": A},
        "r": {"idn": A},
        "expected": "exact",
    },
    {
        "description": "id one substitution",
        "field": "id",
        "l": {"idn": A},
        "r": {"idn": SUB},
        "expected": "one-substitution",
    },
    {
        "description": "id adjacent swap",
        "field": "id",
        "l": {"idn": A},
        "r": {"idn": SWAP},
        "expected": "adjacent-swap",
    },
    {
        "description": "id different",
        "field": "id",
        "l": {"idn": A},
        "r": {"idn": B},
        "expected": "different",
    },
    {
        "description": "id missing",
        "field": "id",
        "l": {"idn": None},
        "r": {"idn": A},
        "expected": None,
    },
    {
        "description": "birth exact",
        "field": "birth",
        "l": {"birth": "1980-01-02"},
        "r": {"birth": "1980-01-02"},
        "expected": "exact",
    },
    {
        "description": "birth day/month swapped",
        "field": "birth",
        "l": {"birth": "1980-01-02"},
        "r": {"birth": "1980-02-01"},
        "expected": "day-month-swapped",
    },
    {
        "description": "birth one part off",
        "field": "birth",
        "l": {"birth": "1980-01-02"},
        "r": {"birth": "1981-01-02"},
        "expected": "one-part-off",
    },
    {
        "description": "birth different",
        "field": "birth",
        "l": {"birth": "1980-01-02"},
        "r": {"birth": "1975-06-09"},
        "expected": "different",
    },
    {
        "description": "birth missing",
        "field": "birth",
        "l": {"birth": None},
        "r": {"birth": "1980-01-02"},
        "expected": None,
    },
    {
        "description": "sex same",
        "field": "sex",
        "l": {"sex": "男", "idn": None},
        "r": {"sex": "男", "idn": None},
        "expected": "same",
    },
    {
        "description": "sex different",
        "field": "sex",
        "l": {"sex": "男", "idn": None},
        "r": {"sex": "女", "idn": None},
        "expected": "different",
    },
    {
        "description": "same village",
        "field": "place",
        "l": {"village": "410526101201"},
        "r": {"village": "410526101201"},
        "expected": "same-village",
    },
    {
        "description": "same township",
        "field": "place",
        "l": {"village": "410526101201"},
        "r": {"village": "410526101202"},
        "expected": "same-township",
    },
    {
        "description": "other township, same county",
        "field": "place",
        "l": {"village": "410526101201"},
        "r": {"village": "410526102201"},
        "expected": "same-county",
    },
    {
        "description": "other county",
        "field": "place",
        "l": {"village": "410526101201"},
        "r": {"village": "410527101201"},
        "expected": "different",
    },
    {
        "description": "place missing",
        "field": "place",
        "l": {"village": None},
        "r": {"village": "410526102201"},
        "expected": None,
    },
    {
        "description": "same household",
        "field": "household",
        "l": {"household": "H1"},
        "r": {"household": "H1"},
        "expected": "same",
    },
    {
        "description": "other household",
        "field": "household",
        "l": {"household": "H1"},
        "r": {"household": "H2"},
        "expected": "different",
    },
    {
        "description": "household missing",
        "field": "household",
        "l": {"household": None},
        "r": {"household": "H2"},
        "expected": None,
    },
]


# (description, comparison, left, right, expected level, extra records)
NEW_CASES = [
    ("sex column against the sex digit of a typo'd ID", "sex",  # digit 17 says a man
     {"sex": "男", "idn": None}, {"sex": "女", "idn": SUB}, "same", []),
    ("sex digit of a typo'd ID against another sex column", "sex",
     {"sex": "女", "idn": None}, {"sex": "女", "idn": SUB}, "different", []),
    ("name held by exactly one person with a valid ID", "name_frequency",
     {"name": "欧阳娜娜", "idn": A}, {"name": "欧阳娜娜", "idn": None}, "one-holder", []),
    ("name held by two people with valid IDs", "name_frequency",
     {"name": "王芳", "idn": A}, {"name": "王芳", "idn": None}, "two-holders",
     [{"name": "王芳", "idn": B}]),
    ("name held by three people with valid IDs", "name_frequency",
     {"name": "王芳", "idn": A}, {"name": "王芳", "idn": None}, "few-holders",
     [{"name": "王芳", "idn": B}, {"name": "王芳", "idn": C}]),
    ("homophone: the holders of the pinyin count", "name_frequency",
     {"name": "张伟", "idn": A}, {"name": "张玮", "idn": None}, "two-holders",
     [{"name": "章伟", "idn": B}]),
    ("name nobody with a valid ID holds", "name_frequency",
     {"name": "欧阳娜娜", "idn": None}, {"name": "欧阳娜娜", "idn": None}, None, []),
    ("names that differ have no frequency", "name_frequency",
     {"name": "张伟", "idn": A}, {"name": "王芳", "idn": None}, None, []),
    ("same household head", "household_head",
     {"head": "李建国"}, {"head": "李建国"}, "same-head", []),
    ("household heads that sound alike", "household_head",
     {"head": "李建国"}, {"head": "李健国"}, "similar-head", []),
    ("other household heads", "household_head",
     {"head": "李建国"}, {"head": "王秀英"}, "different-head", []),
    ("household head named on one side only", "household_head",
     {"head": "李建国"}, {}, None, []),
    ("settlement at the ledger's hospital within the treatment window", "hospital",
     {"hospital": "县人民医院", "diagnosis": "2026-03-01"},
     {"hospital": "清河县人民医院", "admission": "2026-03-20"}, "in-treatment-window", []),
    ("settlement at the ledger's hospital a year after the diagnosis", "hospital",
     {"hospital": "县人民医院", "diagnosis": "2025-01-01"},
     {"hospital": "县人民医院", "admission": "2026-03-20"}, "same-hospital", []),
    ("two stays at one hospital", "hospital",
     {"hospital": "市第一人民医院", "admission": "2026-01-01"},
     {"hospital": "商丘市第一人民医院", "admission": "2026-05-01"}, "same-hospital", []),
    ("one stay: settlement and the hospital's discharge list, same admission day", "stay",
     {"idn": None, "hospital": "县人民医院", "admission": "2026-03-20"},
     {"hospital": "清河县人民医院", "admission": "2026-03-20"}, "same-stay", []),
    ("two stays at one hospital are other stays", "stay",
     {"hospital": "县人民医院", "admission": "2026-03-20"},
     {"hospital": "县人民医院", "admission": "2026-05-20"}, "other-stay", []),
    ("a ledger's diagnosis is no stay", "stay",
     {"hospital": "县人民医院", "diagnosis": "2026-03-20"},
     {"hospital": "县人民医院", "admission": "2026-03-20"}, None, []),
    ("county and city hospitals are different hospitals", "hospital",
     {"hospital": "县人民医院", "diagnosis": "2026-03-01"},
     {"hospital": "市人民医院", "admission": "2026-03-20"}, "different-hospital", []),
    ("a follow-up clinic names the other record's village", "clinic",
     {"village": None, "clinic": "虹光村卫生室"},
     {"village": "410526101201", "village_raw": "虹光村"}, "clinic-in-village", []),
    ("a follow-up clinic names a village of the other record's township", "clinic",
     {"village": None, "clinic": "金湾村卫生室"}, {"village": "410526101201"},
     "clinic-in-township", [{"village": "410526101202", "village_raw": "金湾村委会"}]),
    ("a follow-up with its own village is placed by it, not by its clinic", "clinic",
     {"village": "410526101201", "clinic": "虹光村卫生室"},
     {"village": "410526101201", "village_raw": "虹光村"}, None, []),
    ("a settlement without an ID against a person with other stays", "other_records",
     {"idn": None, "extract": "settlement"}, {"idn": A, "extract": "enrolment"}, "has-others",
     [{"idn": A, "extract": "settlement"}]),
    ("a settlement without an ID against a person with no stay", "other_records",
     {"idn": None, "extract": "settlement"}, {"idn": A, "extract": "enrolment"}, "has-none",
     [{"idn": B, "extract": "settlement"}]),
    ("one-row extracts say nothing: an enrolment is never repeated", "other_records",
     {"idn": None, "extract": "death"}, {"idn": A, "extract": "enrolment"}, None, []),
    ("two records with valid IDs are decided by their IDs", "other_records",
     {"idn": B, "extract": "settlement"}, {"idn": A, "extract": "enrolment"}, None,
     [{"idn": A, "extract": "settlement"}]),
    ("same insurance person number, one side written as an Excel text guard", "insurance_no",
     {"idn": None, "insurance_no": '="43122520000000000000000012"'},
     {"insurance_no": "43122520000000000000000012"}, "same", []),
    ("other insurance person numbers", "insurance_no",
     {"idn": None, "insurance_no": "43122520000000000000000012"},
     {"insurance_no": "43122520000000000000000055"}, "different", []),
    ("an insurance number Excel turned into a float is no evidence", "insurance_no",
     {"idn": None, "insurance_no": "4.31225E+25"},
     {"insurance_no": "43122520000000000000000012"}, None, []),
    ("place comparison leaves clinic-placed pairs to the clinic", "place",
     {"village": None, "clinic": "虹光村卫生室"},
     {"village": "410526101201", "village_raw": "虹光村"}, None, []),
]
CASES += [
    {"description": d, "field": f, "l": left, "r": right, "expected": e, "extra": extra}
    for d, f, left, right, e, extra in NEW_CASES
]
EVIDENCE_KEYS = {"head": "head_name", "hospital": "hospital", "admission": "admission_date",
                 "diagnosis": "diagnosis_date", "clinic": "clinic", "insurance_no": "insurance_no"}


def _row(n: int, spec: dict) -> dict:
    base = {"name": "张伟", "idn": A, "birth": "1980-01-01"}
    merged = base | {k: v for k, v in spec.items() if k not in EVIDENCE_KEYS}
    kw = {k: v for k, v in merged.items() if k not in base and k != "village_raw"}
    row = record(n, merged["name"], merged["idn"], merged["birth"], **kw)
    if "village_raw" in merged:
        row["village_raw"] = merged["village_raw"]
    return row


def _evidence(rows: list[dict], specs: list[dict]) -> pl.DataFrame:
    data = {"record_id": [r["record_id"] for r in rows]}
    for key, column in EVIDENCE_KEYS.items():
        values = [spec.get(key) for spec in specs]
        if column.endswith("_date"):
            values = [dt.date.fromisoformat(v) if v else None for v in values]
        data[column] = values
    return pl.DataFrame(data, schema={"record_id": pl.String, **EVIDENCE_COLUMNS})


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_comparison_level(case: dict) -> None:
    specs = [case["l"], case["r"], *case.get("extra", [])]
    rows = [_row(n, spec) for n, spec in enumerate(specs)]
    rec = _prepare(frame(rows), _evidence(rows, specs))
    levels = compare(code_records(rec), np.array([0]), np.array([1]))
    got = int(levels[case["field"]][0])
    names = LinkSettings().comparison(case["field"]).level_names
    expected = -1 if case["expected"] is None else names.index(case["expected"])
    assert got == expected, case["description"]
