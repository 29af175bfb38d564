"""Schedules and sensors: what they request, for which county and month, and that the same
content never runs twice. The month comes from the files, never from the wall clock alone."""

import json
import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    build_schedule_context,
    build_sensor_context,
)
from dagster._utils.schedules import cron_string_iterator

from assets.definitions import defs
from assets.resources import ExchangeFolders, LandingFolder
from assets.schedules import monthly_export, nightly
from assets.sensors import inbox_sensor, landing_sensor, short_list
from assets.settings import partition
from pipelines.domain.months import Month

SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNTY = "411421"  # the one county of the checkout's counties.yaml


def _here(month: Month | str) -> str:
    return partition(COUNTY, month)


def _ticks(schedule, start: datetime, count: int = 3) -> list[datetime]:
    """The schedule's next tick times after ``start``, in its own time zone."""
    times = cron_string_iterator(start.timestamp(), schedule.cron_schedule,
                                 schedule.execution_timezone)
    return [next(times) for _ in range(count)]


def _schedule(schedule, when: datetime, folder=None):
    resources = {"landing": LandingFolder(path=str(folder or "/nonexistent"))}
    return schedule(build_schedule_context(scheduled_execution_time=when, resources=resources))


def test_nightly_runs_at_two_every_night_for_the_month_the_files_name(tmp_path):
    (tmp_path / "参保名单_202610.csv").write_text("姓名,证件号码\n张三,1\n", encoding="utf-8")
    ticks = _ticks(nightly, datetime(2026, 10, 30, 12, 0, tzinfo=SHANGHAI))
    assert [(t.day, t.hour, t.minute) for t in ticks] == [(31, 2, 0), (1, 2, 0), (2, 2, 0)]
    requests = [_schedule(nightly, t, tmp_path)[0] for t in ticks]
    # October's files still in the landing on 1 and 2 November: October, not the clock's month
    assert [r.partition_key for r in requests] == [_here("2026-10")] * 3
    assert [r.run_key for r in requests] == [f"nightly-{COUNTY}-2026-10-31",
                                             f"nightly-{COUNTY}-2026-11-01",
                                             f"nightly-{COUNTY}-2026-11-02"]
    assert nightly.job_name == "nightly" and nightly.job.name == "nightly"


def test_nightly_without_a_named_month_takes_the_files_month_and_skips_an_empty_landing(
        tmp_path):
    extract = tmp_path / "参保名单.csv"
    extract.write_text("姓名,证件号码\n张三,1\n", encoding="utf-8")
    landed = datetime(2026, 9, 30, 22, 0, tzinfo=SHANGHAI).timestamp()
    os.utime(extract, (landed, landed))
    (request,) = _schedule(nightly, datetime(2026, 10, 2, 2, 0, tzinfo=SHANGHAI), tmp_path)
    assert request.partition_key == _here("2026-09")
    assert request.tags["sanji/month_from"] == "modified"
    empty = _schedule(nightly, datetime(2026, 10, 2, 2, 0, tzinfo=SHANGHAI), tmp_path / "no")
    assert COUNTY in empty.skip_message


def test_monthly_export_on_the_first_for_the_month_just_ended():
    ticks = _ticks(monthly_export, datetime(2025, 12, 15, tzinfo=SHANGHAI))
    assert [(t.month, t.day, t.hour) for t in ticks] == [(1, 1, 6), (2, 1, 6), (3, 1, 6)]
    requests = [_schedule(monthly_export, t)[0] for t in ticks]
    assert [r.partition_key for r in requests] == [_here(m) for m in ("2025-12", "2026-01",
                                                                      "2026-02")]
    assert monthly_export.job_name == "illness_exchange_export"


def test_automation_runs_by_default_and_a_switch_stops_it():
    repo = defs.get_repository_def()
    assert {s.default_status for s in repo.schedule_defs} == {DefaultScheduleStatus.RUNNING}
    assert {s.default_status for s in repo.sensor_defs} == {DefaultSensorStatus.RUNNING}
    probe = ("from assets.definitions import defs\n"
             "from assets.settings import county_month\n"
             "repo = defs.get_repository_def()\n"
             "print(sorted({s.default_status.value for s in [*repo.schedule_defs, "
             "*repo.sensor_defs]}))\n"
             "print(county_month.get_first_partition_key())\n")
    env = {**os.environ, "SANJI_AUTOMATION": "off", "SANJI_FIRST_MONTH": "2019-07"}
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.split("\n")[:2] == ["['STOPPED']", f"{COUNTY}|2019-07"]


def _landing_eval(folder, cursor=None):
    context = build_sensor_context(cursor=cursor, resources={"landing": LandingFolder(
        path=str(folder))}, definitions=defs)
    return landing_sensor(context)


def test_the_landing_sensor_requests_a_nightly_run(tmp_path):
    (tmp_path / "参保名单.csv").write_text("姓名,证件号码\n张三,1\n", encoding="utf-8")
    [request] = _landing_eval(tmp_path).run_requests
    assert landing_sensor.job_name == "nightly"
    assert request.tags["sanji/trigger"] == "landing"


def test_a_draft_or_lock_file_starts_no_run_and_is_named(tmp_path):
    (tmp_path / "_参保名单_草稿.csv").write_text("姓名\n张三\n", encoding="utf-8")
    (tmp_path / "~$参保名单.xlsx").write_bytes(b"lock")
    result = _landing_eval(tmp_path)
    assert not result.run_requests
    assert "_参保名单_草稿.csv" in result.skip_reason.skip_message
    (tmp_path / "参保名单.csv").write_text("姓名,证件号码\n张三,1\n", encoding="utf-8")
    first = _landing_eval(tmp_path)
    assert first.run_requests[0].tags["sanji/files"] == "参保名单.csv"
    (tmp_path / "_参保名单_草稿.csv").write_text("姓名\n李四\n", encoding="utf-8")
    assert not _landing_eval(tmp_path, first.cursor).run_requests  # a draft changed: no run


def test_landing_sensor_run_key_follows_content(tmp_path):
    assert not _landing_eval(tmp_path).run_requests
    (tmp_path / "参保名单.csv").write_text("姓名,证件号码\n张三,1\n", encoding="utf-8")
    first = _landing_eval(tmp_path)
    [request] = first.run_requests
    assert request.tags["sanji/files"] == "参保名单.csv"
    assert request.partition_key == _here(Month.current())  # written now, named no month
    # the same file again (no cursor: a restarted daemon) -> the same run_key, so no second run
    again = _landing_eval(tmp_path)
    assert again.run_requests[0].run_key == request.run_key
    # with the cursor: nothing new, skipped
    assert not _landing_eval(tmp_path, first.cursor).run_requests
    # a changed file -> a new run key, tagged with only the changed file
    (tmp_path / "死亡名单.csv").write_text("姓名,死亡日期\n李四,2026-01-01\n", encoding="utf-8")
    (tmp_path / "参保名单.csv").write_text("姓名,证件号码\n张三,2\n", encoding="utf-8")
    changed = _landing_eval(tmp_path, first.cursor)
    [second] = changed.run_requests
    assert second.run_key != request.run_key
    assert second.tags["sanji/files"] == "参保名单.csv,死亡名单.csv"
    files = json.loads(changed.cursor)["counties"][COUNTY]["files"]
    assert set(files) == {"参保名单.csv", "死亡名单.csv"}


def test_landing_sensor_hashes_only_changed_files(tmp_path, monkeypatch):
    import assets.sensors as sensors

    (tmp_path / "参保名单.csv").write_text("姓名,证件号码\n张三,1\n", encoding="utf-8")
    (tmp_path / "死亡名单.csv").write_text("姓名,死亡日期\n李四,2026-01-01\n", encoding="utf-8")
    first = _landing_eval(tmp_path)
    hashed = []
    real = sensors.sha256_file
    monkeypatch.setattr(sensors, "sha256_file", lambda p: hashed.append(p.name) or real(p))
    assert not _landing_eval(tmp_path, first.cursor).run_requests
    assert hashed == []  # same name, size and mtime: nothing read
    (tmp_path / "死亡名单.csv").write_text("姓名,死亡日期\n李四,2026-02-01,补\n", encoding="utf-8")
    again = _landing_eval(tmp_path, first.cursor)
    assert hashed == ["死亡名单.csv"]
    assert again.run_requests[0].tags["sanji/files"] == "死亡名单.csv"


def test_landing_sensor_rehashes_a_same_size_file_that_kept_its_mtime(tmp_path):
    import os

    extract = tmp_path / "参保名单.csv"
    extract.write_text("姓名,证件号码\n张三,1\n", encoding="utf-8")
    first = _landing_eval(tmp_path)
    before = extract.stat()
    # a corrected file of the same size copied in keeping its mtime (cp -p, rsync -a)
    fixed = tmp_path / ".参保名单.csv.tmp"
    fixed.write_text("姓名,证件号码\n张三,2\n", encoding="utf-8")
    os.utime(fixed, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(fixed, extract)
    after = extract.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    [request] = _landing_eval(tmp_path, first.cursor).run_requests
    assert request.run_key != first.run_requests[0].run_key
    assert request.tags["sanji/files"] == "参保名单.csv"


def test_steward_files_start_a_run(tmp_path):
    (tmp_path / "参保名单.csv").write_text("姓名,证件号码\n张三,1\n", encoding="utf-8")
    (tmp_path / "readme.txt").write_text("not watched", encoding="utf-8")
    first = _landing_eval(tmp_path)
    (tmp_path / "sanji_mapping.yaml").write_text("enrolment:\n  name: [参保人]\n",
                                                 encoding="utf-8")
    mapped = _landing_eval(tmp_path, first.cursor)
    [request] = mapped.run_requests
    assert request.tags["sanji/files"] == "sanji_mapping.yaml"
    assert request.run_key != first.run_requests[0].run_key
    (tmp_path / "decisions.csv").write_text("record_id_l,record_id_r,decision\n",
                                            encoding="utf-8")
    decided = _landing_eval(tmp_path, mapped.cursor)
    assert decided.run_requests[0].tags["sanji/files"] == "decisions.csv"
    # the same content again from scratch: the same key as the last run
    assert _landing_eval(tmp_path).run_requests[0].run_key == decided.run_requests[0].run_key
    # only steward files, no extract: nothing to run
    only = tmp_path / "only"
    only.mkdir()
    (only / "sanji_mapping.yaml").write_text("{}\n", encoding="utf-8")
    assert not _landing_eval(only).run_requests


def test_tag_values_stay_short():
    names = [f"很长很长的文件名_{i:03d}.xlsx" for i in range(30)]
    text = short_list(names)
    assert len(text) <= 70 and text.endswith(f"+{30 - text.count(',') - 1}")


def test_inbox_sensor_requests_the_month_named_in_the_file(tmp_path):
    folders = ExchangeFolders(outbox=str(tmp_path / "out"), inbox=str(tmp_path))
    (tmp_path / "大病办回传_202610.xlsx").write_bytes(b"fake")
    (tmp_path / "说明.xlsx").write_bytes(b"no month")
    result = inbox_sensor(build_sensor_context(resources={"exchange_folders": folders},
                                               definitions=defs))
    [request] = result.run_requests
    assert request.partition_key == _here("2026-10")
    assert request.run_key.startswith(f"inbox-{COUNTY}-2026-10-")
    again = inbox_sensor(build_sensor_context(cursor=result.cursor,
                                              resources={"exchange_folders": folders},
                                              definitions=defs))
    assert not again.run_requests


def _inbox_eval(folder, cursor=None):
    folders = ExchangeFolders(outbox=str(folder / "out"), inbox=str(folder))
    return inbox_sensor(build_sensor_context(cursor=cursor, resources={
        "exchange_folders": folders}, definitions=defs))


def test_inbox_sensor_reads_the_month_from_the_content(tmp_path):
    import xlsxwriter

    with xlsxwriter.Workbook(str(tmp_path / "回传病例.xlsx")) as book:
        sheet = book.add_worksheet("病例")
        sheet.write_row(0, 0, ["统计月份：", "2026年9月"])
        sheet.write_row(1, 0, ["个人编号", "疾病名称", "救治状态"])
        sheet.write_row(2, 0, ["P1", "白内障", "待救治"])
    (tmp_path / "回传.csv").write_text(
        "月份,个人编号,疾病名称,救治状态\n2026-08,P1,白内障,待救治\n", encoding="utf-8")
    result = _inbox_eval(tmp_path)
    assert sorted(r.partition_key for r in result.run_requests) == [_here("2026-08"),
                                                                    _here("2026-09")]
    assert not _inbox_eval(tmp_path, result.cursor).run_requests


def test_inbox_sensor_names_a_file_it_cannot_place(tmp_path):
    (tmp_path / "回传.csv").write_text("个人编号,疾病名称,救治状态\nP1,白内障,待救治\n",
                                     encoding="utf-8")
    result = _inbox_eval(tmp_path)
    assert not result.run_requests
    assert "回传.csv" in result.skip_reason.skip_message
    assert inbox_sensor.job_name == "illness_exchange_import"
    # still reported on the next tick (never silently dropped)
    assert "回传.csv" in _inbox_eval(tmp_path, result.cursor).skip_reason.skip_message


def test_files_landing_on_the_first_for_the_month_before_run_as_that_month(tmp_path):
    """October's files arriving on 1 November publish as October: the month is the files'."""
    (tmp_path / "扶贫办_防返贫监测名单_202610.csv").write_text("成员姓名\n张三\n", encoding="utf-8")
    (tmp_path / "医保局_参保名单.csv").write_text(  # a title row names the month
        "清河县城乡居民参保名单（截至2026年10月）\n姓名,证件号码\n张三,1\n", encoding="utf-8")
    (tmp_path / "行政区划.csv").write_text("区划代码,名称\n411421000000,清河县\n", encoding="utf-8")
    [request] = _landing_eval(tmp_path).run_requests
    assert request.partition_key == _here("2026-10")
    assert request.tags["sanji/month_from"] == "named"
    assert request.run_key.startswith(f"landing-{COUNTY}-2026-10-")
    # a November file joins: the latest month the files name
    (tmp_path / "民政局_死亡_2026年11月.csv").write_text("姓名\n李四\n", encoding="utf-8")
    [later] = _landing_eval(tmp_path).run_requests
    assert later.partition_key == _here("2026-11")


def test_a_month_before_the_first_partition_is_skipped_with_the_fix(tmp_path):
    (tmp_path / "参保名单_201812.csv").write_text("姓名\n张三\n", encoding="utf-8")
    result = _landing_eval(tmp_path)
    assert not result.run_requests
    assert "2018-12" in result.skip_reason.skip_message
    assert "first_month" in result.skip_reason.skip_message


def test_the_province_runs_a_month_once_its_county_runs_are_over():
    from dagster import AssetMaterialization, DagsterInstance, DagsterRunStatus

    from assets.sensors import province_sensor

    with DagsterInstance.ephemeral() as instance:
        def tick(cursor=None):
            return province_sensor(build_sensor_context(instance=instance, cursor=cursor,
                                                        definitions=defs))

        assert not tick().run_requests  # nothing published yet
        instance.report_runless_asset_event(AssetMaterialization(
            "county_monthly", partition=_here("2026-10")))  # staged by a run: not published
        assert not tick().run_requests
        instance.report_runless_asset_event(AssetMaterialization(
            "publication", partition=_here("2026-10")))
        busy = instance.create_run_for_job(
            defs.resolve_job_def("nightly"), status=DagsterRunStatus.STARTED,
            tags={"dagster/partition/month": "2026-10", "dagster/partition/county": COUNTY})
        waiting = tick()
        assert not waiting.run_requests  # a county run of October is still running
        assert "2026-10" in waiting.skip_reason.skip_message
        instance.report_run_failed(busy)
        ready = tick(waiting.cursor)
        [request] = ready.run_requests
        assert request.partition_key == "2026-10"
        assert province_sensor.job_name == "province"
        assert not tick(ready.cursor).run_requests  # nothing published since
