"""Deployment settings: the counties, the partitions, the automation switch, local defaults.

Read when the definitions load, because Dagster fixes them there:

- ``SANJI_COUNTIES`` (default: the checkout's ``counties.yaml``, the demo county 411421 清河县):
  the counties this deployment runs and its ``first_month`` (``pipelines.counties``). Every
  county-level asset is partitioned by county x month (:data:`county_month`, keys
  ``411421|2026-10``); the province's by month (:data:`monthly`).
- ``SANJI_FIRST_MONTH`` (``YYYY-MM``): overrides the file's first month partition.
- ``SANJI_AUTOMATION`` (default on; ``off`` to stop): whether the schedules and sensors start
  running in a fresh instance. The UI's toggle overrides it per instance.
- ``SANJI_EXECUTOR`` (``assets/executors.py``): where a run's steps execute.

Everything else is resolved per run from the environment (``SANJI_STORAGE``,
``SANJI_ARCHIVE``, ``SANJI_DEADLINE_WARN_DAYS``, and the ``${…}`` in the counties file: the demo
county's ``SANJI_LANDING``, ``SANJI_WAREHOUSE``, ``SANJI_OUTBOX``, ``SANJI_INBOX``);
:func:`use_local_defaults` points the unset ones at the checkout's ``demo/`` and
``.dagster_home/`` so a fresh checkout works without any.
"""

import os
import warnings
from pathlib import Path

from dagster import (
    BetaWarning,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    MonthlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    StaticPartitionsDefinition,
)

from pipelines.counties import Deployment, load_counties
from pipelines.domain.county import TIMEZONE
from pipelines.domain.months import Month


def _project() -> Path:
    """The checkout holding ``workspace.yaml`` (the working directory for an installed copy)."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "workspace.yaml").is_file() else Path.cwd()


# sanji relies on Dagster's beta partition mappings (MultiPartitionMapping,
# MultiToSingleDimensionPartitionMapping), observable source assets and data versions, pinned
# at 1.13.27: their warnings would only repeat that on every import.
warnings.filterwarnings("ignore", category=BetaWarning)
PROJECT = _project()
# Unset SANJI_* variables take these (paths below the checkout).
LOCAL_DEFAULTS = {
    "SANJI_COUNTIES": str(PROJECT / "counties.yaml"),
    "SANJI_ARCHIVE": str(PROJECT / ".dagster_home" / "archive"),
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


def deployment() -> Deployment:
    """The counties file (``SANJI_COUNTIES``), read now.

    Raises:
        pipelines.counties.CountiesError: naming the file and what is wrong in it.
    """
    return load_counties(Path(setting("SANJI_COUNTIES")))


def automation_on() -> bool:
    """Whether schedules and sensors start running (``SANJI_AUTOMATION`` not ``off``)."""
    return os.environ.get("SANJI_AUTOMATION", "on").strip().lower() not in OFF


_ON = automation_on()
SCHEDULE_STATUS = DefaultScheduleStatus.RUNNING if _ON else DefaultScheduleStatus.STOPPED
SENSOR_STATUS = DefaultSensorStatus.RUNNING if _ON else DefaultSensorStatus.STOPPED

DEPLOYMENT = deployment()
COUNTY, MONTH = "county", "month"  # the dimensions of a county-month partition key
# One partition per month, keys ``YYYY-MM`` (the warehouse's month); end_offset=1 so the
# current month exists. The province's assets use it alone.
monthly = MonthlyPartitionsDefinition(start_date=str(DEPLOYMENT.first_month), fmt="%Y-%m",
                                      timezone=TIMEZONE, end_offset=1)
counties = StaticPartitionsDefinition(list(DEPLOYMENT.codes))
# One partition per county and month, keys ``411421|2026-10``: every county-level asset.
county_month = MultiPartitionsDefinition({COUNTY: counties, MONTH: monthly})


def first_month() -> Month:
    """The first month partition (the counties file's ``first_month``)."""
    return DEPLOYMENT.first_month


def month_range() -> tuple[Month, Month]:
    """The first and the last month a run can be for (the current month is the last)."""
    keys = monthly.get_partition_keys()
    return Month.parse(keys[0]), Month.parse(keys[-1])


def partition(county: str, month: str | Month) -> MultiPartitionKey:
    """The county-month partition key (``411421|2026-10``)."""
    return MultiPartitionKey({COUNTY: county, MONTH: str(month)})


def split_key(key: str | None) -> tuple[str | None, str | None]:
    """(county, month) of a partition key: ``411421|2026-10``, ``2026-10`` or ``411421``.

    Args:
        key: a county-month, month or county key, or None.

    Returns:
        The county (or None) and the month (or None).
    """
    if not key:
        return None, None
    if isinstance(key, MultiPartitionKey):
        dims = key.keys_by_dimension
        return dims.get(COUNTY), dims.get(MONTH)
    if "|" in key:
        county, month = key.split("|", 1)
        return county, month
    return (None, key) if "-" in key else (key, None)
