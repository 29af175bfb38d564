"""The county's division table (统计用区划代码) from a mapped region grid.

Accepted layouts: the statistics bureau's (统计用区划代码, [城乡分类代码,] 名称: no level and no
parent column), English-headed tables (code, name, level, parent_code), and tables with
Chinese level and parent columns. The code decides: codes of 2, 4, 6 or 9 digits (truncated
copies) are padded to 12, the level is read from which segments are zero (xx0000000000
province, xxxx00000000 city, xxxxxx000000 county, xxxxxxxxx000 township, else village) and
the parent from the code when no parent is given. A level column, if any, is not needed.

The table keeps the county and below. Rows set aside, each with its reason: province and city
rows (``region_above_county``), rows the bureau marks ``[已撤销]`` (``region_abolished``: name
them as a former name of their successor instead), codes that are not a division code
(``code_12_digits``), rows without a name (``region_no_name``) and a code listed twice in one
sheet (``region_duplicate``).
"""

from __future__ import annotations

import polars as pl

from pipelines.normalise.placenames import abolished

LEVELS = ("province", "city", "county", "township", "village")
KEPT_LEVELS = ("county", "township", "village")
REGION_REASONS = {
    "code_12_digits": (
        "division code is not a statistical division code (12 digits; 2/4/6/9 are padded); "
        "a code written like 1.1E+11 has lost its digits"),
    "region_above_county": "province or city row: the region table keeps the county and below",
    "region_abolished": (
        "marked abolished ([已撤销]): not a current place; give it as a former name (曾用名) "
        "of the village that took over"),
    "region_no_name": "region row without a name",
    "region_duplicate": "division code listed twice in one sheet (first row kept)",
}
_ZEROS = {"province": 10, "city": 8, "county": 6, "township": 3}
_PARENT_KEEP = {"city": 2, "county": 4, "township": 6, "village": 9}


def region_code(expr: pl.Expr) -> pl.Expr:
    """Division code as read (text or number) to 12 digits, or null.

    Full-width digits, spaces, quotes, ``="…"`` and a trailing ``.0`` are dropped; 2/4/6/9-digit
    codes are padded with zeros; anything else (``1.10101E+11``) is null.

    Args:
        expr: codes as read.

    Returns:
        12-digit code or null.
    """
    text = (expr.str.normalize("NFKC").str.replace_all(r"[\s\"'=]", "")
            .str.replace(r"\.0+$", ""))
    ok = text.str.contains(r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$")
    return pl.when(ok).then(text.str.pad_end(12, "0"))


def clean_code(expr: pl.Expr) -> pl.Expr:
    """A 12-digit code written in an extract (trimmed, ``.0`` dropped), or null.

    Args:
        expr: codes as written beside a person.

    Returns:
        12-digit code or null.
    """
    text = expr.str.normalize("NFKC").str.strip_chars().str.replace(r"\.0+$", "")
    return pl.when(text.str.contains(r"^\d{12}$")).then(text)


def code_level(code: pl.Expr) -> pl.Expr:
    """Level of 12-digit codes: province, city, county, township or village.

    Args:
        code: 12-digit codes.

    Returns:
        String expression (null for a null code or 000000000000).
    """
    out = pl.when(code.is_null() | (code == "0" * 12)).then(None)
    for level, zeros in _ZEROS.items():
        out = out.when(code.str.ends_with("0" * zeros)).then(pl.lit(level))
    return out.otherwise(pl.lit("village"))


def code_parent(code: pl.Expr, level: pl.Expr) -> pl.Expr:
    """Parent code read from a code: its last non-zero segment zeroed.

    Args:
        code: 12-digit codes.
        level: their levels (see :func:`code_level`).

    Returns:
        12-digit parent code (null for a province).
    """
    (first, keep), *rest = _PARENT_KEEP.items()
    out = pl.when(level == first).then(code.str.slice(0, keep).str.pad_end(12, "0"))
    for lvl, digits in rest:
        out = out.when(level == lvl).then(code.str.slice(0, digits).str.pad_end(12, "0"))
    return out


def _set_aside() -> pl.Expr:
    """The check a region row is set aside by, or null when it is kept."""
    name = pl.col("name").str.strip_chars().fill_null("")
    return (
        pl.when(pl.col("_code").is_null()).then(pl.lit("code_12_digits"))
        .when(name == "").then(pl.lit("region_no_name"))
        .when(abolished(pl.col("name"))).then(pl.lit("region_abolished"))
        .when(~pl.col("_level").is_in(KEPT_LEVELS)).then(pl.lit("region_above_county"))
        .when(pl.col("_code").is_duplicated() & (pl.col("row_number") != pl.col("row_number")
                                                 .min().over("_code")))
        .then(pl.lit("region_duplicate"))
    )


def region_rows(mapped: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The region table from a mapped region grid, and the rows set aside.

    Args:
        mapped: ``row_number`` and text columns code, name and, when present, parent_code and
            former_name (level is not needed).

    Returns:
        (regions: code, name, level (county/township/village), parent_code, township_code,
        former_name; set-aside rows: row_number, column, check, reason, value_masked).
    """
    mapped = mapped.with_columns(pl.col(c).cast(pl.String) for c in mapped.columns
                                 if c != "row_number")
    cols = set(mapped.columns)
    text = {c: pl.col(c) if c in cols else pl.lit(None, pl.String)
            for c in ("parent_code", "former_name")}
    code = pl.col("_code")
    tagged = mapped.with_columns(region_code(pl.col("code")).alias("_code")).with_columns(
        code_level(code).alias("_level")).with_columns(_set_aside().alias("_check"))
    kept = tagged.filter(pl.col("_check").is_null())
    level = pl.col("_level")
    regions = kept.select(
        code.alias("code"),
        pl.col("name").str.strip_chars().alias("name"),
        level.alias("level"),
        pl.coalesce(region_code(text["parent_code"]), code_parent(code, level))
        .alias("parent_code"),
        pl.when(level == "village").then(code.str.slice(0, 9) + pl.lit("000"))
        .when(level == "township").then(code).alias("township_code"),
        pl.when(text["former_name"].str.strip_chars() != "")
        .then(text["former_name"].str.strip_chars()).alias("former_name"),
    )
    aside = tagged.filter(pl.col("_check").is_not_null()).select(
        "row_number",
        pl.when(pl.col("_check") == "code_12_digits").then(pl.lit("code"))
        .otherwise(pl.lit("name")).alias("column"),
        pl.col("_check").alias("check"),
        pl.col("_check").replace_strict(REGION_REASONS, default=None, return_dtype=pl.String)
        .alias("reason"),
        pl.when(pl.col("_check") == "code_12_digits").then(pl.col("code"))
        .otherwise(pl.col("name")).alias("value_masked"),
    )
    return regions, aside


def build_regions(mapped: pl.DataFrame) -> pl.DataFrame:
    """The region table from a mapped region grid (rows set aside are dropped).

    Args:
        mapped: see :func:`region_rows`; a ``row_number`` column is added when missing.

    Returns:
        code, name, level, parent_code, township_code, former_name.
    """
    if "row_number" not in mapped.columns:
        mapped = mapped.with_row_index("row_number", offset=1)
    return region_rows(mapped)[0]
