"""The shape of each record of a delimited text: how many fields it has, what its quotes hide.

The grid reader (:mod:`pipelines.read.text`) parses with polars, which pads a short record and
cuts a long one without a word, and a stray ``"`` can turn several lines into one cell. So the
records are measured here, line by line, the way the parser reads them: a record is a line,
unless a quoted field carries it over the next lines (then it is one record, numbered as the
grid numbers it). Lines without a quote, and lines whose quoted fields all close on the line,
are measured with polars expressions; only the few other lines (a quoted cell over several
lines, a quote in the middle of a field) go through Python's ``csv`` reader.

Each record gets ``fields`` (as written, empty trailing fields included) and ``inner``: the
most fields one line inside one of its multi-line cells would have on its own (0 when no
cell spans lines). A cell whose inner line is a whole record is the sign of a stray quote
that swallowed the records after it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import polars as pl

SHAPE_SCHEMA = {"row_number": pl.Int64, "fields": pl.Int32, "inner": pl.Int32}
# Python's csv module refuses fields over 128 KiB by default: a long cell is the reader's
# problem to report, not a reason to misread the file.
csv.field_size_limit(2**31 - 1)


def text_lines(body: bytes) -> pl.Series:
    """The lines of UTF-8 text (``\r\n`` or ``\n``; a final line break ends the last line)."""
    if b"\x1f" not in body:  # the unit separator splits no line: polars reads lines fast
        lines = pl.read_csv(body, has_header=False, separator="\x1f", quote_char=None,
                            infer_schema=False, new_columns=["line"], raise_if_empty=False)
        return lines.to_series().fill_null("") if lines.width else pl.Series("line", [],
                                                                              pl.String)
    text = body.decode("utf-8")
    lines = pl.Series("line", [text]).str.split("\n").explode()
    if text.endswith("\n"):
        lines = lines.head(lines.len() - 1)
    return lines.str.strip_suffix("\r")


def _quoted_field(delimiter: str) -> str:
    d = re.escape(delimiter)
    return rf'(?:"(?:[^"]|"")*"|[^"{d}]*)'


def _walk(lines: pl.Series, start: int, delimiter: str) -> tuple[int, int, int]:
    """(lines used, fields, inner) of the record starting at line ``start`` (csv module)."""
    def rest() -> Iterator[str]:
        for j in range(start, lines.len()):
            yield lines[j] + "\n"

    reader = csv.reader(rest(), delimiter=delimiter)
    record = next(reader, [])
    inner = max((part.count(delimiter) + 1 for cell in record if "\n" in cell.rstrip("\n")
                 for part in cell.split("\n")), default=0)
    return max(reader.line_num, 1), len(record), inner


def record_shapes(body: bytes, delimiter: str, quoting: bool = True) -> pl.DataFrame:
    """Each record's number, field count and inner field count (see the module).

    Args:
        text: the decoded file, line breaks ``\\n`` (or ``\\r\\n``).
        delimiter: the field delimiter.
        quoting: whether ``"`` quotes fields (False: every line is one record).

    Returns:
        ``SHAPE_SCHEMA`` rows, one per record, ``row_number`` from 1.
    """
    lines = text_lines(body)
    frame = pl.DataFrame({"line": lines}).with_columns(
        fields=(pl.col("line").str.count_matches(delimiter, literal=True) + 1).cast(pl.Int32),
        inner=pl.lit(0, pl.Int32), start=pl.lit(True))
    if quoting and lines.str.contains('"', literal=True).any():
        frame = _quoted(frame, delimiter)
    return (frame.filter("start").select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("row_number"), "fields", "inner")
        .cast(SHAPE_SCHEMA))


def _quoted(frame: pl.DataFrame, delimiter: str) -> pl.DataFrame:
    """Shapes of a text with quotes: whole-line quoted fields by expression, the rest by csv."""
    field = _quoted_field(delimiter)
    line = pl.col("line")
    complete = line.str.contains(rf"^{field}(?:{re.escape(delimiter)}{field})*$")
    unquoted = line.str.replace_all(r'"(?:[^"]|"")*"', "")
    frame = frame.with_columns(
        fields=pl.when(line.str.contains('"', literal=True) & complete)
        .then(unquoted.str.count_matches(delimiter, literal=True) + 1)
        .otherwise("fields").cast(pl.Int32),
        _slow=line.str.contains('"', literal=True) & ~complete,
    )
    slow = frame["_slow"].arg_true().to_list()
    if not slow:
        return frame.drop("_slow")
    lines = frame["line"]
    at, fields, inner, inside = [], [], [], []
    done = -1
    for i in slow:
        if i <= done:
            continue
        used, n, deep = _walk(lines, i, delimiter)
        at.append(i)
        fields.append(n)
        inner.append(deep)
        inside.extend(range(i + 1, i + used))
        done = i + used - 1
    return frame.with_columns(
        fields=frame["fields"].scatter(at, pl.Series(fields, dtype=pl.Int32)),
        inner=frame["inner"].scatter(at, pl.Series(inner, dtype=pl.Int32)),
        start=frame["start"].scatter(inside, False) if inside else frame["start"],
    ).drop("_slow")
