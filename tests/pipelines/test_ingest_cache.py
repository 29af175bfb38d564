"""The ingest cache: a night with it gives exactly the night without it, and stale entries go.

Each test compares ``ingest_landing`` with a cache folder against ``ingest_landing`` without
one on the same landing: every extract table, the regions, quarantine, field issues,
accounting, files, unrecognised and recognition, row for row and column for column.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.ingest import Ingested, ingest_landing
from pipelines.ingest.cache import CachedGrid, IngestCache

AS_OF = dt.date(2026, 10, 31)
SETTLEMENTS = "医保局_住院结算明细_2026.csv"
INSURED = "医保局_城乡居民参保名单.csv"
REGIONS = "行政区划.csv"


def assert_same(a: Ingested, b: Ingested) -> None:
    """Every output of two ingests is the same, in the same order."""
    assert a.tables.keys() == b.tables.keys()
    for name in a.tables:
        assert_frame_equal(a.tables[name], b.tables[name])
    for part in ("regions", "quarantine", "field_issue", "accounting", "files",
                 "unrecognised", "recognition"):
        assert_frame_equal(getattr(a, part), getattr(b, part))
    assert (a.clinics is None) == (b.clinics is None)
    if a.clinics is not None:
        assert_frame_equal(a.clinics, b.clinics)


def night(landing: Path, folder: Path, as_of: dt.date = AS_OF) -> tuple[Ingested, IngestCache]:
    """One night with the cache folder: the result, and the cache (its hits and misses)."""
    cache = IngestCache(folder)
    result = ingest_landing(landing, as_of=as_of, cache=cache)
    cache.prune()
    return result, cache


def append_lines(path: Path, source: Path, count: int) -> None:
    """Append the first ``count`` data lines of ``source`` (same encoding) to ``path``."""
    lines = source.read_bytes().splitlines(keepends=True)
    path.write_bytes(path.read_bytes() + b"".join(lines[1:1 + count]))


@pytest.fixture
def landing(demo_county, tmp_path: Path) -> Path:
    """A copy of the demo landing, and a later file repeating a few settlements rows."""
    folder = tmp_path / "landing"
    shutil.copytree(demo_county(3).out / "landing", folder)
    copy = folder / "医保局_住院结算明细_补报.csv"
    lines = (folder / SETTLEMENTS).read_bytes().splitlines(keepends=True)
    copy.write_bytes(b"".join(lines[:4]))  # header + 3 rows read before: duplicate_row
    return folder


def test_warm_night_is_the_cold_night(landing: Path, tmp_path: Path) -> None:
    cold = ingest_landing(landing, as_of=AS_OF)
    first, cache = night(landing, tmp_path / "cache")
    assert_same(cold, first)
    assert cache.hits == [] and SETTLEMENTS in cache.misses
    assert "医保局_住院结算明细_补报.csv" not in cache.misses  # its rows repeat another file's
    assert "duplicate_row" in cold.quarantine["check"].to_list()
    second, cache = night(landing, tmp_path / "cache")
    assert_same(cold, second)
    assert SETTLEMENTS in cache.hits and INSURED in cache.hits and cache.misses == []
    assert REGIONS not in cache.hits  # the region table is always read


def test_a_changed_file_is_read_again(landing: Path, tmp_path: Path) -> None:
    night(landing, tmp_path / "cache")
    append_lines(landing / SETTLEMENTS, landing / SETTLEMENTS, 5)  # 5 copies within the file
    warm, cache = night(landing, tmp_path / "cache")
    assert_same(ingest_landing(landing, as_of=AS_OF), warm)
    assert cache.misses == [SETTLEMENTS] and INSURED in cache.hits
    entries = [p for p in (tmp_path / "cache").iterdir() if p.is_dir()]  # and the names file
    assert len(entries) == len(cache.used)  # the old entry went


def test_an_earlier_file_repeating_a_cached_row_reads_it_again(landing: Path,
                                                               tmp_path: Path) -> None:
    night(landing, tmp_path / "cache")
    lines = (landing / INSURED).read_bytes().splitlines(keepends=True)
    (landing / "0_医保局_城乡居民参保名单_补.csv").write_bytes(b"".join(lines[:3]))
    warm, _ = night(landing, tmp_path / "cache")
    cold = ingest_landing(landing, as_of=AS_OF)
    assert_same(cold, warm)
    assert cold.quarantine.filter(source_file=INSURED, check="duplicate_row").height == 2


def test_another_region_table_or_day_invalidates(landing: Path, tmp_path: Path) -> None:
    night(landing, tmp_path / "cache")
    lines = (landing / REGIONS).read_bytes().splitlines(keepends=True)
    (landing / REGIONS).write_bytes(b"".join(lines[:-3]))  # three villages fewer
    warm, cache = night(landing, tmp_path / "cache")
    assert_same(ingest_landing(landing, as_of=AS_OF), warm)
    assert cache.hits == []
    later = dt.date(2027, 1, 31)
    warm, cache = night(landing, tmp_path / "cache", as_of=later)
    assert_same(ingest_landing(landing, as_of=later), warm)
    assert cache.hits == []


def test_a_full_night_reads_every_file_and_renews_the_entries(landing: Path,
                                                             tmp_path: Path) -> None:
    from assets.resources import LandingFolder, resource_config

    night(landing, tmp_path / "cache")
    config = resource_config(storage=tmp_path / "storage", full=True)["resources"]["landing"]
    assert config["config"]["cold"] is True
    assert config["config"]["cache"] == str(tmp_path / "storage" / "ingest-cache")
    cache = LandingFolder(cache=str(tmp_path), cold=True).ingest_cache("411421")
    assert cache.folder == tmp_path / "411421"
    cold = IngestCache(tmp_path / "cache", cold=True)
    result = ingest_landing(landing, as_of=AS_OF, cache=cold)
    assert cold.hits == [] and SETTLEMENTS in cold.misses
    assert_same(ingest_landing(landing, as_of=AS_OF), result)
    warm, cache = night(landing, tmp_path / "cache")
    assert SETTLEMENTS in cache.hits
    assert_same(result, warm)


def _night_with_tables(landing: Path, folder: Path) -> tuple[Ingested, dict[str, Path],
                                                              IngestCache, dict[str, int]]:
    """A night as the ingest asset runs it: each table the cache can name kept as a file
    (``IngestCache.table``); the files and their mtimes."""
    cache = IngestCache(folder)
    result = ingest_landing(landing, as_of=AS_OF, cache=cache)
    lazy = {n for n in result.tables if not result.tables.loaded(n)}
    files = {n: cache.table(n, k, result.tables) for n, k in result.table_keys.items()}
    assert not any(result.tables.loaded(n) for n in lazy)  # linked, never read
    assert lazy == set(cache.tables_reused)
    cache.prune()
    return result, files, cache, {n: p.stat().st_mtime_ns for n, p in files.items()}


def test_an_unchanged_extract_table_is_the_file_an_earlier_night_wrote(
        landing: Path, tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    _, before, _, written = _night_with_tables(landing, folder)
    assert "settlement" not in before  # a later file repeats its rows: that file is never kept
    assert {"enrolment", "doctor_contract", "poverty_roster", "death"} <= set(before)
    append_lines(landing / INSURED, landing / INSURED, 5)  # only the enrolment file changes
    warm, after, cache, rewritten = _night_with_tables(landing, folder)
    cold = ingest_landing(landing, as_of=AS_OF)
    assert_same(cold, warm)  # a table not read yet is read when asked for: the same rows
    assert set(after) == set(before)
    for name, path in after.items():  # table-driven: every extract the cache can name
        assert_frame_equal(pl.read_parquet(path), cold.tables[name])
        unchanged = name != "enrolment"
        assert (path == before[name]) is unchanged, name
        assert (name in cache.tables_reused) is unchanged, name
        if unchanged:  # not written again
            assert rewritten[name] == written[name], name
    assert not before["enrolment"].exists()  # the night did not use it: pruned
    full = IngestCache(folder, cold=True)  # --full writes every table again
    result = ingest_landing(landing, as_of=AS_OF, cache=full)
    again = {n: full.table(n, k, result.tables) for n, k in result.table_keys.items()}
    assert full.tables_reused == [] and again == after
    assert all(again[n].stat().st_mtime_ns != rewritten[n] for n in again)


def test_names_worked_out_on_one_night_are_known_on_the_next(landing: Path, tmp_path: Path,
                                                              monkeypatch) -> None:
    from pipelines.normalise import names

    monkeypatch.setattr(names._Known, "frame", None)  # a fresh process
    night(landing, tmp_path / "cache")
    kept = list((tmp_path / "cache").glob("names-*.arrow"))
    assert len(kept) == 1
    assert_frame_equal(pl.read_ipc(kept[0]), names.known_names())
    assert names.known_names()["name_raw"].is_unique().all()
    append_lines(landing / INSURED, landing / INSURED, 5)  # the file changes, its names don't
    monkeypatch.setattr(names._Known, "frame", None)  # the next night's process

    def nothing_new(raw: pl.Series) -> pl.DataFrame:
        raise AssertionError(f"{raw.len()} names worked out again")

    monkeypatch.setattr(names, "_unique_names", nothing_new)
    warm, cache = night(landing, tmp_path / "cache")
    assert INSURED in cache.misses
    assert_same(ingest_landing(landing, as_of=AS_OF), warm)
    assert list((tmp_path / "cache").glob("names-*.arrow")) == kept
    monkeypatch.undo()
    kept[0].write_bytes(b"not arrow")  # a broken file is as no file: names worked out again
    monkeypatch.setattr(names._Known, "frame", None)
    again, _ = night(landing, tmp_path / "cache")
    assert_same(warm, again)
    assert names.known_names() is not None


def _grid(sheet: str, rows: int) -> CachedGrid:
    table = pl.DataFrame({"row_number": list(range(2, rows + 2)), "name": ["张三"] * rows})
    return CachedGrid(sheet, "death", {"table": table, "accounting": table.head(1)},
                      {"source_file": "a.csv", "sheet": sheet})


@pytest.mark.parametrize("ahead", [(), (0,), (1,), (0, 1)],
                         ids=["none ahead", "first ahead", "second ahead", "all ahead"])
def test_frames_written_ahead_are_the_entry_store_writes(tmp_path: Path, ahead) -> None:
    cache = IngestCache(tmp_path / "cache", context="night")
    grids = [_grid("s1", 3), _grid("s2", 5)]
    for i in ahead:
        cache.write_ahead("a.csv", "d1", i, grids[i])
    cache.write_ahead("b.csv", "d2", 0, _grid("s1", 2))  # a file not stored tonight
    key = cache.store("a.csv", "d1", "regions", grids)
    cache.discard()
    assert sorted(p.name for p in cache.folder.iterdir()) == [key]  # no temporary folder
    entry = cache.load(tmp_path / "a.csv", "a.csv", "d1")
    assert entry is not None and [g.sheet for g in entry.grids] == ["s1", "s2"]
    for got, written in zip(entry.grids, grids, strict=True):
        assert_frame_equal(got.frames["table"].collect(), written.frames["table"])
        assert_frame_equal(got.frames["accounting"], written.frames["accounting"])
        assert got.table_file == written.table_file
