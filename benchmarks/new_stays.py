"""A quiet night's change for ``night.py``: the settlements file grows by new stays.

A new stay is a copy of a person's settlement line with the admission and discharge dates moved
into the night's month and another total cost, so ingest reads it as a new record (an exact
copy would be set aside as a ``duplicate_row`` and leave the linker nothing to do).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl


def new_stay(line: bytes, header: list[str], k: int, month: str) -> bytes:
    """A settlement line made a new stay of the same person: admission and discharge dates in
    the night's month and another total cost (an exact copy would be set aside as a
    ``duplicate_row`` and give the linker nothing new)."""
    row = next(csv.reader([line.decode("gb18030").rstrip("\r\n")]))
    for column, day in (("入院日期", 1 + k % 20), ("出院日期", 6 + k % 20)):
        if column in header:
            row[header.index(column)] = f"{month}-{day:02d}"
    if "医疗总费用" in header:
        row[header.index("医疗总费用")] = f"{1000 + 37 * k % 50000}.{k % 100:02d}"
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(row)
    return out.getvalue().encode("gb18030")


def grow_settlements(landing: Path, records: pl.DataFrame, pattern: str, month: str,
                     share: float = 0.01) -> pl.DataFrame:
    """Append ~``share`` more rows to the settlements file (the one ``pattern`` matches): new
    stays of existing people in ``month`` (``new_stay``); return ``records`` (the county's
    truth: source_file, sheet, row_number, person_key) with the appended rows' truth added."""
    path = next(landing.glob(pattern))
    lines = (raw := path.read_bytes()).splitlines(keepends=True)  # no \r, \n in GB18030 pairs
    truth = records.filter(pl.col("source_file") == path.name).sort("row_number")
    if truth.height != len(lines) - 1:
        raise ValueError(f"{path.name}: {len(lines) - 1} lines but {truth.height} truth rows")
    header = next(csv.reader([lines[0].decode("gb18030").strip()]))
    people = truth.with_row_index("i").drop_nulls("person_key")
    picks = people.gather_every(max(1, people.height // max(1, int(truth.height * share))))
    newline = b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    body = [new_stay(lines[int(i) + 1], header, k, month) + newline
            for k, i in enumerate(picks["i"])]
    path.write_bytes((raw if raw.endswith(b"\n") else raw + newline) + b"".join(body))
    added = picks.select("source_file", "sheet", "person_key").with_columns(
        row_number=pl.int_range(pl.len(), dtype=pl.Int64) + truth.height + 2)
    return pl.concat([records, added.select(records.columns)])
