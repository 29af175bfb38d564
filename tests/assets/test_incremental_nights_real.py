"""Incremental nights through the ``nightly`` job on counties sanji never generated: the
foreign county (``benchmarks/foreign_county``) and a county of a few clerk-written files.

After each change (new stays appended to the settlement file, a record renamed, a record
removed, a steward's decision recorded) the night links incrementally on the state the last
published night kept, and its ``person_links`` and ``match_pairs`` (pairs, statuses, people and
person ids) are those of a full night over the same records with the same kept model
(``link_records`` with that model and no kept pairs, run here on the night's own frames).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import polars as pl
import sanji_tests_nights as nights
import sanji_tests_tiny as tiny
from dagster import DagsterInstance

from assets.definitions import defs
from assets.ingest import EXTRACT_ASSETS
from assets.io_managers import RUNS_FOLDER
from assets.link import LINK_STATE
from assets.publication import publication_config
from assets.resources import resource_config
from assets.settings import partition
from pipelines.ingest import ingest_landing, person_records
from pipelines.link import LinkSettings, link_records, record_evidence
from pipelines.link.decisions import (
    DECISION_TABLE,
    canonical,
    decision_row,
    latest,
    record_decision,
)
from pipelines.link.incremental import LinkState
from pipelines.warehouse import Warehouse
from pipelines.warehouse.staging import read_frame

CODE, MONTH = "411421", "2026-10"


def _night(root: Path, instance: DagsterInstance):
    config = resource_config(landing=root / "landing", warehouse=root / "w.duckdb",
                             storage=root / "storage", archive=root / "archive",
                             outbox=root / "outbox", inbox=root / "inbox", today="2026-10-20",
                             settle_seconds=0)
    result = defs.resolve_job_def("nightly").execute_in_process(
        run_config={**config, **publication_config(allow_drop=True)}, instance=instance,
        partition_key=partition(CODE, MONTH), raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_step_failure]
    return result


def _frame(root: Path, run_id: str, asset: str) -> pl.DataFrame:
    return read_frame(root / "storage" / RUNS_FOLDER / run_id / asset / CODE / f"{MONTH}.parquet")


def _link_meta(result) -> dict:
    event = next(e for e in result.get_asset_materialization_events()
                 if e.asset_key.path[-1] == "person_links")
    return {k: v.value for k, v in event.step_materialization_data.materialization.metadata
            .items()}


def _kept_model_full(root: Path, kept_by: str, run_id: str):
    """A full night over the run's own records with the model the run kept from ``kept_by``."""
    state = LinkState.read(root / "storage" / RUNS_FOLDER / kept_by / LINK_STATE / CODE / MONTH)
    bare = LinkState(state.model, state.records.head(0), state.pairs.head(0))
    wh = Warehouse.from_url(root / "w.duckdb")
    decisions = latest(canonical(wh.read(DECISION_TABLE), DECISION_TABLE)) \
        if wh.has_table(DECISION_TABLE) else None
    tables = {name: _frame(root, run_id, name) for name in EXTRACT_ASSETS}
    return link_records(_frame(root, run_id, "person_records"),
                        settings=LinkSettings(refit_new_share=1.0), state=bare,
                        decisions=decisions, evidence=record_evidence(tables))


def _same_as_full(root: Path, previous, result) -> None:
    """The night was incremental on ``previous``'s state and gave the full night's people."""
    meta = _link_meta(result)
    assert meta["link_mode"] == "incremental", meta["link_mode_reason"]
    assert previous.run_id in meta["link_state_from"]
    full = _kept_model_full(root, previous.run_id, result.run_id)
    assert full.stats["pairs_kept"] == 0
    by_pair = ["record_id_l", "record_id_r"]
    pairs = _frame(root, result.run_id, "match_pairs").drop("explain").sort(by_pair)
    assert pairs.equals(full.pairs.drop("explain").sort(by_pair))
    people = ["record_id", "record_key", "person_id", "cluster_size"]
    assert _frame(root, result.run_id, "person_links").select(people).sort("record_id").equals(
        full.links.select(people).sort("record_id"))


def _decide(root: Path, run_id: str) -> tuple[str, str]:
    """The steward separates the first linked pair of the night (recorded in the warehouse)."""
    links = _frame(root, run_id, "person_links")
    keys = dict(links.select("record_id", "record_key").iter_rows())
    pair = _frame(root, run_id, "match_pairs").filter(pl.col("status") == "linked").sort(
        "record_id_l", "record_id_r").row(0, named=True)
    a, b = keys[pair["record_id_l"]], keys[pair["record_id_r"]]
    record_decision(Warehouse.from_url(root / "w.duckdb"),
                    decision_row(a, b, "no_link", "王芳", "两人身份证不同"))
    return pair["record_id_l"], pair["record_id_r"]


def _apart(root: Path, run_id: str, ids: tuple[str, str]) -> bool:
    person = dict(_frame(root, run_id, "person_links").select("record_id", "person_id")
                  .iter_rows())
    return person[ids[0]] != person[ids[1]]


def test_incremental_nights_on_the_foreign_county(foreign_landing: Path, tmp_path: Path) -> None:
    shutil.copytree(foreign_landing, tmp_path / "landing")
    instance = DagsterInstance.ephemeral()
    last = _night(tmp_path, instance)
    assert _link_meta(last)["link_mode"] == "full"
    landing = tmp_path / "landing"
    nights.append_stays(landing / nights.FOREIGN_SETTLEMENTS, 8)
    nights.rename(landing / nights.FOREIGN_ENROLMENT, 120, 700, "人员姓名")
    nights.remove(landing / nights.FOREIGN_ENROLMENT, 900)
    second = _night(tmp_path, instance)
    _same_as_full(tmp_path, last, second)
    assert _link_meta(second)["records_new_or_changed"] >= 9
    # the files unchanged came from the ingest cache: the records of a cold read all the same
    cold = person_records(ingest_landing(landing, as_of=date(2026, 10, 20)).tables)
    assert _frame(tmp_path, second.run_id, "person_records").sort("record_id").equals(
        cold.sort("record_id"))
    ids = _decide(tmp_path, second.run_id)
    third = _night(tmp_path, instance)
    _same_as_full(tmp_path, second, third)
    assert _apart(tmp_path, third.run_id, ids)


# A county of a few files as its clerks write them: a title line and a totals row, dates as
# they type them (2026/10/2, 1956.3.12), a GBK file beside UTF-8 ones, a lower-case x, a
# patient without an ID, two residents named 王伟.
PEOPLE = [  # name, birth, sex, village, sequence
    ("张建国", "19560312", "男", "东关村", 1), ("李秀英", "19580701", "女", "东关村", 2),
    ("王伟", "19700115", "男", "东关村", 3), ("王伟", "19720520", "男", "西河村", 4),
    ("刘芳", "19851102", "女", "西河村", 5), ("陈明", "19900228", "男", "西河村", 6),
    ("杨丽", "19650909", "女", "东关村", 7), ("赵强", "19481230", "男", "西河村", 8),
    ("黄敏", "19790404", "女", "东关村", 9), ("周军", "19610606", "男", "西河村", 10)]
IDS = [tiny.resident_id(CODE, birth, seq, sex) for _, birth, sex, _, seq in PEOPLE]
VILLAGE_CODES = {"东关村": f"{CODE}101001", "西河村": f"{CODE}101002"}
SETTLEMENTS = "住院结算明细(10月).csv"
HEAD = ("姓名,身份证件号码,性别,出生日期,乡镇名称,村(社区),村级区划代码,定点医疗机构,出院诊断,"
        "入院日期,出院日期,医疗总费用,统筹基金支付,大病保险支付,医疗救助支付,个人自付,是否一站式结算")


def _stay(i: int, admitted: str, discharged: str, with_id: bool = True) -> str:
    name, birth, sex, village, _ = PEOPLE[i]
    pid = IDS[i].lower() if with_id else ""
    return (f"{name},{pid},{sex},{birth[:4]}/{int(birth[4:6])}/{int(birth[6:])},城关镇,{village},"
            f"{VILLAGE_CODES[village]},县人民医院,肺炎,{admitted},{discharged},3120.50,2100.00,"
            "0,0,1020.50,是")


def _clerk_files(landing: Path) -> None:
    landing.mkdir(parents=True)
    (landing / "行政区划.csv").write_text(
        "区划代码,名称,级别,上级代码\n"
        f"{CODE}000000,清河县,县,\n{CODE}101000,城关镇,乡镇,{CODE}000000\n"
        f"{CODE}101001,东关村,村,{CODE}101000\n{CODE}101002,西河村,村,{CODE}101000\n",
        encoding="utf-8")
    roster = [f"{CODE}{i:06d},{n},{n},{IDS[i]},{s},户主,监测对象,脱贫不稳定户,因病,否,城关镇,{v}"
              for i, (n, _, s, v, _) in enumerate(PEOPLE[:6])]
    (landing / "防返贫监测对象名单.csv").write_bytes((
        "清河县防返贫监测对象名单（2026年10月）\n"
        "户编号,户主姓名,成员姓名,公民身份号码,性别,与户主关系,人口类型,监测对象类别,"
        "主要致贫(返贫)原因,风险是否消除,乡镇,行政村\n" + "\n".join(roster)
        + "\n合计,共6人,,,,,,,,,,\n").encode("gbk"))
    insured = [f"{n},{IDS[i]},{s},{b[:4]}.{int(b[4:6])}.{int(b[6:])},城关镇,{VILLAGE_CODES[v]},"
               "参保缴费,监测对象资助,2026" for i, (n, b, s, v, _) in enumerate(PEOPLE)]
    (landing / "医保参保名单.csv").write_text(
        "参保人姓名,证件号,性别,出生年月日,乡镇,行政区划代码,参保状态,资助类别,参保年度\n"
        + "\n".join(insured) + "\n", encoding="utf-8-sig")
    stays = [_stay(0, "2026/10/2", "2026/10/9"), _stay(2, "2026/10/3", "2026/10/8"),
             _stay(4, "2026/9/28", "2026/10/5"), _stay(6, "2026/10/1", "2026/10/6", False)]
    (landing / SETTLEMENTS).write_text(HEAD + "\n" + "\n".join(stays) + "\n", encoding="utf-8")
    (landing / "死亡火化.csv").write_text(
        "死者姓名,身份证,性别,出生日期,所属乡镇,村,死亡日期,火化日期\n"
        f"赵强,{IDS[7]},男,1948-12-30,城关镇,西河村,2026-10-03,2026-10-05\n", encoding="utf-8")
    (landing / "低保花名册.csv").write_text(
        "救助对象姓名,证件号码,性别,出生日期,乡(镇),村名称,户主,救助类别,享受起始日期,保障状态,"
        "主要致困原因\n"
        f"李秀英,{IDS[1]},女,1958-07-01,城关镇,东关村,李秀英,低保,2026-01-01,正常,因病\n"
        f"黄敏,{IDS[8]},女,1979-04-04,城关镇,东关村,黄敏,低保,2026-01-01,正常,因病\n",
        encoding="utf-8")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8-sig")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8-sig")


def test_incremental_nights_on_a_clerk_written_county(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    _clerk_files(landing)
    instance = DagsterInstance.ephemeral()
    last = _night(tmp_path, instance)
    assert _link_meta(last)["link_mode"] == "full"
    # the title line and the totals row set aside, every person row linked
    assert _frame(tmp_path, last.run_id, "person_records").height == 23
    changes = [  # one per night, as the clerks make them
        ("new stays", lambda: (landing / SETTLEMENTS).open("a", encoding="utf-8").write(
            _stay(3, "2026/10/11", "2026/10/15", False) + "\n"
            + _stay(5, "2026/10/12", "2026/10/16") + "\n")),
        ("renamed", lambda: _edit(landing / "医保参保名单.csv", f"周军,{IDS[9]}",
                                  f"周俊,{IDS[9]}")),
        ("removed", lambda: _edit(landing / "低保花名册.csv", f"黄敏,{IDS[8]},女,1979-04-04,城关镇,"
                                  "东关村,黄敏,低保,2026-01-01,正常,因病\n", "")),
        ("decision", lambda: _decide(tmp_path, last.run_id)),
    ]
    for (what, change), rows in zip(changes, (25, 25, 24, 24), strict=True):
        ids = change()
        night = _night(tmp_path, instance)
        assert _frame(tmp_path, night.run_id, "person_records").height == rows, what
        _same_as_full(tmp_path, last, night)
        if what == "decision":
            assert _apart(tmp_path, night.run_id, ids)
        else:
            assert _link_meta(night)["records_new_or_changed"] >= (what != "removed"), what
        last = night
