"""The demo county's places: county, townships, villages, name variants and former names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

COUNTY_CODE = "411421"
COUNTY_NAME = "清河县"

_TOWNSHIP_STEMS = (
    "城关", "柳林", "石桥", "青龙", "马庄", "白云", "双河", "三里", "花园", "龙泉",
    "黄岗", "杨集", "孙庙", "李店", "郭屯", "胡桥",
)
_VILLAGE_FIRST = "虹金银新大小东西南北上下前后张王李刘陈杨赵黄周吴高马孙朱胡郭何林罗梁宋郑谢韩唐冯"
_VILLAGE_SECOND = "光庄寨岗集河湾桥店楼营屯坡沟园林山岭湖塘台坪铺圩洼堡"


@dataclass(frozen=True)
class Places:
    """The county's region table and the village facts the generator needs.

    Attributes:
        regions: one row per county/township/village: code, name, level (县/乡镇/村),
            parent_code, former_name (曾用名, "" if none).
        villages: one row per village: village_code, township_code, short (虹光村),
            township_name, former (曾用名 or "") and weight (relative population).
        resettled: (origin village code, site village code) pairs of 易地扶贫搬迁 sites.
    """

    regions: pl.DataFrame
    villages: pl.DataFrame
    resettled: tuple[tuple[str, str], ...]


def _village_names(rng: np.random.Generator, count: int) -> list[str]:
    """Draw `count` distinct two-character village stems."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        stem = _VILLAGE_FIRST[rng.integers(len(_VILLAGE_FIRST))]
        stem += _VILLAGE_SECOND[rng.integers(len(_VILLAGE_SECOND))]
        if stem not in seen:
            seen.add(stem)
            names.append(stem)
    return names


def townships_for(people: int) -> int:
    """Townships of a county of ``people`` residents: 10 up to 250,000, then one per 25,000.

    A county's villages grow with its people (a village has ~1,000-2,500 residents), so a
    big demo county does not pack ten times the people into the same ~115 villages, which
    would make every village-keyed blocking rule's blocks ten times larger than a real
    county's.
    """
    return max(10, -(-people // 25_000))


def _township_name(t: int) -> str:
    """The stem of the ``t``-th township's name (distinct for up to 96 townships)."""
    n = len(_TOWNSHIP_STEMS)
    return _TOWNSHIP_STEMS[t % n] + ("" if t < n else "东西南北新"[(t // n - 1) % 5])


def build_places(rng: np.random.Generator, townships: int = 10) -> Places:
    """Build a county of `townships` townships with 8-15 villages each.

    Two villages are the result of a merger and carry a former name (曾用名); one or two
    villages host a resettlement site for households moved from another village.

    Args:
        rng: the seeded generator.
        townships: number of townships.

    Returns:
        The county's `Places`.
    """
    sizes = rng.integers(8, 16, size=townships)
    stems = _village_names(rng, int(sizes.sum()) + 4)
    spare = stems[-4:]
    county = f"{COUNTY_CODE}000000"
    regions: list[tuple[str, str, str, str, str]] = [(county, COUNTY_NAME, "县", "", "")]
    villages: list[tuple[str, str, str, str, str, float]] = []
    k = 0
    for t in range(townships):
        t_code = f"{COUNTY_CODE}{t + 100:03d}000"
        suffix = "镇" if t < townships * 0.6 else "乡"
        t_name = _township_name(t) + suffix
        regions.append((t_code, t_name, "乡镇", county, ""))
        for v in range(int(sizes[t])):
            v_code = f"{t_code[:9]}{v + 200:03d}"
            short = stems[k] + "村"
            k += 1
            weight = float(rng.lognormal(0.0, 0.35))
            villages.append((v_code, t_code, short, t_name, "", weight))
    # Two merged villages keep a former name some departments still use.
    merged = rng.choice(len(villages), size=2, replace=False)
    for i, m in enumerate(sorted(int(x) for x in merged)):
        row = villages[m]
        villages[m] = (*row[:4], spare[i] + "村", row[5] * 1.6)
    for code, t_code, short, _t_name, former, _w in villages:
        regions.append((code, short[:-1] + "村民委员会", "村", t_code, former))
    order = rng.permutation(len(villages))
    resettled = tuple(
        (villages[int(order[2 * i])][0], villages[int(order[2 * i + 1])][0])
        for i in range(int(rng.integers(1, 3)))
    )
    region_df = pl.DataFrame(
        regions, schema=["区划代码", "名称", "级别", "上级代码", "曾用名"], orient="row"
    )
    village_df = pl.DataFrame(
        villages,
        schema=["village_code", "township_code", "short", "township_name", "former", "weight"],
        orient="row",
    )
    return Places(regions=region_df, villages=village_df, resettled=resettled)
