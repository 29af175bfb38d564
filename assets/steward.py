"""Stewards' match decisions: from the warehouse table ``match_decision`` and ``decisions.csv``.

A decision names two records in ``record_key_l`` / ``record_key_r`` and says ``link`` or
``no_link``; the linker applies them on every later run. Each value may be the stable
``record_key`` (preferred: it survives re-exports) or the run's ``record_id``
(file|sheet|row) as ``uncertain_match`` shows both; the linker resolves either and reports
decisions naming no current record. The Launchpad job and ``sanji decide`` both go through
:func:`record_decision`.
"""


from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from assets.resources import TIMEZONE, drop_meta

DECISION_TABLE = "match_decision"
DECISION_SCHEMA: dict[str, pl.DataType] = {
    "record_key_l": pl.String(), "record_key_r": pl.String(), "decision": pl.String(),
    "decided_by": pl.String(), "decided_at": pl.String(), "note": pl.String(),
}
# Column names a steward may use in decisions.csv -> canonical.
CSV_SYNONYMS = {
    "record_key_a": "record_key_l", "record_a": "record_key_l", "记录A": "record_key_l",
    "记录键A": "record_key_l", "record_id_l": "record_key_l", "record_id_a": "record_key_l",
    "record_key_b": "record_key_r", "record_b": "record_key_r", "记录B": "record_key_r",
    "记录键B": "record_key_r", "record_id_r": "record_key_r", "record_id_b": "record_key_r",
    "决定": "decision", "决定人": "decided_by", "决定时间": "decided_at", "备注": "note",
}
DECISION_VALUES = {"link": "link", "no_link": "no_link", "是": "link", "否": "no_link",
                   "同一人": "link", "不同人": "no_link"}


def decision_row(a: str, b: str, decision: str, decided_by: str, note: str = "") -> pl.DataFrame:
    """One decision as a ``match_decision`` row (keys ordered, time now in Asia/Shanghai).

    Args:
        a: record_key of one record.
        b: record_key of the other.
        decision: ``link`` or ``no_link``.
        decided_by: the steward's name.
        note: free text.

    Returns:
        A one-row frame with ``DECISION_SCHEMA``.

    Raises:
        ValueError: for an unknown decision or a pair of one record with itself.
    """
    if decision not in ("link", "no_link"):
        msg = f"decision must be 'link' or 'no_link', not {decision!r}"
        raise ValueError(msg)
    if a == b:
        msg = "a decision needs two different records"
        raise ValueError(msg)
    left, right = sorted((a.strip(), b.strip()))
    now = datetime.now(ZoneInfo(TIMEZONE)).isoformat(timespec="seconds")
    return pl.DataFrame([[left], [right], [decision], [decided_by], [now], [note]],
                        schema=DECISION_SCHEMA, orient="col")


def record_decision(warehouse, row: pl.DataFrame) -> None:
    """Append a decision row to the warehouse table ``match_decision``."""
    warehouse.append(DECISION_TABLE, row)


def _canonical(frame: pl.DataFrame) -> pl.DataFrame:
    """``DECISION_SCHEMA`` columns, null where the frame lacks one."""
    return frame.select([pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c)
                         for c, t in DECISION_SCHEMA.items()])


def read_decisions_csv(path: Path) -> pl.DataFrame:
    """Read a steward's ``decisions.csv`` (UTF-8, with or without BOM).

    Raises:
        ValueError: naming the file and row when a decision is not link/no_link.
    """
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    clean = {c: c.strip().lstrip("\ufeff") for c in frame.columns}
    canonical = {c: CSV_SYNONYMS.get(name, name) for c, name in clean.items()}
    twice = sorted({v for v in canonical.values() if list(canonical.values()).count(v) > 1})
    if twice:
        msg = f"{path.name}, row 1: more than one column for {', '.join(twice)}"
        raise ValueError(msg)
    frame = frame.rename(canonical)
    missing = {"record_key_l", "record_key_r", "decision"} - set(frame.columns)
    if missing:
        msg = (f"{path.name}, row 1: missing column(s) {', '.join(sorted(missing))} "
               "(write record_key_l, record_key_r, decision; 记录A, 记录B, 决定 also work)")
        raise ValueError(msg)
    frame = frame.with_columns(pl.col("decision").str.strip_chars()
                               .replace_strict(DECISION_VALUES, default=None).alias("value"))
    bad = frame.with_row_index("row", offset=2).filter(pl.col("value").is_null())
    if bad.height:
        msg = (f"{path.name}, row {bad['row'][0]}, column decision: "
               f"{bad['decision'][0]!r} is not link or no_link")
        raise ValueError(msg)
    return _canonical(frame.with_columns(pl.col("value").alias("decision")))


def all_decisions(warehouse, landing: Path) -> pl.DataFrame | None:
    """The warehouse decisions, then ``decisions.csv`` from the landing folder; later wins.

    Returns:
        ``DECISION_SCHEMA`` rows, one per pair (the latest decision), or None when there are none.
    """
    parts = []
    if warehouse.has_table(DECISION_TABLE):
        parts.append(_canonical(drop_meta(warehouse.read(DECISION_TABLE))))
    csv = landing / "decisions.csv"
    if csv.exists():
        parts.append(read_decisions_csv(csv))
    if not parts:
        return None
    decisions = pl.concat(parts).unique(["record_key_l", "record_key_r"], keep="last",
                                        maintain_order=True)
    return decisions if decisions.height else None
