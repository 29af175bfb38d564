"""The link step alone on a full night and on an incremental night after 1 % new records.

Usage::

    .venv/bin/python benchmarks/link_incremental.py --sizes 100k,500k

Per size: the cached demo county of ``benchmarks/night.py`` (generated when missing), ingested
once (its ``person_records`` and evidence cached beside it); night 1 links in full; night 2 adds
~``--share`` more settlement records (copies of existing stays, admitted a week later: new
record keys) and links three ways: incremental on night 1's state, full with night 1's model
(every pair compared, no re-fit) and full with a re-fit. Printed: CPU and wall seconds, seconds
per stage, pairs compared and kept, how the night blocked, F1 and twins merged against the
county's truth (night 2's copied stays left out), whether the incremental night gives the same
people and pairs as the full night with the same model (it must) and how many records the
re-fitted night puts elsewhere; per call the process's RSS before it and its peak so far.
``--nights 1`` links night 1 only: the peak printed is then the full link's (the inputs
included). In process, no Dagster: the link step's own cost. The tree before a change:
``PYTHONPATH=<its checkout> <its python> benchmarks/link_incremental.py``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from night import county, label, parse_size, truth_frames

from pipelines.link import LinkSettings, link_records
from pipelines.link.incremental import LinkState


def inputs(people: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The county's person_records and evidence (ingested once, cached as parquet)."""
    folder = county(people, seed)
    cached = folder / "link-inputs"
    if not (cached / "evidence.parquet").is_file():
        from pipelines.ingest import ingest_landing, person_records
        from pipelines.link import record_evidence

        tables = ingest_landing(folder / "landing").tables
        cached.mkdir(exist_ok=True)
        person_records(tables).write_parquet(cached / "records.parquet")
        record_evidence(tables).write_parquet(cached / "evidence.parquet")
    return pl.read_parquet(cached / "records.parquet"), pl.read_parquet(cached / "evidence.parquet")


def grown(records: pl.DataFrame, evidence: pl.DataFrame, share: float
          ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``share`` more settlement records: existing stays copied, admitted 7 days later."""
    stays = records.filter(pl.col("extract") == "settlement")
    picks = stays.gather_every(max(1, int(stays.height / (records.height * share))))
    top = stays["row_number"].max()
    added = picks.with_columns(row_number=pl.int_range(pl.len()) + top + 1).with_columns(
        record_id=pl.col("record_id") + "+" + pl.col("row_number").cast(pl.String))
    more = (evidence.join(picks.select("record_id", new=added["record_id"]), on="record_id")
            .with_columns(record_id="new",
                          admission_date=pl.col("admission_date") + pl.duration(days=7))
            .drop("new"))
    return (pl.concat([records, added.cast(records.schema)]),
            pl.concat([evidence, more.select(evidence.columns)]))


def rss_mb() -> tuple[float, float]:
    """The process's resident set now and its peak so far, MB (``/proc``, ``getrusage``)."""
    now = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            now = int(line.split()[1]) / 1024
    return now, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(name: str, *args, **kwargs):
    """One link_records call, printed (with the process's RSS before and its peak after:
    the first call's peak is the full link's, its inputs included)."""
    before = rss_mb()[0]
    cpu, wall = time.process_time(), time.perf_counter()
    result = link_records(*args, **kwargs)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"  {name:24s} RSS before {before:,.0f} MB, peak so far {rss_mb()[1]:,.0f} MB")
    st = result.stats
    per = st.get("cpu_seconds") or st["seconds"]  # CPU where the linker says it (wall before)
    stages = ", ".join(f"{k} {v:.2f}" for k, v in per.items() if k != "total")
    print(f"  {name:24s} CPU {cpu:6.2f} s, wall {wall:6.2f} s; {st['link_mode']} "
          f"({st['link_mode_reason']}); pairs compared {st['pairs_compared']:,}, kept "
          f"{st['pairs_kept']:,}; blocking: {st.get('block_mode', 'every record')}\n"
          f"  {'':24s} stages ({'CPU' if 'cpu_seconds' in st else 'wall'} s): {stages}",
          flush=True)
    return result


def people(result) -> pl.DataFrame:
    return result.links.select("record_id", "person_id").sort("record_id")


def quality(result, records: pl.DataFrame, truth: tuple[pl.DataFrame, pl.DataFrame]) -> str:
    """Pairwise F1 and twins merged with their twin, over the records the truth knows (night
    2's copied stays are not in it)."""
    rows, twins = truth
    df = (result.links.select("record_id", "person_id")
          .join(records.select("record_id", "source_file", pl.col("sheet").fill_null(""),
                               pl.col("row_number").cast(pl.Int64)), on="record_id")
          .join(rows, on=["source_file", "sheet", "row_number"]))

    def pairs(*keys: str) -> int:
        return int(df.group_by(*keys).len().select(
            (pl.col("len") * (pl.col("len") - 1) // 2).sum()).item())

    tp, predicted, actual = pairs("person_id", "person_key"), pairs("person_id"), pairs(
        "person_key")
    f1 = 2 * tp / (predicted + actual) if predicted + actual else 1.0
    owners = df.select("person_id", "person_key").unique()
    merged = (twins.join(owners, on="person_key")
              .join(owners.rename({"person_key": "twin_of"}), on=["twin_of", "person_id"])
              .select("person_key").n_unique())
    return f"F1 {f1:.5f}, twins merged {merged}/{twins.join(owners, on='person_key').height}"


def measure(size: int, seed: int, share: float, nights: int = 2) -> None:
    """Night 1 in full, night 2 three ways (unless ``nights`` is 1); print the figures."""
    records, evidence = inputs(size, seed)
    truth = truth_frames(county(size, seed) / "truth")
    print(f"\n== {label(size)} residents: {records.height:,} records", flush=True)
    first = timed("night 1 (full)", records, evidence=evidence)
    if nights == 1:
        print(f"  linkage: night 1 {quality(first, records, truth)}", flush=True)
        return
    records2, evidence2 = grown(records, evidence, share)
    print(f"  night 2: +{records2.height - records.height:,} settlement records", flush=True)
    inc = timed("night 2 incremental", records2, evidence=evidence2, state=first.state,
                previous_ids=first.id_map)
    bare = LinkState(first.state.model, first.state.records.head(0), first.state.pairs.head(0))
    kept = timed("night 2 full, kept model", records2, evidence=evidence2, state=bare,
                 settings=LinkSettings(refit_new_share=1.0), previous_ids=first.id_map)
    refit = timed("night 2 full, re-fit", records2, evidence=evidence2, full=True,
                  previous_ids=first.id_map)
    moved = (people(inc).join(people(refit), on="record_id", suffix="_refit")
             .filter(pl.col("person_id") != pl.col("person_id_refit")).height)
    pairs = [r.pairs.drop("explain").sort("record_id_l", "record_id_r") for r in (inc, kept)]
    print(f"  linkage: night 1 {quality(first, records, truth)}; night 2 incremental "
          f"{quality(inc, records2, truth)}; re-fitted {quality(refit, records2, truth)}")
    print(f"  incremental = full with the kept model: people {people(inc).equals(people(kept))}"
          f", pairs {pairs[0].equals(pairs[1])}; records in another person than the re-fitted "
          f"night: {moved}", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100k", help="residents, e.g. 100k,500k")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--share", type=float, default=0.01, help="new records on night 2")
    p.add_argument("--nights", type=int, choices=(1, 2), default=2,
                   help="1: the full night 1 only (its peak RSS is the process's)")
    args = p.parse_args(argv)
    for size in sorted(parse_size(s) for s in args.sizes.split(",")):
        measure(size, args.seed, args.share, args.nights)
    return 0


if __name__ == "__main__":
    sys.exit(main())
