"""The exchange jobs on a copy of the shared county: the month's workbook went out with the
nightly run; the office's file comes back (``illness_exchange_import``) as a difference."""

import shutil

import polars as pl
import xlsxwriter
from dagster import DagsterInstance

from assets.definitions import defs
from pipelines.exchange import read_return
from pipelines.exchange.inbox import returned_file, workbook_name
from pipelines.warehouse import Warehouse

MONTH = "2026-10"


def _import(county):
    result = defs.resolve_job_def("illness_exchange_import").execute_in_process(
        run_config=county.run_config(), partition_key=county.partition(MONTH),
        instance=DagsterInstance.ephemeral())
    check = next(e for e in result.get_asset_check_evaluations()
                 if e.check_name == "diff_settled_before_deadline")
    return Warehouse.from_url(county.warehouse).read("exchange_diff", month=MONTH), check


def test_export_then_import_same_file_is_no_difference(county_copy):
    outbox = county_copy.root / "outbox"
    sent = outbox / workbook_name(MONTH)
    assert sent.exists()  # the whole-graph run wrote it
    ours = read_return(sent)
    assert ours.height > 0
    inbox = county_copy.inbox
    # renamed without a month: the workbook's own title tells it
    shutil.copy(sent, inbox / "大病办回传.xlsx")
    assert returned_file(inbox, MONTH) == inbox / "大病办回传.xlsx"
    diff, check = _import(county_copy)
    assert diff.height == 0
    assert check.passed  # nothing to settle, even though the 5th has passed


def test_planted_differences_come_back_exactly(county_copy):
    ours = read_return(county_copy.root / "outbox" / workbook_name(MONTH))
    changed, dropped = ours.row(0, named=True), ours.row(1, named=True)
    new_status = "死亡" if changed["status"] != "死亡" else "已救治"
    rows = [[pid, ill, new_status if i == 0 else st]
            for i, (pid, ill, st) in enumerate(ours.select("person_id", "illness", "status").rows())
            if i != 1]
    rows.append(["PX-not-ours", "白内障", "待救治"])
    inbox = county_copy.inbox
    with xlsxwriter.Workbook(str(inbox / f"回传{MONTH.replace('-', '')}.xlsx")) as book:
        sheet = book.add_worksheet("病例")
        sheet.write_row(0, 0, ["个人编号", "疾病名称", "救治状态"])
        for i, row in enumerate(rows, start=1):
            sheet.write_row(i, 0, row)
    diff, check = _import(county_copy)
    got = sorted(diff.select("kind", "person_id", "illness").rows())
    assert got == sorted([
        ("status_differs", changed["person_id"], changed["illness"]),
        ("only_ours", dropped["person_id"], dropped["illness"]),
        ("only_theirs", None, "白内障"),  # the office's row names no person of ours
    ])
    assert not check.passed  # 2026-11-20 is past the 5th and the diff is not empty
    assert check.metadata["differences"].value == 3
    assert diff.filter(pl.col("kind") == "status_differs")["theirs_status"].to_list() == [
        new_status]


def test_deadline_check_warns_only_near_the_fifth_with_open_work():
    from assets.exchange import deadline_check
    from assets.resources import Clock
    from pipelines.exchange.diff import DIFF_SCHEMA

    empty = pl.DataFrame(schema=DIFF_SCHEMA)
    one = pl.DataFrame({"month": [MONTH]}).with_columns(
        [pl.lit(None, t).alias(c) for c, t in DIFF_SCHEMA.items() if c != "month"])
    early, near = Clock(today="2026-10-25", warn_days=3), Clock(today="2026-11-03", warn_days=3)
    assert deadline_check(one, True, MONTH, early).passed          # 11 days left
    assert not deadline_check(one, True, MONTH, near).passed       # 2 days left, diff open
    assert deadline_check(empty, True, MONTH, near).passed         # settled
    assert not deadline_check(empty, False, MONTH, near).passed    # nothing received yet
    result = deadline_check(one, True, MONTH, near)
    assert result.metadata["days_left"].value == 2
    assert result.severity.value == "WARN"


def test_cli_import_archives_the_office_file_under_its_own_name(county_copy, monkeypatch,
                                                                capsys):
    from assets.cli import main
    from pipelines.exchange.archive import latest_return

    monkeypatch.setenv("DAGSTER_HOME", str(county_copy.dagster_home))
    county_copy.dagster_home.mkdir(parents=True, exist_ok=True)
    theirs = county_copy.root / "returned" / "县大病办十月名单.xlsx"
    theirs.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(county_copy.root / "outbox" / workbook_name(MONTH), theirs)
    c = county_copy
    assert main(["exchange", "import", str(theirs), "--month", MONTH,
                 "--landing", str(c.landing), "--warehouse", str(c.warehouse),
                 "--storage", str(c.storage), "--archive", str(c.archive)]) == 0
    assert f"differences for {MONTH}: 0" in capsys.readouterr().out
    kept = latest_return(c.archive / c.code / "returns", "office", MONTH)
    assert kept is not None and kept.original_name == "县大病办十月名单.xlsx"
    assert kept.path.read_bytes() == theirs.read_bytes()
