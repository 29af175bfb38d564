"""Tiny counties written by hand: a few people each, in the files the demo county's departments
send, so a test controls exactly who is registered, insured, treated or dead in which county.

``tests/conftest.py`` loads this module by path under the fixed name ``sanji_tests_tiny``.
A whole ``nightly`` run over one of them takes seconds, which is what the many-machines test
needs (two counties on two Celery workers).

Examples:
    >>> a = TinyPerson("张建国", resident_id("411421", "19600101", 1), {"registered"})
    >>> a.birth
    '1960-01-01'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.domain.identity import id_check_char

TOWNSHIP, VILLAGES = ("城关镇", "101"), (("东关村", "001"), ("西河村", "002"))
NAMES = ("张建国", "李秀英", "王伟", "刘芳", "陈明", "杨丽", "赵强", "黄敏", "周军", "吴静",
         "徐磊", "孙燕")


def resident_id(region: str, birth: str, seq: int, sex: str = "男") -> str:
    """A valid 18-character resident ID (GB 11643): region, birth date, sequence, check."""
    digit = seq * 2 + (1 if sex == "男" else 0)
    body = f"{region}{birth}{digit:03d}"
    return body + id_check_char(body)


@dataclass(frozen=True)
class TinyPerson:
    """A resident and what this county's departments hold about them.

    Attributes:
        name: their name.
        id_number: their resident ID.
        roles: any of registered (poverty roster), insured (enrolment), treated
            (settlement), dead (death record), assisted (低保).
        village: index of their village in ``VILLAGES``.
    """

    name: str
    id_number: str
    roles: set[str] = field(default_factory=set)
    village: int = 0

    @property
    def birth(self) -> str:
        """Their birth date, from the ID."""
        d = self.id_number[6:14]
        return f"{d[:4]}-{d[4:6]}-{d[6:]}"

    @property
    def sex(self) -> str:
        """男 or 女, from the ID's 17th digit."""
        return "男" if int(self.id_number[16]) % 2 else "女"


def people_of(code: str, count: int, first: int = 0) -> list[TinyPerson]:
    """``count`` residents born in county ``code``, registered and insured there."""
    out = []
    for i in range(first, first + count):
        sex = "男" if i % 2 == 0 else "女"
        pid = resident_id(code, f"19{50 + i:02d}0{1 + i % 9}1{i % 9}", i + 1, sex)
        out.append(TinyPerson(NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else "二"), pid,
                              {"registered", "insured"}, i % 2))
    return out


def _csv(path: Path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _village(code: str, person: TinyPerson) -> tuple[str, str]:
    name, suffix = VILLAGES[person.village]
    return name, f"{code}{TOWNSHIP[1]}{suffix}"


def write_county(landing: Path, code: str, name: str, month: str,
                 people: list[TinyPerson]) -> Path:
    """Write a county's landing folder: regions, roster, enrolment, deaths, settlements, 低保.

    Args:
        landing: the folder to write (created).
        code: the 6-digit county code.
        name: the county's name.
        month: ``YYYY-MM`` the files are for (named in the roster's file name).
        people: the residents and their roles in this county.

    Returns:
        ``landing``.
    """
    landing.mkdir(parents=True, exist_ok=True)
    town = f"{code}{TOWNSHIP[1]}000"
    regions = [f"{code}000000,{name},县,", f"{town},{TOWNSHIP[0]},乡镇,{code}000000"]
    regions += [f"{code}{TOWNSHIP[1]}{s},{v},村,{town}" for v, s in VILLAGES]
    _csv(landing / "行政区划.csv", "区划代码,名称,级别,上级代码", regions)
    yyyymm, day = month.replace("-", ""), f"{month}-10"

    def who(role: str) -> list[TinyPerson]:
        return [p for p in people if role in p.roles]

    _csv(landing / f"扶贫办_防返贫监测名单_{yyyymm}.csv",
         "户编号,户主姓名,成员姓名,公民身份号码,性别,与户主关系,人口类型,监测对象类别,"
         "主要致贫(返贫)原因,风险是否消除,乡镇,行政村",
         [f"{code}{i:06d},{p.name},{p.name},{p.id_number},{p.sex},户主,监测对象,脱贫不稳定户,"
          f"因病,否,{TOWNSHIP[0]},{_village(code, p)[0]}" for i, p in enumerate(who("registered"))])
    _csv(landing / "医保局_城乡居民参保名单.csv",
         "参保人姓名,证件号,性别,出生年月日,乡镇,行政区划代码,参保状态,资助类别,参保年度",
         [f"{p.name},{p.id_number},{p.sex},{p.birth},{TOWNSHIP[0]},{_village(code, p)[1]},"
          f"参保缴费,监测对象资助,{month[:4]}" for p in who("insured")])
    _csv(landing / "民政局_死亡火化信息.csv",
         "死者姓名,身份证,性别,出生日期,所属乡镇,村,死亡日期,火化日期",
         [f"{p.name},{p.id_number},{p.sex},{p.birth},{TOWNSHIP[0]},{_village(code, p)[0]},"
          f"{day},{day}" for p in who("dead")])
    _csv(landing / "医保局_住院结算明细.csv",
         "姓名,身份证件号码,性别,出生日期,乡镇名称,村(社区),村级区划代码,定点医疗机构,出院诊断,"
         "入院日期,出院日期,医疗总费用,统筹基金支付,大病保险支付,医疗救助支付,个人自付,是否一站式结算",
         [f"{p.name},{p.id_number},{p.sex},{p.birth},{TOWNSHIP[0]},{_village(code, p)[0]},"
          f"{_village(code, p)[1]},县人民医院,肺炎,{month}-02,{day},3000.00,2000.00,0.00,0.00,"
          "1000.00,是" for p in who("treated")])
    _csv(landing / "民政局_低保特困临时救助对象花名册.csv",
         "救助对象姓名,证件号码,性别,出生日期,乡(镇),村名称,户主,救助类别,享受起始日期,保障状态,"
         "主要致困原因",
         [f"{p.name},{p.id_number},{p.sex},{p.birth},{TOWNSHIP[0]},{_village(code, p)[0]},"
          f"{p.name},低保,{month}-01,正常,因病" for p in who("assisted")])
    return landing


def counties_yaml(path: Path, counties: list[dict], first_month: str = "2024-01",
                  province: dict | None = None) -> Path:
    """Write a counties file (``pipelines.counties``) for the given entries."""
    import yaml

    body = {"first_month": first_month, "counties": counties}
    if province:
        body["province"] = province
    path.write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    return path
