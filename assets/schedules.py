"""Schedules, in the county's time zone, running by default (``SANJI_AUTOMATION=off`` stops them).

- ``nightly``: every night at 02:00, the job ``nightly`` for every county with extracts, for
  the month its files name (as the landing sensor tells it), never the wall clock's alone.
- ``monthly_export``: on the 1st at 06:00, ``illness_exchange_export`` of every county for the
  month just ended.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from dagster import RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from assets.jobs import illness_exchange_export
from assets.jobs import nightly as nightly_job
from assets.resources import LandingFolder
from assets.settings import SCHEDULE_STATUS, month_range, partition
from pipelines.domain.county import TIMEZONE
from pipelines.domain.months import Month
from pipelines.snapshot import landing_month, named_month

NIGHTLY_CRON = "0 2 * * *"  # 02:00 every night, Asia/Shanghai
EXPORT_CRON = "0 6 1 * *"   # 06:00 on the 1st of each month, Asia/Shanghai


def _now(context: ScheduleEvaluationContext) -> datetime:
    """The tick's scheduled time (now when evaluated by hand) in the county's time zone."""
    when = context.scheduled_execution_time or datetime.now(ZoneInfo(TIMEZONE))
    return when.astimezone(ZoneInfo(TIMEZONE))


def files_month(landing: LandingFolder, county: str) -> tuple[str, str] | None:
    """The month a county's landing is for and how it was told, or None without extracts."""
    data = landing.listing(county).data
    if not data:
        return None
    return landing_month({p.name: named_month(p) for p in data},
                         {p.name: p.stat().st_mtime for p in data})


@schedule(cron_schedule=NIGHTLY_CRON, job=nightly_job, execution_timezone=TIMEZONE,
          default_status=SCHEDULE_STATUS,
          description="Every night at 02:00: each county's whole graph for the month its "
                      "files are for.")
def nightly(context: ScheduleEvaluationContext, landing: LandingFolder):
    """Request every county's graph for the month its landing names (one run per county)."""
    now = _now(context)
    first, last = month_range()
    requests, skipped = [], []
    for county in landing.deployment().codes:
        found = files_month(landing, county)
        if found is None or not first <= Month.parse(found[0]) <= last:
            skipped.append(county)
            continue
        month, how = found
        requests.append(RunRequest(
            run_key=f"nightly-{county}-{now:%Y-%m-%d}", partition_key=partition(county, month),
            tags={"sanji/trigger": "nightly", "sanji/month_from": how}))
    return requests or SkipReason(f"no county has extracts for a month in {first}..{last}: "
                                  f"{', '.join(skipped)}")


@schedule(cron_schedule=EXPORT_CRON, job=illness_exchange_export, execution_timezone=TIMEZONE,
          default_status=SCHEDULE_STATUS,
          description="On the 1st at 06:00: every county's serious-illness workbook of the "
                      "previous month.")
def monthly_export(context: ScheduleEvaluationContext, landing: LandingFolder) -> list[RunRequest]:
    """Request every county's export of the month before the scheduled time."""
    month = Month.of(_now(context)).previous()
    return [RunRequest(run_key=f"export-{county}-{month}", partition_key=partition(county, month),
                       tags={"sanji/trigger": "monthly-export"})
            for county in landing.deployment().codes]
