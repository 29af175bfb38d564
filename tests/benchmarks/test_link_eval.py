"""benchmarks/link_eval.py: no-usable-ID records binned by how many people hold their name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[2]


def _link_eval():
    """benchmarks/link_eval.py (not a package module: loaded from its path)."""
    path = ROOT / "benchmarks" / "link_eval.py"
    spec = importlib.util.spec_from_file_location("sanji_link_eval_bins", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_no_id_records_are_binned_by_the_holders_of_their_name() -> None:
    ev = _link_eval()
    ids = [f"41142119800101{k:04d}" for k in range(8)]
    names = ["王芳"] * 7 + ["周雅兰"] + ["王芳", "周雅兰", "李无"]
    records = pl.DataFrame({
        "record_id": [f"r{k}" for k in range(11)],
        "source_file": ["f"] * 11, "sheet": [""] * 11, "row_number": list(range(11)),
        "name": names,
        "id_number": [*ids, None, None, None],
        "id_valid": [True] * 8 + [False] * 3,
    })
    flags = ev.record_classes(records, None, None)
    got = {
        c: flags.filter(pl.col(c))["record_id"].to_list() for c in ev.NAME_HOLDER_CLASSES
    }
    # 王芳: 7 holders; 周雅兰: 1; 李无: none. Records with a valid ID are in no bin.
    assert got == {"no_id_name_held_0_1": ["r9", "r10"], "no_id_name_held_2_5": [],
                   "no_id_name_held_6_plus": ["r8"]}
