"""Returned work lists in the inbox: the worklist sensor takes them, the office's sensor leaves
them; ``sanji worklist import`` refuses what it cannot place with one line."""

from dagster import build_sensor_context

from assets.cli import main
from assets.definitions import defs
from assets.resources import ExchangeFolders
from assets.sensors import inbox_sensor
from assets.settings import partition
from assets.worklists import worklist_sensor

COUNTY = "411421"  # the one county of the checkout's counties.yaml


def _tick(sensor, folder, cursor=None):
    folders = ExchangeFolders(outbox=str(folder / "out"), inbox=str(folder))
    return sensor(build_sensor_context(cursor=cursor, resources={"exchange_folders": folders},
                                       definitions=defs))


def test_a_returned_work_list_starts_worklist_import_for_its_month(tmp_path):
    (tmp_path / "问题清单_城关镇_2026-10.xlsx").write_bytes(b"filled")
    (tmp_path / "问题清单_石桥镇.xlsx").write_bytes(b"no month in name or title")
    (tmp_path / "回传_2026-10.xlsx").write_bytes(b"the office's")
    result = _tick(worklist_sensor, tmp_path)
    [request] = result.run_requests
    assert request.partition_key == partition(COUNTY, "2026-10")
    assert request.run_key.startswith(f"worklist-{COUNTY}-2026-10-")
    assert request.tags["sanji/files"] == "问题清单_城关镇_2026-10.xlsx"
    again = _tick(worklist_sensor, tmp_path, result.cursor)
    assert not again.run_requests
    assert "问题清单_石桥镇.xlsx" in again.skip_reason.skip_message  # named, never dropped
    office = _tick(inbox_sensor, tmp_path)  # the office's sensor takes only the office's file
    assert [r.tags["sanji/files"] for r in office.run_requests] == ["回传_2026-10.xlsx"]


def test_import_refuses_a_missing_file_or_a_list_without_month(tmp_path, capsys):
    assert main(["worklist", "import", str(tmp_path / "nothing.xlsx")]) == 2
    assert "no file" in capsys.readouterr().err
    (tmp_path / "问题清单.xlsx").write_bytes(b"not a workbook")
    assert main(["worklist", "import", str(tmp_path / "问题清单.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "--month YYYY-MM" in err and "Traceback" not in err
    assert main(["worklist", "import", str(tmp_path / "问题清单.xlsx"),
                 "--received", "5 Nov"]) == 2
    assert "--received" in capsys.readouterr().err


def test_work_lists_of_a_month_never_run_fail_with_the_fix(tmp_path, capsys):
    code = main(["worklist", "--month", "2026-09", "--warehouse", str(tmp_path / "w.duckdb"),
                 "--storage", str(tmp_path / "storage"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "run failed" in err
    assert "2026-09" in err and ("sanji run" in err or "`nightly`" in err)
    assert "Traceback" not in err and not (tmp_path / "out").exists()
