"""One night's publication: under the run lock, the guard, then every table in one transaction.

``publish_night`` is what a run calls once, at its end, with all its frames: it takes the run
lock (or uses the one the caller holds for the whole run), compares tonight's landing with the
last publication (``pipelines.guard``), records a refusal in ``publication`` and raises
``NightRefused``, or publishes every table together (``Warehouse.publish_run``) with the
landing snapshot and the guard's decisions. With ``base_version`` (the publication the run read
its previous ids and decisions from) a run that another run overtook refuses to commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from pipelines.guard import LandingSnapshot, NightPolicy, NightRefused, NightVerdict, judge_night
from pipelines.warehouse import Publication, RunLock, RunMeta, Warehouse
from pipelines.warehouse.publication import record_run
from pipelines.warehouse.tables import Step


@dataclass(frozen=True)
class NightResult:
    """A published night: the ``publication`` row and the guard's verdict."""

    publication: Publication
    verdict: NightVerdict


@dataclass(frozen=True)
class NightRun:
    """Who publishes what: the run, its month, county and start, and what it started from.

    Attributes:
        run_id: the run.
        month: ``YYYY-MM`` published.
        county: county code (None: the warehouse serves one county).
        started_at: when the run started (UTC, naive).
        base_version: the publication version the run read from (None: not checked beyond
            the lock).
    """

    run_id: str
    month: str
    county: str | None = None
    started_at: datetime | None = None
    base_version: int | None = None


def landing_of_run(snapshot: pl.DataFrame | None, accounting: pl.DataFrame) -> LandingSnapshot:
    """Tonight's landing as ``publication`` records it, from a run's own frames.

    Args:
        snapshot: the run's ``landing_snapshot`` (file_name, sha256 …; None: not known).
        accounting: the run's ``ingest_accounting`` (source_file, sheet, extract, rows_read,
            rows_accepted …).

    Returns:
        The snapshot: each file and sheet read as an extract, with its content hash, and the
        accepted rows per extract.
    """
    from pipelines.extracts import SPECS

    # files set aside whole carry their reason as extract (empty, unreadable …): not extracts
    accounting = accounting.filter(pl.col("extract").is_in(list(SPECS)))
    hashes = pl.DataFrame(schema={"source_file": pl.String, "sha256": pl.String}) \
        if snapshot is None else snapshot.select(pl.col("file_name").alias("source_file"),
                                                 "sha256")
    files = accounting.select("source_file", "sheet", "extract", "rows_read").join(
        hashes.unique("source_file"), on="source_file", how="left",
    ).with_columns(pl.col("sha256").fill_null(""))
    return LandingSnapshot.from_ingest(files, accounting)


def judge(warehouse: Warehouse, run: NightRun, landing: LandingSnapshot,
          policy: NightPolicy | None = None) -> NightVerdict:
    """The guard's verdict on tonight against the last publication of the run's county."""
    last = warehouse.last_publication(run.county)
    known: Collection[str] = ()
    if policy and policy.allow_missing:  # the recognisable extracts, only to check the names
        from pipelines.extracts import SPECS

        known = SPECS
    return judge_night(last.extract_rows if last else None, landing.extract_rows, policy,
                       last_version=last.version if last and last.version else 0, known=known)


def publish_night(warehouse: Warehouse, run: NightRun, tables: Mapping[str, pl.DataFrame],
                  landing: LandingSnapshot, *, month_sliced: Collection[str] = (),
                  policy: NightPolicy | None = None, lock: RunLock | None = None,
                  wait_seconds: float = 0.0, on_step: Step | None = None,
                  skip_unchanged: bool = False) -> NightResult:
    """Publish one run's tables as a whole, or refuse and leave the last publication as it is.

    Args:
        warehouse: where to publish.
        run: the run (id, month, county, start, base version).
        tables: every table the run publishes.
        landing: tonight's landing snapshot (``LandingSnapshot.from_ingest``).
        month_sliced: the tables of which only the month's rows are replaced.
        policy: the steward's confirmations and the drop threshold.
        lock: the run lock when the caller holds it for the whole run; else it is taken here
            (waiting up to ``wait_seconds``) and released on return.
        wait_seconds: see ``lock``.
        on_step: passed to ``Warehouse.publish_run``.
        skip_unchanged: leave the tables the warehouse holds as they are already
            (``pipelines.warehouse.unchanged``).

    Returns:
        The publication and the guard's verdict.

    Raises:
        WarehouseBusy: another run holds the lock.
        NightRefused: the guard refused (recorded ``refused`` in ``publication``).
        PublicationConflict: another run published since ``run.base_version``.
    """
    if lock is not None and not lock.held:
        msg = f"run {run.run_id}: the run lock passed to publish_night was already released"
        raise ValueError(msg)
    held = nullcontext(lock) if lock is not None else warehouse.run_lock(
        run.run_id, county=run.county, wait_seconds=wait_seconds)
    with held:
        verdict = judge(warehouse, run, landing, policy)
        meta = RunMeta(county=run.county, started_at=run.started_at, landing=landing.files,
                       extract_rows=landing.extract_rows, guard=verdict.records())
        if verdict.refused:
            record_run(warehouse, run.run_id, run.month, meta, "refused", verdict.message)
            raise NightRefused(verdict)
        expected = run.base_version if run.base_version is not None else verdict.last_version
        publication = warehouse.publish_run(run.run_id, run.month, tables,
                                            month_sliced=month_sliced, meta=meta,
                                            expected_version=expected, on_step=on_step,
                                            skip_unchanged=skip_unchanged)
    return NightResult(publication, verdict)
