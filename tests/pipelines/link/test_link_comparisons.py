"""Each comparison level, table-driven on pairs of handmade records."""

from __future__ import annotations

import numpy as np
import pytest
from sanji_link_frames import frame, record, valid_id

from pipelines.link.comparisons import LEVELS, code_records, compare
from pipelines.link.linker import _prepare

A = valid_id("19800101")
SUB = A[:8] + ("9" if A[8] != "9" else "8") + A[9:]
SWAP = A[:6] + A[7] + A[6] + A[8:]  # "19" -> "91" across the first segment border
B = valid_id("19800101", "456")

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
        "l": {"sex": "男"},
        "r": {"sex": "男"},
        "expected": "same",
    },
    {
        "description": "sex different",
        "field": "sex",
        "l": {"sex": "男"},
        "r": {"sex": "女"},
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


def _row(n: int, spec: dict) -> dict:
    base = {"name": "张伟", "idn": A, "birth": "1980-01-01"}
    merged = base | spec
    kw = {k: v for k, v in merged.items() if k not in base}
    return record(n, merged["name"], merged["idn"], merged["birth"], **kw)


@pytest.mark.parametrize("case", CASES, ids=[c["description"] for c in CASES])
def test_comparison_level(case: dict) -> None:
    rec = _prepare(frame([_row(0, case["l"]), _row(1, case["r"])]))
    levels = compare(code_records(rec), np.array([0]), np.array([1]))
    got = int(levels[case["field"]][0])
    expected = -1 if case["expected"] is None else LEVELS[case["field"]].index(case["expected"])
    assert got == expected, case["description"]
