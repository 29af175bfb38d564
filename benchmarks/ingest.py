"""Ingest throughput: read + normalise + validate a synthetic 1M-row enrolment CSV (GBK).

Usage: ``.venv/bin/python benchmarks/ingest.py [rows] [--against DIR] [--rounds N]``
(default 1,000,000 rows). Prints rows, seconds, rows/s, CPU seconds and peak RSS. With
``--against DIR`` (a copy of an older checkout) each round runs this checkout and DIR in fresh
processes, alternating, on the same data, and prints both side by side: the machine is shared,
so CPU seconds (getrusage) are the steadier figure. Data are synthetic (no real person), made
here with numpy.

``--county 500k`` instead ingests a demo county as a night does (``night.py``'s cached
counties, generated when missing): a FULL night (cold ingest cache: every file read, its
entries and tables stored) and then, on that cache, a QUIET night after the settlements file
grew by 1 % (existing people's new stays), each in a fresh process: CPU seconds of
``ingest_landing`` plus the extract tables the run links (``IngestCache.table``), peak RSS,
and whether pypinyin was imported. ``--against DIR`` runs DIR's tree the same way beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.domain.identity import id_check_char_expr
from pipelines.ingest import ingest_landing, person_records

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭"
                "曾肖田董袁潘于蒋蔡余杜叶程")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉梅文斌海")
TOWNSHIPS = 20
VILLAGES_PER_TOWNSHIP = 15
COUNTY = "411421"


def write_regions(landing: Path) -> list[tuple[str, str]]:
    """Write 行政区划.csv; return (township name, village name) per village."""
    rows = [f"{COUNTY}000000,某县,县,,"]
    places = []
    for t in range(1, TOWNSHIPS + 1):
        tcode = f"{COUNTY}{100 + t:03d}000"
        rows.append(f"{tcode},第{t}镇,乡镇,{COUNTY}000000,")
        for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
            rows.append(f"{tcode[:9]}{v:03d},{GIVEN[v]}{GIVEN[t]}村,村,{tcode},")
            places.append((f"第{t}镇", f"{GIVEN[v]}{GIVEN[t]}村"))
    (landing / "行政区划.csv").write_text(
        "区划代码,名称,级别,上级代码,曾用名\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return places


def write_enrolment(landing: Path, n: int, places: list[tuple[str, str]], seed: int = 1) -> None:
    """Write a GBK enrolment CSV with n rows (valid IDs, some noise)."""
    rng = np.random.default_rng(seed)
    birth = (np.datetime64("1940-01-01") + rng.integers(0, 30000, n)).astype("datetime64[D]")
    seq = rng.integers(0, 1000, n)
    place = rng.integers(0, len(places), n)
    frame = pl.DataFrame({
        "_birth": birth, "_seq": seq, "_place": place,
        "_s": rng.integers(0, len(SURNAMES), n), "_g1": rng.integers(0, len(GIVEN), n),
        "_g2": rng.integers(0, len(GIVEN) + 15, n),
    }).with_columns(
        (pl.lit(COUNTY) + pl.col("_birth").dt.strftime("%Y%m%d")
         + pl.col("_seq").cast(pl.String).str.zfill(3)).alias("_f17"),
    ).with_columns((pl.col("_f17") + id_check_char_expr(pl.col("_f17"))).alias("id"))
    given = GIVEN + [""] * 15
    out = frame.select(
        (pl.col("_s").replace_strict(range(len(SURNAMES)), SURNAMES)
         + pl.col("_g1").replace_strict(range(len(GIVEN)), GIVEN)
         + pl.col("_g2").replace_strict(range(len(given)), given)).alias("参保人姓名"),
        pl.when(pl.col("_seq") % 50 == 0).then(pl.col("id").str.to_lowercase() + " ")
        .otherwise(pl.col("id")).alias("公民身份号码"),
        pl.col("_place").replace_strict(range(len(places)), [p[0] for p in places])
        .alias("乡镇"),
        pl.col("_place").replace_strict(range(len(places)), [p[1] for p in places])
        .alias("村委会"),
        pl.lit("参保缴费").alias("参保状态"),
        pl.lit("脱贫人口资助").alias("资助类型"),
        pl.lit("2025").alias("参保年度"),
    )
    text = out.write_csv()
    (landing / "医保参保.csv").write_bytes(text.encode("gbk"))


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(rows: int = 1_000_000, as_json: bool = False) -> dict:
    """Write the data, time ingest_landing, print the figures.

    Args:
        rows: number of enrolment rows.
        as_json: print one JSON line instead of the table.

    Returns:
        The figures (rows, seconds, rows_per_s, cpu_seconds, peak_rss_mb, load).
    """
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm"
        warm.mkdir()
        write_enrolment(warm, 1_000, write_regions(warm))
        start = time.perf_counter()
        ingest_landing(warm)  # one-time costs: imports, pypinyin phrase dictionary
        warm_s = time.perf_counter() - start
        landing = Path(tmp) / "landing"
        landing.mkdir()
        places = write_regions(landing)
        write_enrolment(landing, rows, places)
        cpu0 = _cpu()
        start = time.perf_counter()
        ingested = ingest_landing(landing)
        records = person_records(ingested.tables)
        seconds = time.perf_counter() - start
        cpu = _cpu() - cpu0
    assert records.height == rows, (records.height, rows)
    out = {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds),
           "cpu_seconds": round(cpu, 3),
           "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
           "load": round(os.getloadavg()[0], 1)}
    if as_json:
        print(json.dumps(out))
        return out
    print(f"warm-up     {warm_s:.2f} s (1,000 rows, imports)")
    print(f"rows        {rows:,}")
    print(f"seconds     {seconds:.2f}")
    print(f"rows/s      {rows / seconds:,.0f}")
    print(f"peak RSS    {out['peak_rss_mb']:,} MB")
    print(f"cpu seconds {cpu:.2f} (user+sys; load average {out['load']:.1f})")
    print(f"field issues {ingested.field_issue.height:,}; "
          f"villages resolved {records['village_code'].is_not_null().mean():.1%}")
    return out


def _run(src: Path, rows: int) -> dict:
    """One run of this script in a fresh process importing ``pipelines`` from ``src``."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), str(rows), "--json"],
        env={**os.environ, "PYTHONPATH": str(src)}, capture_output=True, text=True, check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(rows: int, against: Path, rounds: int) -> None:
    """Alternate this checkout and ``against`` in fresh processes; print both side by side.

    Args:
        rows: number of enrolment rows.
        against: root of the other checkout (holding ``pipelines/`` and ``schemas/``).
        rounds: how many times to run each.
    """
    here = Path(__file__).resolve().parents[1]
    print(f"{'run':<8}{'rows':>10}{'seconds':>9}{'rows/s':>10}{'cpu s':>8}{'RSS MB':>8}"
          f"{'load':>6}")
    for i in range(rounds):
        for label, src in (("before", against), ("after", here)):
            r = _run(src, rows)
            print(f"{label:<8}{r['rows']:>10,}{r['seconds']:>9.2f}{r['rows_per_s']:>10,}"
                  f"{r['cpu_seconds']:>8.2f}{r['peak_rss_mb']:>8,}{r['load']:>6.1f}"
                  f"  (round {i + 1})")


def county_night(kind: str, work: Path) -> dict:
    """One night's ingest in this process: ``full`` (a cold cache in ``work``) or ``quiet``."""
    from pipelines.ingest.cache import IngestCache
    from pipelines.warehouse.staging import frame_rows

    cache = IngestCache(work / "cache", cold=kind == "full")
    cpu0, start = _cpu(), time.perf_counter()
    result = ingest_landing(work / "landing", as_of=dt.date(2026, 10, 31), cache=cache)
    cpu1 = _cpu()
    for name, key in result.table_keys.items():
        frame_rows(cache.table(name, key, result.tables))
    cache.prune()
    return {"kind": kind, "cpu_seconds": round(_cpu() - cpu0, 2),
            "landing_cpu": round(cpu1 - cpu0, 2), "tables_cpu": round(_cpu() - cpu1, 2),
            "seconds": round(time.perf_counter() - start, 2), "files_read": len(cache.misses),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "pypinyin": "pypinyin" in sys.modules, "load": round(os.getloadavg()[0], 1)}


def county_nights(size: str, trees: dict[str, Path]) -> None:
    """A full then a quiet night's ingest of the demo county per tree, printed side by side."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from new_stays import grow_settlements
    from night import county, parse_size

    folder = county(parse_size(size), 7)
    records = pl.read_csv(folder / "truth" / "records.csv", infer_schema=False)
    records = records.with_columns(pl.col("row_number").cast(pl.Int64))
    print(f"{'tree':<8}{'night':<7}{'cpu s':>7}{'landing':>9}{'tables':>8}{'wall s':>8}"
          f"{'read':>6}{'RSS MB':>8}{'pypinyin':>10}{'load':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, src in trees.items():
            work = Path(tmp) / label
            (work / "landing").mkdir(parents=True)
            for path in (folder / "landing").iterdir():
                shutil.copyfile(path, work / "landing" / path.name)
            for kind in ("full", "quiet"):
                if kind == "quiet":
                    grow_settlements(work / "landing", records, "*住院结算*.csv", "2026-10")
                done = subprocess.run(
                    [sys.executable, str(Path(__file__).resolve()), "--county-night", kind,
                     str(work)], env={**os.environ, "PYTHONPATH": str(src)},
                    capture_output=True, text=True, check=True)
                r = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"{label:<8}{kind:<7}{r['cpu_seconds']:>7.2f}{r['landing_cpu']:>9.2f}"
                      f"{r['tables_cpu']:>8.2f}{r['seconds']:>8.2f}{r['files_read']:>6}"
                      f"{r['peak_rss_mb']:>8,}{r['pypinyin']!s:>10}{r['load']:>6.1f}",
                      flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--against", type=Path, help="older checkout to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--county", help="a demo county's size (100k, 500k, 1M): its nights")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--county-night", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.county_night:
        print(json.dumps(county_night(args.county_night[0], Path(args.county_night[1]))))
    elif args.county:
        here = Path(__file__).resolve().parents[1]
        county_nights(args.county, {**({"before": args.against} if args.against else {}),
                                    "after": here})
    elif args.against:
        compare(args.rows, args.against, args.rounds)
    else:
        main(args.rows, as_json=args.json)
