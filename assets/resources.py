"""Resources: the landing folder, the warehouse, the exchange folders, a clock, IO managers.

Every resource is a ``ConfigurableResource`` whose defaults come from the environment
(``SANJI_*``) with local defaults, so ``dagster dev`` works in a fresh checkout and tests swap
in temporary folders.
"""


import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
from dagster import ConfigurableIOManager, ConfigurableResource, InputContext, OutputContext

from pipelines.domain.county import TIMEZONE

# Columns the warehouse adds to a published table; dropped when a table is loaded back
# (``month`` is kept for the tables that carry their own month column).
WAREHOUSE_META = ("run_id", "month", "published_at")
OWN_MONTH = ("village_monthly", "township_monthly", "county_monthly", "exchange_diff")


def env(name: str, default: str) -> str:
    """An environment variable, or the default when unset or empty."""
    return os.environ.get(name) or default


def current_month(now: datetime | None = None) -> str:
    """The current month in Asia/Shanghai as ``YYYY-MM``."""
    now = now or datetime.now(ZoneInfo(TIMEZONE))
    return now.astimezone(ZoneInfo(TIMEZONE)).strftime("%Y-%m")


class LandingFolder(ConfigurableResource):
    """The folder where the departments' extracts land (``SANJI_LANDING``)."""

    path: str = "demo/landing"
    settle_seconds: float = 1.0

    @property
    def folder(self) -> Path:
        """The landing folder as a path."""
        return Path(self.path)


class WarehouseResource(ConfigurableResource):
    """The warehouse: a DuckDB path or a ``postgresql://`` URL (``SANJI_WAREHOUSE``)."""

    url: str = "demo/sanji.duckdb"

    def open(self):
        """A :class:`pipelines.warehouse.Warehouse` for the URL."""
        from pipelines.warehouse import Warehouse

        return Warehouse.from_url(self.url)

    def read_or_none(self, table: str, month: str | None = None) -> pl.DataFrame | None:
        """Read a table (or a month of it), or None when it does not exist yet."""
        warehouse = self.open()
        if not warehouse.has_table(table):
            return None
        return drop_meta(warehouse.read(table, month=month), table)


def drop_meta(frame: pl.DataFrame, table: str = "") -> pl.DataFrame:
    """Drop the publishing columns the warehouse adds (run id, month, time)."""
    drop = [c for c in WAREHOUSE_META if c in frame.columns
            and not (c == "month" and table in OWN_MONTH)]
    return frame.drop(drop)


class ExchangeFolders(ConfigurableResource):
    """Where the illness-office workbook goes out and comes back (``SANJI_OUTBOX``/``INBOX``)."""

    outbox: str = "demo/outbox"
    inbox: str = "demo/inbox"


class Clock(ConfigurableResource):
    """Today's date in Asia/Shanghai; ``today`` (YYYY-MM-DD) pins it for tests."""

    today: str = ""
    warn_days: int = 3

    def date(self) -> date:
        """Today, or the pinned date."""
        if self.today:
            return date.fromisoformat(self.today)
        return datetime.now(ZoneInfo(TIMEZONE)).date()


class ParquetIOManager(ConfigurableIOManager):
    """Intermediate polars frames as parquet: one file per asset (per partition)."""

    base_dir: str = ".dagster_home/storage"

    def _path(self, context: InputContext | OutputContext) -> Path:
        stem = Path(self.base_dir, *context.asset_key.path)
        if context.has_asset_partitions:
            return stem / f"{context.asset_partition_key}.parquet"
        return stem.with_suffix(".parquet")

    def handle_output(self, context: OutputContext, obj: pl.DataFrame) -> None:
        """Write the frame to its parquet file."""
        path = self._path(context)
        path.parent.mkdir(parents=True, exist_ok=True)
        obj.write_parquet(path)
        context.add_output_metadata({"rows": obj.height, "path": str(path)})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        """Read the upstream asset's parquet file."""
        return pl.read_parquet(self._path(context))


class WarehouseIOManager(ConfigurableIOManager):
    """Published tables: written to the warehouse (month = partition key), loaded back."""

    url: str = "demo/sanji.duckdb"

    def handle_output(self, context: OutputContext, obj: pl.DataFrame) -> None:
        """Publish the table, replacing the month's slice (or the whole unpartitioned table)."""
        from pipelines.warehouse import Warehouse

        table = context.asset_key.path[-1]
        month = context.asset_partition_key if context.has_asset_partitions else None
        Warehouse.from_url(self.url).publish(table, obj, run_id=context.run_id, month=month)
        context.add_output_metadata({"rows": obj.height, "table": table,
                                     "month": month or "(all)"})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        """Read the published table (the partition's month) back without publishing columns."""
        from pipelines.warehouse import Warehouse

        table = context.asset_key.path[-1]
        month = context.asset_partition_key if context.has_asset_partitions else None
        return drop_meta(Warehouse.from_url(self.url).read(table, month=month), table)


def default_resources() -> dict[str, object]:
    """The resources for a local run, configured from ``SANJI_*`` environment variables."""
    warehouse = env("SANJI_WAREHOUSE", "demo/sanji.duckdb")
    return {
        "landing": LandingFolder(path=env("SANJI_LANDING", "demo/landing")),
        "warehouse": WarehouseResource(url=warehouse),
        "exchange_folders": ExchangeFolders(outbox=env("SANJI_OUTBOX", "demo/outbox"),
                                            inbox=env("SANJI_INBOX", "demo/inbox")),
        "clock": Clock(warn_days=int(env("SANJI_DEADLINE_WARN_DAYS", "3"))),
        "io_manager": ParquetIOManager(base_dir=env("SANJI_STORAGE", ".dagster_home/storage")),
        "warehouse_io_manager": WarehouseIOManager(url=warehouse),
    }
