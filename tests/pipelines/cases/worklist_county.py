"""A small hand-made county with cases, people, sources and places for the work-list tests."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.cases import case_records, track_cases
from pipelines.domain.identity import id_check_char
from pipelines.domain.rules import RULE_TEXTS
from schemas.contract import polars_schema
from schemas.published import Mismatch

COUNTY = "410100000000"
TOWN1, TOWN2 = "410100001000", "410100002000"
VILLAGES = {"410100001001": "虹光村民委员会", "410100001002": "东关社区居民委员会",
            "410100001003": "柳树湾村民委员会", "410100002001": "丙村"}
DETAILS = {
    "no_doctor_contract": "防返贫监测名单中有此人，家庭医生签约中无记录 / no contract",
    "not_insured": "参保状态: 终止、暂停 / enrol status: 终止、暂停",
    "dead_but_active": "死亡日期 death date 2026-08-20; 仍有效 still active: 医保参保缴费 "
                       "enrolled; 救助状态正常 assistance active; 签约 contract_date 2026-09-18",
    "village_conflict": "各部门登记的村不同 villages differ by department: "
                        "doctor_contract=410100001001, enrolment=410100001002",
    "wrong_subsidy": "身份: 特困供养; 资助类型: 脱贫人口资助; 应为: 特困全额资助 / status 特困供养",
}
FILES = {"poverty_roster": ("扶贫办_防返贫动态监测对象名单_2026年10月.csv", ""),
         "enrolment": ("医保局_城乡居民基本医疗保险参保人员名单.csv", ""),
         "death": ("民政局_死亡火化信息.csv", ""),
         "doctor_contract": ("卫健局_健康帮扶三项台账.xlsx", "家庭医生签约")}
DEPT = {"poverty_roster": "poverty", "enrolment": "insurance", "death": "civil",
        "doctor_contract": "health"}
NAMES = ["张伟", "王秀英", "买买提·艾力", "欧阳娜娜", "李建国", "赵丽", "刘洋", "陈静"]


def _id(n: int) -> str:
    first17 = f"410100{1950 + n % 50:04d}{1 + n % 12:02d}{1 + n % 28:02d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


@dataclass
class County:
    """Cases of October with everything a work list needs."""

    cases: pl.DataFrame
    person: pl.DataFrame
    person_source: pl.DataFrame
    regions: pl.DataFrame
    heads: pl.DataFrame


def county(people: int = 48) -> County:
    """``people`` persons, all in town 1 but two in town 2 and one unplaced, a case each."""
    villages = list(VILLAGES)
    rules = list(DETAILS)
    persons, sources, rows = [], [], []
    for n in range(people):
        pid, rule = f"P{n:010d}", rules[n % len(rules)]
        village = villages[n % 3] if n < people - 3 else (villages[3] if n < people - 1 else None)
        persons.append({"person_id": pid, "name": NAMES[n % len(NAMES)], "id_number": _id(n),
                        "village_code": village,
                        "township_code": village[:9] + "000" if village else None})
        extracts = ["poverty_roster", "enrolment", "death", "doctor_contract"][: 1 + n % 4]
        ids = []
        for k, extract in enumerate(extracts):
            file, sheet = FILES[extract]
            record_id = f"{file}|{sheet}|{n * 4 + k + 2}"
            ids.append(record_id)
            sources.append({"source_file": file, "sheet": sheet, "row_number": n * 4 + k + 2,
                            "record_id": record_id, "department": DEPT[extract],
                            "extract": extract, "person_id": pid,
                            "record_key": f"R{n:06d}{k}"})
        zh, en = RULE_TEXTS[rule]
        rows.append({"rule": rule, "rule_zh": zh, "rule_en": en, "person_id": pid,
                     "case_key": None, "name": persons[-1]["name"], "village_code": village,
                     "township_code": persons[-1]["township_code"], "detail": DETAILS[rule],
                     "evidence": ",".join(ids), "pending_match": False})
    source = pl.DataFrame(sources)
    person = pl.DataFrame(persons)
    records = case_records(source.select("record_id", "record_key", "person_id"), source)
    cases = track_cases(None, pl.DataFrame(rows, schema=polars_schema(Mismatch)), records,
                        "2026-10")
    regions = pl.DataFrame(
        [(COUNTY, "样县", "county", None), (TOWN1, "城关镇", "township", COUNTY),
         (TOWN2, "河口乡", "township", COUNTY),
         *((code, name, "village", code[:9] + "000") for code, name in VILLAGES.items())],
        schema=["code", "name", "level", "parent_code"], orient="row")
    heads = person.select("person_id", head_name=pl.lit("户主") + pl.col("name").str.slice(0, 1))
    return County(cases, person, source.drop("record_key"), regions, heads)
