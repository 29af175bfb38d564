"""Steward decisions name records by record_key or record_id; unknown ones are reported."""

from __future__ import annotations

import polars as pl
import pytest
from sanji_link_frames import background, frame, record, valid_id

from pipelines.link import link_records
from pipelines.link.decisions import resolve, short_reference

A = valid_id("19800101", "123")


def _rows() -> list[dict]:
    return [
        *background(20),
        record(0, "欧阳娜娜", A, "1980-01-01", extract="enrolment"),
        record(1, "欧阳娜娜", None, "1980-01-01", extract="death"),
    ]


def _decisions(columns: tuple[str, str], left: str, right: str, decision: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            columns[0]: [left],
            columns[1]: [right],
            "decision": [decision],
            "decided_by": ["王芳"],
            "decided_at": ["2026-01-01T00:00:00"],
        }
    )


@pytest.mark.parametrize(
    "columns", [("record_key_l", "record_key_r"), ("record_id_l", "record_id_r")]
)
@pytest.mark.parametrize("kind", ["record_key", "record_id", "mixed"])
def test_no_link_applies_whatever_id_kind_is_given(columns: tuple[str, str], kind: str) -> None:
    first = link_records(frame(_rows()))
    keys = dict(first.links.select("record_id", "record_key").iter_rows())
    a, b = "enrolment.csv||2", "death.csv||3"
    assert first.links.filter(pl.col("record_id").is_in([a, b]))["person_id"].n_unique() == 1
    left = keys[a] if kind in ("record_key", "mixed") else a
    right = keys[b] if kind == "record_key" else b
    second = link_records(frame(_rows()), decisions=_decisions(columns, left, right, "no_link"))
    ids = dict(second.links.select("record_id", "person_id").iter_rows())
    assert ids[a] != ids[b]
    assert second.stats["decisions_applied"] == 1
    assert second.stats["unresolved_decisions"] == {"count": 0, "examples": []}


def test_decisions_naming_no_current_record_are_reported() -> None:
    first = link_records(frame(_rows()))
    key = first.links.filter(pl.col("record_id") == "death.csv||3")["record_key"][0]
    decisions = pl.concat(
        [
            _decisions(("record_key_l", "record_key_r"), "Rgone000000000000", key, "link"),
            _decisions(("record_key_l", "record_key_r"), A, "old.csv||9", "no_link"),
        ]
    )
    result = link_records(frame(_rows()), decisions=decisions)
    report = result.stats["unresolved_decisions"]
    assert report["count"] == 2
    assert report["examples"][0] == f"Rgone000000000000 / {key}"
    assert A not in " ".join(report["examples"])  # an ID typed by mistake is masked
    assert report["examples"][1].startswith(A[:6] + "********")
    assert result.stats["decisions_applied"] == 0


def test_resolve_rejects_bad_rows_and_keeps_latest() -> None:
    keys = pl.DataFrame({"record_key": ["K1", "K2"], "record_id": ["f||2", "f||3"], "i": [0, 1]})
    keys = keys.with_columns(pl.col("i").cast(pl.UInt32))
    two = pl.concat(
        [
            _decisions(("record_key_l", "record_key_r"), "K1", "K2", "link"),
            _decisions(("record_key_l", "record_key_r"), "f||3", "K1", "no_link").with_columns(
                decided_at=pl.lit("2026-02-01T00:00:00")
            ),
        ]
    )
    got = resolve(two, keys)
    assert got.pairs.rows() == [(0, 1, "no_link")]
    with pytest.raises(ValueError, match=r"row 1, column decision: 'maybe'"):
        resolve(_decisions(("record_key_l", "record_key_r"), "K1", "K2", "maybe"), keys)
    with pytest.raises(ValueError, match="missing column"):
        resolve(pl.DataFrame({"a": ["K1"], "b": ["K2"], "decision": ["link"]}), keys)
    assert len(short_reference("x" * 100)) == 40


def _pairs(rows: list[tuple[str, str, str, str | None]]) -> list[tuple[int, int, str]]:
    """Resolve ``(left, right, decision, decided_at)`` rows over records K0 … K9."""
    keys = pl.DataFrame({"record_key": [f"K{n}" for n in range(10)], "i": range(10)})
    keys = keys.with_columns(pl.col("i").cast(pl.UInt32))
    frame = pl.DataFrame(
        rows, schema=["record_key_l", "record_key_r", "decision", "decided_at"], orient="row"
    ).with_columns(decided_by=pl.lit("王芳"))
    return sorted(resolve(frame, keys).pairs.rows())


def test_latest_decision_compares_times_not_text() -> None:
    got = _pairs(
        [
            # warehouse rows first, then decisions.csv rows
            ("K0", "K1", "link", "2026-11-25T08:00:00+08:00"),
            ("K2", "K3", "no_link", "2026-11-25 08:00"),
            ("K4", "K5", "link", "2026-11-25T01:00:00Z"),
            ("K6", "K7", "no_link", "2026-11-25T09:00:00+08:00"),
            ("K8", "K9", "link", "2026-11-25"),
            ("K1", "K0", "no_link", None),  # no time: newest, beats the warehouse row
            ("K3", "K2", "link", "2026/11/24"),  # a day earlier, though later as text
            ("K5", "K4", "no_link", "2026-11-25T08:00:00+08:00"),  # 09:00 local came later
            ("K7", "K6", "link", "2026年11月25日 9:00"),  # same instant: later input wins
            ("K9", "K8", "no_link", " "),
        ]
    )
    assert got == [
        (0, 1, "no_link"),
        (2, 3, "no_link"),
        (4, 5, "link"),
        (6, 7, "link"),
        (8, 9, "no_link"),
    ]


def test_decisions_without_times_keep_input_order_and_bad_times_are_named() -> None:
    rows = [("K0", "K1", "link", None), ("K1", "K0", "no_link", None), ("K0", "K1", "link", "")]
    assert _pairs(rows) == [(0, 1, "link")]
    assert _pairs(rows[:2]) == [(0, 1, "no_link")]
    with pytest.raises(ValueError, match=r"row 2, column decided_at: '2026-13-45'"):
        _pairs([("K0", "K1", "link", None), ("K1", "K0", "link", "2026-13-45")])
