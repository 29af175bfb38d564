"""The vocabulary as data: normalisation, its own consistency checks, predicates, steward values."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.domain import predicates as p
from pipelines.domain.codes import CODE_LISTS, _code_list
from pipelines.domain.extracts import EXTRACTS, PERSON_HEADERS, _check_words
from pipelines.domain.vocabulary import normalise_header, normalise_value
from pipelines.mapping import HeaderMapping


@pytest.mark.parametrize(
    ("header", "expected"),
    [(" 身份证号 ", "身份证号"), ("总费用（元）", "总费用"), ("姓名(必填)", "姓名"),
     ("致贫/返贫风险3", "致贫/返贫风险"), ("参保年度(居民)", "参保年度(居民)"),
     ("身份证号(18位)", "身份证号(18位)"), ("\ufeff姓\u200b名", "姓名"), ("结算ID", "结算id"),
     (None, "")],
)
def test_normalise_header(header: str | None, expected: str) -> None:
    assert normalise_header(header) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [('="特困人员-7131"', "特困人员"), ("'正常参保", "正常参保"),
     ("390-城乡居民基本医疗保险", "城乡居民基本医疗保险"), ("男(1)", "男"), ("1|男", "男"),
     ("2型糖尿病", "2型糖尿病"), ("农村特困人员（分散供养）", "农村特困人员(分散供养)"),
     ("  Y ", "y"), ("03", "03"), (None, "")],
)
def test_normalise_value(value: str | None, expected: str) -> None:
    assert normalise_value(value) == expected


def test_a_word_naming_two_codes_is_refused() -> None:
    with pytest.raises(ValueError, match="names both"):
        _code_list("demo", {"codes": {"甲": ["同"], "乙": ["同"]}}, {})
    with pytest.raises(ValueError, match="unknown codes"):
        _code_list("demo", {"codes": {"甲": []}, "groups": {"g": ["丙"]}}, {})


def test_a_header_naming_two_fields_is_refused() -> None:
    with pytest.raises(ValueError, match="names both"):
        _check_words("demo", {"a": ("户号",), "b": ("户 号",)}, frozenset())
    with pytest.raises(ValueError, match="unused"):
        _check_words("demo", {"a": ("户号",)}, frozenset({"户号"}))


def test_written_headers_stay_first() -> None:
    assert PERSON_HEADERS["name"][0] == "姓名" and PERSON_HEADERS["id_number"][0] == "证件号码"
    assert EXTRACTS["settlement"].fields["total_cost"][0] == "医疗总费用"
    assert EXTRACTS["death"].fields["name"][0] == "姓名"


ROWS = pl.DataFrame({
    "enrol_status": ["参保缴费", "异地参保", "暂停", None],
    "status": [None, "正常", "暂停", "终止"],
    "assistance_type": ["低保", "特困供养", "临时救助", None],
    "risk_cause": ["因病", "因残、因病", "因残", None],
    "population_type": ["脱贫人口", "监测对象", None, "一般农户"],
    "monitoring_category": [None, "边缘易致贫户", "脱贫不稳定户", None],
    "household_type": [None, "一般农户", "脱贫户", "一般农户"],
    "disease": ["高血压", "冠心病", "肺结核", None],
})


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        (p.insured(), [True, True, False, False]),
        (p.active_assistance(), [True, True, False, False]),
        (p.subsistence(), [True, True, False, False]),
        (p.illness_risk("risk_cause"), [True, True, False, False]),
        (p.registered_row(), [True, True, True, False]),
        (p.monitored(), [False, True, True, False]),
        (p.poverty_alleviated(), [True, False, True, False]),
        (p.managed_disease(), [True, False, True, False]),
        (p.derived_population_type(pl.col("monitoring_category"), pl.col("household_type")),
         [None, "监测对象", "监测对象", "一般农户"]),
    ],
)
def test_predicates(predicate: pl.Expr, expected: list) -> None:
    assert ROWS.select(predicate).to_series().to_list() == expected


def test_household_under_monitoring_without_a_category_is_monitored() -> None:
    """户类型 监测户 with the category left blank (the system export) is still 监测对象."""
    rows = pl.DataFrame(
        {"monitoring_category": [None, None], "household_type": ["监测户", "脱贫户"]},
        schema={"monitoring_category": pl.String, "household_type": pl.String})
    derived = p.derived_population_type(pl.col("monitoring_category"), pl.col("household_type"))
    assert rows.select(derived).to_series().to_list() == ["监测对象", "脱贫人口"]


def test_steward_values_checked_against_the_code_lists(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("values:\n  enrolment_status:\n    参保缴费: [正常在保]\n", encoding="utf-8")
    assert HeaderMapping.from_yaml(path).value_words("enrolment_status") == {"正常在保": "参保缴费"}
    path.write_text("values:\n  colours:\n    红: [赤]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown code list 'colours'"):
        HeaderMapping.from_yaml(path)
    path.write_text("values:\n  enrolment_status:\n    在保: [x]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="has no code '在保'"):
        HeaderMapping.from_yaml(path)


def test_every_code_list_is_documented() -> None:
    assert all(codes.about for codes in CODE_LISTS.values())


@pytest.mark.parametrize("name", ["headers", "values"])
def test_vocabularies_parse_as_the_pure_python_loader_parses_them(name):
    """libyaml's parser (when present) gives the very documents PyYAML's own gives."""
    import yaml

    from pipelines.domain import vocabulary

    text = (vocabulary.HERE / f"{name}.yaml").read_text(encoding="utf-8")
    assert vocabulary.load(name) == yaml.load(text, Loader=yaml.SafeLoader)
