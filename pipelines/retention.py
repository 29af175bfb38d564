"""Retention of the runs' intermediate frames: ``<storage>/runs/<run_id>/`` pruned per county.

Every run writes its frames into its own folder (``assets/io_managers.py``), and nothing removed
them: a county running every night grew by a whole graph's frames a night. A county's run
folders (those holding only that county's frames) are swept, keeping:

- ``published``: for each of the county's months the run whose publication is current (the
  latest ``published`` row of the warehouse's ``publication`` table): other runs read a
  county-month's frames from it;
- ``parent``: the runs those re-executed from, up their chain: a re-executed run kept its
  parent's frames where Dagster left them, and reads them there;
- ``live``: runs still queued or running (and, to be safe, whatever the caller says is live);
- ``recent``: the ``keep`` most recent other runs (a failed run the steward may re-execute from
  failure reads its own frames);

and deleting the rest. Province runs' folders (no county in their paths) and folders of other
counties are never touched. Called after each successful publication and by
``sanji prune-runs --keep N``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

DEFAULT_KEEP = 10  # the most recent unpublished runs of a county kept besides the published
COUNTY_DIR = re.compile(r"^\d{6}$")
MAX_CHAIN = 100  # parents followed per run (a re-execution chain is short)


@dataclass(frozen=True)
class Pruned:
    """What a sweep kept and deleted.

    Attributes:
        county: the county swept.
        deleted: the run ids whose folders were deleted (or would be, on a dry run).
        kept: run id -> why it was kept (``published``, ``parent``, ``live``, ``recent``).
        freed_bytes: the size of the deleted folders.
    """

    county: str
    deleted: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    freed_bytes: int = 0

    def summary(self) -> str:
        """One line: how many runs deleted, how much freed, how many kept and why."""
        why: dict[str, int] = {}
        for reason in self.kept.values():
            why[reason] = why.get(reason, 0) + 1
        kept = ", ".join(f"{n} {reason}" for reason, n in sorted(why.items())) or "none"
        return (f"county {self.county}: deleted {len(self.deleted)} run folder(s), "
                f"{self.freed_bytes / 1e6:.1f} MB; kept {len(self.kept)} ({kept})")


def published_runs(publications: pl.DataFrame, county: str) -> set[str]:
    """The runs whose publication of each of the county's months is current.

    Args:
        publications: the warehouse's ``publication`` rows (``pipelines.warehouse.publications``).
        county: the county code.
    """
    if publications.is_empty():
        return set()
    current = (publications.filter((pl.col("status") == "published")
                                   & (pl.col("county") == county))
               .sort("version").group_by("month").agg(pl.col("run_id").last()))
    return set(current["run_id"].drop_nulls())


def county_runs(runs_root: Path, county: str) -> dict[str, float]:
    """The county's run folders below ``runs_root``: run id -> when last written (mtime).

    A folder is the county's when every county folder in it (``<asset>/<county>/``) is
    ``county``; a folder with no county folder (a province run's) or another's is left out.
    """
    found: dict[str, float] = {}
    if not runs_root.is_dir():
        return found
    for run in runs_root.iterdir():
        if not run.is_dir():
            continue
        counties = {sub.name for asset in run.iterdir() if asset.is_dir()
                    for sub in asset.iterdir() if sub.is_dir() and COUNTY_DIR.match(sub.name)}
        if counties == {county}:
            found[run.name] = run.stat().st_mtime
    return found


def runs_to_keep(runs: dict[str, float], published: Iterable[str],
                 parent_of: Callable[[str], str | None], live: Iterable[str],
                 keep: int) -> dict[str, str]:
    """Which of ``runs`` (run id -> mtime) to keep, and why (see the module).

    Args:
        runs: the county's run folders.
        published: the runs whose publications are current.
        parent_of: a run's parent run (the run it re-executed), None when it has none.
        live: runs still queued or running.
        keep: how many of the most recent other runs to keep.

    Raises:
        ValueError: for a negative ``keep``.
    """
    if keep < 0:
        msg = f"keep must be 0 or more runs, not {keep}"
        raise ValueError(msg)
    kept: dict[str, str] = {}
    for run in published:
        kept.setdefault(run, "published")
        parent, seen = parent_of(run), 0
        while parent and seen < MAX_CHAIN:
            kept.setdefault(parent, "parent")
            parent, seen = parent_of(parent), seen + 1
    for run in live:
        kept.setdefault(run, "live")
    others = sorted((r for r in runs if r not in kept), key=lambda r: runs[r], reverse=True)
    for run in others[:keep]:
        kept[run] = "recent"
    return {run: why for run, why in kept.items() if run in runs}


def freed_size(folders: Iterable[Path]) -> int:
    """What deleting ``folders`` frees: each file once, and only when all its hard links are
    inside them (a run's frame linked from the ingest cache or a kept run frees nothing)."""
    links: dict[tuple[int, int], list] = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                stat = path.stat()
                seen = links.setdefault((stat.st_dev, stat.st_ino), [stat, 0])
                seen[1] += 1
    return sum(stat.st_size for stat, seen in links.values() if seen >= stat.st_nlink)


def prune_runs(runs_root: Path, county: str, published: Iterable[str],
               parent_of: Callable[[str], str | None], live: Iterable[str] = (),
               keep: int = DEFAULT_KEEP, dry_run: bool = False) -> Pruned:
    """Delete the county's run folders no one needs (see the module); report what went.

    Args:
        runs_root: ``<storage>/runs``.
        county: the county code.
        published: the runs whose publications are current (:func:`published_runs`).
        parent_of: a run's parent run, None when it has none (the Dagster instance knows).
        live: runs still queued or running.
        keep: how many of the most recent other runs to keep.
        dry_run: report only.

    Returns:
        What was deleted and kept.
    """
    runs = county_runs(runs_root, county)
    kept = runs_to_keep(runs, published, parent_of, live, keep)
    deleted = sorted((r for r in runs if r not in kept), key=lambda r: runs[r])
    freed = freed_size(runs_root / run for run in deleted)
    if not dry_run:
        for run in deleted:
            shutil.rmtree(runs_root / run, ignore_errors=True)
    return Pruned(county, deleted, kept, freed)
