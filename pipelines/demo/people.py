"""The demo county's residents: households, names, sexes, birth dates and valid IDs."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from pipelines.demo.places import COUNTY_CODE, Places


def _words(text: str) -> list[str]:
    """Split a space-separated word list."""
    return text.split()


SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋"
    "蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
)
_MALE = _words(
    "伟 强 磊 军 勇 杰 涛 明 超 刚 平 辉 建华 建国 志强 国强 文 斌 波 鹏 宇 浩 浩然 子轩 宇航 俊杰 "
    "志明 海 峰 亮 成 林 东 洋 晨 博 健 德明 永刚 振华 红军 卫东 建军 玉龙 天佑 子豪 一鸣 家乐 "
    "晓东 小龙 金山 福生 长江 春生 大伟 铁柱 建平 学军 明辉 士杰"
)
_FEMALE = _words(
    "芳 娜 敏 静 丽 艳 娟 霞 秀英 桂英 秀兰 玉兰 婷 雪 玲 红 英 华 慧 莉 倩 颖 欣怡 子涵 雨涵 "
    "梓涵 诗涵 思雨 佳怡 晓燕 丽娟 春梅 海燕 凤英 小红 玉梅 桂兰 淑珍 金凤 晴 璐 琳 悦 月 "
    "美玲 翠花 冬梅 秋菊 佳琪 欣悦 梦瑶 雅琪 晓丽 玉珍 巧云 彩霞"
)
# Characters of composed two-character given names (first, second), most popular first.
_MALE_FIRST = ("建志国永德明文俊晓海振宏家伟金子天立学春新广世中长庆红卫光玉大小兴嘉浩宇泽"
               "思少荣福兆博承瑞鸿锦祥昌传耀绍树朝克华仁义加守保书连宗益恩向敬亚")
_MALE_SECOND = ("华军明平强林伟东峰杰涛辉刚勇斌波龙飞鹏成生亮超宇博轩豪航然凯鑫磊文武坤"
                "山川江河岩松柏彬涵铭哲睿翔毅智远胜利民安全富贵昊阳晨皓宁清远祥禄")
_FEMALE_FIRST = ("秀玉桂丽春淑美晓凤海金雪红彩慧欣子雨梦佳思诗紫婉静雅晶文翠冬秋月爱巧素"
                 "惠兰小艳丹一若语可心怡依芷沐安欢乐晨蕾馨瑞嘉亚彦书锦佩")
_FEMALE_SECOND = ("英兰芳珍梅华萍琴霞燕红艳娟玲丽敏静婷雪琳颖怡涵琪瑶欣悦彤萱菲璐洁云凤花"
                  "莲荣香娥芬秀玉蓉莹薇妍宁岚倩茹嫣晴蕊婕馨娇媛萌媚青翠环")
_MINORITY_MALE = ("买买提", "艾力", "阿不都", "吐尔逊", "艾合买提", "热合曼", "艾尼瓦尔", "努尔")
_MINORITY_FEMALE = ("古丽", "阿依古丽", "帕提古丽", "热依拉", "米日古丽", "阿依努尔", "祖丽")
TWIN_NAMES = (
    ("子涵", "子轩"), ("欣怡", "欣悦"), ("浩然", "浩宇"), ("雨涵", "雨轩"), ("思雨", "思琪"),
    ("佳怡", "佳琪"), ("一鸣", "一凡"), ("梓涵", "梓轩"),
)
_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_CHECK = np.array(list("10X98765432"))
RELATIONS = pl.Series(["户主", "配偶", "父亲", "母亲", "子", "女"])
_HOUSEHOLD_SIZES = np.array([0.14, 0.24, 0.24, 0.2, 0.12, 0.06])


def check_chars(digits17: np.ndarray) -> np.ndarray:
    """The GB 11643 check characters for an (n, 17) matrix of digits.

    Args:
        digits17: integer array of shape (n, 17).

    Returns:
        Array of n one-character strings ("0"-"9" or "X").
    """
    return _CHECK[(digits17.astype(np.int64) @ _WEIGHTS) % 11]


def _zipf_choice(rng: np.random.Generator, pool_size: int, n: int, skew: float) -> np.ndarray:
    """Indices into a pool, the first entries much more frequent (Zipf-like)."""
    w = 1.0 / np.arange(1, pool_size + 1) ** skew
    return rng.choice(pool_size, size=n, p=w / w.sum())


def _pool_draw(rng: np.random.Generator, pool: list[str], n: int, skew: float) -> np.ndarray:
    """Draw n entries of `pool`, the first ones most popular."""
    return np.asarray(pool, dtype=object)[_zipf_choice(rng, len(pool), n, skew)]


def _given_names(rng: np.random.Generator, male: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Draw given names: one character (older people more often), a popular two-character
    name (建华, 秀英, 子涵), or two characters composed from per-position pools.

    The mix gives realistic repetition: a few names (王伟, 王芳, 张伟) are held by dozens of
    people in a county, while most people share their full name with nobody.
    """
    n = male.size
    out = np.empty(n, dtype=object)
    u = rng.random(n)
    p_single = np.where(age >= 55, 0.2, np.where(age >= 30, 0.12, 0.06))
    kind = np.where(u < p_single, 0, np.where(u < p_single + 0.15, 1, 2))
    for is_male, (single, whole, first, second) in (
        (True, (_SINGLE_M, _WHOLE_M, _MALE_FIRST, _MALE_SECOND)),
        (False, (_SINGLE_F, _WHOLE_F, _FEMALE_FIRST, _FEMALE_SECOND)),
    ):
        sex = male == is_male
        one, two, composed = (np.flatnonzero(sex & (kind == k)) for k in range(3))
        out[one] = _pool_draw(rng, single, one.size, 0.5)
        out[two] = _pool_draw(rng, whole, two.size, 0.6)
        out[composed] = (_pool_draw(rng, list(first), composed.size, 0.5)
                         + _pool_draw(rng, list(second), composed.size, 0.5))
    return out


_SINGLE_M = [g for g in _MALE if len(g) == 1]
_SINGLE_F = [g for g in _FEMALE if len(g) == 1]
_WHOLE_M = [g for g in _MALE if len(g) == 2]
_WHOLE_F = [g for g in _FEMALE if len(g) == 2]


def _ages(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """Ages uniform in [low, high] (inclusive)."""
    return rng.integers(low, high + 1, size=n)


def _household_frame(rng: np.random.Generator, people: int, places: Places) -> pl.DataFrame:
    """One row per household member with relation, sex, age and the household's village."""
    sizes = rng.choice(np.arange(1, 7), size=people // 2 + 10, p=_HOUSEHOLD_SIZES)
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), people)) + 1]
    sizes[-1] -= int(sizes.sum()) - people
    n_hh = sizes.size
    villages = places.villages
    w = villages["weight"].to_numpy()
    hh_village = rng.choice(villages.height, size=n_hh, p=w / w.sum())
    hh = np.repeat(np.arange(n_hh), sizes)
    member = np.arange(people) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    size_of = np.repeat(sizes, sizes)
    head_age = np.where(sizes >= 3, _ages(rng, n_hh, 28, 62), _ages(rng, n_hh, 22, 88))
    head_male = rng.random(n_hh) < 0.85
    ha = head_age[hh]
    hm = head_male[hh]
    elder = (member >= 3) & (rng.random(people) < 0.25) & (ha < 62)
    male = np.where(member == 0, hm, np.where(member == 1, ~hm, rng.random(people) < 0.52))
    age = np.where(
        member == 0,
        ha,
        np.where(
            member == 1,
            np.clip(ha + rng.integers(-5, 6, size=people), 18, 95),
            np.where(
                elder,
                np.clip(ha + rng.integers(22, 32, size=people), 0, 96),
                np.abs(ha - rng.integers(20, 36, size=people)),
            ),
        ),
    )
    rel = np.where(member == 0, 0, np.where(member == 1, 1, np.where(elder, 2, 4)))
    rel = rel + (~male & (rel >= 2)).astype(np.int64)
    return pl.DataFrame(
        {
            "hh": hh,
            "member": member,
            "hh_size": size_of,
            "relation": RELATIONS.gather(rel),
            "male": male,
            "age": age,
            "village_idx": hh_village[hh],
        }
    )


def _names(rng: np.random.Generator, frame: pl.DataFrame) -> pl.Series:
    """Full names: household surname for head/children, own surname for spouses/mothers.

    Twins get near-identical given names; minority households get dotted names; no two
    members of one household share a full name.
    """
    n = frame.height
    n_hh = int(frame["hh"].max()) + 1
    hh = frame["hh"].to_numpy()
    male = frame["male"].to_numpy()
    age = frame["age"].to_numpy()
    rel = frame["relation"].to_numpy()
    s_idx = _zipf_choice(rng, len(SURNAMES), n_hh, 0.75)[hh]
    own = _zipf_choice(rng, len(SURNAMES), n, 0.75)
    s_idx = np.where((rel == "配偶") | (rel == "母亲"), own, s_idx)
    given = _given_names(rng, male, age)
    twin = frame["twin_of"].to_numpy()
    first = np.flatnonzero(twin > np.arange(n))
    pair = rng.integers(len(TWIN_NAMES), size=first.size)
    given[first] = [TWIN_NAMES[p][0] for p in pair]
    given[first + 1] = [TWIN_NAMES[p][1] for p in pair]
    for _ in range(20):
        key = pl.DataFrame({"hh": hh, "s": s_idx, "g": pl.Series(given, dtype=pl.String)})
        dup = np.flatnonzero(~key.select(pl.struct("hh", "s", "g").is_first_distinct())
                             .to_series().to_numpy())
        if dup.size == 0:
            break
        given[dup] = _given_names(rng, male[dup], age[dup])
    surnames = pl.Series(list(SURNAMES))
    names = surnames.gather(s_idx) + pl.Series(given, dtype=pl.String)
    minority = (rng.random(n_hh) < 0.012)[hh]
    m_pool = pl.Series(_MINORITY_MALE)
    f_pool = pl.Series(_MINORITY_FEMALE)
    own_name = pl.select(
        pl.when(pl.Series(male)).then(m_pool.gather(rng.integers(len(_MINORITY_MALE), size=n)))
        .otherwise(f_pool.gather(rng.integers(len(_MINORITY_FEMALE), size=n)))
    ).to_series()
    dotted = own_name + "·" + m_pool.gather(rng.integers(len(_MINORITY_MALE), size=n))
    return pl.select(pl.when(pl.Series(minority)).then(dotted).otherwise(names)).to_series()


def _twins(rng: np.random.Generator, frame: pl.DataFrame, birth: np.ndarray) -> np.ndarray:
    """Make member 3 of some households the twin of member 2; return twin_of index or -1."""
    twin_of = np.full(frame.height, -1, dtype=np.int64)
    member = frame["member"].to_numpy()
    rel = frame["relation"].to_numpy()
    child = np.isin(rel, ["子", "女"])
    second = np.flatnonzero((member == 3) & child)
    second = second[child[second - 1]]
    pick = second[rng.random(second.size) < 0.06]
    birth[pick] = birth[pick - 1]
    twin_of[pick] = pick - 1
    twin_of[pick - 1] = pick
    return twin_of


def _id_numbers(birth: np.ndarray, male: np.ndarray) -> pl.Series:
    """Valid 18-character IDs, unique: county region code, birth date, sequence, check."""
    order = pl.DataFrame({"b": birth, "m": male})
    k = order.select(pl.int_range(pl.len()).over("b", "m")).to_series().to_numpy()
    day = birth.astype("datetime64[D]").astype(np.int64)
    seq = ((k * 7 + (day * 131) % 500) % 500) * 2 + male.astype(np.int64)
    dt = birth.astype("datetime64[D]")
    year = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    ymd = year * 10000 + month * 100 + dom
    region = np.frombuffer(COUNTY_CODE.encode(), dtype=np.uint8).astype(np.int64) - 48
    cols = [np.broadcast_to(region, (birth.size, 6))]
    cols.append(np.stack([(ymd // 10 ** (7 - i)) % 10 for i in range(8)], axis=1))
    cols.append(np.stack([seq // 100, (seq // 10) % 10, seq % 10], axis=1))
    check = (np.hstack(cols) @ _WEIGHTS) % 11
    return pl.select(
        pl.lit(COUNTY_CODE)
        + pl.Series(ymd).cast(pl.String)
        + pl.Series(seq).cast(pl.String).str.zfill(3)
        + pl.Series(list("10X98765432")).gather(check)
    ).to_series()


def build_people(rng: np.random.Generator, people: int, places: Places,
                 as_of: date) -> pl.DataFrame:
    """Build the county's residents.

    Args:
        rng: the seeded generator.
        people: number of residents.
        places: the county's places.
        as_of: the reference date (ages are counted back from it).

    Returns:
        One row per person: person_key, name, id_number, sex, birth_date, village_code,
        household_key, twin_of, plus helpers (relation, age, hh, member, hh_size,
        township_code).
    """
    frame = _household_frame(rng, people, places)
    male = frame["male"].to_numpy()
    days = rng.integers(0, 365, size=people)
    birth = (
        np.datetime64(as_of, "D")
        - (frame["age"].to_numpy() * 365.25).astype("timedelta64[D]")
        - days.astype("timedelta64[D]")
    )
    twin_of = _twins(rng, frame, birth)
    frame = frame.with_columns(twin_of=twin_of)
    names = _names(rng, frame)
    ids = _id_numbers(birth, male)
    width = len(str(people))
    vidx = frame["village_idx"].to_numpy()
    villages = places.villages
    age_days = (np.datetime64(as_of, "D") - birth).astype(np.int64)
    return (
        frame.select(
            person_key=pl.format("P{}", (pl.int_range(pl.len()) + 1).cast(pl.String)
                                 .str.zfill(width)),
            name=names,
            id_number=ids,
            sex=pl.when(pl.col("male")).then(pl.lit("男")).otherwise(pl.lit("女")),
            birth_date=pl.Series(birth.astype("datetime64[D]")).cast(pl.Date),
            village_code=villages["village_code"].gather(vidx),
            household_key=pl.format("H{}", (pl.col("hh") + 1).cast(pl.String).str.zfill(width)),
            twin_idx=pl.col("twin_of"),
            relation=pl.col("relation"),
            age=pl.Series(age_days // 365),
            hh=pl.col("hh"),
            member=pl.col("member"),
            hh_size=pl.col("hh_size"),
            township_code=villages["township_code"].gather(vidx),
        )
        .with_columns(
            twin_of=pl.when(pl.col("twin_idx") >= 0)
            .then(pl.col("person_key").gather(pl.col("twin_idx").clip(0)))
            .otherwise(pl.lit(""))
        )
        .drop("twin_idx")
    )
