"""The catalogue of bad landing files: each case's files and its exact outcome.

``accepted`` names every row read into an extract table, by ``file`` or ``file#sheet``;
``quarantined`` every quarantine row as (where, row, column, check); ``set_aside`` every file
or sheet set aside whole as (where, check); ``issues`` every field issue as (where, row,
column, check); ``says`` fragments the reasons and values must hold; ``skipped`` fragments of
the landing listing's skipped entries; ``read`` the rows read per file where it is not just
accepted + quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from inputs import (
    ENROLMENT,
    ID_A,
    ID_B,
    ID_C,
    ID_D,
    OLD_ID,
    Writer,
    both,
    encrypted_workbook,
    enrolment_rows,
    fifo,
    folder,
    legacy_xls,
    lines,
    raw,
    symlink_out,
    text,
    workbook,
)

E = "参保.csv"
ROWS = enrolment_rows()
GRID = [ENROLMENT.split(","), *[r.split(",") for r in ROWS]]
SETTLEMENT = "姓名,身份证号,入院日期,总费用"
MASKED_A = "411421********0014"


@dataclass(frozen=True)
class Case:
    """One bad input and everything that must come of it."""

    id: str
    write: Writer
    accepted: dict[str, list[int]] = field(default_factory=dict)
    quarantined: frozenset = frozenset()
    set_aside: frozenset = frozenset()
    issues: frozenset = frozenset()
    says: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    read: dict[str, int] = field(default_factory=dict)


def q(*rows: tuple) -> frozenset:
    return frozenset(rows)


def _truncated_workbook(landing) -> None:
    workbook("参保.xlsx", {"名单": GRID})(landing)
    path = landing / "参保.xlsx"
    path.write_bytes(path.read_bytes()[:300])


CASES = [
    # --- files that hold nothing, or nothing readable
    Case("empty_file", raw(E, b""), set_aside=q((E, "file_empty")),
         says=("参保.csv: empty: no cell holds text (0 bytes)",)),
    Case("header_only", text(E, lines()), read={E: 0}),
    Case("binary_garbage", raw(E, bytes(range(256)) * 8), set_aside=q((E, "file_unreadable")),
         says=("参保.csv: bytes are neither UTF-8, UTF-16 nor GBK",)),
    Case("corrupt_zip", raw("参保.xlsx", b"PK\x03\x04" + b"\x00" * 200),
         set_aside=q(("参保.xlsx", "file_unreadable")), says=("参保.xlsx: cannot read workbook",)),
    Case("truncated_workbook", _truncated_workbook,
         set_aside=q(("参保.xlsx", "file_unreadable")), says=("参保.xlsx: cannot read workbook",)),
    Case("encrypted_workbook", raw("参保.xlsx", encrypted_workbook()),
         set_aside=q(("参保.xlsx", "file_unreadable")),
         says=("参保.xlsx: the workbook is password-protected - save it without a password",)),
    Case("prose_named_xlsx", text("参保.xlsx", "这不是表格\n只是说明文字\n"),
         set_aside=q(("参保.xlsx", "file_unreadable")),
         says=("参保.xlsx: neither a workbook nor delimited text",)),
    Case("empty_workbook", workbook("参保.xlsx", {"Sheet1": []}),
         set_aside=q(("参保.xlsx", "file_empty")), says=("参保.xlsx: empty",)),
    Case("million_blank_lines", text(E, "\n" * 1_000_000), set_aside=q((E, "file_empty"))),
    # --- formats told by their bytes, encodings and line ends
    Case("csv_renamed_xlsx", text("参保.xlsx", lines(*ROWS)), accepted={"参保.xlsx": [2, 3, 4]}),
    Case("xlsx_renamed_csv", workbook(E, {"名单": GRID}), accepted={f"{E}#名单": [2, 3, 4]}),
    Case("legacy_xls", raw("参保.xls", legacy_xls(GRID)), accepted={"参保.xls#名单": [2, 3, 4]}),
    Case("utf16_with_bom", text(E, lines(*ROWS), "utf-16"), accepted={E: [2, 3, 4]}),
    Case("utf16_tabs_no_bom", text("参保.txt", lines(*ROWS).replace(",", "\t"), "utf-16-le"),
         accepted={"参保.txt": [2, 3, 4]}),
    Case("gbk", text(E, lines(*ROWS), "gbk"), accepted={E: [2, 3, 4]}),
    Case("semicolons", text(E, lines(*ROWS).replace(",", ";")), accepted={E: [2, 3, 4]}),
    Case("bare_cr_line_ends", text(E, lines(*ROWS, end="\r")), accepted={E: [2, 3, 4]}),
    Case("crlf_line_ends", text(E, lines(*ROWS, end="\r\n")), accepted={E: [2, 3, 4]}),
    # --- quotes and fields
    Case("embedded_newlines_and_quotes", text(E, lines(
        f'"张\n三",{ID_A},参保缴费', f'"李""四",{ID_B},"参保缴费"', f"王五,{ID_C},参保缴费")),
        accepted={E: [2, 3, 4]}),
    Case("stray_quote_never_closed", text(E, lines(
        f"张三,{ID_A},参保缴费", f'"王五,{ID_C},参保缴费', f"李四,{ID_B},参保缴费")),
        accepted={E: [2, 3, 4]}),
    Case("stray_quotes_swallow_rows", text(E, lines(
        f"张三,{ID_A},参保缴费", f'"王五,{ID_C},参保缴费', f'李四,{ID_B},参保缴费"',
        f"赵六,{ID_D},参保缴费")),
        accepted={E: [2, 4]}, quarantined=q((E, 3, "name", "stray_quote")),
        says=('a quote (") opens a cell that runs over several lines',), read={E: 3}),
    Case("too_many_fields", text(E, lines(f"张三,{ID_A},参保缴费,{ID_D}", *ROWS[1:])),
         accepted={E: [3, 4]}, quarantined=q((E, 2, None, "too_many_fields")),
         says=("the row has 4 fields, the header 3", "411421********0041")),
    Case("too_few_fields", text(E, lines(ROWS[0], f"李四,{ID_B}", ROWS[2])),
         accepted={E: [2, 3, 4]}, issues=q((E, 3, "enrol_status", "too_few_fields")),
         says=("2 of 3 fields",)),
    Case("trailing_delimiters", text(E, lines(*[r + "," for r in ROWS])), accepted={E: [2, 3, 4]}),
    Case("unheaded_column_on_every_row", text(E, lines(*[r + ",备注" for r in ROWS])),
         accepted={E: [2, 3, 4]}),
    Case("duplicated_header_column", text(E, lines(
        f"张三,{ID_A},参保缴费,{ID_A}", f"李四,{ID_B},参保缴费,{ID_D}",
        head=ENROLMENT + ",身份证号")),
        accepted={E: [2, 3]}, issues=q((E, 3, "id_number", "column_conflict")),
        says=("身份证号: 411421********0041",)),
    Case("zero_width_header_characters", text(E, lines(
        *ROWS, head="\u200b姓名,身份\u200d证号,参保状态\ufeff")), accepted={E: [2, 3, 4]}),
    Case("header_at_row_17", text(E, "\n".join(
        [f"说明第{i}行：本表由系统导出" for i in range(1, 17)] + [lines(*ROWS)])),
        accepted={E: [18, 19, 20]}),
    Case("unknown_headers", text(E, "甲,乙,丙\n1,2,3\n"),
         set_aside=q((E, "sheet_unrecognised")), quarantined=q(
             (E, 1, None, "sheet_unrecognised"), (E, 2, None, "sheet_unrecognised")),
         says=("file '参保.csv': no header row found",)),
    # --- rows that are not people
    Case("blank_and_totals_rows", text(E, lines(ROWS[0], ",,", ROWS[1], "合计,,2")),
         accepted={E: [2, 4]},
         quarantined=q((E, 3, None, "blank_row"), (E, 5, "name", "totals_row"))),
    Case("rows_then_million_blank_lines", text(E, lines(*ROWS) + "\n" * 1_000_000),
         accepted={E: [2, 3, 4]}),
    Case("no_name_no_id", text(E, lines(ROWS[0], ",,参保缴费")), accepted={E: [2]},
         quarantined=q((E, 3, "name", "no_identity"))),
    # --- IDs where they do not belong
    Case("file_name_holds_an_id", text(f"参保{ID_A}.csv", lines(*ROWS)),
         accepted={f"参保{MASKED_A}.csv": [2, 3, 4]}),
    Case("sheet_name_holds_an_id", workbook("名单.xlsx", {f"张三{ID_A}": GRID}),
         accepted={f"名单.xlsx#张三{MASKED_A}": [2, 3, 4]}),
    Case("id_in_the_name_column", text(E, lines(f"张三{ID_D},{ID_A},参保缴费")),
         accepted={E: [2]}),
    Case("old_15_digit_id", text(E, lines(f"张三,{OLD_ID},参保缴费", f"李四,{OLD_ID[:-1]}X,")),
         accepted={E: [2, 3]}, issues=q((E, 3, "id_number", "id_length")),
         says=("411421*****100X",)),
    # --- workbooks' own traps
    Case("hidden_stale_sheet", workbook("参保.xlsx", {"2026年10月": GRID, "旧": GRID[:3]},
                                        hidden=("旧",)),
         accepted={"参保.xlsx#2026年10月": [2, 3, 4]},
         set_aside=q(("参保.xlsx#旧", "sheet_hidden")),
         quarantined=q(*[("参保.xlsx#旧", r, None, "sheet_hidden") for r in (1, 2, 3)]),
         says=("hidden sheet, not read",)),
    Case("formula_cells", workbook("参保.xlsx", {"名单": [GRID[0], ["", ID_A, ""]]}, formulas={
        ("名单", 1, 0): ('="张"&"三"', "张三"), ("名单", 1, 2): ('="参保"&"缴费"', "参保缴费")}),
        accepted={"参保.xlsx#名单": [2]}),
    Case("error_cells", workbook("结算.xlsx", {"结算": [SETTLEMENT.split(","),
                                                     ["张三", ID_A, "", ""]]}, formulas={
        ("结算", 1, 2): ("=NA()", "#N/A"), ("结算", 1, 3): ("=1/0", "#DIV/0!")}),
        accepted={"结算.xlsx#结算": [2]},
        issues=q(("结算.xlsx#结算", 2, "admission_date", "date_unparseable"),
                 ("结算.xlsx#结算", 2, "total_cost", "money_unparseable")),
        says=("#N/A", "#DIV/0!")),
    # --- values that would break later stages
    Case("dates_before_1900_and_far_future", text("结算.csv", lines(
        f"张三,{ID_A},1899-12-31,100", f"李四,{ID_B},2999-01-02,100", f"王五,{ID_C},2026-10-02,100",
        head=SETTLEMENT)), accepted={"结算.csv": [2, 3, 4]},
        issues=q(("结算.csv", 2, "admission_date", "date_out_of_range"),
                 ("结算.csv", 3, "admission_date", "date_out_of_range"))),
    Case("absurd_money", text("结算.csv", lines(
        f"张三,{ID_A},2026-10-02,inf", f"李四,{ID_B},2026-10-02,NaN",
        f"王五,{ID_C},2026-10-02,1e12", f"赵六,{ID_D},2026-10-02,-5", head=SETTLEMENT)),
        accepted={"结算.csv": [2, 3, 4, 5]},
        issues=q(("结算.csv", 2, "total_cost", "money_not_finite"),
                 ("结算.csv", 3, "total_cost", "money_not_finite"),
                 ("结算.csv", 4, "total_cost", "money_implausible"),
                 ("结算.csv", 5, "total_cost", "money_negative"))),
    Case("cell_over_128kb", text(E, lines(ROWS[0], f"李四{'某' * 140_000},{ID_B},参保缴费")),
         accepted={E: [2]}, quarantined=q((E, 3, "name", "cell_too_long")),
         says=("(140002 characters)",)),
    Case("cell_of_more_bytes_than_excels_limit_but_fewer_characters", text(E, lines(
        ROWS[0], f"李四{'某' * 20_000},{ID_B},参保缴费")), accepted={E: [2, 3]}),
    Case("cell_over_128kb_not_read", text(E, lines(
        f"张三,{ID_A},参保缴费,{'x' * 140_000}", head=ENROLMENT + ",备注")), accepted={E: [2]}),
    # --- the same thing twice
    Case("identical_rows_in_one_file", text(E, lines(ROWS[0], ROWS[1], ROWS[0])),
         accepted={E: [2, 3]}, quarantined=q((E, 4, None, "duplicate_row")),
         says=("the same values as 参保.csv, row 2",)),
    Case("identical_rows_across_files", both(
        text("参保1.csv", lines(ROWS[0], ROWS[1])), text("参保2.csv", lines(ROWS[1], ROWS[2]))),
        accepted={"参保1.csv": [2, 3], "参保2.csv": [3]},
        quarantined=q(("参保2.csv", 2, None, "duplicate_row")),
        says=("the same values as 参保1.csv, row 3",)),
    Case("same_file_twice", both(text(E, lines(*ROWS)), text("参保_副本.csv", lines(*ROWS))),
         accepted={E: [2, 3, 4]}, set_aside=q(("参保_副本.csv", "file_duplicate")),
         says=("参保_副本.csv: the same content as 参保.csv",)),
    Case("same_rows_as_csv_and_workbook", both(
        text(E, lines(*ROWS)), workbook("参保.xlsx", {"名单": GRID})),
        accepted={E: [2, 3, 4]},
        quarantined=q(*[("参保.xlsx#名单", r, None, "duplicate_row") for r in (2, 3, 4)]),
        says=("the same values as 参保.csv, row 4",)),
    # --- entries of the landing folder that are not read
    Case("symlink_out_of_the_landing", symlink_out("外部.csv"),
         skipped=("外部.csv: link to a file outside the landing folder",)),
    Case("fifo", fifo("管道.csv"), skipped=("管道.csv: not a regular file",)),
    Case("sub_folder", folder("旧数据"), skipped=("旧数据: folder",)),
    Case("draft_whose_name_holds_an_id", text(f"_参保{ID_A}.csv", lines(*ROWS)),
         skipped=(f"_参保{MASKED_A}.csv: name starts with \"_\" (a draft)",)),
    Case("office_lock_file", both(text("~$参保.xlsx", "x"), text(E, lines(*ROWS))),
         accepted={E: [2, 3, 4]}, skipped=("~$参保.xlsx: Office lock file",)),
]

assert len(CASES) >= 40
assert len({c.id for c in CASES}) == len(CASES)
