"""Run folders are pruned per county: the published runs, their parents, live runs and the N most
recent stay; the rest go; a province's or another county's folders are never touched."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

from pipelines.retention import Pruned, prune_runs, published_runs, runs_to_keep

COUNTY, OTHER = "411421", "411422"


def _run(root: Path, run: str, age_days: int, county: str | None = COUNTY) -> Path:
    """A run folder with one frame (``<asset>/<county>/<month>.parquet``), ``age_days`` old."""
    folder = root / run
    frame = folder / "person" / county / "2026-10.parquet" if county else \
        folder / "province_monthly" / "2026-10.parquet"
    frame.parent.mkdir(parents=True)
    frame.write_bytes(b"x" * 100)
    when = 1_800_000_000 - age_days * 86_400
    os.utime(folder, (when, when))
    return folder


def _publications(*rows: tuple[str, str, int, str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["run_id", "month", "version", "status"], orient="row"
                        ).with_columns(county=pl.lit(COUNTY))


def test_published_runs_are_the_last_publication_of_each_month() -> None:
    pubs = _publications(("a", "2026-09", 1, "published"), ("b", "2026-09", 3, "published"),
                         ("c", "2026-09", 4, "refused"), ("d", "2026-10", 2, "published"))
    assert published_runs(pubs, COUNTY) == {"b", "d"}
    assert published_runs(pubs, OTHER) == set()
    assert published_runs(pl.DataFrame(), COUNTY) == set()


def test_a_sweep_keeps_what_is_read_and_deletes_the_rest(tmp_path: Path) -> None:
    for run, age in (("pub", 30), ("parent", 40), ("grandparent", 50), ("old1", 20),
                     ("old2", 10), ("old3", 5), ("new", 1), ("going", 60)):
        _run(tmp_path, run, age)
    _run(tmp_path, "province", 90, county=None)
    _run(tmp_path, "other", 90, county=OTHER)
    parents = {"pub": "parent", "parent": "grandparent"}
    pruned = prune_runs(tmp_path, COUNTY, {"pub"}, parents.get, live={"going"}, keep=2)
    assert pruned.deleted == ["old1", "old2"]  # oldest first
    assert pruned.kept == {"pub": "published", "parent": "parent",
                           "grandparent": "parent", "going": "live", "new": "recent",
                           "old3": "recent"}
    assert pruned.freed_bytes == 200
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "going", "grandparent", "new", "old3", "other", "parent", "province", "pub"]
    assert "deleted 2 run folder(s)" in pruned.summary()


def test_a_dry_run_deletes_nothing_and_keep_must_not_be_negative(tmp_path: Path) -> None:
    _run(tmp_path, "old", 10)
    pruned = prune_runs(tmp_path, COUNTY, set(), lambda _: None, keep=0, dry_run=True)
    assert pruned.deleted == ["old"] and (tmp_path / "old").is_dir()
    with pytest.raises(ValueError, match="0 or more"):
        runs_to_keep({}, set(), lambda _: None, (), -1)
    assert prune_runs(tmp_path / "none", COUNTY, set(), lambda _: None) == Pruned(COUNTY)


def test_the_freed_size_counts_a_file_once_and_only_when_no_kept_link_holds_it(
        tmp_path: Path) -> None:
    kept, gone = _run(tmp_path, "kept", 1), _run(tmp_path, "gone", 9)
    shared = gone / "person" / COUNTY / "shared.parquet"
    shared.write_bytes(b"y" * 1000)
    os.link(shared, kept / "person" / COUNTY / "shared.parquet")  # a kept run links it
    own = gone / "person" / COUNTY / "own.parquet"
    own.write_bytes(b"z" * 10_000)
    os.link(own, gone / "person" / COUNTY / "own-again.parquet")  # linked twice inside
    pruned = prune_runs(tmp_path, COUNTY, published=["kept"], parent_of=lambda _: None, keep=0)
    assert pruned.deleted == ["gone"]
    assert pruned.freed_bytes == 100 + 10_000  # its frame, and its own file once
