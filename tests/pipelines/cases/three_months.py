"""The demo county over three months, as a steward lives them (engine only, no Dagster).

October: the county's first run. November: the health bureau signs a missing family-doctor
contract (a fix), insurance stops a registered person's enrolment (a new problem), and the
township of a ``dead_but_active`` case gets its work list. December: the township's return comes
back (非同一人 on the dead person's case, 信息有误 on another, an extra row), its 非同一人 becomes a
``no_link`` decision the linker applies, and the illness office's own list for November arrives;
the inbox is emptied after archiving, so the difference is rebuilt from the archive.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import polars as pl
import xlsxwriter
from sanji_tests_worklist import fill_worklist as fill

from pipelines.cases import case_records, not_same_person_decisions, track_cases
from pipelines.cases.returned import WorklistReturn, read_worklist, verifications_received
from pipelines.cases.worklist import household_heads, write_worklists
from pipelines.demo import generate_county
from pipelines.domain.identity import mask_id
from pipelines.exchange import archive_return, illness_cases
from pipelines.golden import golden_person, person_source
from pipelines.ingest import ingest_landing, person_records
from pipelines.link import LinkResult, link_records
from pipelines.rules import find_mismatches
from schemas.canonical import COMMON_COLUMNS, table_schema

SEED, PEOPLE = 5, 500
MONTHS = ("2026-10", "2026-11", "2026-12")
OFFICE_HEADERS = ["序号", "患者姓名", "公民身份号码", "出生日期", "疾病名称", "救治情况"]
RECEIVED = datetime.fromisoformat("2026-12-03T10:00:00+08:00")


@dataclass
class Month:
    """One month's run: linkage, people, sources, mismatches and cases."""

    tables: dict[str, pl.DataFrame]
    linked: LinkResult
    person: pl.DataFrame
    source: pl.DataFrame
    cases: pl.DataFrame
    cases_few: pl.DataFrame | None = None  # from the records the cases name (as the asset)


@dataclass
class Story:
    """Everything the three months produced, for the assertions."""

    out: Path
    regions: pl.DataFrame
    months: list[Month] = field(default_factory=list)
    fixed: str = ""  # person whose contract was signed in November
    stopped: str = ""  # person whose enrolment was stopped in November
    not_same: str = ""  # the dead_but_active case answered 非同一人
    explained: str = ""  # the case answered 信息有误
    returned: WorklistReturn | None = None
    decisions: pl.DataFrame | None = None
    office: dict = field(default_factory=dict)


def run_month(tables: dict[str, pl.DataFrame], month: str, before: Month | None,
              decisions: pl.DataFrame | None = None,
              verifications: pl.DataFrame | None = None) -> Month:
    """One month through the engine: link (decisions, previous ids), rules, cases."""
    records = person_records(tables)
    linked = link_records(records, decisions=decisions,
                          previous_ids=before.linked.id_map if before else None)
    person = golden_person(tables, linked.links)
    source = person_source(records, linked.links)
    mismatch = find_mismatches(tables, linked.links, person, month, linked.uncertain)
    previous = before.cases if before else None
    cases = track_cases(previous, mismatch, case_records(linked.links, source), month,
                        verifications)
    few = track_cases(previous, mismatch,
                      case_records(linked.links, source, mismatch, previous), month,
                      verifications)
    return Month(tables, linked, person, source, cases, few)


def _owned(table: pl.DataFrame, month: Month) -> pl.DataFrame:
    return table.join(month.linked.links.select("record_id", "person_id"), on="record_id")


def november_changes(october: Month) -> tuple[dict[str, pl.DataFrame], str, str]:
    """A contract signed for one no_doctor_contract person; one registered person's enrolment
    stopped. Returns the new tables, the fixed person and the stopped one."""
    tables, cases = dict(october.tables), october.cases
    fixed = cases.filter(pl.col("rule") == "no_doctor_contract").sort("case_id")["person_id"][0]
    roster = _owned(tables["poverty_roster"], october)
    name = "卫健局_补签_2026年11月.xlsx"
    mine = roster.filter(pl.col("person_id") == fixed).head(1)
    signed = mine.select(COMMON_COLUMNS).with_columns(
        record_id=pl.lit(f"{name}|家庭医生签约|2"), source_file=pl.lit(name),
        sheet=pl.lit("家庭医生签约"), row_number=pl.lit(2, pl.Int64),
        department=pl.lit("health"), extract=pl.lit("doctor_contract"),
        contract_date=pl.lit(date(2026, 11, 10)))
    schema = table_schema("doctor_contract")
    signed = signed.select([pl.col(c).cast(t) if c in signed.columns else pl.lit(None, t).alias(c)
                            for c, t in schema.items()])
    tables["doctor_contract"] = pl.concat([tables["doctor_contract"], signed])
    busy = set(cases["person_id"].drop_nulls())
    enrolled = _owned(tables["enrolment"], october).filter(
        pl.col("person_id").is_in(list(set(roster["person_id"]) - busy))
        & (pl.col("enrol_status") == "参保缴费")).sort("record_id")
    stopped_record, stopped = enrolled.row(0, named=True)["record_id"], enrolled["person_id"][0]
    tables["enrolment"] = tables["enrolment"].with_columns(
        enrol_status=pl.when(pl.col("record_id") == stopped_record).then(pl.lit("终止"))
        .otherwise("enrol_status"))
    return tables, fixed, stopped


def pick_answers(cases: pl.DataFrame) -> tuple[str, str, str]:
    """(township, dead case to answer 非同一人, another open case there to answer 信息有误)."""
    live = cases.filter(pl.col("status").is_in(["new", "open"]))
    dead = live.filter((pl.col("rule") == "dead_but_active")
                       & (pl.col("evidence_keys").str.count_matches(",") == 1)).sort("case_id")
    for row in dead.iter_rows(named=True):
        others = live.filter((pl.col("township_code") == row["township_code"])
                             & (pl.col("rule") != "dead_but_active")).sort("case_id")
        if others.height:
            return row["township_code"], row["case_id"], others["case_id"][0]
    msg = "the demo county has no township with a dead_but_active case and another case"
    raise AssertionError(msg)


def fill_worklist(path: Path, answers: dict[str, tuple], target: Path) -> None:
    """The clerk's return: answers typed into the list, one person added at the bottom."""
    fill(path, answers, target, extra=[{"name": "王五", "note": "本村新增困难户, 请县里核实"}])


def office_file(ours: pl.DataFrame, person: pl.DataFrame, path: Path) -> tuple[str, str]:
    """The office's own list from its system: its headers and words, full IDs on even rows,
    masked with a birth date on odd ones; one of our cases missing, a stranger added, one
    status different. Returns (the dropped person, the person whose status differs)."""
    rows = ours.sort("person_id", "illness").join(
        person.select("person_id", "id_number", "birth_date"), on="person_id", how="left")
    dropped = rows["person_id"][0]
    # the office writes 治疗中 (救治中) for someone whose status is another one in our list
    differs = rows.filter((pl.col("person_id") != dropped)
                          & (pl.col("status") != "救治中"))["person_id"][0]
    words = {"已救治": "治愈", "救治中": "治疗中", "待救治": "待治疗"}
    with xlsxwriter.Workbook(str(path)) as book:
        sheet = book.add_worksheet("患者名单")
        sheet.write_row(0, 0, ["县大病专项救治患者名单（系统导出）"])
        sheet.write_row(1, 0, OFFICE_HEADERS)
        for i, r in enumerate(rows.filter(pl.col("person_id") != dropped).iter_rows(named=True)):
            status = "治疗中" if r["person_id"] == differs else words.get(r["status"], r["status"])
            shown = r["id_number"] if i % 2 == 0 else mask_id(r["id_number"])
            born = "" if i % 2 == 0 else str(r["birth_date"])
            sheet.write_row(i + 2, 0, [str(i + 1), r["name"], shown, born, r["illness"], status])
        sheet.write_row(rows.height + 1, 0, ["99", "外县人", "", "1970-01-01", "胃癌", "治疗中"])
    return dropped, differs


def tell(out: Path) -> Story:
    """Run the three months (see the module docstring)."""
    generate_county(PEOPLE, seed=SEED, out=out)
    ingested = ingest_landing(out / "landing")
    story = Story(out, ingested.regions)
    october = run_month(dict(ingested.tables), MONTHS[0], None)
    tables, story.fixed, story.stopped = november_changes(october)
    november = run_month(tables, MONTHS[1], october)
    township, story.not_same, story.explained = pick_answers(november.cases)
    lists = write_worklists(november.cases, november.person, november.source, story.regions,
                            MONTHS[1], out / "outbox",
                            household_heads(tables, november.linked.links))
    listed = next(p for p in lists if p.name == _name_of(story.regions, township))
    inbox = out / "inbox"
    inbox.mkdir()
    answers = {story.not_same: ("非同一人", "死者是同名的另一人", "李干事", "2026-12-01"),
               story.explained: ("信息有误", "已在外地参保", "李干事", "2026-12-01")}
    fill_worklist(listed, answers, inbox / listed.name)
    kept = archive_return(inbox / listed.name, out / "archive", "worklist", MONTHS[1], RECEIVED)
    story.returned = read_worklist(kept.path, november.cases, kept.received_at, kept.original_name)
    story.decisions, _ = not_same_person_decisions(story.returned.verifications, november.cases)
    ours = illness_cases(tables["illness_ledger"], tables["settlement"], november.linked.links,
                         november.person, story.regions, MONTHS[1])
    story.office["dropped"], story.office["differs"] = office_file(
        ours, november.person, inbox / "大病办回传.xlsx")
    archive_return(inbox / "大病办回传.xlsx", out / "archive", "office", MONTHS[1], RECEIVED)
    shutil.rmtree(inbox)  # the CLI's temporary inbox is gone; the archive is not
    answers = verifications_received(out / "archive", november.cases, MONTHS[2])
    december = run_month(tables, MONTHS[2], november, story.decisions, answers.verifications)
    story.months = [october, november, december]
    return story


def _name_of(regions: pl.DataFrame, township: str) -> str:
    from pipelines.cases.worklist import worklist_name

    name = regions.filter(pl.col("code") == township)["name"].item()
    return worklist_name(name, MONTHS[1])
