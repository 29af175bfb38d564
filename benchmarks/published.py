"""The steps after the link step, in process, on a night ``sanji run`` left behind: CPU per step.

Usage: ``.venv/bin/python benchmarks/published.py WORK [--steps person,mismatch] [--profile DIR]``

``WORK`` is the work folder of a night (``--storage WORK/storage``, ``--warehouse
WORK/sanji.duckdb``, ``--landing WORK/landing``; ``benchmarks/night.py`` removes its own, so
run ``sanji run`` yourself). Its newest run's frames are the inputs. Each step runs as the
Dagster step does: its inputs read as the IO managers read them (``read_frame`` with the
input's ``columns`` metadata, staged tables from this script's own stage), the asset called
directly (``validated``, its metadata), its output staged (``RunStage.put``). Printed per step:
CPU seconds (``time.process_time``) of loading, the asset and staging, and their sum; with
``--profile`` a pyinstrument text profile per step in DIR. Never asserts; the warehouse is a
copy (the steps only read it).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COUNTY, MONTH = "411421", "2026-10"
STEPS = ("person_source", "illness_cases", "mismatch", "exchange_workbook",
         "mismatch_case", "township_worklist", "village_monthly", "township_monthly",
         "county_monthly")


def newest_run(storage: Path) -> Path:
    """The folder of the newest run that stored ``person_links``."""
    runs = [p for p in (storage / "runs").iterdir() if (p / "person_links").is_dir()]
    return max(runs, key=lambda p: (p / "person_links").stat().st_mtime)


class Night:
    """A night's frames: the run's stored ones, and the tables this script stages."""

    def __init__(self, work: Path, scratch: Path) -> None:
        from pipelines.warehouse.staging import RunStage

        self.run = newest_run(work / "storage")
        self.stage = RunStage(scratch / "stage", "bench", COUNTY, MONTH)
        self.warehouse = scratch / "sanji.duckdb"
        shutil.copyfile(work / "sanji.duckdb", self.warehouse)
        self.work, self.scratch = work, scratch

    def load(self, asset, name: str, staged: set[str]) -> pl.DataFrame | None:
        """One input of ``asset`` as its IO manager reads it."""
        from assets.resources import drop_meta
        from pipelines.warehouse.staging import read_frame

        key = asset.keys_by_input_name[name].path[-1]
        meta = asset.op.ins[name].metadata or {}
        columns = meta.get("columns")
        if meta.get("latest_before"):
            return None  # the county's first month: no earlier cases
        if key in staged:
            frame = self.stage.get(key, columns and [*columns, "county", "month"])
            return drop_meta(frame, key) if frame is not None else None
        path = self.run / key / COUNTY / f"{MONTH}.parquet"
        if key == "person":  # the run's golden record, as its step kept it
            path = self.run / "golden_state" / COUNTY / MONTH / "person.parquet"
        if path.exists():  # a file, or a folder of parts (person_records)
            return read_frame(path, columns)
        from pipelines.warehouse import Warehouse  # a table the run published (uncertain pairs)

        frame = drop_meta(Warehouse.from_url(str(self.warehouse)).read(key, month=MONTH), key)
        return frame.select([c for c in columns if c in frame.columns]) if columns else frame

    def resources(self) -> dict:
        """The resources the steps use, on this script's copies."""
        from assets.resources import ExchangeFolders, LandingFolder, WarehouseResource

        return {"landing": LandingFolder(path=str(self.work / "landing"),
                                         archive=str(self.scratch / "archive")),
                "warehouse": WarehouseResource(url=str(self.warehouse)),
                "exchange_folders": ExchangeFolders(outbox=str(self.scratch / "outbox"),
                                                    inbox=str(self.scratch / "inbox"))}


def context_for(asset, resources: dict):
    """The context and extra arguments (its config) to call ``asset`` directly with."""
    from dagster import build_asset_context

    from assets.cases import CaseConfig
    from assets.settings import partition

    code = asset.op.compute_fn.decorated_fn.__code__
    params = set(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    used = {k: v for k, v in resources.items() if k in params}
    config = {"config": CaseConfig()} if "config" in params else {}
    return build_asset_context(partition_key=partition(COUNTY, MONTH), resources=used), config


def call(asset, context, inputs: dict, config: dict):
    """The asset called directly on ``inputs``; its output frame (None: it stages none)."""
    from dagster import Output

    result = asset(context, **inputs, **config)
    if isinstance(result, pl.DataFrame):
        return result
    if hasattr(result, "__next__"):
        outputs = [x.value for x in result if isinstance(x, Output)]
        return outputs[0] if outputs else None
    return None


def run_step(night: Night, step: str, staged: set[str], profile: Path | None,
             save: Path | None = None) -> dict:
    """One step: load, call, stage; CPU seconds of each."""
    from assets.definitions import defs

    asset = defs.get_assets_def(step)
    context, config = context_for(asset, night.resources())
    profiler = None
    if profile is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.001)
        profiler.start()
    t0, w0 = time.process_time(), time.perf_counter()
    inputs = {n: night.load(asset, n, staged) for n in asset.op.ins}
    t1 = time.process_time()
    frame = call(asset, context, inputs, config)
    t2 = time.process_time()
    if frame is not None:
        night.stage.put(step, frame.with_columns(county=pl.lit(COUNTY, pl.String)))
        staged.add(step)
    t3, w3 = time.process_time(), time.perf_counter()
    if save is not None and frame is not None:
        frame.write_parquet(save / f"{step}.parquet")
    if save is not None and step == "township_worklist":
        shutil.copytree(night.scratch / "outbox", save / "outbox", dirs_exist_ok=True)
    if profiler is not None:
        profiler.stop()
        (profile / f"{step}.txt").write_text(profiler.output_text(unicode=True, color=False,
                                                                  show_all=False))
    return {"step": step, "load": t1 - t0, "asset": t2 - t1, "stage": t3 - t2,
            "cpu": t3 - t0, "wall": w3 - w0, "rows": 0 if frame is None else frame.height}


def main(argv: list[str] | None = None) -> int:
    """Run the steps in the night's order and print their CPU seconds."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("work", type=Path)
    p.add_argument("--steps", default=",".join(STEPS))
    p.add_argument("--profile", type=Path, help="write a pyinstrument profile per step here")
    p.add_argument("--save", type=Path, help="write each step's output frame here")
    args = p.parse_args(argv)
    wanted = set(args.steps.split(","))
    for folder in (args.profile, args.save):
        if folder:
            folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="sanji-published-") as scratch:
        night, staged, rows = Night(args.work, Path(scratch)), set(), []
        for step in STEPS:  # earlier steps run (untimed) when a later one needs their tables
            out = run_step(night, step, staged, args.profile if step in wanted else None,
                           args.save)
            if step in wanted:
                rows.append(out)
                print(f"{step:20s} load {out['load']:6.2f}  asset {out['asset']:6.2f}  stage "
                      f"{out['stage']:6.2f}  CPU {out['cpu']:6.2f}  wall {out['wall']:6.2f}"
                      f"  rows {out['rows']:,}", flush=True)
        total = sum(r["cpu"] for r in rows)
        print(f"{'total':20s} CPU {total:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
