"""Metadata helpers: frames as Dagster tables, IDs always masked.

Previews are ``MetadataValue.table`` (never markdown: the ``*`` of a masked ID would be read
as emphasis). Any column that can hold an identity number is masked before it leaves here.
"""


import re
from collections.abc import Mapping

import polars as pl
from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

from pipelines.domain.identity import mask_id, mask_ids_in_text

# Columns that may hold a full identity number: exactly these names, or a strict pattern for
# their pair / numbered variants (``id_number_l``, ``id_raw_r``, ``id_number_2``). Provenance and
# flag columns (``id_number_source``, ``id_valid``, ``id_masked``: already masked) are not IDs.
ID_COLUMNS = frozenset({"id_number", "id_raw", "id", "id_l", "id_r", "id_t",
                        "id_number_l", "id_number_r", "id_raw_l", "id_raw_r"})
ID_COLUMN = re.compile(r"^(id_number|id_raw)_(l|r|left|right|\d+)$")
_KINDS = {pl.Int64: "int", pl.Int32: "int", pl.UInt32: "int", pl.Float64: "float",
          pl.Boolean: "bool"}


def is_id_column(name: str) -> bool:
    """Whether a column named ``name`` may hold a full identity number (and must be masked)."""
    return name in ID_COLUMNS or ID_COLUMN.fullmatch(name) is not None


def masked(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with identity numbers masked (``410103********123X``).

    ID columns are masked whole; every other text column is scrubbed of ID-like runs, so a
    number that strays into free text (a detail, a raw value) never reaches the UI either.
    Record keys are hashes, not IDs, and stay as they are for stewards to copy.
    """
    ids = [c for c in frame.columns if is_id_column(c)]
    text = [c for c, t in frame.schema.items()
            if t == pl.String and c not in ids and not c.startswith("record_key")]
    return frame.with_columns(
        *(mask_id(pl.col(c).cast(pl.String)).alias(c) for c in ids),
        *(mask_ids_in_text(pl.col(c)).alias(c) for c in text),
    )


def _kind(dtype: pl.DataType) -> str:
    return next((k for t, k in _KINDS.items() if dtype == t), "string")


def table_preview(frame: pl.DataFrame, limit: int = 10) -> MetadataValue:
    """The first ``limit`` rows as a Dagster table, IDs masked, values as text or numbers.

    Args:
        frame: any frame.
        limit: rows to show.

    Returns:
        ``MetadataValue.table`` with a schema.
    """
    head = masked(frame.head(limit))
    kinds = {c: "string" if head[c].null_count() else _kind(t) for c, t in head.schema.items()}
    head = head.with_columns(pl.col(c).cast(pl.String).fill_null("")
                             for c, k in kinds.items() if k == "string")
    schema = TableSchema(columns=[TableColumn(name=c, type=k) for c, k in kinds.items()])
    records = [TableRecord(row) for row in head.iter_rows(named=True)]
    return MetadataValue.table(records=records, schema=schema)


def counts(frame: pl.DataFrame, column: str, limit: int = 50) -> MetadataValue:
    """Rows per value of ``column`` (most first) as a Dagster table."""
    if column not in frame.columns:
        return table_preview(pl.DataFrame({column: [], "rows": []}))
    table = frame.group_by(pl.col(column).fill_null("(none)")).len("rows")
    return table_preview(table.sort("rows", descending=True), limit=limit)


def tallies(rows: Mapping[str, int], column: str, limit: int = 50) -> MetadataValue:
    """Rows per value of ``column`` already counted (``rows``), shown as :func:`counts`
    shows them: no second pass over the rows counted."""
    table = pl.DataFrame({column: list(rows),
                          "rows": pl.Series(list(rows.values()), dtype=pl.UInt32)})
    return table_preview(table.sort("rows", descending=True), limit=limit)


def township_counts(frame: pl.DataFrame, regions: pl.DataFrame, limit: int = 50) -> MetadataValue:
    """Rows per township (most first) with the township's name beside its code.

    Args:
        frame: a frame with a ``township_code`` column.
        regions: the region table (``code``, ``name``, ``level``).
        limit: townships to show.

    Returns:
        ``MetadataValue.table`` with ``township_code``, ``township_name`` and ``rows``.
    """
    empty = pl.DataFrame(schema={"township_code": pl.String, "township_name": pl.String,
                                 "rows": pl.UInt32})
    if "township_code" not in frame.columns:
        return table_preview(empty)
    names = (regions.filter(pl.col("level") == "township")
             .select(pl.col("code").alias("township_code"), pl.col("name").alias("township_name"))
             .unique("township_code"))
    table = (frame.group_by("township_code").len("rows")
             .join(names, on="township_code", how="left")
             .select("township_code", "township_name", "rows")
             .with_columns(pl.col("township_code", "township_name").fill_null("(none)")))
    return table_preview(table.sort(["rows", "township_code"], descending=[True, False]),
                         limit=limit)


# --- the steward's previews -------------------------------------------------------------------

PREVIEW_LIMIT = 10
# Never dropped as "the same on every row": they say who a row is about and where they live.
WHO = frozenset({"person_id", "name", "id_number", "case_id", "name_l", "name_r",
                 "id_masked_l", "id_masked_r", "record_key_l", "record_key_r",
                 "township_name", "village_name", "village_name_l", "village_name_r"})
# A mismatch (or case) row, read left to right: who, where, since when, what.
MISMATCH_FIRST = ("name", "id_number", "township_name", "village_name", "first_seen", "status",
                  "overdue", "detail", "rule", "rule_zh", "person_id", "case_id")
MISMATCH_ORDER = ("first_seen", "township_name", "village_name", "name")
# Too long for a screen: the record ids behind a row (the warehouse table and the township's
# work list carry them) and the rule's English name (the check's description says it).
MISMATCH_HIDDEN = ("evidence", "evidence_keys", "rule_en")
# An uncertain pair: both names, the fields a steward compares, the explanation, the keys.
PAIR_FIRST = ("name_l", "name_r", "explain", "id_masked_l", "id_masked_r", "birth_date_l",
              "birth_date_r", "sex_l", "sex_r", "village_name_l", "village_name_r",
              "match_probability", "record_key_l", "record_key_r")
PAIR_ORDER = ("queue_rank",)
# Columns a screen cannot spare room for (their content is in the warehouse table; the rows
# are in queue order already).
PAIR_HIDDEN = ("record_id_l", "record_id_r", "i_l", "i_r", "source_file_l", "source_file_r",
               "match_weight", "queue_rank", "pairs_behind")


def _names(regions: pl.DataFrame, level: str) -> pl.DataFrame:
    """``code``, ``name`` (and the village's ``township_code``) of one level of the regions."""
    cols = ["code", "name", *(["township_code"] if level == "village" else [])]
    return regions.filter(pl.col("level") == level).select(cols).unique("code")


def with_place_names(frame: pl.DataFrame, regions: pl.DataFrame | None) -> pl.DataFrame:
    """The frame with place names in place of codes (a code stays when it names no place).

    Each ``village_code[_l|_r]`` becomes ``village_name[_l|_r]`` and ``township_code`` becomes
    ``township_name``; a frame with villages but no township gets the village's township.

    Args:
        frame: a frame with village and/or township code columns.
        regions: the region table (``code``, ``name``, ``level``, ``township_code``), or None.

    Returns:
        The frame, codes replaced by names where the regions know them.
    """
    if regions is None or not regions.height:
        return frame
    villages, townships = _names(regions, "village"), _names(regions, "township")
    village_cols = [c for c in frame.columns if re.fullmatch(r"village_code(_l|_r)?", c)]
    if "township_code" not in frame.columns and "village_code" in frame.columns:
        frame = frame.with_columns(pl.col("village_code").cast(pl.String)).join(
            villages.select(pl.col("code").alias("village_code"), "township_code"),
            on="village_code", how="left")
    for col in [*village_cols, *(["township_code"] if "township_code" in frame.columns else [])]:
        names = villages if col.startswith("village") else townships
        new = col.replace("_code", "_name")
        lookup = names.select(pl.col("code").alias(col), pl.col("name").alias(new))
        frame = (frame.with_columns(pl.col(col).cast(pl.String)).join(lookup, on=col, how="left")
                 .with_columns(pl.col(new).fill_null(pl.col(col))).drop(col))
    return frame


def with_masked_id(frame: pl.DataFrame, people: pl.DataFrame | None) -> pl.DataFrame:
    """The frame with each person's ``id_number`` beside ``person_id`` (masked when shown)."""
    if (people is None or "person_id" not in frame.columns or "id_number" in frame.columns
            or "id_number" not in people.columns):
        return frame
    shown = frame.select(pl.col("person_id").cast(pl.String)).unique()  # a rule's few people
    ids = (people.select("person_id", "id_number").join(shown, on="person_id", how="semi")
           .unique("person_id"))
    return frame.with_columns(pl.col("person_id").cast(pl.String)).join(ids, on="person_id",
                                                                        how="left")


def same_on_every_row(frame: pl.DataFrame, keep: frozenset[str] = WHO) -> dict[str, str]:
    """Columns holding one value on every row (of two or more), with that value as text."""
    if frame.height < 2:  # one row: every column is "the same"
        return {}
    same = [c for c in frame.columns if c not in keep and frame[c].n_unique() == 1]
    row = masked(frame.select(same).head(1)).row(0, named=True) if same else {}
    return {c: "(empty)" if v is None else str(v) for c, v in row.items()}


def steward_preview(frame: pl.DataFrame, *, regions: pl.DataFrame | None = None,
                    people: pl.DataFrame | None = None, first: tuple[str, ...] = MISMATCH_FIRST,
                    order: tuple[str, ...] = MISMATCH_ORDER,
                    hidden: tuple[str, ...] = MISMATCH_HIDDEN,
                    limit: int = PREVIEW_LIMIT) -> dict[str, MetadataValue]:
    """A preview a steward reads on one screen, and what it leaves out.

    The rows get masked IDs (from ``people``) and place names (from ``regions``); columns
    holding the same value on every row are dropped and said once; ``first`` columns lead.

    Args:
        frame: the rows (a rule's mismatches, the cases, the uncertain pairs).
        regions: the region table, for village and township names.
        people: the golden ``person`` table, for each person's ID (shown masked).
        first: the columns to show first, in this order, when present.
        order: the columns the rows are sorted by, when present (the preview is their head).
        hidden: columns never shown (too wide for a screen; the warehouse table has them).
        limit: rows to show.

    Returns:
        ``preview`` (a table of at most ``limit`` rows) and ``preview_shows`` ("10 of 40 rows;
        the same on every row: rule = dead_but_active").
    """
    rows = with_place_names(with_masked_id(frame, people), regions)
    rows = rows.drop([c for c in hidden if c in rows.columns])
    by = [c for c in order if c in rows.columns]
    if by and rows.height:
        rows = rows.sort(by, nulls_last=True, maintain_order=True)
    same = same_on_every_row(rows)
    rows = rows.drop(list(same))
    lead = [c for c in first if c in rows.columns]
    rows = rows.select(*lead, *(c for c in rows.columns if c not in lead))
    shown = min(limit, rows.height)
    said = "; ".join(f"{c} = {v}" for c, v in same.items())
    text = f"{shown} of {rows.height} rows" + (f"; the same on every row: {said}" if said else "")
    return {"preview": table_preview(rows, limit=limit),
            "preview_shows": MetadataValue.text(mask_ids_in_text(text))}


def pair_preview(pairs: pl.DataFrame, regions: pl.DataFrame | None = None,
                 limit: int = PREVIEW_LIMIT) -> dict[str, MetadataValue]:
    """The uncertain pairs as a steward decides them: names, key fields, explanation, keys."""
    if "match_probability" in pairs.columns:
        pairs = pairs.with_columns(pl.col("match_probability").round(3))
    return steward_preview(pairs, regions=regions, first=PAIR_FIRST, order=PAIR_ORDER,
                           hidden=PAIR_HIDDEN, limit=limit)


def per_rule(frame: pl.DataFrame, rules: list[str], prefix: str) -> dict[str, int]:
    """``{prefix}{rule}: rows`` for every rule (0 included), numbers Dagster plots by month."""
    found = dict(frame.group_by("rule").len().iter_rows()) if "rule" in frame.columns else {}
    return {f"{prefix}{rule}": int(found.get(rule, 0)) for rule in rules}


# The township table a steward reads first: the cases when tracked, people, two rates.
TOWNSHIP_COLUMNS = ("township_name", "registered_total", "contract_rate", "insured_rate")
CASE_COLUMNS = ("cases_new", "cases_open", "cases_overdue", "cases_resolved", "cases_explained")
TREND_COLUMNS = ("registered_total", "contracted", "insured", *CASE_COLUMNS)


def township_table(frame: pl.DataFrame, limit: int = 50) -> MetadataValue:
    """One row per township (by name): new / open / resolved case counts, people, rates.

    Args:
        frame: ``township_monthly`` (the case counts are there once cases are tracked).
        limit: townships to show.

    Returns:
        ``MetadataValue.table``, townships with the most open cases first.
    """
    cols = [c for c in ("township_name", *CASE_COLUMNS, *TOWNSHIP_COLUMNS[1:])
            if c in frame.columns]
    table = frame.select(cols).with_columns(pl.col(c).round(3) for c in cols
                                            if c.endswith("_rate"))
    by = [c for c in ("cases_open", "registered_total") if c in cols]
    if by:
        table = table.sort(by, descending=True, maintain_order=True)
    return table_preview(table, limit=limit)


def trend_numbers(frame: pl.DataFrame) -> dict[str, int]:
    """The one-row ``county_monthly``'s counts a steward follows month over month (plotted)."""
    if frame.height != 1:
        return {}
    row = frame.row(0, named=True)
    return {c: int(row[c] or 0) for c in TREND_COLUMNS if c in frame.columns}
