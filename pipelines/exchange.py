"""The monthly exchange with the county serious-illness office (县大病办).

Each month the county sends its reconciled serious-illness case list as a workbook the office
can open (Chinese headers, one case sheet, one summary sheet per township) and receives the
office's own list back. Both lists are keyed by ``person_id`` + ``illness``; the difference is
what must be reconciled before the summary is filed on the 5th of the following month.

- :func:`illness_cases` builds our case list for a month from the linked tables.
- :func:`write_workbook` writes it as ``.xlsx`` (xlsxwriter).
- :func:`read_return` reads the office's returned file (its headers may vary).
- :func:`diff_cases` compares the two lists.
- :func:`month_in_text` / :func:`month_in_content` tell which month a returned file is for.

ID numbers never leave the county in full: the workbook carries them masked.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.extracts import HeaderMapping, normalise_header
from pipelines.fields import EXTRACTS, ILLNESS_STATUSES, PERSON_HEADERS
from pipelines.normalise.ids import mask_id, mask_ids_in_text

CASE_SHEET = "大病救治病例"
_LEDGER = EXTRACTS["illness_ledger"].fields
_SETTLEMENT = EXTRACTS["settlement"].fields

# Exchange field -> header variants; the first is the header sanji writes. The office's own
# system may send any variant back (or the settlement extract's headers).
EXCHANGE_HEADERS: dict[str, tuple[str, ...]] = {
    "person_id": ("人员编号", "人员ID", "个人编号", "人员唯一编号", "编号"),
    "name": PERSON_HEADERS["name"],
    "id_masked": PERSON_HEADERS["id_number"],
    "township": PERSON_HEADERS["township"],
    "village": PERSON_HEADERS["village"],
    "illness": _LEDGER["illness"],
    "hospital": _LEDGER["hospital"],
    "status": (*_LEDGER["status"], "救治情况", "状态"),
    "diagnosis_date": _LEDGER["diagnosis_date"],
    "admissions": ("住院次数", "住院人次", "结算次数"),
    "total_cost": _SETTLEMENT["total_cost"],
    "basic_insurance": ("基本医保", *_SETTLEMENT["basic_insurance"]),
    "critical_insurance": ("大病保险", *_SETTLEMENT["critical_insurance"]),
    "medical_assistance": ("医疗救助", *_SETTLEMENT["medical_assistance"]),
    "out_of_pocket": _SETTLEMENT["out_of_pocket"],
    "one_stop": _SETTLEMENT["one_stop"],
}
MONEY = ("total_cost", "basic_insurance", "critical_insurance", "medical_assistance",
         "out_of_pocket")
REQUIRED = ("illness", "status")
# An extract field a steward maps in sanji_mapping.yaml -> the exchange field it feeds.
MAPPED_FIELDS = {"id_number": "id_masked"}
# Cells that label the month a returned sheet is for (统计月份: 2026年10月).
MONTH_LABELS = ("统计月份", "报送月份", "所属月份", "报表月份", "统计年月", "月份", "年月")
_MONTH = re.compile(r"(20\d\d)(?:(0[1-9]|1[0-2])|\s*[-_年./]\s*(0?[1-9]|1[0-2]))(?!\d)")

CASE_SCHEMA: dict[str, pl.DataType] = {
    "person_id": pl.String(), "name": pl.String(), "id_masked": pl.String(),
    "township_code": pl.String(), "township": pl.String(), "village_code": pl.String(),
    "village": pl.String(), "illness": pl.String(), "hospital": pl.String(),
    "status": pl.String(), "diagnosis_date": pl.Date(), "admissions": pl.Int64(),
    **{m: pl.Float64() for m in MONEY}, "one_stop": pl.String(),
}
DIFF_SCHEMA: dict[str, pl.DataType] = {
    "month": pl.String(), "person_id": pl.String(), "illness": pl.String(),
    "kind": pl.String(), "ours_status": pl.String(), "theirs_status": pl.String(),
    "ours_illness": pl.String(), "theirs_illness": pl.String(), "name": pl.String(),
    "id_masked": pl.String(), "township": pl.String(), "detail": pl.String(),
    "side": pl.String(), "field": pl.String(), "ours": pl.String(), "theirs": pl.String(),
}
DIFF_KINDS = ("only_ours", "only_theirs", "status_differs", "illness_differs")
# kind -> (side, field) in the published ``exchange_diff`` vocabulary (schemas/published.py).
DIFF_SIDES: dict[str, tuple[str, str | None]] = {
    "only_ours": ("ours_only", None), "only_theirs": ("theirs_only", None),
    "status_differs": ("disagree", "status"), "illness_differs": ("disagree", "illness"),
}


def month_bounds(month: str) -> tuple[date, date]:
    """First and last day of a ``YYYY-MM`` month.

    Args:
        month: e.g. ``"2026-10"``.

    Returns:
        ``(first_day, last_day)``.
    """
    year, mon = (int(p) for p in month.split("-")[:2])
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def filing_deadline(month: str) -> date:
    """The day the month's reconciled summary is due: the 5th of the following month.

    Args:
        month: ``YYYY-MM``.

    Returns:
        The due date.
    """
    last = month_bounds(month)[1]
    nxt = date(last.year + (last.month == 12), last.month % 12 + 1, 5)
    return nxt


def _place_names(regions: pl.DataFrame, code: str, name: str) -> pl.DataFrame:
    return regions.select(pl.col("code").alias(code), pl.col("name").alias(name))


def _settlement_totals(settlements: pl.DataFrame, links: pl.DataFrame,
                       first: date, last: date) -> pl.DataFrame:
    """Per person: inpatient settlements of the year up to the month's end."""
    admitted = pl.col("admission_date")
    return (
        settlements.lazy()
        .join(links.lazy().select("record_id", "person_id"), on="record_id", how="inner")
        .filter(admitted.is_between(date(first.year, 1, 1), last) | admitted.is_null())
        .group_by("person_id")
        .agg(
            pl.len().cast(pl.Int64).alias("admissions"),
            *(pl.col(m).sum().round(2) for m in MONEY),
            pl.when(pl.col("one_stop").all()).then(pl.lit("是"))
            .when(pl.col("one_stop").any()).then(pl.lit("部分"))
            .otherwise(pl.lit("否")).alias("one_stop"),
        )
        .collect()
    )


def illness_cases(ledger: pl.DataFrame, settlements: pl.DataFrame, links: pl.DataFrame,
                  person: pl.DataFrame, regions: pl.DataFrame, month: str) -> pl.DataFrame:
    """Our serious-illness case list for a month: one row per person and illness.

    A case is a ledger entry diagnosed by the month's end (or undated), attached to its linked
    person; the latest entry per person and illness wins. Settlements of the calendar year up
    to the month's end are summed per person.

    Args:
        ledger: the ``illness_ledger`` extract table.
        settlements: the ``settlement`` extract table.
        links: ``person_links`` (record_id, person_id).
        person: the golden ``person`` table.
        regions: the region table (code, name).
        month: ``YYYY-MM``.

    Returns:
        A frame with the columns of ``CASE_SCHEMA``, sorted by township, village, person_id.
    """
    first, last = month_bounds(month)
    diagnosed = pl.col("diagnosis_date")
    cases = (
        ledger.lazy()
        .join(links.lazy().select("record_id", "person_id"), on="record_id", how="inner")
        .filter((diagnosed <= last) | diagnosed.is_null())
        .sort("diagnosis_date", nulls_last=False)
        .unique(["person_id", "illness"], keep="last", maintain_order=True)
        .select("person_id", "illness", "hospital", "status", "diagnosis_date")
        .collect()
    )
    people = person.select(
        "person_id", "name", mask_id(pl.col("id_number")).alias("id_masked"),
        "township_code", "village_code",
    )
    totals = _settlement_totals(settlements, links, first, last)
    return (
        cases.join(people, on="person_id", how="left")
        .join(_place_names(regions, "township_code", "township"), on="township_code", how="left")
        .join(_place_names(regions, "village_code", "village"), on="village_code", how="left")
        .join(totals, on="person_id", how="left")
        .with_columns(pl.col("admissions").fill_null(0))
        .select([pl.col(c).cast(t) for c, t in CASE_SCHEMA.items()])
        .sort("township_code", "village_code", "person_id", "illness", nulls_last=True)
    )


def township_summary(cases: pl.DataFrame) -> pl.DataFrame:
    """Per village of one township: case counts by status, costs and the out-of-pocket share.

    Args:
        cases: the case rows of one township.

    Returns:
        Columns 行政村, 病例数, one column per status, 住院次数, 医疗总费用, 个人自付, 自付比例.
    """
    status_counts = [
        (pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in ILLNESS_STATUSES
    ]
    return (
        cases.group_by(pl.col("village").fill_null("(未定位)").alias("行政村"))
        .agg(
            pl.len().cast(pl.Int64).alias("病例数"), *status_counts,
            pl.col("admissions").sum().alias("住院次数"),
            pl.col("total_cost").sum().round(2).alias("医疗总费用"),
            pl.col("out_of_pocket").sum().round(2).alias("个人自付"),
        )
        .with_columns(
            pl.when(pl.col("医疗总费用") > 0)
            .then((pl.col("个人自付") / pl.col("医疗总费用")).round(4))
            .alias("自付比例")
        )
        .sort("行政村")
    )


def _sheet_name(name: str, used: set[str]) -> str:
    """An Excel-safe, unique sheet name (at most 31 characters)."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name)[:28] or "未定位"
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base[:26]}_{n}", n + 1
    used.add(candidate)
    return candidate


def _write_frame(sheet, frame: pl.DataFrame, formats: dict) -> None:
    """Write a frame's header and rows to an xlsxwriter worksheet."""
    for col, header in enumerate(frame.columns):
        sheet.write(0, col, header, formats["header"])
        sheet.set_column(col, col, max(10, 2 * len(header) + 2))
    for r, row in enumerate(frame.iter_rows(), start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, formats["date"])
            else:
                sheet.write(r, c, value)


def write_workbook(cases: pl.DataFrame, path: Path, month: str) -> Path:
    """Write the month's case list as the workbook the illness office opens.

    Sheet ``大病救治病例`` holds one row per case with the Chinese headers of
    ``EXCHANGE_HEADERS``; then one summary sheet per township (by village).

    Args:
        cases: from :func:`illness_cases`.
        path: the ``.xlsx`` file to write (parent folders are created).
        month: ``YYYY-MM`` (written in the workbook's properties).

    Returns:
        ``path``.
    """
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    out = cases.select([
        pl.col(field).alias(headers[0]) for field, headers in EXCHANGE_HEADERS.items()
    ])
    with xlsxwriter.Workbook(str(path)) as book:
        book.set_properties({"title": f"大病专项救治病例 {month}", "author": "sanji"})
        formats = {"header": book.add_format({"bold": True, "bg_color": "#DDEBF7"}),
                   "date": book.add_format({"num_format": "yyyy-mm-dd"})}
        _write_frame(book.add_worksheet(CASE_SHEET), out, formats)
        used = {CASE_SHEET}
        townships = cases.select(pl.col("township").fill_null("未定位")).unique().sort("township")
        for township in townships.to_series():
            part = cases.filter(pl.col("township").fill_null("未定位") == township)
            _write_frame(book.add_worksheet(_sheet_name(str(township), used)),
                         township_summary(part), formats)
    return path


def _header_lookup(mapping: HeaderMapping | None = None) -> dict[str, str]:
    """Normalised header text -> exchange field, over every variant and the steward's extras.

    Args:
        mapping: the steward's header mapping; its extra variants of any extract's field that
            is also an exchange field (``illness``, ``status``, ``id_number`` …) are added.

    Returns:
        The lookup (built-in variants win over the steward's).
    """
    extra = [(MAPPED_FIELDS.get(name, name), variant)
             for fields in (mapping.extra.values() if mapping else ())
             for name, variants in fields.items() for variant in variants]
    lookup = {normalise_header(v): f for f, v in extra if f in EXCHANGE_HEADERS}
    lookup.update({normalise_header(h): f for f, hs in EXCHANGE_HEADERS.items() for h in hs})
    return lookup


def _find_header(grid: pl.DataFrame, lookup: dict[str, str]) -> tuple[int, dict[str, str]]:
    """The first of the top rows naming at least three exchange fields, and its mapping."""
    for row in grid.head(10).iter_rows(named=True):
        mapping = {}
        for col, value in row.items():
            if col == "row_number":
                continue
            text = normalise_header(value)
            if text in lookup and lookup[text] not in mapping.values():
                mapping[col] = lookup[text]
        if len(mapping) >= 3:
            return row["row_number"], mapping
    return -1, {}


def _pick_grid(path: Path):
    """The grid holding the case list: the case sheet if present, else the first sheet."""
    from pipelines.read import read_csv_grid, read_xlsx_grids

    if path.suffix.lower() == ".csv":
        return read_csv_grid(path)
    grids = read_xlsx_grids(path)
    if not grids:
        msg = f"{path.name}: the workbook has no data sheet"
        raise ValueError(msg)
    return next((g for g in grids if g.sheet == CASE_SHEET), grids[0])


def read_return(path: Path, mapping: HeaderMapping | None = None) -> pl.DataFrame:
    """Read and validate the illness office's returned case list.

    The file is a workbook (sheet ``大病救治病例`` or its first sheet) or a CSV; the header row
    is the first of the top ten rows naming at least three known headers, in any variant of
    ``EXCHANGE_HEADERS``. Rows without a person and an illness (blank rows, a totals row
    ``合计``) are skipped.

    Args:
        path: the returned file.
        mapping: the steward's header mapping (``sanji_mapping.yaml``); its extra header
            variants for exchange fields are recognised too.

    Returns:
        A frame with the columns of ``CASE_SCHEMA`` plus ``row_number``.

    Raises:
        ValueError: naming file, sheet, row and column, when the header is not found, a
            required column is missing, or a status is not one of ``ILLNESS_STATUSES``.
    """
    grid = _pick_grid(path)
    where = f"{path.name}, sheet {grid.sheet or '(csv)'}"
    header_row, columns = _find_header(grid.frame, _header_lookup(mapping))
    if header_row < 0:
        msg = f"{where}: no header row with the exchange columns (e.g. 人员编号, 病种, 救治状态)"
        raise ValueError(msg)
    missing = [f for f in REQUIRED if f not in columns.values()]
    if "person_id" not in columns.values() and "id_masked" not in columns.values():
        missing.append("person_id")
    if missing:
        headers = ", ".join(EXCHANGE_HEADERS[f][0] for f in missing)
        msg = f"{where}, row {header_row}: missing column(s) {headers}"
        raise ValueError(msg)
    rows = (
        grid.frame.filter(pl.col("row_number") > header_row)
        .select("row_number", *(pl.col(c).str.strip_chars().alias(f) for c, f in columns.items()))
        .filter(pl.col("illness").is_not_null() & (pl.col("illness") != ""))
        .filter(~pl.any_horizontal((pl.all().exclude("row_number").cast(pl.String) == "合计")
                                   .fill_null(False)))
    )
    return _typed(rows, where)


def _typed(rows: pl.DataFrame, where: str) -> pl.DataFrame:
    """Cast the returned rows to ``CASE_SCHEMA`` and check their statuses."""
    bad = rows.filter(~pl.col("status").is_in(ILLNESS_STATUSES))
    if bad.height:
        first = bad.row(0, named=True)
        expected = ", ".join(ILLNESS_STATUSES)
        msg = (f"{where}, row {first['row_number']}, column 救治状态: "
               f"unknown status {first['status']!r} (expected one of {expected})")
        raise ValueError(msg)
    exprs = []
    for col, dtype in CASE_SCHEMA.items():
        if col not in rows.columns:
            exprs.append(pl.lit(None, dtype).alias(col))
        elif dtype == pl.Date():
            exprs.append(pl.col(col).str.slice(0, 10).str.replace_all("/", "-")
                         .str.to_date("%Y-%m-%d", strict=False).alias(col))
        elif dtype in (pl.Float64(), pl.Int64()):
            exprs.append(pl.col(col).str.replace_all(",", "").cast(pl.Float64, strict=False)
                         .cast(dtype).alias(col))
        elif col == "id_masked":  # the office may send full numbers: never keep them
            exprs.append(mask_ids_in_text(pl.col(col)).alias(col))
        else:
            exprs.append(pl.col(col))
    return rows.select("row_number", *exprs)


def read_return_empty() -> pl.DataFrame:
    """An empty returned case list (no file from the office yet), typed like :func:`read_return`."""
    return pl.DataFrame(schema={"row_number": pl.Int64(), **CASE_SCHEMA})


def diff_cases(ours: pl.DataFrame, theirs: pl.DataFrame, month: str) -> pl.DataFrame:
    """Compare our case list with the office's, keyed by ``person_id`` + ``illness``.

    - ``only_ours`` / ``only_theirs``: a case on one list only;
    - ``status_differs``: same person and illness, different 救治状态;
    - ``illness_differs``: a person with exactly one unmatched case on each side, with
      different illnesses (reported once instead of as one ``only_ours`` + one ``only_theirs``).

    Args:
        ours: from :func:`illness_cases`.
        theirs: from :func:`read_return`.
        month: ``YYYY-MM``, copied into the ``month`` column.

    Returns:
        A frame with the columns of ``DIFF_SCHEMA``, one row per difference.
    """
    key = ["person_id", "illness"]
    a = ours.select(*key, pl.col("status").alias("ours_status"), "name", "id_masked", "township",
                    pl.lit(True).alias("in_ours"))
    b = theirs.select(*key, pl.col("status").alias("theirs_status"),
                      pl.col("name").alias("name_t"), pl.col("id_masked").alias("id_t"),
                      pl.col("township").alias("township_t"), pl.lit(True).alias("in_theirs"))
    both = a.join(b, on=key, how="full", coalesce=True, nulls_equal=False)
    in_a, in_b = pl.col("in_ours").fill_null(False), pl.col("in_theirs").fill_null(False)
    status = both.filter(in_a & in_b & pl.col("ours_status").ne_missing(pl.col("theirs_status")))
    status = status.with_columns(
        pl.lit("status_differs").alias("kind"), pl.col("illness").alias("ours_illness"),
        pl.col("illness").alias("theirs_illness"),
    )
    only_a = both.filter(in_a & ~in_b)
    only_b = both.filter(in_b & ~in_a)
    single = pl.len().over("person_id") == 1
    pa = only_a.filter(single & pl.col("person_id").is_not_null())
    pb = only_b.filter(single & pl.col("person_id").is_not_null())
    swapped = pa.select("person_id", pl.col("illness").alias("ours_illness"), "ours_status",
                        "name", "id_masked", "township").join(
        pb.select("person_id", pl.col("illness").alias("theirs_illness"), "theirs_status"),
        on="person_id", how="inner",
    ).with_columns(pl.lit("illness_differs").alias("kind"), pl.col("ours_illness").alias("illness"))
    swapped_ids = swapped.get_column("person_id")
    rest_a = only_a.filter(~pl.col("person_id").is_in(swapped_ids.implode()).fill_null(False))
    rest_b = only_b.filter(~pl.col("person_id").is_in(swapped_ids.implode()).fill_null(False))
    frames = [
        status,
        swapped,
        rest_a.with_columns(pl.lit("only_ours").alias("kind"),
                            pl.col("illness").alias("ours_illness")),
        rest_b.with_columns(pl.lit("only_theirs").alias("kind"),
                            pl.col("illness").alias("theirs_illness")),
    ]
    out = pl.concat(
        [f.select([pl.col(c).cast(t) if c in f.columns else pl.lit(None, t).alias(c)
                   for c, t in DIFF_SCHEMA.items()]) for f in frames],
        how="vertical",
    ) if any(f.height for f in frames) else pl.DataFrame(schema=DIFF_SCHEMA)
    # fill side details from the office's list where ours is missing
    out = out.with_columns(
        pl.lit(month).alias("month"),
        pl.concat_str(
            pl.col("kind"), pl.lit(": "), pl.col("ours_illness").fill_null("-"), pl.lit("/"),
            pl.col("ours_status").fill_null("-"), pl.lit(" vs "),
            pl.col("theirs_illness").fill_null("-"), pl.lit("/"),
            pl.col("theirs_status").fill_null("-"),
        ).alias("detail"),
    )
    return _long_form(_fill_their_side(out, only_b)).sort("kind", "person_id", "illness",
                                                          nulls_last=True)


def _long_form(diff: pl.DataFrame) -> pl.DataFrame:
    """Add the published columns: side, field, and our / their value of that field."""
    side = pl.col("kind").replace_strict({k: v[0] for k, v in DIFF_SIDES.items()})
    illness = pl.col("kind") == "illness_differs"
    only_theirs = pl.col("kind") == "only_theirs"
    return diff.with_columns(
        side.alias("side"),
        pl.col("kind").replace_strict({k: v[1] for k, v in DIFF_SIDES.items()},
                                      return_dtype=pl.String).alias("field"),
        pl.when(only_theirs).then(None)
        .when(illness).then(pl.col("ours_illness"))
        .otherwise(pl.col("ours_status")).alias("ours"),
        pl.when(illness).then(pl.col("theirs_illness"))
        .otherwise(pl.col("theirs_status")).alias("theirs"),
    ).select(list(DIFF_SCHEMA))


def _fill_their_side(diff: pl.DataFrame, only_b: pl.DataFrame) -> pl.DataFrame:
    """For cases only the office has, take name, masked ID and township from their row."""
    theirs = only_b.select("person_id", "illness", "name_t", "id_t", "township_t")
    return (
        diff.join(theirs, on=["person_id", "illness"], how="left", nulls_equal=True)
        .with_columns(
            pl.coalesce("name", "name_t").alias("name"),
            pl.coalesce("id_masked", "id_t").alias("id_masked"),
            pl.coalesce("township", "township_t").alias("township"),
        )
        .select([c for c in DIFF_SCHEMA if c in diff.columns])
    )


def month_in_text(text: object) -> str | None:
    """The ``YYYY-MM`` a text names (2026-10, 202610, 2026年9月, 2026.10), or None.

    Args:
        text: a file name, sheet name or cell value.

    Returns:
        The first month found, or None.
    """
    found = _MONTH.search(str(text or ""))
    return f"{found[1]}-{int(found[2] or found[3]):02d}" if found else None


_FULL_DATE = re.compile(r"20\d\d\s*[-_年./]\s*\d{1,2}\s*[-_./月]\s*\d{1,2}(?!\d)")


def month_in_file_name(name: str) -> str | None:
    """The ``YYYY-MM`` a file name states, or None when it only carries a full date.

    A file returned on 3 November (``回传_2026-11-03.xlsx``) is usually for October, so a
    date in a name says nothing about the month the file covers; its content must.
    """
    return None if _FULL_DATE.search(name) else month_in_text(name)


def _labelled_month(top: pl.DataFrame, below: pl.DataFrame) -> str | None:
    """A month from a label cell: in the cell itself, to its right, or down its column."""
    for row in top.iter_rows():
        cells = [normalise_header(v) for v in row[1:]]
        for i, text in enumerate(cells):
            label = next((lb for lb in MONTH_LABELS if text.startswith(lb)), None)
            if label is None:
                continue
            found = month_in_text(text[len(label):]) or next(
                (m for m in map(month_in_text, cells[i + 1:i + 3]) if m), None)
            column = below.get_column(below.columns[i + 1]) if i + 1 < below.width else None
            if found is None and column is not None:
                months = column.map_elements(month_in_text, return_dtype=pl.String).drop_nulls()
                found = months.mode().sort().first() if months.len() else None
            if found:
                return found
    return None


def _workbook_title(path: Path) -> str:
    """The workbook's title property (``docProps/core.xml``), or ""."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as book:
            core = book.read("docProps/core.xml").decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return ""
    found = re.search(r"<dc:title>(.*?)</dc:title>", core, re.S)
    return found[1] if found else ""


def month_in_content(path: Path) -> str | None:
    """The month a returned file is for, read from its content when its name does not say.

    Looked for in order: a label cell (统计月份/报送月份/月份 …) with the month in it, beside
    it or down its column; the sheet name; a title cell in the top rows; the workbook's
    title property.

    Args:
        path: the returned ``.xlsx`` or ``.csv``.

    Returns:
        ``YYYY-MM``, or None when the file names no month (or cannot be read).
    """
    try:
        grid = _pick_grid(path)
    except (ValueError, OSError):
        return None
    frame = grid.frame
    header_row = _find_header(frame, _header_lookup())[0]
    top = frame.head(10).filter(pl.col("row_number") <= header_row) if header_row >= 0 \
        else frame.head(10)
    found = _labelled_month(top, frame) or month_in_text(grid.sheet)
    if found is None:  # a title above the header row (大病救治病例 2026年10月)
        above = top.filter(pl.col("row_number") < header_row)
        titles = (month_in_text(v) for row in above.iter_rows() for v in row[1:])
        found = next((m for m in titles if m), None)
    if found is None and path.suffix.lower() == ".xlsx":
        found = month_in_text(_workbook_title(path))
    return found
