"""Schedules: the nightly run of the current month, the monthly export of the last one."""


from datetime import datetime
from zoneinfo import ZoneInfo

from dagster import RunRequest, ScheduleEvaluationContext, schedule

from assets.jobs import everything_job, exchange_export_job
from assets.resources import TIMEZONE, current_month, env

NIGHTLY_CRON = env("SANJI_NIGHTLY_CRON", "0 2 * * *")


def _now(context: ScheduleEvaluationContext) -> datetime:
    return (context.scheduled_execution_time or datetime.now(ZoneInfo(TIMEZONE))).astimezone(
        ZoneInfo(TIMEZONE))


def previous_month(month: str) -> str:
    """The ``YYYY-MM`` before ``month``."""
    year, mon = (int(p) for p in month.split("-"))
    return f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"


@schedule(cron_schedule=NIGHTLY_CRON, job=everything_job, execution_timezone=TIMEZONE,
          description="Every night: the whole graph for the current month.")
def nightly(context: ScheduleEvaluationContext) -> RunRequest:
    """Request the whole graph for the month of the scheduled time."""
    now = _now(context)
    month = current_month(now)
    return RunRequest(run_key=f"nightly-{now:%Y-%m-%d}", partition_key=month,
                      tags={"sanji/trigger": "nightly"})


@schedule(cron_schedule="0 6 1 * *", job=exchange_export_job, execution_timezone=TIMEZONE,
          description="On the 1st: the serious-illness workbook of the previous month.")
def monthly_export(context: ScheduleEvaluationContext) -> RunRequest:
    """Request the export of the month before the scheduled time."""
    month = previous_month(current_month(_now(context)))
    return RunRequest(run_key=f"export-{month}", partition_key=month,
                      tags={"sanji/trigger": "monthly-export"})
