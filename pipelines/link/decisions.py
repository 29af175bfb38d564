"""Steward decisions: forced links and cannot-links between two records, kept between runs.

A decision names its records in ``record_key_l`` / ``record_key_r`` and says ``link`` or
``no_link`` (contract: ``schemas.steward.MatchDecision``). Stewards record them in the Dagster
Launchpad, with ``sanji decide`` (both append to the warehouse table ``match_decision``) or in
``decisions.csv`` in the landing folder. Each value may be the stable ``record_key`` (preferred:
it survives re-exports) or the run's ``record_id`` (file|sheet|row), as ``uncertain_match``
shows both; the linker resolves either and reports decisions naming no current record.

One rule decides between decisions on the same pair, wherever they come from: the latest by
``decided_at`` wins; a decision without a time counts as the newest; ties go to the later row
(warehouse rows before ``decisions.csv`` rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.domain.county import TIMEZONE
from pipelines.domain.identity import mask_ids_in_text
from pipelines.errors import UserInputError
from schemas.contract import conform, polars_schema
from schemas.steward import DECISIONS, MatchDecision

DECISION_TABLE = "match_decision"
DECISIONS_CSV = "decisions.csv"
# Column names a steward may use (decisions.csv, older frames) -> canonical.
COLUMN_SYNONYMS = {
    "record_key_a": "record_key_l", "record_a": "record_key_l", "记录A": "record_key_l",
    "记录键A": "record_key_l", "record_id_l": "record_key_l", "record_id_a": "record_key_l",
    "record_key_b": "record_key_r", "record_b": "record_key_r", "记录B": "record_key_r",
    "记录键B": "record_key_r", "record_id_r": "record_key_r", "record_id_b": "record_key_r",
    "决定": "decision", "决定人": "decided_by", "决定时间": "decided_at", "备注": "note",
    "覆盖乡镇核实": "override_township",
}
DECISION_WORDS = {"link": "link", "no_link": "no_link", "是": "link", "否": "no_link",
                  "同一人": "link", "不同人": "no_link", "非同一人": "no_link"}
# A note starting so overrides a township's 非同一人 (``pipelines.cases.override``); in
# decisions.csv a true ``override_township`` (覆盖乡镇核实) column writes it.
OVERRIDE_MARK = "覆盖乡镇核实"
OVERRIDE_WORDS = ("true", "yes", "y", "1", "是", "x", "✓")
EXAMPLES = 5  # unresolved decisions listed by name
SHORT = 40  # characters of an unresolved record reference shown
# Formats tried on a decided_at once its date separators are "-" and a "T" is a space.
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y%m%d", "%Y%m%d%H%M%S")
_OFFSET = r"(:[0-9]{2}(?:\.[0-9]+)?)\s*(Z|[+-][0-9]{2}:?[0-9]{2})$"
_DATE = r"^([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?(?:[T ]\s*)?"


def decision_row(a: str, b: str, decision: str, decided_by: str, note: str = "") -> pl.DataFrame:
    """One decision as a ``match_decision`` row (keys ordered, time now in the county's zone).

    Args:
        a: record_key (or record_id) of one record.
        b: record_key (or record_id) of the other.
        decision: ``link`` or ``no_link``.
        decided_by: the steward's name.
        note: free text.

    Returns:
        A one-row frame with the ``MatchDecision`` columns.

    Raises:
        ValueError: for an unknown decision or a pair of one record with itself.
    """
    if decision not in DECISIONS:
        msg = f"decision must be 'link' or 'no_link', not {decision!r}"
        raise ValueError(msg)
    if a.strip() == b.strip():
        msg = "a decision needs two different records"
        raise ValueError(msg)
    left, right = sorted((a.strip(), b.strip()))
    now = datetime.now(ZoneInfo(TIMEZONE)).isoformat(timespec="seconds")
    return pl.DataFrame([[left], [right], [decision], [decided_by], [now], [note]],
                        schema=polars_schema(MatchDecision), orient="col")


def record_decision(warehouse, row: pl.DataFrame) -> None:
    """Append a decision row to the warehouse table ``match_decision``."""
    warehouse.append(DECISION_TABLE, row)


def canonical(frame: pl.DataFrame, where: str = "decisions", first_row: int = 1) -> pl.DataFrame:
    """Decisions in their contract's columns, whatever names and decision words they came with.

    Args:
        frame: decisions with canonical or synonym column names (``COLUMN_SYNONYMS``).
        where: what to call the source in errors (a file name).
        first_row: the row number of the first decision as the steward sees it (2 in a CSV).

    Returns:
        ``MatchDecision`` columns; ``decision`` as ``link`` / ``no_link``.

    Raises:
        ValueError: naming the row and column when a column is missing, twice, or a decision is
            not one of ``DECISION_WORDS``.
    """
    names = {c: COLUMN_SYNONYMS.get(c.strip().lstrip("\ufeff"), c.strip().lstrip("\ufeff"))
             for c in frame.columns}
    twice = sorted({v for v in names.values() if list(names.values()).count(v) > 1})
    if twice:
        msg = f"{where}, row 1: more than one column for {', '.join(twice)}"
        raise ValueError(msg)
    frame = frame.rename(names)
    missing = [c for c in ("record_key_l", "record_key_r", "decision") if c not in frame.columns]
    if missing:
        msg = (f"{where}, row 1: missing column(s) {', '.join(missing)} "
               "(write record_key_l, record_key_r, decision; 记录A, 记录B, 决定 also work)")
        raise ValueError(msg)
    word = pl.col("decision").cast(pl.String).str.strip_chars()
    frame = frame.with_columns(
        pl.col("record_key_l", "record_key_r").cast(pl.String).str.strip_chars(),
        word.replace_strict(DECISION_WORDS, default=None).alias("_value"),
    )
    bad = frame.with_row_index("_row", offset=first_row).filter(pl.col("_value").is_null())
    if bad.height:
        msg = (f"{where}, row {bad['_row'][0]}, column decision: "
               f"{short_reference(str(bad['decision'][0]))!r} is not link or no_link")
        raise ValueError(msg)
    out = conform(_override_in_note(frame).with_columns(decision=pl.col("_value")),
                  MatchDecision)
    _check_times(out, where, first_row)
    return out


def _override_in_note(frame: pl.DataFrame) -> pl.DataFrame:
    """A true ``override_township`` column as ``OVERRIDE_MARK`` at the start of the note."""
    if "override_township" not in frame.columns:
        return frame
    yes = pl.col("override_township").cast(pl.String).str.strip_chars().str.to_lowercase(
        ).is_in(OVERRIDE_WORDS)
    note = (pl.col("note").cast(pl.String) if "note" in frame.columns
            else pl.lit(None, pl.String)).fill_null("")
    said = pl.when(note.str.starts_with(OVERRIDE_MARK)).then(note).otherwise(
        pl.concat_str(pl.lit(f"{OVERRIDE_MARK} / overrides the township; "), note))
    return frame.with_columns(note=pl.when(yes).then(said).otherwise(note)
                              ).drop("override_township")


def read_decisions_csv(path: Path) -> pl.DataFrame:
    """Read a steward's ``decisions.csv`` (UTF-8, with or without BOM).

    Raises:
        ValueError: naming the file, row and column of the first problem (a
            ``UserInputError`` when the file is no readable CSV: the parser's own message,
            which quotes rows, is not shown).
    """
    try:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    except pl.exceptions.NoDataError:  # an empty file: no decisions
        frame = pl.DataFrame(schema=dict.fromkeys(("record_key_l", "record_key_r", "decision"),
                                                  pl.String))
    except (pl.exceptions.PolarsError, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        msg = (f"not a readable CSV ({type(exc).__name__}): save it as UTF-8 CSV with the "
               "columns record_key_l, record_key_r, decision (记录A, 记录B, 决定 also work)")
        raise UserInputError(msg, file=path.name) from None
    return canonical(frame, path.name, first_row=2)


def all_decisions(warehouse, landing: Path) -> pl.DataFrame | None:
    """The warehouse's decisions and the landing folder's ``decisions.csv``, latest per pair.

    Args:
        warehouse: a :class:`pipelines.warehouse.Warehouse`.
        landing: the landing folder.

    Returns:
        ``MatchDecision`` rows, one per pair (see the module rule), or None when there are none.
    """
    parts = []
    if warehouse.has_table(DECISION_TABLE):
        parts.append(canonical(warehouse.read(DECISION_TABLE), DECISION_TABLE))
    csv = landing / DECISIONS_CSV
    if csv.exists():
        parts.append(read_decisions_csv(csv))
    if not parts:
        return None
    decisions = latest(pl.concat(parts))
    return decisions if decisions.height else None


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
    """Return the decisions with ``_n`` (input position) and ``_at`` (UTC decision time)."""
    at = (decision_times(pl.col("decided_at")) if "decided_at" in frame.columns
          else pl.lit(None, pl.Datetime("us")))
    return frame.with_row_index("_n").with_columns(_at=at)


def _check_times(frame: pl.DataFrame, where: str, first_row: int) -> None:
    """Raise when a ``decided_at`` is neither blank nor a readable date/time, naming the row."""
    text = pl.col("decided_at").cast(pl.String).str.strip_chars()
    bad = frame.with_row_index("_row", offset=first_row).filter(
        decision_times(pl.col("decided_at")).is_null() & (text.str.len_chars() > 0))
    if bad.height:
        value = short_reference(str(bad["decided_at"][0]))
        msg = (
            f"{where}, row {bad['_row'][0]}, column decided_at: {value!r} is not a date/time "
            "(e.g. 2026-11-25T08:00:00+08:00, 2026-11-25 08:00 or 2026/11/25; blank = newest)"
        )
        raise ValueError(msg)


def latest(decisions: pl.DataFrame, pair: tuple[str, str] = ("record_key_l", "record_key_r"),
           ) -> pl.DataFrame:
    """The latest decision per pair by the module rule (decided_at, untimed newest, row order).

    Args:
        decisions: decisions with the ``pair`` columns and maybe ``decided_at``.
        pair: the two columns naming the pair (in a fixed order per pair).

    Returns:
        One row per pair, in first-seen order (an unreadable ``decided_at`` counts as newest;
        :func:`canonical` refuses such rows before they get here).
    """
    return (
        _ordered(decisions)
        .sort(["_at", "_n"], nulls_last=True, maintain_order=True)
        .unique(list(pair), keep="last", maintain_order=True)
        .sort("_n")
        .drop("_at", "_n")
    )


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
    frame = canonical(decisions)
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
            decided_at="decided_at",
        )
    )
    pairs = latest(pairs, ("i_l", "i_r")).drop("decided_at")
    return Resolved(pairs, lost.height, examples)
