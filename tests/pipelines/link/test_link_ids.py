"""Stable record keys and person ids across runs; steward decisions override the model."""

from __future__ import annotations

import polars as pl
import pytest
from sanji_link_frames import background, frame, record, valid_id

from pipelines.link import link_records
from pipelines.link.ids import assign_person_ids, record_keys

A = valid_id("19800101", "123")
C = valid_id("19650707", "222")


def _county() -> list[dict]:
    return [
        *background(30),
        record(0, "欧阳娜娜", A, "1980-01-01", extract="enrolment"),
        record(1, "欧阳娜娜", A, "1980-01-01", extract="doctor_contract"),
        record(2, "欧阳娜娜", None, "1980-01-01", extract="death"),
        record(3, "司马光明", C, "1965-07-07", extract="enrolment", sex="女"),
    ]


def _ids(result) -> dict[str, str]:
    return dict(result.links.select("record_key", "person_id").iter_rows())


def test_record_key_ignores_file_name_and_row_number() -> None:
    rows = _county()
    moved = [
        r
        | {
            "source_file": "new name.csv",
            "row_number": r["row_number"] + 7,
            "record_id": r["record_id"] + "x",
        }
        for r in rows
    ]
    assert record_keys(frame(rows)).to_list() == record_keys(frame(moved)).to_list()
    changed = [*rows[:-1], rows[-1] | {"name": "司马光"}]
    assert record_keys(frame(changed))[-1] != record_keys(frame(rows))[-1]


def test_duplicate_content_gets_distinct_keys() -> None:
    row = record(0, "欧阳娜娜", A, "1980-01-01", extract="chronic_followup")
    keys = record_keys(frame([row, row | {"row_number": 9, "record_id": "x"}]))
    assert keys.n_unique() == 2


def test_same_records_same_ids() -> None:
    first = link_records(frame(_county()))
    second = link_records(frame(_county()), previous_ids=first.id_map)
    fresh = link_records(frame(_county()))
    assert _ids(first) == _ids(second) == _ids(fresh)
    assert all(p.startswith("P") and len(p) == 11 for p in first.links["person_id"])


def test_added_record_keeps_other_ids() -> None:
    first = link_records(frame(_county()))
    added = record(4, "欧阳娜娜", A, "1980-01-01", extract="settlement")
    second = link_records(frame([*_county(), added]), previous_ids=first.id_map)
    before, after = _ids(first), _ids(second)
    assert all(after[k] == v for k, v in before.items())
    new_key = second.links.filter(pl.col("record_id") == added["record_id"])["record_key"].item()
    nana = first.links.filter(pl.col("record_id") == "enrolment.csv||2")["person_id"].item()
    assert after[new_key] == nana


def test_record_inserted_first_moves_no_other_key_or_id() -> None:
    first = link_records(frame(_county()))
    added = record(4, "欧阳娜娜", A, "1980-01-01", extract="settlement")
    second = link_records(frame([added, *_county()]), previous_ids=first.id_map)
    keys_before = dict(first.links.select("record_id", "record_key").iter_rows())
    keys_after = dict(second.links.select("record_id", "record_key").iter_rows())
    assert all(keys_after[r] == k for r, k in keys_before.items())
    before, after = _ids(first), _ids(second)
    assert all(after[k] == v for k, v in before.items())


def test_split_keeps_id_for_larger_part() -> None:
    clusters = pl.DataFrame({"record_key": ["a", "b", "c", "d"], "cluster": [1, 1, 1, 2]})
    previous = pl.DataFrame({"record_key": ["a", "b", "c", "d"], "person_id": ["P1"] * 4})
    out = assign_person_ids(clusters, previous)
    ids = dict(out.select("record_key", "person_id").iter_rows())
    assert ids["a"] == ids["b"] == ids["c"] == "P1"
    assert ids["d"] not in ("P1", None)


def test_merge_keeps_one_old_id_each() -> None:
    clusters = pl.DataFrame({"record_key": ["a", "b", "c"], "cluster": [1, 1, 1]})
    previous = pl.DataFrame({"record_key": ["a", "b", "c"], "person_id": ["P1", "P1", "P2"]})
    out = assign_person_ids(clusters, previous)
    assert out["person_id"].unique().to_list() == ["P1"]


def _decision(result, id_l: str, id_r: str, decision: str) -> pl.DataFrame:
    keys = dict(result.links.select("record_id", "record_key").iter_rows())
    return pl.DataFrame(
        {
            "record_key_l": [keys[id_l]],
            "record_key_r": [keys[id_r]],
            "decision": [decision],
            "decided_by": ["steward"],
            "decided_at": ["2026-01-01T00:00:00"],
        }
    )


def test_steward_no_link_overrides_model() -> None:
    first = link_records(frame(_county()))
    assert (
        first.links.filter(
            pl.col("record_id").str.starts_with("enrolment.csv||2")
            | pl.col("record_id").str.starts_with("death.csv||4")
        )["person_id"].n_unique()
        == 1
    )
    no = _decision(first, "enrolment.csv||2", "death.csv||4", "no_link")
    second = link_records(frame(_county()), decisions=no, previous_ids=first.id_map)
    ids = dict(second.links.select("record_id", "person_id").iter_rows())
    assert ids["enrolment.csv||2"] != ids["death.csv||4"]
    status = second.pairs.filter(
        (pl.col("record_id_l") == "enrolment.csv||2") & (pl.col("record_id_r") == "death.csv||4")
    )["status"]
    assert status.to_list() == ["decided_no_link"]


def test_steward_link_overrides_model() -> None:
    stray = record(5, "区阳娜娜", None, None, extract="settlement", village="410526108208")
    rows = [*_county(), stray]
    first = link_records(frame(rows))
    ids = dict(first.links.select("record_id", "person_id").iter_rows())
    assert ids["settlement.csv||7"] != ids["doctor_contract.csv||3"]
    yes = _decision(first, "settlement.csv||7", "doctor_contract.csv||3", "link")
    second = link_records(frame(rows), decisions=yes)
    ids = dict(second.links.select("record_id", "person_id").iter_rows())
    assert ids["settlement.csv||7"] == ids["doctor_contract.csv||3"] == ids["death.csv||4"]
    assert "decided_link" in second.pairs["status"].to_list()
    decided = second.uncertain.filter(
        pl.col("record_id_l").str.starts_with("settlement")
        | pl.col("record_id_r").str.starts_with("settlement")
    )
    assert "doctor_contract.csv||3" not in decided["record_id_l"].to_list()


def _matched_on_everything(clusters: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Person ids by the one-to-one matching over every cluster (no cluster set aside)."""
    from pipelines.link.ids import _new_ids, _reuse_previous

    clusters = clusters.with_columns(min_key=pl.col("record_key").min().over("cluster"))
    kept = _reuse_previous(clusters, previous)
    fresh = (clusters.select("cluster", "min_key").unique("cluster")
             .join(kept, on="cluster", how="anti").sort("min_key"))
    fresh = fresh.with_columns(person_id=_new_ids(fresh["min_key"], previous["person_id"]))
    ids = pl.concat([kept, fresh.select("cluster", "person_id")])
    return clusters.join(ids, on="cluster").select("record_key", "cluster", "person_id")


def test_unchanged_clusters_set_aside_give_the_ids_of_matching_every_cluster() -> None:
    """Clusters that are exactly a previous person keep its id; splits, merges, records new
    and gone, a person whose record went elsewhere: as the matching over every cluster."""
    previous = pl.DataFrame({
        "record_key": [f"R{k:02d}" for k in range(14)],
        "person_id": ["Pa", "Pa", "Pb", "Pc", "Pc", "Pc", "Pd", "Pe", "Pe", "Pf", "Pg",
                      "Pg", "Ph", "Ph"],
    })
    # Pa unchanged; Pb gains a new record; Pc split 2+1; Pd and Pe merged; Pf unchanged;
    # Pg loses R11 (gone); Ph split into two records alone; R90, R91 new
    clusters = pl.DataFrame({
        "record_key": ["R00", "R01", "R02", "R90", "R03", "R04", "R05", "R06", "R07", "R08",
                       "R09", "R10", "R12", "R13", "R91"],
        "cluster": [0, 0, 1, 1, 2, 2, 3, 4, 4, 4, 5, 6, 0, 7, 8],
    })
    clusters = clusters.with_columns(pl.when(pl.col("record_key") == "R12").then(9)
                                     .otherwise("cluster").alias("cluster"))
    got = assign_person_ids(clusters, previous).sort("record_key")
    assert got.equals(_matched_on_everything(clusters, previous).sort("record_key"))
    ids = dict(got.select("record_key", "person_id").iter_rows())
    assert (ids["R00"], ids["R09"], ids["R02"], ids["R03"]) == ("Pa", "Pf", "Pb", "Pc")
    assert ids["R05"] not in {"Pc"} and ids["R10"] == "Pg"


def _dup(rows: list[dict], n: int) -> list[dict]:
    """Rows plus a copy of row n (same content, another row number)."""
    row = next(r for r in rows if r["row_number"] == n + 2)
    return [*rows, row | {"row_number": 999, "record_id": "settlement.csv||999"}]


KEPT_NIGHTS = {
    "nothing changed": lambda rows: rows,
    "a record renamed": lambda rows: [r | {"name": "欧阳娜"} if r["row_number"] == 2 else r
                                      for r in rows],
    "a copy of a record arrives": lambda rows: _dup(rows, 1000),
    "one of two copies goes": lambda rows: [r for r in rows if r["row_number"] != 999],
    "rows reordered": lambda rows: rows[::-1],
    # every row a place further: no content stands where it stood (none taken by position)
    "a copy arrives first": lambda rows: [_dup(rows, 1000)[-1], *rows],
    # the two copies stand where they stood, their row numbers swapped: numbered again
    "two copies swap rows": lambda rows: [
        r | {"row_number": {1003: 999, 999: 1003}.get(r["row_number"], r["row_number"])}
        for r in rows],
}


@pytest.mark.parametrize("night", list(KEPT_NIGHTS))
def test_keys_reused_from_a_kept_night_are_the_keys_hashed_again(night, monkeypatch) -> None:
    import pipelines.link.ids as ids

    rows1 = _dup(_county(), 1001)  # two copies of one record on night 1
    kept = ids.keys_reusing(frame(rows1), None)
    assert kept["record_key"].equals(record_keys(frame(rows1)).alias("record_key"))
    rows2 = KEPT_NIGHTS[night](rows1)
    hashed = []
    md5 = ids._md5_prefix
    monkeypatch.setattr(ids, "_md5_prefix", lambda text: hashed.append(len(text)) or md5(text))
    got = ids.keys_reusing(frame(rows2), kept)
    monkeypatch.undo()
    assert got["record_key"].to_list() == record_keys(frame(rows2)).to_list()
    assert got["content"].equals(ids.keys_reusing(frame(rows2), None)["content"])
    # each record's kept row holds its content; null only for a content new tonight
    at = got["kept_row"]
    assert kept["content"].gather(at.drop_nulls()).equals(got["content"].filter(at.is_not_null()))
    assert at.null_count() == (~got["content"].is_in(kept["content"].implode())).sum()
    # only contents the kept night did not hold are hashed (a copy takes its original's MD5)
    expected = {"nothing changed": 0, "a record renamed": 1, "a copy of a record arrives": 0,
                "one of two copies goes": 0, "rows reordered": 0,
                "a copy arrives first": 0, "two copies swap rows": 0}[night]
    assert sum(hashed) == expected


@pytest.mark.parametrize("odd", ["\u2205", "a\x1fb"], ids=["null-sign", "separator"])
def test_keys_reused_stay_unique_when_two_contents_write_alike(odd) -> None:
    """Two records whose key texts (``_content``: null written ``∅``, columns joined by
    ``\\x1f``) are alike but whose values differ share an MD5: ``record_keys`` numbers the
    second ``-1``; keys reused from a kept night must too (never two records one key)."""
    import pipelines.link.ids as ids

    plain = record(0, "王芳", None, None, household=None if odd == "\u2205" else "a")
    alike = record(1, "王芳", None, None, household=odd)
    if odd != "\u2205":  # village_code, household_id: "V" + "a\x1fb" and "V\x1fa" + "b"
        plain["household_id"] = odd
        alike |= {"village_code": plain["village_code"] + "\x1fa", "household_id": "b"}
    rows = [plain, alike, *background(3)]
    assert ids._content(frame(rows))[0] == ids._content(frame(rows))[1]  # alike written
    kept = ids.keys_reusing(frame(rows), None)
    got = ids.keys_reusing(frame(rows), kept)
    assert got["record_key"].is_unique().all()
    assert got["record_key"].to_list() == record_keys(frame(rows)).to_list()


CLASH_ORDERS = [  # (clusters' labels in row order, their record keys): the same three people
    ("smallest key first", [0, 0, 1, 2], ["R1", "R4", "R2", "R3"]),
    ("smallest key last", [2, 1, 0, 0], ["R3", "R2", "R4", "R1"]),
    ("labels unlike key order", [7, 3, 3, 5], ["R3", "R1", "R4", "R2"]),
]


@pytest.mark.parametrize(("name", "labels", "keys"), CLASH_ORDERS, ids=[c[0] for c in CLASH_ORDERS])
def test_clashing_new_ids_salt_the_larger_smallest_key_whatever_the_order(
        monkeypatch, name, labels, keys) -> None:
    """Three new clusters whose plain ids all clash: the one with the smallest key keeps it,
    the next ones by smallest key are salted once and twice, whatever the rows' order."""
    from pipelines.link import ids

    monkeypatch.setattr(ids, "plain_ids", lambda k: pl.Series(["Pclash"] * len(k)))
    got, salted = ids.person_ids_of(pl.DataFrame({"record_key": keys, "cluster": labels}),
                                    ids.Previous(None, None))
    by_key = dict(got.select("record_key", "person_id").iter_rows())
    assert by_key["R1"] == by_key["R4"] == "Pclash"
    assert [s[1:] for s in salted] == [[by_key["R2"], 1], [by_key["R3"], 1]]
    assert by_key["R2"] == "P" + ids._digest("R2#1", 10)


@pytest.mark.parametrize("n", [0, 1, 50_000])
def test_md5_prefix_is_each_strings_md5_in_order(n) -> None:
    """DuckDB hashes the strings on several threads: each row keeps its own digest."""
    import hashlib

    from pipelines.link import ids

    text = pl.Series([f"张{k}\x1f{k * 7919 % 100_003}" for k in range(n)], dtype=pl.String)
    want = [hashlib.md5(t.encode()).hexdigest()[:16] for t in text.to_list()]
    assert ids._md5_prefix(text).to_list() == want


EXACT_CASES = [  # (previous person ids of R0, R1; clusters of R0, R1; exactly a previous person)
    ("one person, one cluster", ["Pa", "Pa"], [0, 0], [True, True]),
    ("a member without a previous id", ["Pa", None], [0, 0], [False, False]),
    ("a person split in two", ["Pa", "Pa"], [0, 1], [False, False]),
    ("two persons merged", ["Pa", "Pb"], [0, 0], [False, False]),
    ("two persons, two clusters", ["Pa", "Pb"], [0, 1], [True, True]),
]


@pytest.mark.parametrize(("name", "before", "labels", "exact"), EXACT_CASES,
                         ids=[c[0] for c in EXACT_CASES])
def test_a_cluster_is_exactly_a_previous_person_only_when_it_holds_all_of_it(
        name, before, labels, exact) -> None:
    """``exact``: every record of the cluster had the one previous id, and that person had
    no other record; such a cluster keeps the id (and so does a split's larger part)."""
    from pipelines.link import ids

    previous = pl.DataFrame({"record_key": ["R0", "R1"], "person_id": before},
                            schema={"record_key": pl.String, "person_id": pl.String})
    clusters = pl.DataFrame({"record_key": ["R0", "R1"], "cluster": labels})
    got, _ = ids.person_ids_of(clusters, ids.Previous(previous, None))
    got = got.sort("record_key")
    assert got["exact"].to_list() == exact
    assert got["person_id"][0] == "Pa"
