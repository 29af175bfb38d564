"""Incremental nights re-cluster only the touched components (``pipelines.link.regroup``).

Each row changes a small county between night 1 and night 2 in one way that moves people
(a change joining two old people, splitting one, a record gone, a steward decision on a
component no record change touches, ...). Night 2 links incrementally on night 1's state
and must give exactly the pairs, statuses, people and person ids of a full night with the
kept model, while clustering again only part of the records. Person ids are checked with
both kinds of previous ids: last night's output, and a month's map both nights share.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from sanji_link_frames import background, frame, record, valid_id

from pipelines.link import LinkSettings, ids, link_records, record_keys_of, regroup
from pipelines.link.incremental import LinkState

DAY = date(2026, 10, 20)
A = valid_id("19800101", "123")
A2 = valid_id("19800101", "456")
C = valid_id("19650707", "222")
D = valid_id("19720303", "333")


def _county() -> list[dict]:
    return [
        *background(40),
        record(0, "欧阳娜娜", A, "1980-01-01", extract="enrolment"),
        record(1, "欧阳娜娜", A, "1980-01-01", extract="doctor_contract"),
        record(2, "欧阳娜娜", None, "1980-01-01", extract="death"),
        record(3, "司马光明", C, "1965-07-07", extract="enrolment", sex="女"),
        record(4, "司马光明", C, "1965-07-07", extract="doctor_contract", sex="女"),
        record(5, "诸葛亮亮", D, "1972-03-03", extract="enrolment"),
        record(6, "诸葛亮", None, None, extract="settlement", village="410526108208"),
    ]


def _row(rows: list[dict], extract: str, n: int) -> int:
    return next(k for k, r in enumerate(rows) if r["record_id"] == f"{extract}.csv||{n + 2}")


def _set(rows: list[dict], extract: str, n: int, **change) -> list[dict]:
    k = _row(rows, extract, n)
    return [*rows[:k], rows[k] | change, *rows[k + 1:]]


def _without(rows: list[dict], extract: str, n: int) -> list[dict]:
    k = _row(rows, extract, n)
    return rows[:k] + rows[k + 1:]


def _decision(result, id_l: str, id_r: str, decision: str) -> pl.DataFrame:
    keys = dict(result.links.select("record_id", "record_key").iter_rows())
    return pl.DataFrame({"record_key_l": [keys[id_l]], "record_key_r": [keys[id_r]],
                         "decision": [decision], "decided_by": ["王芳"],
                         "decided_at": ["2026-10-21 09:00:00"]})


def _night1_apart() -> list[dict]:
    """Night 1: the doctor_contract row of 欧阳娜娜 lacks its ID and has a typo."""
    return _set(_county(), "doctor_contract", 1, id_number=None, id_raw=None, id_valid=False,
                name="欧阳娜", name_pinyin="ouyangna", birth_date=None)


SAME = "enrolment.csv||2"  # 欧阳娜娜's enrolment row, in every night's people
CHANGES = [
    {"description": "a changed record joins two old people",
     "night1": _night1_apart, "night2": lambda first: (_county(), None),
     "together": [("enrolment.csv||2", "doctor_contract.csv||3")]},
    {"description": "a changed ID splits an old person",
     "night1": _county,
     "night2": lambda first: (_set(_county(), "doctor_contract", 1, id_number=A2, id_raw=A2),
                              None),
     "apart": [("enrolment.csv||2", "doctor_contract.csv||3")]},
    {"description": "a record gone leaves the rest of its person",
     "night1": _county, "night2": lambda first: (_without(_county(), "enrolment", 0), None),
     "together": [("doctor_contract.csv||3", "death.csv||4")]},
    {"description": "a steward no-link on an untouched person",
     "night1": _county,
     "night2": lambda first: (_county(), _decision(first, "enrolment.csv||5",
                                                   "doctor_contract.csv||6", "no_link")),
     "apart": [("enrolment.csv||5", "doctor_contract.csv||6")]},
    {"description": "a steward link joining two untouched people",
     "night1": _county,
     "night2": lambda first: (_county(), _decision(first, "settlement.csv||8",
                                                   "enrolment.csv||7", "link")),
     "together": [("settlement.csv||8", "enrolment.csv||7")]},
    {"description": "a new record far from everyone",
     "night1": _county,
     "night2": lambda first: ([*_county(), record(9, "上官婉儿", None, "1990-09-09")], None),
     "together": []},
]
PREVIOUS = ["last night's output", "a month's map", "none (a county's first month)"]


def _people(result) -> pl.DataFrame:
    return result.links.select("record_id", "person_id").sort("record_id")


def _pairs(result) -> pl.DataFrame:
    return result.pairs.drop("explain").sort("record_id_l", "record_id_r")


def _nights(change: dict, previous: str):
    """Night 1 in full, night 2 incremental and night 2 in full with the kept model."""
    rows1 = change["night1"]()
    month = None
    if previous == "a month's map":  # last month: without the last background person
        month = link_records(frame(_without(rows1, "chronic_followup", 1039)), today=DAY).id_map
    first = link_records(frame(rows1), previous_ids=month, today=DAY)
    rows2, decisions = change["night2"](first)
    prev = None if previous.startswith("none") else first.id_map if month is None else month
    inc = link_records(frame(rows2), state=first.state, previous_ids=prev, decisions=decisions,
                       today=DAY)
    bare = LinkState(first.state.model, first.state.records.head(0), first.state.pairs.head(0))
    full = link_records(frame(rows2), settings=LinkSettings(refit_new_share=1.0), state=bare,
                        previous_ids=prev, decisions=decisions, today=DAY)
    night3 = (rows2, decisions, None if prev is None else inc.id_map if month is None else month)
    return first, inc, full, night3


@pytest.mark.parametrize("previous", PREVIOUS)
@pytest.mark.parametrize("change", CHANGES, ids=[c["description"] for c in CHANGES])
def test_reclustering_touched_components_gives_a_full_nights_people(change, previous) -> None:
    first, inc, full, (rows3, decisions3, prev3) = _nights(change, previous)
    assert inc.stats["link_mode"] == "incremental", inc.stats["link_mode_reason"]
    assert 0 < inc.stats["records_reclustered"] < inc.links.height / 2  # reuse did happen
    assert full.stats["records_reclustered"] == full.links.height
    assert _pairs(inc).equals(_pairs(full))
    assert _people(inc).equals(_people(full))
    person = dict(inc.links.select("record_id", "person_id").iter_rows())
    before = dict(first.links.select("record_id", "person_id").iter_rows())
    for left, right in change.get("together", []):
        assert person[left] == person[right], (left, right)
    for left, right in change.get("apart", []):
        assert person[left] != person[right], (left, right)
        assert before[left] == before[right]  # the change did split them
    # a night after the incremental one, nothing changed: all its people are reused
    again = link_records(frame(rows3), state=inc.state, previous_ids=prev3,
                         decisions=decisions3, today=DAY)
    assert again.stats["records_reclustered"] == 0
    assert _people(again).equals(_people(inc))
    assert _pairs(again).equals(_pairs(inc))


def _named_again(monkeypatch) -> list[int]:
    """Count the calls naming clusters the long way (``ids.person_ids_of``)."""
    calls, named = [], ids.person_ids_of
    monkeypatch.setattr(ids, "person_ids_of", lambda *a: calls.append(1) or named(*a))
    return calls


def test_without_previous_ids_untouched_clusters_keep_their_plain_ids(monkeypatch) -> None:
    """No previous ids (a county's first month): an untouched cluster keeps its id without
    naming every cluster again."""
    rows1 = _county()
    first = link_records(frame(rows1), today=DAY)
    assert first.state.model["people"]["salted"] == []
    rows2 = [*rows1, record(9, "上官婉儿", None, "1990-09-09")]
    calls = _named_again(monkeypatch)
    inc = link_records(frame(rows2), state=first.state, today=DAY)
    assert not calls and inc.state.model["people"]["salted"] == []
    bare = LinkState(first.state.model, first.state.records.head(0), first.state.pairs.head(0))
    full = link_records(frame(rows2), settings=LinkSettings(refit_new_share=1.0), state=bare,
                        today=DAY)
    assert _people(inc).equals(_people(full))
    assert inc.links["person_id"].head(len(rows1)).equals(first.links["person_id"])


NEW = record(9, "上官婉儿", None, "1990-09-09")
CLASHES = [  # (which cluster's plain id is made to clash, night 2's rows, named again)
    ("a new cluster with a kept id", "new", lambda rows: [*rows, NEW], True),
    ("two untouched clusters, last night", "old", lambda rows: [*rows, NEW], False),
    ("a clash last night, one side changed", "old",
     lambda rows: _set(rows, "enrolment", 5, household_id="H9"), True),
]


@pytest.mark.parametrize(("clash", "who", "night2", "again"), CLASHES,
                         ids=[c[0] for c in CLASHES])
def test_without_previous_ids_a_clash_gives_a_full_nights_ids(monkeypatch, clash, who, night2,
                                                               again) -> None:
    """Two clusters whose plain ids clash: the later (by smallest key) is salted on a full
    night. A new cluster clashing with a kept id, or a change to a cluster of last night's
    clash, names every cluster again; a clash among untouched clusters keeps their ids."""
    rows1 = _county()
    rows2 = night2(rows1)
    keys = record_keys_of(frame([*rows1, NEW]))["record_key"]
    plain = ids.plain_ids
    target = plain(pl.Series([keys[len(rows1) - 1]]))[0]  # 诸葛亮's settlement row's
    clashing = keys[-1] if who == "new" else keys[len(rows1) - 2]  # 诸葛亮亮's enrolment
    monkeypatch.setattr(ids, "plain_ids", lambda k: plain(k).zip_with(
        k != clashing, pl.Series([target] * len(k))))
    first = link_records(frame(rows1), today=DAY)
    assert (first.state.model["people"]["salted"] == []) is (who == "new")
    calls = _named_again(monkeypatch)
    inc = link_records(frame(rows2), state=first.state, today=DAY)
    assert bool(calls) is again
    bare = LinkState(first.state.model, first.state.records.head(0), first.state.pairs.head(0))
    full = link_records(frame(rows2), settings=LinkSettings(refit_new_share=1.0), state=bare,
                        today=DAY)
    assert _people(inc).equals(_people(full))
    assert inc.state.model["people"]["salted"] == full.state.model["people"]["salted"]
    per = full.links.group_by("person_id").agg(pl.len(), pl.col("cluster_size").first())
    assert per["len"].equals(per["cluster_size"].cast(pl.UInt32))  # the clash salted apart


def test_reordered_records_are_clustered_again_whole() -> None:
    """The constrained union-find breaks weight ties by position: rows in another order are
    not reused (every record is clustered again), and still give a full night's people."""
    rows = _county()
    first = link_records(frame(rows), today=DAY)
    inc = link_records(frame(rows[::-1]), state=first.state, previous_ids=first.id_map,
                       today=DAY)
    assert inc.stats["link_mode"] == "incremental"
    assert inc.stats["records_reclustered"] == len(rows)
    same = dict(first.links.select("record_id", "person_id").iter_rows())
    assert dict(inc.links.select("record_id", "person_id").iter_rows()) == same


def test_spread_reaches_every_record_of_a_seeded_component() -> None:
    a, b = np.array([0, 1, 4, 6]), np.array([1, 2, 5, 7])  # 0-1-2, 3, 4-5, 6-7
    seed = np.zeros(8, dtype=bool)
    seed[[2, 5]] = True
    got = regroup.spread(seed, a, b)
    assert np.flatnonzero(got).tolist() == [0, 1, 2, 4, 5]


def test_other_thresholds_cluster_everything_again() -> None:
    rows = _county()
    first = link_records(frame(rows), today=DAY)
    s = LinkSettings.from_mapping({"assign_margin": 5.0})
    inc = link_records(frame(rows), settings=s, state=first.state, previous_ids=first.id_map,
                       today=DAY)
    assert inc.stats["link_mode"] == "incremental"
    assert inc.stats["records_reclustered"] == len(rows)


def _kept_graph() -> regroup.Kept:
    """Last night: records 0..5; pairs 0-1, 1-2 (linked), 3-4 (linked), 4-5 (rejected, both
    with a valid ID: not in the people graph)."""
    records = pl.DataFrame({"one_list": pl.Series([7] * 6, dtype=pl.UInt64)})
    pairs = pl.DataFrame({"k_l": pl.Series([0, 1, 3, 4], dtype=pl.UInt32),
                          "k_r": pl.Series([1, 2, 4, 5], dtype=pl.UInt32),
                          "status": pl.Series([8, 8, 8, 2], dtype=pl.UInt8)})
    state = LinkState({}, records, pairs)
    k2i = np.arange(6)
    return regroup.Kept(state, k2i, k2i.copy())


LINKED, REJECTED_H, REJECTED = 8, 10, 2
GRAPH_CHANGES = [
    {"description": "nothing changed", "expected": []},
    {"description": "a changed record: its whole component", "changed": [2],
     "expected": [0, 1, 2]},
    {"description": "a pair's status changed (a decision)", "status": {1: REJECTED_H},
     "expected": [0, 1, 2]},
    {"description": "a new pair joins two components", "new": (2, 3, LINKED),
     "expected": [0, 1, 2, 3, 4]},
    {"description": "a pair leaves the people graph", "status": {2: REJECTED},
     "expected": [3, 4]},
    {"description": "a pair outside the people graph changes", "status": {3: REJECTED + 1},
     "expected": []},
    {"description": "a record gone: the rest of its component", "gone": 0,
     "expected": [1, 2]},
    {"description": "a one-row list changed", "one_list": 5, "expected": [5]},
]


@pytest.mark.parametrize("change", GRAPH_CHANGES, ids=[c["description"] for c in GRAPH_CHANGES])
def test_touched_components(change: dict) -> None:
    kept = _kept_graph()
    il, ir = np.array([0, 1, 3, 4]), np.array([1, 2, 4, 5])
    rows, now = np.arange(4), np.array([8, 8, 8, 2], dtype=np.uint8)
    one_list = np.full(6, 7, dtype=np.uint64)
    for k in change.get("changed", []):
        kept.i2k[k], kept.k2i[k] = -1, -1
        rows[(il == k) | (ir == k)] = -1
    for row, code in change.get("status", {}).items():
        now[row] = code
    if "new" in change:
        a, b, code = change["new"]
        il, ir = np.append(il, a), np.append(ir, b)
        rows, now = np.append(rows, -1), np.append(now, np.uint8(code))
    if "one_list" in change:
        one_list[change["one_list"]] = 9
    if "gone" in change:  # tonight's records are last night's 1..5, at 0..4
        kept.k2i = np.array([-1, 0, 1, 2, 3, 4])
        kept.i2k = np.array([1, 2, 3, 4, 5])
        il, ir, rows, now = il[1:] - 1, ir[1:] - 1, rows[1:], now[1:]
        one_list = one_list[1:]
        expected = [i - 1 for i in change["expected"]]
    else:
        expected = change["expected"]
    scored = pl.DataFrame({"i_l": il, "i_r": ir})
    got = regroup.touched(kept, rows, now.astype(np.uint8), scored, one_list)
    assert np.flatnonzero(got).tolist() == expected


FLOOR_CASES = [  # default settings: floor = min(3 - 3, 1 - 4) = -3 bits
    {"description": "linked pair of two valid IDs", "valid": (True, True), "w": 20.0,
     "status": "linked", "in_graph": True},
    {"description": "rejected pair of two valid IDs", "valid": (True, True), "w": 2.0,
     "status": "rejected", "in_graph": False},
    {"description": "a steward's no-link", "valid": (True, True), "w": -30.0,
     "status": "decided_no_link", "in_graph": True},
    {"description": "a side without ID, at the floor", "valid": (True, False), "w": -3.0,
     "status": "rejected", "in_graph": True},
    {"description": "a side without ID, below the floor", "valid": (False, True), "w": -3.5,
     "status": "rejected", "in_graph": False},
    {"description": "a side without ID, uncertain", "valid": (False, False), "w": 1.0,
     "status": "uncertain", "in_graph": True},
]


@pytest.mark.parametrize("case", FLOOR_CASES, ids=[c["description"] for c in FLOOR_CASES])
def test_the_people_graph_holds_what_the_exclusivity_step_can_read(case: dict) -> None:
    assert regroup.floor(LinkSettings()) == -3.0
    scored = pl.DataFrame({"i_l": [0], "i_r": [1], "match_weight": [case["w"]],
                           "status": [case["status"]]})
    code = regroup.codes(scored, np.array(case["valid"]), LinkSettings())[0]
    assert bool(code & regroup.IN_H) == case["in_graph"]
    assert int(code) % regroup.IN_H == regroup.STATUS_CODES[case["status"]]
    off = LinkSettings.from_mapping({"assign_margin": 0, "ambiguous_margin": 0})
    assert regroup.floor(off) == np.inf  # both steps off: only linked and decided pairs


def test_keys_given_or_worked_out_by_the_linker_give_the_same_night() -> None:
    """The link asset passes the record keys only when the decisions.csv check needs them;
    the linker's own (from the records it types) are the same, and so is the night."""
    first = link_records(frame(_county()), today=DAY)
    records = frame([*_county(), NEW])
    inside = link_records(records, state=first.state, today=DAY)
    given = link_records(records, state=first.state, keys=record_keys_of(records, first.state),
                         today=DAY)
    assert inside.links.equals(given.links) and inside.pairs.equals(given.pairs)
    assert inside.state.records.equals(given.state.records)
