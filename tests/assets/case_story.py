"""The steward's three months on a copy of the shared demo county, through ``sanji`` itself.

September: the county's first month (every case new). Before October's run, insurance stops
the enrolment of one dead person (a fix) and civil affairs records the death of an insured
person (a new problem). October's work list of one township comes back filled on 5 November
(非同一人 on a dead person's case, 信息有误 on another, a row naming no case) and is imported.
November is run; the illness office's own list for November is imported, and November is run
again: the difference and every case's status survive.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import polars as pl
import xlsxwriter
from sanji_tests_worklist import fill_worklist as fill

from assets.cli import main
from pipelines.warehouse import Warehouse

MONTHS = ("2026-09", "2026-10", "2026-11")
DEATHS, ENROLMENT = "民政局_死亡火化信息_2026.csv", "医保局_城乡居民参保名单.csv"
RECEIVED = "2026-11-05"


@dataclass
class Story:
    """What the months left behind, for the assertions."""

    county: object
    out: dict[str, str] = field(default_factory=dict)  # command -> what it printed
    fixed: str = ""  # case whose enrolment insurance stopped before October
    died: str = ""  # person whose death was recorded in October
    not_same: str = ""  # case answered 非同一人
    explained: str = ""  # case answered 信息有误
    cases: dict[str, pl.DataFrame] = field(default_factory=dict)  # month -> mismatch_case
    diff_before: pl.DataFrame | None = None  # November's exchange_diff after the import

    @property
    def warehouse(self) -> Warehouse:
        """The county's warehouse."""
        return Warehouse.from_url(self.county.warehouse)

    def table(self, name: str, month: str) -> pl.DataFrame:
        """A published table's month."""
        return self.warehouse.read(name, month=month)


def sanji(story: Story, name: str, *argv: str) -> str:
    """Run ``sanji`` in process with the county's folders; fail with its output when it fails."""
    c = story.county
    folders = ["--landing", str(c.landing), "--warehouse", str(c.warehouse),
               "--storage", str(c.storage), "--archive", str(c.archive)]
    if argv[0] == "run":
        folders += ["--outbox", str(c.outbox), "--inbox", str(c.inbox)]
    if argv[:2] == ("worklist", "import"):
        folders += ["--inbox", str(c.inbox)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*argv, *folders])
    assert code == 0, f"sanji {' '.join(argv)} exited {code}:\n{err.getvalue()[-2000:]}"
    story.out[name] = out.getvalue()
    return out.getvalue()


def _edit_csv(path: Path, change) -> None:
    """Rewrite a UTF-8 CSV (BOM kept) line by line; ``change(lines)`` returns the new lines."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = change(text.splitlines())
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))


def october_changes(story: Story) -> None:
    """Stop the enrolment of one dead_but_active person; record the death of an insured one."""
    cases, person = story.table("mismatch_case", MONTHS[0]), story.table("person", MONTHS[0])
    dead = cases.filter((pl.col("rule") == "dead_but_active")
                        & (pl.col("evidence_keys").str.count_matches(",") == 1)).sort("case_id")
    fixed = dead.row(0, named=True)
    story.fixed = fixed["case_id"]
    fixed_id = person.filter(pl.col("person_id") == fixed["person_id"])["id_number"].item()
    busy = set(cases["person_id"].drop_nulls())
    landing = story.county.landing

    def stop(lines: list[str]) -> list[str]:
        hits = [i for i, line in enumerate(lines) if fixed_id in line and "参保缴费" in line]
        assert hits, "the dead person's enrolment row is not in the insurance file"
        for i in hits:
            lines[i] = lines[i].replace("参保缴费", "终止参保")
        return lines

    _edit_csv(landing / ENROLMENT, stop)
    header, *rows = (landing / ENROLMENT).read_bytes().decode("utf-8-sig").splitlines()
    at = {h: k for k, h in enumerate(header.split(","))}
    ids = dict(person.select("id_number", "person_id").iter_rows())
    alive = next(r.split(",") for r in rows if "参保缴费" in r
                 and ids.get(r.split(",")[at["证件号"]]) not in busy | {None})
    story.died = ids[alive[at["证件号"]]]
    who = [alive[at[h]] for h in ("参保人姓名", "证件号", "性别", "出生年月日", "乡镇")]
    death = [*who, "", "2026-10-12", "2026-10-14"]
    _edit_csv(landing / DEATHS, lambda lines: [*lines, ",".join(death)])


def fill_worklist(story: Story) -> Path:
    """October's list of a township with a dead person's case and another case, answered."""
    cases = story.table("mismatch_case", MONTHS[1])
    live = cases.filter(pl.col("status").is_in(["new", "open"]))
    pairs = live.filter((pl.col("rule") == "dead_but_active")
                        & pl.col("evidence_keys").str.contains("death:")
                        & (pl.col("person_id") != story.died)).sort("case_id")
    for row in pairs.iter_rows(named=True):
        others = live.filter((pl.col("township_code") == row["township_code"])
                             & (pl.col("rule") != "dead_but_active")).sort("case_id")
        if others.height:
            story.not_same, story.explained = row["case_id"], others["case_id"][0]
            break
    assert story.explained, "no township with a dead person's case and another case"
    listed = next(p for p in story.county.outbox.glob(f"问题清单_*_{MONTHS[1]}.xlsx")
                  if story.not_same in _case_ids(p))
    answers = {story.not_same: ("非同一人", "死者是同名的另一人", "李干事", "2026-11-04"),
               story.explained: ("信息有误", "已在外地参保", "李干事", "2026-11-04")}
    target = story.county.root / "returned" / listed.name
    target.parent.mkdir()
    fill(listed, answers, target,  # and a case nobody made
                  extra=[{"case_id": "C00000000000", "result": "属实已整改"}])
    return target


def _case_ids(path: Path) -> set[str]:
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    return {row[0] for row in sheet.iter_rows(min_row=4, values_only=True) if row and row[0]}


def office_file(story: Story, month: str) -> tuple[Path, str]:
    """The office's own list from its system: full IDs, its headers; one of our cases missing,
    a stranger added. Returns the file and the person left out."""
    ours = story.county.parquet("illness_cases", month).sort("person_id", "illness")
    ids = story.table("person", month).select("person_id", "id_number")
    rows = ours.join(ids, on="person_id", how="left")
    dropped = rows["person_id"][0]
    path = story.county.root / "returned" / "县大病办患者名单.xlsx"
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("患者名单")
        sheet.write_row(0, 0, ["序号", "患者姓名", "公民身份号码", "疾病名称", "救治情况"])
        kept = rows.filter(pl.col("person_id") != dropped)
        for i, r in enumerate(kept.iter_rows(named=True), start=1):
            sheet.write_row(i, 0, [str(i), r["name"], r["id_number"], r["illness"], r["status"]])
        sheet.write_row(kept.height + 1, 0, ["99", "外县人", "", "胃癌", "救治中"])
    return path, dropped


def tell(story: Story) -> Story:
    """The three months (see the module docstring)."""
    sanji(story, "run 1", "run", "--month", MONTHS[0])
    story.cases[MONTHS[0]] = story.table("mismatch_case", MONTHS[0])
    october_changes(story)
    sanji(story, "run 2", "run", "--month", MONTHS[1])
    story.cases[MONTHS[1]] = story.table("mismatch_case", MONTHS[1])
    sanji(story, "worklist", "worklist", "--month", MONTHS[1], "--out", str(story.county.outbox))
    returned = fill_worklist(story)
    sanji(story, "worklist import", "worklist", "import", str(returned), "--received", RECEIVED)
    sanji(story, "run 3", "run", "--month", MONTHS[2])
    story.cases[MONTHS[2]] = story.table("mismatch_case", MONTHS[2])
    office, story.out["office_dropped"] = office_file(story, MONTHS[2])
    sanji(story, "exchange import", "exchange", "import", str(office), "--month", MONTHS[2])
    story.diff_before = story.table("exchange_diff", MONTHS[2])
    sanji(story, "run 3 again", "run", "--month", MONTHS[2])
    return story
