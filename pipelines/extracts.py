"""Which extract a grid holds, where its header row is, and which column is which field.

Recognition uses the headers (and the sheet name as a tie-breaker), never the file name; the
steward's ``sanji_mapping.yaml`` (:mod:`pipelines.mapping`) may pin a file glob to an extract
and add header and value words. Every header decision is kept (:class:`Recognised.decisions`,
:func:`recognition_frame`): which header became which field and how (built-in word, steward
word, inferred by the fallback of :mod:`pipelines.headers`, pinned), and which headers were not
read, so a steward can confirm or correct it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import NoReturn

import polars as pl

from pipelines.domain.extracts import CLINIC_LIST, CLINICS, EXTRACTS, REGION_FIELDS, ExtractSpec
from pipelines.domain.identity import mask_ids_in_text
from pipelines.domain.predicates import LIST_SEPARATOR
from pipelines.domain.vocabulary import normalise_header
from pipelines.headers import Decision, match_headers
from pipelines.mapping import REGIONS, HeaderMapping, fields_of
from pipelines.read import Grid

__all__ = ["REGIONS", "HeaderMapping", "Recognised", "duplicate_columns", "mapped_frame",
           "normalise_header", "recognise", "recognition_frame"]

HEADER_SCAN_ROWS = 30  # rows a header is looked for in: title and note lines come first
REGION_REQUIRED = ("code", "name")  # the level comes from the code when no column gives it
REGION_SPEC = ExtractSpec(name=REGIONS, department="", title="行政区划", fields=REGION_FIELDS,
                          required=REGION_REQUIRED, signature=REGION_REQUIRED,
                          person_fields=())
SPECS: dict[str, ExtractSpec] = {REGIONS: REGION_SPEC, CLINICS: CLINIC_LIST, **EXTRACTS}
RECOGNITION_SCHEMA = {
    "source_file": pl.String, "sheet": pl.String, "extract": pl.String,
    "header_row": pl.Int64, "column": pl.String, "header": pl.String, "field": pl.String,
    "how": pl.String, "note": pl.String,
}
DERIVED_TYPE = "population_type"


class RecognitionError(ValueError):
    """A grid no extract fits, or missing a required column; ``closest`` names near headers."""

    def __init__(self, msg: str, closest: list[str]) -> None:
        """Keep the message (IDs masked) and the closest known headers."""
        super().__init__(mask_ids_in_text(msg))
        self.closest = [mask_ids_in_text(c) for c in closest]


@dataclass(frozen=True)
class Recognised:
    """A grid whose header row and extract are known.

    Attributes:
        grid: the grid.
        extract: extract name, "regions" or "village_clinic".
        header_row: the row_number of the header row.
        headers: header text per grid column (c0 …), as written.
        columns: grid column -> canonical field, for mapped columns (a list field may have
            several columns).
        decisions: every header decision, plus derived fields (``how`` = derived).
        how: how the extract was told: pinned, or the weakest way its signature headers were
            read (builtin, steward, inferred).
        mapping: the steward mapping in force (its value words are used at ingest).
    """

    grid: Grid
    extract: str
    header_row: int
    headers: dict[str, str]
    columns: dict[str, str]
    decisions: tuple[Decision, ...] = ()
    how: str = "builtin"
    mapping: HeaderMapping = field(default_factory=HeaderMapping)


def _known_headers(mapping: HeaderMapping) -> set[str]:
    """Every normalised header word sanji knows (fields and unused, all extracts)."""
    known = {w for name in SPECS for words in mapping.variants(name).values() for w in words}
    for spec in SPECS.values():
        known |= spec.unused | mapping.unused(spec.name)
    return known - {""}


def _header_row(grid: Grid, mapping: HeaderMapping) -> int | None:
    """Index (0-based) of the row that looks most like a header among the first rows.

    The row with the most known headers (the fuller one on a tie); None when no row of the
    first ``HEADER_SCAN_ROWS`` holds a single known header (a data row is never taken for the
    header).
    """
    known = _known_headers(mapping)
    head = grid.frame.head(HEADER_SCAN_ROWS).drop("row_number")
    best, best_score = None, (0, 0)
    for i, row in enumerate(head.iter_rows()):
        cells = [normalise_header(c) for c in row]
        score = (sum(c in known for c in cells), sum(bool(c) for c in cells))
        if score[0] > 0 and score > best_score:
            best, best_score = i, score
    return best


def _score(decisions: list[Decision], spec: ExtractSpec, sheet: str) -> tuple:
    """(signature met, sheet hint, headers read exactly, headers inferred)."""
    fields = {d.field for d in decisions if d.field}
    exact = sum(d.how in ("builtin", "steward") for d in decisions)
    inferred = sum(d.how == "inferred" for d in decisions)
    hint = any(h in sheet for h in spec.sheet_hints)
    return (all(s in fields for s in spec.signature), hint, exact, inferred)


def _signature_how(decisions: list[Decision], spec: ExtractSpec) -> str:
    """The weakest way a signature field was read: inferred < steward < builtin."""
    hows = {d.how for d in decisions if d.field in spec.signature}
    return next((h for h in ("inferred", "steward") if h in hows), "builtin")


def _derived(extract: str, decisions: list[Decision]) -> list[Decision]:
    """Fields derived from others: the roster's population type from category / household
    type; and an extract read without an ID column (a hospital's own settlement list), said
    so, since its records can link only on name, sex, place, hospital and dates."""
    fields = {d.field for d in decisions}
    out = []
    if extract in EXTRACTS and "id_number" not in fields:
        out.append(Decision("", "", "id_number", "absent", "no identity-number column: every "
                            "row links on name, sex, birth, place, hospital and dates only"))
    if extract != "poverty_roster" or DERIVED_TYPE in fields:
        return out
    sources = [f for f in ("monitoring_category", "household_type") if f in fields]
    note = ("监测对象类别 filled -> 监测对象; else 户类型 脱贫户 -> 脱贫人口, 监测户 -> 监测对象, "
            "一般农户 -> 一般农户"
            if sources else "no population type, category or household type: rows count as "
            "registered with no type")
    return [*out, Decision("", "", DERIVED_TYPE, "derived", note)]


def recognise(grid: Grid, mapping: HeaderMapping | None = None) -> Recognised:
    """Find the header row, the extract and the column mapping of a grid.

    Args:
        grid: a CSV file or sheet as text.
        mapping: steward mapping; None for the built-in vocabulary only.

    Returns:
        The recognised grid, with every header decision.

    Raises:
        RecognitionError: (a ValueError) when no extract fits or a required column is missing;
            the message names the file, the sheet, the headers seen and the closest known
            header names (also in ``.closest``).
    """
    mapping = mapping or HeaderMapping()
    idx = _header_row(grid, mapping)
    if idx is None:
        _raise_no_header(grid, mapping)
    raw = ["" if v is None else str(v) for v in grid.frame.drop("row_number").row(idx)]
    headers = [normalise_header(h) for h in raw]
    extract = mapping.pinned(grid.source_file, grid.sheet)
    names = [extract] if extract else list(SPECS)
    tried = {name: match_headers(headers, raw, SPECS[name], mapping) for name in names}
    if extract is None:
        scores = {name: _score(tried[name], SPECS[name], grid.sheet) for name in names}
        fitting = [name for name, s in scores.items() if s[0]]
        if not fitting:
            _raise_unrecognised(grid, raw, mapping)
        extract = max(fitting, key=lambda name: scores[name])
    decisions = tried[extract]
    _check_required(grid, SPECS[extract], raw, decisions, mapping)
    how = "pinned" if mapping.pinned(grid.source_file, grid.sheet) else _signature_how(
        decisions, SPECS[extract])
    return Recognised(
        grid=grid,
        extract=extract,
        header_row=int(grid.frame["row_number"][idx]),
        headers={f"c{i}": h for i, h in enumerate(raw)},
        columns={d.column: d.field for d in decisions if d.field and d.column},
        decisions=(*decisions, *_derived(extract, decisions)),
        how=how,
        mapping=mapping,
    )


def _where(grid: Grid) -> str:
    return f"file {grid.source_file!r}" + (f", sheet {grid.sheet!r}" if grid.sheet else "")


def _closest(raw_headers: list[str], known: list[str]) -> list[str]:
    """'seen' ≈ 'known' pairs for headers that nearly match a known variant."""
    out = []
    for h in raw_headers:
        norm = normalise_header(h)
        if not norm or norm in known:
            continue
        near = difflib.get_close_matches(norm, known, n=2, cutoff=0.5)
        if near:
            out.append(f"{h!r} ≈ {' / '.join(repr(n) for n in near)}")
    return out


def _fail(msg: str, closest: list[str]) -> NoReturn:
    raise RecognitionError(msg, closest)


def _raise_no_header(grid: Grid, mapping: HeaderMapping) -> NoReturn:
    """No known header in the first rows: name only cells that nearly match a header."""
    cells = [str(c) for row in grid.frame.head(HEADER_SCAN_ROWS).drop("row_number").iter_rows()
             for c in row if c is not None]
    near = _closest(list(dict.fromkeys(cells)), sorted(_known_headers(mapping)))
    _fail(f"{_where(grid)}: no header row found: none of the first {HEADER_SCAN_ROWS} rows has "
          f"a known column header. Closest known headers: {'; '.join(near) or 'none'}. "
          "Add the variants or a pin to sanji_mapping.yaml.", near)


def _raise_unrecognised(grid: Grid, raw_headers: list[str], mapping: HeaderMapping) -> NoReturn:
    near = _closest(raw_headers, sorted(_known_headers(mapping)))
    _fail(f"{_where(grid)}: no extract recognised from headers {[h for h in raw_headers if h]}. "
          f"Closest known headers: {'; '.join(near) or 'none'}. "
          "Add the variants or a pin to sanji_mapping.yaml.", near)


def _check_required(grid: Grid, spec: ExtractSpec, raw_headers: list[str],
                    decisions: list[Decision], mapping: HeaderMapping) -> None:
    found = {d.field for d in decisions if d.field}
    missing = [f for f in spec.required if f not in found]
    if not missing:
        return
    variants = mapping.variants(spec.name)
    near = _closest(raw_headers, [v for f in missing for v in variants[f]])
    needs = "; ".join(f"{f} (one of {variants[f]})" for f in missing)
    _fail(f"{_where(grid)}: extract {spec.name!r} is missing required column(s) {needs}. "
          f"Headers seen: {[h for h in raw_headers if h]}. "
          f"Closest: {'; '.join(near) or 'none'}. "
          f"Add the header under {spec.name}: <field>: [...] in sanji_mapping.yaml.", near)


def duplicate_columns(rec: Recognised) -> dict[str, tuple[str, str]]:
    """Columns whose header names a field already read from another column.

    Args:
        rec: a recognised grid.

    Returns:
        grid column -> (field, the grid column the field is read from).
    """
    read = {}
    for column, name in rec.columns.items():
        read.setdefault(name, column)
    out = {}
    for d in rec.decisions:
        name = d.note.split(" ", 1)[0] if d.how == "duplicate" else ""
        if d.column and name in read:
            out[d.column] = (name, read[name])
    return out


def recognition_frame(recs: list[Recognised]) -> pl.DataFrame:
    """Every recognition decision of the grids, one row each (IDs masked).

    One row per grid for the extract itself (``column`` null; ``how`` pinned / builtin /
    steward / inferred), then one per header cell and per derived field.

    Args:
        recs: the recognised grids.

    Returns:
        ``RECOGNITION_SCHEMA`` rows.
    """
    rows = []
    for rec in recs:
        g = rec.grid
        base = (g.source_file, g.sheet, rec.extract, rec.header_row)
        pin = rec.mapping.pin_glob(g.source_file, g.sheet)
        told = (f"pin {pin!r}" if pin
                else f"signature {'+'.join(SPECS[rec.extract].signature)}")
        rows.append((*base, None, None, None, rec.how, told))
        rows.extend((*base, d.column or None, d.header or None, d.field, d.how, d.note)
                    for d in rec.decisions)
    frame = pl.DataFrame(rows, schema=RECOGNITION_SCHEMA, orient="row")
    return frame.with_columns(mask_ids_in_text(pl.col("header")), mask_ids_in_text(pl.col("note")))


def mapped_frame(rec: Recognised) -> pl.DataFrame:
    """The rows below the header with canonical field names, all text.

    Excel's text guard (``="…"``, a leading apostrophe) is removed from every cell; a list
    field read from several columns (致贫/返贫风险1 … 5) is one column, its cells joined by 、.

    Args:
        rec: a recognised grid.

    Returns:
        ``row_number`` plus one String column per field of the extract (null when absent),
        plus ``_cells`` (0 when every cell is empty or blank, else 1) and ``_first`` (the
        first cell, where totals rows often say 合计).
    """
    names = list(fields_of(rec.extract) or [])
    frame = _below_header(rec.grid.frame, rec.header_row)
    data_cols = [c for c in frame.columns if c != "row_number"]
    present: dict[str, list[str]] = {}
    for col, name in rec.columns.items():
        present.setdefault(name, []).append(col)
    first = pl.col(data_cols[0]) if data_cols else pl.lit(None, pl.String)
    return frame.select(
        "row_number",
        *(_field_expr(frame, present.get(n, [])).alias(n) for n in names),
        first.alias("_first"),
    ).with_columns(_cell_flags(frame, data_cols).alias("_cells")).select(
        "row_number", *names, "_cells", "_first"
    )


def _unguarded(frame: pl.DataFrame, col: str) -> pl.Expr:
    """A column without Excel's ="…" guard or leading apostrophe (checked before replacing)."""
    values = frame[col]
    guarded = (values.str.starts_with("=") | values.str.starts_with("'")).any()
    expr = pl.col(col)
    return expr.str.replace(r"^\s*=\"(.*)\"\s*$", "${1}").str.replace(r"^\s*'", "") \
        if guarded else expr


def _field_expr(frame: pl.DataFrame, cols: list[str]) -> pl.Expr:
    """One field from its column(s); several columns are joined by the list separator."""
    if not cols:
        return pl.lit(None, pl.String)
    if len(cols) == 1:
        return _unguarded(frame, cols[0])
    parts = [_unguarded(frame, c).str.strip_chars() for c in cols]
    parts = [pl.when(p != "").then(p) for p in parts]
    joined = pl.concat_str(parts, separator=LIST_SEPARATOR, ignore_nulls=True)
    return pl.when(pl.any_horizontal(p.is_not_null() for p in parts)).then(joined)


def _below_header(frame: pl.DataFrame, header_row: int) -> pl.DataFrame:
    """The rows after the header row (a zero-copy slice when row numbers ascend)."""
    numbers = frame["row_number"]
    if numbers.is_sorted():
        return frame.slice(int(numbers.search_sorted(header_row, side="right")))
    return frame.filter(pl.col("row_number") > header_row)


def _cell_flags(frame: pl.DataFrame, data_cols: list[str]) -> pl.Series:
    """Int32 0 where every cell of the row is empty or blank, else 1.

    Column by column, looking only at the rows not yet known to hold text (usually the first
    column settles almost every row).
    """
    filled = pl.Series("_cells", [False] * frame.height, dtype=pl.Boolean) if not data_cols \
        else None
    for col in data_cols:
        values = frame[col]
        if filled is None:
            filled = values.str.contains(r"\S").fill_null(False)
            continue
        rows = (~filled).arg_true()
        if rows.len() == 0:
            break
        text = values.gather(rows).str.contains(r"\S").fill_null(False)
        filled = filled.scatter(rows.filter(text), True)
    return filled.cast(pl.Int32)
