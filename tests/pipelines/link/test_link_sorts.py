"""The linker's integer sorts (``runs.sort_order`` / ``sorted_values``, numpy's), the
pinyins' letter counts and the work ahead of a full night: the same results whatever order
a sort leaves equal values in, and the same as the code they replaced."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from sanji_link_frames import background, frame, record, valid_id

from pipelines.link import ahead, blocking, cluster, coding, comparisons, model, runs
from pipelines.link.linker import link_records, prepare_records
from pipelines.link.settings import LinkSettings

SORT_CASES = [  # (description, values)
    ("no values", np.zeros(0, dtype=np.int64)),
    ("one value", np.array([7], dtype=np.int64)),
    ("ties", np.array([3, 1, 3, 3, 0, 1], dtype=np.int64)),
    ("negatives", np.array([-5, 2, -5, 0, -1], dtype=np.int64)),
    ("hashes over 2**63", np.array([2**64 - 1, 5, 2**63, 5, 2**63 + 1], dtype=np.uint64)),
    ("int32", np.array([9, -9, 0, 9], dtype=np.int32)),
]


@pytest.mark.parametrize(("description", "values"), SORT_CASES, ids=[c[0] for c in SORT_CASES])
def test_sorts_order_the_values(description: str, values: np.ndarray) -> None:
    order = runs.sort_order(values)
    assert sorted(order.tolist()) == list(range(len(values)))  # a permutation
    assert values[order].tolist() == sorted(values.tolist())
    assert runs.sorted_values(values).tolist() == sorted(values.tolist())
    assert runs.sorted_values(values).dtype == values.dtype
    assert values[order].tolist() == pl.Series(values).sort().to_list()  # polars' (before)


def _ties(reverse: bool) -> Callable[[np.ndarray], np.ndarray]:
    """A sort order leaving equal values in ascending (or descending) position order."""
    if reverse:
        return lambda v: len(v) - 1 - np.argsort(v[::-1], kind="stable")
    return lambda v: np.argsort(v, kind="stable")


def _records() -> pl.DataFrame:
    """People with repeated names, IDs, births and villages (blocks of several records),
    IDs one edit apart and records without an ID: every sort meets equal keys."""
    a, b = valid_id("19800101", "123"), valid_id("19750505", "456")
    typo = a[:6] + ("2" if a[6] != "2" else "3") + a[7:]
    rows = [record(k, "张伟", a, "1980-01-01") for k in range(3)]
    rows += [record(3, "张伟", typo, "1980-01-01"), record(4, "张玮", None, "1980-01-01")]
    rows += [record(5 + k, "李娜", b, "1975-05-05", extract="enrolment") for k in range(2)]
    rows += [record(7, "李娜", None, None), record(8, "李那", None, "1975-05-05")]
    return frame(rows + background(30))


def test_the_link_is_the_same_whatever_order_a_sort_leaves_ties_in(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks, codes, unique pairs and cannot-link groups read only runs of equal values."""
    got = []
    for order in (None, _ties(False), _ties(True)):
        if order is not None:
            for module in (blocking, coding, cluster, comparisons):
                monkeypatch.setattr(module, "sort_order", order)
        r = link_records(_records())
        got.append((r.pairs, r.links, r.uncertain, r.candidates, r.stats["model"]))
    assert got[0][0].height > 0 and (got[0][0]["status"] == "linked").any()
    for other in got[1:]:
        for x, y in zip(got[0][:4], other[:4], strict=True):
            assert x.equals(y)
        assert got[0][4] == other[4]


@pytest.mark.parametrize("reverse", [False, True])
def test_dense_codes_and_extracts_ignore_the_order_of_ties(
        monkeypatch: pytest.MonkeyPatch, reverse: bool) -> None:
    rec = prepare_records(_records())
    want_codes, want_uniq = coding.dense_codes(rec["id_number"])
    want_facts = coding.county_facts(rec)
    monkeypatch.setattr(coding, "sort_order", _ties(reverse))
    codes, uniq = coding.dense_codes(rec["id_number"])
    assert codes.tolist() == want_codes.tolist() and uniq.equals(want_uniq)
    assert coding.county_facts(rec).equals(want_facts)


LETTER_CASES = [  # (description, pinyins)
    ("plain", ["zhangwei", "lina"]),
    ("null and empty", [None, "", "a"]),
    ("other characters", ["lü", "zhang wei", "a-b", "ÿz"]),
    ("one letter many times", ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]),
]


def _old_letter_counts(pinyins: pl.Series) -> np.ndarray:
    """``coding._letter_counts`` as it was (``np.add.at``)."""
    width = max(int(pinyins.str.len_chars().max() or 1), 1)
    points = np.array(pinyins.fill_null("").to_list(), dtype=f"<U{width}").view(np.int32)
    points = points.reshape(len(pinyins), width)
    letter = np.where((points >= 97) & (points <= 122), points - 97, 26)
    counts = np.zeros((len(pinyins), 27), dtype=np.int16)
    rows = np.repeat(np.arange(len(pinyins)), points.shape[1])
    real = points.ravel() > 0
    np.add.at(counts, (rows[real], letter.ravel()[real]), 1)
    return counts


@pytest.mark.parametrize(("description", "pinyins"), LETTER_CASES,
                         ids=[c[0] for c in LETTER_CASES])
def test_letter_counts_as_before(description: str, pinyins: list) -> None:
    s = pl.Series(pinyins, dtype=pl.String)
    got = coding._letter_counts(s)
    assert got.dtype == np.int16 and got.shape == (len(pinyins), 27)
    assert np.array_equal(got, _old_letter_counts(s))


def test_the_work_ahead_is_coding_then_u() -> None:
    """The thread's coded records and u are what the night would work out itself."""
    s = LinkSettings()
    rec = prepare_records(_records())
    facts = coding.county_facts(rec)
    done = ahead.start(rec, facts, s)
    coded = coding.code_records(rec, facts=facts)
    got = done.coded.result()
    for field in ("name", "pinyin", "id", "village", "pinyin_letters", "id_chars"):
        assert np.array_equal(getattr(got, field), getattr(coded, field))
    want = model.estimate_u(coded, rec.height, s.u_sample_pairs, s.seed, s.comparisons)
    u = done.u.result()
    assert u.keys() == want.keys()
    assert all(np.array_equal(u[k], want[k]) for k in want)
