"""Bad steward files and bad months: a user error naming file, row and column, no ID, no trace.

Every case raises a ``ValueError`` that :func:`pipelines.errors.classify` calls ``"user"``
(never retried by the assets), whose message names where to look and holds no identity number.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from inputs import ID_A, ID_B, lines

from pipelines.domain.months import Month
from pipelines.errors import classify
from pipelines.ingest import ingest_landing
from pipelines.link.decisions import read_decisions_csv, resolve
from pipelines.privacy import find_ids

DECISIONS = "record_key_l,record_key_r,decision,decided_at"


def _landing(tmp_path: Path, name: str, content: bytes) -> Path:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "参保.csv").write_text(lines(f"张三,{ID_A},参保缴费"), encoding="utf-8")
    (landing / name).write_bytes(content)
    return landing


def _mapping(content: bytes) -> Callable[[Path], object]:
    return lambda tmp: ingest_landing(_landing(tmp, "sanji_mapping.yaml", content))


def _decisions(content: str) -> Callable[[Path], object]:
    return lambda tmp: read_decisions_csv(_landing(tmp, "decisions.csv", content.encode())
                                          / "decisions.csv")


CASES = [
    # (id, action, words the message holds)
    ("mapping_unclosed_bracket", _mapping(f"enrolment:\n  id_number: [{ID_A}\n".encode()),
     ["file 'sanji_mapping.yaml', row 3, column 1: not valid YAML"]),
    ("mapping_tab_indent", _mapping(b"enrolment:\n\tid_number: [x]\n"),
     ["file 'sanji_mapping.yaml', row 2", "not valid YAML"]),
    ("mapping_is_a_list", _mapping(b"- enrolment\n- death\n"),
     ["file 'sanji_mapping.yaml': expected sections like `poverty_roster:`, found a list"]),
    ("mapping_field_list_not_dict", _mapping("enrolment: [身份证号]\n".encode()),
     ["file 'sanji_mapping.yaml': unexpected shape"]),
    ("mapping_unknown_extract", _mapping(f"参保{ID_A}:\n  name: [x]\n".encode()),
     ["sanji_mapping.yaml: unknown extract '参保411421********0014'"]),
    ("mapping_not_utf8", _mapping("enrolment:\n  id_number: [身份号]\n".encode("gbk")),
     ["file 'sanji_mapping.yaml': not UTF-8 text"]),
    ("decisions_stray_quote", _decisions(f'{DECISIONS}\n"{ID_A},{ID_B},link,\nK1,K2,link,\n'),
     ["file 'decisions.csv': not a readable CSV"]),
    ("decisions_id_in_decision_column", _decisions(f"{DECISIONS}\nK1,K2,{ID_A},\n"),
     ["decisions.csv, row 2, column decision: '411421********0014' is not link or no_link"]),
    ("decisions_id_in_time_column", _decisions(f"{DECISIONS}\nK1,K2,link,\nK3,K4,link,{ID_B}\n"),
     ["decisions.csv, row 3, column decided_at: '411421********0026' is not a date/time"]),
    ("decisions_without_columns", _decisions(f"身份证号,决定\n{ID_A},link\n"),
     ["decisions.csv, row 1: missing column(s) record_key_l, record_key_r"]),
    ("bad_month", lambda tmp: Month.parse("2026-13"), ["2026-13"]),
]


@pytest.mark.parametrize(("action", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_user_error(tmp_path: Path, action: Callable[[Path], object], words: list[str]) -> None:
    with pytest.raises(ValueError) as err:
        action(tmp_path)
    message = str(err.value)
    assert classify(err.value) == "user"
    for w in words:
        assert w in message, (w, message)
    assert find_ids(message) == []
    assert err.value.__cause__ is None or classify(err.value.__cause__) == "user"


def test_a_decision_naming_an_id_instead_of_a_record_is_reported_masked(tmp_path) -> None:
    path = _landing(tmp_path, "decisions.csv",
                    f"{DECISIONS}\n{ID_A},{ID_B},no_link,\n".encode()) / "decisions.csv"
    keys = pl.DataFrame({"record_key": ["K1"], "i": [0]})
    resolved = resolve(read_decisions_csv(path), keys)
    assert resolved.unresolved == 1
    assert resolved.examples == ["411421********0014 / 411421********0026"]
