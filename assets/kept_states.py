"""What a published run kept for the next night beside its frames: the link step's and the
golden record's states (``pipelines.link.incremental``, ``pipelines.golden_incremental``)."""

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import polars as pl
from dagster import AssetExecutionContext

from assets.io_managers import PolarsParquetIOManager, run_lineage
from pipelines.domain.months import Month

T = TypeVar("T")  # a kept state (``LinkState``, ``GoldenState``)


def kept_run_state(context: AssetExecutionContext, storage: PolarsParquetIOManager, kind: str,
                   read: Callable[[Path], T | None], county: str, month: str
                   ) -> tuple[T | None, str]:
    """A state of one ``kind`` (``link_state``, ``golden_state``) kept by the run that last
    published the county-month (else the month before), read with ``read``: never a refused,
    failed or killed run's; a re-executed run that did not compute it kept its parent's.

    Returns:
        (the state or None, which run kept it or why none).
    """
    for when in (month, str(Month.parse(month).previous())):
        for run_id in run_lineage(context.instance, storage.published_run(county, when)):
            try:
                state = read(state_folder(storage, run_id, kind, county, when))
            except (OSError, ValueError, pl.exceptions.PolarsError) as exc:  # unreadable
                context.log.warning(f"{kind} of run {run_id} unreadable ({exc}): full night")
                return None, f"none: run {run_id}'s is unreadable"
            if state is not None:
                return state, f"run {run_id} ({when})"
    return None, "none: no published run kept one"


def state_folder(storage: PolarsParquetIOManager, run_id: str, kind: str, county: str,
                 month: str) -> Path:
    """Where a run keeps a county-month's state of one ``kind``: beside its frames,
    ``<storage>/runs/<run_id>/<kind>/<county>/<month>/``."""
    return storage.run_folder(run_id) / kind / county / month
