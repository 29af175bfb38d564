"""Villages and townships to 12-digit statistical division codes, using the region table.

Names are compared on a key without the administrative suffix (虹光村 / 虹光村委会 /
虹光村民委员会 → 虹光); former names (曾用名) resolve to the current code; when a village
name repeats across townships, the township written beside it decides.
"""

from __future__ import annotations

import polars as pl

from pipelines.domain.extracts import REGION_LEVELS

VILLAGE_SUFFIX = r"(村民委员会|居民委员会|社区居委会|村委会|居委会|村委|社区|村)$"
TOWNSHIP_SUFFIX = r"(人民政府|街道办事处|办事处|街道|镇|乡)$"
FORMER_SPLIT = r"[、,，;；/|]"

PLACE_REASONS = {
    "village_unresolved": "village not found in the region table",
    "village_ambiguous": (
        "village name exists in several townships and the township does not say which"
    ),
    "village_code_unknown": "village code is not in the region table",
}


def _key(expr: pl.Expr, suffix: str) -> pl.Expr:
    text = expr.str.normalize("NFKC").str.replace_all(r"\s+", "")
    return text.str.replace(suffix, "")


def village_key(expr: pl.Expr) -> pl.Expr:
    """Village name without spaces and administrative suffix (the matching key).

    Args:
        expr: village names.

    Returns:
        String expression.
    """
    return _key(expr, VILLAGE_SUFFIX)


def township_key(expr: pl.Expr) -> pl.Expr:
    """Township name without spaces and administrative suffix.

    Args:
        expr: township names.

    Returns:
        String expression.
    """
    return _key(expr, TOWNSHIP_SUFFIX)


def clean_code(expr: pl.Expr) -> pl.Expr:
    """Division code text: trim, drop a trailing ``.0``, keep 12-digit codes only.

    Args:
        expr: codes as read.

    Returns:
        12-digit code or null.
    """
    text = expr.str.normalize("NFKC").str.strip_chars().str.replace(r"\.0+$", "")
    return pl.when(text.str.contains(r"^\d{12}$")).then(text)


def build_regions(mapped: pl.DataFrame) -> pl.DataFrame:
    """The region table from a mapped 行政区划 grid.

    Args:
        mapped: frame with code, name, level, parent_code, former_name (text).

    Returns:
        code, name, level (county/township/village), parent_code, township_code, former_name.
    """
    level = (
        pl.col("level").str.strip_chars()
        .replace_strict(REGION_LEVELS, default=pl.col("level").str.strip_chars())
    )
    code = clean_code(pl.col("code"))
    return mapped.select(
        code.alias("code"),
        pl.col("name").str.strip_chars().alias("name"),
        level.alias("level"),
        clean_code(pl.col("parent_code")).alias("parent_code"),
        pl.when(level == "village").then(code.str.slice(0, 9) + pl.lit("000"))
        .when(level == "township").then(code).alias("township_code"),
        pl.col("former_name").str.strip_chars().alias("former_name"),
    ).filter(pl.col("code").is_not_null())


def _village_lookup(regions: pl.DataFrame) -> pl.DataFrame:
    """key -> village code, township code, priority (0 current name, 1 former name)."""
    villages = regions.filter(pl.col("level") == "village")
    current = villages.select(
        village_key(pl.col("name")).alias("_vkey"), "code", "township_code",
        pl.lit(0).alias("_prio"),
    )
    former = (
        villages.select(
            pl.col("former_name").str.replace_all(FORMER_SPLIT, "、").str.split("、").alias("_f"),
            "code", "township_code",
        )
        .explode("_f")
        .filter(pl.col("_f").str.strip_chars().fill_null("") != "")
        .select(village_key(pl.col("_f")).alias("_vkey"), "code", "township_code",
                pl.lit(1).alias("_prio"))
    )
    return pl.concat([current, former]).unique()


def resolve_places(frame: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """Add ``township_code``, ``village_code``, ``village_raw`` and ``place_check``.

    Args:
        frame: with String columns ``township_in``, ``village_in``, ``code_in`` (any may be
            null).
        regions: the region table (see :func:`build_regions`).

    Returns:
        The frame with the resolved codes; ``place_check`` names the problem
        (``village_unresolved``, ``village_ambiguous``, ``village_code_unknown``) or is null.
    """
    keys = ["township_in", "village_in", "code_in"]
    combos = frame.select(keys).unique()
    resolved = _resolve_unique(combos, regions)
    added = [c for c in resolved.columns if c not in keys]
    if set(added) & set(frame.columns):
        return frame.join(resolved, on=keys, how="left", nulls_equal=True,
                          maintain_order="left")
    looked_up = frame.select(keys).join(
        resolved, on=keys, how="left", nulls_equal=True, maintain_order="left"
    )
    return frame.with_columns(looked_up.select(added).get_columns())


def _resolve_unique(combos: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    village_codes = regions.filter(pl.col("level") == "village")["code"]
    code_written = pl.coalesce(clean_code(pl.col("code_in")), clean_code(pl.col("village_in")))
    combos = combos.with_row_index("_combo").with_columns(
        code_written.alias("_code"),
        village_key(pl.col("village_in")).alias("_vkey"),
        township_key(pl.col("township_in")).alias("_tkey"),
    )
    by_name = _match_names(combos, regions)
    township_names = regions.filter(pl.col("level") == "township").select(
        township_key(pl.col("name")).alias("_tkey"), pl.col("code").alias("_tcode")
    ).unique("_tkey", keep="first")
    out = (
        combos.join(by_name, on="_combo", how="left")
        .join(township_names, on="_tkey", how="left")
        .with_columns(
            pl.when(pl.col("_code").is_in(village_codes.implode()))
            .then(pl.col("_code")).otherwise(pl.col("_name_code")).alias("village_code")
        )
        .with_columns(
            pl.coalesce(pl.col("village_code").str.slice(0, 9) + pl.lit("000"), "_tcode")
            .alias("township_code"),
            pl.coalesce("village_in", "code_in").alias("village_raw"),
            pl.when(pl.col("village_code").is_not_null()).then(None)
            .when(pl.col("_code").is_not_null() & pl.col("_name_code").is_null()
                  & pl.col("_vkey").fill_null("").eq(""))
            .then(pl.lit("village_code_unknown"))
            .when(pl.col("_n") > 1).then(pl.lit("village_ambiguous"))
            .when(pl.coalesce("village_in", "code_in").is_not_null())
            .then(pl.lit("village_unresolved"))
            .alias("place_check"),
        )
    )
    return out.select("township_in", "village_in", "code_in", "township_code", "village_code",
                      "village_raw", "place_check")


def _match_names(combos: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """_combo -> _name_code (unique match by village key, township as tie-break), _n."""
    lookup = _village_lookup(regions)
    township_of = regions.filter(pl.col("level") == "township").select(
        pl.col("code").alias("township_code"), township_key(pl.col("name")).alias("_cand_tkey")
    )
    cands = (
        combos.filter(pl.col("_vkey").fill_null("") != "")
        .select("_combo", "_vkey", "_tkey")
        .join(lookup, on="_vkey", how="inner")
        .join(township_of, on="township_code", how="left")
        .filter(pl.col("_prio") == pl.col("_prio").min().over("_combo"))
        .with_columns(
            (pl.col("_tkey").is_not_null() & (pl.col("_tkey") == pl.col("_cand_tkey")))
            .alias("_tmatch")
        )
        .with_columns(pl.col("_tmatch").any().over("_combo").alias("_any_t"))
        .filter(~pl.col("_any_t") | pl.col("_tmatch"))
    )
    return cands.group_by("_combo").agg(
        pl.col("code").unique().alias("_codes")
    ).select(
        "_combo",
        pl.when(pl.col("_codes").list.len() == 1).then(pl.col("_codes").list.first())
        .alias("_name_code"),
        pl.col("_codes").list.len().alias("_n"),
    )
