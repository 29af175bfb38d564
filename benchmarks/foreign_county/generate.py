"""Generate a foreign county: residents, their departments' exports and the truth.

Usage (from the repository root)::

    python -m benchmarks.foreign_county --people 10000 --seed 7 --out /tmp/foreign

writes ``/tmp/foreign/landing/`` (the exports) and ``/tmp/foreign/truth/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from benchmarks.foreign_county import ex_poverty
from benchmarks.foreign_county.common import Context
from benchmarks.foreign_county.layout import Extract
from benchmarks.foreign_county.people import make_people
from benchmarks.foreign_county.places import make_county
from benchmarks.foreign_county.programs import make_facts
from benchmarks.foreign_county.truth import write_truth
from benchmarks.foreign_county.writers import write_extract

Builder = Callable[[Context], Extract]
BUILDERS: tuple[Builder, ...] = (
    ex_poverty.system_export,
    ex_poverty.township_ledger,
)


@dataclass(frozen=True)
class Generated:
    """What a run wrote, and how long it took."""

    landing: Path
    truth: Path
    files: list[Path]
    people: int
    seconds: float


def generate(people: int, seed: int, out: Path, as_of: date = date(2025, 9, 30),
             libreoffice: bool = True) -> Generated:
    """Generate a county of ``people`` residents into ``out``.

    Args:
        people: Number of residents.
        seed: Random seed; the same seed gives the same files and truth.
        out: Output folder (``landing/`` and ``truth/`` are made in it).
        as_of: The day the extracts are taken.
        libreoffice: Let LibreOffice write its file (else xlwt writes it).

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
    extracts = [build(ctx) for build in BUILDERS]
    landing, truth = out / "landing", out / "truth"
    landing.mkdir(parents=True, exist_ok=True)
    files = [write_extract(e, landing, libreoffice) for e in extracts]
    write_truth(residents, extracts, truth)
    return Generated(landing, truth, files, people, time.perf_counter() - start)
