"""What a full night works out on a second thread: every record coded
(``coding.code_records``) while it blocks, then the u probabilities from random pairs
(``model.estimate_u``) while it compares the candidate pairs.

Neither reads the candidate pairs, only the prepared records, and both spend their time in
polars and numpy, which let go of the GIL. Comparing is one thread's numpy work, so u is
estimated beside it rather than beside blocking (where coding alone already outlasts the
rules). An incremental night codes only the records of the pairs it compares (known after
blocking) and keeps its model, so it works nothing out ahead.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from pipelines.link import model
from pipelines.link.coding import code_records
from pipelines.link.settings import LinkSettings


@dataclass(frozen=True)
class Ahead:
    """A full night's work on the thread: ``coded`` (``Coded``), then ``u`` (comparison ->
    u per level), one after the other."""

    coded: Future
    u: Future


def start(rec: pl.DataFrame, facts: pl.DataFrame, s: LinkSettings) -> Ahead:
    """Start coding ``rec`` (the county facts prepare counted) on a thread, and estimating u
    from the coded records once they are."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="link-ahead")
    coded = pool.submit(code_records, rec, facts=facts)
    u = pool.submit(lambda: model.estimate_u(coded.result(), rec.height, s.u_sample_pairs,
                                             s.seed, s.comparisons))  # runs after coded
    pool.shutdown(wait=False)  # its thread ends with the tasks
    return Ahead(coded, u)
