"""Place names to matching keys: the name without its administrative form, and its kind.

The statistics bureau and the departments write one village in many forms: 虹光村民委员会,
虹光村委会, 虹光村村委会, 虹光行政村, 虹光村, 虹光; 东关社区居民委员会, 东关社区居委会, 东关社区,
东关居委会. Each form reduces to one *core* (虹光, 东关) and a *kind* (村 for a villagers'
committee, 居 for a residents' committee or 社区), in two steps:

1. the committee form (村民委员会, 居民委员会, 村委会, 居委会, 村委, 居委, 委员会) is dropped;
2. one unit word (社区, 行政村, 村, 嘎查) is dropped, but only while two characters remain: 张村
   (a village whose own name ends in 村) keeps its 村, so 张村村民委员会, 张村村委会 and 张村
   all reduce to 张村, never to 张.

When step 1 would leave a single character (张村委会), only the committee part after the unit
word is dropped (张村). Townships reduce the same way: the government body (人民政府, 办事处) is
dropped, then the unit (街道, 镇, 乡, 苏木) and an ethnic designation of a 民族乡 (槐店回族乡 →
槐店), each only while two characters remain; the kind is 街道, 镇 or 乡.
"""

from __future__ import annotations

import polars as pl

VILLAGE_COMMITTEE = r"(村民委员会|居民委员会|村委会|居委会|村委|居委|委员会)$"
VILLAGE_UNIT = r"(社区|行政村|村|嘎查)$"
TOWNSHIP_BODY = r"(人民政府|办事处|政府)$"
TOWNSHIP_UNIT = r"(街道|镇|乡|苏木)$"
ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|拉祜|水|"
    "东乡|纳西|景颇|柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|"
    "乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺"
)
ETHNIC_SUFFIX = rf"((?:{ETHNIC})族)+$"
ABOLISHED = r"[\[(（【]\s*已撤销\s*[\])）】]"
_KIND = {"村": "村", "居": "居", "社": "居", "行": "村", "嘎": "村"}


def place_text(expr: pl.Expr) -> pl.Expr:
    """Place name text for matching: NFKC, no whitespace, no ``[已撤销]`` mark.

    Args:
        expr: place names.

    Returns:
        String expression ("" stays "").
    """
    return (expr.str.normalize("NFKC").str.replace_all(r"\s+", "")
            .str.replace_all(ABOLISHED, ""))


def abolished(expr: pl.Expr) -> pl.Expr:
    """True where a name carries the statistics bureau's abolished mark (``[已撤销]``).

    Args:
        expr: place names as read.

    Returns:
        Boolean expression.
    """
    return expr.str.normalize("NFKC").str.contains(ABOLISHED).fill_null(False)


def _strip(frame: pl.DataFrame, col: str, pattern: str, out: str, keep: int = 2) -> pl.DataFrame:
    """Add ``out`` (``col`` without the suffix where at least ``keep`` characters remain)
    and ``out + "_sfx"`` (the suffix stripped, else null). Steps are materialised one by one:
    nested expressions would repeat their inputs at every level."""
    text = pl.col(col)
    frame = frame.with_columns(text.str.extract(pattern, 0).alias("_s"))
    frame = frame.with_columns(
        text.str.slice(0, text.str.len_chars() - pl.col("_s").str.len_chars()).alias("_r"))
    ok = pl.col("_s").is_not_null() & (pl.col("_r").str.len_chars() >= keep)
    return frame.with_columns(
        pl.when(ok).then(pl.col("_r")).otherwise(text).alias(out),
        pl.when(ok).then(pl.col("_s")).alias(f"{out}_sfx"),
    ).drop("_s", "_r")


def _committee(frame: pl.DataFrame) -> pl.DataFrame:
    """Step 1: drop the committee form; a lone character keeps the unit word (张村委会 → 张村)."""
    text = pl.col("_t")
    frame = frame.with_columns(text.str.extract(VILLAGE_COMMITTEE, 1).alias("_s"))
    frame = frame.with_columns(
        text.str.slice(0, text.str.len_chars() - pl.col("_s").str.len_chars()).alias("_r"),
        pl.col("_s").str.slice(0, 1).alias("_u"),
    )
    short, unit_led = pl.col("_r").str.len_chars() < 2, pl.col("_u").is_in(["村", "居"])
    return frame.with_columns(
        pl.when(pl.col("_s").is_null()).then(text)
        .when(short & unit_led).then(pl.col("_r") + pl.col("_u"))
        .when(short).then(text)
        .otherwise(pl.col("_r")).alias("_step1"),
        pl.when(unit_led).then(pl.col("_u")).alias("_kind1"),
    ).drop("_s", "_r", "_u")


def _unique_text(values: pl.Series) -> pl.DataFrame:
    """value -> _t (:func:`place_text`) for each unique value."""
    uniq = values.cast(pl.String).unique().drop_nulls().to_frame("value")
    return uniq.with_columns(place_text(pl.col("value")).alias("_t"))


def village_parts(values: pl.Series) -> pl.DataFrame:
    """The core and kind of village names, one row per unique name.

    Args:
        values: village names as written.

    Returns:
        ``value``, ``core`` (null for an empty name) and ``kind`` ("村", "居" or null when
        the name does not say).
    """
    frame = _strip(_committee(_unique_text(values)), "_step1", VILLAGE_UNIT, "_core")
    unit = pl.col("_step1").str.extract(VILLAGE_UNIT, 0)  # 张村 says 村 even when it keeps it
    kind2 = unit.str.slice(0, 1).replace_strict(_KIND, default=None, return_dtype=pl.String)
    return frame.select(
        "value",
        pl.when(pl.col("_core").str.len_chars() > 0).then(pl.col("_core")).alias("core"),
        pl.coalesce(pl.col("_kind1"), kind2).alias("kind"),
    )


def township_parts(values: pl.Series) -> pl.DataFrame:
    """The core and kind of township names, one row per unique name.

    Args:
        values: township names as written.

    Returns:
        ``value``, ``core`` and ``kind`` ("街道", "镇", "乡", "苏木" or null).
    """
    frame = _strip(_unique_text(values), "_t", TOWNSHIP_BODY, "_body")
    frame = _strip(frame, "_body", TOWNSHIP_UNIT, "_unit")
    frame = _strip(frame, "_unit", ETHNIC_SUFFIX, "_core")
    office = pl.when(pl.col("_body_sfx") == "办事处").then(pl.lit("街道"))
    return frame.select(
        "value",
        pl.when(pl.col("_core").str.len_chars() > 0).then(pl.col("_core")).alias("core"),
        pl.coalesce(pl.col("_unit_sfx"), office).alias("kind"),
    )


def kind_from_code(code: pl.Expr) -> pl.Expr:
    """Village kind from the village segment of a 12-digit code (001-199 居, 200-399 村).

    Args:
        code: 12-digit codes.

    Returns:
        "居", "村" or null.
    """
    seg = code.str.slice(9, 3).cast(pl.Int32, strict=False)
    return pl.when(seg.is_between(1, 199)).then(pl.lit("居")).when(
        seg.is_between(200, 399)).then(pl.lit("村"))


def township_kind_from_code(code: pl.Expr) -> pl.Expr:
    """Township kind from the township segment (0xx 街道, 1xx 镇, 2xx-3xx 乡).

    Args:
        code: 12-digit codes.

    Returns:
        "街道", "镇", "乡" or null.
    """
    first = code.str.slice(6, 1)
    return (pl.when(first == "0").then(pl.lit("街道")).when(first == "1").then(pl.lit("镇"))
            .when(first.is_in(["2", "3"])).then(pl.lit("乡")))
