"""``sanji`` end to end on the tiny county: run, decide, exchange export and import."""

import re
import shutil
import tempfile
from pathlib import Path

import polars as pl

from assets.cli import LOG_LEVELS, main, parser
from assets.resources import current_month
from pipelines.warehouse import Warehouse


def test_run_decide_and_exchange(county, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    wh = str(tmp_path / "w.duckdb")
    where = ["--landing", str(county.landing), "--warehouse", wh,
             "--storage", str(tmp_path / "st"), "--month", "2026-10"]
    assert main(["run", *where, "--outbox", str(tmp_path / "out"),
                 "--inbox", str(tmp_path / "in")]) == 0
    captured = capsys.readouterr()
    out, err = captured.out, captured.err
    people = Warehouse.from_url(wh).read("person", month="2026-10").height
    assert f"people {people}," in out and f"warehouse: {wh}" in out
    assert "rows read" in out and "quarantined" in out and "make ui" in out
    rules = Warehouse.from_url(wh).read("mismatch", month="2026-10")["rule"].unique()
    assert all(rule in out for rule in rules)
    # quiet by default: our progress lines, none of Dagster's DEBUG/INFO events
    assert "ingest … done in" in err and "link … done in" in err
    assert "STEP_START" not in err and "DEBUG" not in err and "LOADED_INPUT" not in err
    assert not re.search(r"\d{17}[\dX]", out + err)  # no full ID number anywhere

    assert main(["decide", "KEY_B", "KEY_A", "--link", "--by", "王芳", "--warehouse", wh]) == 0
    decision = Warehouse.from_url(wh).read("match_decision").row(0, named=True)
    assert (decision["record_key_l"], decision["record_key_r"], decision["decision"]) == (
        "KEY_A", "KEY_B", "link")

    assert main(["exchange", "export", *where, "--out", str(tmp_path / "out2")]) == 0
    sent = tmp_path / "out2" / "大病救治病例_2026-10.xlsx"
    assert sent.exists()
    back = tmp_path / "in" / "大病办回传.xlsx"  # no month in the name: --month says it
    back.parent.mkdir(exist_ok=True)
    shutil.copy(sent, back)
    capsys.readouterr()
    assert main(["exchange", "import", str(back), *where]) == 0
    assert "differences for 2026-10: 0" in capsys.readouterr().out
    # without --month the file's own content says which month it is for
    inboxes_before = set(Path(tempfile.gettempdir()).glob("sanji-inbox-*"))
    assert main(["exchange", "import", str(back), *where[:6]]) == 0
    assert "differences for 2026-10: 0" in capsys.readouterr().out
    assert set(Path(tempfile.gettempdir()).glob("sanji-inbox-*")) <= inboxes_before  # removed


def test_verbosity_maps_to_console_log_level():
    counts = [parser().parse_args(["run", *flag]).verbose for flag in ([], ["-v"], ["-vv"])]
    assert [LOG_LEVELS[min(n, len(LOG_LEVELS) - 1)] for n in counts] == [
        "WARNING", "INFO", "DEBUG"]


def test_default_month_is_current_shanghai_month():
    args = parser().parse_args(["run"])
    assert args.month == current_month()


def _metadata(result, key: str) -> dict:
    (event,) = [m for m in result.get_asset_materialization_events()
                if m.asset_key.to_user_string() == key]
    return event.materialization.metadata


def test_steward_metadata_names_townships_and_previews_monthly_tables(county):
    regions = county.result.output_for_node("ingest", "region_table")
    names = dict(regions.filter(level="township").select("code", "name").iter_rows())
    mismatch = Warehouse.from_url(county.warehouse).read("mismatch", month="2026-10")
    by_township = _metadata(county.result, "mismatch")["by_township"].value.records
    shown = {r.data["township_code"]: (r.data["township_name"], r.data["rows"])
             for r in by_township}
    expected = dict(mismatch.group_by(pl.col("township_code").fill_null("(none)"))
                    .len().iter_rows())
    assert shown and {c: n for c, (_, n) in shown.items()} == expected
    assert all(name == names.get(code, "(none)") for code, (name, _) in shown.items())
    assert any(code in names for code in shown)
    for key in ("village_monthly", "township_monthly", "county_monthly"):
        preview = _metadata(county.result, key)["preview"].value
        assert 0 < len(preview.records) <= 10
        assert "month" in {c.name for c in preview.schema.columns}
