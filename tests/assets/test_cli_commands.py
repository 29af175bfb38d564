"""``sanji`` end to end on the tiny county: run, decide, exchange export and import."""

import shutil

from assets.cli import main, parser
from assets.resources import current_month
from pipelines.warehouse import Warehouse


def test_run_decide_and_exchange(county, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    wh = str(tmp_path / "w.duckdb")
    where = ["--landing", str(county.landing), "--warehouse", wh,
             "--storage", str(tmp_path / "st"), "--month", "2026-10"]
    assert main(["run", *where, "--outbox", str(tmp_path / "out"),
                 "--inbox", str(tmp_path / "in")]) == 0
    out = capsys.readouterr().out
    people = Warehouse.from_url(wh).read("person", month="2026-10").height
    assert f"people {people}," in out and f"warehouse: {wh}" in out
    assert "rows read" in out and "quarantined" in out

    assert main(["decide", "KEY_B", "KEY_A", "--link", "--by", "王芳", "--warehouse", wh]) == 0
    decision = Warehouse.from_url(wh).read("match_decision").row(0, named=True)
    assert (decision["record_id_l"], decision["record_id_r"], decision["decision"]) == (
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


def test_default_month_is_current_shanghai_month():
    args = parser().parse_args(["run"])
    assert args.month == current_month()
