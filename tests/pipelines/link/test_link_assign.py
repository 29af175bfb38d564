"""Placing records without a usable ID by exclusivity (pipelines.link.assign)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from pipelines.link import assign
from pipelines.link.settings import LinkSettings

A, B = "410526198001011234", "410526198202025678"  # two people's valid IDs (as keys only)


def records(no_id_birth: dt.date | None = None) -> pl.DataFrame:
    """Person A (records 0, 1), person B (2, 3) and a settlement without an ID (4)."""
    born_a, born_b = dt.date(1980, 1, 1), dt.date(1982, 2, 2)
    return pl.DataFrame({
        "i": pl.Series([0, 1, 2, 3, 4], dtype=pl.UInt32),
        "id_valid": [True, True, True, True, False],
        "id_number": [A, A, B, B, None],
        "one_list": [None, None, None, None, None],
        "birth_date": [born_a, born_a, born_b, born_b, no_id_birth],
    }, schema_overrides={"one_list": pl.String})


def pairs(w_a: float, w_b: float, status_a: str = "uncertain",
          status_b: str = "uncertain") -> pl.DataFrame:
    """The settlement's pairs with A's first record and B's first record."""
    return pl.DataFrame({
        "i_l": pl.Series([0, 2, 0, 2], dtype=pl.UInt32),
        "i_r": pl.Series([4, 4, 1, 3], dtype=pl.UInt32),
        "match_weight": [w_a, w_b, 30.0, 30.0],
        "status": [status_a, status_b, "linked", "linked"],
    })


NO_DECISIONS = pl.DataFrame(schema={"i_l": pl.UInt32, "i_r": pl.UInt32, "decision": pl.String})
LOOSE = np.array([0, 0, 2, 2, 4], dtype=np.int64)


def test_the_only_consistent_person_takes_the_settlement() -> None:
    labels, stats = assign.place(records(), pairs(1.5, -3.0), LOOSE, NO_DECISIONS,
                                 LinkSettings())
    assert labels[4] == labels[0]
    assert stats["placed"] == 1


@pytest.mark.parametrize(("w_a", "w_b"), [(1.5, 0.0), (0.5, -4.0)])
def test_no_placement_without_weight_and_margin(w_a: float, w_b: float) -> None:
    labels, stats = assign.place(records(), pairs(w_a, w_b), LOOSE, NO_DECISIONS,
                                 LinkSettings())
    assert labels[4] not in (labels[0], labels[2])
    assert stats["placed"] == 0


def test_a_link_another_person_nearly_matches_is_undone() -> None:
    linked = np.array([0, 0, 2, 2, 0], dtype=np.int64)
    labels, stats = assign.place(records(), pairs(4.5, 4.0, "linked"), linked, NO_DECISIONS,
                                 LinkSettings())
    assert labels[4] not in (labels[0], labels[2])
    assert stats["ambiguous_undone"] == 1


def test_a_clear_link_stays() -> None:
    linked = np.array([0, 0, 2, 2, 0], dtype=np.int64)
    labels, _ = assign.place(records(), pairs(8.0, 1.0, "linked"), linked, NO_DECISIONS,
                             LinkSettings())
    assert labels[4] == labels[0]


def test_placement_keeps_the_cannot_links() -> None:
    labels, stats = assign.place(records(dt.date(2019, 7, 30)), pairs(1.5, -3.0), LOOSE,
                                 NO_DECISIONS, LinkSettings())
    assert labels[4] != labels[0]
    assert stats["placed_refused"] == 1


def test_steward_decisions_are_left_alone() -> None:
    decided = pl.DataFrame({"i_l": pl.Series([2], dtype=pl.UInt32),
                            "i_r": pl.Series([4], dtype=pl.UInt32), "decision": ["no_link"]})
    scored = pairs(1.5, -3.0, status_b="decided_no_link")
    labels, _ = assign.place(records(), scored, LOOSE, decided, LinkSettings())
    assert labels[4] == 4


def test_margins_of_zero_switch_the_steps_off() -> None:
    s = LinkSettings.from_mapping({"assign_margin": 0, "ambiguous_margin": 0})
    linked = np.array([0, 0, 2, 2, 0], dtype=np.int64)
    labels, stats = assign.place(records(), pairs(4.5, 4.0, "linked"), linked, NO_DECISIONS, s)
    assert labels[4] == labels[0]
    assert stats == {"ambiguous_undone": 0, "placed": 0, "placed_refused": 0}


def test_placement_needs_a_confirming_level() -> None:
    """A twin's record: same birth, village and surname, another given name (``fuzzy``)."""
    fuzzy = LinkSettings().comparison("name").level_names.index("fuzzy")
    scored = pairs(1.5, -3.0).with_columns(lv_name=pl.Series([fuzzy, 0, 0, 0], dtype=pl.Int8))
    labels, _ = assign.place(records(), scored, LOOSE, NO_DECISIONS, LinkSettings())
    assert labels[4] == 4
    exact = scored.with_columns(lv_name=pl.Series([0, 0, 0, 0], dtype=pl.Int8))
    labels, _ = assign.place(records(), exact, LOOSE, NO_DECISIONS, LinkSettings())
    assert labels[4] == labels[0]
