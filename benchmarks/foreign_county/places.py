"""A county's townships and villages, coded the way the statistics bureau codes them.

12-digit 统计用区划代码: 6 county + 3 township (001-099 街道, 100-199 镇, 200-399 乡) + 3 village
(001-199 居民委员会, 200-399 村民委员会), with the 3-digit 城乡分类代码 (111 主城区 … 220 村庄).
The county is made hostile on purpose: one village name occurs in two townships, some village
names themselves end in 村 (张村), and one village was renamed after a merger while one
department still writes its former name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

COUNTIES = (("431225", "槐阳县", "湖南省", "怀化市"), ("513723", "青川县", "四川省", "广元市"),
            ("622426", "渭源县", "甘肃省", "定西市"), ("411627", "太康县", "河南省", "周口市"))
FIRST = "东西南北上下前后大小新老石马王李张刘赵杨黄高白柳桃杏梨槐松柏红青金银双三龙凤"
SECOND = "关庄沟河湾坪岭桥堡营寨店集屯园光潭山峰口塘岗坡林溪源田铺埠"
SEEDED_CORES = ("虹光", "长潭", "张村", "东村", "王家沟", "李家庄")
COMMUNITY_CORES = ("东关", "西关", "南街", "北街", "人民路", "建设路", "解放街", "新华", "文化路",
                   "中山路", "和平", "幸福", "朝阳", "光明", "滨河", "城南", "城北", "站前",
                   "育才", "府前", "民主街", "团结", "振兴", "锦绣", "丰收", "向阳", "迎宾")
TOWN_CORES = ("城关", "槐店", "柳林", "石桥", "马坡", "龙泉", "白沙", "青山", "高坪", "双河",
              "凤凰", "三合", "金鸡", "杏花", "桃园", "黄土", "松林", "红岩", "新集", "大营",
              "南湖", "北关", "西城", "东城", "水口")


@dataclass(frozen=True)
class County:
    """The county: its 6-digit code and names, townships and villages."""

    code: str
    name: str
    province: str
    city: str
    townships: pl.DataFrame
    villages: pl.DataFrame
    committee_style: int


def _village_cores(rng: np.random.Generator, count: int) -> list[str]:
    """Distinct village name cores, the seeded ones first, one name used twice."""
    cores: list[str] = list(SEEDED_CORES[: max(0, min(len(SEEDED_CORES), count - 2))])
    seen = set(cores)
    while len(cores) < count - 1:
        core = FIRST[rng.integers(len(FIRST))] + SECOND[rng.integers(len(SECOND))]
        if rng.random() < 0.08:
            core = FIRST[rng.integers(len(FIRST))] + "家" + SECOND[rng.integers(len(SECOND))]
        if core not in seen:
            seen.add(core)
            cores.append(core)
    cores.append(cores[len(cores) // 2])  # the same village name in another township
    return cores


def _township_table(county: str, count: int) -> pl.DataFrame:
    """Township codes, names and kinds: one or two 街道, then 镇, then 乡."""
    streets = 1 if count < 8 else 2
    towns = max(1, (count - streets) * 2 // 3)
    rows = []
    for i in range(count):
        if i < streets:
            code, name, kind = f"{i + 1:03d}", f"{TOWN_CORES[i + 22]}街道办事处", "街道"
        elif i < streets + towns:
            code, name, kind = f"{100 + i - streets + 1:03d}", f"{TOWN_CORES[i - streets]}镇", "镇"
        else:
            j = i - streets - towns
            code, name, kind = f"{200 + j + 1:03d}", f"{TOWN_CORES[i - streets]}乡", "乡"
        rows.append((f"{county}{code}000", name, kind))
    return pl.DataFrame(rows, schema=["township_code", "township_name", "township_kind"],
                        orient="row")


def _urban_rural(kind: str, township_kind: str, index: int) -> str:
    """城乡分类代码 for a village of ``kind`` in a township of ``township_kind``."""
    if kind == "社区":
        return "111" if township_kind == "街道" else "121"
    if township_kind == "街道":
        return "112"
    if township_kind == "镇":
        return "122" if index < 2 else "220"
    return "210" if index == 0 else "220"


def _committee(core: str, kind: str, style: int) -> str:
    """The committee form the statistics table uses for a village name core."""
    if kind == "社区":
        return f"{core}社区居民委员会" if style != 2 else f"{core}居民委员会"
    if style == 1 and not core.endswith("村"):
        return f"{core}村村民委员会"
    return f"{core}村民委员会"


def _village_rows(townships: pl.DataFrame, per_town: np.ndarray, cores: list[str],
                  style: int) -> list[tuple]:
    """One row per village: code, township, core, kind, committee form, 城乡分类代码."""
    rows, k, c = [], 0, 0
    for t, (tcode, tname, tkind) in enumerate(townships.iter_rows()):
        communities = min(per_town[t], 6) if tkind == "街道" else (1 if tkind == "镇" else 0)
        for i in range(per_town[t]):
            if i < communities:
                kind, serial = "社区", i + 1
                core = COMMUNITY_CORES[c % len(COMMUNITY_CORES)] + ("" if c < 27 else str(c))
                c += 1
            else:
                kind, serial, core = "村", 200 + i - communities + 1, cores[k]
                k += 1
            rows.append((f"{tcode[:9]}{serial:03d}", tcode, tname, core, kind,
                         _committee(core, kind, style), _urban_rural(kind, tkind, i)))
    return rows


def make_county(rng: np.random.Generator, people: int) -> County:
    """Make the county's division table for about ``people`` residents.

    Args:
        rng: The random generator.
        people: Number of residents (sets the number of villages).

    Returns:
        The county; villages carry ``former_core`` for the one renamed after a merger.
    """
    code, name, province, city = COUNTIES[int(rng.integers(len(COUNTIES)))]
    n_villages = int(np.clip(people // 800, 12, 400))
    n_towns = int(np.clip(n_villages // 16, 4, 22))
    townships = _township_table(code, n_towns)
    per_town = rng.multinomial(n_villages - 3 * n_towns, np.ones(n_towns) / n_towns) + 3
    style = int(rng.integers(3))
    cores = _village_cores(rng, int(per_town.sum()))
    rows = _village_rows(townships, per_town, cores, style)
    villages = pl.DataFrame(rows, orient="row", schema=[
        "village_code", "township_code", "township_name", "core", "kind", "committee",
        "urban_rural"])
    renamed = villages.filter(pl.col("kind") == "村").row(1, named=True)["village_code"]
    villages = villages.with_columns(
        pl.when(pl.col("village_code") == renamed).then(pl.lit("红星")).otherwise(None)
        .alias("former_core"))
    return County(code, name, province, city, townships, villages, style)


def written_village(core: pl.Expr, kind: pl.Expr, form: str) -> pl.Expr:
    """How a department writes a village: ``form`` is bare, cun, cwh, full or cun_full.

    bare: 虹光 / 东关; cun: 虹光村 / 东关社区; cwh: 虹光村委会 / 东关居委会;
    full: 虹光村民委员会 / 东关社区居民委员会; cun_full: 虹光村村民委员会 / 东关社区居委会.
    A core ending in 村 (张村) is never doubled in the short forms.
    """
    ends_cun = core.str.ends_with("村")
    cun = pl.when(ends_cun).then(core).otherwise(core + "村")
    forms = {
        "bare": (core, core),
        "cun": (cun, core + "社区"),
        "cwh": (core + "村委会", core + "居委会"),
        "full": (core + "村民委员会", core + "社区居民委员会"),
        "cun_full": (cun + "村民委员会", core + "社区居委会"),
    }
    village, community = forms[form]
    return pl.when(kind == "社区").then(community).otherwise(village)
