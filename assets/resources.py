"""Resources: the landing folder, the warehouse, the exchange folders and a clock.

Each is a ``ConfigurableResource``; ``assets/definitions.py`` builds them once with
``dagster.EnvVar`` values, and a run (the CLI, a test, the Launchpad) may override any field
through run config (:func:`resource_config`).
"""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from dagster import ConfigurableResource

from pipelines.domain.county import TIMEZONE
from pipelines.landing import Landing, list_landing

# Columns the warehouse adds to a published table; dropped when a table is loaded back
# (``month`` is kept for the tables that carry their own month column).
WAREHOUSE_META = ("run_id", "month", "published_at")
OWN_MONTH = ("village_monthly", "township_monthly", "county_monthly", "exchange_diff")


class LandingFolder(ConfigurableResource):
    """The folder where the departments' extracts land (``SANJI_LANDING``).

    Attributes:
        path: the folder.
        settle_seconds: how long a file's size must hold still before it is read.
    """

    path: str
    settle_seconds: float = 1.0

    @property
    def folder(self) -> Path:
        """The landing folder as a path."""
        return Path(self.path)

    def listing(self) -> Landing:
        """The folder's data files, steward files and skipped entries."""
        return list_landing(self.folder)


class WarehouseResource(ConfigurableResource):
    """The warehouse: a DuckDB path or a ``postgresql://`` URL (``SANJI_WAREHOUSE``)."""

    url: str

    def open(self):
        """A :class:`pipelines.warehouse.Warehouse` for the URL."""
        from pipelines.warehouse import Warehouse

        return Warehouse.from_url(self.url)

    def latest(self, table: str) -> pl.DataFrame | None:
        """The rows of a table's latest publication (any month), or None before the first.

        Args:
            table: the published table.

        Returns:
            The rows the most recent run published, publishing columns dropped.
        """
        store = self.open()
        if not store.has_table(table):
            return None
        rows = store.read(table)
        newest = rows.filter(pl.col("published_at") == pl.col("published_at").max())
        return drop_meta(newest, table)


def drop_meta(frame: pl.DataFrame, table: str = "") -> pl.DataFrame:
    """Drop the publishing columns the warehouse adds (run id, month, time)."""
    drop = [c for c in WAREHOUSE_META if c in frame.columns
            and not (c == "month" and table in OWN_MONTH)]
    return frame.drop(drop)


class ExchangeFolders(ConfigurableResource):
    """Where the illness-office workbook goes out and comes back (``SANJI_OUTBOX``/``INBOX``)."""

    outbox: str
    inbox: str


class Clock(ConfigurableResource):
    """Today's date in Asia/Shanghai; ``today`` (YYYY-MM-DD) pins it for tests.

    Attributes:
        today: a pinned date, or "" for the real one.
        warn_days: days before the filing deadline from which open work is a warning
            (``SANJI_DEADLINE_WARN_DAYS``).
    """

    today: str = ""
    warn_days: int = 3

    def date(self) -> date:
        """Today, or the pinned date."""
        if self.today:
            return date.fromisoformat(self.today)
        return datetime.now(ZoneInfo(TIMEZONE)).date()


def resource_config(*, landing: str | Path | None = None, warehouse: str | Path | None = None,
                    storage: str | Path | None = None, outbox: str | Path | None = None,
                    inbox: str | Path | None = None, today: str | None = None,
                    settle_seconds: float | None = None) -> dict[str, dict]:
    """Run config for the resources: only the fields given, each overriding its ``EnvVar``.

    Args:
        landing: the landing folder.
        warehouse: the warehouse path or URL.
        storage: the folder of the intermediate parquet files.
        outbox: the exchange outbox.
        inbox: the exchange inbox.
        today: a pinned date for the clock (``YYYY-MM-DD``).
        settle_seconds: the landing settle time.

    Returns:
        ``{"resources": {...}}`` to merge into a run config.
    """
    fields = {
        "landing": {"path": landing, "settle_seconds": settle_seconds},
        "warehouse": {"url": warehouse},
        "io_manager": {"base_dir": storage},
        "exchange_folders": {"outbox": outbox, "inbox": inbox},
        "clock": {"today": today},
    }
    resources = {}
    for key, values in fields.items():
        given = {k: str(v) if isinstance(v, Path) else v for k, v in values.items()
                 if v is not None}
        if given:
            resources[key] = {"config": given}
    return {"resources": resources}
