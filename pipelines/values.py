"""Categorical cells to canonical codes, on unique values joined back; the cells no list knows.

Every categorical field of an extract names a code list (``codes`` in
``pipelines/domain/headers.yaml``); :func:`map_codes` maps each cell to its code. A cell is
normalised first (``normalise_value``: Excel's ="…" guard, a national code suffix such as
特困人员-7131, spaces and full-width forms), then looked up in the steward's value words, the
list's words, its context words (是 in 是否参保, 1 in 人员参保状态) and its bare digit codes. A
list field (risk causes) splits a cell on 、,，;；/ and maps each part. What is not found stays
null and is named in ``_unk_<field>`` (a ``value_unknown`` field issue); a null word
(/, 无, 不详 …) is null without an issue.
"""

from __future__ import annotations

import re

import polars as pl

from pipelines.domain.codes import CODE_LISTS, NULL_WORDS, CodeList
from pipelines.domain.predicates import LIST_SEPARATOR
from pipelines.domain.vocabulary import normalise_header, normalise_value

SPLIT = re.compile(r"[、,，;；/|]+")


def code_of(value: str, codes: CodeList, header: str = "",
            steward: dict[str, str] | None = None) -> tuple[str | None, bool]:
    """The code of one cell, and whether the cell was a known word at all.

    Args:
        value: the cell as read.
        codes: the code list.
        header: the column's normalised header (for context words).
        steward: the steward's normalised value words for this list.

    Returns:
        (code or None, known): known is False only for a word no list names.
    """
    norm = normalise_value(value)
    if not norm:
        return None, True
    code = (steward or {}).get(norm) or codes.lookup(norm, header)
    if code is not None:
        return code, True
    return None, norm in NULL_WORDS


def code_table(values: pl.Series, codes: CodeList, header: str = "",
               steward: dict[str, str] | None = None, multi: bool = False) -> pl.DataFrame:
    """Each unique cell of a column with its code(s) and its unknown part(s).

    Args:
        values: the column as read.
        codes: the code list.
        header: the column's normalised header.
        steward: the steward's normalised value words for this list.
        multi: a list field: split each cell and map every part.

    Returns:
        value, code (codes joined by 、 for a list field, in list order), unknown (the parts
        no word names, joined by 、), one row per unique non-null cell.
    """
    order = {c: i for i, c in enumerate(codes.codes)}
    rows = []
    for value in values.drop_nulls().unique().to_list():
        parts = [p for p in SPLIT.split(value) if p.strip()] if multi else [value]
        found, unknown = [], []
        for part in parts:
            code, known = code_of(part, codes, header, steward)
            if code is not None:
                found.append(code)
            elif not known:
                unknown.append(part.strip())
        found = sorted(set(found), key=order.__getitem__)
        rows.append((value, LIST_SEPARATOR.join(found) or None,
                     LIST_SEPARATOR.join(unknown) or None))
    return pl.DataFrame(rows, schema={"value": pl.String, "code": pl.String,
                                      "unknown": pl.String}, orient="row")


def map_column(frame: pl.DataFrame, column: str, codes: CodeList, header: str = "",
               steward: dict[str, str] | None = None, multi: bool = False
               ) -> tuple[pl.Series, pl.Series]:
    """Codes and unknown parts of one column, looked up once per unique value.

    Args:
        frame: the frame holding ``column`` (text).
        column: the column.
        codes: its code list.
        header: the column's normalised header.
        steward: the steward's normalised value words for this list.
        multi: a list field.

    Returns:
        (codes, unknown parts): two String Series of the frame's height.
    """
    values = frame[column]
    table = code_table(values, codes, header, steward, multi)
    # each row's place in the table, looked up once for both columns
    index = values.replace_strict(
        table["value"], pl.int_range(table.height, dtype=pl.UInt32, eager=True),
        default=None, return_dtype=pl.UInt32)
    return (table["code"].gather(index).alias(values.name),
            table["unknown"].gather(index).alias(values.name))


def header_of(columns: dict[str, str], headers: dict[str, str], field: str) -> str:
    """The normalised header of the (first) column a field was read from ("" when none)."""
    col = next((c for c, f in columns.items() if f == field), None)
    return normalise_header(headers.get(col, "")) if col else ""


def _illness_words() -> dict[str, str]:
    """Normalised word -> serious illness code, every word of the list, longest first."""
    words = CODE_LISTS["serious_illness"].words
    return dict(sorted(words.items(), key=lambda kv: -len(kv[0])))


def serious_illness_in(diagnosis: pl.Series) -> pl.Series:
    """The serious illness a free-text diagnosis names (containment, longest word first).

    Args:
        diagnosis: settlement diagnoses as read.

    Returns:
        String Series of serious illness codes (``SERIOUS_ILLNESSES``), null when none.
    """
    words = _illness_words()
    pattern = "(" + "|".join(re.escape(w) for w in words) + ")"
    uniq = diagnosis.drop_nulls().unique()
    text = uniq.str.normalize("NFKC").str.to_lowercase().str.replace_all(r"\s+", "")
    found = text.str.extract(pattern, 1).replace_strict(
        list(words), list(words.values()), default=None, return_dtype=pl.String)
    return diagnosis.replace_strict(uniq, found, default=None, return_dtype=pl.String)
