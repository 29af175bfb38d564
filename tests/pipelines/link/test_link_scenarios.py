"""End-to-end behaviour of link_records on tiny handmade counties."""

from __future__ import annotations

import polars as pl
import pytest
from sanji_link_frames import background, frame, record, valid_id

from pipelines.link import LinkSettings, link_records

A = valid_id("19800101", "123")
B = valid_id("19800101", "135")
SUB = A[:10] + ("7" if A[10] != "7" else "6") + A[11:]
SWAP = A[:14] + A[15] + A[14] + A[16:]


def _person_of(result, record_id: str) -> str:
    return result.links.filter(pl.col("record_id") == record_id)["person_id"].item()


def _same(result, a: dict, b: dict) -> bool:
    return _person_of(result, a["record_id"]) == _person_of(result, b["record_id"])


def test_twins_never_merge() -> None:
    twin_a = record(0, "王大伟", A, "1980-01-01", extract="poverty_roster", household="H1")
    twin_b = record(1, "王小伟", B, "1980-01-01", extract="poverty_roster", household="H1")
    a_health = record(2, "王大伟", A, "1980-01-01", extract="doctor_contract")
    b_health = record(3, "王小伟", B, "1980-01-01", extract="doctor_contract")
    a_no_id = record(4, "王大伟", None, "1980-01-01", extract="chronic_followup")
    result = link_records(frame([*background(40), twin_a, twin_b, a_health, b_health, a_no_id]))
    assert not _same(result, twin_a, twin_b)
    assert not _same(result, a_health, b_health)
    assert _same(result, twin_a, a_health) and _same(result, twin_a, a_no_id)
    assert _same(result, twin_b, b_health)


def test_common_name_same_village_different_valid_ids_never_merge() -> None:
    one = record(0, "张伟", A, "1980-01-01", extract="enrolment")
    two = record(1, "张伟", B, "1980-01-01", extract="doctor_contract")
    result = link_records(frame([*background(40), one, two]))
    assert not _same(result, one, two)
    pair = result.pairs.filter(pl.col("record_id_l").is_in([one["record_id"], two["record_id"]]))
    assert pair["status"].to_list() == ["rejected"]


@pytest.mark.parametrize("typo", [SUB, SWAP], ids=["one-substitution", "adjacent-swap"])
def test_typo_id_links_when_name_and_birth_agree(typo: str) -> None:
    good = record(0, "欧阳娜娜", A, "1980-01-01", extract="enrolment")
    bad = record(1, "欧阳娜娜", typo, "1980-01-01", extract="settlement", village="410526105209")
    result = link_records(frame([*background(40), good, bad]))
    assert _same(result, good, bad)
    rule = result.pairs.filter(pl.col("record_id_r") == bad["record_id"])["block_rule"]
    assert rule.to_list() == ["id_one_off"]


def test_missing_id_links_on_name_birth_village() -> None:
    with_id = record(0, "李秀英", A, "1980-01-01", extract="enrolment")
    without = record(1, "李秀英", None, "1980-01-01", extract="death")
    elsewhere = record(
        2, "李秀英", None, "1980-01-01", extract="assistance", village="410526109299"
    )
    result = link_records(frame([*background(40), with_id, without, elsewhere]))
    assert _same(result, with_id, without)
    pair = result.pairs.filter(
        (pl.col("record_id_l") == with_id["record_id"])
        & (pl.col("record_id_r") == without["record_id"])
    )
    assert pair["explain"].item().startswith("name exact")
    assert "place same-village" in pair["explain"].item()


def test_homophone_name_with_same_id_links() -> None:
    one = record(0, "张伟", A, "1980-01-01", extract="enrolment")
    two = record(1, "张玮", A, "1980-01-01", extract="doctor_contract")
    result = link_records(frame([*background(40), one, two]))
    assert _same(result, one, two)
    assert "name homophone" in result.pairs["explain"].to_list()[0]


def test_thresholds_split_linked_uncertain_rejected() -> None:
    one = record(0, "李秀英", None, None, extract="enrolment")
    two = record(1, "李秀英", None, None, extract="death")
    rows = [*background(40), one, two]
    strict = link_records(frame(rows), LinkSettings(accept_weight=40.0, review_weight=-40.0))
    assert strict.pairs["status"].to_list() == ["uncertain"]
    assert strict.uncertain.height == 1
    assert not _same(strict, one, two)
    loose = link_records(frame(rows), LinkSettings(accept_weight=-40.0, review_weight=-50.0))
    assert loose.pairs["status"].to_list() == ["linked"] and _same(loose, one, two)


def test_uncertain_frame_masks_ids_and_shows_both_sides() -> None:
    one = record(0, "李秀英", A, "1980-01-01", extract="enrolment")
    two = record(1, "李秀英", None, "1980-01-01", extract="death")
    result = link_records(
        frame([*background(40), one, two]), LinkSettings(accept_weight=60.0, review_weight=-60.0)
    )
    unc = result.uncertain
    assert unc.height == 1
    assert unc["id_masked_l"].item() == A[:6] + "********" + A[-4:]
    assert A not in str(unc.rows())
    assert {"name_l", "name_r", "source_file_r", "row_number_l", "explain"} <= set(unc.columns)


def test_missing_column_raises_clear_error() -> None:
    rows = frame([record(0, "张伟", A, "1980-01-01")]).drop("name_pinyin")
    with pytest.raises(ValueError, match="name_pinyin"):
        link_records(rows)


def test_wrongly_typed_column_raises_clear_error() -> None:
    rows = frame([record(0, "张伟", A, "1980-01-01")]).with_columns(
        pl.col("birth_date").cast(pl.String)
    )
    with pytest.raises(ValueError, match="birth_date"):
        link_records(rows)


def test_same_one_row_extract_never_merges() -> None:
    one = record(0, "欧阳娜娜", None, "1980-01-01", extract="enrolment")
    two = record(1, "欧阳娜娜", None, "1980-01-01", extract="enrolment")
    result = link_records(frame([*background(40), one, two]))
    assert not _same(result, one, two)


def test_two_lists_of_one_extract_link_the_same_person() -> None:
    """Same list, not same extract: a system export and a township ledger (both poverty
    rosters) list the same people, so their rows link; rows of one list still never do."""
    system = record(0, "欧阳娜娜", A, "1980-01-01", extract="poverty_roster")
    ledger = {**record(1, "欧阳娜娜", None, "1980-01-01", extract="poverty_roster"),
              "source_file": "ledger.csv", "record_id": "ledger.csv||3"}
    other = record(2, "欧阳娜娜", None, "1980-01-01", extract="poverty_roster")
    result = link_records(frame([*background(40), system, ledger, other]))
    assert _same(result, system, ledger)
    assert not _same(result, system, other)


def test_one_list_rows_with_one_valid_id_are_one_person() -> None:
    first = record(0, "欧阳娜娜", A, "1980-01-01", extract="enrolment")
    again = record(1, "欧阳娜娜", A, "1980-01-01", extract="enrolment")
    result = link_records(frame([*background(40), first, again]))
    assert _same(result, first, again)


def test_empty_and_single_record_inputs() -> None:
    empty = link_records(frame([]))
    assert empty.links.height == empty.pairs.height == empty.uncertain.height == 0
    single = link_records(frame([record(0, "张伟", A, "1980-01-01")]))
    assert single.links["cluster_size"].to_list() == [1]


def test_link_refused_by_cannot_link_becomes_uncertain() -> None:
    one = record(0, "欧阳娜娜", A, "1980-01-01", extract="enrolment")
    two = record(1, "欧阳娜娜", B, "1980-01-01", extract="doctor_contract")
    loose = record(2, "欧阳娜娜", None, "1980-01-01", extract="death")
    coin_toss = LinkSettings.from_mapping({"ambiguous_margin": 0})  # see the test below
    result = link_records(frame([*background(40), one, two, loose]), coin_toss)
    assert not _same(result, one, two)
    assert _same(result, loose, one) != _same(result, loose, two)
    to_loose = result.pairs.filter(pl.col("record_id_r") == loose["record_id"])
    assert sorted(to_loose["status"].to_list()) == ["linked", "uncertain"]
    assert result.uncertain.filter(pl.col("record_id_r") == loose["record_id"]).height == 1
    assert result.stats["links_refused_by_constraints"] == 1


def test_a_record_without_id_two_people_match_equally_is_linked_to_neither() -> None:
    """The record without an ID scores the same with two people: ``assign`` undoes the link
    the clustering chose by weight order, and the steward gets the pair."""
    one = record(0, "欧阳娜娜", A, "1980-01-01", extract="enrolment")
    two = record(1, "欧阳娜娜", B, "1980-01-01", extract="doctor_contract")
    loose = record(2, "欧阳娜娜", None, "1980-01-01", extract="death")
    result = link_records(frame([*background(40), one, two, loose]))
    assert not _same(result, loose, one)
    assert not _same(result, loose, two)
    to_loose = result.pairs.filter(pl.col("record_id_r") == loose["record_id"])
    assert to_loose["status"].to_list() == ["uncertain", "uncertain"]
    assert result.stats["assign"]["ambiguous_undone"] == 1
    assert result.candidates.filter(pl.col("record_id") == loose["record_id"]).height == 2


def test_settlement_without_id_links_by_insurance_person_number() -> None:
    """Two 王芳 enrolled, a stay of a 王芳 without an ID, birth or village: the insurance
    person number (人员编号) both rows carry says which one it is."""
    from pipelines.link.evidence import EVIDENCE_COLUMNS

    woman_a, woman_b = valid_id("19800101", "122"), valid_id("19800101", "134")
    first = record(0, "王芳", woman_a, "1980-01-01", extract="enrolment", sex="女")
    second = record(1, "王芳", woman_b, "1980-01-01", extract="enrolment", sex="女",
                    village="410526101202")
    stay = record(2, "王芳", None, None, extract="settlement", sex="女", village=None)
    others = background(300)  # enough insured people for the number's u to be learnt
    numbers = {r["record_id"]: f"43{k + 100:024d}" for k, r in enumerate(others)}
    numbers |= {first["record_id"]: f"43{1:024d}", second["record_id"]: f"43{2:024d}",
                stay["record_id"]: f"43{2:024d}"}
    evidence = pl.DataFrame(
        [{"record_id": k, **{c: None for c in EVIDENCE_COLUMNS}, "insurance_no": v}
         for k, v in numbers.items()], schema={"record_id": pl.String, **EVIDENCE_COLUMNS})
    result = link_records(frame([*others, first, second, stay]), evidence=evidence)
    assert _same(result, second, stay)
    assert not _same(result, first, stay)
    without = link_records(frame([*others, first, second, stay]))
    assert not _same(without, second, stay)  # name and sex alone never decide between two
