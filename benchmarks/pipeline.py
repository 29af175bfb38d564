"""The whole engine, without Dagster, on a generated demo county: seconds per stage.

Usage::

    .venv/bin/python benchmarks/pipeline.py                    # 50,000 people
    .venv/bin/python benchmarks/pipeline.py --people 500000    # ~1M rows
    .venv/bin/python benchmarks/pipeline.py --people 50000 --people 500000

Each size runs in a fresh subprocess (so its peak RSS is its own). The stages call the
``pipelines`` functions in the order the Dagster assets do: ingest, person_records, link,
golden (person, person_source), rules (mismatch), rollups (village, township, county) and
publish (every published table into a temporary DuckDB file). Generating the county is not
timed. Data are synthetic (``pipelines.demo``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

MONTH = "2026-10"


class Timer:
    """Seconds per named stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def run(self, stage: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` and add its wall time to ``stage``."""
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start
        return out


def _publish(path: Path, tables: dict[str, tuple[pl.DataFrame, str | None]]) -> None:
    """Publish every table (with its month, or None) into a DuckDB file."""
    from pipelines.warehouse import Warehouse

    store = Warehouse.from_url(path)
    for name, (frame, month) in tables.items():
        store.publish(name, frame, run_id="benchmark", month=month)


def run_engine(landing: Path, warehouse: Path, month: str = MONTH) -> dict[str, Any]:
    """Run every stage over a landing folder.

    Args:
        landing: the county's landing folder.
        warehouse: the DuckDB file to publish into.
        month: the month to publish.

    Returns:
        ``rows`` (rows read), ``people`` and ``seconds`` per stage.
    """
    from pipelines import golden, rollup, rules
    from pipelines.ingest import ingest_landing, person_records
    from pipelines.link import link_records

    t = Timer()
    ingested = t.run("ingest", ingest_landing, landing)
    tables, regions = ingested.tables, ingested.regions
    records = t.run("person_records", person_records, tables)
    linked = t.run("link", link_records, records, decisions=None, previous_ids=None)
    person = t.run("golden", golden.golden_person, tables, linked.links)
    source = t.run("golden", golden.person_source, records, linked.links)
    mismatch = t.run("rules", rules.find_mismatches, tables, linked.links, person, month,
                     linked.uncertain)
    village = t.run("rollups", rollup.village_monthly, tables, person, linked.links, regions,
                    month)
    township = t.run("rollups", rollup.rollup_township, village, regions)
    county = t.run("rollups", rollup.rollup_county, township, regions)
    t.run("publish", _publish, warehouse, {
        "quarantine": (ingested.quarantine, None), "field_issue": (ingested.field_issue, None),
        "uncertain_match": (linked.uncertain, None), "person_id_map": (linked.id_map, None),
        "person": (person, month), "person_source": (source, month),
        "mismatch": (mismatch, month), "village_monthly": (village, month),
        "township_monthly": (township, month), "county_monthly": (county, month),
    })
    rows = int(ingested.accounting["rows_read"].sum() or 0)
    return {"rows": rows, "records": records.height, "people": person.height,
            "seconds": t.seconds}


def measure(people: int, seed: int = 7) -> dict[str, Any]:
    """Generate a county of ``people`` (untimed), run the engine, add total and peak RSS."""
    from pipelines.demo import generate_county

    with tempfile.TemporaryDirectory(prefix="sanji-bench-") as tmp:
        start = time.perf_counter()
        generate_county(people, seed, Path(tmp))
        generated = time.perf_counter() - start
        out = run_engine(Path(tmp) / "landing", Path(tmp) / "bench.duckdb")
    out["seconds"]["total"] = sum(out["seconds"].values())
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"people_generated": people, "generate_s": round(generated, 1),
            "peak_rss_mb": round(peak_kb / 1024), **out}


def report(m: dict[str, Any]) -> str:
    """The measurement as a few aligned lines."""
    lines = [f"{m['people_generated']:,} people generated ({m['generate_s']} s, not timed): "
             f"{m['rows']:,} rows read, {m['records']:,} records, {m['people']:,} people"]
    lines += [f"  {stage:15s} {s:8.2f} s" for stage, s in m["seconds"].items()]
    lines.append(f"  peak RSS        {m['peak_rss_mb']:,} MB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure each ``--people`` size in its own subprocess and print the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--people", type=int, action="append",
                   help="county size (repeatable; default 50000)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    sizes = args.people or [50_000]
    if args.child:
        print(json.dumps(measure(sizes[0], args.seed)))
        return 0
    for size in sizes:
        done = subprocess.run([sys.executable, __file__, "--child", "--people", str(size),
                               "--seed", str(args.seed)], capture_output=True, text=True,
                              check=False)
        if done.returncode:
            print(f"{size} people: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            return done.returncode
        print(report(json.loads(done.stdout.strip().splitlines()[-1])))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())
