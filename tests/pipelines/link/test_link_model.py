"""Model behaviour: term frequency, ordered weights, EM anchoring."""

from __future__ import annotations

import numpy as np
import polars as pl
from sanji_link_frames import background, frame, record, valid_id

from pipelines.link import LinkSettings, link_records
from pipelines.link.model import estimate_m


def test_term_frequency_lowers_weight_of_common_name() -> None:
    rows = [*background(30)]
    for k in range(12):  # twelve different people called 张伟
        birth = f"{1950 + k}-03-0{1 + k % 9}"
        rows.append(
            record(
                100 + k,
                "张伟",
                valid_id(birth.replace("-", ""), f"{500 + k:03d}"),
                birth,
                extract="enrolment",
                village=f"410526101{300 + k}",
            )
        )
    pair = [
        record(200, "张伟", None, "1990-05-05", extract="death"),
        record(201, "张伟", None, "1990-05-05", extract="assistance"),
        record(202, "欧阳娜娜", None, "1990-06-06", extract="death"),
        record(203, "欧阳娜娜", None, "1990-06-06", extract="assistance"),
        # one person with a valid ID holds 欧阳娜娜 (twelve hold 张伟)
        record(204, "欧阳娜娜", valid_id("19900606", "321"), "1990-06-06", extract="enrolment"),
    ]
    result = link_records(frame(rows + pair))
    # the name's frequency is its own comparison (name_frequency), added to the name's
    name_weight = pl.col("w_name") + pl.col("w_name_frequency")
    w = dict(result.pairs.select("record_id_l", name_weight).iter_rows())
    assert w["death.csv||202"] < w["death.csv||204"] - 2


def test_weights_are_ordered_strong_to_weak() -> None:
    result = link_records(frame(background(40)))
    for field, levels in result.stats["model"].items():
        weights = [v["weight"] for v in levels.values()]
        assert weights == sorted(weights, reverse=True), field


def test_em_anchors_known_pairs() -> None:
    # 60 pairs: names agree everywhere, IDs say half are matches; anchoring keeps the
    # "match" class on the ID-equal pairs, so m(id exact) is high.
    comparisons = LinkSettings().comparisons
    levels = {c.name: np.full(60, -1, dtype=np.int8) for c in comparisons}
    levels["name"][:] = 0
    levels["id"][:] = np.r_[np.zeros(30), np.full(30, 3)].astype(np.int8)
    u = {c.name: np.array([lv.u for lv in c.levels]) for c in comparisons}
    anchor = np.r_[np.ones(30), np.zeros(30)]
    m, matches = estimate_m(levels, u, 10, comparisons, anchor)
    assert abs(matches - 30) < 1e-6
    assert m["id"][0] > 0.5 > m["id"][3]


def test_stats_report_rules_stages_and_levels() -> None:
    result = link_records(frame(background(20)))
    stats = result.stats
    assert set(stats["pairs_per_rule"]) >= {"id_exact", "id_one_off", "pinyin_birth"}
    stages = {"block", "compare", "model", "cluster", "ids", "state", "total"}
    assert stages <= set(stats["seconds"]) and stages <= set(stats["cpu_seconds"])
    assert set(stats["model"]["id"]) == {"exact", "one-substitution", "adjacent-swap", "different"}
    assert isinstance(result.pairs, pl.DataFrame)
