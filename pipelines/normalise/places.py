"""Villages and townships to 12-digit statistical division codes, using the region table.

Names are compared by their core and kind (:mod:`pipelines.normalise.placenames`): 虹光村,
虹光村委会, 虹光村村委会 and 虹光村民委员会 are one village; 水口居委会 and 水口村委会 are two. A
village is looked for in the township written beside it (the same name repeats across
townships); a former name (曾用名) resolves to the current code, a current name wins over a
former one. A name that still fits several villages is reported as ambiguous, never guessed;
a village found only in another township than the one written is reported, never moved.
All work is on the unique (township, village, code) combinations, joined back.
"""

from __future__ import annotations

import polars as pl

from pipelines.normalise.placenames import (
    TOWNSHIP_BODY,
    TOWNSHIP_UNIT,
    kind_from_code,
    place_text,
    township_kind_from_code,
    township_parts,
    village_parts,
)
from pipelines.normalise.regions import build_regions, clean_code, region_rows

__all__ = ["PLACE_REASONS", "build_regions", "clean_code", "region_rows", "resolve_places"]

FORMER_SPLIT = r"[、,，;；/|]"
# a township's full name ends in its unit (镇 …) or its body (办事处 …)
TOWNSHIP_FULL = rf"({TOWNSHIP_UNIT[1:-2]}|{TOWNSHIP_BODY[1:-2]})$"
_KEYS = ["township_in", "village_in", "code_in"]

PLACE_REASONS = {
    "village_unresolved": "village not found in the region table",
    "village_ambiguous": (
        "village name fits several villages and the township or the name's form "
        "(村/社区/居委会) does not say which"
    ),
    "village_not_in_township": (
        "village exists in the region table, but not in the township written beside it"
    ),
    "village_code_unknown": "village code is not in the region table",
}


def _names(frame: pl.DataFrame, level: str) -> pl.DataFrame:
    """code, township_code, name per current name (prio 0) and former name (prio 1)."""
    rows = frame.filter(pl.col("level") == level)
    current = rows.select("code", "township_code", pl.col("name").alias("_n"),
                          pl.lit(0).alias("_prio"))
    former = (
        rows.select("code", "township_code",
                    pl.col("former_name").fill_null("").str.replace_all(FORMER_SPLIT, "、")
                    .str.split("、")
                    .alias("_n"))
        .explode("_n")
        .filter(pl.col("_n").str.strip_chars() != "")
        .select("code", "township_code", "_n", pl.lit(1).alias("_prio"))
    )
    return pl.concat([current, former])


def _with_parts(frame: pl.DataFrame, col: str, parts) -> pl.DataFrame:
    """Join the core and kind of ``col`` (``_core``, ``_kind``), worked out per unique name."""
    found = parts(frame[col]).rename({"value": col, "core": "_core", "kind": "_kind"})
    return frame.join(found, on=col, how="left", nulls_equal=True)


def _village_lookup(regions: pl.DataFrame) -> pl.DataFrame:
    """_core -> code, township_code, _kind (name's, else the code's), _prio."""
    names = _with_parts(_names(regions, "village"), "_n", village_parts)
    return names.select(
        "_core", "code", "township_code",
        pl.coalesce("_kind", kind_from_code(pl.col("code"))).alias("_kind"), "_prio",
    ).filter(pl.col("_core").is_not_null()).unique()


def _township_lookup(regions: pl.DataFrame) -> pl.DataFrame:
    """_core -> _tcode, _kind, _prio for every township name and former name."""
    names = _with_parts(_names(regions, "township"), "_n", township_parts)
    return names.select(
        "_core", pl.col("code").alias("_tcode"),
        pl.coalesce("_kind", township_kind_from_code(pl.col("code"))).alias("_kind"), "_prio",
    ).filter(pl.col("_core").is_not_null()).unique()


def _narrow(cands: pl.DataFrame, key: str, code: str) -> pl.DataFrame:
    """Keep the best candidates per ``key``: lowest priority, then the written kind."""
    kind_fits = pl.col("_kind") == pl.col("_want")
    return (
        cands.filter(pl.col("_prio") == pl.col("_prio").min().over(key))
        .with_columns(kind_fits.fill_null(False).any().over(key).alias("_any_kind"))
        .filter(~pl.col("_any_kind") | kind_fits.fill_null(False))
        .group_by(key).agg(pl.col(code).unique().alias("_codes"))
        .select(key, pl.when(pl.col("_codes").list.len() == 1)
                .then(pl.col("_codes").list.first()).alias(code),
                pl.col("_codes").list.len().alias("_n"))
    )


def _townships(combos: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """_combo -> _tcode: the township written, when exactly one township fits it."""
    cands = (
        _with_parts(combos.select("_combo", "township_in"), "township_in", township_parts)
        .select("_combo", "_core", pl.col("_kind").alias("_want"))
        .filter(pl.col("_core").is_not_null())
        .join(_township_lookup(regions), on="_core")
    )
    return _narrow(cands, "_combo", "_tcode").select("_combo", "_tcode")


def _villages(combos: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """_combo -> _name_code (one village fits), _n (how many fit), _elsewhere (only in
    other townships than the one written)."""
    cands = combos.select(
        "_combo", "_tcode", pl.col("_vcore").alias("_core"), "_want",
    ).filter(pl.col("_core").is_not_null()).join(_village_lookup(regions), on="_core")
    in_town = pl.col("township_code") == pl.col("_tcode")
    cands = cands.with_columns(
        in_town.fill_null(False).any().over("_combo").alias("_any_in"),
    )
    elsewhere = cands.filter(pl.col("_tcode").is_not_null() & ~pl.col("_any_in")).select(
        "_combo").unique().with_columns(pl.lit(True).alias("_elsewhere"))
    kept = cands.filter(pl.col("_tcode").is_null() | in_town)
    return _narrow(kept.rename({"code": "_name_code"}), "_combo", "_name_code").join(
        elsewhere, on="_combo", how="full", coalesce=True)


def _check(known: pl.Expr) -> pl.Expr:
    """The place problem of a resolved combination, null when there is none."""
    written = pl.coalesce("village_in", "code_in").is_not_null()
    return (
        pl.when(pl.col("village_code").is_not_null()).then(None)
        .when(pl.col("_code").is_not_null() & ~known & pl.col("_vcore").is_null())
        .then(pl.lit("village_code_unknown"))
        .when(pl.col("_n").fill_null(0) > 1).then(pl.lit("village_ambiguous"))
        .when(pl.col("_elsewhere").fill_null(False)).then(pl.lit("village_not_in_township"))
        .when(written).then(pl.lit("village_unresolved"))
    )


def _township_prefix(combos: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """Split a township written in front of the village when no township is written beside
    it (城关镇虹光村民委员会, 西城街道办事处东关社区).

    The prefix must be a township's full name (with its unit 镇/乡/街道/苏木 or its body 办事处/
    人民政府, current or former) that leaves at least two characters; when names of two
    townships fit, the longest wins, and a tie between two townships splits nothing.
    """
    names = _names(regions, "township").select(pl.col("_n").alias("_form"), "code")
    bare = names.with_columns(pl.col("_form").str.replace(TOWNSHIP_BODY, ""))
    forms = (
        pl.concat([names, bare]).with_columns(place_text(pl.col("_form")).alias("_form"))
        .filter(pl.col("_form").str.contains(TOWNSHIP_FULL)).unique()
    )
    todo = combos.filter(pl.col("township_in").is_null() & pl.col("village_in").is_not_null()
                         ).select("_combo", place_text(pl.col("village_in")).alias("_v"))
    if not todo.height or not forms.height:
        return combos
    hits = (
        todo.join(forms, how="cross")
        .filter(pl.col("_v").str.starts_with(pl.col("_form"))
                & (pl.col("_v").str.len_chars() - pl.col("_form").str.len_chars() >= 2))
        .with_columns(pl.col("_form").str.len_chars().alias("_len"))
        .filter(pl.col("_len") == pl.col("_len").max().over("_combo"))
        .filter(pl.col("code").n_unique().over("_combo") == 1)
        .unique("_combo")
        .select("_combo", "_form",
                pl.col("_v").str.slice(pl.col("_form").str.len_chars()).alias("_rest"))
    )
    return combos.join(hits, on="_combo", how="left").with_columns(
        pl.coalesce("_form", "township_in").alias("township_in"),
        pl.coalesce("_rest", "village_in").alias("village_in"),
    ).drop("_form", "_rest")


def _resolve_unique(combos: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """Resolve each unique (township_in, village_in, code_in) combination."""
    village_codes = regions.filter(pl.col("level") == "village")["code"].implode()
    combos = combos.with_row_index("_combo").with_columns(
        pl.col("township_in").alias("_t_as_written"), pl.col("village_in").alias("_v_as_written"))
    combos = _township_prefix(combos, regions)
    combos = _with_parts(combos, "village_in", village_parts)
    combos = combos.with_columns(
        pl.coalesce(clean_code(pl.col("code_in")), clean_code(pl.col("village_in")))
        .alias("_code"),
        pl.when(clean_code(pl.col("village_in")).is_null()).then(pl.col("_core")).alias("_vcore"),
        pl.col("_kind").alias("_want"),
    ).drop("_core", "_kind")
    combos = combos.join(_townships(combos, regions), on="_combo", how="left")
    known = pl.col("_code").is_in(village_codes)
    out = (
        combos.join(_villages(combos.filter(pl.col("_code").is_null() | ~known), regions),
                    on="_combo", how="left")
        .with_columns(
            pl.when(known).then(pl.col("_code")).otherwise(pl.col("_name_code"))
            .alias("village_code"))
        .with_columns(
            pl.coalesce(pl.col("village_code").str.slice(0, 9) + pl.lit("000"), "_tcode")
            .alias("township_code"),
            pl.coalesce("_v_as_written", "code_in").alias("village_raw"),
            _check(known).alias("place_check"),
        )
        .with_columns(township_in="_t_as_written", village_in="_v_as_written")
    )
    return out.select(*_KEYS, "township_code", "village_code", "village_raw", "place_check")


def resolve_places(frame: pl.DataFrame, regions: pl.DataFrame) -> pl.DataFrame:
    """Add ``township_code``, ``village_code``, ``village_raw`` and ``place_check``.

    Args:
        frame: with String columns ``township_in``, ``village_in``, ``code_in`` (any may be
            null).
        regions: the region table (see :func:`build_regions`).

    Returns:
        The frame with the resolved codes; ``place_check`` names the problem (a key of
        ``PLACE_REASONS``) or is null.
    """
    combos = frame.select(_KEYS).unique()
    resolved = _resolve_unique(combos, regions)
    added = [c for c in resolved.columns if c not in _KEYS]
    if set(added) & set(frame.columns):
        return frame.join(resolved, on=_KEYS, how="left", nulls_equal=True,
                          maintain_order="left")
    looked_up = frame.select(_KEYS).join(
        resolved, on=_KEYS, how="left", nulls_equal=True, maintain_order="left"
    )
    return frame.with_columns(looked_up.select(added).get_columns())
