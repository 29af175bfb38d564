"""IO managers on Dagster's own bases: parquet files between steps, the warehouse for tables.

- :class:`PolarsParquetIOManager` (``io_manager``): a ``dagster.UPathIOManager``; each asset's
  county-month is its own file, ``<base_dir>/<asset>/<county>/<YYYY-MM>.parquet`` (a province
  asset's month ``<base_dir>/<asset>/<YYYY-MM>.parquet``), so no two partitions share one.
- :class:`WarehouseIOManager` (``warehouse_io_manager``): a county-month's table, every row
  stamped with its ``county``. In a run that publishes as a whole (its selection holds the
  asset ``publication``: ``nightly``, ``rerun_month``) the table is only STAGED for the run
  (``pipelines.warehouse.staging``), later steps of the run read the run's own frame back from
  the stage, and ``publication`` publishes all of them in one transaction. In any other run
  (an ad-hoc materialisation, the exchange import) it replaces the month's slice at once. A
  province asset's table goes to the province's schema. It holds no URL of its own: it takes
  the ``warehouse`` resource (the counties file, or the run's override).
"""

from pathlib import Path
from typing import ClassVar

import polars as pl
from dagster import (
    AssetKey,
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
from assets.settings import setting, split_key
from pipelines.faults import pause_point
from pipelines.warehouse.staging import RunStage

PUBLICATION_ASSET = "publication"  # the asset that publishes a run's staged tables
STAGING_FOLDER = "_staging"


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
            key = context.asset_partition_key if context.has_asset_partitions else None
            county, month = split_key(key)
            whose = f" for county {county}" if county else ""
            msg = (f"{context.asset_key.to_user_string()} has no stored month {month or '-'}"
                   f"{whose} ({path}): run the job `nightly` for {month or 'it'} first")
            raise Failure(description=msg, allow_retries=False)
        return pl.read_parquet(path)

    def get_metadata(self, context: OutputContext, obj: pl.DataFrame) -> dict[str, MetadataValue]:
        """The row count beside the path Dagster records."""
        return {"rows": MetadataValue.int(obj.height)}


class WarehouseIOManager(ConfigurableIOManager):
    """Published tables: a county-month's slice replaced in the county's warehouse, loaded back.

    A county-month output replaces that month in the county's schema, each row stamped with
    ``county``; a month output (a province table) replaces the month in the province's schema.
    An input may span partitions: a province asset reads one month of every county (the
    frames concatenated), ``link`` reads a county's decisions (every month) and, through
    ``latest_before`` input metadata, the latest month of ``person_id_map`` before its own.
    Rows keep their ``county`` (and ``month``) only for an input with ``keep_county`` metadata;
    ``columns`` metadata keeps only those columns of each partition as it is read (and
    ``distinct`` only its distinct rows), so a province input holds what it needs of 100 counties.

    Attributes:
        warehouse: the definitions' ``warehouse`` resource (the one place its URL is held).
        staging_dir: the folder of the runs' staged tables ("" for ``$SANJI_STORAGE``); the
            CLI's ``--storage`` sets it with the parquet storage.
    """

    warehouse: WarehouseResource
    staging_dir: str = ""

    def stage(self, run_id: str, county: str | None, month: str | None) -> RunStage:
        """The staged tables of one run's partition."""
        root = Path(self.staging_dir or setting("SANJI_STORAGE")) / STAGING_FOLDER
        return RunStage(root, run_id, county, month)

    def handle_output(self, context: OutputContext, obj: pl.DataFrame) -> None:
        """Stage the table for the run's publication, or publish the partition's month now."""
        table = context.asset_key.path[-1]
        county, month = split_key(context.asset_partition_key
                                  if context.has_asset_partitions else None)
        if county is not None:
            obj = obj.with_columns(county=pl.lit(county, pl.String))
        staged = county is not None and publishes_as_a_whole(context)
        if staged:
            self.stage(context.run_id, county, month).put(table, obj)
            pause_point(f"staged:{table}")
        else:
            store = self.warehouse.open(county) if county else self.warehouse.open_province()
            store.publish(table, obj, run_id=context.run_id, month=month)
        context.add_output_metadata({"rows": obj.height, "table": table,
                                     "county": county or "(province)", "month": month or "(all)",
                                     "staged_for_publication": staged})

    def load_input(self, context: InputContext) -> pl.DataFrame | None:
        """One partition's rows, or several partitions' rows concatenated (with ``county``)."""
        table = context.asset_key.path[-1]
        keys = list(context.asset_partition_keys) if context.has_asset_partitions else []
        if not keys:
            return None
        meta = context.definition_metadata or {}
        producer = _producer(context)
        frames = [_project(self._load(table, producer, key, bool(meta.get("latest_before"))),
                           meta) for key in keys]
        frames = [f for f in frames if f is not None]
        if not frames:
            return None
        frame = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
        province_table = all(split_key(key)[0] is None for key in keys)
        if meta.get("keep_county") or province_table:  # rows keep their county (and month)
            return frame.drop([c for c in ("run_id", "published_at") if c in frame.columns])
        return drop_meta(frame, table)

    def _load(self, table: str, run_id: str | None, key: str,
              latest_before: bool) -> pl.DataFrame | None:
        """The frame the run staged for this partition, else the warehouse's."""
        county, month = split_key(key)
        staged = None if run_id is None or county is None else \
            self.stage(run_id, county, month).get(table)
        if staged is not None:
            return staged
        return self._read(table, county, month, latest_before=latest_before)

    def _read(self, table: str, county: str | None, month: str | None, *,
              latest_before: bool) -> pl.DataFrame | None:
        """A county's month (or every month) of a table, None when it was never published.

        With ``latest_before`` the newest month up to ``month`` is read: ``month`` itself, and
        only when it was never published (a skipped month) the whole table is searched.
        """
        store = self.warehouse.open(county) if county else self.warehouse.open_province()
        if not store.has_table(table):
            return None
        rows = store.read(table, month=month)
        if not latest_before or month is None or rows.height:
            return rows
        earlier = store.read(table).filter(pl.col("month") <= month)
        if not earlier.height:
            return None
        return earlier.filter(pl.col("month") == pl.col("month").max())


def _producer(context: InputContext) -> str | None:
    """The run that produced the input (a re-executed run reads its parent's stage)."""
    try:
        upstream = context.upstream_output
        return upstream.run_id if upstream is not None else context.run_id
    except Exception:  # a context built outside a run: read the warehouse
        return None


def publishes_as_a_whole(context: OutputContext) -> bool:
    """Whether the run publishes its tables together: its selection holds ``publication``."""
    try:
        step = context.step_context
    except Exception:  # a context built outside a run: publish now
        return False
    selection = step.dagster_run.asset_selection
    if not selection:  # the whole job
        selection = step.job_def.asset_layer.selected_asset_keys
    return AssetKey(PUBLICATION_ASSET) in selection


def _project(frame: pl.DataFrame | None, meta: dict) -> pl.DataFrame | None:
    """The input's ``columns`` of one partition (its distinct rows with ``distinct``)."""
    if frame is None or not meta.get("columns"):
        return frame
    kept = frame.select([c for c in (*meta["columns"], "county", "month") if c in frame.columns])
    return kept.unique() if meta.get("distinct") else kept
