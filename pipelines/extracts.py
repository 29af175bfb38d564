"""Which extract a grid holds, where its header row is, and which column is which field.

Recognition uses the headers (and the sheet name as a tie-breaker), never the file name;
a steward mapping may pin a file glob to an extract and add header variants per field::

    # sanji_mapping.yaml
    poverty_roster:
      id_number: [身份证号(新), 证件号码1]
    regions:
      name: [村名]
    pin:
      "扶贫*.csv": poverty_roster
      "卫健*.xlsx#随访*": chronic_followup
"""

from __future__ import annotations

import difflib
import fnmatch
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import polars as pl

from pipelines.domain.extracts import EXTRACTS, REGION_FIELDS
from pipelines.domain.identity import mask_ids_in_text
from pipelines.read import Grid

REGIONS = "regions"
HEADER_SCAN_ROWS = 15
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "(", "】": ")", "[": "(", "]": ")"})


def normalise_header(header: str | None) -> str:
    """Normalise a header for matching: NFKC, no whitespace, ASCII brackets, lower case.

    Args:
        header: the header cell text.

    Returns:
        The normalised header ("" for an empty cell).
    """
    if header is None:
        return ""
    text = unicodedata.normalize("NFKC", str(header)).translate(_BRACKETS)
    text = re.sub(r"[\s*＊]+", "", text)
    return text.lower()


@dataclass
class HeaderMapping:
    """Header variants per extract and field, plus file globs pinned to an extract.

    Attributes:
        extra: extract (or "regions") -> field -> extra header variants.
        pin: file glob (optionally ``glob#sheet-glob``) -> extract name.
    """

    extra: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    pin: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path: Path) -> HeaderMapping:
        """Load a steward mapping file.

        Args:
            path: the YAML file (see the module docstring for its shape).

        Returns:
            The mapping.

        Raises:
            ValueError: when the file names an unknown extract or field.
        """
        import yaml

        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        pin = {str(k): str(v) for k, v in (raw.pop("pin", None) or {}).items()}
        extra: dict[str, dict[str, list[str]]] = {}
        for extract, fields in raw.items():
            known = _fields_of(extract)
            if known is None:
                _fail(f"{path}: unknown extract {extract!r}; known: {sorted(EXTRACTS)} + regions")
            for name, variants in (fields or {}).items():
                if name not in known:
                    _fail(f"{path}: extract {extract!r} has no field {name!r}; known: {known}")
                values = [variants] if isinstance(variants, str) else list(variants)
                extra.setdefault(extract, {})[name] = [str(v) for v in values]
        for glob, extract in pin.items():
            if _fields_of(extract) is None:
                _fail(f"{path}: pin {glob!r} names unknown extract {extract!r}")
        return cls(extra=extra, pin=pin)

    def variants(self, extract: str) -> dict[str, list[str]]:
        """Header variants per field of an extract, normalised, built-in ones first.

        Args:
            extract: extract name or "regions".

        Returns:
            field -> normalised header variants.
        """
        base = REGION_FIELDS if extract == REGIONS else EXTRACTS[extract].fields
        out = {f: [normalise_header(v) for v in vs] for f, vs in base.items()}
        for name, values in self.extra.get(extract, {}).items():
            out[name] = [*out[name], *(normalise_header(v) for v in values)]
        return out

    def pinned(self, source_file: str, sheet: str) -> str | None:
        """The extract pinned to a file (and sheet), if any.

        Args:
            source_file: file name.
            sheet: sheet name ("" for CSV).

        Returns:
            The extract name or None.
        """
        for glob, extract in self.pin.items():
            file_glob, _, sheet_glob = glob.partition("#")
            if fnmatch.fnmatch(source_file, file_glob) and (
                not sheet_glob or fnmatch.fnmatch(sheet, sheet_glob)
            ):
                return extract
        return None


def _fields_of(extract: str) -> list[str] | None:
    if extract == REGIONS:
        return list(REGION_FIELDS)
    spec = EXTRACTS.get(extract)
    return list(spec.fields) if spec else None


@dataclass(frozen=True)
class Recognised:
    """A grid whose header row and extract are known.

    Attributes:
        grid: the grid.
        extract: extract name or "regions".
        header_row: the row_number of the header row.
        headers: header text per grid column (c0 …), as written.
        columns: grid column -> canonical field, for mapped columns.
    """

    grid: Grid
    extract: str
    header_row: int
    headers: dict[str, str]
    columns: dict[str, str]


def _match(headers: list[str], variants: dict[str, list[str]]) -> dict[int, str]:
    """Map header positions to fields: exact variant first, each field used once."""
    lookup: dict[str, str] = {}
    for name, values in variants.items():
        for v in values:
            lookup.setdefault(v, name)
    out: dict[int, str] = {}
    for i, h in enumerate(headers):
        name = lookup.get(h)
        if name and name not in out.values():
            out[i] = name
    return out


def _candidates(mapping: HeaderMapping) -> list[str]:
    """Every extract a grid may hold, the region table first."""
    del mapping
    return [REGIONS, *EXTRACTS]


def _score(extract: str, headers: list[str], sheet: str, mapping: HeaderMapping) -> tuple:
    """Score how well headers fit an extract: (signature met, hint, fields matched)."""
    matched = set(_match(headers, mapping.variants(extract)).values())
    if extract == REGIONS:
        signature: tuple[str, ...] = ("code", "name")
        hint = False
    else:
        spec = EXTRACTS[extract]
        signature = spec.signature
        hint = any(h in sheet for h in spec.sheet_hints)
    return (all(s in matched for s in signature), hint, len(matched))


def _known_headers(mapping: HeaderMapping) -> list[str]:
    """Every normalised header variant of every extract, sorted."""
    return sorted({v for e in _candidates(mapping) for vs in mapping.variants(e).values()
                   for v in vs})


def _header_row(grid: Grid, mapping: HeaderMapping) -> int | None:
    """Index (0-based) of the row that looks most like a header among the first rows.

    Args:
        grid: the grid.
        mapping: steward mapping.

    Returns:
        The row with the most known headers (the fuller one on a tie); None when no row of
        the first ``HEADER_SCAN_ROWS`` holds a single known header (a data row is never taken
        for the header).
    """
    known = set(_known_headers(mapping))
    head = grid.frame.head(HEADER_SCAN_ROWS).drop("row_number")
    best, best_score = None, (0, 0)
    for i, row in enumerate(head.iter_rows()):
        cells = [normalise_header(c) for c in row]
        score = (sum(c in known for c in cells), sum(bool(c) for c in cells))
        if score[0] > 0 and score > best_score:
            best, best_score = i, score
    return best


def recognise(grid: Grid, mapping: HeaderMapping | None = None) -> Recognised:
    """Find the header row, the extract and the column mapping of a grid.

    Args:
        grid: a CSV file or sheet as text.
        mapping: steward mapping; None for the built-in synonyms only.

    Returns:
        The recognised grid.

    Raises:
        ValueError: when no extract fits or a required column is missing; the message names
            the file, the sheet, the headers seen and the closest known header names.
    """
    mapping = mapping or HeaderMapping()
    idx = _header_row(grid, mapping)
    if idx is None:
        _raise_no_header(grid, mapping)
    raw_headers = [
        "" if v is None else str(v) for v in grid.frame.drop("row_number").row(idx)
    ]
    headers = [normalise_header(h) for h in raw_headers]
    extract = mapping.pinned(grid.source_file, grid.sheet)
    if extract is None:
        scores = {e: _score(e, headers, grid.sheet, mapping) for e in _candidates(mapping)}
        fitting = [e for e, s in scores.items() if s[0]]
        if not fitting:
            _raise_unrecognised(grid, raw_headers, mapping)
        extract = max(fitting, key=lambda e: scores[e])
    variants = mapping.variants(extract)
    matched = _match(headers, variants)
    _check_required(grid, extract, raw_headers, matched, variants)
    return Recognised(
        grid=grid,
        extract=extract,
        header_row=int(grid.frame["row_number"][idx]),
        headers={f"c{i}": h for i, h in enumerate(raw_headers)},
        columns={f"c{i}": name for i, name in matched.items()},
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


def _fail(msg: str) -> NoReturn:
    """Raise ValueError with every ID-like run of the message masked."""
    raise ValueError(mask_ids_in_text(msg))


def _raise_no_header(grid: Grid, mapping: HeaderMapping) -> NoReturn:
    """No known header in the first rows: name only cells that nearly match a header."""
    cells = [str(c) for row in grid.frame.head(HEADER_SCAN_ROWS).drop("row_number").iter_rows()
             for c in row if c is not None]
    near = _closest(list(dict.fromkeys(cells)), _known_headers(mapping))
    _fail(
        f"{_where(grid)}: no header row found: none of the first {HEADER_SCAN_ROWS} rows has "
        f"a known column header. Closest known headers: {'; '.join(near) or 'none'}. "
        "Add the variants or a pin to sanji_mapping.yaml."
    )


def _raise_unrecognised(grid: Grid, raw_headers: list[str], mapping: HeaderMapping) -> NoReturn:
    near = _closest(raw_headers, _known_headers(mapping))
    msg = (
        f"{_where(grid)}: no extract recognised from headers {[h for h in raw_headers if h]}. "
        f"Closest known headers: {'; '.join(near) or 'none'}. "
        "Add the variants or a pin to sanji_mapping.yaml."
    )
    _fail(msg)


def _check_required(grid: Grid, extract: str, raw_headers: list[str], matched: dict[int, str],
                    variants: dict[str, list[str]]) -> None:
    required = ("code", "name") if extract == REGIONS else EXTRACTS[extract].required
    missing = [f for f in required if f not in matched.values()]
    if not missing:
        return
    wanted = [v for f in missing for v in variants[f]]
    near = _closest(raw_headers, wanted)
    needs = "; ".join(f"{f} (one of {variants[f]})" for f in missing)
    msg = (
        f"{_where(grid)}: extract {extract!r} is missing required column(s) {needs}. "
        f"Headers seen: {[h for h in raw_headers if h]}. "
        f"Closest: {'; '.join(near) or 'none'}. "
        f"Add the header under {extract}: <field>: [...] in sanji_mapping.yaml."
    )
    _fail(msg)


def mapped_frame(rec: Recognised) -> pl.DataFrame:
    """The rows below the header with canonical field names, all text.

    Args:
        rec: a recognised grid.

    Returns:
        ``row_number`` plus one String column per field of the extract (null when absent),
        plus ``_cells`` (0 when every cell is empty or blank, else 1) and ``_first`` (the
        first cell, where totals rows often say 合计).
    """
    names = list(_fields_of(rec.extract) or [])
    frame = _below_header(rec.grid.frame, rec.header_row)
    data_cols = [c for c in frame.columns if c != "row_number"]
    present = {name: col for col, name in rec.columns.items()}
    first = pl.col(data_cols[0]) if data_cols else pl.lit(None, pl.String)
    return frame.select(
        "row_number",
        *(
            pl.col(present[n]).alias(n) if n in present else pl.lit(None, pl.String).alias(n)
            for n in names
        ),
        first.alias("_first"),
    ).with_columns(_cell_flags(frame, data_cols).alias("_cells")).select(
        "row_number", *names, "_cells", "_first"
    )


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
