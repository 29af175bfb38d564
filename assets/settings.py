"""Deployment settings: the month partitions, the automation switch, the checkout's defaults.

Two settings are read when the definitions load, because Dagster fixes them there:

- ``SANJI_FIRST_MONTH`` (``YYYY-MM``, default ``2024-01``): the first month partition. A county
  starts with its history: set it back to the first month it has data for.
- ``SANJI_AUTOMATION`` (default on; ``off`` to stop): whether the schedules and sensors start
  running in a fresh instance. The UI's toggle overrides it per instance.

Everything else (folders, warehouse) is resource config that Dagster resolves per run from
``dagster.EnvVar`` (``SANJI_LANDING``, ``SANJI_WAREHOUSE``, ``SANJI_STORAGE``, ``SANJI_OUTBOX``,
``SANJI_INBOX``, ``SANJI_DEADLINE_WARN_DAYS``); :func:`use_local_defaults` points the unset ones
at the checkout's ``demo/`` and ``.dagster_home/`` so a fresh checkout works without any.
"""

import os
from pathlib import Path

from dagster import DefaultScheduleStatus, DefaultSensorStatus, MonthlyPartitionsDefinition

from pipelines.domain.county import TIMEZONE
from pipelines.domain.months import Month


def _project() -> Path:
    """The checkout holding ``workspace.yaml`` (the working directory for an installed copy)."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "workspace.yaml").is_file() else Path.cwd()


PROJECT = _project()
FIRST_MONTH = "2024-01"
# Unset SANJI_* variables take these (paths below the checkout).
LOCAL_DEFAULTS = {
    "SANJI_LANDING": str(PROJECT / "demo" / "landing"),
    "SANJI_WAREHOUSE": str(PROJECT / "demo" / "sanji.duckdb"),
    "SANJI_STORAGE": str(PROJECT / ".dagster_home" / "storage"),
    "SANJI_OUTBOX": str(PROJECT / "demo" / "outbox"),
    "SANJI_INBOX": str(PROJECT / "demo" / "inbox"),
    "SANJI_DEADLINE_WARN_DAYS": "3",
}
OFF = ("off", "0", "false", "no")


def setting(name: str) -> str:
    """A ``SANJI_*`` variable's value: the environment's when set, else the local default."""
    return os.environ.get(name) or LOCAL_DEFAULTS[name]


def use_local_defaults() -> None:
    """Give every unset ``SANJI_*`` resource variable its local default (set ones are kept)."""
    for name, value in LOCAL_DEFAULTS.items():
        if not os.environ.get(name):
            os.environ[name] = value


def first_month() -> Month:
    """The first month partition (``SANJI_FIRST_MONTH``, default ``2024-01``).

    Raises:
        ValueError: when the variable is not a ``YYYY-MM`` month, naming it.
    """
    value = os.environ.get("SANJI_FIRST_MONTH") or FIRST_MONTH
    try:
        return Month.parse(value)
    except ValueError as exc:
        msg = f"SANJI_FIRST_MONTH={value!r}: {exc}"
        raise ValueError(msg) from exc


def automation_on() -> bool:
    """Whether schedules and sensors start running (``SANJI_AUTOMATION`` not ``off``)."""
    return os.environ.get("SANJI_AUTOMATION", "on").strip().lower() not in OFF


_ON = automation_on()
SCHEDULE_STATUS = DefaultScheduleStatus.RUNNING if _ON else DefaultScheduleStatus.STOPPED
SENSOR_STATUS = DefaultSensorStatus.RUNNING if _ON else DefaultSensorStatus.STOPPED

# One partition per month, keys ``YYYY-MM`` (the warehouse's month); end_offset=1 so the
# current month exists. Every asset of the graph uses it.
monthly = MonthlyPartitionsDefinition(start_date=str(first_month()), fmt="%Y-%m",
                                      timezone=TIMEZONE, end_offset=1)


def month_range() -> tuple[Month, Month]:
    """The first and the last month a run can be for (the current month is the last)."""
    keys = monthly.get_partition_keys()
    return Month.parse(keys[0]), Month.parse(keys[-1])
