"""A quick synthetic county for ``benchmarks/link.py --synthetic``: person_records straight
from numpy (no landing files, no ingest), with truth. Independent of the demo generator, so
the linker is also measured on records sanji's generator did not write.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.domain.extracts import EXTRACTS
from schemas.canonical import COMMON_COLUMNS

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHECK = np.array(list("10X98765432"))
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# homophone groups (same toneless pinyin) and look-alike pairs used for name typos
HOMOPHONES = [
    "伟玮炜苇",
    "芳方坊",
    "静敬靖",
    "丽莉利力",
    "华花",
    "明铭鸣",
    "军君均",
    "英莹颖",
    "强墙",
    "敏民",
    "杰洁",
    "涛滔",
    "勇永",
    "艳燕",
    "娟鹃",
    "霞侠",
    "平萍",
    "刚钢",
    "辉晖",
    "玲琳",
    "秀绣",
    "兰岚",
    "红宏鸿",
    "梅玫",
    "建健",
    "志智",
    "文雯",
    "国帼",
    "海",
    "春椿",
    "云芸",
    "峰锋丰",
    "斌彬",
    "俊峻",
    "磊",
    "超",
    "波",
    "鹏",
    "飞菲",
]
LOOKALIKE = {"己": "已", "未": "末", "土": "士", "王": "玉", "田": "由", "天": "夭"}
COMMON_NAMES = [
    "张伟",
    "王伟",
    "王芳",
    "李伟",
    "李娜",
    "张敏",
    "李静",
    "王静",
    "刘伟",
    "王秀英",
    "张丽",
    "李秀英",
    "王丽",
    "张静",
    "张秀英",
    "李强",
    "王敏",
    "李敏",
    "王磊",
    "刘洋",
]
EXTRACT_NAMES = list(EXTRACTS)
REGION = "410526"


def _check_chars(first17: np.ndarray) -> np.ndarray:
    """Return the MOD 11-2 check character for an (n, 17) digit matrix."""
    return CHECK[(first17 * WEIGHTS).sum(axis=1) % 11]


def _char_tables() -> tuple[list[str], dict[str, int], np.ndarray, list[str]]:
    """Return the character pool, its index, homophone partner per char, pinyin per char."""
    from pypinyin import lazy_pinyin

    pool = list(
        dict.fromkeys(
            SURNAMES
            + "".join(HOMOPHONES)
            + "".join(LOOKALIKE)
            + "".join(LOOKALIKE.values())
            + "".join(COMMON_NAMES)
        )
    )
    index = {c: k for k, c in enumerate(pool)}
    partner = np.arange(len(pool))
    for group in HOMOPHONES:
        for k, c in enumerate(group):
            partner[index[c]] = index[group[(k + 1) % len(group)]]
    pinyin = ["".join(lazy_pinyin(c)) for c in pool]
    return pool, index, partner, pinyin


def _ids(region: str, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """Return an (n, 18) uint8 digit matrix (check 'X' as 10) of IDs."""
    digits = np.zeros((len(birth), 17), dtype=np.int64)
    digits[:, :6] = [int(c) for c in region]
    ymd = birth.astype("datetime64[D]").astype(str)
    ymd_digits = np.frombuffer("".join(ymd).replace("-", "").encode(), dtype=np.uint8) - 48
    digits[:, 6:14] = ymd_digits.reshape(-1, 8)
    digits[:, 14] = seq // 100
    digits[:, 15] = seq // 10 % 10
    digits[:, 16] = seq % 10
    return digits


def _id_strings(digits: np.ndarray) -> np.ndarray:
    """Return ID strings from a (n, 17) digit matrix, with the check character."""
    body = (digits + 48).astype(np.uint8).view("S17").ravel().astype(str)
    return np.char.add(body, _check_chars(digits))


def synthetic_records(rows: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Build a person_records frame of about ``rows`` rows with truth.

    People live in households (some with twins), some carry very common names; each has
    1-5 records across extracts with typos: one substituted or two swapped ID digits,
    missing IDs (sometimes also missing birth dates), homophone / look-alike names,
    missing or moved villages, missing sex.

    Args:
        rows: wanted number of records (approximate).
        seed: random seed.

    Returns:
        (records, truth): truth has record_id, person_key, twin_of.
    """
    rng = np.random.default_rng(seed)
    tables = _char_tables()
    people = _people(rng, int(rows / 2.6), tables)
    recs = _dirty_records(rng, people, tables)
    df = _records_frame(people, recs, tables)
    records = df.select(COMMON_COLUMNS).cast({"row_number": pl.Int64, "birth_date": pl.Date})
    truth = df.select("record_id", "person_key", "twin_of")
    return records, truth


def _people(rng: np.random.Generator, n_people: int, tables: tuple) -> dict[str, np.ndarray]:
    """The true people: household, village, name characters, birth, sex, twin, ID digits."""
    _, index, _, pinyin = tables
    sizes = rng.choice([1, 2, 3, 4, 5], size=n_people, p=[0.2, 0.3, 0.25, 0.15, 0.1])
    hh = np.repeat(np.arange(n_people), sizes)[:n_people]
    first_in_hh = np.r_[True, hh[1:] != hh[:-1]]
    n_villages = max(20, n_people // 800)
    hh_village = rng.integers(0, n_villages, hh.max() + 1)
    c0, c1, c2, given_pool = _names(rng, hh, index)
    birth = np.datetime64("1940-01-01") + rng.integers(0, 80 * 365, n_people)
    sex = rng.integers(0, 2, n_people)  # 1 = male
    # twins: second member of 1.5% of multi-person households
    twin = np.zeros(n_people, dtype=bool)
    cand = np.flatnonzero(~first_in_hh & np.r_[False, first_in_hh[:-1]])
    twin[cand[rng.random(len(cand)) < 0.015]] = True
    twin_of = np.where(twin, np.arange(n_people) - 1, -1)
    tw = np.flatnonzero(twin)
    birth[tw] = birth[tw - 1]
    c0[tw], c1[tw] = c0[tw - 1], c1[tw - 1]
    # near-identical names whose pinyin differs, so a homophone typo never yields the twin's
    pin = np.array(pinyin)
    other = rng.choice(given_pool, len(tw))
    clash = pin[other] == pin[np.maximum(c2[tw - 1], 0)]
    other[clash] = rng.choice(given_pool, clash.sum())
    c2[tw] = np.where(pin[other] == pin[np.maximum(c2[tw - 1], 0)], index["磊"], other)
    # unique IDs: random sequence, parity = sex
    seq = rng.integers(0, 500, n_people) * 2 + sex
    digits = _ids(REGION, birth, seq)
    _, first = np.unique(_id_strings(digits), return_index=True)
    keep = np.zeros(n_people, dtype=bool)
    keep[first] = True  # drop the rare colliding persons
    return {"hh": hh, "village": hh_village[hh], "n_villages": np.array(n_villages),
            "c0": c0, "c1": c1, "c2": c2, "birth": birth, "sex": sex, "twin_of": twin_of,
            "digits": digits, "keep": keep}


def _names(rng: np.random.Generator, hh: np.ndarray,
           index: dict[str, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Name characters: the household's surname, 1-2 given chars; 3% very common full names."""
    n_people = len(hh)
    surname_idx = np.array([index[c] for c in SURNAMES])
    zipf = 1.0 / np.arange(1, len(surname_idx) + 1) ** 0.9
    hh_surname = rng.choice(surname_idx, size=hh.max() + 1, p=zipf / zipf.sum())
    given_pool = np.array([index[c] for c in "".join(HOMOPHONES) + "".join(LOOKALIKE)])
    c0 = hh_surname[hh]
    c1 = rng.choice(given_pool, n_people)
    c2 = np.where(rng.random(n_people) < 0.6, rng.choice(given_pool, n_people), -1)
    common = rng.random(n_people) < 0.03
    pick = rng.integers(0, len(COMMON_NAMES), n_people)
    for k, name in enumerate(COMMON_NAMES):
        sel = common & (pick == k)
        chars = [index[c] for c in name] + [-1]
        c0[sel], c1[sel], c2[sel] = chars[0], chars[1], chars[2]
    return c0, c1, c2, given_pool


def _dirty_records(rng: np.random.Generator, people: dict[str, np.ndarray],
                   tables: tuple) -> dict[str, np.ndarray]:
    """1-5 records per person in distinct extracts, with ID, name, place, birth and sex dirt."""
    _, index, partner, _ = tables
    n_people = len(people["hh"])
    n_rec = rng.choice([1, 2, 3, 4, 5], size=n_people, p=[0.15, 0.3, 0.3, 0.15, 0.1])
    n_rec[~people["keep"]] = 0
    order = rng.random((n_people, len(EXTRACT_NAMES))).argsort(axis=1)
    person = np.repeat(np.arange(n_people), n_rec)
    slot = np.arange(len(person)) - np.repeat(np.cumsum(n_rec) - n_rec, n_rec)
    n = len(person)
    r = rng.random((n, 10))
    rd = people["digits"][person].copy()
    check = _check_chars(rd).astype("U1")
    pos = rng.integers(0, 17, n)
    sub = r[:, 0] < 0.02
    rd[sub, pos[sub]] = (rd[sub, pos[sub]] + rng.integers(1, 10, sub.sum())) % 10
    swp = (r[:, 0] >= 0.02) & (r[:, 0] < 0.03)
    p2 = np.minimum(pos, 15)
    a_, b_ = rd[swp, p2[swp]].copy(), rd[swp, p2[swp] + 1].copy()
    rd[swp, p2[swp]], rd[swp, p2[swp] + 1] = b_, a_
    missing_id = r[:, 1] < 0.05
    # names: homophone / look-alike typos
    rc1, rc2 = people["c1"][person], people["c2"][person].copy()
    homo = r[:, 2] < 0.03
    last_is2 = rc2 >= 0
    rc2 = np.where(homo & last_is2, partner[np.maximum(rc2, 0)], rc2)
    rc1 = np.where(homo & ~last_is2, partner[rc1], rc1)
    look = {index[a]: index[b] for a, b in LOOKALIKE.items()}
    lk = (r[:, 3] < 0.01) & np.isin(rc1, list(look))
    rc1[lk] = [look[c] for c in rc1[lk]]
    village = people["village"][person].copy()
    moved = r[:, 4] < 0.02
    village[moved] = rng.integers(0, int(people["n_villages"]), moved.sum())
    return {"person": person, "extract": order[person, slot],
            "id": np.char.add((rd + 48).astype(np.uint8).view("S17").ravel().astype(str), check),
            "missing_id": missing_id, "c0": people["c0"][person], "c1": rc1, "c2": rc2,
            "village": village, "no_village": r[:, 5] < 0.03,
            "no_birth": missing_id & (r[:, 6] < 0.3), "no_sex": r[:, 7] < 0.02}


def _records_frame(people: dict[str, np.ndarray], recs: dict[str, np.ndarray],
                   tables: tuple) -> pl.DataFrame:
    """The records as a frame of canonical columns plus the truth's person and twin keys."""
    pool, _, _, pinyin = tables
    chars, pys = pl.Series(pool), pl.Series(pinyin)
    person, rvillage = recs["person"], recs["village"]

    def col(idx: np.ndarray, table: pl.Series) -> pl.Series:
        s = table.gather(pl.Series(np.maximum(idx, 0)))
        return pl.select(pl.when(pl.Series(idx) >= 0).then(s).otherwise(pl.lit(""))).to_series()

    vcode = np.char.add(REGION, np.char.zfill((100 + rvillage // 20).astype(str), 3))
    tcode = np.char.add(vcode, "000")
    vcode = np.char.add(vcode, np.char.zfill((200 + rvillage % 20).astype(str), 3))
    twin_of = people["twin_of"][person]
    df = pl.DataFrame({
        "extract": np.array(EXTRACT_NAMES)[recs["extract"]],
        "name": col(recs["c0"], chars) + col(recs["c1"], chars) + col(recs["c2"], chars),
        "name_pinyin": col(recs["c0"], pys) + col(recs["c1"], pys) + col(recs["c2"], pys),
        "id_number": _null_where(recs["missing_id"], recs["id"]),
        "sex_true": np.where(people["sex"][person] == 1, "男", "女"),
        "birth_true": people["birth"][person],
        "township_code": _null_where(recs["no_village"], tcode),
        "village_code": _null_where(recs["no_village"], vcode),
        "household": np.char.add("H", people["hh"][person].astype(str)),
        "person_key": np.char.add("K", person.astype(str)),
        "twin_of": _null_where(twin_of < 0, np.char.add("K", twin_of.astype(str))),
        "no_birth": recs["no_birth"],
        "no_sex": recs["no_sex"],
    })
    return _with_record_columns(df)


def _with_record_columns(df: pl.DataFrame) -> pl.DataFrame:
    """Derive the canonical record columns (row, file, raw values, record id) of the frame."""
    valid = _valid_expr(pl.col("id_number"))
    return (
        df.with_columns(
            row_number=pl.int_range(pl.len()).over("extract") + 2,
            id_valid=valid.fill_null(False),
            department=pl.col("extract").replace_strict(
                {k: v.department for k, v in EXTRACTS.items()}
            ),
        )
        .with_columns(
            source_file=pl.col("extract") + ".csv",
            sheet=pl.lit(""),
            name_raw=pl.col("name"),
            id_raw=pl.col("id_number"),
            sex=pl.when(pl.col("no_sex") & ~pl.col("id_valid")).then(None).otherwise("sex_true"),
            birth_date=pl.when(pl.col("no_birth")).then(None).otherwise("birth_true"),
            village_raw=pl.col("village_code"),
            household_id=pl.when(pl.col("extract") == "poverty_roster").then("household"),
        )
        .with_columns(
            record_id=pl.concat_str(
                "source_file", "sheet", pl.col("row_number").cast(pl.String), separator="|"
            ),
        )
    )


def _null_where(mask: np.ndarray, values: np.ndarray) -> pl.Series:
    """Return ``values`` as a String series with nulls where ``mask``."""
    return pl.select(
        pl.when(pl.Series(mask)).then(None).otherwise(pl.Series(values, dtype=pl.String))
    ).to_series()


def _valid_expr(idn: pl.Expr) -> pl.Expr:
    """Return whether an 18-character ID passes its MOD 11-2 check (polars expression)."""
    total = sum(
        idn.str.slice(k, 1).cast(pl.Int64, strict=False) * int(w) for k, w in enumerate(WEIGHTS)
    )
    want = pl.lit("10X98765432").str.slice(total % 11, 1)
    return (idn.str.len_chars() == 18) & (idn.str.slice(17, 1) == want)
