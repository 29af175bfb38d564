"""Generate a foreign county: residents, their departments' exports and the truth.

Usage (from the repository root)::

    python -m benchmarks.foreign_county --people 10000 --seed 7 --out /tmp/foreign

writes ``/tmp/foreign/landing/`` (the exports) and ``/tmp/foreign/truth/``.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from benchmarks.foreign_county import (
    ex_civil,
    ex_health,
    ex_insurance,
    ex_ledger,
    ex_poverty,
    ex_settle,
    ex_stats,
)
from benchmarks.foreign_county.common import Context
from benchmarks.foreign_county.layout import Extract
from benchmarks.foreign_county.people import make_people
from benchmarks.foreign_county.places import make_county
from benchmarks.foreign_county.programs import make_facts
from benchmarks.foreign_county.truth import write_truth
from benchmarks.foreign_county.writers import write_extract

Builder = Callable[[Context], Extract | list[Extract]]
BUILDERS: tuple[Builder, ...] = (
    ex_stats.region_table,
    ex_poverty.system_export,
    ex_poverty.township_ledger,
    ex_health.contracts,
    ex_health.follow_ups,
    ex_ledger.illness_ledger,
    ex_civil.assistance_roster,
    ex_civil.cremations,
    ex_insurance.enrolment,
    ex_insurance.subsidies,
    ex_settle.settlement_files,
)


@dataclass(frozen=True)
class Generated:
    """What a run wrote, and how long it took."""

    landing: Path
    truth: Path
    files: list[Path]
    people: int
    seconds: float


def _cost(extract: Extract) -> int:
    """Rough writing cost: cells, with LibreOffice's start-up counted as many cells."""
    cells = sum(s.body.height * len(s.columns) for s in extract.sheets)
    return cells + (500_000 if extract.fmt == "xls_lo" else 0)


def write_all(extracts: list[Extract], landing: Path, libreoffice: bool, jobs: int) -> list[Path]:
    """Write every extract, in ``jobs`` processes (spawned: polars does not like fork)."""
    if jobs <= 1:
        return [write_extract(e, landing, libreoffice) for e in extracts]
    order = sorted(range(len(extracts)), key=lambda i: -_cost(extracts[i]))
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=spawn) as pool:
        futures = {i: pool.submit(write_extract, extracts[i], landing, libreoffice)
                   for i in order}
        return [futures[i].result() for i in range(len(extracts))]


def default_jobs() -> int:
    """Writer processes: one per core plus one that mostly waits for LibreOffice, at most 4."""
    return min(4, (os.cpu_count() or 1) + 1)


def generate(people: int, seed: int, out: Path, as_of: date = date(2025, 9, 30),
             libreoffice: bool = True, jobs: int = 1) -> Generated:
    """Generate a county of ``people`` residents into ``out``.

    Args:
        people: Number of residents.
        seed: Random seed; the same seed gives the same files and truth.
        out: Output folder (``landing/`` and ``truth/`` are made in it).
        as_of: The day the extracts are taken.
        libreoffice: Let LibreOffice write its file (else xlwt writes it).
        jobs: Writer processes (1 writes in this process).

    Returns:
        The folders, the files written and the time taken.
    """
    if people < 100:
        msg = f"--people must be at least 100 (got {people})"
        raise ValueError(msg)
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    county = make_county(rng, people)
    residents = make_people(rng, people, county, as_of)
    ctx = Context(county, make_facts(rng, residents, county, as_of), rng, as_of)
    extracts: list[Extract] = []
    for build in BUILDERS:
        made = build(ctx)
        extracts.extend(made if isinstance(made, list) else [made])
    landing, truth = out / "landing", out / "truth"
    landing.mkdir(parents=True, exist_ok=True)
    files = write_all(extracts, landing, libreoffice, jobs)
    write_truth(residents, county.villages, extracts, truth)
    return Generated(landing, truth, files, people, time.perf_counter() - start)
