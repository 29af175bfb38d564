"""Ingest: a county's landing, snapshotted and archived, then read, mapped, normalised, checked.

``landing_snapshot`` records which files a county-month read (names and sha256, published to the
county's warehouse) and copies each into the county's archive under its hash; ``ingest`` reads
exactly those bytes back from the archive, so ``rerun_month`` rebuilds a past month from that
month's own files whatever the landing folder holds today (group ``ingest``).
"""


import tempfile
import time
from pathlib import Path

import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetOut,
    Backoff,
    DataVersion,
    Failure,
    Jitter,
    MetadataValue,
    Output,
    RetryPolicy,
    asset,
    multi_asset,
)

from assets.failures import failing_clearly
from assets.metadata import table_preview
from assets.resources import LandingFolder
from assets.settings import county_month, split_key
from assets.validate import validated
from pipelines.domain.extracts import EXTRACTS
from pipelines.domain.identity import mask_ids_in_text
from pipelines.domain.months import Month
from pipelines.errors import TransientError
from pipelines.snapshot import ArchiveMissing, restore, take_snapshot
from pipelines.warehouse.staging import FrameFile

OWNERS = ["team:county-health-data"]
# Transient failures (a file still being written, the database not up yet) are retried.
TRANSIENT = RetryPolicy(max_retries=3, delay=2, backoff=Backoff.EXPONENTIAL,
                        jitter=Jitter.PLUS_MINUS)
EXTRACT_ASSETS = tuple(EXTRACTS)


class LandingNotSettled(TransientError):
    """A landing file changed size between two looks: still being written, try again."""


def wait_until_settled(files: list[Path], pause: float) -> None:
    """Raise :class:`LandingNotSettled` when a file changes during ``pause`` seconds.

    A file last modified more than ``pause`` seconds ago has already held still that long:
    only files modified since are watched, so a landing written well before the night is
    read without the wait.

    Args:
        files: the landing files.
        pause: seconds a file must hold still (0 skips the check).
    """
    if pause <= 0 or not files:
        return
    now = time.time()
    recent = {p: _size_and_time(p) for p in files if now - p.stat().st_mtime < pause}
    if not recent:
        return
    time.sleep(pause)
    moving = [p.name for p, before in recent.items()
              if p.exists() and _size_and_time(p) != before]
    if moving:
        msg = f"still being written: {', '.join(moving[:5])}"
        raise LandingNotSettled(mask_ids_in_text(msg))


def _size_and_time(path: Path) -> tuple[int, int]:
    """A file's size and modification time (ns): either changes while it is written."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def where(context: AssetExecutionContext) -> tuple[str, str]:
    """The county and month of a county-month asset's partition."""
    county, month = split_key(context.partition_key)
    if county is None or month is None:
        msg = f"not a county-month partition: {context.partition_key!r}"
        raise Failure(description=msg, allow_retries=False)
    return county, month


@asset(group_name="ingest", partitions_def=county_month, retry_policy=TRANSIENT, owners=OWNERS,
       io_manager_key="warehouse_io_manager", kinds={"polars"}, tags={"stage": "ingest"})
def landing_snapshot(context: AssetExecutionContext, landing: LandingFolder):
    """本月读入的文件: every extract and steward file of the county's landing, by sha256.

    Each file is archived under its hash; a file still being written is retried, a file that
    is not read (draft, lock file, other format) is named with the reason, and a landing with
    no extract at all fails (a month is never published from nothing).
    """
    county, month = where(context)
    folder = landing.folder(county)
    if not folder.is_dir():
        raise Failure(f"landing folder {folder} does not exist", allow_retries=False)
    listing = landing.listing(county)
    skipped = [mask_ids_in_text(str(s)) for s in listing.skipped]
    if not listing.data:
        msg = (f"no extracts (.csv or .xlsx) in {folder}"
               + (f" (not read: {'; '.join(skipped[:5])})" if skipped else ""))
        raise Failure(description=msg, allow_retries=False)
    wait_until_settled(list(listing.watched), landing.settle_seconds)
    if skipped:
        context.log.warning(f"{len(skipped)} landing file(s) not read: " + "; ".join(skipped))
    try:
        snapshot, archived = take_snapshot(listing, landing.archive_for(county))
    except ValueError as exc:  # changed while archived: still being written, try again
        raise LandingNotSettled(str(exc)) from exc
    named = sorted(set(snapshot["named_month"].drop_nulls()))
    if named and month not in named:
        context.log.warning(f"county {county}, month {month}: the files name "
                            f"{', '.join(named)} (rerun for the month they name?)")
    snapshot = validated("landing_snapshot", snapshot)
    key = "\n".join(f"{n}:{h}" for n, h in snapshot.select("file_name", "sha256").iter_rows())
    return Output(snapshot, data_version=DataVersion(_short_hash(key)), metadata={
        "files": snapshot.height, "newly_archived": archived,
        "bytes": int(snapshot["size"].sum() or 0), "months_named": ", ".join(named) or "none",
        "landing": str(folder), "not_read": MetadataValue.text("\n".join(skipped) or "none"),
        "snapshot": table_preview(snapshot.with_columns(pl.col("sha256").str.slice(0, 12)),
                                  limit=50),
    })


def _short_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _outs() -> dict[str, AssetOut]:
    extract_outs = {
        name: AssetOut(
            description=f"{spec.title} ({spec.department}): accepted rows, canonical columns.",
            owners=OWNERS, tags={"department": spec.department},
        )
        for name, spec in EXTRACTS.items()
    }
    return {
        **extract_outs,
        "region_table": AssetOut(description="行政区划: county, township and village codes.",
                                 owners=OWNERS),
        "quarantine": AssetOut(
            io_manager_key="warehouse_io_manager", owners=OWNERS,
            description="隔离行: rejected input rows and the reason for each."),
        "field_issue": AssetOut(
            io_manager_key="warehouse_io_manager", owners=OWNERS,
            description="字段问题: repaired or flagged values in accepted rows."),
        "ingest_accounting": AssetOut(
            owners=OWNERS, description="Rows read, accepted, quarantined per file and sheet."),
    }


def rows_accounted(accounting: pl.DataFrame) -> AssetCheckResult:
    """Check that every row read is either accepted or quarantined, per file and sheet."""
    off = accounting.filter(
        pl.col("rows_read") != pl.col("rows_accepted") + pl.col("rows_quarantined")
    )
    return AssetCheckResult(
        asset_key="ingest_accounting", check_name="rows_accounted", passed=off.height == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={"files": accounting.height, "unaccounted_files": off.height,
                  "rows_read": int(accounting["rows_read"].sum() or 0),
                  "preview": table_preview(off)},
    )


@multi_asset(
    outs=_outs(),
    group_name="ingest",
    partitions_def=county_month,
    retry_policy=TRANSIENT,
    check_specs=[AssetCheckSpec(
        "rows_accounted", asset="ingest_accounting",
        description="每个文件/工作表: 读入行 = 接收行 + 隔离行. "
                    "Every row read is accepted or quarantined, per file and sheet.",
    )],
)
def ingest(context: AssetExecutionContext, landing_snapshot: pl.DataFrame | None,
           landing: LandingFolder):
    """Read the month's snapshot (from the archive) into canonical tables (pipelines.ingest).

    The month's last day is the day the landing is read as of (no one is born after it).
    """
    from pipelines.ingest import ingest_landing
    from pipelines.warehouse.staging import frame_rows

    county, month = where(context)
    if landing_snapshot is None or landing_snapshot.height == 0:  # never snapshotted
        msg = (f"landing_snapshot has no stored month {month} for county {county}: run the job "
               f"`nightly` for {month} first")
        raise Failure(description=msg, allow_retries=False)
    cache = landing.ingest_cache(county)
    with tempfile.TemporaryDirectory(prefix=f"sanji-{county}-{month}-") as tmp:
        try:
            folder = restore(landing_snapshot, landing.archive_for(county), Path(tmp) / "landing")
        except ArchiveMissing as exc:
            raise Failure(description=str(exc), allow_retries=False) from exc
        with failing_clearly("reading the landing folder"):  # a bad file, mapping: no retry
            result = ingest_landing(folder, as_of=Month.parse(month).last_day, cache=cache)
    stored = {}  # the tables the cache holds as files (written now, or by an earlier night)
    for name, key in result.table_keys.items():
        path = cache.table(name, key, result.tables)
        stored[name] = FrameFile(path, frame_rows(path))
    cache.prune()
    context.log.info(f"ingest cache: {len(cache.hits)} file(s) unchanged, taken from "
                     f"{cache.folder}; {len(cache.misses)} read and kept"
                     + (" (--full: every file read)" if cache.cold else ""))
    set_aside = [mask_ids_in_text(f"{f}{'#' + s if s else ''}: {c}: {r}") for f, s, c, r in
                 result.unrecognised.select("source_file", "sheet", "check", "reason").rows()]
    if set_aside:  # unreadable, empty, a copy, hidden, unrecognised: named, never silent
        context.log.warning(f"{len(set_aside)} file(s)/sheet(s) set aside whole: "
                            + "; ".join(set_aside[:20]))
    yield from _ingest_outputs(result, set_aside, cache, stored)


def _ingest_outputs(result, set_aside: list[str], cache, stored: dict[str, FrameFile]):
    """The ingest multi-asset's outputs and its accounting check (``set_aside``: the files and
    sheets set aside whole, masked, for the metadata; ``cache``: the night's ingest cache;
    ``stored``: the extract tables the cache holds as files, linked rather than written)."""
    by_file = result.accounting.group_by("source_file").agg(
        pl.col("rows_read").sum(), pl.col("rows_accepted").sum(),
        pl.col("rows_quarantined").sum(),
    ).sort("source_file")
    for name in EXTRACT_ASSETS:  # a stored table is linked, never read
        table = stored[name] if name in stored else result.tables[name]
        rows = table.rows if isinstance(table, FrameFile) else table.height
        files = result.accounting.filter(pl.col("extract") == name)
        yield Output(table, output_name=name, metadata={
            "rows": rows, "rows_by_file": table_preview(files, limit=50),
            "from_cache": name in cache.tables_reused,
        })
    yield Output(result.regions, output_name="region_table",
                 metadata={"rows": result.regions.height})
    yield Output(validated("quarantine", result.quarantine), output_name="quarantine", metadata={
        "rows": result.quarantine.height,
        "by_reason": table_preview(_count(result.quarantine, "check")),
        "by_file_and_reason": table_preview(
            _count(result.quarantine, "source_file", "sheet", "check"), limit=50),
        "preview": table_preview(result.quarantine),
    })
    yield Output(validated("field_issue", result.field_issue), output_name="field_issue", metadata={
        "rows": result.field_issue.height,
        "by_check": table_preview(_count(result.field_issue, "check")),
    })
    yield Output(result.accounting, output_name="ingest_accounting", metadata={
        "rows": result.accounting.height,
        "rows_read": int(result.accounting["rows_read"].sum() or 0),
        "rows_by_file": table_preview(by_file, limit=100),
        "files": MetadataValue.int(result.files.height),
        "set_aside": MetadataValue.text("\n".join(set_aside) or "none"),
        "files_from_cache": MetadataValue.int(len(cache.hits)),
        "cache_unchanged": MetadataValue.text(
            "\n".join(mask_ids_in_text(n) for n in cache.hits) or "none"),
    })
    yield rows_accounted(result.accounting)


def _count(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Rows per value of the columns, most frequent first."""
    return frame.group_by(*columns).len("rows").sort(["rows", *columns],
                                                     descending=[True, *([False] * len(columns))])
