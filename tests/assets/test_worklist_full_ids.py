"""Whether the township work lists show full ID numbers is the county's decision, in the counties
file (``worklist_full_ids``); without it they are masked."""

import openpyxl
import pytest
import sanji_tests_tiny as tiny

from assets.cli import main
from pipelines.cases.worklist import COLUMNS, HEADER_ROW

ID_COLUMN = next(i for i, c in enumerate(COLUMNS) if c.field == "id_shown")


def _ids(folder) -> list[str]:
    """The 身份证号 cells of every work list in ``folder``."""
    shown = []
    for path in sorted(folder.glob("问题清单_*.xlsx")):
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        for row in sheet.iter_rows(min_row=HEADER_ROW + 2, values_only=True):
            if row and row[0] and row[ID_COLUMN]:
                shown.append(str(row[ID_COLUMN]))
    return shown


@pytest.mark.parametrize("full", [None, False, True])
def test_the_counties_file_decides_full_ids(county_copy, home, monkeypatch, tmp_path,
                                            full) -> None:
    c = county_copy
    entry = {"code": c.code, "name": "清河县", "landing": str(c.landing),
             "warehouse": str(c.warehouse), "outbox": str(c.outbox), "inbox": str(c.inbox)}
    if full is not None:
        entry["worklist_full_ids"] = full
    monkeypatch.setenv("SANJI_COUNTIES", str(tiny.counties_yaml(tmp_path / "c.yaml", [entry])))
    out = tmp_path / "out"
    assert main(["worklist", "--month", c.month, "--warehouse", str(c.warehouse),
                 "--storage", str(c.storage), "--archive", str(c.archive),
                 "--out", str(out)]) == 0
    ids = _ids(out)
    assert ids
    full_shown = [i for i in ids if "*" not in i]
    if full:
        assert len(full_shown) == len(ids) and all(len(i) == 18 for i in ids)
    else:
        assert full_shown == [] and all("********" in i for i in ids)
