"""County facts on an incremental night: counted again only in the groups a change touches,
and always what counting over every record gives (``pipelines.link.facts``)."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.link import facts
from pipelines.link.coding import county_facts
from pipelines.link.incremental import kept_facts

A, B, C, D = ("110101199001011234", "110101199001021234", "110101199001031234",
              "110101199001041234")


def _rec(rows: list[tuple]) -> pl.DataFrame:
    """Prepared-like records: record_key, name, name_pinyin, id_number, id_valid, extract."""
    return pl.DataFrame(rows, schema=["record_key", "name", "name_pinyin", "id_number",
                                      "id_valid", "extract"], orient="row")


NIGHT1 = [
    ("k1", "王芳", "wangfang", A, True, "settlement"),
    ("k2", "王芳", "wangfang", B, True, "roster"),
    ("k3", "王舫", "wangfang", C, True, "settlement"),
    ("k4", "李娜", "lina", A, True, "enrolment"),
    ("k5", "李娜", "lina", None, False, "settlement"),
    ("k6", None, None, D, True, "roster"),
    ("k7", "张伟", "zhangwei", D, False, "enrolment"),
]


def _with(rows: list[tuple], key: str, **changes) -> list[tuple]:
    cols = ["record_key", "name", "name_pinyin", "id_number", "id_valid", "extract"]
    return [tuple({**dict(zip(cols, r, strict=True)), **changes}.values()) if r[0] == key
            else r for r in rows]


NIGHTS = [
    {"description": "nothing changed", "rows": NIGHT1, "recounted": 0},
    {"description": "rows reordered", "rows": NIGHT1[::-1], "recounted": 0},
    {"description": "a holder of 王芳 renamed", "rows": _with(NIGHT1, "k2", name="汪芳"),
     "recounted": None},
    {"description": "an ID found invalid", "rows": _with(NIGHT1, "k1", id_valid=False),
     "recounted": None},
    {"description": "a record gone", "rows": [r for r in NIGHT1 if r[0] != "k3"],
     "recounted": None},
    {"description": "a new holder of 李娜", "rows": [*NIGHT1, ("k8", "李娜", "lina", C, True,
                                                           "roster")], "recounted": None},
    {"description": "a new record without a name or ID",
     "rows": [*NIGHT1, ("k9", None, None, None, False, "roster")], "recounted": 0},
    {"description": "a record's extract changed (its ID's extracts)",
     "rows": _with(NIGHT1, "k4", extract="roster"), "recounted": None},
    # what a new record brings its groups is already there: nothing counted again
    {"description": "a new stay of a known holder (name, pinyin, ID and extract held)",
     "rows": [*NIGHT1, ("k8", "王芳", "wangfang", A, True, "settlement")], "recounted": 0},
    {"description": "a new record without a valid ID under known names",
     "rows": [*NIGHT1, ("k8", "李娜", "lina", B, False, "roster")], "recounted": 0},
    {"description": "a new record of an ID held only without a valid ID",
     "rows": [*NIGHT1, ("k8", "张伟", "zhangwei", D, False, "roster")], "recounted": 0},
    {"description": "a known holder's ID in another extract",
     "rows": [*NIGHT1, ("k8", "王芳", "wangfang", A, True, "roster")], "recounted": None},
    {"description": "a name no clean record has",
     "rows": [*NIGHT1, ("k8", "赵敏", "zhaomin", None, False, "roster")], "recounted": None},
    {"description": "a new stay of a known holder, another record gone",
     "rows": [*[r for r in NIGHT1 if r[0] != "k5"],
              ("k8", "李娜", "lina", A, True, "settlement")], "recounted": None},
]


@pytest.mark.parametrize("night", NIGHTS, ids=[n["description"] for n in NIGHTS])
def test_facts_reused_are_the_facts_counted_again(night, monkeypatch) -> None:
    before = _rec(NIGHT1)
    extracts = facts.extracts_of(_rec(NIGHT1 + [r for r in night["rows"] if r[0] == "k8"]))
    kept = pl.concat([before.select("record_key", own=facts.own_hashes(before)),
                      facts.group_hashes(before),
                      county_facts(before, extracts).cast(pl.UInt32)], how="horizontal")
    now = _rec(night["rows"])
    counted = []
    real = facts.county_facts
    monkeypatch.setattr(facts, "county_facts",
                        lambda part, *a: counted.append(part.height) or real(part, *a))
    k2i = facts.matched(kept, now["record_key"], facts.own_hashes(now))
    got = facts.facts_reusing(now, kept, k2i, facts.group_hashes(now))
    monkeypatch.undo()
    assert got.equals(county_facts(now, extracts))
    if night["recounted"] is not None:
        assert sum(counted) == night["recounted"]
    else:  # only the touched groups, never every record three times
        assert 0 < sum(counted) < 3 * now.height


def test_matched_needs_the_key_and_the_own_hash() -> None:
    before = _rec(NIGHT1)
    kept = before.select("record_key", own=facts.own_hashes(before))
    now = _rec(_with(NIGHT1, "k2", name="汪芳")[::-1])
    k2i = facts.matched(kept, now["record_key"], facts.own_hashes(now))
    keys = now["record_key"].to_list()
    assert [keys[i] if i >= 0 else None for i in k2i] == ["k1", None, "k3", "k4", "k5", "k6",
                                                         "k7"]


COPIES = [("k10", "赵敏", "zhaomin", None, False, "settlement"),
          ("k10-1", "赵敏", "zhaomin", None, False, "settlement")]  # one content twice
MATCH_NIGHTS = {
    "renamed and reordered": _with(NIGHT1, "k2", name="汪芳")[::-1],
    "two copies stay, reordered": [*COPIES[::-1], *NIGHT1],
    "one of two copies goes": [*NIGHT1, COPIES[0]],
    "a copy renumbered (the first goes)": [*NIGHT1, ("k10", *COPIES[1][1:])],
    # every record at its kept row (compared in place), one of them under another key
    "a key changed in place": _with(NIGHT1, "k3", record_key="k3x"),
}


def _content_rows(kept: pl.DataFrame, now: pl.DataFrame, pick: str) -> pl.Series:
    """Per record tonight a kept row of its content (what ``ids.keys_reusing`` gives as
    ``kept_row``): the first or the last of its copies."""
    cols = ["name", "name_pinyin", "id_number", "id_valid", "extract"]
    held = kept.with_row_index("row").unique(cols, keep=pick, maintain_order=True)
    return now.join(held.select(*cols, "row"), on=cols, how="left", nulls_equal=True,
                    maintain_order="left")["row"]


@pytest.mark.parametrize("pick", ["first", "last"])
@pytest.mark.parametrize("night", list(MATCH_NIGHTS))
def test_matched_by_the_rows_of_contents_is_matched_by_a_join(night, pick) -> None:
    """Checking the kept row of a record's content by position (copies and the rest joined)
    matches exactly the records a join on key and own hash matches."""
    before = _rec([*NIGHT1, *COPIES])
    kept = before.select("record_key", "name", "name_pinyin", "id_number", "id_valid",
                         "extract", own=facts.own_hashes(before))
    now = _rec(MATCH_NIGHTS[night])
    own = facts.own_hashes(now)
    joined = facts.matched(kept, now["record_key"], own)
    got = facts.matched(kept, now["record_key"], own, _content_rows(kept, now, pick))
    assert got.tolist() == joined.tolist()
    assert (joined >= 0).sum() >= len(NIGHT1) - 1  # most records matched
    wrong = pl.Series([kept.height + 5] * now.height, dtype=pl.UInt32)  # another state's rows
    assert facts.matched(kept, now["record_key"], own, wrong).tolist() == joined.tolist()


KEPT_STATES = [
    {"description": "this version, the same extracts", "model": {}, "usable": True},
    {"description": "another extract tonight (the bits renumbered)",
     "model": {"extracts": ["roster", "settlement"]}, "usable": False},
    {"description": "an older state version", "model": {"version": 2}, "usable": False},
    {"description": "another polars", "model": {"polars": "0.0.1"}, "usable": False},
]


@pytest.mark.parametrize("case", KEPT_STATES, ids=[c["description"] for c in KEPT_STATES])
def test_kept_facts_only_from_a_state_that_numbers_them_alike(case) -> None:
    from pipelines.link.incremental import KEPT_FACTS, STATE_VERSION, LinkState

    rec = _rec(NIGHT1)
    records = pl.concat([rec.select("record_key", own=facts.own_hashes(rec)),
                         facts.group_hashes(rec), county_facts(rec).cast(pl.UInt32)],
                        how="horizontal")
    model = {"version": STATE_VERSION, "polars": pl.__version__,
             "extracts": facts.extracts_of(rec), **case["model"]}
    got = kept_facts(LinkState(model, records, pl.DataFrame()), rec)
    assert (got is not None) == case["usable"]
    if got is not None:
        assert got.columns == ["record_key", *KEPT_FACTS]
