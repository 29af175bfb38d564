"""The previews a steward reads in the UI: N of M rows, masked IDs, place names, fits a screen.

Handmade frames (no run): a rule's mismatches, a few cases with first-seen and status, an
uncertain pair, the township table and the numbers Dagster plots month over month.
"""

from __future__ import annotations

import polars as pl
import pytest

from assets.metadata import (
    pair_preview,
    per_rule,
    same_on_every_row,
    steward_preview,
    township_table,
    trend_numbers,
    with_place_names,
)

V1, V2, T1 = "411421101201", "411421101202", "411421101000"
REGIONS = pl.DataFrame({
    "code": [T1, V1, V2], "name": ["柳林镇", "北洼村", "南洼村"],
    "level": ["township", "village", "village"], "parent_code": [None, T1, T1],
    "township_code": [None, T1, T1], "former_name": [None, None, None]})
PEOPLE = pl.DataFrame({"person_id": ["P1", "P2", "P3"], "name": ["马怡瑶", "宋雪颖", "黄恩东"],
                       "id_number": ["41142119900201032X", "411421199710190868",
                                     "411421200201255454"]})


def _rows(meta) -> list[dict]:
    return [r.data for r in meta["preview"].value.records]


def _columns(meta) -> list[str]:
    return [c.name for c in meta["preview"].value.schema.columns]


def _mismatch(n: int) -> pl.DataFrame:
    return pl.DataFrame({
        "rule": ["dead_but_active"] * n, "rule_zh": ["已死亡仍有效"] * n,
        "person_id": [f"P{1 + i % 3}" for i in range(n)], "case_key": [None] * n,
        "name": [["马怡瑶", "宋雪颖", "黄恩东"][i % 3] for i in range(n)],
        "village_code": [V1 if i % 2 else V2 for i in range(n)], "township_code": [T1] * n,
        "detail": [f"detail {i}" for i in range(n)], "evidence": ["e"] * n,
        "pending_match": [False] * n}, schema_overrides={"case_key": pl.String})


@pytest.mark.parametrize(("rows", "limit", "said"), [
    (40, 10, "10 of 40 rows"), (3, 10, "3 of 3 rows"), (0, 10, "0 of 0 rows")])
def test_a_preview_says_how_many_rows_of_how_many(rows, limit, said):
    meta = steward_preview(_mismatch(rows), regions=REGIONS, people=PEOPLE, limit=limit)
    assert meta["preview_shows"].value.startswith(said)
    assert len(_rows(meta)) == min(rows, limit)


def test_a_mismatch_preview_shows_masked_ids_and_place_names_first():
    meta = steward_preview(_mismatch(4), regions=REGIONS, people=PEOPLE)
    columns = _columns(meta)
    assert columns[:4] == ["name", "id_number", "township_name", "village_name"]
    assert not {"village_code", "township_code"} & set(columns)
    rows = _rows(meta)
    ids = {r["name"]: r["id_number"] for r in rows}
    assert ids["马怡瑶"] == "411421********032X"
    assert {r["village_name"] for r in rows} == {"北洼村", "南洼村"}
    # one township on every row, but kept: where a person lives is part of who they are
    assert {r["township_name"] for r in rows} == {"柳林镇"}


def test_columns_repeated_on_every_row_are_dropped_and_said_once():
    meta = steward_preview(_mismatch(4), regions=REGIONS, people=PEOPLE)
    columns = _columns(meta)
    assert not {"rule", "rule_zh", "evidence", "pending_match", "case_key"} & set(columns)
    assert "evidence" not in meta["preview_shows"].value  # hidden: too long for a screen
    said = meta["preview_shows"].value
    assert "rule = dead_but_active" in said and "pending_match = False" in said
    assert "case_key = (empty)" in said
    # one row: nothing is "the same on every row"
    one = steward_preview(_mismatch(1), regions=REGIONS, people=PEOPLE)
    assert "rule" in _columns(one) and "the same on every row" not in \
        one["preview_shows"].value


def test_who_a_row_is_about_is_never_dropped():
    same_person = _mismatch(3).with_columns(person_id=pl.lit("P1"), name=pl.lit("马怡瑶"))
    assert not {"person_id", "name"} & set(same_on_every_row(same_person))


def test_cases_show_first_seen_and_status_oldest_first():
    cases = _mismatch(3).with_columns(
        case_id=pl.Series(["C000000000a1", "C000000000a2", "C000000000a3"]),
        first_seen=pl.Series(["2026-10", "2026-08", "2026-09"]),
        status=pl.Series(["new", "open", "open"]))
    meta = steward_preview(cases, regions=REGIONS, people=PEOPLE)
    columns = _columns(meta)
    assert columns.index("first_seen") < columns.index("status") < columns.index("detail")
    assert [r["first_seen"] for r in _rows(meta)] == ["2026-08", "2026-09", "2026-10"]


def test_an_uncertain_pair_shows_both_names_key_fields_and_the_explanation_first():
    pairs = pl.DataFrame({
        "record_id_l": ["a.csv||9"], "record_id_r": ["b.csv||116"], "record_key_l": ["k1"],
        "record_key_r": ["k2"], "name_l": ["马怡瑶"], "name_r": ["马怡瑶"],
        "id_masked_l": [None], "id_masked_r": ["411421********032X"],
        "birth_date_l": ["1990-02-11"], "birth_date_r": ["1990-02-01"],
        "village_code_l": [V1], "village_code_r": [V1], "source_file_l": ["a.csv"],
        "source_file_r": ["b.csv"], "match_weight": [2.6], "match_probability": [0.86],
        "explain": ["name exact +13.3 · birth one-part-off -2.8"], "queue_rank": [1]},
        schema_overrides={"id_masked_l": pl.String})
    meta = pair_preview(pairs, REGIONS)
    columns = _columns(meta)
    assert columns[:3] == ["name_l", "name_r", "explain"]
    assert columns[3:9] == ["id_masked_l", "id_masked_r", "birth_date_l", "birth_date_r",
                            "village_name_l", "village_name_r"]
    assert {"record_key_l", "record_key_r"} <= set(columns)
    assert not {"record_id_l", "source_file_l", "village_code_l", "queue_rank"} & set(columns)
    assert _rows(meta)[0]["village_name_l"] == "北洼村"


def test_a_village_code_without_a_township_gets_its_townships_name():
    named = with_place_names(pl.DataFrame({"village_code": [V1, "411421999999"]}), REGIONS)
    assert named.select("village_name", "township_name").rows() == [
        ("北洼村", "柳林镇"), ("411421999999", None)]


def test_numbers_for_trends_cover_every_rule_and_the_county_counts():
    assert per_rule(_mismatch(2), ["dead_but_active", "not_insured"], "mismatches_") == {
        "mismatches_dead_but_active": 2, "mismatches_not_insured": 0}
    county = pl.DataFrame({"registered_total": [36], "contracted": [32], "insured": [30],
                           "cases_new": [3], "cases_open": [5], "contract_rate": [0.9]})
    assert trend_numbers(county) == {"registered_total": 36, "contracted": 32, "insured": 30,
                                     "cases_new": 3, "cases_open": 5}


def test_the_township_table_names_townships_and_their_cases_busiest_first():
    towns = pl.DataFrame({"township_code": ["1", "2"], "township_name": ["柳林镇", "三里乡"],
                          "registered_total": [10, 20], "contract_rate": [0.91234, 0.5],
                          "insured_rate": [1.0, 0.75], "cases_new": [1, 2],
                          "cases_open": [0, 4], "cases_resolved": [3, 0]})
    table = township_table(towns).value
    assert [c.name for c in table.schema.columns] == [
        "township_name", "cases_new", "cases_open", "cases_resolved", "registered_total",
        "contract_rate", "insured_rate"]
    assert [r.data["township_name"] for r in table.records] == ["三里乡", "柳林镇"]
    assert table.records[1].data["contract_rate"] == pytest.approx(0.912)
