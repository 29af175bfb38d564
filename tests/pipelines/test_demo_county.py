"""The demo-county generator: valid IDs, determinism, dirt rates, encodings, truth, plants."""

from __future__ import annotations

import csv
import io
import sys
import unicodedata
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path

import fastexcel
import numpy as np
import polars as pl
import pytest

from pipelines.demo import DirtRates, generate_county
from pipelines.demo.county import simulate_county
from pipelines.demo.departments import _start_before_death
from pipelines.demo.people import build_people
from pipelines.demo.places import build_places, townships_for
from pipelines.domain.extracts import PERSON_HEADERS
from pipelines.rules import PERSON_RULES

sys.path.insert(0, str(Path(__file__).parent))
from demo_fixtures import DEMO_PEOPLE, DEMO_SEEDS

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


@pytest.fixture(scope="module")
def county(demo_county) -> Path:
    """The shared county with default dirt (tests/pipelines/conftest.py); only read here."""
    return demo_county(DEMO_SEEDS[0]).out


def _truth(out: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(out / "truth" / name, infer_schema=False)


def _valid_id(value: str) -> bool:
    """GB 11643 MOD 11-2 check, written independently of the generator."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], WEIGHTS, strict=True))
    return CHECK[total % 11] == value[17]


def _csv_rows(path: Path, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))


def _landing(out: Path, stem: str) -> Path:
    (path,) = [p for p in (out / "landing").iterdir() if stem in p.name]
    return path


def test_every_true_id_is_valid_and_matches_sex_and_birth(county: Path) -> None:
    persons = _truth(county, "persons.csv")
    assert persons.height == DEMO_PEOPLE
    assert persons["id_number"].n_unique() == DEMO_PEOPLE
    for row in persons.iter_rows(named=True):
        assert _valid_id(row["id_number"]), row["person_key"]
        assert row["id_number"][6:14] == row["birth_date"].replace("-", "")
        assert (int(row["id_number"][16]) % 2 == 1) == (row["sex"] == "男")


def test_common_names_repeat_and_twins_are_distinct(county: Path) -> None:
    persons = _truth(county, "persons.csv")
    assert persons["name"].value_counts()["count"].max() >= 3
    twins = persons.filter(pl.col("twin_of").is_not_null())
    assert twins.height >= 2
    pair = twins.join(persons, left_on="twin_of", right_on="person_key", suffix="_twin")
    assert (pair["birth_date"] == pair["birth_date_twin"]).all()
    assert (pair["household_key"] == pair["household_key_twin"]).all()
    assert (pair["name"] != pair["name_twin"]).all()
    assert (pair["id_number"] != pair["id_number_twin"]).all()
    assert persons["name"].str.contains("·").any()


def test_names_repeat_at_realistic_frequencies() -> None:
    """A few names (王伟, 王芳) are held by dozens, most people share their name with nobody."""
    rng = np.random.default_rng(5)
    persons = build_people(rng, 20_000, build_places(rng), date(2026, 10, 31))
    counts = persons["name"].value_counts()["count"]
    assert counts.max() >= 15
    assert (counts >= 10).sum() >= 10
    unique_share = (counts == 1).sum() / persons.height
    assert 0.55 <= unique_share <= 0.85


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_county(400, seed=5, out=a)
    generate_county(400, seed=5, out=b)
    generate_county(400, seed=6, out=c)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len(files) == 12
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    differ = [rel for rel in files if (a / rel).read_bytes() != (c / rel).read_bytes()]
    assert len(differ) >= 9


def test_encodings_title_totals_and_sheets(county: Path) -> None:
    roster = _landing(county, "防返贫")
    roster.read_bytes().decode("gbk")
    for stem in ("救助对象", "死亡"):
        raw = _landing(county, stem).read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        raw.decode("utf-8-sig")
    _landing(county, "参保").read_bytes().decode("utf-8")
    settlement = _landing(county, "结算").read_bytes()
    settlement.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        settlement.decode("utf-8")
    book = _landing(county, ".xlsx")
    reader = fastexcel.read_excel(book)
    assert reader.sheet_names == ["家庭医生签约", "慢病随访", "大病专项救治台账"]
    contract = reader.load_sheet("家庭医生签约", header_row=None).to_polars()
    assert "家庭医生签约" in contract.row(0)[0] and contract.row(0)[1] is None
    assert "签约日期" in contract.row(1)
    ledger = reader.load_sheet("大病专项救治台账", header_row=None).to_polars()
    assert ledger.row(-1)[0] == "合计"
    with zipfile.ZipFile(book) as z:
        assert "<mergeCell " in z.read("xl/worksheets/sheet3.xml").decode()


def _headers(out: Path) -> dict[str, tuple[str, ...]]:
    encodings = {"防返贫": "gbk", "救助对象": "utf-8-sig", "死亡": "utf-8-sig",
                 "参保": "utf-8", "结算": "gb18030"}
    headers = {stem: tuple(_csv_rows(_landing(out, stem), enc)[0])
               for stem, enc in encodings.items()}
    reader = fastexcel.read_excel(_landing(out, ".xlsx"))
    for sheet, header_row in (("家庭医生签约", 1), ("慢病随访", 0), ("大病专项救治台账", 1)):
        frame = reader.load_sheet(sheet, header_row=None).to_polars()
        headers[sheet] = tuple(frame.row(header_row))
    return headers


def test_headers_differ_between_files(county: Path) -> None:
    headers = _headers(county)
    assert len(set(headers.values())) == len(headers)
    id_headers = {h for hs in headers.values() for h in hs if h in PERSON_HEADERS["id_number"]}
    assert len(id_headers) >= 3


def test_records_cover_every_data_row(county: Path) -> None:
    records = _truth(county, "records.csv").with_columns(pl.col("row_number").cast(pl.Int64))
    encodings = {"防返贫": "gbk", "救助对象": "utf-8-sig", "死亡": "utf-8-sig",
                 "参保": "utf-8", "结算": "gb18030"}
    for stem, enc in encodings.items():
        path = _landing(county, stem)
        lines = _csv_rows(path, enc)
        mine = records.filter(pl.col("source_file") == path.name)
        assert mine.height == len(lines) - 1
        assert mine["row_number"].to_list() == list(range(2, len(lines) + 1))
    book = _landing(county, ".xlsx")
    reader = fastexcel.read_excel(book)
    for sheet, first in (("家庭医生签约", 3), ("慢病随访", 2), ("大病专项救治台账", 3)):
        height = reader.load_sheet(sheet, header_row=None).to_polars().height
        mine = records.filter((pl.col("source_file") == book.name) & (pl.col("sheet") == sheet))
        assert mine["row_number"].to_list() == list(range(first, height + 1))
    unattributed = records.filter(pl.col("person_key").is_null())
    dirt = _truth(county, "dirt.csv").with_columns(pl.col("row_number").cast(pl.Int64))
    quarantined = dirt.filter(pl.col("expect") == "quarantined")
    joined = unattributed.join(quarantined, on=["source_file", "sheet", "row_number"],
                               how="anti", nulls_equal=True)
    assert unattributed.height >= 1
    assert joined.height == 0


def test_planted_rules_present_and_their_rows_clean(county: Path) -> None:
    planted = _truth(county, "planted.csv")
    counts = dict(planted.group_by("rule").len().iter_rows())
    assert set(counts) == set(PERSON_RULES)
    assert all(n > 0 for n in counts.values())
    assert planted["person_key"].n_unique() == planted.height
    records = _truth(county, "records.csv")
    dirt = _truth(county, "dirt.csv")
    dirty_people = dirt.join(records, on=["source_file", "sheet", "row_number"],
                             nulls_equal=True)["person_key"]
    assert not dirty_people.is_in(planted["person_key"].implode()).any()


def test_dirt_rates_close_to_asked(tmp_path: Path) -> None:
    rates = replace(DirtRates.clean(), id_typo=0.03, id_fullwidth=0.03, name_space=0.03,
                    id_space=0.03, unusable_row=0.01)
    summary = generate_county(4000, seed=3, out=tmp_path, rates=rates)
    records = _truth(tmp_path, "records.csv")
    dirt = _truth(tmp_path, "dirt.csv")
    data_rows = records.filter(pl.col("person_key").is_not_null()).height
    for kind in ("id_typo", "id_fullwidth", "name_space", "id_space"):
        got = dirt.filter(pl.col("kind") == kind).height
        assert summary.dirt[kind] == got
        assert got == pytest.approx(0.03 * data_rows, rel=0.25), kind
    bad = dirt.filter(pl.col("kind") == "unusable_row").height
    assert bad == pytest.approx(0.01 * data_rows, rel=0.35)
    assert set(summary.dirt) == {"id_typo", "id_fullwidth", "name_space", "id_space",
                                 "unusable_row", "totals_row"}


def test_damaged_ids_fail_or_repair_as_recorded(tmp_path: Path) -> None:
    generate_county(1500, seed=4, out=tmp_path, rates=DirtRates.uniform(0.01))
    records = _truth(tmp_path, "records.csv")
    persons = _truth(tmp_path, "persons.csv").select("person_key", true_id="id_number")
    dirt = _truth(tmp_path, "dirt.csv").filter(pl.col("field") == "id_number")
    path = _landing(tmp_path, "参保")
    rows = _csv_rows(path, "utf-8")
    at = rows[0].index("证件号")
    written = pl.DataFrame({"row_number": [str(i) for i in range(2, len(rows) + 1)],
                            "id_raw": [r[at] for r in rows[1:]]})
    seen = (dirt.filter(pl.col("source_file") == path.name)
            .join(records, on=["source_file", "sheet", "row_number"], nulls_equal=True)
            .join(persons, on="person_key").join(written, on="row_number"))
    assert seen.height > 10
    for kind, raw, true in seen.select("kind", "id_raw", "true_id").iter_rows():
        if kind in ("id_typo", "id_swap"):
            assert len(raw) == 18 and raw != true and not _valid_id(raw)
        elif kind == "id_lower_x":
            assert raw == true[:-1] + "x"
        elif kind in ("id_space", "id_fullwidth"):
            assert unicodedata.normalize("NFKC", raw).replace(" ", "") == true
        elif kind == "id_15":
            assert raw == true[:6] + true[8:17]
        elif kind == "id_scientific":
            assert "E+17" in raw
        else:  # a new kind of ID damage must get its own expectation here
            assert kind in ("id_missing", "infant_no_id"), kind
            assert raw == "", kind


def test_dead_recipients_assistance_starts_before_death() -> None:
    assistance = pl.DataFrame({
        "person_key": ["A", "B", "C"], "status": ["停保", "停保", "正常"],
        "start_date": [date(2026, 7, 26), date(2020, 1, 1), date(2026, 9, 1)],
    })
    deaths = pl.DataFrame({"person_key": ["A", "B"], "death_date": [date(2026, 7, 13)] * 2})
    out = _start_before_death(assistance, deaths)
    assert out.columns == assistance.columns and out["person_key"].to_list() == ["A", "B", "C"]
    assert out["start_date"].to_list() == [date(2026, 6, 13), date(2020, 1, 1),
                                           date(2026, 9, 1)]


def test_rejects_tiny_county(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 200"):
        generate_county(50, seed=1, out=tmp_path)


@pytest.fixture(scope="module")
def clean_county():
    """The clean tables of a 3,000-person county (before files and dirt)."""
    return simulate_county(np.random.default_rng(21), 3000, date(2026, 10, 31))


def test_settlements_carry_name_sex_hospital_and_dates_only(county: Path) -> None:
    header = _headers(county)["结算"]
    assert {"姓名", "性别", "定点医疗机构", "入院日期", "出院日期"} <= set(header)
    assert not [h for h in header if any(w in h for w in ("出生", "村", "乡镇", "区划"))]


def _person_numbers(county: Path, stem: str, encoding: str, id_header: str) -> pl.DataFrame:
    """row_number, 人员编号, the ID as written and the row's person and ID damage."""
    path = _landing(county, stem)
    rows = _csv_rows(path, encoding)
    no, at = rows[0].index("人员编号"), rows[0].index(id_header)
    written = pl.DataFrame({"row_number": [str(i) for i in range(2, len(rows) + 1)],
                            "psn": [r[no] for r in rows[1:]], "id_raw": [r[at] for r in rows[1:]]})
    records = _truth(county, "records.csv").filter(pl.col("source_file") == path.name)
    dirt = _truth(county, "dirt.csv").filter((pl.col("source_file") == path.name)
                                             & (pl.col("field") == "id_number"))
    return (written.join(records.select("row_number", "person_key"), on="row_number")
            .join(dirt.select("row_number", "kind"), on="row_number", how="left")
            .filter(pl.col("person_key").is_not_null()))


def test_insurance_rows_name_the_person_number_unless_excel_destroyed_the_row(
        county: Path) -> None:
    settled = _person_numbers(county, "结算", "gb18030", "身份证件号码")
    enrolled = _person_numbers(county, "参保", "utf-8", "证件号")
    both = pl.concat([settled, enrolled])
    excel = both.filter(pl.col("kind") == "id_scientific")
    kept = both.filter(pl.col("kind").fill_null("") != "id_scientific")
    assert excel.height > 0 and excel["psn"].str.contains(r"^\d\.\d{5}E\+25$").all()
    assert kept["psn"].str.contains(r"^\d{26}$").all()
    # one number per person, the same in both files, on rows without an ID too
    assert kept.group_by("person_key").agg(pl.col("psn").n_unique())["psn"].max() == 1
    assert kept.select(pl.col("psn").n_unique()).item() == kept["person_key"].n_unique()
    no_id = settled.filter(pl.col("kind").is_in(["id_missing", "infant_no_id"]))
    assert no_id.height > 0
    assert no_id.join(enrolled.select("psn", "person_key"), on="psn")["person_key"].is_in(
        no_id["person_key"].implode()).all()


def test_ids_go_missing_most_in_ledgers_and_settlements(tmp_path: Path) -> None:
    generate_county(6000, seed=8, out=tmp_path)
    records = _truth(tmp_path, "records.csv").filter(pl.col("person_key").is_not_null())
    dirt = _truth(tmp_path, "dirt.csv").filter(pl.col("kind").is_in(["id_missing",
                                                                      "id_scientific"]))
    key = ["source_file", "sheet", "row_number"]
    files = {"结算": "settlement", "大病": "ledger", "参保": "enrolment", "防返贫": "roster"}
    rate = {}
    for stem, label in files.items():
        mine = records.filter(pl.col("source_file").str.contains(stem)
                              | pl.col("sheet").fill_null("").str.contains(stem))
        hit = mine.join(dirt, on=key, how="semi", nulls_equal=True).height
        rate[label] = hit / mine.height
    assert min(rate["settlement"], rate["ledger"]) > 3 * max(rate["enrolment"], rate["roster"])


def test_ledger_cases_settle_at_their_hospital_within_the_window(clean_county) -> None:
    _places, county = clean_county
    t = county.tables
    cases = t["illness_ledger"].join(
        t["settlement"], left_on=["person_key", "illness"], right_on=["person_key", "diagnosis"],
        suffix="_stay")
    assert cases.height >= 5
    days = (cases["admission_date"] - cases["diagnosis_date"]).dt.total_days()
    in_window = cases.filter(days.is_between(1, 60))
    assert in_window.height >= 0.9 * t["illness_ledger"].height - 10
    same = in_window.filter(pl.col("hospital_stay").str.ends_with(pl.col("hospital").str.slice(1)))
    assert same.height >= 0.75 * in_window.height
    assert t["settlement"]["hospital"].str.starts_with("清河县").any()


def test_followup_clinics_are_named_after_the_village(clean_county) -> None:
    places, county = clean_county
    f = county.tables["chronic_followup"].join(
        places.villages.select("village_code", "short"), on="village_code")
    village_clinic = f.filter(pl.col("clinic").str.ends_with("村卫生室"))
    assert village_clinic.height >= 0.4 * f.height
    assert (village_clinic["clinic"] == village_clinic["short"] + "卫生室").all()


@pytest.mark.parametrize("extract", ["poverty_roster", "assistance"])
def test_household_heads_are_named(clean_county, extract: str) -> None:
    _places, county = clean_county
    heads = county.persons.filter(pl.col("member") == 0).select("hh", head="name")
    rows = county.tables[extract].join(county.persons.select("person_key", "hh"),
                                       on="person_key").join(heads, on="hh")
    assert rows.height > 20
    assert (rows["head_name"] == rows["head"]).all()


def test_a_big_county_has_more_townships_and_villages_each_named_once() -> None:
    """Up to 250,000 residents a county keeps its 10 townships (the same bytes as before);
    beyond, one township per 25,000, so villages hold a real village's people."""
    assert [townships_for(n) for n in (200, 100_000, 250_000, 250_001, 1_000_000)] == [
        10, 10, 10, 11, 40]
    places = build_places(np.random.default_rng(1), townships_for(1_000_000))
    level = places.regions.columns[2]
    townships = places.regions.filter(pl.col(level) == "乡镇")
    assert townships.height == 40
    assert townships[places.regions.columns[1]].n_unique() == 40
    assert places.villages.height >= 320
    assert places.villages["short"].n_unique() == places.villages.height
