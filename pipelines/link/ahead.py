"""What a full night works out on a second thread while it blocks: every record coded
(``coding.code_records``) and the u probabilities from random pairs (``model.estimate_u``).

Neither reads the candidate pairs, only the prepared records, and both spend their time in
polars and numpy, which let go of the GIL: on two cores they take blocking's time, not their
own. An incremental night codes only the records of the pairs it compares (known after
blocking) and keeps its model, so it works nothing out ahead.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import polars as pl

from pipelines.link import model
from pipelines.link.coding import Coded, code_records
from pipelines.link.settings import LinkSettings


def _coded_and_u(rec: pl.DataFrame, facts: pl.DataFrame, s: LinkSettings
                 ) -> tuple[Coded, dict[str, np.ndarray]]:
    """The records coded (the county facts prepare counted) and the model's u."""
    coded = code_records(rec, facts=facts)
    return coded, model.estimate_u(coded, rec.height, s.u_sample_pairs, s.seed, s.comparisons)


def start(rec: pl.DataFrame, facts: pl.DataFrame, s: LinkSettings) -> Future:
    """Start coding ``rec`` and estimating u on a thread; the future gives (coded, u)."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="link-ahead")
    done = pool.submit(_coded_and_u, rec, facts, s)
    pool.shutdown(wait=False)  # its thread ends with the task
    return done
