"""Evidence beyond the common columns, end to end, and the steward queue's ranking."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from sanji_link_frames import background, frame, record, valid_id

from pipelines.link import LinkSettings, link_records, record_evidence
from pipelines.link.evidence import EVIDENCE_COLUMNS
from pipelines.link.queue import SETTLED, impact, one_per_decision, outweighed, rank

A = valid_id("19800101", "123")
B = valid_id("19750505", "245")


def _evidence(rows: list[tuple[dict, dict]]) -> pl.DataFrame:
    """record_id plus evidence columns from (record, {column: value}) pairs."""
    data = []
    for rec, ev in rows:
        item = {"record_id": rec["record_id"], **{c: None for c in EVIDENCE_COLUMNS}}
        for column, value in ev.items():
            item[column] = dt.date.fromisoformat(value) if column.endswith("_date") else value
        data.append(item)
    return pl.DataFrame(data, schema={"record_id": pl.String, **EVIDENCE_COLUMNS})


def _person(result, rec: dict) -> str:
    return result.links.filter(pl.col("record_id") == rec["record_id"])["person_id"].item()


def _settlement(n: int, name: str, sex: str = "男") -> dict:
    """A settlement row as the insurance platform sends it: name, sex, no ID, no birth date,
    no village."""
    return record(n, name, None, None, extract="settlement", village=None, sex=sex)


def test_settlement_without_id_joins_the_only_holder_of_its_name() -> None:
    holder = record(0, "欧阳明轩", A, "1980-01-01", extract="enrolment")
    stay = _settlement(1, "欧阳明轩")
    result = link_records(frame([*background(40), holder, stay]))
    assert _person(result, holder) == _person(result, stay)
    assert "name_frequency one-holder" in result.pairs["explain"].str.join(" ").item()


def test_settlement_without_id_between_two_holders_waits_with_ranked_candidates() -> None:
    one = record(0, "欧阳明轩", A, "1980-01-01", extract="enrolment")
    two = record(1, "欧阳明轩", B, "1975-05-05", extract="enrolment", village="410526102201")
    stay = _settlement(2, "欧阳明轩")
    # a tiny county fits a weak model: widen the review band so the pairs wait for a steward
    wide = LinkSettings(review_weight=-20.0)
    result = link_records(frame([*background(40), one, two, stay]), wide)
    assert _person(result, stay) not in {_person(result, one), _person(result, two)}
    cands = result.candidates.filter(pl.col("record_id") == stay["record_id"])
    assert cands["rank"].to_list()[:2] == [1, 2]
    assert {_person(result, one), _person(result, two)} <= set(cands["person_id"])
    assert result.stats["queue"]["records_without_id_to_place"] == 1


def test_a_woman_settlement_never_joins_the_man_holding_her_name() -> None:
    holder = record(0, "欧阳明轩", A, "1980-01-01", extract="enrolment", sex="男")
    stay = _settlement(1, "欧阳明轩", sex="女")
    result = link_records(frame([*background(40), holder, stay]))
    assert _person(result, holder) != _person(result, stay)


@pytest.mark.parametrize(("admission", "higher"), [("2026-03-20", True), ("2027-09-01", False)])
def test_settlement_at_the_ledger_hospital_in_the_window_weighs_more(
    admission: str, higher: bool
) -> None:
    case = record(0, "李桂兰", None, "1950-02-02", extract="illness_ledger")
    stay = _settlement(1, "李桂兰", sex="女")
    holder = record(2, "李桂兰", A, "1950-02-02", extract="enrolment", sex="女")
    rows = [*background(40), case, stay, holder]
    ev = _evidence([(case, {"hospital": "县人民医院", "diagnosis_date": "2026-03-01"}),
                    (stay, {"hospital": "清河县人民医院", "admission_date": admission})])
    result = link_records(frame(rows), evidence=ev)
    pair = result.pairs.filter(
        (pl.col("record_id_l") == case["record_id"]) & (pl.col("record_id_r") == stay["record_id"])
    )
    label = "hospital in-treatment-window" if higher else "hospital same-hospital"
    assert label in pair["explain"].item()
    window = result.stats["model"]["hospital"]["in-treatment-window"]["weight"]
    same = result.stats["model"]["hospital"]["same-hospital"]["weight"]
    assert window > same


def test_follow_up_without_village_is_placed_by_its_clinic() -> None:
    home = record(0, "赵春生", A, "1960-06-06", extract="enrolment", village="410526101201")
    home["village_raw"] = "虹光村"
    visit = record(1, "赵春生", None, "1960-06-06", extract="chronic_followup", village=None)
    elsewhere = record(2, "赵春生", None, "1960-06-06", extract="chronic_followup", village=None)
    other = record(3, "钱多多", B, "1975-05-05", extract="enrolment", village="410526105203")
    other["village_raw"] = "金湾村"
    ev = _evidence([(visit, {"clinic": "虹光村卫生室"}), (elsewhere, {"clinic": "金湾村卫生室"})])
    result = link_records(frame([*background(40), home, visit, elsewhere, other]), evidence=ev)
    explain = dict(result.pairs.select("record_id_r", "explain").iter_rows())
    assert "clinic clinic-in-village" in explain[visit["record_id"]]
    assert "clinic clinic-elsewhere" in explain[elsewhere["record_id"]]
    assert _person(result, home) == _person(result, visit)


def test_twins_sharing_a_household_head_never_merge() -> None:
    twin_a = record(0, "王子涵", A, "2010-01-01", extract="poverty_roster", household="H1")
    twin_b = record(1, "王子轩", valid_id("20100101", "135"), "2010-01-01",
                    extract="poverty_roster", household="H1")
    a_help = record(2, "王子涵", None, "2010-01-01", extract="assistance")
    b_help = record(3, "王子轩", None, "2010-01-01", extract="assistance")
    ev = _evidence([(r, {"head_name": "王建国"}) for r in (twin_a, twin_b, a_help, b_help)])
    result = link_records(frame([*background(40), twin_a, twin_b, a_help, b_help]), evidence=ev)
    assert _person(result, twin_a) != _person(result, twin_b)
    assert _person(result, a_help) == _person(result, twin_a)
    assert _person(result, b_help) == _person(result, twin_b)


def test_record_evidence_takes_each_extracts_fields() -> None:
    roster = pl.DataFrame({"record_id": ["r1"], "head_name": ["李建国"]})
    ledger = pl.DataFrame({"record_id": ["l1"], "hospital": ["县人民医院"],
                           "diagnosis_date": [dt.date(2026, 3, 1)]})
    followup = pl.DataFrame({"record_id": ["f1"], "clinic": ["虹光村卫生室"]})
    ev = record_evidence({"poverty_roster": roster, "illness_ledger": ledger,
                          "chronic_followup": followup}).sort("record_id")
    assert ev.columns == ["record_id", *EVIDENCE_COLUMNS]
    assert ev.row(0, named=True)["clinic"] == "虹光村卫生室"
    assert ev.row(1, named=True)["diagnosis_date"] == dt.date(2026, 3, 1)
    assert ev.row(2, named=True)["head_name"] == "李建国"


def _joined(rec: pl.DataFrame, ev: pl.DataFrame) -> pl.DataFrame:
    """What ``_found`` gives by the plain join: each record its id's first evidence row."""
    first = ev.unique("record_id", keep="first", maintain_order=True)
    return rec.select("record_id").join(first, on="record_id", how="left",
                                        maintain_order="left").drop("record_id")


# (case, record ids, evidence ids in their order, taken by position): every case's evidence
# as the join gives it; the records' extracts: a and b of one, c of a second, d of a third
FOUND_CASES = [
    ("aligned: taken by position", ["a", "b", "c", "d"], ["a", "b", "c", "d"], True),
    ("an extract without evidence left out", ["a", "b", "c", "d"], ["a", "b", "d"], True),
    ("only one extract has evidence", ["a", "b", "c", "d"], ["c"], True),
    ("part of an extract left out", ["a", "b", "c", "d"], ["a", "c", "d"], False),
    ("another order", ["a", "b", "c", "d"], ["d", "c", "b", "a"], False),
    ("an id twice, aligned", ["a", "b", "b", "d"], ["a", "b", "b", "d"], False),
    ("an id twice in the evidence only", ["a", "b", "c", "d"], ["a", "b", "b", "d"], False),
    ("an id missing, another extra", ["a", "b", "c", "d"], ["a", "b", "x", "d"], False),
    ("more evidence than records", ["a", "b", "c", "d"], ["a", "b", "c", "d", "e"], False),
]


@pytest.mark.parametrize(("case", "ids", "ev_ids", "by_position"), FOUND_CASES,
                         ids=[c[0] for c in FOUND_CASES])
def test_found_by_position_is_the_join(case: str, ids: list[str], ev_ids: list[str],
                                       by_position: bool) -> None:
    from pipelines.link.evidence import _found, _positions

    rec = pl.DataFrame({"record_id": ids, "extract": ["roster", "roster", "ledger", "death"]})
    ev = pl.DataFrame({"record_id": ev_ids}, schema={"record_id": pl.String}).with_columns(
        head_name=pl.format("head of {} #{}", "record_id", pl.int_range(pl.len())),
        hospital=pl.lit(None, pl.String), admission_date=pl.lit(dt.date(2026, 1, 2)),
        diagnosis_date=pl.lit(None, pl.Date), clinic=pl.lit("clinic"),
        insurance_no=pl.lit(None, pl.String))
    assert _found(rec, ev).equals(_joined(rec, ev)), case
    hashed = pl.col("record_id").hash(seed=29)
    assert (_positions(rec, ev, hashed) is not None) == by_position, case


# (extracts of records 0..5, cluster labels, villages, pair, expected reason)
QUEUE_CASES = [
    ("registered person meets a contract", 0, 3, "no_doctor_contract"),
    ("registered person meets an enrolment", 0, 4, "not_insured"),
    ("death meets someone insured", 5, 4, "dead_but_active"),
    ("two records already one person", 0, 1, SETTLED),
    ("contract meets enrolment: no rule", 3, 4, ""),
]
EXTRACTS = pl.Series(["poverty_roster", "poverty_roster", "settlement", "doctor_contract",
                      "enrolment", "death"])
LABELS = np.array([0, 0, 2, 3, 4, 5])
VILLAGES = pl.Series(["v1", "v1", None, None, None, None], dtype=pl.String)


@pytest.mark.parametrize(("what", "left", "right", "reason"), QUEUE_CASES,
                         ids=[c[0] for c in QUEUE_CASES])
def test_impact_of_a_decision(what: str, left: int, right: int, reason: str) -> None:
    count, reasons = impact(EXTRACTS, VILLAGES, LABELS, np.array([left]), np.array([right]))
    assert reasons[0] == reason, what
    assert count[0] == (0 if reason in ("", SETTLED) else 1)


def test_village_disagreement_may_turn_on_a_conflict() -> None:
    villages = pl.Series(["v1", "v1", None, "v2", None, None], dtype=pl.String)
    _, reasons = impact(EXTRACTS, villages, LABELS, np.array([0]), np.array([3]))
    assert reasons[0] == "no_doctor_contract, village_conflict"


def test_queue_puts_mismatch_changes_first_and_settled_pairs_last() -> None:
    queue = pl.DataFrame({
        "match_weight": [2.0, 0.5, 2.5, 1.0],
        "impact": [0, 1, 0, 2],
        "impact_reason": ["", "not_insured", SETTLED, "not_insured, dead_but_active"],
    })
    ranked = rank(queue)
    assert ranked["impact_reason"].to_list() == [
        "not_insured, dead_but_active", "not_insured", "", SETTLED]
    assert ranked["queue_rank"].to_list() == [1, 2, 3, 4]


def test_one_queue_item_per_two_people_and_none_for_people_kept_apart() -> None:
    labels = np.array([0, 0, 1, 1, 2])  # records 0,1 one person; 2,3 another; 4 a third
    unc = pl.DataFrame({"i_l": [0, 1, 0, 2], "i_r": [2, 3, 4, 4],
                        "match_weight": [1.0, 2.0, 0.5, 0.0]}, schema_overrides={
                            "i_l": pl.UInt32, "i_r": pl.UInt32})
    no_links = pl.DataFrame({"i_l": [3], "i_r": [4]}, schema={"i_l": pl.UInt32,
                                                              "i_r": pl.UInt32})
    kept = one_per_decision(unc, labels, no_links)
    assert kept.select("i_l", "i_r", "pairs_behind").rows() == [(1, 3, 2), (0, 4, 1)]


@pytest.mark.parametrize(("own_link", "kept"), [(8.0, False), (5.0, True), (None, True)])
def test_a_pair_outweighed_by_the_records_own_link_leaves_the_queue(
    own_link: float | None, kept: bool
) -> None:
    unc = pl.DataFrame({"i_l": [0], "i_r": [1], "match_weight": [1.0]})
    rows = [(0, 2, "uncertain", 1.0)] if own_link is None else [(0, 2, "linked", own_link)]
    pairs = pl.DataFrame(rows, schema=["i_l", "i_r", "status", "match_weight"], orient="row")
    assert outweighed(unc, pairs, margin=6.0).height == (1 if kept else 0)


FOUND = [
    {"description": "one row per record", "ids": ["r1", "r2"], "same_hash": False},
    {"description": "a record_id given twice: its first row", "ids": ["r1", "r2", "r1"],
     "same_hash": False},
    {"description": "a record without evidence, one not among the records",
     "ids": ["r2", "r9", None], "same_hash": False},
    {"description": "two ids of one hash: joined on the ids", "ids": ["r1", "r2", "r1"],
     "same_hash": True},
]


@pytest.mark.parametrize("case", FOUND, ids=[c["description"] for c in FOUND])
def test_evidence_found_by_hash_is_the_join_on_record_id(case, monkeypatch) -> None:
    """``_found`` (an integer join on a hash of the record_id, checked) gives what joining
    on the record_id itself gives: the first evidence row of each record, nulls without."""
    from pipelines.link import evidence

    rec = pl.DataFrame({"record_id": ["r1", "r2", "r3"]})
    ev = pl.DataFrame({"record_id": case["ids"]}, schema={"record_id": pl.String}).with_columns(
        [pl.lit(None, dtype=t).alias(c) for c, t in EVIDENCE_COLUMNS.items()]).with_columns(
        hospital=pl.int_range(pl.len()).cast(pl.String))
    if case["same_hash"]:  # every id hashes alike: the check must fall back to the ids
        monkeypatch.setattr(pl.Expr, "hash", lambda self, seed=0: pl.lit(7, pl.UInt64))
    got = evidence._found(rec, ev)
    monkeypatch.undo()
    expected = rec.join(ev.unique("record_id", keep="first"), on="record_id", how="left",
                        maintain_order="left").drop("record_id")
    assert got.equals(expected)


INSURANCE_KEYS = [  # as written -> the key (None: no person number)
    ("43122520000000000000000012", "43122520000000000000000012"),  # digits: the fast path
    ("  431225200000  ", "431225200000"),
    ("123456", "123456"),  # digits, just long enough
    ("12345", None),  # too short
    ('="43122520000000000000000012"', "43122520000000000000000012"),  # Excel's text guard
    ("4312 2520 0000 0012", "4312252000000012"),
    ("gz431225a", "GZ431225A"),
    ("4.31225E+25", None),  # Excel turned it into a float
    ("43122520E25", None),  # digits and an exponent, no point: a float too
    ("4312252000000.0", None),
    ("１２３４５６７", None),  # full-width digits are not ASCII digits: no key
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("written", "key"), INSURANCE_KEYS)
def test_insurance_key(written, key) -> None:
    """The insurance person number as a key: digits-only numbers are taken as they are
    (one regex), the rest cleaned; Excel's floats and short numbers give none."""
    from pipelines.link.evidence import insurance_key

    got = pl.DataFrame({"x": [written]}, schema={"x": pl.String}).select(
        insurance_key(pl.col("x")))
    assert got.item() == key


def test_insurance_keys_of_a_column_are_the_expression_s() -> None:
    """``insurance_keys`` (the cleaning only where a number is not digits alone) gives every
    row the key of ``insurance_key``, with the written forms mixed in one column."""
    from pipelines.link.evidence import insurance_keys

    written = pl.Series("x", [w for w, _ in INSURANCE_KEYS] * 2, dtype=pl.String)
    assert insurance_keys(written).to_list() == [k for _, k in INSURANCE_KEYS] * 2
    digits_only = written.filter(written.str.contains(r"^[0-9]{6,}$"))
    assert insurance_keys(digits_only).to_list() == digits_only.to_list()


def test_the_state_keeps_the_heads_so_the_next_night_does_not_normalise_them_again(
        tmp_path, monkeypatch) -> None:
    """A household head no record is named (王建國, traditional) is normalised once; the
    state keeps it (written and read with the code's key), the next night in a new process
    learns it instead of working it out, and gives the same pairs and people."""
    from pipelines.link.incremental import LinkState, names_key
    from pipelines.normalise import names

    rows = [record(0, "王子涵", A, "2010-01-01", extract="poverty_roster", household="H1"),
            record(1, "王子涵", None, "2010-01-01", extract="assistance")]
    ev = _evidence([(r, {"head_name": "王建國"}) for r in rows])
    records = frame([*background(40), *rows])
    first = link_records(records, evidence=ev)
    assert first.state.heads.filter(pl.col("name_raw") == "王建國")["name"].to_list() == [
        "王建国"]
    first.state.write(tmp_path)
    assert (tmp_path / f"heads-{names_key()}.parquet").is_file()
    kept = LinkState.read(tmp_path)
    assert kept.heads.equals(first.state.heads)
    monkeypatch.setattr(names._Known, "frame", None)  # a new process: no name known
    worked_out, unique_names = [], names._unique_names
    monkeypatch.setattr(names, "_unique_names", lambda raw: worked_out.append(
        raw.to_list()) or unique_names(raw))
    again = link_records(records, evidence=ev, state=kept)
    assert not any("王建國" in batch for batch in worked_out)
    assert again.pairs.equals(first.pairs) and again.links.equals(first.links)
    (tmp_path / f"heads-{names_key()}.parquet").rename(tmp_path / "heads-0123456789abcdef.parquet")
    assert LinkState.read(tmp_path).heads is None  # another code's heads: not read
