"""The run's publication: every table of one county-month published together, or none.

The county-month tables of a ``nightly`` or ``rerun_month`` run are staged by the warehouse IO
manager (``assets/io_managers.py``); the asset ``publication``, downstream of all of them,
publishes them in ONE transaction through ``pipelines.night.publish_night``: under the
county's run lock (the one ``sanji run`` holds for the whole run, else taken here), after the
guard against empty and partial nights, with a row in the warehouse table ``publication``
(run id, landing hashes, start, end, status, rows per table). A run that fails or is killed
before or during this step leaves the previous publication exactly as it was.

``sanji run`` holds the county's run lock for the whole run (:func:`holding_run_lock`), so a
second run of the county refuses at once (or after ``--wait``) with one line naming the run
that holds it; its ``--allow-missing EXTRACT`` (repeatable), ``--allow-drop`` and
``--max-drop SHARE`` (:func:`add_night_options`) are this asset's run config. Runs the daemon
starts are kept one per county by the run queue (``deploy/dagster.yaml``).

Its inputs are built from the definitions (:func:`publication_asset`): every county-month
asset the warehouse IO manager stores, so a table added later is published with its run and
never left staged.
"""

import argparse
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from dagster import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetsDefinition,
    Config,
    DagsterInstance,
    DagsterRunStatus,
    Failure,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    RunsFilter,
    asset,
)
from dagster._core.storage.tags import PARENT_RUN_ID_TAG, ROOT_RUN_ID_TAG
from pydantic import Field

from assets.failures import failing_clearly
from assets.ingest import OWNERS, where
from assets.io_managers import PUBLICATION_ASSET, STAGING_FOLDER, WarehouseIOManager
from assets.metadata import table_preview
from assets.resources import WarehouseResource
from assets.runs import UserError, cli_instance
from assets.settings import county_month, setting
from pipelines.counties import County
from pipelines.domain.identity import mask_ids_in_text
from pipelines.errors import classify, describe
from pipelines.faults import pause_point
from pipelines.guard import DEFAULT_MAX_DROP, NightPolicy, NightRefused
from pipelines.night import NightRun, landing_of_run, publish_night
from pipelines.warehouse import PublicationConflict, Warehouse, WarehouseBusy, held_lock
from pipelines.warehouse.staging import sweep_stages

WAREHOUSE_IO = "warehouse_io_manager"
RUNNING = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
           DagsterRunStatus.STARTED]
ACCOUNTING = "ingest_accounting"


class PublicationConfig(Config):
    """What the steward confirms for tonight (``sanji run --allow-missing`` …), and the wait.

    Attributes:
        allow_missing: extracts that may be missing or empty tonight (their people leave).
        allow_drop: accept any drop in an extract's rows.
        max_drop: the largest accepted drop in an extract's rows, as a share of last night's.
        wait_seconds: how long to wait for another run holding the county's run lock.
    """

    allow_missing: list[str] = Field(default_factory=list)
    allow_drop: bool = False
    max_drop: float = DEFAULT_MAX_DROP
    wait_seconds: float = 60.0

    def policy(self) -> NightPolicy:
        """The guard's policy."""
        return NightPolicy(frozenset(self.allow_missing), self.allow_drop, self.max_drop)


def publication_config(allow_missing: Iterable[str] = (), allow_drop: bool = False,
                       max_drop: float | None = None) -> dict:
    """The run config of ``publication`` for the options given (the rest default)."""
    config: dict = {"allow_missing": sorted(set(allow_missing)), "allow_drop": allow_drop}
    if max_drop is not None:
        config["max_drop"] = max_drop
    return {"ops": {PUBLICATION_ASSET: {"config": config}}}


def _started(context: AssetExecutionContext) -> datetime | None:
    """When the run started (UTC, naive), when the instance knows."""
    record = context.instance.get_run_record_by_id(context.run_id)
    if record is None or record.start_time is None:
        return None
    return datetime.fromtimestamp(record.start_time, UTC).replace(tzinfo=None)


def publish(context: AssetExecutionContext, config: PublicationConfig, store: Warehouse,
            accounting: pl.DataFrame,
            tables: dict[str, pl.DataFrame | None]) -> MaterializeResult:
    """Publish the run's tables as a whole to the county's warehouse ``store`` (the body of
    ``publication``).

    Raises:
        Failure: the guard refused, another run holds the lock or published meanwhile (not
            retried; the previous publication is intact), or an engine error (classified).
    """
    county, month = where(context)
    frames = {name: frame for name, frame in tables.items() if frame is not None}
    run = NightRun(context.run_id, month, county, started_at=_started(context))
    steps: list[str] = []

    def on_step(step: str) -> None:
        steps.append(step)
        pause_point(f"publish:{step}")

    with failing_clearly("publishing the run"):  # any other error: classified
        try:
            done = publish_night(
                store, run, frames, landing_of_run(frames.get("landing_snapshot"), accounting),
                month_sliced=frames, policy=config.policy(), lock=held_lock(store, county),
                wait_seconds=config.wait_seconds, on_step=on_step, skip_unchanged=True)
        except (NightRefused, WarehouseBusy, PublicationConflict) as exc:  # its own words
            raise Failure(description=mask_ids_in_text(" ".join(str(exc).split())),
                          allow_retries=False) from None
    pub = done.publication
    kept = sorted(s.removeprefix("unchanged:") for s in steps if s.startswith("unchanged:"))
    context.log.info(f"county {county}, month {month}: published version {pub.version} "
                     f"({len(pub.row_counts)} tables, {len(kept)} held unchanged already) "
                     "as one run")
    return MaterializeResult(metadata={
        "version": pub.version, "run_id": pub.run_id, "status": pub.status,
        "tables": len(pub.row_counts), "rows": MetadataValue.json(pub.row_counts),
        "tables_unchanged": MetadataValue.json(kept),
        "guard": table_preview(done.verdict.frame(), limit=50)})


def published_keys(assets: Iterable[object]) -> list[str]:
    """The county-month assets the warehouse IO manager stores, sorted by name."""
    names = set()
    for item in assets:
        if not isinstance(item, AssetsDefinition) or item.partitions_def != county_month:
            continue
        for key in item.keys:
            if item.get_io_manager_key_for_asset_key(key) == WAREHOUSE_IO:
                names.add(key.path[-1])
    return sorted(names - {PUBLICATION_ASSET})


def publication_asset(assets: Iterable[object]) -> AssetsDefinition:
    """The ``publication`` asset downstream of every county-month table of ``assets``."""
    names = published_keys(assets)
    ins = {name: AssetIn(AssetKey(name), metadata={"keep_county": True}) for name in names}

    @asset(name=PUBLICATION_ASSET, ins={**ins, ACCOUNTING: AssetIn(ACCOUNTING)},
           group_name="publish", partitions_def=county_month, owners=OWNERS,
           kinds={"polars", "duckdb"},
           tags={"layer": "published"},
           description="发布: every table of the run published together in one transaction "
                       "(or none), recorded in the warehouse table publication.")
    def publication(context: AssetExecutionContext, config: PublicationConfig,
                    warehouse: WarehouseResource,
                    warehouse_io_manager: ResourceParam[WarehouseIOManager],
                    **inputs: pl.DataFrame) -> MaterializeResult:
        """Publish the run's staged tables as a whole (see the module)."""
        accounting = inputs.pop(ACCOUNTING)
        county, month = where(context)
        store = warehouse.open(county)
        with store.holding():  # one connection: the guard, the publication, the pruning
            done = publish(context, config, store, accounting, inputs)
            stage = warehouse_io_manager.stage(context.run_id, county, month)
            stage.clear()
            swept = sweep_dead_stages(context.instance, stage.run_folder.parent, county,
                                      context.run_id, holding_lock=False)
            if swept:
                context.log.info(f"removed the stages of {len(swept)} finished run(s)")
            prune_after_publication(context, store, warehouse_io_manager, county)
        return done

    return publication

def prune_after_publication(context: AssetExecutionContext, store: Warehouse,
                            io: WarehouseIOManager, county: str) -> None:
    """Delete the county's run folders no one needs now (``pipelines.retention``); a failure
    to delete is a warning, never a failed publication."""
    from assets.cli_prune import sweep_run_folders

    storage = Path(io.staging_dir or setting("SANJI_STORAGE"))
    try:
        pruned = sweep_run_folders(context.instance, storage, store, county,
                                   live=(context.run_id,))
    except OSError as exc:
        context.log.warning(f"run folders not pruned: {describe(exc)}")
        return
    if pruned.deleted:
        context.log.info(f"{pruned.summary()}: {', '.join(pruned.deleted[:20])}")


def _share(text: str) -> float:
    """A share of rows in (0, 1] (``0.3`` or ``30%``)."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        msg = f"expected a share of rows in (0, 1] such as 0.3 or 30%, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_night_options(run: argparse.ArgumentParser) -> None:
    """Add the guard's and the lock's options to ``sanji run``."""
    run.add_argument("--allow-missing", action="append", default=[], metavar="EXTRACT",
                     help="publish although EXTRACT (e.g. death) is missing or empty tonight "
                          "while it was published last time; repeat for several")
    run.add_argument("--allow-drop", action="store_true",
                     help="publish although an extract's rows dropped more than --max-drop")
    run.add_argument("--max-drop", type=_share, default=None, metavar="SHARE",
                     help="the largest drop in an extract's rows published without "
                          f"confirmation (default {DEFAULT_MAX_DROP * 100:.0f} %%)")
    run.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                     help="wait this long for a run of the same county to finish (default: "
                          "refuse at once)")


def night_config(args: argparse.Namespace) -> dict:
    """The run config of ``publication`` for ``sanji run``'s options.

    Raises:
        UserError: ``--allow-missing`` names no extract (said before the night runs).
    """
    from pipelines.extracts import SPECS

    unknown = sorted(set(args.allow_missing) - set(SPECS))
    if unknown:
        msg = (f"--allow-missing {unknown[0]}: no such extract; the extracts are "
               f"{', '.join(sorted(SPECS))}")
        raise UserError(msg)
    return publication_config(args.allow_missing, args.allow_drop, args.max_drop)


@contextmanager
def holding_run_lock(args: argparse.Namespace, county: County) -> Iterator[str]:
    """Hold the county's run lock for a whole ``sanji run``; yields the run id to use.

    Raises:
        UserError: another run holds the lock (one line naming it).
    """
    run_id = str(uuid.uuid4())
    _note_a_new_warehouse(str(args.warehouse or county.warehouse), str(county.warehouse))
    store = Warehouse.at(args.warehouse or county.warehouse, schema=county.schema or None)
    try:
        lock = store.run_lock(run_id, county=county.code, wait_seconds=args.wait)
    except WarehouseBusy as exc:
        raise UserError(f"not run: {exc}") from None
    except Exception as exc:
        if classify(exc) == "defect":
            raise
        msg = (f"not run: the warehouse {store.where} cannot be reached ({describe(exc)}); check "
               "--warehouse (or the county's warehouse in the counties file) and that the "
               "database is up")
        raise UserError(msg) from None
    with lock:  # no other run of the county is running but a queued one of the daemon
        root = Path(args.storage or setting("SANJI_STORAGE")) / STAGING_FOLDER
        sweep_dead_stages(cli_instance(), root, county.code, run_id, holding_lock=True)
        try:
            yield run_id
        finally:  # a failed run's stage is published nowhere (a published one is gone already)
            sweep_stages(root, county.code, live=lambda other: other != run_id)


def stage_is_live(instance: DagsterInstance, run_id: str, holding_lock: bool) -> bool:
    """Whether a run's stage may still be read (it must stay).

    It may while a re-execution of the run (which reads its parent's stage) is queued or
    running. Else a run the instance records as finished is over. While the caller holds the
    county's run lock, no ``sanji`` run of the county (they hold it throughout) runs but the
    caller, so a CLI run still recorded as started was killed, and a run the instance never
    saw is gone; without the lock both may be running.
    """
    for tag in (PARENT_RUN_ID_TAG, ROOT_RUN_ID_TAG):
        if instance.get_runs(RunsFilter(statuses=RUNNING, tags={tag: run_id}), limit=1):
            return True
    record = instance.get_run_by_id(run_id)
    if record is None:
        return not holding_lock
    if record.is_finished:
        return False
    killed_cli = record.tags.get("sanji/trigger") == "cli" and record.parent_run_id is None
    return not (holding_lock and killed_cli)


def sweep_dead_stages(instance: DagsterInstance, root: Path, county: str, keep: str,
                      holding_lock: bool) -> list[str]:
    """Remove the county's stages of failed, killed or finished runs (never a live one's)."""
    return sweep_stages(root, county, lambda run: stage_is_live(instance, run, holding_lock),
                        keep)


def _note_a_new_warehouse(target: str, configured: str) -> None:
    """Say so when a run starts a DuckDB warehouse that does not exist (a typo is not silent)."""
    if "://" in target or Path(target).exists():
        return
    same = "://" not in configured and Path(target).resolve() == Path(configured).resolve()
    elsewhere = "" if same else f"; the county's warehouse is {configured}"
    print(f"sanji: note: {target} does not exist: a new warehouse is created, with no earlier "
          f"publication (every case starts as new){elsewhere}", file=sys.stderr)
