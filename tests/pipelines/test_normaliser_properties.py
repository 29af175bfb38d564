"""Property tests for every normaliser: never a crash, never a value outside its range,
idempotent (normalising the normalised value changes nothing). Values are drawn in batches so
the unique-values-joined-back paths are exercised too."""

from __future__ import annotations

import datetime as dt
import math
import re

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.domain.identity import id_check_char
from pipelines.normalise.dates import BIRTH, EVENT, date_range, normalise_dates
from pipelines.normalise.ids import PROVINCES, normalise_ids
from pipelines.normalise.money import MAX_AMOUNT, money_check, parse_money
from pipelines.normalise.names import INVISIBLE, normalise_names
from pipelines.normalise.places import build_regions, resolve_places

AS_OF = dt.date(2026, 10, 15)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
PLACE_CHARS = "虹光东关水口张王湾村社区居委会民员镇乡街道办事处人政府 0123456789[]已撤销"
DATE_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y-%m-%d 00:00:00"]

date_like = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"\s*\d{1,8}([-/.年]\d{1,2}([-/.月]\d{1,2}日?)?)?\s*", fullmatch=True),
    st.builds(lambda d, f: d.strftime(f), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
              st.sampled_from(DATE_FORMATS)),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(str),
)


@SETTINGS
@given(st.lists(st.none() | date_like, max_size=8), st.sampled_from([BIRTH, EVENT]))
def test_dates_in_range_and_idempotent(values: list[str | None], kind: str) -> None:
    out = normalise_dates(pl.Series(values, dtype=pl.String), kind, AS_OF)
    low, high = date_range(kind, AS_OF)
    dates = out["date"].drop_nulls()
    assert dates.is_between(low, high).all()
    assert all(d.year >= 1900 for d in dates)
    again = normalise_dates(out["date"].cast(pl.String), kind, AS_OF)
    assert again["date"].to_list() == out["date"].to_list()
    assert again["check"].is_null().all()


@SETTINGS
@given(st.dates(dt.date(2000, 1, 1), dt.date(2027, 10, 15)), st.sampled_from(DATE_FORMATS))
def test_every_written_form_of_an_event_date_reads_back(day: dt.date, fmt: str) -> None:
    out = normalise_dates(pl.Series([day.strftime(fmt)]), EVENT, AS_OF)
    assert out.row(0) == (day, None)


amount_like = st.one_of(
    st.text(max_size=15),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.floats(min_value=0, max_value=1e8).map(lambda x: f"{x:,.2f}"),
    st.sampled_from(["inf", "-inf", "NaN", "1e12", "-5", "￥12元", "1,2,3"]),
)


@SETTINGS
@given(st.lists(st.none() | amount_like, max_size=8))
def test_money_finite_in_range_and_idempotent(values: list[str | None]) -> None:
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    out = frame.select(parse_money(pl.col("v")).alias("a"), money_check(pl.col("v")).alias("c"))
    for amount, check in out.iter_rows():
        assert (amount is None) or (check is None)
        if amount is not None:
            assert math.isfinite(amount) and 0 <= amount < MAX_AMOUNT
    again = out.select(parse_money(pl.col("a").cast(pl.String)).alias("a"))
    assert again["a"].to_list() == out["a"].to_list()


@st.composite
def id_like(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from([*PROVINCES, "00", "99"])) + draw(
        st.from_regex(r"[0-9]{4}", fullmatch=True))
    birth = draw(st.dates(dt.date(1850, 1, 1), dt.date(2030, 12, 31)))
    first17 = f"{region}{birth:%Y%m%d}" + draw(st.from_regex(r"[0-9]{3}", fullmatch=True))
    last = draw(st.sampled_from([id_check_char(first17), "0", "X", "x"]))
    noise = draw(st.sampled_from(["", " ", "-", "\u200b", "\u3000"]))
    return noise.join([first17[:6], first17[6:14], first17[14:] + last])


@SETTINGS
@given(st.lists(st.none() | st.text(max_size=25) | id_like(), max_size=8))
def test_ids_valid_only_when_sound_and_idempotent(values: list[str | None]) -> None:
    out = normalise_ids(pl.DataFrame({"id_raw": values}, schema={"id_raw": pl.String}),
                        "id_raw", today=AS_OF)
    for row in out.filter(pl.col("id_valid")).iter_rows(named=True):
        number = row["id_number"]
        assert re.fullmatch(r"[0-9]{17}[0-9X]", number)
        assert id_check_char(number[:17]) == number[17]
        assert number[:2] in PROVINCES and not number.endswith("000")
        assert dt.date(1900, 1, 1) <= row["id_birth_date"] <= AS_OF
    again = normalise_ids(out.select(pl.col("id_number").alias("id_raw")), "id_raw",
                          today=AS_OF)
    kept = out["id_number"].is_not_null()
    assert again.filter(kept)["id_number"].to_list() == out.filter(kept)["id_number"].to_list()
    assert again.filter(kept)["id_valid"].to_list() == out.filter(kept)["id_valid"].to_list()


name_like = st.one_of(
    st.text(max_size=8),
    st.text(alphabet="单曾解区仇查朴覃翟缪张伟陳華·• \u200b\ufeff\u00ad𠀀𪚥", max_size=6),
)


@SETTINGS
@given(st.lists(st.none() | name_like, max_size=8))
def test_names_clean_and_idempotent(values: list[str | None]) -> None:
    out = normalise_names(pl.DataFrame({"name_raw": values}, schema={"name_raw": pl.String}))
    for name, pinyin in out.select("name", "name_pinyin").iter_rows():
        if name is None:
            continue
        assert not re.search(r"\s", name)
        assert not pl.Series([name]).str.contains(INVISIBLE).item()
        assert re.fullmatch(r"[a-z0-9]*", pinyin)
    again = normalise_names(out.select(pl.col("name").alias("name_raw")))
    assert again["name"].to_list() == out["name"].to_list()
    assert again["name_pinyin"].to_list() == out["name_pinyin"].to_list()


REGIONS = build_regions(pl.DataFrame({
    "code": ["411421000000", "411421103000", "411421103201", "411421103202", "411421103001",
             "411421102000", "411421102201"],
    "name": ["清河县", "城关镇", "王湾村民委员会", "张村村民委员会", "水口社区居民委员会",
             "槐店乡", "王湾村委会"],
    "former_name": [None, None, "虹光村", None, None, None, None],
}))


@SETTINGS
@given(st.lists(st.tuples(st.none() | st.text(PLACE_CHARS, max_size=8),
                          st.none() | st.text(PLACE_CHARS, max_size=10)), max_size=8))
def test_places_resolve_only_to_table_codes_and_idempotent(pairs: list[tuple]) -> None:
    frame = pl.DataFrame({"township_in": [p[0] for p in pairs],
                          "village_in": [p[1] for p in pairs],
                          "code_in": [None] * len(pairs)},
                         schema={c: pl.String for c in ("township_in", "village_in", "code_in")})
    out = resolve_places(frame, REGIONS)
    villages = set(REGIONS.filter(pl.col("level") == "village")["code"])
    assert set(out["village_code"].drop_nulls()) <= villages
    assert (out["village_code"].is_null() | out["place_check"].is_null()).all()
    named = REGIONS.select(pl.col("code").alias("village_code"), pl.col("name").alias("_official"))
    resolved = out.filter(pl.col("village_code").is_not_null()).join(named, on="village_code")
    again = resolve_places(resolved.select(
        "township_in", pl.col("_official").alias("village_in"), "code_in"), REGIONS)
    assert again["village_code"].to_list() == resolved["village_code"].to_list()
