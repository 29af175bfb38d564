"""Township work lists (问题清单): one printable workbook per township and month.

A township clerk works from the list on paper or in Excel and returns it filled in
(:mod:`pipelines.cases.returned` reads it back). The list holds the township's open cases
(``new`` and ``open``), by village: 问题编号 (the case id, which the return is matched on),
village, household head, name, identity number (masked unless ``CaseSettings.full_ids``), the
rule in Chinese, its detail (village codes as names, extracts by their Chinese titles), the
evidence (department, file, row, from ``person_source``), the month first seen and the state
(新发现 / 未整改 / 逾期), then the clerk's columns 核实结果 (a drop-down of the five answers),
说明, 核实人, 核实日期. Print: see :mod:`pipelines.exchange.printing`.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from pipelines.cases.keys import split_ids
from pipelines.cases.settings import CaseSettings
from pipelines.domain.cases import OPEN_STATUSES, STATUS_ZH, VERIFICATION_RESULTS
from pipelines.domain.extracts import EXTRACTS
from pipelines.domain.identity import mask_id
from pipelines.domain.months import Month
from pipelines.domain.rules import RULE_TEXTS
from pipelines.exchange.printing import Column, formats, setup_page, sheets_sized

UNPLACED = "未定位"
DEPARTMENT_SHORT = {"poverty": "扶贫", "health": "卫健", "civil": "民政", "insurance": "医保"}
EVIDENCE_LINES = 6  # evidence records listed per case; more are counted
HEADER_ROW = 2  # title, instructions, then the header
BLANK_ROWS = 10  # answer rows below the cases (drop-down included) for what a clerk adds
COLUMNS: list[Column] = [
    Column("case_id", "问题编号"),
    Column("village", "村(社区)", max_width=14),
    Column("head_name", "户主", max_width=12),
    Column("name", "姓名", max_width=14),
    Column("id_shown", "身份证号", max_width=20),
    Column("rule_zh", "问题", wrap=12),
    Column("detail_zh", "详情", wrap=24),
    Column("evidence_text", "证据(部门 文件 行)", wrap=26),
    Column("first_seen", "首次发现"),
    Column("state", "状态"),
    Column("result", "核实结果", min_width=12),
    Column("note", "说明", min_width=14),
    Column("verified_by", "核实人", min_width=8),
    Column("verified_on", "核实日期", min_width=11),
]
ANSWER_FIELDS = ("result", "note", "verified_by", "verified_on")
# What the lists read of each input (``household_heads``, ``worklist_rows``): the step loads
# only these columns.
WORKLIST_READS: dict[str, tuple[str, ...]] = {
    "person": ("person_id", "id_number"),
    "person_source": ("record_id", "source_file", "sheet", "row_number", "department"),
    "person_links": ("record_id", "person_id"),
    "poverty_roster": ("record_id", "relation", "household_id", "name", "head_name"),
    "assistance": ("record_id", "head_name"),
}
INSTRUCTIONS = ("核实结果请从下拉列表选择: " + " / ".join(VERIFICATION_RESULTS)
                + "。非同一人: 记录分属两人; 信息有误/其他: 不是数据错误, 请在说明中写明原因。"
                  "核实日期写成 2026-11-05。请勿修改问题编号。")


def household_heads(tables: dict[str, pl.DataFrame], links: pl.DataFrame,
                    people: pl.DataFrame | None = None) -> pl.DataFrame:
    """person_id -> head_name: the roster's 户主姓名, else the household's 户主, else civil's.

    Args:
        tables: extract name -> table.
        links: record_id, person_id.
        people: only these persons' heads (a ``person_id`` column; the work lists name a few
            hundred), or None: every person's. Each person's head is the same either way.

    Returns:
        person_id, head_name (one row per person who has one).
    """
    ids = links.select("record_id", "person_id")
    roster, civil = tables["poverty_roster"], tables["assistance"]
    if people is not None:
        roster, civil, ids = _of_people(roster, civil, ids, people)
    roster = roster.join(ids, on="record_id", maintain_order="left")
    heads = (roster.filter(pl.col("relation") == "户主")
             .group_by("household_id").agg(pl.col("name").drop_nulls().first().alias("_head")))
    from_roster = (roster.join(heads, on="household_id", how="left", maintain_order="left")
                   .select("person_id", head_name=pl.coalesce("head_name", "_head")))
    from_civil = civil.join(ids, on="record_id", maintain_order="left").select("person_id",
                                                                               "head_name")
    heads = (pl.concat([from_roster, from_civil]).drop_nulls("head_name")
             .unique("person_id", keep="first", maintain_order=True))
    return heads if people is None else heads.filter(
        pl.col("person_id").is_in(people["person_id"].implode()))


def _of_people(roster: pl.DataFrame, civil: pl.DataFrame, ids: pl.DataFrame,
               people: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The roster rows of ``people``'s households (a head may be another person), ``people``'s
    assistance rows and the links of those rows, each in its own order."""
    own = ids.filter(pl.col("person_id").is_in(people["person_id"].implode()))["record_id"]
    households = roster.filter(pl.col("record_id").is_in(own.implode()))["household_id"]
    roster = roster.filter(pl.col("record_id").is_in(own.implode())
                           | pl.col("household_id").is_in(households.drop_nulls().implode()))
    civil = civil.filter(pl.col("record_id").is_in(own.implode()))
    rows = pl.concat([roster["record_id"], civil["record_id"]])
    return roster, civil, ids.filter(pl.col("record_id").is_in(rows.implode()))


def short_place(name: pl.Expr) -> pl.Expr:
    """A village as people write it: 虹光村民委员会 -> 虹光村, 东关社区居民委员会 -> 东关社区."""
    return (name.str.replace(r"村民委员会$", "村").str.replace(r"村委会$", "村")
            .str.replace(r"(社区)?居民委员会$", "社区").str.replace(r"居委会$", "社区"))


def evidence_text(cases: pl.DataFrame, person_source: pl.DataFrame) -> pl.DataFrame:
    """case_id -> the case's evidence as lines "医保 参保.csv 第12行" (sheet in brackets)."""
    dept = pl.col("department").replace_strict(DEPARTMENT_SHORT, default=pl.col("department"))
    sheet = pl.when(pl.col("sheet").fill_null("") != "").then(
        pl.lit("[") + pl.col("sheet") + pl.lit("]")).otherwise(pl.lit(""))
    line = pl.concat_str(dept, pl.lit(" "), pl.col("source_file"), sheet, pl.lit(" 第"),
                         pl.col("row_number").cast(pl.String), pl.lit("行"))
    lines = (
        cases.select("case_id", record_id=split_ids("evidence")).explode("record_id")
        .join(person_source, on="record_id", how="inner")
        .group_by("case_id").agg(line.sort().alias("_lines"))
    )
    total = pl.col("_lines").list.len().cast(pl.Int64)
    return lines.select(
        "case_id",
        evidence_text=pl.col("_lines").list.head(EVIDENCE_LINES).list.join("\n")
        + pl.when(total > EVIDENCE_LINES).then(pl.lit("\n等共") + total.cast(pl.String)
                                               + pl.lit("条")).otherwise(pl.lit("")),
    )


def chinese_detail(rule: pl.Expr, detail: pl.Expr, regions: pl.DataFrame) -> pl.Expr:
    """A detail as a clerk reads it: Chinese only, village codes as names, registers by title.

    The rules write ``中文 / English``; the English half is dropped, as are English words
    inside the Chinese half (``死亡日期 death date`` reads ``死亡日期``), an extract id before
    ``=`` becomes its title and a 12-digit code its place name. An uncertain pair asks the
    clerk whether the two records are one person.
    """
    names = dict(regions.select("code", "name").drop_nulls().iter_rows())
    words = {**{f"{e}=": f"{spec.title}=" for e, spec in EXTRACTS.items()}, **names}
    text = (detail.fill_null("").str.split(" / ").list.first()
            .str.replace_many(list(words), list(words.values()))
            .str.replace_all(r"[a-z][a-z_]*(?:[ ][a-z][a-z_]*)*", "")
            .str.replace_all(r" *([;:；：,，]) *", "$1 ")
            .str.replace_all(r"\s+", " ").str.strip_chars(" ;:,"))
    weight = detail.str.extract(r"([0-9]+(?:\.[0-9]+)?)", 1)
    pair = (pl.lit("两条记录疑似同一人（匹配权重 ") + weight.fill_null("?")
            + pl.lit("），请核实是否为同一人"))
    return pl.when(rule == "uncertain_match").then(pair).otherwise(text)


def worklist_rows(cases: pl.DataFrame, person: pl.DataFrame, person_source: pl.DataFrame,
                  regions: pl.DataFrame, heads: pl.DataFrame | None = None,
                  settings: CaseSettings | None = None) -> pl.DataFrame:
    """The open cases as work-list rows (the ``COLUMNS`` fields, township code and name).

    Args:
        cases: the month's ``mismatch_case``.
        person: the golden ``person`` table.
        person_source: record_id -> source_file, sheet, row_number, department.
        regions: the region table (code, name).
        heads: :func:`household_heads` (person_id, head_name), or None.
        settings: ``full_ids`` shows full identity numbers.

    Returns:
        One row per open case, sorted by township, village, rule, name.
    """
    settings = settings or CaseSettings()
    names = regions.select("code", "name")
    people = person.select("person_id", "id_number")
    shown = pl.col("id_number") if settings.full_ids else mask_id(pl.col("id_number"))
    heads = heads if heads is not None else pl.DataFrame(
        schema={"person_id": pl.String, "head_name": pl.String})
    listed = cases.filter(pl.col("status").is_in(OPEN_STATUSES))
    return (
        listed.join(people, on="person_id", how="left")
        .join(heads, on="person_id", how="left")
        .join(evidence_text(listed, person_source), on="case_id", how="left")
        .join(names.rename({"code": "township_code", "name": "township"}), on="township_code",
              how="left")
        .join(names.rename({"code": "village_code", "name": "village"}), on="village_code",
              how="left")
        .with_columns(
            village=short_place(pl.col("village")),
            township=pl.col("township").fill_null(UNPLACED),
            id_shown=shown,
            rule_zh=pl.col("rule").replace_strict({k: v[0] for k, v in RULE_TEXTS.items()}),
            detail_zh=chinese_detail(pl.col("rule"), pl.col("detail"), regions),
            state=pl.when(pl.col("overdue")).then(pl.lit("逾期"))
            .otherwise(pl.col("status").replace_strict(STATUS_ZH)),
            **{f: pl.lit(None, pl.String) for f in ANSWER_FIELDS},
        )
        .sort("township_code", "village_code", "rule", "name", "case_id", nulls_last=True)
    )


def worklist_name(township: str, month: str | Month) -> str:
    """The work list's file name: ``问题清单_<township>_<YYYY-MM>.xlsx``."""
    safe = re.sub(r'[\\/:*?"<>|\s]+', "_", township).strip("_") or UNPLACED
    return f"问题清单_{safe}_{Month.parse(month)}.xlsx"


def _sheet(book, rows: pl.DataFrame, township: str, month: Month) -> None:
    """Write one township's list to one sheet, set up to print (``rows`` sized by
    ``sheets_sized``: its columns' widths and each row's height)."""
    fmt = formats(book)
    sheet = book.add_worksheet(re.sub(r"[\[\]:*?/\\]", "_", township)[:31])
    title = f"{township} 问题清单 {month.year}年{month.month}月"
    overdue = rows.filter(pl.col("state") == "逾期").height
    sheet.write(0, 0, f"{title}（共 {rows.height} 条，其中逾期 {overdue} 条）", fmt["title"])
    sheet.write(1, 0, INSTRUCTIONS, fmt["note"])
    column_widths = list(rows.select(f"_width_{i}" for i in range(len(COLUMNS))).row(0))
    for c, (col, width) in enumerate(zip(COLUMNS, column_widths, strict=True)):
        sheet.set_column(c, c, width)
        sheet.write(HEADER_ROW, c, col.header, fmt["header"])
    heights = rows["_height"].to_list()
    wrapped = {col.field for col in COLUMNS if col.wrap}
    for r, row in enumerate(rows.select([c.field for c in COLUMNS]).iter_rows(), HEADER_ROW + 1):
        sheet.set_row(r, heights[r - HEADER_ROW - 1])
        for c, (col, value) in enumerate(zip(COLUMNS, row, strict=True)):
            cell = fmt["wrap"] if col.field in wrapped else fmt["cell"]
            if col.field == "verified_on":
                cell = fmt["date"]
            if value is None:
                sheet.write_blank(r, c, None, cell)
            else:
                sheet.write(r, c, value, cell)
    _answer_rules(sheet, rows.height)
    setup_page(sheet, title, HEADER_ROW)


def _answer_rules(sheet, n: int) -> None:
    """The 核实结果 drop-down and the 核实日期 date check on the case and spare rows."""
    first, last = HEADER_ROW + 1, HEADER_ROW + n + BLANK_ROWS
    result = [c.field for c in COLUMNS].index("result")
    on = [c.field for c in COLUMNS].index("verified_on")
    sheet.data_validation(first, result, last, result, {
        "validate": "list", "source": list(VERIFICATION_RESULTS),
        "input_title": "核实结果", "input_message": "请从列表中选择",
        "error_title": "核实结果", "error_message": "请选择: " + " / ".join(VERIFICATION_RESULTS),
    })
    sheet.data_validation(first, on, last, on, {
        "validate": "date", "criteria": ">=", "value": Month(2000, 1).first_day,
        "error_type": "warning", "error_message": "请填写日期, 如 2026-11-05",
    })


def write_worklists(cases: pl.DataFrame, person: pl.DataFrame, person_source: pl.DataFrame,
                    regions: pl.DataFrame, month: str | Month, out: Path,
                    heads: pl.DataFrame | None = None,
                    settings: CaseSettings | None = None) -> list[Path]:
    """Write one work list per township with open cases into ``out``.

    Args:
        cases: the month's ``mismatch_case``.
        person: the golden ``person`` table.
        person_source: the published ``person_source``.
        regions: the region table.
        month: the month of the cases.
        out: the folder (the outbox); created when missing.
        heads: :func:`household_heads`, or None.
        settings: ``full_ids`` (default masked).

    Returns:
        The paths written, by township code (cases without a township in ``未定位``).
    """
    import xlsxwriter

    month = Month.parse(month)
    by = ["township_code", "township"]  # one sheet (and book) per township
    rows = sheets_sized(worklist_rows(cases, person, person_source, regions, heads, settings),
                        COLUMNS, by)
    out.mkdir(parents=True, exist_ok=True)
    paths, used = [], set()
    for (code, township), part in rows.group_by(by, maintain_order=True):
        name = worklist_name(township if township not in used else f"{township}_{code}", month)
        used.add(township)
        path = out / name
        with xlsxwriter.Workbook(str(path), {"in_memory": True}) as book:
            book.set_properties({"title": f"{township} 问题清单 {month}", "subject": code or "",
                                 "author": "sanji"})
            _sheet(book, part, township, month)
        paths.append(path)
    return paths
