"""Benchmark of the person linker (pipelines.link) beside Splink on the same records.

Prints, per engine: pairwise precision / recall / F1 against truth, twin merges, recall per
hard class (no usable ID, typo'd ID, changed name, name typo, minority name, traditional
form) and per department pair, uncertain pairs (count and per 100k records), candidate
pairs per rule, seconds per stage and peak RSS. Never asserts. Each (size, engine) runs in
a fresh subprocess so peak RSS is its own.

Data: by default a generated county: the demo generator (``pipelines.demo.generate_county``)
writes the four departments' landing files and ingest reads them, so the linker sees what
it sees in production; truth (people, twins, the damage done to each row) comes from the
generator's ``truth/`` folder. ``--county DIR`` reads any folder with the same layout
(``DIR/landing``, ``DIR/truth/records.csv``, ``persons.csv``, optional ``dirt.csv``), e.g. a
county another generator wrote. ``--synthetic`` uses ``benchmarks/synthetic_county.py``
(no files, no ingest). ``--sizes`` counts rows; the demo county gets ``rows /
ROWS_PER_PERSON`` residents.

Usage:
    .venv/bin/python benchmarks/link.py                      # demo county, 100k rows
    .venv/bin/python benchmarks/link.py --sizes 100000,1000000
    .venv/bin/python benchmarks/link.py --county /path/to/county --no-splink
    .venv/bin/python benchmarks/link.py --synthetic
    .venv/bin/python benchmarks/link.py --no-splink --settings county.yaml   # overrides
    .venv/bin/python benchmarks/link.py --no-splink --ablate   # each new piece switched off

``--ablate`` runs sanji with the default settings, then once per piece of evidence with that
piece switched off (``ABLATIONS``), on the same county, and prints one line per run: what
each piece is worth.
"""

from __future__ import annotations

import argparse
import inspect
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from link_eval import HARD_CLASSES, NAME_HOLDER_CLASSES, evaluate, record_classes  # noqa: E402
from link_splink import run_splink  # noqa: E402

ROWS_PER_PERSON = 1.96  # person_records rows per resident of a demo county (measured)
# piece of evidence -> the LinkSettings overrides that switch it off
ABLATIONS: dict[str, dict] = {
    "name_frequency": {"comparisons": {"name_frequency": {"enabled": False}}},
    "sex_id_digit": {"comparisons": {"sex": {"params": {"id_digit": 0}}}},
    "household_head": {"comparisons": {"household_head": {"enabled": False}},
                       "blocking_rules": ["id_exact", "id_one_off", "insurance_no", "pinyin_birth",
                                          "birth_village", "pinyin_village", "household_name",
                                          "name_unidentified"]},
    "hospital": {"comparisons": {"hospital": {"enabled": False}}},
    "stay": {"comparisons": {"stay": {"enabled": False}}},
    "clinic": {"comparisons": {"clinic": {"enabled": False}}, "blocking_rules": [
        "id_exact", "id_one_off", "insurance_no", "pinyin_birth",
        {"name": "birth_village", "keys": ["birth_date", "village_code"]},
        {"name": "pinyin_village", "keys": ["name_pinyin", "village_code"]},
        "household_name", "head_name", "name_unidentified"]},
    "other_records": {"comparisons": {"other_records": {"enabled": False}}},
    "insurance_no": {"comparisons": {"insurance_no": {"enabled": False}},
                     "blocking_rules": ["id_exact", "id_one_off", "pinyin_birth",
                                        "birth_village", "pinyin_village", "household_name",
                                        "head_name", "name_unidentified"]},
    "name_unidentified_rule": {"blocking_rules": ["id_exact", "id_one_off", "insurance_no",
                                                  "pinyin_birth", "birth_village",
                                                  "pinyin_village", "household_name",
                                                  "head_name"]},
}


@dataclass
class Data:
    """Records to link, what a correct linkage says about them, and the extract tables.

    Attributes:
        records: person_records.
        truth: record_id, person_key, twin_of, one boolean column per hard class.
        tables: extract name -> typed table (None for synthetic records).
    """

    records: pl.DataFrame
    truth: pl.DataFrame
    tables: dict[str, pl.DataFrame] | None = None


def county_data(folder: Path) -> Data:
    """Ingest ``folder/landing`` and read the truth in ``folder/truth``."""
    from pipelines.ingest import ingest_landing, person_records

    tables = ingest_landing(folder / "landing").tables
    records = person_records(tables)
    key = ["source_file", "sheet", "row_number"]
    truth_dir = folder / "truth"
    rows = pl.read_csv(truth_dir / "records.csv", infer_schema=False).with_columns(
        pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64)
    )
    persons = pl.read_csv(truth_dir / "persons.csv", infer_schema=False)
    dirt_path = truth_dir / "dirt.csv"
    dirt = None
    if dirt_path.exists():
        dirt = pl.read_csv(dirt_path, infer_schema=False).with_columns(
            pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64)
        )
    who = (
        records.select("record_id", *key)
        .join(rows, on=key, how="left")
        .join(persons.select("person_key", "twin_of", true_name="name"), on="person_key",
              how="left")
    )
    classes = record_classes(records, dirt, who.select("record_id", "true_name"))
    truth = who.select("record_id", "person_key", pl.col("twin_of").replace("", None)).join(
        classes, on="record_id"
    )
    return Data(records, truth, tables)


def demo_data(people: int, seed: int) -> Data:
    """Generate a demo county in a temporary folder and read it as ``county_data``."""
    from pipelines.demo import generate_county

    out = Path(tempfile.mkdtemp(prefix="sanji-bench-"))
    try:
        generate_county(people, seed, out)
        return county_data(out)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def synthetic_data(rows: int, seed: int) -> Data:
    """Records and truth from ``benchmarks/synthetic_county.py``."""
    from synthetic_county import synthetic_records

    records, truth = synthetic_records(rows, seed)
    classes = record_classes(records, None, None)
    return Data(records, truth.join(classes, on="record_id"), None)


def peak_rss_mb() -> float:
    """Return this process's peak resident set size in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- engines
def run_sanji(data: Data, overrides: dict | None = None) -> dict:
    """Link with pipelines.link (with record evidence when the linker takes it); evaluate.

    Timed: building the evidence from the extract tables and linking.
    """
    from pipelines.link import link_records

    kwargs = {}
    t = time.perf_counter()
    if data.tables is not None and "evidence" in inspect.signature(link_records).parameters:
        from pipelines.link import LinkSettings, record_evidence

        kwargs["evidence"] = record_evidence(data.tables)
        if overrides:
            kwargs["settings"] = LinkSettings.from_mapping(overrides)
    result = link_records(data.records, **kwargs)
    seconds = time.perf_counter() - t
    clusters = result.links.select("record_id", cluster="person_id")
    out = {"engine": "sanji", "seconds": seconds,
           **evaluate(clusters, data.truth, data.records)}
    stats = result.stats
    out["stages"] = {k: round(v, 2) for k, v in stats["seconds"].items()}
    for key in ("pairs_per_rule", "new_pairs_per_rule", "capped_blocks", "seconds_per_rule",
                "status_counts", "queue"):
        if key in stats:
            out[key] = stats[key]
    out["uncertain_pairs"] = result.uncertain.height
    return out


# ----------------------------------------------------------------------------- driver
def child(size: int, engine: str, mode: str, seed: int, county: str | None,
          overrides: dict | None) -> None:
    """Run one engine on one size in this process and print a JSON line of figures."""
    t = time.perf_counter()
    if county:
        data = county_data(Path(county))
    elif mode == "demo":
        data = demo_data(max(200, round(size / ROWS_PER_PERSON)), seed)
    else:
        data = synthetic_data(size, seed)
    gen = time.perf_counter() - t
    out = run_sanji(data, overrides) if engine == "sanji" else run_splink(data)
    out |= {
        "rows": data.records.height,
        "generate_seconds": round(gen, 1),
        "peak_rss_mb": round(peak_rss_mb()),
    }
    print("RESULT " + json.dumps(out, default=str))


def _args() -> argparse.Namespace:
    """Parse the command line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100000", help="comma-separated row counts")
    data = ap.add_mutually_exclusive_group()
    data.add_argument("--demo", action="store_true", help="demo generator + ingest (default)")
    data.add_argument("--synthetic", action="store_true", help="benchmarks/synthetic_county.py")
    data.add_argument("--county", help="a folder with landing/ and truth/ (demo layout)")
    ap.add_argument("--no-splink", action="store_true")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", help="also write every figure to this JSON file")
    ap.add_argument("--settings", help="YAML file of LinkSettings overrides for sanji")
    ap.add_argument("--ablate", action="store_true",
                    help="sanji once per piece of evidence switched off (ABLATIONS)")
    ap.add_argument("--overrides", help=argparse.SUPPRESS)  # JSON, for the child
    ap.add_argument("--child", nargs=2, metavar=("SIZE", "ENGINE"), help=argparse.SUPPRESS)
    return ap.parse_args()


def main() -> None:
    """Run each (size, engine) in a fresh subprocess and print the figures."""
    args = _args()
    mode = "synthetic" if args.synthetic else "demo"
    if args.child:
        overrides = json.loads(args.overrides) if args.overrides else None
        child(int(args.child[0]), args.child[1], mode, args.seed, args.county, overrides)
        return
    overrides = _overrides(args.settings)
    sizes = [0] if args.county else [int(s) for s in args.sizes.split(",")]
    print(_header(mode, args), flush=True)
    if args.ablate:
        for size in sizes:
            _ablate(size, mode, args, overrides)
        return
    engines = ["sanji"] if args.no_splink else ["sanji", "splink"]
    everything = []
    for size in sizes:
        results = {}
        for engine in engines:
            result = _run_child(size, engine, mode, args, overrides)
            if result is None:
                continue
            results[engine] = result
            _report(size, mode, results[engine])
            sys.stdout.flush()
        if len(results) == 2:
            s, k = results["sanji"], results["splink"]
            print(f"== {size}: splink/sanji time ratio {k['seconds'] / s['seconds']:.1f}x; "
                  f"F1 sanji {s['f1']:.5f} vs splink {k['f1']:.5f}")
        everything.append({"size": size, **results})
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=1, default=str))


def _overrides(path: str | None) -> dict | None:
    """Return the LinkSettings overrides of a YAML file (checked here, applied by the child)."""
    if not path:
        return None
    import yaml

    from pipelines.link import LinkSettings

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    LinkSettings.from_mapping(data)
    return data


def _run_child(size: int, engine: str, mode: str, args: argparse.Namespace,
               overrides: dict | None) -> dict | None:
    """Run one (size, engine) in a fresh process; return its figures (None: it failed)."""
    cmd = [sys.executable, __file__, "--child", str(size), engine, "--seed", str(args.seed),
           *(["--county", args.county] if args.county else [f"--{mode}"])]
    if overrides:
        cmd += ["--overrides", json.dumps(overrides)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if not line:
        print(f"{engine} {size}: could not run\n{proc.stderr[-3000:]}")
        return None
    return json.loads(line[-1][7:])


def _ablate(size: int, mode: str, args: argparse.Namespace, base: dict | None) -> None:
    """Print sanji's figures with everything on, then with each piece of evidence off."""
    print(f"-- ablation {mode} {size}: one run per line, the named piece switched off")
    print(f"   {'switched off':<24} {'P':>8} {'R':>8} {'F1':>8} {'no-ID R':>8} {'queue':>6} "
          f"{'twins':>6} {'s':>5}")
    for label, change in [("(nothing)", {}), *ABLATIONS.items()]:
        overrides = {**(base or {}), **change}
        r = _run_child(size, "sanji", mode, args, overrides or None)
        if r is None:
            continue
        no_id = r["per_class"].get("no_usable_id", {}).get("recall", float("nan"))
        print(f"   {label:<24} {r['precision']:8.5f} {r['recall']:8.5f} {r['f1']:8.5f} "
              f"{no_id:8.4f} {r['uncertain_pairs']:6d} {r['twin_merges']:6d} "
              f"{r['seconds']:5.1f}", flush=True)


def _header(mode: str, args: argparse.Namespace) -> str:
    """Return the header line saying what data the figures are measured on."""
    if args.county:
        data = f"county folder {args.county} -> ingest -> person_records"
    elif mode == "demo":
        data = (f"demo county (pipelines.demo.generate_county, seed {args.seed}, "
                f"~{ROWS_PER_PERSON} rows per resident) -> landing files -> ingest")
    else:
        data = f"synthetic records (benchmarks/synthetic_county.py, seed {args.seed}), no ingest"
    engines = "sanji only" if args.no_splink else "sanji and Splink (DuckDB)"
    return f"== data: {data}; engines: {engines}; sizes (rows): {args.sizes}"


def _report(size: int, mode: str, r: dict) -> None:
    """Print one engine's figures."""
    print(f"-- {r['engine']} {mode} {size} (rows {r['rows']}): {r['seconds']:.1f} s, "
          f"peak RSS {r['peak_rss_mb']} MB, generate {r['generate_seconds']} s")
    print(f"   precision {r['precision']:.5f} recall {r['recall']:.5f} F1 {r['f1']:.5f} "
          f"(true pairs {r['true_pairs']}, false pairs {r['false_pairs']}) "
          f"twin merges {r['twin_merges']}/{r['twin_pairs']}"
          + (f" threshold {r['threshold']}" if "threshold" in r else ""))
    if "uncertain_pairs" in r:
        per = 1e5 * r["uncertain_pairs"] / r["rows"]
        print(f"   uncertain pairs {r['uncertain_pairs']} ({per:.0f} per 100k records, "
              f"{per / 1000:.3f}% of records)")
    print("   recall per hard class: " + "; ".join(
        f"{c} {v['recall']:.4f} ({v['pairs']} pairs, {v['records']} rec)"
        for c, v in r["per_class"].items() if c in HARD_CLASSES))
    held = [(c, r["per_class"][c]) for c in NAME_HOLDER_CLASSES if c in r["per_class"]]
    if held:
        print("   no-usable-ID recall by people holding the name: " + "; ".join(
            f"{c.removeprefix('no_id_name_held_')} {v['recall']:.4f} ({v['pairs']} pairs, "
            f"{v['records']} rec)" for c, v in held))
    print("   recall per department pair: " + "; ".join(
        f"{p} {v['recall']:.4f} ({v['pairs']})" for p, v in r["per_department_pair"].items()))
    for key in ("queue", "stages", "pairs_per_rule", "new_pairs_per_rule", "seconds_per_rule",
                "capped_blocks", "status_counts"):
        if key in r:
            print(f"   {key}: {r[key]}")


if __name__ == "__main__":
    main()
