"""Schedules, in the county's time zone, running by default (``SANJI_AUTOMATION=off`` stops them).

- ``nightly``: every night at 02:00, the job ``nightly`` for the month of that night.
- ``monthly_export``: on the 1st at 06:00, ``illness_exchange_export`` for the month just ended.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from dagster import RunRequest, ScheduleEvaluationContext, schedule

from assets.jobs import illness_exchange_export
from assets.jobs import nightly as nightly_job
from assets.settings import SCHEDULE_STATUS
from pipelines.domain.county import TIMEZONE
from pipelines.domain.months import Month

NIGHTLY_CRON = "0 2 * * *"  # 02:00 every night, Asia/Shanghai
EXPORT_CRON = "0 6 1 * *"   # 06:00 on the 1st of each month, Asia/Shanghai


def _now(context: ScheduleEvaluationContext) -> datetime:
    """The tick's scheduled time (now when evaluated by hand) in the county's time zone."""
    when = context.scheduled_execution_time or datetime.now(ZoneInfo(TIMEZONE))
    return when.astimezone(ZoneInfo(TIMEZONE))


@schedule(cron_schedule=NIGHTLY_CRON, job=nightly_job, execution_timezone=TIMEZONE,
          default_status=SCHEDULE_STATUS,
          description="Every night at 02:00: the whole graph for the current month.")
def nightly(context: ScheduleEvaluationContext) -> RunRequest:
    """Request the whole graph for the month of the scheduled time."""
    now = _now(context)
    return RunRequest(run_key=f"nightly-{now:%Y-%m-%d}", partition_key=str(Month.of(now)),
                      tags={"sanji/trigger": "nightly"})


@schedule(cron_schedule=EXPORT_CRON, job=illness_exchange_export, execution_timezone=TIMEZONE,
          default_status=SCHEDULE_STATUS,
          description="On the 1st at 06:00: the serious-illness workbook of the previous month.")
def monthly_export(context: ScheduleEvaluationContext) -> RunRequest:
    """Request the export of the month before the scheduled time."""
    month = Month.of(_now(context)).previous()
    return RunRequest(run_key=f"export-{month}", partition_key=str(month),
                      tags={"sanji/trigger": "monthly-export"})
