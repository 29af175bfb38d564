"""A county's night, as a user runs it: ``sanji run`` through Dagster, per step, at several sizes.

Usage: ``.venv/bin/python benchmarks/night.py [--sizes 100k,500k,1M] [--repeat 2] [--json F]``

Per size: a demo county (generated once, cached in ``benchmarks/.cache/`` by size, seed and
generator source hash), a FULL night (``sanji run`` as a subprocess, fresh warehouse, storage
and ``DAGSTER_HOME``), then a QUIET night on that state after only the settlements file changed
(~1 % more rows: existing people's rows appended). Per step: wall and CPU seconds, rows (its
largest output), RSS at its start and its peak (``/proc`` sampled every 20 ms); per night:
start-up, gaps between steps, the CLI's summary after the last step (wall and CPU s), wall,
CPU, peak RSS (``wait4``), linkage F1 and twins merged (published ``person_source`` against
the truth), the link mode (``person_links``' metadata); then each step's growth from size to
size. The machine is shared: compare ratios within one run, prefer CPU seconds when the load is
high, ``--repeat`` keeps the fastest round. Never asserts.

The contract this relies on (small on purpose; adapt here when the CLI changes): 1.
``sanji demo-data --people N --seed S --out DIR`` writes ``DIR/landing/``,
``DIR/truth/records.csv`` (source_file, sheet, row_number, person_key) and
``DIR/truth/persons.csv`` (person_key, twin_of); the settlements are the landing file
``*住院结算*.csv``, one line per row under one header line. 2. ``sanji run --landing L
--warehouse W.duckdb --storage S --outbox O --inbox I --month M`` exits 0 on success and records
its run in the Dagster instance of ``DAGSTER_HOME`` (``STEP_START`` / ``STEP_SUCCESS`` events;
materialisations carry ``rows`` metadata); else the stderr progress lines ``<step> … done in
<seconds> s`` (timing only). 3. The warehouse (DuckDB) has ``person_source`` with ``month``,
``source_file``, ``sheet``, ``row_number`` and ``person_id``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from new_stays import grow_settlements

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "benchmarks" / ".cache"
SANJI = str(Path(sys.executable).with_name("sanji"))
MONTH = "2026-10"
PROGRESS = re.compile(r"^(\S+) … done in ([\d.]+) s$")
SETTLEMENTS = "*住院结算*.csv"


@dataclass
class Step:
    """One Dagster step of a night (times are ``time.time()``; ``cpu`` in seconds)."""

    name: str
    start: float
    end: float
    rows: int = 0
    output: str = ""
    rss_start_mb: float = 0.0
    rss_peak_mb: float = 0.0
    cpu: float = 0.0
    seconds: float = 0.0


@dataclass
class Night:
    """One ``sanji run``: its steps, overheads, wall time, peak RSS and linkage quality."""

    kind: str
    wall: float = 0.0
    peak_mb: float = 0.0
    steps: list[Step] = field(default_factory=list)
    overhead: dict[str, float] = field(default_factory=dict)  # wall s
    overhead_cpu: dict[str, float] = field(default_factory=dict)  # CPU s of the same windows
    quality: dict[str, float] = field(default_factory=dict)
    rows_read: int = 0
    cpu: float = 0.0
    load: float = 0.0
    link: dict = field(default_factory=dict)  # person_links' link_mode, pairs compared/kept


def parse_size(text: str) -> int:
    """``100k`` → 100000, ``1M`` → 1000000, ``250000`` → 250000."""
    scale = {"k": 1_000, "m": 1_000_000}.get(text.strip()[-1:].lower(), 1)
    return int(float(text.strip().rstrip("kKmM")) * scale)


def label(people: int) -> str:
    """1000000 → ``1M``, 500000 → ``500k``."""
    return (f"{people // 1_000_000}M" if people % 1_000_000 == 0 else
            f"{people // 1_000}k" if people % 1_000 == 0 else str(people))


def generator_version() -> str:
    """A short hash of the demo generator's sources (and the code lists it draws from)."""
    digest = hashlib.sha256()
    for pattern in ("pipelines/demo/*.py", "pipelines/fields.py", "pipelines/domain/*.py"):
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


def county(people: int, seed: int) -> Path:
    """The cached demo county (``landing/`` and ``truth/``), generated when missing."""
    folder = CACHE / f"county-{label(people)}-s{seed}-g{generator_version()}"
    if (folder / "complete").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([SANJI, "demo-data", "--people", str(people), "--seed", str(seed),
                    "--out", str(folder)], check=True, stdout=subprocess.DEVNULL)
    (folder / "complete").touch()
    print(f"generated {folder.name} in {time.perf_counter() - start:.1f} s (cached)", flush=True)
    return folder


class Sampler(threading.Thread):
    """Samples a process's resident set size and CPU time every ``interval`` seconds."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, float, float]] = []  # (time, RSS MB, CPU s)

    def run(self) -> None:
        """Sample until the process is gone (a zombie has no ``VmRSS``)."""
        proc = Path(f"/proc/{self.pid}")
        while True:
            try:
                status, stat = (proc / "status").read_text(), (proc / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                return
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            if match is None:
                return
            ticks = stat.rsplit(")", 1)[1].split()  # utime, stime: fields 14, 15
            cpu = (int(ticks[11]) + int(ticks[12])) / self.TICK
            self.samples.append((time.time(), int(match.group(1)) / 1024, cpu))
            time.sleep(self.interval)

    def window(self, start: float, end: float) -> tuple[float, float, float]:
        """(RSS at ``start``, peak RSS during [start, end]) in MB, and CPU seconds used."""
        before = [x for x in self.samples if x[0] <= start][-1:]
        inside = [x for x in self.samples if start <= x[0] <= end]
        after = [x for x in self.samples if x[0] >= end][:1]
        first = (before or inside or after or [(start, 0.0, 0.0)])[0]
        last = (after or inside or before or [first])[-1]
        return first[1], max(x[1] for x in [first, *inside, *after]), last[2] - first[2]


def run_sanji(landing: Path, work: Path, kind: str) -> tuple[Night, Sampler, list, float]:
    """Run ``sanji run`` over ``landing`` into ``work``; the night, sampler, progress, t0."""
    home = work / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    cmd = [SANJI, "run", "--landing", str(landing), "--warehouse", str(work / "sanji.duckdb"),
           "--storage", str(work / "storage"), "--outbox", str(work / "outbox"),
           "--inbox", str(work / "inbox"), "--month", MONTH]
    t0 = time.time()
    proc = subprocess.Popen(cmd, env={**os.environ, "DAGSTER_HOME": str(home)}, cwd=work,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", errors="replace")
    sampler = Sampler(proc.pid)
    sampler.start()
    lines = [(time.time(), line.rstrip("\n")) for line in proc.stderr]  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    night = Night(kind, wall=time.time() - t0, peak_mb=usage.ru_maxrss / 1024,
                  cpu=usage.ru_utime + usage.ru_stime, load=os.getloadavg()[0])
    sampler.join()
    if code := os.waitstatus_to_exitcode(status):
        msg = f"sanji run failed ({code}):\n" + "\n".join(t for _, t in lines[-30:])
        raise RuntimeError(msg)
    return night, sampler, lines, t0


def dagster_steps(home: Path) -> tuple[list[Step], int, dict]:
    """Steps (start, end, largest output's rows), rows read and link mode, of the run in home."""
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))
    runs = instance.get_runs(limit=1)
    if not runs:
        return [], 0, {}
    steps: dict[str, Step] = {}
    rows_read, link = 0, {}
    for entry in instance.all_logs(runs[0].run_id):
        kind, key = entry.dagster_event_type, entry.step_key
        if kind is None or key is None:
            continue
        if kind.value == "STEP_START":
            steps[key] = Step(key, entry.timestamp, entry.timestamp)
        elif kind.value == "STEP_SUCCESS" and key in steps:
            steps[key].end = entry.timestamp
        elif (mat := entry.asset_materialization) is not None and key in steps:
            meta = {k: x for k, v in mat.metadata.items() if isinstance(x := v.value, int)}
            rows = int(meta.get("rows") or 0)  # publication's ``rows`` is a dict: not counted
            rows_read = max(rows_read, int(meta.get("rows_read") or 0))
            if mat.asset_key.path[-1] == "person_links":
                link = {k: v.value for k, v in mat.metadata.items() if k.startswith(
                    ("link_mode", "pairs_"))}
            if rows >= steps[key].rows:
                steps[key].rows, steps[key].output = rows, mat.asset_key.path[-1]
    instance.dispose()
    return sorted(steps.values(), key=lambda s: s.start), rows_read, link


def progress_steps(lines: list[tuple[float, str]]) -> list[Step]:
    """Fallback: steps from the CLI's ``<step> … done in <s> s`` lines (no rows)."""
    return [Step(m.group(1), at - float(m.group(2)), at) for at, text in lines
            if (m := PROGRESS.match(text.strip()))]


def night(landing: Path, work: Path, kind: str) -> Night:
    """One measured night: per-step seconds, rows, RSS, and the overheads around the steps."""
    result, sampler, lines, t0 = run_sanji(landing, work, kind)
    steps, result.rows_read, result.link = dagster_steps(work / "dagster_home")
    steps = steps or progress_steps(lines)
    for step in steps:
        step.rss_start_mb, step.rss_peak_mb, step.cpu = sampler.window(step.start, step.end)
        step.seconds = step.end - step.start
    result.steps = steps
    if steps:
        end = t0 + result.wall
        windows = {"(start-up to first step)": [(t0, steps[0].start)],
                   "(between steps)": [(a.end, b.start) for a, b in pairwise(steps)],
                   "(after last step: summary)": [(steps[-1].end, end)]}
        for name, spans in windows.items():
            result.overhead[name] = sum(max(0.0, b - a) for a, b in spans)
            result.overhead_cpu[name] = sum(sampler.window(a, b)[2] for a, b in spans if b > a)
    return result


def truth_frames(truth: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(records: source_file, sheet, row_number, person_key; twins: person_key, twin_of)."""
    records = pl.read_csv(truth / "records.csv", infer_schema=False).select(
        "source_file", pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64),
        "person_key")
    persons = pl.read_csv(truth / "persons.csv", infer_schema=False,
                          columns=["person_key", "twin_of"])
    return records, persons.drop_nulls("twin_of").filter(pl.col("twin_of") != "")


def quality(warehouse: Path, records: pl.DataFrame, twins: pl.DataFrame) -> dict[str, float]:
    """Pairwise precision / recall / F1 and twin merges of the published ``person_source``."""
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.sql(
            "select source_file, coalesce(sheet, '') as sheet, row_number, person_id "
            "from person_source where month = ?", params=[MONTH]).pl()
    df = published.with_columns(pl.col("row_number").cast(pl.Int64)).join(
        records, on=["source_file", "sheet", "row_number"], how="left")
    missing = int(df["person_key"].null_count())
    df = df.with_columns(pl.col("person_key").fill_null(pl.col("person_id") + "?"))

    def pairs(*keys: str) -> int:
        counts = df.group_by(*keys).len()
        return int(counts.select((pl.col("len") * (pl.col("len") - 1) // 2).sum()).item())

    predicted, actual = pairs("person_id"), pairs("person_key")
    tp = pairs("person_id", "person_key")
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    owners = df.select("person_id", "person_key").unique()
    merged = (twins.join(owners, on="person_key")
              .join(owners.rename({"person_key": "twin_of"}), on=["twin_of", "person_id"])
              .select("person_key").n_unique())
    return {"precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
            "twin_merges": merged, "twins": twins.join(owners, on="person_key").height,
            "records": df.height, "records_without_truth": missing}


def delivered_during_the_day(landing: Path, hours_ago: float = 3.0) -> None:
    """Date the landing files ``hours_ago``: a department delivers its file during the day,
    not a second before the night's run (a file modified within the settle time is watched
    for a second first, ``assets.ingest.wait_until_settled``)."""
    then = time.time() - hours_ago * 3600
    for path in landing.rglob("*"):
        if path.is_file():
            os.utime(path, (then, then))


def nights_once(people: int, seed: int, quiet: bool) -> list[Night]:
    """One full night (and a quiet night after it) on a fresh copy of the county.

    The work folder (``.cache/work/``) is removed afterwards, and kept when a night fails.
    """
    source = county(people, seed)
    work = CACHE / "work" / f"{label(people)}-s{seed}-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source / "landing", work / "landing")
    records, twins = truth_frames(source / "truth")
    nights: list[Night] = []
    for kind in ("full", "quiet") if quiet else ("full",):
        if kind == "quiet":
            records = grow_settlements(work / "landing", records, SETTLEMENTS, MONTH)
            delivered_during_the_day(work / "landing")
        nights.append(night(work / "landing", work, kind))
        nights[-1].quality = quality(work / "sanji.duckdb", records, twins)
        print(report(people, nights[-1]), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return nights


def measure(people: int, seed: int, quiet: bool, repeat: int) -> list[Night]:
    """``repeat`` rounds of nights for one size; per kind, the round with the least wall."""
    rounds = [nights_once(people, seed, quiet) for _ in range(repeat)]
    kept = [min((r[i] for r in rounds), key=lambda n: n.wall) for i in range(len(rounds[0]))]
    if repeat > 1:
        print(f"\n{label(people)}: kept the fastest of {repeat} rounds: " + ", ".join(
            f"{n.kind} {n.wall:.1f} s (of {', '.join(f'{r[i].wall:.1f}' for r in rounds)})"
            for i, n in enumerate(kept)), flush=True)
    return kept


def report(people: int, n: Night) -> str:
    """One night as aligned lines."""
    q = n.quality
    head = (f"\n== {label(people)} residents, {n.kind} night: rows read {n.rows_read:,}, "
            f"wall {n.wall:.1f} s, CPU {n.cpu:.1f} s, peak RSS {n.peak_mb:,.0f} MB "
            f"(load average after: {n.load:.1f})")
    lines = [head, f"  {'step':26s} {'seconds':>8s} {'CPU s':>7s} {'rows':>11s} "
                   f"{'(largest output)':18s} {'RSS start MB':>12s} {'peak MB':>8s}"]
    lines += [f"  {s.name:26s} {s.seconds:8.2f} {s.cpu:7.2f} {s.rows:11,d} {s.output:18s}"
              f" {s.rss_start_mb:12,.0f} {s.rss_peak_mb:8,.0f}" for s in n.steps]
    lines += [f"  {name:26s} {s:8.2f} {n.overhead_cpu.get(name, 0.0):7.2f}"
              for name, s in n.overhead.items()]
    if (k := n.link):
        lines.append(f"  link: {k.get('link_mode')} ({k.get('link_mode_reason')}), pairs "
                     f"compared {k.get('pairs_compared')}, kept {k.get('pairs_kept')}")
    if q:
        lines.append(f"  linkage: F1 {q['f1']:.5f} (P {q['precision']:.5f} R {q['recall']:.5f}),"
                     f" twins merged with their twin {q['twin_merges']}/{q['twins']},"
                     f" {q['records']:,} records ({q['records_without_truth']} without truth)")
    return "\n".join(lines)


def growth(results: dict[int, list[Night]], kind: str) -> str:
    """Growth of each step's wall (and CPU) seconds from one size to the next."""
    nights = {p: n for p, ns in sorted(results.items()) for n in ns if n.kind == kind}
    pairs = list(pairwise(nights))
    if not pairs:
        return ""
    lines = [f"\n== growth, {kind} nights, wall × (CPU ×): " + "  ".join(
        f"{label(a)}→{label(b)} (×{b / a:g})" for a, b in pairs)]

    def row(name: str, wall, cpu=None) -> str:
        def ratio(f, a: int, b: int) -> float:
            return f(nights[b]) / f(nights[a]) if f(nights[a]) else float("nan")
        cells = [f"{ratio(wall, a, b):6.2f}" + (f" ({ratio(cpu, a, b):5.2f})" if cpu else " " * 8)
                 for a, b in pairs]
        return f"  {name:26s} " + "   ".join(cells)

    def step(name: str, attr: str):
        return lambda n: next((getattr(s, attr) for s in n.steps if s.name == name), 0.0)

    last = nights[max(nights)].steps
    lines += [row("rows read", lambda n: n.rows_read)] + [
        row(s.name, step(s.name, "seconds"), step(s.name, "cpu")) for s in last]
    lines += [row("night", lambda n: n.wall, lambda n: n.cpu),
              row("peak RSS", lambda n: n.peak_mb)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure each size's nights and print the figures."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="100k,500k,1M", help="residents, e.g. 100k,500k,1M,2M")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--no-quiet", action="store_true", help="skip the quiet night")
    p.add_argument("--repeat", type=int, default=1,
                   help="rounds per size; the fastest night of each kind is kept")
    p.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = p.parse_args(argv)
    sizes = sorted(parse_size(s) for s in args.sizes.split(","))
    print(f"sanji night benchmark: sizes {', '.join(map(label, sizes))}, seed {args.seed}, "
          f"month {MONTH}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}", flush=True)
    results = {p: measure(p, args.seed, not args.no_quiet, args.repeat) for p in sizes}
    print(growth(results, "full") + growth(results, "quiet")
          + f"\n\nload average at the end: {os.getloadavg()[0]:.2f}")
    if args.json:
        payload = {label(p): [{**n.__dict__, "steps": [s.__dict__ for s in n.steps]}
                              for n in nights] for p, nights in results.items()}
        args.json.write_text(json.dumps(payload, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
