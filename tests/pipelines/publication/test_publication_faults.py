"""Fault test: runs SIGKILLed after each kind of step of their publication (11 points) and at
random moments (3), over a good publication; after each kill every table belongs to one run,
and the next run completes.

Workers are started a few ahead (``AHEAD``) and wait for ``go``, so their start-up overlaps
the previous kill's checks; each kill is checked before the next worker goes.
"""

from __future__ import annotations

import random
import time

import polars as pl
from night_tables import SLICED, TABLES, WHOLE, assert_one_run, landing, run_tables
from publication_workers import Worker

from pipelines.night import NightRun, publish_night
from pipelines.warehouse import Warehouse, publications

# Every kind of step of a run's publication: the attempt recorded, the transaction begun, a
# month slice written in place (first and last table), a whole table staged (a small and the
# largest), the first, a middle and the last swap, the run recorded, the commit done.
STEPS = ["started", "begun", "loaded:county_monthly", "loaded:field_issue",
         "loaded:person_id_map", "loaded:village_monthly", "swapped:field_issue",
         "swapped:quarantine", "swapped:uncertain_match", "recorded", "committed"]
RANDOM_KILLS = 3
AHEAD = 3
LANDING_PEOPLE = 200


def test_the_steps_are_the_publications_own() -> None:
    wh = Warehouse.from_url(":memory:")
    wh.publish_run("first", "2024-01", run_tables(20), month_sliced=SLICED)
    done: list[str] = []
    wh.publish_run("second", "2024-02", run_tables(20), month_sliced=SLICED, on_step=done.append)
    assert [s for s in done if s in STEPS] == STEPS
    assert len(done) == 2 + len(TABLES) + len(WHOLE) + 2  # the others: more of these kinds


def _plan(seed: int) -> list[tuple[str, str, float]]:
    """(run id, step to kill at or '', delay before an outside kill or 0) per killed run."""
    rng = random.Random(seed)
    steps = [(f"kill-{i:02d}", step, 0.0) for i, step in enumerate(STEPS)]
    delays = [(f"late-{i}", "", round(rng.uniform(0.02, 0.3), 2)) for i in range(RANDOM_KILLS)]
    return steps + delays


def _worker(wh: Warehouse, index: int, run_id: str, step: str) -> Worker:
    people = 20_000 if run_id.startswith("late") else LANDING_PEOPLE + index
    flags = ["--landing-people", str(LANDING_PEOPLE)] + (["--kill-at", step] if step else [])
    return Worker(wh, run_id, people, *flags)


def test_killed_runs_never_mix_tables(wh: Warehouse, workers: list[Worker]) -> None:
    jan = publish_night(wh, NightRun("jan", "2024-01"), run_tables(150),
                        landing(LANDING_PEOPLE), month_sliced=SLICED).publication
    publish_night(wh, NightRun("good", "2024-02"), run_tables(LANDING_PEOPLE),
                  landing(LANDING_PEOPLE), month_sliced=SLICED)
    kept = {"2024-01": ("jan", jan.row_counts)}
    previous = "good"
    plan = _plan(seed=12)
    started = [_worker(wh, i, *plan[i][:2]) for i in range(AHEAD)]
    workers.extend(started)
    for i, (run_id, step, delay) in enumerate(plan):
        if i + AHEAD < len(plan):
            started.append(_worker(wh, i + AHEAD, *plan[i + AHEAD][:2]))
            workers.append(started[-1])
        worker = started[i]
        worker.expect("ready")
        worker.send("go")
        if delay:
            time.sleep(delay)
            worker.proc.kill()
        code = worker.finish()
        assert code == -9 or (delay and code == 0), (run_id, code, worker.lines)
        reached = worker.steps()
        assert not step or reached[-1] == step  # killed itself right after that step
        # killed from outside after COMMIT but before it said so, the run may be published
        may_be = {run_id} if "committed" in reached or code == 0 else \
            {previous, run_id} if "recorded" in reached else {previous}
        previous = assert_one_run(wh, kept=kept)
        assert previous in may_be, (run_id, reached)
    final = publish_night(wh, NightRun("final", "2024-02"), run_tables(LANDING_PEOPLE + 99),
                          landing(LANDING_PEOPLE), month_sliced=SLICED)
    assert assert_one_run(wh, kept=kept) == "final"
    assert final.publication.status == "published"
    rows = publications(wh)
    assert rows.filter(pl.col("status") == "running").height == 0
    assert rows["version"].drop_nulls().is_unique().all()
    killed = rows.filter(pl.col("run_id").str.starts_with("kill"))
    assert killed.filter(pl.col("status") == "failed")["message"].str.starts_with(
        "abandoned").all()
    assert set(killed.filter(pl.col("status") == "published")["run_id"]) == {
        run_id for run_id, step, _ in plan if step == "committed"}
