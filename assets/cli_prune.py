"""``sanji prune-runs``: delete the run folders of a county's frames no one needs any more.

Examples::

    sanji prune-runs --keep 10            # keep the published runs, their parents, 10 more
    sanji prune-runs --keep 0 --dry-run   # say what would go

The sweep itself (:mod:`pipelines.retention`) also runs after every successful publication,
with :data:`pipelines.retention.DEFAULT_KEEP`; the command takes the county's run lock, so no
night of the county publishes meanwhile.
"""

import argparse
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from assets.io_managers import RUNS_FOLDER
from assets.runs import UserError, check_warehouse, cli_instance, county_of
from assets.settings import setting
from pipelines.retention import DEFAULT_KEEP, Pruned, prune_runs, published_runs

LIVE = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
        DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def sweep_run_folders(instance: DagsterInstance, storage: Path, store, county: str,
                      keep: int = DEFAULT_KEEP, live: tuple[str, ...] = (),
                      dry_run: bool = False) -> Pruned:
    """Prune the county's run folders below ``storage`` against its warehouse ``store``.

    Args:
        instance: the Dagster instance (parents of re-executed runs, runs still going).
        storage: the parquet storage (``SANJI_STORAGE``, ``--storage``).
        store: the county's warehouse (its ``publication`` table).
        county: the county code.
        keep: the most recent other runs kept.
        live: runs to keep besides those the instance says are going (the caller's own).
        dry_run: report only.
    """
    from pipelines.warehouse import publications

    def parent_of(run_id: str) -> str | None:
        run = instance.get_run_by_id(run_id)
        return run.parent_run_id if run is not None else None

    going = {r.run_id for r in instance.get_runs(RunsFilter(statuses=LIVE))}
    return prune_runs(Path(storage) / RUNS_FOLDER, county,
                      published_runs(publications(store), county), parent_of,
                      going | set(live), keep, dry_run)


def cmd_prune(args: argparse.Namespace) -> int:
    """Sweep one county's run folders under its run lock; print what went."""
    from assets.county_lock import holding_county_lock
    from pipelines.warehouse import Warehouse

    if args.keep < 0:
        msg = f"--keep {args.keep}: keep 0 or more runs"
        raise UserError(msg)
    county = county_of(args.county)
    url = str(args.warehouse or county.warehouse)
    check_warehouse(url)
    storage = Path(args.storage or setting("SANJI_STORAGE"))
    with holding_county_lock(url, county, args.wait, "nothing pruned") as run_id:
        pruned = sweep_run_folders(
            cli_instance(), storage, Warehouse.from_url(url, schema=county.schema or None),
            county.code, args.keep, (run_id,), args.dry_run)
    for run in pruned.deleted:
        print(f"{'would delete' if args.dry_run else 'deleted'} {storage / RUNS_FOLDER / run}")
    print(("dry run: " if args.dry_run else "") + pruned.summary())
    return 0


def add_parser(sub) -> None:
    """Add ``prune-runs`` to the ``sanji`` parser."""
    from assets.county_lock import add_wait_option

    prune = sub.add_parser(
        "prune-runs", help="delete a county's run folders of frames no one needs any more",
        description="Delete <storage>/runs/<run_id>/ folders of a county, keeping the runs "
                    "whose publications are current (and the runs they re-executed from), "
                    "runs still going and the --keep most recent others.")
    prune.add_argument("--county", default=None, metavar="CODE",
                       help="the county (needed only when several are configured)")
    prune.add_argument("--warehouse", default=None, metavar="URL",
                       help="the county's warehouse (default: from the counties file); it "
                            "says which runs are published")
    prune.add_argument("--storage", default=setting("SANJI_STORAGE"), metavar="FOLDER",
                       help="the parquet storage (default: $SANJI_STORAGE or "
                            ".dagster_home/storage)")
    prune.add_argument("--keep", type=int, default=DEFAULT_KEEP, metavar="N",
                       help=f"keep the N most recent unpublished runs too (default "
                            f"{DEFAULT_KEEP})")
    prune.add_argument("--dry-run", action="store_true", help="say what would be deleted")
    add_wait_option(prune)
    prune.set_defaults(func=cmd_prune)
