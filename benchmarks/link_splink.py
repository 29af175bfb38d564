"""Splink 5 (DuckDB) on the same records as sanji, configured as a competent user would.

Used by ``benchmarks/link.py``; the threshold is the best of 0.5 ... 0.999 chosen on the
truth (an advantage sanji does not get).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import polars as pl
from link_eval import evaluate

if TYPE_CHECKING:
    from link import Data


def _splink_settings():
    """Return Splink settings a competent user would write for these records."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name"),
            cll.ExactMatchLevel("name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("name_pinyin"),
            cll.JaroWinklerLevel("name_pinyin", 0.9),
            cll.LevenshteinLevel("name", 1),
            cll.ElseLevel(),
        ],
    )
    id_cmp = cl.CustomComparison(
        output_column_name="id_number",
        comparison_levels=[
            cll.NullLevel("id_number"),
            cll.ExactMatchLevel("id_number"),
            cll.DamerauLevenshteinLevel("id_number", 1),
            cll.ElseLevel(),
        ],
    )
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=[
            name,
            id_cmp,
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.ExactMatch("sex"),
            cl.CustomComparison(
                output_column_name="place",
                comparison_levels=[
                    cll.And(cll.NullLevel("village_code"), cll.NullLevel("township_code")),
                    cll.ExactMatchLevel("village_code"),
                    cll.ExactMatchLevel("township_code"),
                    cll.ElseLevel(),
                ],
            ),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("substr(id_number, 1, 14)"),  # region + birth date: typos in the tail
            block_on("name_pinyin", "birth_date"),
            block_on("birth_date", "village_code"),
            block_on("name_pinyin", "village_code"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def run_splink(data: Data) -> dict:
    """Link the same records with Splink 5 (DuckDB); the threshold is chosen for best F1.

    Timed: registering, training (prior, u by random sampling, two EM sessions), predict and
    one clustering; the threshold sweep itself is not timed beyond the chosen clustering.
    """
    from splink import DuckDBAPI, Linker, block_on

    records = data.records
    t = time.perf_counter()
    db_api = DuckDBAPI()
    table = records.select(
        "record_id",
        "name",
        "name_pinyin",
        "id_number",
        "sex",
        "birth_date",
        "village_code",
        "township_code",
    ).to_arrow()
    linker = Linker(db_api.register(table), _splink_settings())
    linker.training.estimate_probability_two_random_records_match(
        [block_on("id_number"), block_on("name_pinyin", "birth_date", "village_code")],
        recall=0.9,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("name_pinyin", "birth_date")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    train_predict = time.perf_counter() - t
    best = None
    for threshold in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        tc = time.perf_counter()
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold
        )
        frame = pl.from_arrow(clusters.as_pyarrow_table())
        cluster_seconds = time.perf_counter() - tc
        scores = evaluate(frame.select("record_id", cluster="cluster_id"), data.truth, records)
        if best is None or scores["f1"] > best["f1"]:
            best = {**scores, "threshold": threshold, "seconds": train_predict + cluster_seconds}
    return {"engine": "splink", **best, "stages": {"train_predict": round(train_predict, 2)}}
