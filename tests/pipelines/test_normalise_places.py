"""Villages and townships to 12-digit codes with the region table."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.normalise.places import build_regions, resolve_places

REGION_ROWS = [
    ("411421000000", "某县", "县", None, None),
    ("411421101000", "城关镇", "乡镇", "411421000000", None),
    ("411421102000", "李庄乡", "乡镇", "411421000000", None),
    ("411421101001", "虹光村", "村", "411421101000", "红光村、新红村"),
    ("411421102001", "虹光村", "村", "411421102000", None),
    ("411421102002", "东风村", "村", "411421102000", None),
    ("411421102003", "解放社区", "村", "411421102000", None),
    ("411421102004", "西岭村", "村", "411421102000", "东风村"),
]


@pytest.fixture(scope="module")
def regions() -> pl.DataFrame:
    raw = pl.DataFrame(REGION_ROWS, orient="row",
                       schema=["code", "name", "level", "parent_code", "former_name"])
    return build_regions(raw)


def test_build_regions_levels_and_township_code(regions: pl.DataFrame) -> None:
    row = regions.filter(pl.col("code") == "411421102002").row(0, named=True)
    assert (row["level"], row["township_code"]) == ("village", "411421102000")
    assert regions.filter(pl.col("level") == "county")["township_code"].item() is None


@pytest.mark.parametrize(
    ("township", "village", "code", "village_code", "township_code", "check"),
    [
        ("李庄乡", "东风村", None, "411421102002", "411421102000", None),
        (None, "东风村委会", None, "411421102002", "411421102000", None),
        (None, "东风村民委员会", None, "411421102002", "411421102000", None),
        (None, "东 风", None, "411421102002", "411421102000", None),
        (None, "解放社区居委会", None, "411421102003", "411421102000", None),
        ("城关镇", "虹光村", None, "411421101001", "411421101000", None),
        ("李庄", "虹光村委会", None, "411421102001", "411421102000", None),
        (None, "虹光村", None, None, None, "village_ambiguous"),
        ("城关镇", "红光村", None, "411421101001", "411421101000", None),
        (None, "新红村", None, "411421101001", "411421101000", None),
        (None, None, "411421102002", "411421102002", "411421102000", None),
        (None, "411421102002", None, "411421102002", "411421102000", None),
        (None, None, "411421102002.0", "411421102002", "411421102000", None),
        (None, None, "411421109999", None, None, "village_code_unknown"),
        ("李庄乡", "不存在村", None, None, "411421102000", "village_unresolved"),
        (None, None, None, None, None, None),
    ],
)
def test_resolve_table(regions: pl.DataFrame, township: str | None, village: str | None,
                       code: str | None, village_code: str | None, township_code: str | None,
                       check: str | None) -> None:
    frame = pl.DataFrame(
        {"township_in": [township], "village_in": [village], "code_in": [code]},
        schema={c: pl.String for c in ("township_in", "village_in", "code_in")},
    )
    row = resolve_places(frame, regions).row(0, named=True)
    assert (row["village_code"], row["township_code"], row["place_check"]) == (
        village_code, township_code, check)
    assert row["village_raw"] == (village or code)


def test_current_name_wins_over_former_name(regions: pl.DataFrame) -> None:
    frame = pl.DataFrame({"township_in": [None], "village_in": ["东风村"], "code_in": [None]},
                         schema={c: pl.String for c in ("township_in", "village_in", "code_in")})
    assert resolve_places(frame, regions)["village_code"].item() == "411421102002"


def test_many_rows_keep_order(regions: pl.DataFrame) -> None:
    villages = ["东风村", "西岭村", None, "东风村", "虹光村"] * 3
    frame = pl.DataFrame({"township_in": ["李庄乡"] * 15, "village_in": villages,
                          "code_in": [None] * 15},
                         schema={c: pl.String for c in ("township_in", "village_in", "code_in")})
    out = resolve_places(frame, regions)
    assert out["village_in"].to_list() == villages
    assert out["village_code"].to_list()[:5] == [
        "411421102002", "411421102004", None, "411421102002", "411421102001"]
