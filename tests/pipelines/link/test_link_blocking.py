"""Blocking rules: near-ID keys, block caps, first-rule naming; constrained clustering."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from sanji_link_frames import frame, record, valid_id

from pipelines.link.blocking import block
from pipelines.link.cluster import cluster, components
from pipelines.link.linker import prepare_records as _prepare
from pipelines.link.settings import BlockingRule

A = valid_id("19800101", "123")


@pytest.mark.parametrize("pos", [0, 5, 6, 11, 12, 17])
def test_one_substitution_anywhere_is_a_candidate(pos: int) -> None:
    typo = A[:pos] + ("3" if A[pos] != "3" else "4") + A[pos + 1 :]
    rec = _prepare(frame([record(0, "甲", A, None), record(1, "乙", typo, None)]))
    pairs, _ = block(rec, ("id_one_off",), 10)
    assert pairs.select("i_l", "i_r").rows() == [(0, 1)]


@pytest.mark.parametrize("pos", [4, 5, 11, 15])
def test_adjacent_swap_is_a_candidate(pos: int) -> None:
    idn = "41052619800101" + "5927"  # checksum does not matter for blocking
    swapped = idn[:pos] + idn[pos + 1] + idn[pos] + idn[pos + 2 :]
    rec = _prepare(frame([record(0, "甲", idn, None), record(1, "乙", swapped, None)]))
    pairs, _ = block(rec, ("id_one_off",), 10)
    assert pairs.height == 1


def test_two_valid_ids_are_not_near_id_candidates() -> None:
    other = valid_id("19800101", "125")
    rec = _prepare(frame([record(0, "甲", A, None), record(1, "乙", other, None)]))
    pairs, _ = block(rec, ("id_one_off",), 10)
    assert pairs.height == 0


def test_giant_blocks_are_capped_and_counted() -> None:
    rows = [record(k, "张伟", None, "1980-01-01") for k in range(6)]
    rows += [record(10 + k, "欧阳娜娜", None, "1970-01-01") for k in range(2)]
    pairs, stats = block(_prepare(frame(rows)), ("pinyin_birth", "birth_village"), 5)
    assert pairs.height == 1
    assert stats["capped_blocks"] == {"pinyin_birth": 1, "birth_village": 1}


def test_pair_keeps_first_rule() -> None:
    rows = [record(0, "张伟", A, "1980-01-01"), record(1, "张伟", A, "1980-01-01")]
    pairs, stats = block(_prepare(frame(rows)), ("pinyin_birth", "id_exact"), 10)
    assert pairs["block_rule"].to_list() == ["pinyin_birth"]
    assert stats["pairs_per_rule"] == {"pinyin_birth": 1, "id_exact": 1}
    assert stats["new_pairs_per_rule"] == {"pinyin_birth": 1, "id_exact": 0}


def test_components_label_propagation() -> None:
    labels = components(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert labels.tolist() == [0, 0, 0, 3, 4, 4]


def test_cluster_refuses_union_across_cannot_link() -> None:
    # 0 and 2 hold different valid IDs; 1 (no ID) is closer to 0; 3 has a no-link with 0.
    edges = pl.DataFrame(
        {
            "i_l": [0, 1, 0],
            "i_r": [1, 2, 3],
            "weight": [9.0, 5.0, 7.0],
            "forced": [False, False, False],
        }
    )
    valid = pl.Series([A, None, valid_id("19800101", "135"), None])
    one_row = pl.Series([None, None, None, None], dtype=pl.String)
    no = pl.DataFrame({"i_l": [0], "i_r": [3]})
    labels = cluster(4, edges, one_row, valid, no)
    assert labels[0] == labels[1] != labels[2]
    assert labels[3] != labels[0]


def test_a_block_over_the_cap_is_split_by_the_refine_key() -> None:
    """A rare homophone (王舫) inside a huge pinyin block (王芳) still meets its own name."""
    rows = [record(k, "王芳", valid_id("19800101", f"{k:03d}"), "1980-01-01") for k in range(6)]
    rows += [record(20, "王舫", valid_id("19700101", "123"), "1970-01-01"),
             record(21, "王舫", None, None)]
    rec = _prepare(frame(rows))
    plain = BlockingRule("pinyin_only", ("name_pinyin",), unidentified_only=True)
    pairs, stats = block(rec, (plain,), 5)
    assert pairs.height == 0
    assert stats["capped_blocks"] == {"pinyin_only": 1}
    refined = replace(plain, refine=("name",))
    pairs, stats = block(rec, (refined,), 5)
    assert pairs.select("i_l", "i_r").rows() == [(6, 7)]
    assert stats["capped_blocks"] == {"pinyin_only": 1}  # 王芳 alone is still over the cap
