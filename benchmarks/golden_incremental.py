"""The golden record (the ``person`` step's engine) on a quiet night: full against incremental.

Usage::

    .venv/bin/python benchmarks/golden_incremental.py --sizes 500k,1M [--rounds 3]

Per size: the cached demo county of ``benchmarks/night.py``, ingested and linked once (night 1,
a full link), then night 2: ~``--share`` more settlement records (existing stays copied,
admitted and discharged a week later: new records of existing people) linked incrementally on
night 1's state; the golden record's inputs of both nights (the columns ``person`` reads of
each extract, and the links) are cached as parquet in ``--work`` (default
``/tmp/golden-bench``). Then, alternating for ``--rounds`` rounds, CPU seconds of:

- ``full``: ``golden_person`` of night 2 and its frame staged (``write_frame``): what the
  step did before, every person;
- ``full + keep``: night 1 in full with the state kept for the next night (its person file
  is the one the run stages): a full night now;
- ``incremental``: night 2 on night 1's kept state, the state read and written included.

and whether the incremental frame equals the full one (it must). The tree before a change:
``PYTHONPATH=<its checkout> <its python> benchmarks/golden_incremental.py --full-only``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from night import county, label, parse_size

from pipelines.golden import columns_read, golden_person
from pipelines.warehouse.staging import write_frame


def _grown(table: pl.DataFrame, share: float, total: int) -> pl.DataFrame:
    """The settlements with ~``share`` × ``total`` new stays: copies admitted a week later."""
    picks = table.gather_every(max(1, int(table.height / (total * share))))
    top = table["row_number"].max()
    week = pl.duration(days=7)
    added = (picks.with_columns(row_number=pl.int_range(pl.len(), dtype=table["row_number"].dtype)
                                + top + 1)
             .with_columns(record_id=pl.col("record_id") + "+" + pl.col("row_number")
                           .cast(pl.String),
                           admission_date=pl.col("admission_date") + week,
                           discharge_date=pl.col("discharge_date") + week))
    return pl.concat([table, added.select(table.columns)])


def prepare(people: int, seed: int, share: float, work: Path) -> Path:
    """Ingest and link the county's two nights once; their golden inputs cached in ``work``."""
    folder = work / f"{label(people)}-s{seed}"
    if (folder / "complete").exists():
        return folder
    from pipelines.ingest import ingest_landing, person_records
    from pipelines.link import link_records, record_evidence

    cpu = time.process_time()
    tables = ingest_landing(county(people, seed) / "landing").tables
    records = person_records(tables)
    first = link_records(records, evidence=record_evidence(tables))
    total = records.height
    del records
    nights = {"1": tables, "2": {**tables, "settlement": _grown(tables["settlement"], share,
                                                                  total)}}
    second = link_records(person_records(nights["2"]), evidence=record_evidence(nights["2"]),
                          state=first.state, previous_ids=first.id_map)
    for night, result in (("1", first), ("2", second)):
        out = folder / f"night{night}"
        out.mkdir(parents=True, exist_ok=True)
        result.links.select("record_id", "person_id").write_parquet(out / "links.parquet")
        for name, table in nights[night].items():
            keep = [c for c in columns_read(name) if c in table.columns]
            table.select(keep).write_parquet(out / f"{name}.parquet")
    (folder / "complete").touch()
    print(f"prepared {folder} in {time.process_time() - cpu:.1f} CPU s "
          f"(night 2: {second.stats['link_mode']})", flush=True)
    return folder


def night(folder: Path, which: str) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """One night's golden inputs: the extract tables (the columns read) and the links."""
    out = folder / f"night{which}"
    tables = {p.stem: pl.read_parquet(p) for p in sorted(out.glob("*.parquet"))
              if p.stem != "links"}
    return tables, pl.read_parquet(out / "links.parquet")


def cpu_of(call, *args) -> tuple[float, object]:
    """(CPU seconds, result) of ``call(*args)``."""
    start = time.process_time()
    result = call(*args)
    return time.process_time() - start, result


def staged_full(tables: dict[str, pl.DataFrame], links: pl.DataFrame, path: Path
                ) -> pl.DataFrame:
    """``golden_person`` and its frame written as the run's stage writes it (the step before)."""
    frame = golden_person(tables, links)
    write_frame(frame.with_columns(county=pl.lit("411421")), path)
    return frame


def keep_full(tables: dict[str, pl.DataFrame], links: pl.DataFrame, folder: Path
              ) -> pl.DataFrame:
    """A full night's golden record, its state written to ``folder`` (what a full night does)."""
    from pipelines.golden_incremental import incremental_person

    frame, state, _ = incremental_person(tables, links, None, scope="bench")
    state.write(folder, stamp={"county": "411421"})
    return frame


def incremental(tables: dict[str, pl.DataFrame], links: pl.DataFrame, kept: Path, now: Path
                ) -> tuple[pl.DataFrame, dict]:
    """An incremental night on the state in ``kept``: read, computed, its state written."""
    from pipelines.golden_incremental import GoldenState, incremental_person

    frame, state, stats = incremental_person(tables, links, GoldenState.read(kept),
                                             scope="bench")
    state.write(now, stamp={"county": "411421"})
    return frame, stats


def measure(people: int, seed: int, share: float, rounds: int, work: Path,
            full_only: bool) -> None:
    """Print the CPU seconds of the full and the incremental golden record, alternating."""
    folder = prepare(people, seed, share, work)
    (t1, l1), (t2, l2) = night(folder, "1"), night(folder, "2")
    print(f"\n== {label(people)} residents: night 1 {l1.height:,} records, night 2 "
          f"{l2.height:,} ({l2['person_id'].n_unique():,} persons)", flush=True)
    times: dict[str, list[float]] = {"full": [], "full + keep": [], "incremental": []}
    for _ in range(rounds):
        cpu, expected = cpu_of(staged_full, t2, l2, work / "staged.parquet")
        times["full"].append(cpu)
        if full_only:
            continue
        with tempfile.TemporaryDirectory(prefix="golden-bench-") as tmp:
            kept, now = Path(tmp) / "1", Path(tmp) / "2"
            times["full + keep"].append(cpu_of(keep_full, t1, l1, kept)[0])
            cpu, (frame, stats) = cpu_of(incremental, t2, l2, kept, now)
            times["incremental"].append(cpu)
            print(f"  incremental: {stats['mode']}, {stats['persons_recomputed']:,} persons "
                  f"recomputed; equal to the full recompute: {frame.equals(expected)}; state "
                  f"{sum(p.stat().st_size for p in kept.iterdir()) / 1e6:.0f} MB", flush=True)
    for name, values in times.items():
        if values:
            print(f"  {name:12s} CPU s: min {min(values):.2f}, median "
                  f"{statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="500k", help="residents, e.g. 500k,1M")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--share", type=float, default=0.01, help="new records on night 2")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--work", type=Path, default=Path("/tmp/golden-bench"))
    p.add_argument("--full-only", action="store_true", help="time golden_person only")
    p.add_argument("--prepare-only", action="store_true")
    args = p.parse_args(argv)
    for size in sorted(parse_size(s) for s in args.sizes.split(",")):
        if args.prepare_only:
            prepare(size, args.seed, args.share, args.work)
        else:
            measure(size, args.seed, args.share, args.rounds, args.work, args.full_only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
