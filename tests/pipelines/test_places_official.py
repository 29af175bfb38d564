"""The region table as the statistics bureau publishes it, and every form departments write."""

from __future__ import annotations

import polars as pl
import pytest

from pipelines.normalise.places import resolve_places
from pipelines.normalise.regions import build_regions, code_level, region_code, region_rows

# 统计用区划代码, 城乡分类代码, 名称: a county's download, with the province and city above it.
NBS = [
    ("410000000000", "", "河南省"),
    ("411400000000", "", "商丘市"),
    ("411421000000", "", "民权县"),
    ("411421001000", "", "城关街道办事处"),
    ("411421001001", "111", "东关社区居民委员会"),
    ("411421001002", "111", "北街社区居委会"),
    ("411421102000", "", "槐店回族乡"),
    ("411421102001", "121", "水口居委会"),
    ("411421102208", "220", "水口村委会"),
    ("411421102201", "220", "友爱村村民委员会"),
    ("411421102202", "220", "长发村民委员会"),
    ("411421102203", "220", "张村村民委员会"),
    ("411421102204", "220", "张庄村民委员会"),
    ("411421102205", "220", "王湾村民委员会"),
    ("411421103000", "", "城关镇"),
    ("411421103201", "220", "王湾村民委员会"),
    ("411421103202", "220", "虹光村民委员会"),
    ("411421103203", "220", "新村村民委员会"),
    ("411421103204", "220", "长发村民委员会 [已撤销]"),
]


@pytest.fixture(scope="module")
def regions() -> pl.DataFrame:
    raw = pl.DataFrame(NBS, orient="row", schema=["code", "urban_rural", "name"])
    return build_regions(raw.with_columns(pl.lit(None, pl.String).alias("former_name")))


def resolve(regions: pl.DataFrame, township: str | None, village: str | None) -> dict:
    frame = pl.DataFrame({"township_in": [township], "village_in": [village],
                          "code_in": [None]},
                         schema={c: pl.String for c in ("township_in", "village_in", "code_in")})
    return resolve_places(frame, regions).row(0, named=True)


def test_nbs_table_levels_parents_and_set_aside(regions: pl.DataFrame) -> None:
    raw = pl.DataFrame(NBS, orient="row", schema=["code", "urban_rural", "name"])
    table, aside = region_rows(raw.with_row_index("row_number", offset=2))
    assert table.height == len(NBS) - 3
    assert dict(table.group_by("level").len().iter_rows()) == {
        "county": 1, "township": 3, "village": 12}
    row = table.filter(pl.col("code") == "411421102208").row(0, named=True)
    assert (row["parent_code"], row["township_code"]) == ("411421102000", "411421102000")
    town = table.filter(pl.col("code") == "411421001000").row(0, named=True)
    assert town["parent_code"] == "411421000000"
    assert sorted(aside.select("row_number", "check").rows()) == [
        (2, "region_above_county"), (3, "region_above_county"), (20, "region_abolished")]
    assert aside["reason"].is_not_null().all()


@pytest.mark.parametrize(
    ("raw", "code", "level"),
    [
        ("411421102208", "411421102208", "village"),
        ("411421102", "411421102000", "township"),
        ("411421", "411421000000", "county"),
        ("4114", "411400000000", "city"),
        ("41", "410000000000", "province"),
        ("411421102208.0", "411421102208", "village"),
        ("＝\"411421102208\"", "411421102208", "village"),
        ("４１１４２１１０２２０８", "411421102208", "village"),
        ("4.11421E+11", None, None),
        ("41142110220", None, None),
        ("", None, None),
    ],
)
def test_region_code_table(raw: str, code: str | None, level: str | None) -> None:
    out = pl.DataFrame({"c": [raw]}).select(region_code(pl.col("c")).alias("code")).with_columns(
        code_level(pl.col("code")).alias("level"))
    assert out.row(0) == (code, level)


def test_english_headed_table_with_level_and_parent() -> None:
    raw = pl.DataFrame({
        "code": ["411421000000", "411421103000", "411421103202"],
        "name": ["民权县", "城关镇", "虹光村"],
        "level": ["county", "town", "village"],
        "parent_code": [None, "411421000000", "411421103000"],
        "former_name": [None, None, "红光村"],
    })
    table = build_regions(raw)
    assert table["level"].to_list() == ["county", "township", "village"]
    assert table["former_name"].to_list() == [None, None, "红光村"]


@pytest.mark.parametrize(
    ("township", "village", "expected"),
    [
        # official committee forms, as copied from the bureau's table
        ("城关街道办事处", "东关社区居民委员会", "411421001001"),
        ("城关镇人民政府", "虹光村民委员会", "411421103202"),
        ("槐店回族乡人民政府", "友爱村村民委员会", "411421102201"),
        # every department form of one village
        ("城关镇", "虹光村", "411421103202"),
        ("城关镇", "虹光", "411421103202"),
        ("城关镇", "虹光村委会", "411421103202"),
        ("城关镇", "虹光村村委会", "411421103202"),
        ("城关镇", "虹光行政村", "411421103202"),
        ("城关", "虹光村民委员会", "411421103202"),
        (None, "虹光村", "411421103202"),
        # 社区 forms
        ("城关街道", "东关社区", "411421001001"),
        ("城关办事处", "东关社区居委会", "411421001001"),
        (None, "东关居委会", "411421001001"),
        (None, "北街社区居民委员会", "411421001002"),
        # 友爱村村民委员会 / 长发村民委员会: both written 友爱村 / 长发村
        ("槐店乡", "友爱村", "411421102201"),
        ("槐店乡", "长发村", "411421102202"),
        ("槐店乡", "长发村村委会", "411421102202"),
        # a village whose own name ends in 村
        ("槐店乡", "张村", "411421102203"),
        ("槐店乡", "张村村委会", "411421102203"),
        ("槐店乡", "张村委会", "411421102203"),
        ("槐店乡", "张庄", "411421102204"),
        ("城关镇", "新村", "411421103203"),
        ("城关镇", "新村村委会", "411421103203"),
        # a 居委会 and a 村委会 of one name in one township
        ("槐店乡", "水口居委会", "411421102001"),
        ("槐店乡", "水口社区", "411421102001"),
        ("槐店乡", "水口村委会", "411421102208"),
        ("槐店乡", "水口村", "411421102208"),
        # the same name in two townships: the township decides
        ("槐店乡", "王湾村村委会", "411421102205"),
        ("城关镇", "王湾村", "411421103201"),
        # the township written in front of the village, in one cell (civil affairs' 所属区划)
        (None, "城关镇虹光村民委员会", "411421103202"),
        (None, "城关街道办事处东关社区居民委员会", "411421001001"),
        (None, "城关街道东关社区", "411421001001"),
        (None, "槐店回族乡王湾村民委员会", "411421102205"),
        (None, "城关镇王湾村", "411421103201"),
        (None, "城关镇新村", "411421103203"),
    ],
)
def test_forms_resolve(regions: pl.DataFrame, township: str | None, village: str,
                       expected: str) -> None:
    row = resolve(regions, township, village)
    assert (row["village_code"], row["place_check"]) == (expected, None)
    assert row["township_code"] == expected[:9] + "000"


@pytest.mark.parametrize(
    ("township", "village", "check", "township_code"),
    [
        ("槐店乡", "水口", "village_ambiguous", "411421102000"),
        (None, "王湾村", "village_ambiguous", None),
        (None, "王湾村民委员会", "village_ambiguous", None),
        ("城关镇", "友爱村", "village_not_in_township", "411421103000"),
        ("城关镇", "张", "village_unresolved", "411421103000"),
        ("城关街道", "不存在村", "village_unresolved", "411421001000"),
        # a township prefix leaves too little to be a village: nothing is split
        (None, "城关镇张", "village_unresolved", None),
    ],
)
def test_never_guessed(regions: pl.DataFrame, township: str | None, village: str, check: str,
                       township_code: str | None) -> None:
    row = resolve(regions, township, village)
    assert (row["village_code"], row["place_check"]) == (None, check)
    assert row["township_code"] == township_code


def test_abolished_name_is_no_place_but_a_former_name_is() -> None:
    raw = pl.DataFrame(NBS, orient="row", schema=["code", "urban_rural", "name"]).with_columns(
        pl.when(pl.col("code") == "411421103202").then(pl.lit("长发村"))
        .alias("former_name"))
    regions = build_regions(raw)
    assert "411421103204" not in regions["code"].to_list()
    row = resolve(regions, "城关镇", "长发村民委员会")
    assert (row["village_code"], row["place_check"]) == ("411421103202", None)


def test_township_former_name_resolves_the_merged_township() -> None:
    raw = pl.DataFrame(NBS, orient="row", schema=["code", "urban_rural", "name"]).with_columns(
        pl.when(pl.col("code") == "411421103000").then(pl.lit("虹光乡")).alias("former_name"))
    row = resolve(build_regions(raw), "虹光乡人民政府", "王湾村")
    assert row["village_code"] == "411421103201"
