"""Steward decisions: forced links and cannot-links between two records.

A decision names its records in ``record_key_l`` / ``record_key_r``. Stewards copy what
``uncertain_match`` shows, which carries both the stable ``record_key_*`` and the run's
``record_id_*`` (file|sheet|row), so each value is looked up as a record key first and
then as a record id; older frames whose columns are ``record_id_l`` / ``record_id_r`` are
read the same way. Decisions naming a record that is not among the current records are
reported (``unresolved``), never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.fields import TIMEZONE
from pipelines.normalise.ids import mask_ids_in_text

DECISION_COLUMNS: tuple[str, ...] = (
    "record_key_l",
    "record_key_r",
    "decision",
    "decided_by",
    "decided_at",
)
LEGACY_COLUMNS = {"record_id_l": "record_key_l", "record_id_r": "record_key_r"}
DECISIONS = ("link", "no_link")
EXAMPLES = 5  # unresolved decisions listed by name
SHORT = 40  # characters of an unresolved record reference shown
# Formats tried on a decided_at once its date separators are "-" and a "T" is a space.
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y%m%d", "%Y%m%d%H%M%S")
_OFFSET = r"(:[0-9]{2}(?:\.[0-9]+)?)\s*(Z|[+-][0-9]{2}:?[0-9]{2})$"
_DATE = r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?:[T ]\s*)?"


@dataclass(frozen=True)
class Resolved:
    """Decisions as record positions, and those naming no current record.

    Attributes:
        pairs: i_l < i_r, decision (the latest per pair).
        unresolved: how many decisions name a record not among the current records.
        examples: up to ``EXAMPLES`` of them as "left / right", shortened, IDs masked.
    """

    pairs: pl.DataFrame
    unresolved: int
    examples: list[str]

    def stats(self) -> dict:
        """Return ``{"count": n, "examples": [...]}`` for ``LinkResult.stats``."""
        return {"count": self.unresolved, "examples": self.examples}


def empty_decisions() -> pl.DataFrame:
    """Return an empty decisions frame with the contract's columns."""
    return pl.DataFrame(schema={c: pl.String for c in DECISION_COLUMNS})


def short_reference(value: str | None) -> str:
    """Return a record reference fit for logs: ID-like digit runs masked, at most SHORT chars.

    Args:
        value: a record key or record id as a steward wrote it.

    Returns:
        The shortened text ("∅" for a missing value).

    Examples:
        >>> short_reference("R0123456789abcdef")
        'R0123456789abcdef'
    """
    if value is None:
        return "∅"
    text = mask_ids_in_text(value)
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _canonical(decisions: pl.DataFrame) -> pl.DataFrame:
    """Return the decisions with ``record_key_l/_r`` (from ``record_id_l/_r`` if need be).

    Raises:
        ValueError: when a column is missing or a decision is not ``link`` / ``no_link``.
    """
    renames = {
        old: new
        for old, new in LEGACY_COLUMNS.items()
        if old in decisions.columns and new not in decisions.columns
    }
    frame = decisions.rename(renames)
    missing = [c for c in DECISION_COLUMNS[:3] if c not in frame.columns]
    if missing:
        msg = (
            f"decisions: missing column(s) {missing}; expected {list(DECISION_COLUMNS)} "
            "(record_id_l / record_id_r are accepted for the record columns)"
        )
        raise ValueError(msg)
    frame = frame.with_columns(
        pl.col("record_key_l", "record_key_r").cast(pl.String).str.strip_chars(),
        pl.col("decision").cast(pl.String).str.strip_chars(),
    )
    bad = frame.with_row_index("row", offset=1).filter(~pl.col("decision").is_in(DECISIONS))
    if bad.height:
        msg = (
            f"decisions: row {bad['row'][0]}, column decision: "
            f"{bad['decision'][0]!r} is not one of {list(DECISIONS)}"
        )
        raise ValueError(msg)
    return frame


def _lookup(keys: pl.DataFrame) -> pl.DataFrame:
    """Return ref -> i: every record key, then every record id not equal to some key."""
    by_key = keys.select(ref="record_key", i="i")
    if "record_id" not in keys.columns:
        return by_key
    by_id = keys.select(ref="record_id", i="i").join(by_key, on="ref", how="anti")
    return pl.concat([by_key, by_id]).unique("ref", keep="first")


def decision_times(text: pl.Expr) -> pl.Expr:
    """Return decision timestamps as naive UTC datetimes (null where blank or unreadable).

    Reads ISO 8601 (with or without a UTC offset or ``Z``), ``2026/11/25``, ``2026.11.25``,
    ``2026-11-25 08:00``, ``2026年11月25日 8:00`` and ``20261125``; a time without an offset is
    taken as ``TIMEZONE`` (county) time.

    Args:
        text: the ``decided_at`` values.

    Returns:
        A ``Datetime("us")`` expression.
    """
    value = text.cast(pl.String).str.strip_chars()
    offset = value.str.extract(_OFFSET, 2)
    body = value.str.replace(_OFFSET, "${1}").str.replace(_DATE, "${1}-${2}-${3} ")
    body = body.str.strip_chars()
    naive = pl.coalesce(
        [body.str.strptime(pl.Datetime("us"), f, strict=False) for f in TIME_FORMATS]
    )
    sign = pl.when(offset.str.starts_with("-")).then(-1).otherwise(1)
    minutes = sign * (
        offset.str.slice(1, 2).cast(pl.Int64, strict=False) * 60
        + offset.str.slice(-2).cast(pl.Int64, strict=False)
    )
    local = (
        naive.dt.replace_time_zone(TIMEZONE, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .dt.replace_time_zone(None)
    )
    return (
        pl.when(offset.is_null())
        .then(local)
        .when(offset == "Z")
        .then(naive)
        .otherwise(naive - pl.duration(minutes=minutes))
    )


def _ordered(frame: pl.DataFrame) -> pl.DataFrame:
    """Return the decisions with ``_n`` (input position) and ``_at`` (UTC decision time).

    Raises:
        ValueError: when a ``decided_at`` is neither blank nor a readable date/time.
    """
    if "decided_at" not in frame.columns:
        return frame.with_row_index("_n").with_columns(_at=pl.lit(None, pl.Datetime("us")))
    frame = frame.with_row_index("_n").with_columns(_at=decision_times(pl.col("decided_at")))
    text = pl.col("decided_at").cast(pl.String).str.strip_chars()
    bad = frame.filter(pl.col("_at").is_null() & (text.str.len_chars() > 0))
    if bad.height:
        value = short_reference(str(bad["decided_at"][0]))
        msg = (
            f"decisions: row {bad['_n'][0] + 1}, column decided_at: {value!r} is not a date/time "
            "(e.g. 2026-11-25T08:00:00+08:00, 2026-11-25 08:00 or 2026/11/25; blank = newest)"
        )
        raise ValueError(msg)
    return frame


def resolve(decisions: pl.DataFrame | None, keys: pl.DataFrame) -> Resolved:
    """Return the latest decision per pair as record positions, and the unresolved ones.

    Args:
        decisions: record_key_l, record_key_r (a record key or record id each), decision,
            decided_by, decided_at; ``record_id_l`` / ``record_id_r`` are read as the
            record columns when ``record_key_*`` are absent.
        keys: record_key, i (and record_id, to resolve record ids) of the current records.

    Returns:
        A ``Resolved``: pairs i_l < i_r with their decision, plus the count and examples of
        decisions naming a record not among ``keys``.

    Raises:
        ValueError: when a column is missing or a decision is not ``link`` / ``no_link``.
    """
    empty = pl.DataFrame(schema={"i_l": pl.UInt32, "i_r": pl.UInt32, "decision": pl.String})
    if decisions is None or decisions.height == 0:
        return Resolved(empty, 0, [])
    frame = _ordered(_canonical(decisions))
    look = _lookup(keys)
    joined = frame.join(
        look.rename({"ref": "record_key_l", "i": "a"}), on="record_key_l", how="left"
    ).join(look.rename({"ref": "record_key_r", "i": "b"}), on="record_key_r", how="left")
    lost = joined.filter(pl.col("a").is_null() | pl.col("b").is_null())
    examples = [
        f"{short_reference(left)} / {short_reference(right)}"
        for left, right in lost.select("record_key_l", "record_key_r").head(EXAMPLES).rows()
    ]
    pairs = (
        joined.drop_nulls(["a", "b"])
        .filter(pl.col("a") != pl.col("b"))
        .select(
            i_l=pl.min_horizontal("a", "b").cast(pl.UInt32),
            i_r=pl.max_horizontal("a", "b").cast(pl.UInt32),
            decision="decision",
            _at="_at",
            _n="_n",
        )
        # oldest first, no time = newest, ties by input order: the last row per pair wins
        .sort(["_at", "_n"], nulls_last=True, maintain_order=True)
        .unique(["i_l", "i_r"], keep="last", maintain_order=True)
        .drop("_at", "_n")
    )
    return Resolved(pairs, lost.height, examples)
