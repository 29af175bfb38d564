"""The statistics bureau's division table for the county (统计用区划代码 / 城乡分类代码 / 名称),
as a county clerk keeps it after copying it from the bureau's pages into Excel: the codes
became numbers, townships carry no 城乡分类代码, villages are in their committee form.
"""

from __future__ import annotations

import polars as pl

from benchmarks.foreign_county.common import Context
from benchmarks.foreign_county.layout import KEY, KIND, NUM, Column, Extract, Sheet

REGION_COLUMNS = [
    Column("统计用区划代码", "statistical division code"),
    Column("城乡分类代码", "urban-rural classification code", "urban_rural_code"),
    Column("名称", "division name"),
]


def region_table(ctx: Context) -> Extract:
    """County row, then each township followed by its villages."""
    county = ctx.county
    towns = county.townships.select(
        pl.col("township_code").alias("code"), pl.lit(None, dtype=pl.String).alias("class"),
        pl.col("township_name").alias("name"), pl.col("township_code").alias("order"))
    villages = county.villages.select(
        pl.col("village_code").alias("code"), pl.col("urban_rural").alias("class"),
        pl.col("committee").alias("name"), pl.col("village_code").alias("order"))
    head = pl.DataFrame({"code": [f"{county.code}000000"], "class": [None],
                         "name": [county.name], "order": ["0"]},
                        schema={"code": pl.String, "class": pl.String, "name": pl.String,
                                "order": pl.String})
    rows = pl.concat([head, towns, villages]).sort("order")
    body = rows.select(
        (pl.lit(NUM) + pl.col("code")).alias("统计用区划代码"),
        pl.col("class").alias("城乡分类代码"), pl.col("name").alias("名称"),
        pl.lit(None, dtype=pl.String).alias(KEY), pl.lit("place").alias(KIND))
    title = [f"{ctx.as_of.year - 1}年统计用区划代码和城乡划分代码  {county.province}"
             f"{county.city}{county.name}"]
    return Extract(f"{county.name}区划代码.xlsx", "xlsx", "statistics",
                   [Sheet("Sheet1", REGION_COLUMNS, body, title)])
