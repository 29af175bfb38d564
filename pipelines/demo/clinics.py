"""The demo county's village clinic list (村卫生室): most villages have one, a few have two.

Drawn from its own generator (seeded from the county's seed), so writing it leaves every other
landing file as it was.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from pipelines.demo.places import Places

CLINIC_FILE = "卫健局_村卫生室名单.csv"
COVERAGE = 0.85
SECOND = 0.05


def clinic_list(places: Places, seed: int) -> pl.DataFrame:
    """The clinic list: about 85% of villages have a clinic, 5% of those a second one.

    Args:
        places: the county's places.
        seed: the county's seed.

    Returns:
        卫生室名称, 机构编码, 乡镇, 行政村, 托管医院 (one row per clinic), in village order.
    """
    rng = np.random.default_rng([seed, 20, 11])
    villages = places.villages.sort("village_code")
    n = villages.height
    has = rng.random(n) < COVERAGE
    two = has & (rng.random(n) < SECOND)
    rows = villages.with_columns(clinics=pl.Series(has.astype(int) + two.astype(int)))
    rows = rows.filter(pl.col("clinics") > 0)
    rows = rows.gather(np.repeat(np.arange(rows.height), rows["clinics"].to_numpy())
                       ).with_columns(k=pl.int_range(pl.len()).over("village_code"))
    return rows.select(
        卫生室名称=pl.col("short") + pl.when(pl.col("k") == 0).then(pl.lit("卫生室"))
        .otherwise(pl.lit("第二卫生室")),
        机构编码=pl.lit("PDY") + pl.col("village_code").str.slice(6, 6)
        + pl.col("k").cast(pl.String),
        乡镇=pl.col("township_name"),
        行政村=pl.col("short"),
        托管医院=pl.col("township_name") + pl.lit("卫生院"),
    )


def write_clinic_list(places: Places, seed: int, landing: Path) -> int:
    """Write the clinic list into the landing folder (UTF-8 CSV).

    Args:
        places: the county's places.
        seed: the county's seed.
        landing: the landing folder.

    Returns:
        Clinics written.
    """
    frame = clinic_list(places, seed)
    frame.write_csv(landing / CLINIC_FILE)
    return frame.height
