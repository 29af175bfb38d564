"""The counties file: what a province writes, what a deployment reads, the mistakes refused."""

from pathlib import Path

import pytest

from pipelines.counties import CountiesError, load_counties, parse_counties

PROVINCE = """
first_month: "2024-06"
province: {code: "41", name: 河南省, warehouse: "postgresql://sanji@db/henan"}
counties:
  - {code: "411421", name: 清河县, landing: /srv/landing/411421,
     warehouse: "postgresql://sanji@db/henan", schema: c411421, outbox: out/411421}
  - {code: "411422", name: 柳河县, landing: landing/411422,
     warehouse: "postgresql://sanji@db/henan", schema: c411422}
"""


def test_a_province_file_lists_its_counties_and_where_each_goes():
    deployment = parse_counties(PROVINCE, base=Path("/etc/sanji"))
    assert deployment.codes == ("411421", "411422")
    assert str(deployment.first_month) == "2024-06"
    first, second = deployment.counties
    assert (first.label, first.schema, first.landing) == ("411421 清河县", "c411421",
                                                          Path("/srv/landing/411421"))
    assert first.outbox == Path("/etc/sanji/out/411421") and first.inbox is None
    assert second.landing == Path("/etc/sanji/landing/411422")  # relative to the file
    assert deployment.province.schema == "province"
    assert deployment.county("411422") is second


@pytest.mark.parametrize(("text", "error"), [
    ("counties: []", "no counties"),
    ("counties:\n  - {code: '4114', name: x, landing: l, warehouse: w}", "6-digit"),
    ("counties:\n  - {code: '411421', landing: l, warehouse: w}", "missing 'name'"),
    ("counties:\n  - {code: '411421', name: x, landing: l, warehouse: w, shema: s}",
     "unknown key(s) shema"),
    ("counties:\n  - {code: '411421', name: x, landing: l, warehouse: w}\n"
     "  - {code: '411421', name: y, landing: m, warehouse: v}", "listed twice"),
    ("counties:\n  - {code: '411421', name: x, landing: l, warehouse: w.duckdb}\n"
     "  - {code: '411422', name: y, landing: m, warehouse: w.duckdb}", "same warehouse schema"),
    ("first_month: 2024-13\ncounties:\n  - {code: '411421', name: x, landing: l, warehouse: w}",
     "first_month"),
    ("counties:\n  - {code: '411421', name: x, landing: '${SANJI_NOT_SET_ANYWHERE}', "
     "warehouse: w}", "SANJI_NOT_SET_ANYWHERE"),
])
def test_mistakes_are_refused_naming_the_entry(text, error):
    with pytest.raises(CountiesError, match=error.replace("(", r"\(").replace(")", r"\)")):
        parse_counties(text, base=Path("/x"))


def test_values_read_the_environment_with_defaults(monkeypatch, tmp_path):
    text = ("counties:\n  - {code: '411421', name: x, landing: '${SANJI_T_LANDING:-a/landing}',"
            " warehouse: '${SANJI_T_WH:-w.duckdb}'}\n")
    monkeypatch.delenv("SANJI_T_LANDING", raising=False)
    county = parse_counties(text, base=tmp_path).county()
    assert county.landing == tmp_path / "a" / "landing"
    monkeypatch.setenv("SANJI_T_LANDING", "/srv/x")
    monkeypatch.setenv("SANJI_T_WH", "postgresql://u@h/db")
    county = parse_counties(text, base=tmp_path).county()
    assert (county.landing, county.warehouse) == (Path("/srv/x"), "postgresql://u@h/db")


def test_one_county_needs_no_code_several_do(monkeypatch):
    monkeypatch.setenv("SANJI_FIRST_MONTH", "2023-02")
    deployment = parse_counties(PROVINCE, base=Path("/x"))
    assert str(deployment.first_month) == "2023-02"  # the environment overrides the file
    with pytest.raises(CountiesError, match="name one with --county"):
        deployment.county()
    with pytest.raises(CountiesError, match="411499"):
        deployment.county("411499")


def test_the_checkouts_file_is_the_demo_county_alone():
    root = Path(__file__).resolve().parents[2]
    deployment = load_counties(root / "counties.yaml")
    assert [c.label for c in deployment.counties] == ["411421 清河县"]
    with pytest.raises(CountiesError, match="no counties file"):
        load_counties(root / "nowhere.yaml")


def test_worklist_full_ids_is_the_countys_yes_or_no() -> None:
    entry = "{code: '411421', name: 清河县, landing: l, warehouse: w.duckdb%s}"
    base = Path("/srv")
    plain = parse_counties(f"counties:\n  - {entry % ''}\n", base)
    assert plain.county().worklist_full_ids is False  # masked unless the county says so
    full = parse_counties(f"counties:\n  - {entry % ', worklist_full_ids: true'}\n", base)
    assert full.county().worklist_full_ids is True
    with pytest.raises(CountiesError, match="worklist_full_ids must be true or false"):
        parse_counties(f"counties:\n  - {entry % ', worklist_full_ids: yes please'}\n", base)
