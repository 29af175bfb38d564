"""Where ``sanji decide`` reads a record id's key: the ``person_links`` of the run that
published the month, else (a run re-executed from a failure after the link step, which did
not link again) its parent's, as the link asset reads its kept state (``assets.link``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from assets.io_managers import RUNS_FOLDER
from assets.jobs import _published_links

COUNTY, MONTH = "411421", "2026-10"
PARENTS = {"child": "parent", "parent": None}


class _Store:
    def last_publication(self, county, month):
        assert (county, month) == (COUNTY, MONTH)
        return SimpleNamespace(run_id="child")


class _Instance:
    def get_run_by_id(self, run_id):
        return SimpleNamespace(parent_run_id=PARENTS[run_id])


@pytest.mark.parametrize(("written_by", "instance", "found"), [
    ("child", _Instance(), True),  # the publishing run linked
    ("parent", _Instance(), True),  # re-executed: the parent's frame
    ("parent", None, False),  # no instance at hand: not found (the check falls back)
    ("other", _Instance(), False),  # another run's frame is never read
])
def test_the_published_runs_person_links(tmp_path: Path, written_by: str, instance,
                                         found: bool) -> None:
    path = tmp_path / RUNS_FOLDER / written_by / "person_links" / COUNTY / f"{MONTH}.parquet"
    path.parent.mkdir(parents=True)
    pl.DataFrame({"record_id": ["f|s|2"], "record_key": ["k1"], "person_id": ["P1"]}
                 ).write_parquet(path)
    links = _published_links(_Store(), tmp_path, COUNTY, MONTH, instance)
    assert (links is not None) == found
    if found:
        assert links.to_dicts() == [{"record_id": "f|s|2", "record_key": "k1"}]
