"""`sanji decide --link` and the `steward_decision` job refuse a link only when a township's
standing 非同一人 covers it: the two records it answered on, or (once a night separated them)
any records of the two people; never two other records of one person the township's answer
has not been applied to yet (docs/steward.md §5). `--override-township` links anyway, recorded.

Each row is decided by record id (as person_source and the work lists show records) through the
CLI, a refused and an allowed row through the job too, on the materialised demo county."""

from __future__ import annotations

import polars as pl
import pytest
from dagster import DagsterInstance

from assets.cli import main
from assets.definitions import defs
from assets.jobs import decision_config
from pipelines.cases.override import township_note
from pipelines.link.decisions import DECISION_TABLE, decision_row, record_decision
from pipelines.warehouse import Warehouse

CASE, CASE_ONE = "C00000000ab1", "C00000000ab2"
JOB_ROWS = ("other records of the two people", "two records of one person")


def _people(links: pl.DataFrame, size: int, count: int) -> list[list[dict]]:
    """``count`` people of at least ``size`` records, their records (record_id, record_key)."""
    big = (links.group_by("person_id").agg(pl.len()).filter(pl.col("len") >= size)
           .sort("person_id").head(count)["person_id"])
    return [links.filter(pl.col("person_id") == p).sort("record_id").to_dicts() for p in big]


def _answered(links: pl.DataFrame) -> tuple[list[tuple[str, str, str]], list[tuple]]:
    """The township's answers (case, key, key) and the decisions: (what, record id a, record
    id b, the case refusing it or None)."""
    (px, py, pz), (p,) = _people(links, 2, 3), _people(links, 3, 1)
    answers = [(CASE, px[0]["record_key"], py[0]["record_key"]),
               # P still holds both records answered on (no night since the answer)
               (CASE_ONE, p[0]["record_key"], p[1]["record_key"])]
    rows = [
        ("other records of the two people", px[1]["record_id"], py[1]["record_id"], CASE),
        ("two records of one person", px[1]["record_id"], px[0]["record_id"], None),
        ("a third person", px[1]["record_id"], pz[0]["record_id"], None),
        ("the very records", py[0]["record_id"], px[0]["record_id"], CASE),
        ("another record of the person not yet split", p[2]["record_id"], p[0]["record_id"],
         None),
        ("the very records within that person", p[1]["record_id"], p[0]["record_id"],
         CASE_ONE),
    ]
    return answers, rows


@pytest.fixture
def answered(county_copy):
    """Two townships' 非同一人 answers, as the work-list import records them."""
    answers, rows = _answered(county_copy.parquet("person_links"))
    wh = Warehouse.from_url(county_copy.warehouse)
    for case, a, b in answers:
        record_decision(wh, decision_row(a, b, "no_link", "李干事(问题清单_城关镇_2026-10.xlsx)",
                                         township_note(case, "不是同一人")))
    return wh, rows


def test_cli_and_job_refuse_only_what_the_township_answered(county_copy, home, answered,
                                                            capsys) -> None:
    wh, rows = answered
    for what, a, b, case in rows:
        refused = case is not None
        before = wh.read(DECISION_TABLE).height
        argv = ["decide", a, b, "--link", "--by", "王芳", "--warehouse", str(county_copy.warehouse),
                "--storage", str(county_copy.storage)]
        assert main(argv) == (2 if refused else 0), what
        err = capsys.readouterr().err
        assert ("answered 非同一人" in err) == refused, (what, err)
        assert not refused or f"case {case} answered 非同一人 by 李干事" in err, (what, err)
        assert wh.read(DECISION_TABLE).height == before + (0 if refused else 1), what
        if what in JOB_ROWS:  # the job shares the CLI's check (assets.jobs): two rows show it
            _job_agrees(county_copy, a, b, refused, case, what, capsys)
        if refused:  # the override links anyway and says whose answer it replaced
            assert main([*argv, "--override-township", "--note", "身份证已核对"]) == 0, what
            note = wh.read(DECISION_TABLE).sort("decided_at")["note"][-1]
            assert note.startswith("覆盖乡镇核实") and case in note, what
            assert note.endswith("; 身份证已核对"), what


def _job_agrees(county_copy, a: str, b: str, refused: bool, case: str | None, what: str,
                capsys) -> None:
    """The steward_decision job refuses (naming the case) or records as the CLI did."""
    config = {**county_copy.run_config(), **decision_config(b, a, "link", "王芳")}
    ran = defs.resolve_job_def("steward_decision").execute_in_process(
        run_config=config, instance=DagsterInstance.ephemeral(), raise_on_error=False)
    assert ran.success != refused, what
    capsys.readouterr()  # the job's own log lines
    failures = " ".join(e.step_failure_data.error.message for e in ran.all_events
                        if e.is_step_failure)
    assert ("answered 非同一人" in failures) == refused, (what, failures)
    assert not refused or case in failures, (what, failures)


def test_a_night_holds_back_decisions_csv_links_by_the_same_rule(county_copy, answered,
                                                                 tmp_path) -> None:
    """The link asset's check of the landing's decisions.csv (``assets.link.steward_decisions``
    with the last published month's people) refuses the rows ``sanji decide`` refuses."""
    from assets.link import published_people, steward_decisions
    from pipelines.snapshot import archive_file, sha256_file

    wh, rows = answered
    csv = tmp_path / "decisions.csv"
    csv.write_text("记录A,记录B,决定,备注\n" + "".join(f"{a},{b},同一人,{what}\n"
                                                    for what, a, b, _ in rows), encoding="utf-8")
    sha = sha256_file(csv)
    archive_file(csv, tmp_path / "archive", sha)
    snapshot = pl.DataFrame({"file_name": ["decisions.csv"], "sha256": [sha]})
    asked = []

    def people() -> pl.DataFrame | None:
        asked.append(True)
        return published_people(wh, county_copy.month)

    got, refused = steward_decisions(wh.read(DECISION_TABLE), snapshot, tmp_path / "archive",
                                     county_copy.parquet("person_records"), people=people)
    applied = set(got.filter(pl.col("decision") == "link")["note"].to_list())
    for what, _, _, case in rows:
        assert (what in applied) == (case is None), what
    assert sorted(line.split("case ")[1][:12] for line in refused) == sorted(
        case for *_, case in rows if case is not None)
    assert asked == [True]
    # the people of a month not published yet are the latest published month's
    assert published_people(wh, "2099-12").equals(published_people(wh, county_copy.month))
    assert published_people(wh, "2000-01") is None
