"""``sanji`` over a counties file: a county with 2024 data reports 2024, a county is named when
several are configured, and each county's tables go to its own schema with its code on every row.
"""

import subprocess

import pytest
import sanji_tests_county as county_lib
import sanji_tests_tiny as tiny

from assets.cli import main
from pipelines.warehouse import Warehouse

RUN_TIMEOUT_S = 300


def _sanji(tmp_path, counties, *argv):
    """``sanji`` in a fresh process whose definitions load ``counties``."""
    home = county_lib.write_dagster_yaml(tmp_path / "home").parent
    env = {**county_lib.County.at(tmp_path).env(), "SANJI_COUNTIES": str(counties),
           "DAGSTER_HOME": str(home)}
    return subprocess.run([*county_lib.console_script("sanji", "assets.cli"), *argv],
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, check=False)


def test_a_county_whose_data_is_from_2024_reports_december_2024(tmp_path):
    people = tiny.people_of("411422", 4)
    tiny.write_county(tmp_path / "landing", "411422", "柳河县", "2024-12", people)
    counties = tiny.counties_yaml(tmp_path / "counties.yaml", [{
        "code": "411422", "name": "柳河县", "landing": "landing", "warehouse": "w.duckdb",
        "schema": "c411422", "outbox": "outbox", "inbox": "inbox"}], first_month="2024-06")
    done = _sanji(tmp_path, counties, "run", "--month", "2024-12")
    assert done.returncode == 0, county_lib.mask_full_id(done.stderr[-3000:])
    assert "county 411422 柳河县" in done.stdout and "month 2024-12" in done.stdout
    person = Warehouse.from_url(tmp_path / "w.duckdb", schema="c411422").read("person")
    assert person.height == 4 and set(person["month"]) == {"2024-12"}
    assert set(person["county"]) == {"411422"}
    early = _sanji(tmp_path, counties, "run", "--month", "2024-05")
    assert early.returncode == 2 and 'first_month: "2024-05"' in early.stderr


@pytest.fixture
def two_counties(tmp_path, monkeypatch):
    entries = [{"code": code, "name": name, "landing": f"{code}/landing",
                "warehouse": "w.duckdb", "schema": f"c{code}"}
               for code, name in (("411421", "清河县"), ("411422", "柳河县"))]
    path = tiny.counties_yaml(tmp_path / "counties.yaml", entries)
    monkeypatch.setenv("SANJI_COUNTIES", str(path))
    return path


def test_with_several_counties_a_command_names_its_county(two_counties, capsys):
    assert main(["run", "--month", "2026-10"]) == 2
    err = capsys.readouterr().err
    assert "name one with --county (411421, 411422)" in err and "Traceback" not in err
    assert main(["run", "--county", "411499", "--month", "2026-10"]) == 2
    assert "county '411499' is not in" in capsys.readouterr().err
    assert main(["decide", "A", "B", "--link", "--by", "x", "--county", "411422"]) == 2
    assert "no warehouse" in capsys.readouterr().err  # the county's own, which does not exist


def test_the_province_command_reads_every_countys_month(county_copy, tmp_path, monkeypatch,
                                                        capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(county_lib.write_dagster_yaml(tmp_path / "h").parent))
    assert main(["province", "--month", county_copy.month,
                 "--warehouse", str(county_copy.warehouse)]) == 0
    out = capsys.readouterr().out
    assert f"month {county_copy.month}: 1 counties reported" in out
    assert "people in more than one county 0, cases for stewards 0" in out
    store = Warehouse.from_url(county_copy.warehouse, schema="province")
    totals = store.read("province_monthly", month=county_copy.month).row(0, named=True)
    county = Warehouse.from_url(county_copy.warehouse).read("county_monthly").row(0, named=True)
    assert totals["registered_total"] == county["registered_total"] > 0
    assert totals["counties_missing"] == ""
