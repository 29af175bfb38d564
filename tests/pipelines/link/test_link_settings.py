"""Settings as data: overrides from a mapping or YAML, their validation, and their effect."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sanji_link_frames import background, frame, record, valid_id

from pipelines.link import BlockingRule, Comparison, Level, LinkSettings, link_records

A = valid_id("19800101", "123")

OVERRIDES = [
    ("threshold", {"accept_weight": 5.5}, lambda s: s.accept_weight == 5.5),
    ("rules by name, in a new order", {"blocking_rules": ["pinyin_birth", "id_exact"]},
     lambda s: [r.name for r in s.blocking_rules] == ["pinyin_birth", "id_exact"]),
    ("a new rule", {"blocking_rules": [{"name": "name_sex", "keys": ["name", "sex"]}]},
     lambda s: s.blocking_rules == (BlockingRule("name_sex", ("name", "sex")),)),
    ("a level prior", {"comparisons": {"birth": {"levels": {"exact": {"m": 0.5, "u": 0.01}}}}},
     lambda s: (s.comparison("birth").levels[0].m, s.comparison("birth").levels[0].u)
     == (0.5, 0.01)),
    ("a confirming flag", {"comparisons": {"name": {"levels": {"homophone": {"confirms": False}}}}},
     lambda s: not s.comparison("name").levels[1].confirms
     and s.comparison("name").levels[0].confirms),
    ("a parameter, the others kept",
     {"comparisons": {"hospital": {"params": {"window_after_days": 90}}}},
     lambda s: dict(s.comparison("hospital").params)
     == {"window_before_days": 30, "window_after_days": 90}),
    ("a comparison switched off", {"comparisons": {"clinic": {"enabled": False}}},
     lambda s: "clinic" not in [c.name for c in s.comparisons]),
    ("m kept at its prior", {"comparisons": {"sex": {"fit_m": False}}},
     lambda s: s.comparison("sex").fit_m is False),
    ("a rule refining its oversize blocks",
     {"blocking_rules": [{"name": "pinyin", "keys": ["name_pinyin"], "refine": ["name"]}]},
     lambda s: s.blocking_rules[0].refine == ("name",)),
]


@pytest.mark.parametrize(("what", "mapping", "check"), OVERRIDES, ids=[o[0] for o in OVERRIDES])
def test_override_from_mapping(what: str, mapping: dict, check) -> None:
    assert check(LinkSettings.from_mapping(mapping)), what


ERRORS = [
    ({"accept_weigth": 4}, "unknown link setting"),
    ({"blocking_rules": ["id_exactly"]}, "unknown blocking rule 'id_exactly'"),
    ({"blocking_rules": [{"name": "x", "keys": ["shoe_size"]}]}, "keys ['shoe_size']"),
    ({"blocking_rules": [{"name": "x", "keys": ["name"], "method": "soundex"}]}, "method"),
    ({"blocking_rules": [{"name": "x", "keys": ["name"], "refine": ["shoe_size"]}]},
     "refine ['shoe_size']"),
    ({"comparisons": {"shoe": {}}}, "unknown comparison(s) ['shoe']"),
    ({"comparisons": {"name": {"levels": {"exactly": {"m": 1}}}}}, "unknown level(s)"),
    ({"accept_weight": -5.0}, "review_weight -2.0 must not exceed"),
    ({"max_block_size": 1}, "max_block_size"),
]


@pytest.mark.parametrize(("mapping", "message"), ERRORS, ids=[e[1] for e in ERRORS])
def test_bad_override_names_what_exists(mapping: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        LinkSettings.from_mapping(mapping)


def test_comparison_levels_must_match_its_function() -> None:
    wrong = Comparison("sex", (Level("same", 0.9, 0.5), Level("other", 0.1, 0.5)))
    with pytest.raises(ValueError, match=r"must be \['same', 'different'\]"):
        LinkSettings(comparisons=(wrong,))


def test_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "link.yaml"
    path.write_text(
        "accept_weight: 4.0\n"
        "blocking_rules: [id_exact, id_one_off, pinyin_birth]\n"
        "comparisons:\n"
        "  hospital:\n"
        "    params: {window_after_days: 120}\n",
        encoding="utf-8",
    )
    s = LinkSettings.from_yaml(path)
    assert s.accept_weight == 4.0
    assert [r.name for r in s.blocking_rules] == ["id_exact", "id_one_off", "pinyin_birth"]
    assert s.comparison("hospital").params["window_after_days"] == 120


def _missing_id_pair() -> tuple[list[dict], dict, dict]:
    with_id = record(0, "李秀英", A, "1980-01-01", extract="enrolment")
    without = record(1, "李秀英", None, "1980-01-01", extract="death")
    return [*background(40), with_id, without], with_id, without


def _status(result, a: dict, b: dict) -> str:
    pair = result.pairs.filter(
        (pl.col("record_id_l") == a["record_id"]) & (pl.col("record_id_r") == b["record_id"])
    )
    return pair["status"].item()


def test_confirming_flags_come_from_the_settings() -> None:
    rows, a, b = _missing_id_pair()
    assert _status(link_records(frame(rows)), a, b) == "linked"
    no_name_confirms = LinkSettings.from_mapping({"comparisons": {"name": {"levels": {
        "exact": {"confirms": False}, "homophone": {"confirms": False}}}}})
    assert _status(link_records(frame(rows), no_name_confirms), a, b) == "uncertain"


def test_blocking_rules_come_from_the_settings() -> None:
    rows, _, b = _missing_id_pair()
    only_ids = LinkSettings.from_mapping({"blocking_rules": ["id_exact", "id_one_off"]})
    result = link_records(frame(rows), only_ids)
    assert result.pairs.filter(pl.col("record_id_r") == b["record_id"]).height == 0
    by_name = LinkSettings.from_mapping({"blocking_rules": [
        {"name": "name_only", "keys": ["name"], "unidentified_only": True}]})
    result = link_records(frame(rows), by_name)
    assert result.pairs.filter(pl.col("record_id_r") == b["record_id"])["block_rule"].to_list() \
        == ["name_only"]


def test_a_switched_off_comparison_weighs_nothing() -> None:
    rows, _, _ = _missing_id_pair()
    result = link_records(frame(rows), LinkSettings.from_mapping(
        {"comparisons": {"birth": {"enabled": False}}}))
    assert "w_birth" not in result.pairs.columns
    assert "birth" not in result.stats["model"]


def test_sex_from_the_id_digit_can_be_switched_off() -> None:
    import numpy as np

    from pipelines.link.coding import code_records
    from pipelines.link.comparisons import compare
    from pipelines.link.linker import prepare_records as _prepare

    typo = A[:8] + ("9" if A[8] != "9" else "8") + A[9:]  # digit 17 still says a man
    rows = [record(0, "张伟", None, "1980-01-01", sex="男"),
            record(1, "张伟", typo, "1980-01-01", sex="女")]
    coded = code_records(_prepare(frame(rows)))
    pair = (np.array([0]), np.array([1]))
    by_digit = LinkSettings().comparisons
    by_column = LinkSettings.from_mapping(
        {"comparisons": {"sex": {"params": {"id_digit": 0}}}}).comparisons
    assert compare(coded, *pair, by_digit)["sex"][0] == 0  # same
    assert compare(coded, *pair, by_column)["sex"][0] == 1  # different
