"""benchmarks/link_eval.py: no-usable-ID records binned by how many people hold their name."""

from __future__ import annotations

import polars as pl
import sanji_link_eval as link_eval


def test_no_id_records_are_binned_by_the_holders_of_their_name() -> None:
    ids = [f"41142119800101{k:04d}" for k in range(8)]
    names = ["王芳"] * 7 + ["周雅兰"] + ["王芳", "周雅兰", "李无"]
    records = pl.DataFrame({
        "record_id": [f"r{k}" for k in range(11)],
        "source_file": ["f"] * 11, "sheet": [""] * 11, "row_number": list(range(11)),
        "name": names,
        "id_number": [*ids, None, None, None],
        "id_valid": [True] * 8 + [False] * 3,
    })
    flags = link_eval.record_classes(records, None, None)
    got = {
        c: flags.filter(pl.col(c))["record_id"].to_list() for c in link_eval.NAME_HOLDER_CLASSES
    }
    # 王芳: 7 holders; 周雅兰: 1; 李无: none. Records with a valid ID are in no bin.
    assert got == {"no_id_name_held_0_1": ["r9", "r10"], "no_id_name_held_2_5": [],
                   "no_id_name_held_6_plus": ["r8"]}
