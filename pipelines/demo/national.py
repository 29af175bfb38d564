"""The demo county in the national systems' export style: same people, same facts, their words.

``generate_national_county(people, seed, out)`` generates the classic county (same seed, so
the same people, rows and dirt), then rewrites every landing file the way the national systems
export it (:mod:`pipelines.demo.national_layout`): their file layouts, header words, value
words and date forms. The truth is rewritten to the new files, sheets and rows, so the two
styles of one seed describe one county, row for row.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import fastexcel
import polars as pl

from pipelines.demo.clinics import CLINIC_FILE
from pipelines.demo.county import DemoSummary, generate_county
from pipelines.demo.dirt import DirtRates
from pipelines.demo.layout import FileLayout, SheetLayout, layouts
from pipelines.demo.national_layout import (
    CLINIC_SHEET,
    DATE,
    WORDS,
    NationalSheet,
    national_sheets,
)
from pipelines.demo.write import write_workbook

_EPOCH = date(1899, 12, 30)
KEY = ["source_file", "sheet", "row_number"]


def _classic_dates(s: pl.Series) -> pl.Series:
    """Dates as the classic files write them (ISO, slashes, 8 digits, 年月日, serials)."""
    text = s.str.strip_chars()
    serial = text.str.extract(r"^(\d{5})(?:\.0+)?$", 1).cast(pl.Int64, strict=False)
    dashed = (text.str.replace(r"\s.*$", "").str.replace_all(r"[年月/.]", "-")
              .str.replace("日", "").str.strip_chars("-"))
    return pl.select(pl.coalesce(
        dashed.str.to_date("%Y-%m-%d", strict=False),
        pl.when(dashed.str.contains(r"^\d{8}$")).then(dashed.str.to_date("%Y%m%d", strict=False)),
        pl.lit(_EPOCH) + pl.duration(days=serial),
    ).cast(pl.Date)).to_series()


def read_classic(path: Path, f: FileLayout, sheet: SheetLayout) -> pl.DataFrame:
    """One classic sheet's data rows, columns named by source, plus ``_row`` (its row number).

    Args:
        path: the classic file.
        f: its layout.
        sheet: the sheet's layout.

    Returns:
        The rows (text), totals row left out.
    """
    sources = {header: source for source, header in sheet.columns}
    first = sheet.first_data_row
    if f.encoding == "xlsx":
        grid = fastexcel.read_excel(path).load_sheet(
            sheet.sheet, header_row=None, dtypes="string", skip_rows=0).to_polars()
        headers = grid.row(first - 2)
        frame = grid.slice(first - 1).rename(dict(zip(grid.columns, headers, strict=True)))
        if sheet.totals:
            frame = frame.head(-1)
    else:
        text = path.read_bytes().decode(f.encoding)
        frame = pl.read_csv(text.encode("utf-8"), infer_schema=False)
    return frame.rename(sources).with_row_index("_row", offset=first).with_columns(
        pl.col("_row").cast(pl.Int64))


def _computed(name: str, frame: pl.DataFrame, extract: str) -> pl.Expr:
    """The ``@name`` columns: derived from the classic row, never a new fact."""
    words = WORDS.get(("poverty_roster", "risk_cause"), {})
    if name == "household_type":
        alleviated = (pl.col("population_type") == "脱贫人口") | (
            pl.col("monitoring_category") == "脱贫不稳定户")
        return (pl.when(alleviated).then(pl.lit("脱贫户"))
                .when(pl.col("population_type").is_not_null()).then(pl.lit("普通农户")))
    if name == "risk_1":
        return pl.col("risk_cause").replace(words)
    if name in ("risk_2", "risk_3"):
        return pl.lit(None, pl.String)
    if name == "next_followup":
        return (_classic_date_expr(frame, "followup_date") + pl.duration(days=90)
                ).dt.strftime(DATE)
    if name == "person_code":
        return pl.format("{}{}", pl.lit(extract[:2].upper()), pl.col("_row").cast(pl.String)
                         .str.zfill(8))
    if name == "settlement_id":
        return pl.format("JS{}", pl.col("_row").cast(pl.String).str.zfill(10))
    money = pl.col("total_cost").cast(pl.Float64, strict=False)
    if name == "policy_cost":
        return (money * 0.92).round(2).cast(pl.String)
    if name == "fund_total":
        funds = ["basic_insurance", "critical_insurance", "medical_assistance"]
        return pl.sum_horizontal(pl.col(c).cast(pl.Float64, strict=False) for c in funds
                                 ).round(2).cast(pl.String)
    msg = f"national layout: unknown computed column @{name}"
    raise ValueError(msg)


def _classic_date_expr(frame: pl.DataFrame, source: str) -> pl.Expr:
    return pl.lit(_classic_dates(frame[source]))


def _column(frame: pl.DataFrame, nat: NationalSheet, source: str, header: str) -> pl.Expr:
    """One national column from the classic rows."""
    if source == "seq":
        return pl.int_range(1, pl.len() + 1).cast(pl.Float64).alias(header)
    if source.startswith("="):
        return pl.lit(source[1:]).alias(header)
    if source.startswith("@"):
        return _computed(source[1:], frame, nat.extract).alias(header)
    col = pl.col(source)
    if source.endswith("_date"):
        fmt = nat.formats.get(source, DATE)
        when = _classic_date_expr(frame, source)
        if "%H" in fmt:  # a time of day, from the row
            clock = pl.duration(hours=8 + pl.col("_row") % 10, minutes=pl.col("_row") * 7 % 60)
            return (when.cast(pl.Datetime) + clock).dt.strftime(fmt).alias(header)
        return when.dt.strftime(fmt).alias(header)
    if (nat.extract, source) in WORDS:
        col = col.replace(WORDS[(nat.extract, source)])
    if source == "id_number" and nat.guard_ids:
        col = pl.when(col.is_not_null()).then(pl.format('="{}"', col))
    return col.alias(header)


def national_frame(frame: pl.DataFrame, nat: NationalSheet) -> pl.DataFrame:
    """The classic rows in the national layout; a blank classic row stays blank.

    Args:
        frame: from :func:`read_classic`.
        nat: the national sheet.

    Returns:
        One column per national header whose source the classic sheet has.
    """
    present = [(s, h) for s, h in nat.columns
               if s.startswith(("=", "@")) or s == "seq" or s in frame.columns]
    data = [c for c in frame.columns if c != "_row"]
    blank = frame.select(pl.all_horizontal(pl.col(c).is_null() for c in data)).to_series()
    out = frame.select(_column(frame, nat, s, h) for s, h in present)
    out = out.select(pl.when(~pl.lit(blank)).then(pl.col(c)).alias(c) for c in out.columns)
    seq = [h for s, h in present if s == "seq"]
    if seq:  # 序号 counts the filled rows, as a clerk numbers them
        filled = out[seq[0]].is_not_null()
        out = out.with_columns(pl.when(filled).then(filled.cum_sum().cast(pl.Float64))
                               .alias(seq[0]))
    return out


def _write(landing: Path, nat: NationalSheet, frame: pl.DataFrame, created: datetime) -> None:
    """Write one national sheet: a workbook (title row, text cells) or a CSV (CRLF)."""
    if nat.encoding == "xlsx":
        layout = SheetLayout(nat.extract, nat.sheet, tuple((h, h) for h in frame.columns),
                             title=nat.title, merged=nat.merged)
        write_workbook(landing / nat.file, [(layout, frame)], created)
    else:
        text = frame.write_csv(line_terminator="\r\n")
        (landing / nat.file).write_bytes(text.encode(nat.encoding))


def _moves(frame: pl.DataFrame, f: str, sheet: str, nat: NationalSheet) -> pl.DataFrame:
    """Classic (file, sheet, row) -> national (file, sheet, row), one per data row."""
    return frame.select(
        pl.lit(f).alias("source_file"), pl.lit(sheet).alias("sheet"),
        pl.col("_row").alias("row_number"), pl.lit(nat.file).alias("new_file"),
        pl.lit(nat.sheet).alias("new_sheet"),
        (pl.int_range(pl.len()) + nat.first_data_row).cast(pl.Int64).alias("new_row"),
    )


def restyle(classic: Path, landing: Path, as_of: date) -> tuple[pl.DataFrame, dict[str, int]]:
    """Rewrite a classic landing folder in the national style.

    Args:
        classic: the classic landing folder.
        landing: the (empty) national landing folder.
        as_of: the extracts' reference date.

    Returns:
        (moves: classic file/sheet/row -> national file/sheet/row; rows per national file).
    """
    nats = national_sheets(f"{as_of:%Y%m}", as_of.year)
    created = datetime(as_of.year, as_of.month, as_of.day, 18, 0, 0)
    moves, rows = [], {}
    for f in layouts(as_of):
        for sheet in f.sheets:
            frame = read_classic(classic / f.name, f, sheet)
            nat = nats[sheet.extract]
            _write(landing, nat, national_frame(frame, nat), created)
            moves.append(_moves(frame, f.name, sheet.sheet, nat))
            rows[nat.file] = frame.height
    clinics = pl.read_csv(classic / CLINIC_FILE, infer_schema=False).with_row_index(
        "_row", offset=2).with_columns(pl.col("_row").cast(pl.Int64))
    _write(landing, CLINIC_SHEET, national_frame(clinics, CLINIC_SHEET), created)
    rows[CLINIC_SHEET.file] = clinics.height
    for region in classic.glob("行政区划*"):
        shutil.copy(region, landing / region.name)
    return pl.concat(moves), rows


def _remap(path: Path, moves: pl.DataFrame, out: Path) -> None:
    """Rewrite a truth file keyed by classic file/sheet/row to the national ones."""
    frame = pl.read_csv(path, infer_schema=False).with_columns(
        pl.col("sheet").fill_null(""), pl.col("row_number").cast(pl.Int64))
    moved = frame.join(moves, on=KEY, how="inner", maintain_order="left").with_columns(
        source_file="new_file", sheet="new_sheet", row_number="new_row",
    ).select(frame.columns)
    moved.with_columns(pl.col(pl.String).replace("", None)).write_csv(out)


def generate_national_county(people: int, seed: int, out: Path, *,
                             rates: DirtRates | None = None,
                             as_of: date = date(2026, 10, 31)) -> DemoSummary:
    """Generate the demo county as the national systems export it.

    Same people, rows, dirt and planted mismatches as ``generate_county`` with the same
    arguments; other files, sheets, headers, value words and date forms. Deterministic.

    Args:
        people: number of residents (at least 200).
        seed: random seed.
        out: output folder; ``out/landing/`` and ``out/truth/`` are replaced.
        rates: dirt rates (default ``DirtRates()``).
        as_of: the extracts' reference date.

    Returns:
        A ``DemoSummary`` of what was written (rows per national file).

    Examples:
        >>> generate_national_county(2000, seed=7, out=Path("demo"))  # doctest: +SKIP
    """
    out = Path(out)
    landing, truth = out / "landing", out / "truth"
    with tempfile.TemporaryDirectory(prefix="sanji-classic-") as tmp:
        classic = generate_county(people, seed, Path(tmp), rates=rates, as_of=as_of)
        for folder in (landing, truth):
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
        moves, rows = restyle(classic.landing, landing, as_of)
        for name in ("records.csv", "dirt.csv"):
            _remap(classic.truth / name, moves, truth / name)
        for name in ("persons.csv", "planted.csv"):
            shutil.copy(classic.truth / name, truth / name)
    return replace(classic, rows=rows, landing=landing, truth=truth)
