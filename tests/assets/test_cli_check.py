"""``sanji demo-data --style national`` and ``sanji check``: the CLI hooks of issue 11."""

import re

from assets.cli import main


def test_national_demo_then_check(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo-data", "--people", "300", "--seed", "3", "--out", str(out),
                 "--style", "national"]) == 0
    landing = out / "landing"
    assert any(p.name.startswith("国家医保信息平台") for p in landing.iterdir())
    capsys.readouterr()
    assert main(["check", str(landing)]) == 0  # every header and value known: nothing to review
    text = capsys.readouterr().out
    assert "0 set aside, 0 things to review" in text
    assert "admission_date ← 开始日期 (builtin)" in text
    assert "population_type ← (no column) (derived" in text
    assert not (landing / "sanji_mapping.yaml").exists()
    assert not re.search(r"\d{17}[\dX]", text)


def test_check_writes_a_proposal_for_a_foreign_folder(tmp_path, capsys):
    (tmp_path / "参保.csv").write_text("姓名,身份证号,参保状态\n赵六,,正常在保\n", encoding="utf-8")
    assert main(["check", str(tmp_path), "--out", str(tmp_path / "p.yaml")]) == 1
    assert "正常在保" in (tmp_path / "p.yaml").read_text(encoding="utf-8")
    assert "proposed mapping written to" in capsys.readouterr().out
