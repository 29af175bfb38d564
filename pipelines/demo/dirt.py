"""Dirt: the realistic damage departments' systems and typists do to IDs, names and places.

`DirtRates` holds one rate per kind; `dirty_column` picks rows and damages them; every
damaged field is recorded with the outcome a correct pipeline should reach (`EXPECT`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

import numpy as np
import polars as pl

# kind -> (field, expected outcome). `linked`: ingest cannot repair it, linkage must match it.
EXPECT: dict[str, tuple[str, str]] = {
    "id_typo": ("id_number", "flagged"),
    "id_swap": ("id_number", "flagged"),
    "id_lower_x": ("id_number", "repaired"),
    "id_fullwidth": ("id_number", "repaired"),
    "id_space": ("id_number", "repaired"),
    "id_scientific": ("id_number", "flagged"),
    "id_missing": ("id_number", "flagged"),
    "id_15": ("id_number", "repaired"),
    "infant_no_id": ("id_number", "flagged"),
    "name_homophone": ("name", "linked"),
    "name_lookalike": ("name", "linked"),
    "name_traditional": ("name", "repaired"),
    "name_space": ("name", "repaired"),
    "name_dot": ("name", "repaired"),
    "name_changed": ("name", "linked"),
    "village_variant": ("village", "repaired"),
    "village_former": ("village", "repaired"),
    "village_code": ("village", "repaired"),
    "village_blank": ("village", "linked"),
    "unusable_row": ("", "quarantined"),
    "blank_row": ("", "quarantined"),
    "totals_row": ("", "quarantined"),
}

HOMOPHONES = {
    "伟": "玮", "芳": "方", "娜": "纳", "敏": "民", "静": "婧", "丽": "莉", "军": "君", "磊": "垒",
    "勇": "永", "艳": "燕", "杰": "洁", "娟": "鹃", "涛": "滔", "明": "鸣", "超": "朝", "霞": "侠",
    "平": "萍", "刚": "钢", "英": "瑛", "华": "桦", "红": "虹", "玲": "铃", "建": "健", "文": "雯",
    "辉": "晖", "婷": "亭", "雪": "学", "峰": "锋", "林": "琳", "东": "冬", "洋": "阳", "鹏": "朋",
    "张": "章", "王": "汪", "刘": "柳", "杨": "阳", "周": "邹", "吴": "武", "徐": "许", "孙": "荪",
}
LOOKALIKES = {
    "己": "已", "王": "玉", "玉": "王", "子": "孑", "天": "夭", "田": "由", "大": "太", "土": "士",
    "未": "末", "晴": "睛", "侯": "候", "史": "吏", "千": "干", "人": "入", "日": "曰", "贝": "见",
    "梓": "梓", "宇": "字", "浩": "诰", "博": "搏", "汪": "江", "治": "冶", "彩": "采",
}
LOOKALIKES = {k: v for k, v in LOOKALIKES.items() if k != v}
TRADITIONAL = {
    "陈": "陳", "刘": "劉", "张": "張", "赵": "趙", "黄": "黃", "杨": "楊", "吴": "吳", "郑": "鄭",
    "孙": "孫", "马": "馬", "罗": "羅", "许": "許", "邓": "鄧", "冯": "馮", "韩": "韓", "伟": "偉",
    "华": "華", "军": "軍", "丽": "麗", "红": "紅", "兰": "蘭", "凤": "鳳", "云": "雲", "龙": "龍",
    "国": "國", "强": "強", "涛": "濤", "辉": "輝", "东": "東", "鹏": "鵬", "刚": "剛", "杰": "傑",
}
# Given names a person may have gone by before (a childhood name, a name before marriage).
CHANGED_GIVEN = ("小红", "二妮", "春花", "小军", "铁蛋", "桂芝", "建设", "爱华", "小燕", "军伟",
                 "淑芬", "玉洁", "秋生", "满仓", "凤霞", "志刚")
_FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


# Department-specific rates (kind -> rate) that override the county-wide ones: hand-kept
# ledgers and hospital settlements lose or destroy IDs far more often than the national
# rosters, and the public-health follow-up export often leaves the village blank (the
# clinic, 虹光村卫生室, still names it).
BY_EXTRACT: Mapping[str, Mapping[str, float]] = MappingProxyType({
    "poverty_roster": {"id_missing": 0.002, "id_scientific": 0.0},
    "enrolment": {"id_missing": 0.002, "id_scientific": 0.001},
    "doctor_contract": {"id_missing": 0.006, "id_scientific": 0.005},
    "chronic_followup": {"id_missing": 0.012, "id_scientific": 0.01, "village_blank": 0.3},
    "illness_ledger": {"id_missing": 0.04, "id_scientific": 0.04},
    "assistance": {"id_missing": 0.003, "id_scientific": 0.003},
    "death": {"id_missing": 0.02, "id_scientific": 0.005},
    "settlement": {"id_missing": 0.012, "id_scientific": 0.01},
})


@dataclass(frozen=True)
class DirtRates:
    """Per-kind dirt rates: the chance that a data row of a file gets that damage.

    A row gets at most one kind; a kind only lands on rows it can apply to (a lower-case
    x needs an ID ending in X, a dot variant needs a minority name). `infant_no_id` is the
    share of rows of infants under one year that carry no ID. `unusable_row` and
    `blank_row` add rows (relative to the file's rows) that must be quarantined.
    `by_extract` overrides a kind's rate for one extract (see `BY_EXTRACT`). A missing or
    destroyed ID lands on any row, identifiable without it or not, as in real extracts.
    """

    id_typo: float = 0.003
    id_swap: float = 0.002
    id_lower_x: float = 0.004
    id_fullwidth: float = 0.002
    id_space: float = 0.003
    id_scientific: float = 0.002
    id_missing: float = 0.003
    id_15: float = 0.002
    infant_no_id: float = 0.5
    name_homophone: float = 0.004
    name_lookalike: float = 0.002
    name_traditional: float = 0.002
    name_space: float = 0.004
    name_dot: float = 0.003
    name_changed: float = 0.002
    village_variant: float = 0.02
    village_former: float = 0.01
    village_code: float = 0.005
    village_blank: float = 0.0
    unusable_row: float = 0.0005
    blank_row: float = 0.0005
    by_extract: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: BY_EXTRACT)

    def rate(self, kind: str, extract: str) -> float:
        """The rate of `kind` in `extract`'s rows (its override, else the county-wide rate).

        Examples:
            >>> DirtRates().rate("id_missing", "settlement")
            0.012
        """
        return self.by_extract.get(extract, {}).get(kind, getattr(self, kind))

    @classmethod
    def kinds(cls) -> tuple[str, ...]:
        """The dirt kinds that have a rate."""
        return tuple(f.name for f in fields(cls) if f.name != "by_extract")

    @classmethod
    def clean(cls) -> DirtRates:
        """No dirt at all."""
        return cls(**{k: 0.0 for k in cls.kinds()}, by_extract={})

    @classmethod
    def uniform(cls, rate: float) -> DirtRates:
        """Every kind at the same rate in every extract (useful in tests)."""
        return cls(**{k: rate for k in cls.kinds()}, by_extract={})


def _typo(v: str, rng: np.random.Generator) -> str:
    """Mistype one of the first 17 digits."""
    pos = int(rng.integers(17))
    digit = (int(v[pos]) + int(rng.integers(1, 10))) % 10
    return v[:pos] + str(digit) + v[pos + 1:]


def _swap(v: str, rng: np.random.Generator) -> str:
    """Swap two adjacent, different digits among the first 17."""
    start = int(rng.integers(16))
    for step in range(16):
        p = (start + step) % 16
        if v[p] != v[p + 1]:
            return v[:p] + v[p + 1] + v[p] + v[p + 2:]
    return v


def _replace_first(v: str, table: dict[str, str]) -> str:
    """Replace the first character found in `table`."""
    for i, ch in enumerate(v):
        if ch in table:
            return v[:i] + table[ch] + v[i + 1:]
    return v


def _traditional(v: str, rng: np.random.Generator) -> str:
    """Write the name in traditional characters where we know them."""
    return "".join(TRADITIONAL.get(ch, ch) for ch in v)


def _space(v: str, rng: np.random.Generator) -> str:
    """Add an ASCII or full-width space inside, before or after the name."""
    where = int(rng.integers(3))
    pad = " " if rng.random() < 0.6 else "\u3000"
    if where == 0:
        return v[0] + pad + v[1:]
    return pad + v if where == 1 else v + pad


def _changed(v: str, rng: np.random.Generator) -> str:
    """Give the person another given name under the same surname (改名, 曾用名)."""
    given = v[1:]
    other = CHANGED_GIVEN[int(rng.integers(len(CHANGED_GIVEN)))]
    if other == given:
        other = CHANGED_GIVEN[(CHANGED_GIVEN.index(other) + 1) % len(CHANGED_GIVEN)]
    return v[0] + other


_ID_DAMAGE = {
    "id_typo": _typo,
    "id_swap": _swap,
    "id_lower_x": lambda v, r: v[:-1] + "x",
    "id_fullwidth": lambda v, r: v.translate(_FULLWIDTH),
    "id_space": lambda v, r: f"{v[:6]} {v[6:14]} {v[14:]}",
    "id_scientific": lambda v, r: f"{v[0]}.{v[1:6]}E+17",
    "id_missing": lambda v, r: None,
    "id_15": lambda v, r: v[:6] + v[8:17],
    "infant_no_id": lambda v, r: None,
}
_NAME_DAMAGE = {
    "name_homophone": lambda v, r: _replace_first(v, HOMOPHONES),
    "name_lookalike": lambda v, r: _replace_first(v, LOOKALIKES),
    "name_traditional": _traditional,
    "name_space": _space,
    "name_changed": _changed,
}


def _has_any(values: pl.Series, table: dict[str, str]) -> np.ndarray:
    """Which strings contain at least one key of `table`."""
    pattern = "[" + "".join(table) + "]"
    return values.str.contains(pattern).fill_null(False).to_numpy()


@dataclass
class DirtTarget:
    """What one file's rows look like, for choosing where dirt can land.

    Attributes:
        ids, names: the clean ID and name text of each row.
        villages: village text (short name) per row, or None when the file has no name column.
        formers: former village name per row ("" if none).
        codes: village code per row.
        protected: rows that must stay clean (planted people).
        born_before_1985, infant: row flags.
        dot_choices: middle-dot replacements the file's encoding can hold.
        extract: the extract the rows belong to (selects `DirtRates.by_extract`).
    """

    ids: pl.Series
    names: pl.Series
    villages: pl.Series | None
    formers: pl.Series
    codes: pl.Series
    protected: np.ndarray
    born_before_1985: np.ndarray
    infant: np.ndarray
    dot_choices: tuple[str, ...]
    extract: str = ""


def _eligibility(t: DirtTarget) -> dict[str, np.ndarray]:
    """Rows each kind can land on (before protection and one-kind-per-row)."""
    n = t.ids.len()
    ids = t.ids.fill_null("")
    every = np.ones(n, dtype=bool)
    has_village = t.villages is not None
    return {
        "infant_no_id": t.infant,
        "id_typo": every, "id_swap": every,
        "id_lower_x": ids.str.ends_with("X").to_numpy(),
        "id_fullwidth": every, "id_space": every,
        "id_scientific": every, "id_missing": every,
        "id_15": t.born_before_1985,
        "name_homophone": _has_any(t.names, HOMOPHONES),
        "name_lookalike": _has_any(t.names, LOOKALIKES),
        "name_traditional": _has_any(t.names, TRADITIONAL),
        "name_space": ~t.names.str.contains("·").to_numpy(),
        "name_dot": t.names.str.contains("·").to_numpy(),
        "name_changed": ~t.names.str.contains("·").to_numpy(),
        "village_variant": every & has_village,
        "village_former": (t.formers != "").to_numpy() & has_village,
        "village_code": every & has_village,
        "village_blank": every & has_village,
    }


def apply_dirt(rng: np.random.Generator, target: DirtTarget, rates: DirtRates,
               n_rows: int) -> tuple[dict[str, pl.Series], pl.DataFrame]:
    """Damage IDs, names and village text of one file's rows.

    Args:
        rng: the seeded generator.
        target: the file's clean rows.
        rates: dirt rates.
        n_rows: the number of rows (rate base).

    Returns:
        (new columns "id_number", "name", "village"; a frame row_index, field, kind, expect).
    """
    free = ~target.protected.copy()
    elig = _eligibility(target)
    cols = {"id_number": target.ids.clone(), "name": target.names.clone()}
    if target.villages is not None:
        cols["village"] = target.villages.clone()
    picked: list[tuple[np.ndarray, str]] = []
    for kind, mask in elig.items():
        rate = rates.rate(kind, target.extract)
        if rate <= 0:
            continue
        idx = np.flatnonzero(mask & free)
        base = int(mask.sum()) if kind == "infant_no_id" else n_rows
        n = min(int(rng.binomial(base, min(rate, 1.0))), idx.size)
        if n == 0:
            continue
        chosen = np.sort(rng.choice(idx, size=n, replace=False))
        free[chosen] = False
        picked.append((chosen, kind))
        _damage(rng, cols, target, chosen, kind)
    frames = [
        pl.DataFrame({"row_index": idx, "field": EXPECT[kind][0], "kind": kind,
                      "expect": EXPECT[kind][1]}, schema_overrides={"row_index": pl.Int64})
        for idx, kind in picked
    ]
    schema = {"row_index": pl.Int64, "field": pl.String, "kind": pl.String, "expect": pl.String}
    dirt = pl.concat(frames) if frames else pl.DataFrame(schema=schema)
    return cols, dirt


def _damage(rng: np.random.Generator, cols: dict[str, pl.Series], t: DirtTarget,
            idx: np.ndarray, kind: str) -> None:
    """Write the damaged values of `kind` into `cols` at rows `idx`."""
    if kind in _ID_DAMAGE:
        fn = _ID_DAMAGE[kind]
        values = [fn(v, rng) for v in cols["id_number"].gather(idx).to_list()]
        cols["id_number"] = cols["id_number"].scatter(idx, pl.Series(values, dtype=pl.String))
    elif kind in _NAME_DAMAGE or kind == "name_dot":
        old = cols["name"].gather(idx).to_list()
        if kind == "name_dot":
            subs = rng.integers(len(t.dot_choices), size=idx.size)
            values = [v.replace("·", t.dot_choices[s]) for v, s in zip(old, subs, strict=True)]
        else:
            values = [_NAME_DAMAGE[kind](v, rng) for v in old]
        cols["name"] = cols["name"].scatter(idx, pl.Series(values, dtype=pl.String))
    else:
        if kind == "village_variant":
            sfx = pl.Series(np.where(rng.random(idx.size) < 0.5, "村委会", "村民委员会"))
            values = cols["village"].gather(idx).str.strip_suffix("村") + sfx
        elif kind == "village_former":
            values = t.formers.gather(idx)
        elif kind == "village_blank":
            values = pl.Series([None] * idx.size, dtype=pl.String)
        else:
            values = t.codes.gather(idx)
        cols["village"] = cols["village"].scatter(idx, values)
