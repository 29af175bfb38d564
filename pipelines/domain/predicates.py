"""Named predicates over canonical codes: the one definition of each status the rules ask about.

Every rule and every monthly figure asks these questions through the expressions below, so
"insured" or "active assistance" mean the same everywhere. They read canonical codes only
(ingest has mapped the departments' words, ``pipelines.ingest.values``); the code groups they
use are data (``groups`` in ``values.yaml``).

- ``insured``: enrolment status in the ``insured`` group (参保缴费, 异地参保).
- ``active_assistance``: assistance status empty or in the ``active`` group (正常).
- ``subsistence``: assistance type 低保 or 特困供养 (``subsistence`` group).
- ``illness_risk``: a risk / hardship cause list naming 因病.
- ``treating``: ledger status 已救治 or 救治中.
- ``registered_row``: a poverty-roster row of a registered population (脱贫人口, 监测对象, or no
  type given); a 一般农户 row is not registered.
- ``monitored``: population type 监测对象, or a monitoring category given.
- ``poverty_alleviated``: population type 脱贫人口, household type 脱贫户, or category
  脱贫不稳定户 (a 脱贫户 by definition). A 脱贫不稳定户 member is both: 脱贫人口 and monitored.
- ``risk_open``: roster risk not cleared.
- ``managed_disease``: one of the four 公卫 chronic programmes.
"""

from __future__ import annotations

import polars as pl

from pipelines.domain.codes import CODE_LISTS

LIST_SEPARATOR = "、"
TEKUN, DIBAO, REGISTERED_BASIS = "特困供养", "低保", "防返贫监测"
# The subsidy a basis calls for (全额资助特困人员，定额资助低保对象、返贫致贫人口 …).
EXPECTED_SUBSIDY: dict[str, tuple[str, ...]] = {
    TEKUN: ("特困全额资助",),
    DIBAO: ("低保定额资助",),
    REGISTERED_BASIS: CODE_LISTS["subsidy_type"].group("registered"),
}


def _group(list_name: str, group: str) -> list[str]:
    return list(CODE_LISTS[list_name].group(group))


def has_code(column: str, code: str) -> pl.Expr:
    """True where a list column (codes joined by 、) holds ``code``; False where null.

    Args:
        column: the column.
        code: the canonical code.

    Returns:
        Boolean expression.
    """
    return pl.col(column).str.split(LIST_SEPARATOR).list.contains(code).fill_null(False)


def insured(column: str = "enrol_status") -> pl.Expr:
    """Enrolment status counts as insured (参保缴费, 异地参保)."""
    return pl.col(column).is_in(_group("enrolment_status", "insured")).fill_null(False)


def active_assistance(column: str = "status") -> pl.Expr:
    """Assistance still paid: status empty or 正常."""
    return pl.col(column).is_null() | pl.col(column).is_in(_group("assistance_status", "active"))


def subsistence(column: str = "assistance_type") -> pl.Expr:
    """Assistance type 低保 or 特困供养."""
    return pl.col(column).is_in(_group("assistance_type", "subsistence")).fill_null(False)


def illness_risk(column: str) -> pl.Expr:
    """A cause list naming 因病 (risk cause of the roster, hardship cause of civil affairs)."""
    codes = _group("risk_cause", "illness")
    return pl.any_horizontal(has_code(column, c) for c in codes)


def treating(column: str = "status") -> pl.Expr:
    """Ledger status 已救治 or 救治中."""
    return pl.col(column).is_in(_group("treatment_status", "treating")).fill_null(False)


def registered_row() -> pl.Expr:
    """A roster row of a registered population (脱贫人口, 监测对象, or no type given)."""
    kind = pl.col("population_type")
    return kind.is_null() | kind.is_in(_group("population_type", "registered"))


def monitored() -> pl.Expr:
    """监测对象: population type 监测对象 or a monitoring category given."""
    return ((pl.col("population_type") == "监测对象").fill_null(False)
            | pl.col("monitoring_category").is_not_null())


def poverty_alleviated() -> pl.Expr:
    """脱贫人口: type 脱贫人口, household type 脱贫户, or category 脱贫不稳定户."""
    return (
        (pl.col("population_type") == "脱贫人口").fill_null(False)
        | pl.col("household_type").is_in(_group("household_type", "poverty_alleviated"))
        .fill_null(False)
        | pl.col("monitoring_category")
        .is_in(_group("monitoring_category", "poverty_alleviated")).fill_null(False)
    )


def risk_open() -> pl.Expr:
    """Roster risk not cleared (风险消除 not 是)."""
    return ~pl.col("risk_cleared").fill_null(False)


def managed_disease(column: str = "disease") -> pl.Expr:
    """One of the four 公卫 chronic programmes (高血压, 2型糖尿病, 肺结核, 严重精神障碍)."""
    return pl.col(column).is_in(_group("chronic_disease", "managed")).fill_null(False)


def derived_population_type(category: pl.Expr, household: pl.Expr) -> pl.Expr:
    """The roster's population type where the export has no such column (全国防返贫监测).

    A monitoring category makes a person 监测对象; else household type 脱贫户 makes them
    脱贫人口, 监测户 监测对象, 一般农户 stays 一般农户 (not registered).

    Args:
        category: monitoring category codes.
        household: household type codes.

    Returns:
        Population type codes (null when neither tells).
    """
    return (
        pl.when(category.is_not_null()).then(pl.lit("监测对象"))
        .when(household.is_in(_group("household_type", "poverty_alleviated")))
        .then(pl.lit("脱贫人口"))
        .when(household == "监测户").then(pl.lit("监测对象"))
        .when(household == "一般农户").then(pl.lit("一般农户"))
    )
