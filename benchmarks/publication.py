"""The publication step in process: a night's staged tables published to a fresh DuckDB file.

Usage: ``.venv/bin/python benchmarks/publication.py STAGE [QUIET_STAGE] [--profile]``

``STAGE`` (and ``QUIET_STAGE``) is a folder holding one run's staged tables
(``<table>.parquet``, as ``pipelines.warehouse.staging.RunStage`` writes them; keep one by
running ``sanji run`` with ``SANJI_PAUSE_AT=publish:begun`` and copying
``<storage>/_staging/<run>/<county>/<month>``). Publishes the first as a full night does
(every table month-sliced, unchanged tables restamped), then the second on that warehouse as
the next night, then the CLI's summary; prints CPU and wall seconds of each part (reading the
parquet as the IO manager does, publishing, the summary). With ``--profile`` each publication
runs under pyinstrument (CPU clock) and its tree is printed. Compare trees by running this
file with another tree on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

if TYPE_CHECKING:
    from pipelines.warehouse import Warehouse

MONTH = "2026-10"


@contextmanager
def timed(label: str, profile: bool = False) -> Iterator[None]:
    """Print CPU and wall seconds of the block (and its pyinstrument tree when asked)."""
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    cpu, wall = time.process_time(), time.perf_counter()
    yield
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"  {label:34s} CPU {cpu:6.2f} s  wall {wall:6.2f} s", flush=True)
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(show_all=False, color=False, unicode=False))


def read_stage(folder: Path) -> dict[str, pl.DataFrame]:
    """The staged tables as ``publication`` gets them (the run's stamps dropped)."""
    frames = {}
    for path in sorted(Path(folder).glob("*.parquet")):
        frame = pl.read_parquet(path)
        frames[path.stem] = frame.drop([c for c in ("run_id", "published_at")
                                        if c in frame.columns])
    return frames


def publish(store: Warehouse, frames: dict[str, pl.DataFrame], run_id: str) -> None:
    """Publish one night's tables as the ``publication`` asset does (no guard, no lock)."""
    store.publish_run(run_id, MONTH, frames, month_sliced=frames, skip_unchanged=True)


def main(argv: list[str] | None = None) -> int:
    """Publish the stages given, one night after the other, and print the figures."""
    from assets.runs import summary
    from pipelines.warehouse import Warehouse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("stages", nargs="+", type=Path)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--keep", type=Path, help="publish into this DuckDB file (default: a temp)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "w.duckdb"
        store = Warehouse.from_url(str(path))
        for night, stage in enumerate(args.stages, 1):
            print(f"night {night}: {stage}", flush=True)
            with timed("read the staged parquet"):
                frames = read_stage(stage)
            with timed("publish", args.profile):
                publish(store, frames, f"run-{night}")
            del frames
            with timed("summary"):
                summary(str(path), MONTH)
            print(f"  warehouse file {path.stat().st_size / 1e6:,.1f} MB", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
