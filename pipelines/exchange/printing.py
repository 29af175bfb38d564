"""Workbooks that print: column widths from their content, wrapped long text, A4 landscape.

Every sheet sanji hands to people (the illness office's case list, the townships' work lists)
is set up the same way: a frozen header row repeated on every printed page (print titles),
landscape A4 scaled to fit the page width, narrow margins, the title in the page header and
"第 n 页 / 共 m 页" in the footer. Widths are in Excel's character units, where a Chinese
(full-width) character takes two; long text wraps inside a capped width and its row is made
tall enough for its lines, so nothing is cut off on screen or on paper.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import polars as pl

FONT = "宋体"
FONT_SIZE = 10
LINE_POINTS = 13.0  # row height per line of text at FONT_SIZE
PADDING = 2  # width units added to the widest value
A4 = 9  # xlsxwriter paper code


@dataclass(frozen=True)
class Column:
    """How one column prints.

    Attributes:
        field: the frame's column.
        header: the header a person reads.
        wrap: the width at which its text wraps (None: as wide as its widest value).
        min_width: the narrowest it may be (room for handwriting in an empty answer column).
        max_width: the widest an unwrapped column may grow.
    """

    field: str
    header: str
    wrap: int | None = None
    min_width: int = 4
    max_width: int = 40


def display_width(text: object) -> int:
    """Width of a text in Excel character units: full-width (Chinese) characters count two."""
    if text is None:
        return 0
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def lines_needed(text: object, width: int) -> int:
    """Printed lines of a text in a column ``width`` units wide (its own line breaks kept)."""
    if text is None or str(text) == "":
        return 1
    room = max(width - PADDING, 1)
    return sum(max(1, math.ceil(display_width(line) / room)) for line in str(text).split("\n"))


def widths(frame: pl.DataFrame, columns: list[Column]) -> list[int]:
    """Each column's width: its wrap width, else its widest value or header (within bounds)."""
    return _widths(columns, _widest(frame, columns, []).row(0, named=True))


def row_heights(frame: pl.DataFrame, columns: list[Column], column_widths: list[int]
                ) -> list[float]:
    """Each row's height in points: enough lines for its longest wrapped cell."""
    room = {c.field: pl.lit(max(w - PADDING, 1))
            for c, w in zip(columns, column_widths, strict=True)}
    height = _height(frame, columns, room)
    if height is None or frame.height == 0:
        return [LINE_POINTS + 4] * frame.height
    return frame.select(height)["_height"].to_list()


def sheets_sized(frame: pl.DataFrame, columns: list[Column], by: list[str]
                 ) -> pl.DataFrame:
    """``frame`` with its sheet's column widths and its own row height, in one pass over all
    the sheets: a sheet is the rows of one value of ``by``. Per row ``_width_<i>``, the
    ``widths`` of column ``i`` over its sheet's rows, and ``_height``, its ``row_heights``
    (the same figures as calling both on each sheet, for a fraction of the calls)."""
    sized = _sheet_widths(_widest(frame, columns, by), columns, by)
    joined = (frame.join(sized, on=by, how="left", nulls_equal=True, maintain_order="left")
              if by else frame.with_columns(pl.lit(w, pl.Int64).alias(name)
                                            for name, w in sized.row(0, named=True).items()))
    room = {c.field: pl.max_horizontal(pl.col(f"_width_{i}") - PADDING, pl.lit(1))
            for i, c in enumerate(columns)}
    height = _height(joined, columns, room)
    return joined.with_columns(pl.lit(LINE_POINTS + 4, pl.Float64).alias("_height")
                               if height is None else height)


def _sheet_widths(widest: pl.DataFrame, columns: list[Column], by: list[str]
                  ) -> pl.DataFrame:
    """Per sheet (row of ``_widest``) its columns' widths as ``_width_<i>``."""
    rows = [_widths(columns, row) for row in widest.iter_rows(named=True)]
    names = [f"_width_{i}" for i in range(len(columns))]
    return pl.DataFrame([*widest.select(by).get_columns(),
                         *(pl.Series(name, [r[i] for r in rows], dtype=pl.Int64)
                           for i, name in enumerate(names))])


def _widths(columns: list[Column], widest: dict[str, int | None]) -> list[int]:
    """The widths of ``columns`` given each measured column's widest value (``_widest``)."""
    out = []
    for col in columns:
        if col.wrap is not None:
            out.append(max(col.wrap, col.min_width))
            continue
        value = widest.get(f"_widest_{col.field}") or 0  # not in the frame: its header
        out.append(min(max(max(display_width(col.header), value) + PADDING, col.min_width),
                       col.max_width))
    return out


def _widest(frame: pl.DataFrame, columns: list[Column], by: list[str]) -> pl.DataFrame:
    """The widest value (``display_width``) of each unwrapped column of ``frame``
    (``_widest_<field>``), per value of ``by`` (the whole frame when empty: one row, even for
    no rows). Each distinct character's width is looked up once, then summed per value."""
    fields = [c.field for c in columns if c.wrap is None and c.field in frame.columns]
    texts = {f: pl.col(f).cast(pl.String) for f in fields}
    chars = pl.concat([pl.Series("c", [], pl.String)] + [
        frame.select(t.str.split("").explode().drop_nulls().alias("c")).to_series()
        for t in texts.values()]).unique()
    sizes = pl.Series([display_width(c) for c in chars.to_list()], dtype=pl.Int64)
    width = {f"_widest_{f}": t.str.split("").list.eval(pl.element().replace_strict(
        chars, sizes, return_dtype=pl.Int64)).list.sum().max() for f, t in texts.items()}
    if not by:
        return frame.select(**width) if fields else pl.DataFrame({"_": [0]})
    return frame.group_by(by, maintain_order=True).agg(**width)


# Full-width (East Asian wide) characters, for the vectorised width below.
_WIDE = (r"[\x{1100}-\x{115F}\x{2E80}-\x{303E}\x{3041}-\x{33FF}\x{3400}-\x{4DBF}"
         r"\x{4E00}-\x{9FFF}\x{A000}-\x{A4CF}\x{AC00}-\x{D7A3}\x{F900}-\x{FAFF}"
         r"\x{FE30}-\x{FE4F}\x{FF00}-\x{FF60}\x{FFE0}-\x{FFE6}\x{20000}-\x{3FFFD}]")


def _lines(text: pl.Expr, room: pl.Expr) -> pl.Expr:
    """Vectorised :func:`lines_needed` (``room``: the column's width less its padding)."""
    line = pl.element()
    wide = line.str.len_chars() + line.str.count_matches(_WIDE)
    return ((text.cast(pl.String).fill_null("").str.split("\n").list.eval(wide) / room)
            .list.eval(pl.element().ceil().clip(lower_bound=1))
            .list.sum().cast(pl.Int64).clip(lower_bound=1))


def _height(frame: pl.DataFrame, columns: list[Column], room: dict[str, pl.Expr]
            ) -> pl.Expr | None:
    """Each row's height in points (``_height``): enough lines for its longest cell (None:
    no column of ``columns`` is in ``frame``)."""
    counts = [_lines(pl.col(c.field), room[c.field]) for c in columns
              if c.field in frame.columns]
    if not counts:
        return None
    return (pl.max_horizontal(counts) * LINE_POINTS + 4).cast(pl.Float64).alias("_height")


def setup_page(sheet, title: str, header_row: int) -> None:
    """A4 landscape, fit to the page width, header rows repeated and frozen, page numbers.

    Args:
        sheet: an xlsxwriter worksheet.
        title: the text of the page header (``&`` is escaped).
        header_row: the 0-based row of the column headers (rows 0..header_row repeat).
    """
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.6)
    sheet.center_horizontally()
    sheet.repeat_rows(header_row, header_row)
    sheet.freeze_panes(header_row + 1, 0)
    sheet.set_header(f"&C{title.replace('&', '&&')}")
    sheet.set_footer("&C第 &P 页 / 共 &N 页")


def formats(book) -> dict:
    """The shared cell formats of a printed workbook."""
    base = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "top", "border": 1}
    return {
        "header": book.add_format({**base, "bold": True, "bg_color": "#DDEBF7",
                                   "text_wrap": True, "valign": "vcenter", "align": "center"}),
        "cell": book.add_format(base),
        "wrap": book.add_format({**base, "text_wrap": True}),
        "date": book.add_format({**base, "num_format": "yyyy-mm-dd"}),
        "money": book.add_format({**base, "num_format": "#,##0.00"}),
        "title": book.add_format({"font_name": FONT, "font_size": 14, "bold": True}),
        "note": book.add_format({"font_name": FONT, "font_size": FONT_SIZE, "italic": True}),
    }
