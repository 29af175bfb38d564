"""A returned work list: the clerk's answers read back, and every row that cannot be used.

The clerk may re-save the list in WPS, LibreOffice or Excel (``.xlsx``, ``.xls``, ``.ods`` or a
``.csv``), sort or filter it, insert rows, delete the instructions: the header row is found by
its words (问题编号 and 核实结果, or their variants) in the top rows of any sheet, and each row is
matched by its 问题编号, never by its position. An answer is one of ``VERIFICATION_RESULTS``
written as on the drop-down or in a clerk's words (已整改, 不是同一人, 信息错误 …). Nothing is
dropped silently: a row with content but no case id, an unknown case id, an unknown answer, an
unreadable date, a note without an answer and a case answered twice are each reported with file,
sheet, row and column (``schemas.cases.ReturnProblem``); an unreadable file is one problem.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from pipelines.domain.cases import RESULT_WORDS
from pipelines.domain.county import TIMEZONE
from pipelines.domain.identity import mask_ids_in_text
from pipelines.domain.months import Month
from pipelines.domain.vocabulary import normalise_header
from pipelines.exchange.archive import archived_returns
from pipelines.exchange.months import month_in_file_name, month_in_text
from pipelines.normalise.dates import parse_date
from schemas.cases import ReturnProblem, Verification
from schemas.contract import conform, empty_frame, polars_schema

HEADERS: dict[str, tuple[str, ...]] = {
    "case_id": ("问题编号", "问题编码", "问题id", "案件编号", "编号"),
    "result": ("核实结果", "核查结果", "核实情况", "核实结论", "核查情况"),
    "note": ("说明", "核实说明", "情况说明", "备注", "核实备注"),
    "verified_by": ("核实人", "核查人", "核实人员", "经办人", "核实人签字"),
    "verified_on": ("核实日期", "核查日期", "核实时间", "日期"),
    "name": ("姓名",),
}
HEADER_LABELS = {field: words[0] for field, words in HEADERS.items()}
TOP_ROWS = 15
_PUNCT = r"[\s,，、;；:：.。()（）\[\]【】\-—_/]"


@dataclass(frozen=True)
class WorklistReturn:
    """What a returned work list says.

    Attributes:
        verifications: the answers (``schemas.cases.Verification``), one per case.
        problems: what could not be used (``schemas.cases.ReturnProblem``).
        answered: cases answered.
        unanswered: listed cases left without an answer.
        month: the month the list is for (file name, else its title), or None.
    """

    verifications: pl.DataFrame
    problems: pl.DataFrame
    answered: int
    unanswered: int
    month: str | None


def _word(value: str) -> str:
    return pl.select(pl.lit(value).str.normalize("NFKC").str.replace_all(_PUNCT, "")).item()


RESULT_LOOKUP: dict[str, str] = {_word(w): r for r, words in RESULT_WORDS.items() for w in words}


def _grids(path: Path, rows: int | None = None) -> list[tuple[str, pl.DataFrame]]:
    """(sheet, text grid with row_number) for every non-empty sheet (CSV: one, sheet "").

    ``rows``: only the top rows of each sheet (a CSV is read whole).
    """
    if path.suffix.lower() == ".csv":
        from pipelines.read import read_csv_grid

        grid = read_csv_grid(path)
        return [("", grid.frame)]
    import fastexcel

    reader = fastexcel.read_excel(path.read_bytes())
    out = []
    for name in reader.sheet_names:
        frame = reader.load_sheet(name, header_row=None, dtypes="string", skip_rows=0,
                                  n_rows=rows).to_polars()
        if frame.width and frame.height:
            frame = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)})
            out.append((name, frame.with_row_index("row_number", offset=1)
                        .with_columns(pl.col("row_number").cast(pl.Int64))))
    return out


def _header(frame: pl.DataFrame) -> tuple[int, dict[str, str]]:
    """The header row (row_number) and column -> field, or (-1, {}) when none is found."""
    lookup = {normalise_header(w): f for f, words in HEADERS.items() for w in words}
    for row in frame.head(TOP_ROWS).iter_rows(named=True):
        found: dict[str, str] = {}
        for col, value in row.items():
            field = lookup.get(normalise_header(value)) if col != "row_number" else None
            if field and field not in found.values():
                found[col] = field
        if {"case_id", "result"} <= set(found.values()):
            return row["row_number"], found
    return -1, {}


def _rows(frame: pl.DataFrame, header_row: int, columns: dict[str, str]) -> pl.DataFrame:
    """The rows below the header as text fields, with whether the row has any content."""
    text = [c for c in frame.columns if c != "row_number"]
    cell = {f: pl.col(c).str.strip_chars().replace("", None) for c, f in columns.items()}
    return (
        frame.filter(pl.col("row_number") > header_row)
        .with_columns(content=pl.any_horizontal(
            pl.col(c).str.strip_chars().fill_null("") != "" for c in text))
        .select("row_number", "content",
                *(cell.get(f, pl.lit(None, pl.String)).alias(f) for f in HEADERS))
        .filter(pl.col("content"))
        .with_columns(
            result=pl.col("result").str.normalize("NFKC").str.replace_all(_PUNCT, "")
            .replace_strict(RESULT_LOOKUP, default=None),
            result_raw=pl.col("result"),
            day=parse_date(pl.col("verified_on")),
        )
    )


def _problems(rows: pl.DataFrame, source: str) -> pl.DataFrame:
    """The rows' problems, one row each (a row may have a bad date besides its main problem)."""
    label = HEADER_LABELS
    checks = [
        ("no_case_id", pl.col("case_id").is_null(), "case_id", pl.col("name"),
         pl.lit("此行有内容但没有问题编号，无法对应问题 / row has content but no 问题编号")),
        ("unknown_case", pl.col("_unknown"), "case_id", pl.col("case_id"),
         pl.lit("问题编号不在问题清单中 / no such case: ") + pl.col("case_id")),
        ("unknown_result", pl.col("result_raw").is_not_null() & pl.col("result").is_null(),
         "result", pl.col("result_raw"),
         pl.lit("核实结果不是下拉选项之一 (属实已整改/属实未整改/非同一人/信息有误/其他) / "
                "unknown answer")),
        ("answer_without_result", pl.col("case_id").is_not_null()
         & pl.col("result_raw").is_null() & pl.any_horizontal(
            pl.col("note", "verified_by", "verified_on").is_not_null()), "result", pl.col("note"),
         pl.lit("填写了说明、核实人或日期，但未选核实结果 / note without an answer")),
        ("bad_date", pl.col("verified_on").is_not_null() & pl.col("day").is_null(),
         "verified_on", pl.col("verified_on"),
         pl.lit("核实日期无法识别，按收到日期计 / unreadable date: the day received counts")),
        ("duplicate_case", pl.col("_superseded"), "case_id", pl.col("case_id"),
         pl.lit("同一问题编号在后面的行再次作答，以后者为准 / answered again below")),
    ]
    parts = [
        rows.filter(mask.fill_null(False)).select(
            source_file=pl.lit(source), sheet="sheet", row_number="row_number",
            column=pl.lit(label[field]), problem=pl.lit(kind), message=message,
            value_masked=mask_ids_in_text(value.cast(pl.String)))
        for kind, mask, field, value, message in checks
    ]
    return pl.concat([empty_frame(ReturnProblem), *(conform(p, ReturnProblem) for p in parts)])


def _classify(rows: pl.DataFrame, known: set[str] | None) -> pl.DataFrame:
    """Flag unknown cases, usable answers, and earlier answers a later row supersedes."""
    unknown = (pl.col("case_id").is_not_null() & ~pl.col("case_id").is_in(list(known))
               if known is not None else pl.lit(False))
    rows = rows.with_columns(_unknown=unknown).with_columns(
        _usable=pl.col("case_id").is_not_null() & ~pl.col("_unknown")
        & pl.col("result").is_not_null())
    last = (rows.filter("_usable").sort("sheet", "row_number")
            .group_by("case_id").agg(pl.col("sheet").last().alias("_s"),
                                     pl.col("row_number").last().alias("_r")))
    elsewhere = (pl.col("sheet") != pl.col("_s")) | (pl.col("row_number") != pl.col("_r"))
    return (rows.join(last, on="case_id", how="left")
            .with_columns(_superseded=pl.col("_usable") & elsewhere)
            .with_columns(_use=pl.col("_usable") & ~pl.col("_superseded")))


@functools.lru_cache(maxsize=256)
def _has_header(path: str, mtime_ns: int, size: int) -> bool:
    """Whether a sheet of the file has a work list's header (cached per file version)."""
    import fastexcel

    try:
        return any(_header(frame)[0] >= 0 for _, frame in _grids(Path(path), TOP_ROWS))
    except (ValueError, OSError, fastexcel.FastExcelError):
        return False


def has_worklist_header(path: Path) -> bool:
    """Whether a file is a returned work list by its content: a sheet with 问题编号 and 核实结果.

    A clerk may rename the file; its header row stays (see the module docstring).
    """
    try:
        stat = path.stat()
    except OSError:
        return False
    return _has_header(str(path), stat.st_mtime_ns, stat.st_size)


def _file_problem(source: str, kind: str, message: str) -> pl.DataFrame:
    return pl.DataFrame([{"source_file": source, "sheet": None, "row_number": None,
                          "column": None, "problem": kind, "message": message,
                          "value_masked": None}], schema=polars_schema(ReturnProblem))


def _title_month(grids: list[tuple[str, pl.DataFrame]]) -> str | None:
    """The month named in a sheet name or in the top rows' cells (the list's title)."""
    for sheet, frame in grids:
        cells = [sheet, *(v for row in frame.head(3).drop("row_number").iter_rows() for v in row)]
        found = next((m for m in map(month_in_text, cells) if m), None)
        if found:
            return found
    return None


def read_worklist(path: Path, known_cases: pl.DataFrame | None = None,
                  received_at: str | None = None, source_name: str | None = None
                  ) -> WorklistReturn:
    """Read a returned work list.

    Args:
        path: the returned file (best: its archived copy, :func:`pipelines.exchange.archive`).
        known_cases: the ``mismatch_case`` table (``case_id``); answers to other ids are
            reported as ``unknown_case``. None: every id is accepted.
        received_at: when sanji received the file (ISO 8601; default now, county time).
        source_name: the file name to cite (default the file's own name).

    Returns:
        A :class:`WorklistReturn`; it never raises for a bad file, it reports it.
    """
    import fastexcel

    source = source_name or path.name
    received_at = received_at or datetime.now(ZoneInfo(TIMEZONE)).isoformat(timespec="seconds")
    try:
        grids = _grids(path)
    except (ValueError, OSError, fastexcel.FastExcelError) as exc:
        problem = _file_problem(source, "unreadable_file",
                                mask_ids_in_text(f"无法打开文件 / cannot read the file: {exc}"))
        return WorklistReturn(empty_frame(Verification), problem, 0, 0, None)
    month = month_in_file_name(path.name) or _title_month(grids)
    parts = []
    for sheet, frame in grids:
        header_row, columns = _header(frame)
        if header_row >= 0:
            parts.append(_rows(frame, header_row, columns).with_columns(sheet=pl.lit(sheet)))
    if not parts:
        problem = _file_problem(source, "no_header", "没有找到含“问题编号”和“核实结果”的表头 / "
                                "no sheet has the columns 问题编号 and 核实结果")
        return WorklistReturn(empty_frame(Verification), problem, 0, 0, month)
    known = set(known_cases["case_id"].to_list()) if known_cases is not None else None
    rows = _classify(pl.concat(parts), known)
    used = rows.filter("_use")
    verifications = conform(used.with_columns(
        verified_on=pl.col("day"), source_file=pl.lit(source),
        received_at=pl.lit(received_at)), Verification)
    unanswered = rows.filter(pl.col("case_id").is_not_null() & ~pl.col("_unknown")
                             & pl.col("result_raw").is_null()
                             & pl.all_horizontal(pl.col("note", "verified_by", "verified_on")
                                                 .is_null()))
    return WorklistReturn(verifications, _problems(rows, source), used.height,
                          unanswered["case_id"].n_unique(), month)


def verifications_received(archive: Path, known_cases: pl.DataFrame | None,
                           month: str | Month) -> WorklistReturn:
    """Every answer archived up to a month's last day, for that month's ``track_cases``.

    Reads each archived work-list return (any list month) received on or before the month's
    last day, so a rerun of an earlier month never sees later answers; answers already
    recorded on a case are skipped by ``track_cases`` itself.

    Args:
        archive: the archive folder (:func:`pipelines.exchange.archive.archive_return`).
        known_cases: the cases the answers may name (see :func:`read_worklist`).
        month: the month being built.

    Returns:
        One :class:`WorklistReturn` over all those files (``month`` is the month asked for).
    """
    last = Month.parse(month).last_day.isoformat()
    kept = [a for a in archived_returns(archive, "worklist") if a.received_at[:10] <= last]
    read = [read_worklist(a.path, known_cases, a.received_at, a.original_name) for a in kept]
    return WorklistReturn(
        pl.concat([empty_frame(Verification), *(r.verifications for r in read)]),
        pl.concat([empty_frame(ReturnProblem), *(r.problems for r in read)]),
        sum(r.answered for r in read), sum(r.unanswered for r in read), str(Month.parse(month)))
