"""The vocabulary's invariants: each word defined once agrees with every place that uses it.

Rule ids live in ``pipelines.domain.rules``, their functions in ``pipelines.rules.RULES`` and the
accepted values in the ``mismatch`` contract; metric names live in ``pipelines.domain.metrics``.
A rule added in one place and forgotten in another, or a rate naming a count that does not
exist, fails here rather than in a night's run.
"""

from __future__ import annotations

import pytest

from pipelines.domain.metrics import (
    CLINIC_COUNTS,
    CLINIC_RATES,
    COUNT_COLUMNS,
    LEVEL_KEYS,
    RATES,
    SUM_COLUMNS,
)
from pipelines.domain.rules import RULE_IDS, RULE_TEXTS
from pipelines.rules import PERSON_RULES, RULE_BY_ID, RULES
from schemas.published import Mismatch

# rows from the linker's uncertain pairs, or from the province's pass, not a county function
FROM_LINKER = {"uncertain_match", "cross_county"}


def _isin(model: type, column: str) -> list[str]:
    (check,) = [c for c in model.to_schema().columns[column].checks if c.name == "isin"]
    return list(check.statistics["allowed_values"])


def test_every_rule_id_is_registered_once_in_the_same_order() -> None:
    assert tuple(rule.id for rule in RULES) == RULE_IDS
    assert len(set(RULE_IDS)) == len(RULE_IDS)
    assert set(RULE_BY_ID) == set(RULE_IDS)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_every_rule_has_a_function_unless_it_comes_from_the_linker(rule_id: str) -> None:
    rule = RULE_BY_ID[rule_id]
    if rule_id in FROM_LINKER:
        assert rule.fn is None
        assert rule_id not in PERSON_RULES
    else:
        assert callable(rule.fn), rule_id
        assert rule_id in PERSON_RULES


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_words_are_the_vocabulary_s(rule_id: str) -> None:
    rule = RULE_BY_ID[rule_id]
    assert (rule.zh, rule.en) == RULE_TEXTS[rule_id]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in rule.zh), "zh text has Chinese"
    assert rule.en.strip() and rule.en != rule.zh


def test_mismatch_contract_accepts_exactly_the_rule_ids() -> None:
    assert _isin(Mismatch, "rule") == list(RULE_IDS)


METRIC_NAMES = (*COUNT_COLUMNS, *SUM_COLUMNS, *RATES, *CLINIC_COUNTS, *CLINIC_RATES)


def test_metric_names_are_unique_and_not_level_keys() -> None:
    assert len(set(METRIC_NAMES)) == len(METRIC_NAMES)
    keys = {k for level in LEVEL_KEYS.values() for k in level}
    assert not keys & set(METRIC_NAMES)


@pytest.mark.parametrize(("rate", "parts"), list(RATES.items()))
def test_each_rate_divides_existing_summed_columns(rate: str, parts: tuple[str, str]) -> None:
    summed = set(COUNT_COLUMNS) | set(SUM_COLUMNS)
    numerator, denominator = parts
    assert numerator in summed and denominator in summed, rate
    assert numerator != denominator
    # a share of money is money over money, a rate of people is people over people
    assert (numerator in SUM_COLUMNS) == (denominator in SUM_COLUMNS), rate


@pytest.mark.parametrize(("rate", "parts"), list(CLINIC_RATES.items()))
def test_clinic_rates_divide_clinic_counts(rate: str, parts: tuple[str, str]) -> None:
    assert set(parts) <= set(CLINIC_COUNTS), rate


def test_level_keys_nest_village_in_township_in_county() -> None:
    village, township, county = (LEVEL_KEYS[k] for k in ("village", "township", "county"))
    assert village[: len(township)] == township
    assert township[: len(county)] == county
