"""Turn the county's clean tables into the landing files, with dirt, and record the truth."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl
import xlsxwriter

from pipelines.demo.dirt import EXPECT, DirtRates, DirtTarget, apply_dirt
from pipelines.demo.layout import FileLayout, SheetLayout
from pipelines.demo.places import COUNTY_CODE

_EPOCH = date(1899, 12, 30)
_TEXT_STYLES = {
    "iso": "%Y-%m-%d", "slash": "%Y/%-m/%-d", "compact": "%Y%m%d", "zh": "%Y年%-m月%-d日",
}
_MONEY = ("total_cost", "basic_insurance", "critical_insurance", "medical_assistance",
          "out_of_pocket")


@dataclass
class Written:
    """What was written for one sheet: its truth rows.

    Attributes:
        records: source_file, sheet, row_number, person_key.
        dirt: source_file, sheet, row_number, field, kind, expect.
    """

    records: pl.DataFrame
    dirt: pl.DataFrame


def _dates(rng: np.random.Generator, s: pl.Series, style: str, csv: bool) -> pl.Series:
    """Format dates in a department's style (Excel serials as floats)."""
    if style.startswith("serial"):
        return (s - _EPOCH).dt.total_days().cast(pl.Float64)
    keys = list(_TEXT_STYLES)
    main = rng.integers(len(keys), size=s.len()) if style == "mixed" else np.full(
        s.len(), keys.index(style))
    if csv and style != "mixed":
        other = rng.random(s.len()) < 0.1
        main = np.where(other, rng.integers(len(keys), size=s.len()), main)
    choice = pl.Series(main)
    expr = pl.when(choice == 0).then(s.dt.strftime(_TEXT_STYLES["iso"]))
    for i, k in enumerate(keys[1:], start=1):
        expr = expr.when(choice == i).then(s.dt.strftime(_TEXT_STYLES[k]))
    return pl.select(expr.otherwise(pl.lit(None, dtype=pl.String))).to_series()


def _money(s: pl.Series) -> pl.Series:
    """Money as text with two decimals."""
    cents = (s * 100).round().cast(pl.Int64)
    return pl.select(pl.format("{}.{}", cents // 100,
                               (cents % 100).cast(pl.String).str.zfill(2))).to_series()


def insurance_no(person_key: pl.Expr) -> pl.Expr:
    """The insurance platform's person number (人员编号, 26 digits, county first): one per
    person, on every insurance export, whether or not the row carries the person's ID."""
    return pl.lit(COUNTY_CODE + "20000000000") + person_key.str.slice(1).str.zfill(9)


def _excel_destroyed(column: pl.Series, dirt: pl.DataFrame) -> pl.Series:
    """The column with the rows whose ID Excel turned into a number (``id_scientific``)
    destroyed the same way: a 26-digit person number in that row went through the same Excel
    (4.11421E+25)."""
    idx = dirt.filter(pl.col("kind") == "id_scientific")["row_index"].to_numpy()
    if not idx.size:
        return column
    old = column.gather(idx)
    gone = pl.select(pl.format("{}.{}E+{}", old.str.slice(0, 1), old.str.slice(1, 5),
                               old.str.len_chars() - 1)).to_series()
    return column.scatter(idx, gone)


def _base_rows(table: pl.DataFrame, persons: pl.DataFrame, villages: pl.DataFrame
               ) -> pl.DataFrame:
    """The table joined with the person's true identity, its insurance person number and
    its village's names."""
    who = persons.select("person_key", "name", "id_number", "sex", "birth_date", "age",
                         insurance_no=insurance_no(pl.col("person_key")))
    where = villages.select("village_code", village="short", township="township_name",
                            former="former")
    return (
        table.with_row_index("_order")
        .join(who, on="person_key", how="left")
        .join(where, on="village_code", how="left")
        .sort("_order")
        .drop("_order")
    )


def _target(rows: pl.DataFrame, sheet: SheetLayout, f: FileLayout, planted: pl.Series
            ) -> DirtTarget:
    """Describe one sheet's rows for the dirt step."""
    sources = {c for c, _ in sheet.columns}
    infant_ok = sheet.extract in ("doctor_contract", "settlement")
    return DirtTarget(
        ids=rows["id_number"],
        names=rows["name"],
        villages=rows["village"] if "village" in sources else None,
        formers=rows["former"].fill_null(""),
        codes=rows["village_code"],
        protected=rows["person_key"].is_in(planted.implode()).to_numpy(),
        born_before_1985=(rows["birth_date"].dt.year() < 1985).to_numpy(),
        infant=((rows["age"] < 1) & infant_ok).to_numpy(),
        dot_choices=f.dot_choices,
        extract=sheet.extract,
    )


def _format(rng: np.random.Generator, rows: pl.DataFrame, sheet: SheetLayout, csv: bool
            ) -> pl.DataFrame:
    """Select and format the sheet's columns (text, or floats for Excel serials/sequence)."""
    out = {}
    for source, header in sheet.columns:
        if source == "seq":
            out[header] = pl.Series(np.arange(1, rows.height + 1), dtype=pl.Float64)
        elif source in sheet.dates:
            out[header] = _dates(rng, rows[source], sheet.dates[source], csv)
        elif source in _MONEY:
            out[header] = _money(rows[source])
        else:
            out[header] = rows[source].cast(pl.String)
    return pl.DataFrame(out)


def _extras(rng: np.random.Generator, data: pl.DataFrame, rates: DirtRates, sheet: SheetLayout
            ) -> tuple[pl.DataFrame, list[str]]:
    """Rows to quarantine: copies without name and ID, and blank rows."""
    n = data.height
    n_bad = int(rng.binomial(n, min(rates.unusable_row, 1.0))) if n else 0
    n_blank = int(rng.binomial(n, min(rates.blank_row, 1.0))) if n else 0
    id_name = [h for s, h in sheet.columns if s in ("name", "id_number")]
    bad = data.gather(rng.integers(n, size=n_bad)) if n_bad else data.clear()
    bad = bad.with_columns(pl.lit(None, dtype=pl.String).alias(h) for h in id_name)
    blank = pl.DataFrame({c: pl.Series([None] * n_blank, dtype=data.schema[c])
                          for c in data.columns})
    return pl.concat([bad, blank]), ["unusable_row"] * n_bad + ["blank_row"] * n_blank


def build_sheet(rng: np.random.Generator, table: pl.DataFrame, persons: pl.DataFrame,
                villages: pl.DataFrame, f: FileLayout, sheet: SheetLayout, rates: DirtRates,
                planted: pl.Series) -> tuple[pl.DataFrame, pl.Series, pl.DataFrame]:
    """Build one sheet's final rows (dirt and quarantine rows in place).

    Args:
        rng: the seeded generator.
        table: the extract's clean table.
        persons: residents.
        villages: village facts (codes, short names, township names, former names).
        f: the file layout.
        sheet: the sheet layout.
        rates: dirt rates.
        planted: person keys whose rows must stay clean.

    Returns:
        (rows with headers as columns, person_key per row ("" for quarantine rows),
        dirt frame: position, field, kind, expect).
    """
    rows = _base_rows(table, persons, villages)
    target = _target(rows, sheet, f, planted)
    cols, dirt = apply_dirt(rng, target, rates, rows.height)
    cols["insurance_no"] = _excel_destroyed(rows["insurance_no"], dirt)
    rows = rows.with_columns(**cols)
    data = _format(rng, rows, sheet, f.encoding != "xlsx")
    extra, kinds = _extras(rng, data, rates, sheet)
    n, k = data.height, extra.height
    pos = np.concatenate([np.arange(n) * 2 + 1, rng.integers(0, n + 1, size=k) * 2])
    order = np.argsort(pos, kind="stable")
    final = pl.concat([data, extra]).gather(order)
    where = np.empty(n + k, dtype=np.int64)
    where[order] = np.arange(n + k)
    keys = pl.concat([rows["person_key"], pl.Series([""] * k, dtype=pl.String)]).gather(order)
    extra_dirt = pl.DataFrame({
        "row_index": np.arange(n, n + k, dtype=np.int64), "field": [EXPECT[x][0] for x in kinds],
        "kind": kinds, "expect": [EXPECT[x][1] for x in kinds],
    }, schema=dirt.schema)
    dirt = pl.concat([dirt, extra_dirt])
    dirt = dirt.with_columns(
        position=pl.Series(where).gather(dirt["row_index"].to_numpy())
    ).drop("row_index")
    if "序号" in final.columns:
        final = final.with_columns(
            pl.when(pl.col("序号").is_not_null())
            .then(pl.col("序号").is_not_null().cum_sum().cast(pl.Float64)).alias("序号")
        )
    return final, keys, dirt


def write_csv(path: Path, frame: pl.DataFrame, f: FileLayout) -> None:
    """Write a CSV in the file's encoding and line ending."""
    text = frame.write_csv(line_terminator=f.line_terminator)
    path.write_bytes(text.encode(f.encoding))


def write_workbook(path: Path, sheets: list[tuple[SheetLayout, pl.DataFrame]],
                   created: datetime) -> None:
    """Write the health workbook: title rows, Excel serial dates, text IDs, a totals row.

    xlsxwriter writes the workbook, styles, titles (merged where asked) and headers; the
    data rows are rendered as sheet XML by polars and spliced in (xlsxwriter's per-cell
    writing is far too slow for a million cells).
    """
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": created, "author": "卫健局"})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    title_fmt = wb.add_format({"bold": True, "align": "center", "font_size": 14})
    for sheet, frame in sheets:
        ws = wb.add_worksheet(sheet.sheet)
        r = 0
        if sheet.title is not None:
            if sheet.merged:
                ws.merge_range(0, 0, 0, frame.width - 1, sheet.title, title_fmt)
            else:
                ws.write_string(0, 0, sheet.title, title_fmt)
            r = 1
        for c, header in enumerate(frame.columns):
            ws.write_string(r, c, header)
        ws.set_column(0, frame.width - 1, 14)
        dated = [c for c, (s, _h) in enumerate(sheet.columns) if sheet.dates.get(s) == "serial_fmt"]
        for c in dated:
            ws.set_column(c, c, 12, date_fmt)
    wb.close()
    body = {}
    for i, (sheet, frame) in enumerate(sheets, start=1):
        body[f"xl/worksheets/sheet{i}.xml"] = _sheet_rows(frame, sheet, date_fmt.xf_index)
    _splice(path, body)


def _col_letter(c: int) -> str:
    """Excel column letters for a 0-based column index."""
    out = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        out = chr(65 + rem) + out
    return out


def _sheet_rows(frame: pl.DataFrame, sheet: SheetLayout, date_xf: int) -> tuple[str, str]:
    """Render data rows (and the totals row) as sheet XML; return (rows XML, last cell ref)."""
    first = sheet.first_data_row
    row = pl.int_range(pl.len()) + first
    fmt_cols = {h for s, h in sheet.columns if sheet.dates.get(s) == "serial_fmt"}
    cells = []
    for c, name in enumerate(frame.columns):
        ref = pl.format('<c r="{}{}"', pl.lit(_col_letter(c)), row)
        col = pl.col(name)
        if frame[name].dtype == pl.Float64:
            style = f' s="{date_xf}"' if name in fmt_cols else ""
            value = col.cast(pl.Int64).cast(pl.String)
            cell = pl.format('{}{}><v>{}</v></c>', ref, pl.lit(style), value)
        else:
            text = (col.str.replace_all("&", "&amp;", literal=True)
                    .str.replace_all("<", "&lt;", literal=True)
                    .str.replace_all(">", "&gt;", literal=True))
            cell = pl.format('{} t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>',
                             ref, text)
        cells.append(pl.when(col.is_not_null()).then(cell).otherwise(pl.lit("")))
    empty = pl.all_horizontal(pl.all().is_null())
    rows = frame.select(
        pl.when(empty).then(pl.lit("")).otherwise(
            pl.format('<row r="{}">{}</row>', row, pl.concat_str(cells)))
    ).to_series()
    xml = "".join(rows.to_list())
    last_row = first + frame.height - 1
    if sheet.totals:
        last_row += 1
        n = frame["姓名"].is_not_null().sum()
        xml += (f'<row r="{last_row}"><c r="A{last_row}" t="inlineStr"><is><t>合计</t></is></c>'
                f'<c r="B{last_row}" t="inlineStr"><is><t>{n}人</t></is></c></row>')
    return xml, f"{_col_letter(frame.width - 1)}{max(last_row, first - 1)}"


def _splice(path: Path, body: dict[str, tuple[str, str]]) -> None:
    """Insert rendered rows at the end of each sheet's sheetData; fix its dimension."""
    with zipfile.ZipFile(path) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
        for info, data in members:
            if info.filename in body:
                rows, last = body[info.filename]
                xml = data.decode("utf-8")
                xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>', xml,
                             count=1)
                xml = xml.replace("</sheetData>", rows + "</sheetData>", 1)
                data = xml.encode("utf-8")
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
