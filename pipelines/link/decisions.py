"""Steward decisions: forced links and cannot-links between stable record keys."""

from __future__ import annotations

import polars as pl

DECISION_COLUMNS: tuple[str, ...] = (
    "record_id_l",
    "record_id_r",
    "decision",
    "decided_by",
    "decided_at",
)
DECISIONS = ("link", "no_link")


def empty_decisions() -> pl.DataFrame:
    """Return an empty decisions frame with the contract's columns."""
    return pl.DataFrame(schema={c: pl.String for c in DECISION_COLUMNS})


def resolve(decisions: pl.DataFrame | None, keys: pl.DataFrame) -> pl.DataFrame:
    """Return the latest decision per pair as record positions.

    Args:
        decisions: record_id_l, record_id_r (record keys), decision, decided_by, decided_at.
        keys: record_key, i of the current records.

    Returns:
        i_l < i_r, decision; decisions naming a record no longer present are dropped.

    Raises:
        ValueError: when a column is missing or a decision is not ``link`` / ``no_link``.
    """
    if decisions is None or decisions.height == 0:
        return pl.DataFrame(schema={"i_l": pl.UInt32, "i_r": pl.UInt32, "decision": pl.String})
    missing = [c for c in DECISION_COLUMNS[:3] if c not in decisions.columns]
    if missing:
        msg = f"decisions: missing column(s) {missing}; expected {list(DECISION_COLUMNS)}"
        raise ValueError(msg)
    bad = decisions.filter(~pl.col("decision").is_in(DECISIONS))
    if bad.height:
        msg = (
            f"decisions: column 'decision' row {bad.row(0, named=True)['record_id_l']}: "
            f"{bad['decision'][0]!r} is not one of {list(DECISIONS)}"
        )
        raise ValueError(msg)
    order = "decided_at" if "decided_at" in decisions.columns else "decision"
    k = keys.select("record_key", "i")
    return (
        decisions.with_columns(pl.col(order).cast(pl.String))
        .join(k.rename({"record_key": "record_id_l", "i": "a"}), on="record_id_l")
        .join(k.rename({"record_key": "record_id_r", "i": "b"}), on="record_id_r")
        .filter(pl.col("a") != pl.col("b"))
        .select(
            i_l=pl.min_horizontal("a", "b"),
            i_r=pl.max_horizontal("a", "b"),
            decision="decision",
            _at=pl.col(order),
        )
        .sort("_at", nulls_last=False)
        .unique(["i_l", "i_r"], keep="last", maintain_order=True)
        .drop("_at")
    )
