"""Incremental nights: the kept model and pair levels give the same people as a full night.

Night 1 links a demo county in full; night 2 sees ~1.5 % more settlement rows, a few people
renamed (which moves how many people hold a name, so pairs of records that did not change
must be scored again too) and a few records gone. The incremental night (kept state) and a full
night that compares every pair with the same kept model must give the same pairs, levels,
weights, statuses, people and person ids.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.link import LinkSettings, link_records, record_evidence
from pipelines.link.incremental import LinkState

DAY = date(2026, 10, 20)


@pytest.fixture(scope="module")
def night1(demo_county):
    county = demo_county(3)
    evidence = record_evidence(county.ingested.tables)
    return county.records, evidence, link_records(county.records, evidence=evidence, today=DAY)


def _night2(records: pl.DataFrame, evidence: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """1.5 % more settlement rows (copies of existing people's), 8 people renamed, 10
    records gone."""
    settled = records.filter(pl.col("extract") == "settlement")
    picks = settled.gather_every(max(1, settled.height * 1000 // (records.height * 15)))
    top = settled["row_number"].max()
    added = picks.with_columns(row_number=pl.int_range(pl.len()) + top + 1).with_columns(
        record_id=pl.col("record_id") + "+" + pl.col("row_number").cast(pl.String))
    more = evidence.join(picks.select("record_id", new=added["record_id"]), on="record_id")
    # one of the two people holding each of a few names is renamed: the other's own pairs
    # (clean records) now agree on a name held by one person, not two
    shared = (records.filter(pl.col("id_valid")).group_by("name")
              .agg(pl.col("id_number").unique().sort()).filter(pl.col("id_number").list.len() == 2)
              .sort("name").head(8))
    renamed = pl.col("id_number").is_in(shared["id_number"].list.first().implode())
    rows = records.with_columns(name=pl.when(renamed).then(pl.col("name") + "明")
                                .otherwise("name"))
    rows = rows.filter(~pl.int_range(pl.len()).is_in(list(range(100, 3100, 300))))
    return (pl.concat([rows, added.cast(records.schema)]),
            pl.concat([evidence, more.with_columns(record_id="new").drop("new")]))


def _people(result) -> pl.DataFrame:
    return result.links.select("record_id", "person_id").sort("record_id")


def _pairs(result) -> pl.DataFrame:
    return result.pairs.drop("explain").sort("record_id_l", "record_id_r")


def _kept_model_full(records, evidence, state, previous, decisions=None):
    """A full night (every pair compared) with the kept model: a state without records."""
    bare = LinkState(state.model, state.records.head(0), state.pairs.head(0))
    return link_records(records, settings=LinkSettings(refit_new_share=1.0), evidence=evidence,
                        state=bare, previous_ids=previous, decisions=decisions, today=DAY)


def test_incremental_night_gives_the_people_of_a_full_night(night1) -> None:
    records, evidence, first = night1
    records2, evidence2 = _night2(records, evidence)
    inc = link_records(records2, evidence=evidence2, state=first.state,
                       previous_ids=first.id_map, today=DAY + timedelta(days=1))
    full = _kept_model_full(records2, evidence2, first.state, first.id_map)
    assert inc.stats["link_mode"] == "incremental", inc.stats["link_mode_reason"]
    assert inc.stats["block_mode"] == "touched blocks only"
    assert full.stats["block_mode"] == "every record"
    assert 0 < inc.stats["pairs_compared"] < 0.2 * inc.pairs.height
    assert full.stats["pairs_kept"] == 0
    assert inc.stats["records_new_or_changed"] > records2.height - records.height
    assert _pairs(inc).equals(_pairs(full))
    assert _people(inc).equals(_people(full))
    assert inc.uncertain.sort("record_id_l", "record_id_r").equals(
        full.uncertain.sort("record_id_l", "record_id_r"))
    assert inc.state.model["fitted_on"] == str(DAY)  # the kept model's day, not tonight's
    # the people the rest of the county was in keep their ids
    kept = _people(first).join(_people(inc), on="record_id", suffix="_now")
    assert kept.filter(pl.col("person_id") != pl.col("person_id_now")).height < 0.01 * kept.height


def test_a_new_steward_decision_applies_on_an_incremental_night(night1) -> None:
    records, evidence, first = night1
    linked = first.pairs.filter(pl.col("status") == "linked").row(0, named=True)
    keys = dict(first.links.select("record_id", "record_key").iter_rows())
    decisions = pl.DataFrame({
        "record_key_l": [keys[linked["record_id_l"]]],
        "record_key_r": [keys[linked["record_id_r"]]],
        "decision": ["no_link"], "decided_by": ["王芳"], "decided_at": ["2026-10-21 09:00:00"],
    })
    inc = link_records(records, evidence=evidence, state=first.state, previous_ids=first.id_map,
                       decisions=decisions, today=DAY)
    assert inc.stats["link_mode"] == "incremental"
    person = dict(inc.links.select("record_id", "person_id").iter_rows())
    assert person[linked["record_id_l"]] != person[linked["record_id_r"]]
    full = _kept_model_full(records, evidence, first.state, first.id_map, decisions)
    assert _people(inc).equals(_people(full))


@pytest.mark.parametrize(("change", "reason"), [
    ({"full": True}, "asked for"),
    ({"settings": LinkSettings(max_block_size=150)}, "other link settings"),
    ({"today": DAY + timedelta(days=7)}, "fitted 7 days ago"),
    ({"settings": LinkSettings(refit_new_share=0.0)}, "new or changed"),
    ({"state": None}, "no kept linkage state"),
])
def test_full_nights(night1, change: dict, reason: str) -> None:
    records, evidence, first = night1
    records2, evidence2 = _night2(records, evidence)
    args = {"state": first.state, "today": DAY, **change}
    result = link_records(records2, evidence=evidence2, previous_ids=first.id_map, **args)
    assert result.stats["link_mode"] == "full"
    assert reason in result.stats["link_mode_reason"]
    assert result.stats["pairs_kept"] == 0
    fitted = DAY + timedelta(days=7) if "today" in change else DAY
    assert result.state.model["fitted_on"] == str(fitted)


def test_state_written_and_read_back(night1, tmp_path) -> None:
    records, evidence, first = night1
    first.state.write(tmp_path / "state")
    assert LinkState.read(tmp_path / "nothing") is None
    back = LinkState.read(tmp_path / "state")
    assert back.records.equals(first.state.records) and back.pairs.equals(first.state.pairs)
    assert back.model == first.state.model
    again = link_records(records, evidence=evidence, state=back, previous_ids=first.id_map,
                         today=DAY)
    assert again.stats["link_mode"] == "incremental"
    assert again.stats["pairs_compared"] == 0
    assert _people(again).equals(_people(first))
    assert _pairs(again).equals(_pairs(first))


@pytest.mark.parametrize("records", [
    pl.DataFrame({"record_key": ["a", "b"]}),
    pl.DataFrame({"own": [1, 2]}, schema={"own": pl.UInt64}),
    pl.DataFrame({"record_key": [], "person": []}, schema={"record_key": pl.String,
                                                            "person": pl.UInt32}),
    pl.DataFrame({"fingerprint": [7, 8], "record_key": ["a", "b"], "person": [0, None],
                  "person_id": ["P1", None], "exact": [True, None]},
                 schema_overrides={"fingerprint": pl.UInt64, "person": pl.UInt32}),
], ids=["text only", "numbers only", "empty", "interleaved"])
def test_the_kept_records_read_back_in_their_column_order(tmp_path, records) -> None:
    """The records' text (parquet) and numbers (Arrow IPC) are kept apart and read back as
    the one frame written: columns in order, types, nulls."""
    pairs = pl.DataFrame({"k_l": [0], "k_r": [1]}, schema={"k_l": pl.UInt32, "k_r": pl.UInt32})
    LinkState({"version": 5}, records, pairs).write(tmp_path)
    back = LinkState.read(tmp_path)
    assert back.records.equals(records) and back.pairs.equals(pairs)


@pytest.mark.parametrize("name", ["records.parquet", "records.arrow", "pairs.arrow"])
def test_a_truncated_state_is_an_error_the_asset_takes_for_unreadable(night1, tmp_path,
                                                                      name) -> None:
    """``kept_run_state`` turns an OSError or a polars error into a full night."""
    first = night1[2]
    first.state.write(tmp_path)
    path = tmp_path / name
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises((OSError, pl.exceptions.PolarsError)):
        LinkState.read(tmp_path)


def test_coding_some_records_with_the_county_facts_kept_equals_counting_again(night1) -> None:
    """An incremental night codes the records of the pairs it compares with the county-wide
    facts the fingerprints counted (name holders, each valid ID's extracts), not again."""
    from dataclasses import fields

    from pipelines.link.coding import code_records, county_facts
    from pipelines.link.linker import prepare_records

    records, evidence, _ = night1
    rec = prepare_records(records, evidence)
    some = np.unique(np.random.default_rng(3).integers(0, rec.height, 400))
    counted = code_records(rec[some], whole=rec)
    read = code_records(rec[some], whole=rec, facts=county_facts(rec)[some])
    assert counted.name_holders.max() > 1 and counted.id_extracts.max() > 0
    for f in fields(counted):
        a, b = getattr(counted, f.name), getattr(read, f.name)
        assert (a.equals(b) if isinstance(a, pl.Series) else np.array_equal(a, b)), f.name


def test_county_facts_by_windows_are_the_counted_tables(night1) -> None:
    """county_facts (windows over the records) gives what holders / _extract_bits count:
    names held by several valid IDs, null names, records without a valid ID."""
    from pipelines.link.coding import _extract_bits, county_facts, holders
    from pipelines.link.linker import prepare_records

    records, evidence, _ = night1
    rec = prepare_records(records, evidence)
    rec = rec.with_columns(name=pl.when(pl.int_range(pl.len()) % 97 == 0).then(None)
                           .otherwise("name"))
    counted = pl.DataFrame({"name_holders": holders(rec, "name", rec["name"]),
                            "pinyin_holders": holders(rec, "name_pinyin", rec["name_pinyin"]),
                            "id_extracts": _extract_bits(rec, rec)["id_extracts"]})
    facts = county_facts(rec)
    assert facts.equals(counted)
    assert facts["name_holders"].max() > 1 and (facts["name_holders"] == 0).sum() > 0
    assert facts.filter(~rec["id_valid"])["id_extracts"].max() == 0
    assert facts["id_extracts"].n_unique() > 3


@pytest.mark.parametrize("k2i", [[0, 1, 2, 3], [0, 1, 3, 4], [0, -1, 2, 3], [1, 0, 2, 3]],
                         ids=["in place", "moved", "one gone", "reordered"])
def test_kept_pairs_of_records_in_place_are_the_pairs_gathered(k2i: list[int]) -> None:
    from pipelines.link.incremental import _moved_pairs, kept_pairs

    pairs = pl.DataFrame({"k_l": [0, 2, 1, 3], "k_r": [1, 3, 3, 0], "rank": [0, 1, 255, 2]},
                         schema={"k_l": pl.UInt32, "k_r": pl.UInt32, "rank": pl.UInt8})
    state = LinkState({}, pl.DataFrame({"record_key": list("abcd")}), pairs)
    at = np.array(k2i)
    got = kept_pairs(state, at)
    assert got.equals(_moved_pairs(state, at))
    assert got.height == (4 if min(k2i) >= 0 else 2)
