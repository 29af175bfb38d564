"""A province night, simulated from measured per-county times: 100 counties on N workers.

Usage::

    .venv/bin/python benchmarks/province.py                      # the table in docs/design.md §7
    .venv/bin/python benchmarks/province.py --workers 8 32 --max-runs 16 --warehouse-mrows 1.4

The model (every number is a parameter; the defaults are measured, see ``MEASURED``):

- 100 counties, residents drawn uniformly in 300k..1.2M (seeded); rows = ``ROWS_PER_RESIDENT`` x
  residents (the demo county's ratio).
- A county's run is the ``nightly`` job's steps (``STEPS``) with their dependencies. A step's
  compute seconds follow a power law in the county's rows, fitted to ``benchmarks/pipeline.py``
  at two sizes; each step adds the Celery overhead and reads its inputs from shared storage.
- The run queue (``deploy/dagster.yaml``) starts at most ``--max-runs`` runs, one per county,
  every ``DEQUEUE_S``; a run's first step starts ``LAUNCH_S`` after it is dequeued.
- Workers: ``N`` step slots (Celery worker processes) take ready steps first come, first served;
  a step holds its slot while it computes and while it writes its rows.
- The warehouse (PostgreSQL): a writer gets the measured single-writer rate, all writers together
  at most ``--warehouse-mrows`` million rows a second.
- The province run (``cross_county_person``) starts when the last county is done and reads every
  county's ``person`` and ``person_source`` at the measured read rate.

The output names, per configuration, the wall time and what held the night back.
"""

from __future__ import annotations

import argparse
import math
import random
from collections import deque
from dataclasses import dataclass, field

# Measured on this project's 2-core box (loaded), see docs/design.md §7 for the commands:
# benchmarks/pipeline.py at 300,000 and 1,000,000 people (seconds per stage, rows read);
# PostgreSQL COPY of a 1M-row person table through pipelines.warehouse (write, read);
# tests/assets/test_many_counties.py (Celery step overhead, run launch).
MEASURED = {
    "sizes": (587_805, 1_957_351),
    "ingest": (4.87, 17.56), "link": (8.62, 86.13), "golden": (2.86, 11.71),
    "rules": (0.99, 4.15), "rollups": (0.31, 1.22),
    "pg_write_rows_s": 350_000, "pg_read_rows_s": 520_000,
}
ROWS_PER_RESIDENT = 1.97
STEP_OVERHEAD_S = 1.3     # Celery task + instance + inputs' metadata, per step (warm worker)
LAUNCH_S = 5.0            # dequeued -> run process up and first step submitted
DEQUEUE_S = 5.0           # deploy/dagster.yaml dequeue_interval_seconds
IO_S_PER_MROWS = 0.6      # parquet in/out on shared storage, per million rows of a step's data
DT = 0.5


def power_law(stage: str) -> tuple[float, float]:
    """(c, k) with seconds = c * rows**k through the two measured sizes."""
    (r1, r2), (t1, t2) = MEASURED["sizes"], MEASURED[stage]
    k = math.log(t2 / t1) / math.log(r2 / r1)
    return t1 / r1 ** k, k


def seconds(stage: str, rows: float, share: float = 1.0) -> float:
    c, k = power_law(stage)
    return share * c * rows ** k


@dataclass(frozen=True)
class Step:
    """A step of the nightly job: its inputs, compute and the rows it publishes."""

    name: str
    deps: tuple[str, ...]
    compute: tuple[str, float] | None  # (measured stage, share of it)
    publishes: float = 0.0             # rows written per county row
    io_rows: float = 1.0               # rows read/written on shared storage per county row


STEPS = (
    Step("landing_snapshot", (), None, 0.0, 0.2),
    Step("ingest", ("landing_snapshot",), ("ingest", 1.0), 0.02, 2.0),
    Step("person_records", ("ingest",), None, 0.0, 2.0),
    Step("link", ("person_records",), ("link", 1.0), 1.0, 3.0),       # person_id_map
    Step("person", ("link",), ("golden", 0.6), 0.5, 2.0),
    Step("person_source", ("link",), ("golden", 0.4), 1.0, 2.0),
    Step("mismatch", ("person",), ("rules", 1.0), 0.05, 3.0),
    Step("village_monthly", ("person",), ("rollups", 0.8), 0.0, 3.0),
    Step("township_monthly", ("village_monthly",), ("rollups", 0.1), 0.0, 0.0),
    Step("county_monthly", ("township_monthly",), ("rollups", 0.1), 0.0, 0.0),
    Step("illness_cases", ("person",), ("rules", 0.3), 0.0, 1.0),
    Step("exchange_workbook", ("illness_cases",), None, 0.0, 0.0),
    Step("office_return", (), None, 0.0, 0.0),
    Step("exchange_diff", ("illness_cases", "office_return"), None, 0.0, 0.0),
)


@dataclass
class Task:
    """One step of one county's run in flight."""

    county: int
    step: Step
    cpu_left: float
    rows_left: float


@dataclass
class Night:
    """The state of a simulated night."""

    rows: list[float]
    workers: int
    max_runs: int
    warehouse_rows_s: float
    time: float = 0.0
    queued: deque = field(default_factory=deque)
    running: dict = field(default_factory=dict)      # county -> set of done steps
    ready: deque = field(default_factory=deque)
    active: list = field(default_factory=list)
    done_runs: int = 0
    busy_slot_s: float = 0.0
    written_rows: float = 0.0
    idle_with_queued_runs_s: float = 0.0
    next_dequeue: float = 0.0
    launches: list = field(default_factory=list)     # (start time, county)

    def task(self, county: int, step: Step) -> Task:
        rows = self.rows[county]
        cpu = STEP_OVERHEAD_S + IO_S_PER_MROWS * step.io_rows * rows / 1e6
        if step.compute:
            cpu += seconds(step.compute[0], rows, step.compute[1])
        return Task(county, step, cpu, step.publishes * rows)

    def release(self, county: int) -> None:
        """Queue the steps of ``county`` whose inputs are all done."""
        done = self.running[county]
        queued = {t.step.name for t in self.ready if t.county == county}
        queued |= {t.step.name for t in self.active if t.county == county}
        for step in STEPS:
            if step.name not in done and step.name not in queued and set(step.deps) <= done:
                self.ready.append(self.task(county, step))

    def dequeue(self) -> None:
        if self.time < self.next_dequeue:
            return
        self.next_dequeue = self.time + DEQUEUE_S
        while self.queued and len(self.running) + len(self.launches) < self.max_runs:
            self.launches.append((self.time + LAUNCH_S, self.queued.popleft()))

    def tick(self) -> None:
        """Advance the night by ``DT`` seconds."""
        self.dequeue()
        for start, county in [x for x in self.launches if x[0] <= self.time]:
            self.launches.remove((start, county))
            self.running[county] = set()
            self.release(county)
        while self.ready and len(self.active) < self.workers:
            self.active.append(self.ready.popleft())
        writers = [t for t in self.active if t.cpu_left <= 0 and t.rows_left > 0]
        rate = min(MEASURED["pg_write_rows_s"], self.warehouse_rows_s / max(len(writers), 1))
        for t in self.active:
            if t.cpu_left > 0:
                t.cpu_left -= DT
            else:
                t.rows_left -= rate * DT
                self.written_rows += rate * DT
        self.busy_slot_s += len(self.active) * DT
        if self.queued and len(self.active) < self.workers and not self.ready:
            self.idle_with_queued_runs_s += DT
        self.finish()
        self.time += DT

    def finish(self) -> None:
        for t in [t for t in self.active if t.cpu_left <= 0 and t.rows_left <= 0]:
            self.active.remove(t)
            self.running[t.county].add(t.step.name)
            if len(self.running[t.county]) == len(STEPS):
                del self.running[t.county]
                self.done_runs += 1
            else:
                self.release(t.county)


def simulate(rows: list[float], workers: int, max_runs: int, warehouse_rows_s: float) -> dict:
    """One night: every county's run, then the province's read; times and utilisations."""
    night = Night(rows, workers, max_runs, warehouse_rows_s)
    night.queued.extend(sorted(range(len(rows)), key=lambda c: -rows[c]))  # biggest first
    while night.done_runs < len(rows):
        night.tick()
    residents = sum(rows) / ROWS_PER_RESIDENT
    province_s = (residents + sum(rows)) / MEASURED["pg_read_rows_s"]
    return {
        "workers": workers, "max_runs": max_runs, "counties_s": night.time,
        "province_s": province_s, "wall_s": night.time + province_s,
        "worker_use": night.busy_slot_s / (workers * night.time),
        "warehouse_use": night.written_rows / (warehouse_rows_s * night.time),
        "queue_idle_s": night.idle_with_queued_runs_s,
        "longest_county_s": critical_path(max(rows)),
    }


def critical_path(rows: float) -> float:
    """The biggest county's run alone on idle workers: the night's lower bound."""
    finish: dict[str, float] = {}
    night = Night([rows], 1, 1, 1e12)
    for step in STEPS:
        task = night.task(0, step)
        write = task.rows_left / MEASURED["pg_write_rows_s"]
        finish[step.name] = max((finish[d] for d in step.deps), default=0.0) + task.cpu_left + write
    return LAUNCH_S + max(finish.values())


def bottleneck(result: dict) -> str:
    """What held the night back."""
    if result["longest_county_s"] > 0.8 * result["counties_s"]:
        return "the biggest county's own chain (ingest → link → publish)"
    if result["warehouse_use"] > 0.8:
        return "warehouse writes"
    if result["worker_use"] > 0.8:
        return "workers"
    if result["queue_idle_s"] > 0.2 * result["counties_s"]:
        return "run queue (max_concurrent_runs)"
    return "step dependencies within runs"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--counties", type=int, default=100)
    p.add_argument("--workers", type=int, nargs="+", default=[4, 8, 16, 32, 64, 128])
    p.add_argument("--max-runs", type=int, nargs="+", default=[16])
    p.add_argument("--warehouse-mrows", type=float, default=1.4,
                   help="all writers together, million rows a second (default 1.4: four "
                        "measured single writers)")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    rows = [rng.uniform(300_000, 1_200_000) * ROWS_PER_RESIDENT for _ in range(args.counties)]
    print(f"{args.counties} counties, {sum(rows) / ROWS_PER_RESIDENT / 1e6:.1f}M residents, "
          f"{sum(rows) / 1e6:.0f}M rows; warehouse {args.warehouse_mrows}M rows/s\n")
    print("| workers | max runs | counties done | province read | night | workers busy "
          "| warehouse busy | held back by |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for max_runs in args.max_runs:
        for workers in args.workers:
            r = simulate(rows, workers, max_runs, args.warehouse_mrows * 1e6)
            print(f"| {workers} | {max_runs} | {r['counties_s'] / 60:.0f} min "
                  f"| {r['province_s'] / 60:.0f} min | {r['wall_s'] / 60:.0f} min "
                  f"| {r['worker_use']:.0%} | {r['warehouse_use']:.0%} | {bottleneck(r)} |")
    print(f"\nbiggest county alone: {critical_path(max(rows)) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
