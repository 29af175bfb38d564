"""Ingest: the landing folder's extracts read, mapped, normalised and checked (group ``ingest``)."""


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
    Failure,
    Jitter,
    MetadataValue,
    Output,
    RetryPolicy,
    multi_asset,
)

from assets.failures import failing_clearly
from assets.metadata import table_preview
from assets.resources import LandingFolder
from assets.settings import monthly
from assets.validate import validated
from pipelines.domain.extracts import EXTRACTS
from pipelines.domain.identity import mask_ids_in_text
from pipelines.domain.months import Month
from pipelines.errors import TransientError

OWNERS = ["team:county-health-data"]
# Transient failures (a file still being written, the database not up yet) are retried.
TRANSIENT = RetryPolicy(max_retries=3, delay=2, backoff=Backoff.EXPONENTIAL,
                        jitter=Jitter.PLUS_MINUS)
EXTRACT_ASSETS = tuple(EXTRACTS)


class LandingNotSettled(TransientError):
    """A landing file changed size between two looks: still being written, try again."""


def wait_until_settled(files: list[Path], pause: float) -> None:
    """Raise :class:`LandingNotSettled` when a file's size changes during ``pause`` seconds.

    Args:
        files: the landing files.
        pause: seconds between the two looks (0 skips the check).
    """
    if pause <= 0 or not files:
        return
    before = {p.name: p.stat().st_size for p in files}
    time.sleep(pause)
    moving = [p.name for p in files if p.exists() and p.stat().st_size != before[p.name]]
    if moving:
        msg = f"still being written: {', '.join(moving[:5])}"
        raise LandingNotSettled(mask_ids_in_text(msg))


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
    partitions_def=monthly,
    retry_policy=TRANSIENT,
    check_specs=[AssetCheckSpec(
        "rows_accounted", asset="ingest_accounting",
        description="每个文件/工作表: 读入行 = 接收行 + 隔离行. "
                    "Every row read is accepted or quarantined, per file and sheet.",
    )],
)
def ingest(context: AssetExecutionContext, landing: LandingFolder):
    """Read every extract in the landing folder into canonical tables (pipelines.ingest).

    The month's last day is the day the landing is read as of (no one is born after it).
    Files that are not read (drafts, lock files, other formats) are named with the reason.
    """
    from pipelines.ingest import ingest_landing

    folder = landing.folder
    if not folder.is_dir():
        raise Failure(f"landing folder {folder} does not exist", allow_retries=False)
    listing = landing.listing()
    wait_until_settled(list(listing.watched), landing.settle_seconds)
    skipped = [mask_ids_in_text(str(s)) for s in listing.skipped]
    if skipped:
        context.log.warning(f"{len(skipped)} landing file(s) not read: " + "; ".join(skipped))
    with failing_clearly("reading the landing folder"):  # a bad file, mapping: no retry
        result = ingest_landing(folder, as_of=Month.parse(context.partition_key).last_day)
    set_aside = [mask_ids_in_text(f"{f}{'#' + s if s else ''}: {c}: {r}") for f, s, c, r in
                 result.unrecognised.select("source_file", "sheet", "check", "reason").rows()]
    if set_aside:  # unreadable, empty, a copy, hidden, unrecognised: named, never silent
        context.log.warning(f"{len(set_aside)} file(s)/sheet(s) set aside whole: "
                            + "; ".join(set_aside[:20]))
    by_file = result.accounting.group_by("source_file").agg(
        pl.col("rows_read").sum(), pl.col("rows_accepted").sum(),
        pl.col("rows_quarantined").sum(),
    ).sort("source_file")
    for name in EXTRACT_ASSETS:
        table = result.tables[name]
        files = result.accounting.filter(pl.col("extract") == name)
        yield Output(table, output_name=name, metadata={
            "rows": table.height, "rows_by_file": table_preview(files, limit=50),
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
        "not_read": MetadataValue.text("\n".join(skipped) or "none"),
        "set_aside": MetadataValue.text("\n".join(set_aside) or "none"),
    })
    yield rows_accounted(result.accounting)


def _count(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Rows per value of the columns, most frequent first."""
    return frame.group_by(*columns).len("rows").sort(["rows", *columns],
                                                     descending=[True, *([False] * len(columns))])
