"""IO managers on Dagster's own bases: parquet files between steps, the warehouse for tables.

- :class:`PolarsParquetIOManager` (``io_manager``): each run's frames in its own folder,
  ``<base_dir>/runs/<run_id>/<asset>/<county>/<YYYY-MM>.parquet``, so no two partitions or
  runs share a file; other runs read a county-month from the run that last published it in
  their warehouse (its ``publication`` table), never from a run that was refused, failed or
  was killed, or that published to another warehouse.
- :class:`WarehouseIOManager` (``warehouse_io_manager``): a county-month's table, every row
  stamped with its ``county``. In a run that publishes as a whole (its selection holds the
  asset ``publication``: ``nightly``, ``rerun_month``) the table is only STAGED for the run
  (``pipelines.warehouse.staging``), later steps of the run read the run's own frame back from
  the stage (a table missing there is an error naming it, never a read of the warehouse), and
  ``publication`` publishes all of them in one transaction. In any other run
  (an ad-hoc materialisation, the exchange import) it replaces the month's slice at once. A
  province asset's table goes to the province's schema. It holds no URL of its own: it takes
  the ``warehouse`` resource (the counties file, or the run's override).
"""

import shutil
from contextlib import nullcontext
from pathlib import Path

import polars as pl
from dagster import (
    AssetKey,
    ConfigurableIOManager,
    DagsterInvariantViolationError,
    Failure,
    InputContext,
    MetadataValue,
    OutputContext,
)

from assets.county_lock import op_county_lock
from assets.handoff import hold_for_run
from assets.resources import WarehouseResource, drop_meta
from assets.settings import setting, split_key
from pipelines.faults import pause_point
from pipelines.warehouse.behind import WRITES, partial_of, write_whole
from pipelines.warehouse.staging import (
    FrameFile,
    FrameParts,
    RunStage,
    frame_rows,
    link_or_copy,
    link_or_copy_frame,
    read_frame,
    scan_frame,
    store_parts,
    write_frame,
)

PUBLICATION_ASSET = "publication"  # the asset that publishes a run's staged tables
STAGING_FOLDER = "_staging"
RUNS_FOLDER = "runs"  # <storage>/runs/<run_id>/<asset>/<county>/<month>.parquet


class PolarsParquetIOManager(ConfigurableIOManager):
    """Intermediate polars frames as parquet: each run's own, current once it is published.

    Every run writes its outputs under its own folder,
    ``<base_dir>/runs/<run_id>/<asset>/<county>/<YYYY-MM>.parquet`` (a province asset's month
    ``.../<asset>/<YYYY-MM>.parquet``). An input produced in the run (or, re-executed, in its
    parent) is read from that run's folder; an input from outside the run is read from the
    folder of the run that last PUBLISHED the county-month in the run's warehouse (its
    ``publication`` row; a re-executed run's frames not rebuilt are its parent's, as Dagster
    kept them), and linked into the run's own folder. A run that is refused, fails or is
    killed is thus never read by another run: the county-month's storage changes exactly
    when, and only if, a publication commits. Storage is never shared between warehouses: a
    warehouse reads only the frames of the runs its own ``publication`` table names (run ids
    are unique), and a warehouse copied or moved keeps its frames.

    Attributes:
        base_dir: the storage folder (``SANJI_STORAGE``; the CLI's ``--storage``).
        warehouse: the definitions' ``warehouse`` resource (which publication is current).
    """

    base_dir: str
    warehouse: WarehouseResource

    def run_folder(self, run_id: str) -> Path:
        """The folder of one run's frames."""
        return Path(self.base_dir) / RUNS_FOLDER / run_id

    def published_run(self, county: str, month: str) -> str | None:
        """The run whose publication of the county-month is current, None when none is."""
        store = self.warehouse.open(county)
        last = store.last_publication(county, month)
        return last.run_id if last is not None else None

    def handle_output(self, context: OutputContext,
                      obj: pl.DataFrame | FrameFile | FrameParts) -> None:
        """Write the frame to the run's own file (a temporary name, then renamed; behind the
        run in ``sanji run``'s process: ``pipelines.warehouse.behind``); a :class:`FrameFile`
        (the same rows already stored) is linked there instead, a :class:`FrameParts` (parts
        of frames already stored) linked as a folder of them."""
        key = context.asset_partition_key if context.has_asset_partitions else None
        path = _frame_path(self.run_folder(context.run_id),
                           context.asset_key, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        WRITES.wait(path)  # an earlier attempt's, written behind
        if isinstance(obj, FrameParts):
            store_parts(obj, path)
        elif isinstance(obj, FrameFile):
            write_whole(path, lambda partial: link_or_copy(obj.path, partial))
        else:  # behind the run when it writes behind (``pipelines.warehouse.behind``); an
            # output's ``dictionary`` metadata: its columns of few values
            dictionary = (context.definition_metadata or {}).get("dictionary", ())
            WRITES.write(path, lambda partial: write_frame(obj, partial, dictionary),
                         obj.estimated_size())
            hold_for_run(context, path, obj)
        rows = obj.height if isinstance(obj, pl.DataFrame) else obj.rows
        context.add_output_metadata({"rows": MetadataValue.int(rows),
                                     "path": MetadataValue.path(str(path))})

    def load_input(self, context: InputContext) -> pl.DataFrame:
        """An upstream asset's month: the producing run's, else the published run's.

        Raises:
            Failure: naming the asset and month when the producing run did not store it, or
                the month was never published (not retried: waiting will not make it appear).
        """
        key = context.asset_partition_key if context.has_asset_partitions else None
        county, month = split_key(key)
        producer = producing_run(context)
        runs = [producer] if producer is not None else []
        if producer is None and county is not None and month is not None:
            published = self.published_run(county, month)
            runs = _lineage(context, published) if published is not None else []
        paths = [_frame_path(self.run_folder(run), context.asset_key, key)
                 for run in runs]
        path = next((p for p in paths if p.exists()), None)
        if path is None:
            raise Failure(description=_missing(context.asset_key, county, month, producer,
                                               paths[0] if paths else None),
                          allow_retries=False)
        if producer is None and _selection(context) is not None:  # into the run's own folder
            _carry(path, _frame_path(self.run_folder(context.step_context.run_id),
                                     context.asset_key, key))
        meta = context.definition_metadata or {}  # "lazy": a LazyFrame (``scan_frame``)
        if meta.get("stored"):  # the stored file itself, not read (``person_records``' parts)
            return FrameFile(path, frame_rows(path))
        return (scan_frame if meta.get("lazy") else read_frame)(path, meta.get("columns"))


def run_lineage(instance, run_id: str | None) -> list[str]:
    """The run and, when it re-executed another, its parents (whose frames it kept), nearest
    first (at most 100); only the run itself without an ``instance``; none for None."""
    runs = [] if run_id is None else [run_id]
    run = instance.get_run_by_id(run_id) if instance is not None and runs else None
    while run is not None and run.parent_run_id and len(runs) < 100:
        runs.append(run.parent_run_id)
        run = instance.get_run_by_id(run.parent_run_id)
    return runs


def _lineage(context: InputContext, run_id: str) -> list[str]:
    """The run and, when it is a re-execution, its parents (:func:`run_lineage`)."""
    if _selection(context) is None:
        return [run_id]
    return run_lineage(context.step_context.instance, run_id)


def _frame_path(folder: Path, asset: AssetKey, key: str | None) -> Path:
    """``<folder>/<asset>/<county>/<month>.parquet`` (``<asset>/<month>``, ``<asset>``)."""
    county, month = split_key(key)
    parts = [p for p in (county, month or "all") if p is not None]
    return folder.joinpath(*asset.path, *parts[:-1], f"{parts[-1]}.parquet")


def _carry(source: Path, target: Path) -> None:
    """Link (else copy) a frame read from the published run into the run's own folder."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_of(target)
    shutil.rmtree(partial, ignore_errors=True)  # an earlier attempt's (a file or a folder)
    partial.unlink(missing_ok=True)
    link_or_copy_frame(source, partial)
    partial.replace(target)


def _missing(asset: AssetKey, county: str | None, month: str | None, producer: str | None,
             path: Path | None) -> str:
    """Why an input frame is not there, in one line."""
    whose = f" for county {county}" if county else ""
    name = asset.to_user_string()
    if producer is not None:
        return (f"{name} has no stored month {month or '-'}{whose} from run {producer} "
                f"({path}): its step did not store it")
    return (f"{name} has no published month {month or '-'}{whose} in this warehouse: run the "
            f"job `nightly` (`sanji run --month {month or 'YYYY-MM'}`) first")


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

    def handle_output(self, context: OutputContext, obj: pl.DataFrame | FrameFile) -> None:
        """Stage the table for the run's publication, or publish the partition's month now.

        A :class:`FrameFile` holds the rows as a stage does (``county`` stamped, written by
        ``staging.write_frame``): it is linked into the stage, not written again (``person``
        keeps that file for the next night), and read only when published at once.
        """
        table = context.asset_key.path[-1]
        county, month = split_key(context.asset_partition_key
                                  if context.has_asset_partitions else None)
        staged = county is not None and publishes_as_a_whole(context)
        if isinstance(obj, FrameFile) and staged:
            stage = self.stage(context.run_id, county, month)
            stage.link(table, obj.path)
            hold_for_run(context, stage.path(table), None, source=obj.path)
            pause_point(f"staged:{table}")
        else:
            obj = read_frame(obj.path) if isinstance(obj, FrameFile) else obj
            if county is not None:
                obj = obj.with_columns(county=pl.lit(county, pl.String))
            self._write(context, table, obj, county, month, staged)
        context.add_output_metadata({"rows": obj.rows if isinstance(obj, FrameFile)
                                     else obj.height, "table": table,
                                     "county": county or "(province)", "month": month or "(all)",
                                     "staged_for_publication": staged})

    def _write(self, context: OutputContext, table: str, obj: pl.DataFrame, county: str | None,
               month: str | None, staged: bool) -> None:
        """Stage ``obj`` for the run's publication, or publish the month now."""
        if staged:
            stage = self.stage(context.run_id, county, month)
            stage.put(table, obj)
            hold_for_run(context, stage.path(table), obj)
            pause_point(f"staged:{table}")
        else:  # a county's table published now: under its run lock (no night meanwhile)
            store = self.warehouse.open(county) if county else self.warehouse.open_province()
            with op_county_lock(self.warehouse, county, context.run_id) if county \
                    else nullcontext():
                store.publish(table, obj, run_id=context.run_id, month=month)

    def load_input(self, context: InputContext) -> pl.DataFrame | pl.LazyFrame | None:
        """One partition's rows, or several partitions' rows concatenated (with ``county``).

        With ``lazy`` metadata a table the run staged for its own partition is a LazyFrame: a
        step that may not need it (``office_return`` without a returned file) reads nothing.
        """
        table = context.asset_key.path[-1]
        keys = list(context.asset_partition_keys) if context.has_asset_partitions else []
        if not keys:
            return None
        meta = context.definition_metadata or {}
        staged = _staged_run(context)
        if meta.get("lazy") and staged is not None and keys == [staged[1]]:
            return self._scan(table, staged, meta.get("columns"))
        frames = [_project(self._load(table, staged, key, bool(meta.get("latest_before")),
                                      meta.get("columns")), meta) for key in keys]
        frames = [f for f in frames if f is not None]
        if not frames:
            return None
        frame = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
        province_table = all(split_key(key)[0] is None for key in keys)
        if meta.get("keep_county") or province_table:  # rows keep their county (and month)
            return frame.drop([c for c in ("run_id", "published_at") if c in frame.columns])
        return drop_meta(frame, table)

    def _load(self, table: str, staged: tuple[str, str] | None, key: str,
              latest_before: bool, columns: list[str] | None = None) -> pl.DataFrame | None:
        """The frame the run staged for its own partition, else the warehouse's.

        Args:
            staged: (producing run, its partition key) when the input was produced in a run
                that stages its tables (None: read the warehouse).
            columns: read only these of the staged frame (and ``county``, ``month``).

        Raises:
            Failure: the run staged its tables but not this one (naming it; never a silent
                read of a publication another run made).
        """
        county, month = split_key(key)
        if staged is None or county is None or key != staged[1]:
            return self._read(table, county, month, latest_before=latest_before)
        frame = self.stage(staged[0], county, month).get(
            table, columns and [*columns, "county", "month"])
        if frame is None:
            raise _not_staged(table, staged)
        return frame

    def _scan(self, table: str, staged: tuple[str, str], columns: list[str] | None
              ) -> pl.LazyFrame:
        """The run's staged frame of its partition, read when collected: what an eager input
        holds (``columns`` in their order, without the warehouse's own)."""
        frame = self.stage(staged[0], *split_key(staged[1])).scan(table, columns)
        if frame is None:
            raise _not_staged(table, staged)
        return drop_meta(frame, table)

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


def _not_staged(table: str, staged: tuple[str, str]) -> Failure:
    """The run staged its tables but not this one (never a silent read of the warehouse)."""
    county, month = split_key(staged[1])
    msg = (f"{table} of county {county}, month {month} was not staged by run {staged[0]}: "
           "its step did not finish (re-execute the run from failure)")
    return Failure(description=msg, allow_retries=False)


def producing_run(context: InputContext) -> str | None:
    """The run that produced the input (a re-executed run: its parent), None outside the run.

    None when the input's asset is not in the run's selection (its upstream output is then
    Dagster's placeholder) or the context was built outside a run.
    """
    upstream = context.upstream_output
    selection = _selection(context)
    if upstream is None or selection is None or context.asset_key not in selection:
        return None
    return upstream.run_id


def _selection(context: OutputContext | InputContext) -> set[AssetKey] | None:
    """The assets the run materialises, None for a context built outside a run."""
    try:
        step = context.step_context
    except DagsterInvariantViolationError:  # a context built outside a run
        return None
    selection = step.dagster_run.asset_selection
    return set(selection or step.job_def.asset_layer.selected_asset_keys)  # none: the job


def _staged_run(context: InputContext) -> tuple[str, str] | None:
    """(producing run, partition) when the input was produced in a run staging its tables."""
    producer = producing_run(context)
    if producer is None or not context.has_partition_key or not publishes_as_a_whole(context):
        return None
    return producer, context.partition_key


def publishes_as_a_whole(context: OutputContext | InputContext) -> bool:
    """Whether the run publishes its tables together: its selection holds ``publication``."""
    selection = _selection(context)
    return selection is not None and AssetKey(PUBLICATION_ASSET) in selection


def _project(frame: pl.DataFrame | None, meta: dict) -> pl.DataFrame | None:
    """The input's ``columns`` of one partition (its distinct rows with ``distinct``)."""
    if frame is None or not meta.get("columns"):
        return frame
    kept = frame.select([c for c in (*meta["columns"], "county", "month") if c in frame.columns])
    return kept.unique() if meta.get("distinct") else kept
