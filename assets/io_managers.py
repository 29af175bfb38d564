"""IO managers on Dagster's own bases: parquet files between steps, the warehouse for tables.

- :class:`PolarsParquetIOManager` (``io_manager``): a ``dagster.UPathIOManager``; each asset's
  month is its own file, ``<base_dir>/<asset>/<YYYY-MM>.parquet``, so no two months share one.
- :class:`WarehouseIOManager` (``warehouse_io_manager``): publishes a table's month slice to the
  warehouse and reads it back. It holds no URL of its own: it takes the ``warehouse`` resource.
"""

from typing import ClassVar

import polars as pl
from dagster import (
    ConfigurableIOManager,
    Failure,
    InitResourceContext,
    InputContext,
    MetadataValue,
    OutputContext,
    UPathIOManager,
)
from pydantic import PrivateAttr
from upath import UPath

from assets.resources import WarehouseResource, drop_meta


class PolarsParquetIOManager(ConfigurableIOManager, UPathIOManager):
    """Intermediate polars frames as parquet, one file per asset and month (``SANJI_STORAGE``).

    Attributes:
        base_dir: the folder holding one sub-folder per asset.
    """

    base_dir: str
    extension: ClassVar[str] = ".parquet"
    _base_path: UPath = PrivateAttr()

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """Root the paths at ``base_dir``."""
        self._base_path = UPath(self.base_dir)

    def dump_to_path(self, context: OutputContext, obj: pl.DataFrame, path: UPath) -> None:
        """Write the frame to its parquet file."""
        obj.write_parquet(path)

    def load_from_path(self, context: InputContext, path: UPath) -> pl.DataFrame:
        """Read an upstream asset's month from its parquet file.

        Raises:
            Failure: naming the asset and month when that month was never run (not retried:
                waiting will not make the file appear).
        """
        if not path.exists():
            month = context.asset_partition_key if context.has_asset_partitions else "-"
            msg = (f"{context.asset_key.to_user_string()} has no stored month {month} "
                   f"({path}): run the job `nightly` for {month} first")
            raise Failure(description=msg, allow_retries=False)
        return pl.read_parquet(path)

    def get_metadata(self, context: OutputContext, obj: pl.DataFrame) -> dict[str, MetadataValue]:
        """The row count beside the path Dagster records."""
        return {"rows": MetadataValue.int(obj.height)}


class WarehouseIOManager(ConfigurableIOManager):
    """Published tables: the month's slice replaced in the warehouse, and loaded back.

    Attributes:
        warehouse: the definitions' ``warehouse`` resource (the one place its URL is held).
    """

    warehouse: WarehouseResource

    @staticmethod
    def _where(context: InputContext | OutputContext) -> tuple[str, str | None]:
        month = context.asset_partition_key if context.has_asset_partitions else None
        return context.asset_key.path[-1], month

    def handle_output(self, context: OutputContext, obj: pl.DataFrame) -> None:
        """Publish the table, replacing the month's slice (or the whole unpartitioned table)."""
        table, month = self._where(context)
        self.warehouse.open().publish(table, obj, run_id=context.run_id, month=month)
        context.add_output_metadata({"rows": obj.height, "table": table,
                                     "month": month or "(all)"})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        """Read the published table (the partition's month) back without publishing columns."""
        table, month = self._where(context)
        return drop_meta(self.warehouse.open().read(table, month=month), table)
