"""The monthly figures published per village, township and county (县镇村三级), by name.

Counts add up the levels; every rate is recomputed from its summed counts (``RATES``), never
averaged. ``CLINIC_*`` figures exist only when the county lands a village-clinic list.
"""

from __future__ import annotations

from pipelines.domain.codes import CHRONIC_DISEASES, MONITORING_CATEGORIES, RISK_CAUSES

CAUSE_NAMES: dict[str, str] = dict(zip(RISK_CAUSES, (
    "illness", "disability", "education", "disaster", "accident", "labour", "employment", "other",
), strict=True))
CATEGORY_NAMES: dict[str, str] = dict(zip(MONITORING_CATEGORIES,
                                          ("unstable", "marginal", "sudden"), strict=True))
DISEASE_NAMES: dict[str, str] = dict(zip(CHRONIC_DISEASES,
                                         ("hypertension", "diabetes", "tb", "mental"), strict=True))
STATUS_NAMES: dict[str, str] = {"待救治": "pending", "救治中": "in_treatment", "已救治": "treated",
                                "死亡": "died", "放弃救治": "abandoned"}
FOLLOWUPS_PER_YEAR = 4
TB_DAYS = 14
TB_DISEASE = "肺结核"  # followed up within TB_DAYS of referral instead of 4 times a year
OTHER_CAUSE = "其他"  # counts every cause not reported by name too

COUNT_COLUMNS: tuple[str, ...] = (
    "registered_total", "registered_poverty_alleviated", "registered_monitored",
    "registered_risk_cleared",
    *(f"registered_cat_{n}" for n in CATEGORY_NAMES.values()),
    *(f"registered_cause_{n}" for n in CAUSE_NAMES.values()),
    "contracted",
    "chronic_patients", *(f"chronic_{n}" for n in DISEASE_NAMES.values()),
    "chronic_contracted", "chronic_standard_met",
    "illness_patients", *(f"illness_{n}" for n in STATUS_NAMES.values()),
    "illness_with_settlement", "illness_settlements", "illness_one_stop_settlements",
    "insured", "subsidy_consistent",
)
SUM_COLUMNS: tuple[str, ...] = ("illness_total_cost", "illness_out_of_pocket")
# rate -> (numerator, denominator); null when the denominator is zero.
RATES: dict[str, tuple[str, str]] = {
    "contract_rate": ("contracted", "registered_total"),
    "chronic_contract_rate": ("chronic_contracted", "chronic_patients"),
    "chronic_standard_rate": ("chronic_standard_met", "chronic_patients"),
    "illness_treated_rate": ("illness_treated", "illness_patients"),
    "illness_one_stop_rate": ("illness_one_stop_settlements", "illness_settlements"),
    "illness_out_of_pocket_share": ("illness_out_of_pocket", "illness_total_cost"),
    "insured_rate": ("insured", "registered_total"),
    "subsidy_consistent_rate": ("subsidy_consistent", "insured"),
}
LEVEL_KEYS: dict[str, tuple[str, ...]] = {
    "village": ("month", "county_code", "county_name", "township_code", "township_name",
                "village_code", "village_name"),
    "township": ("month", "county_code", "county_name", "township_code", "township_name"),
    "county": ("month", "county_code", "county_name"),
}

# Village clinic coverage (村卫生室覆盖): published only when a clinic list landed.
CLINIC_COUNTS: tuple[str, ...] = ("villages", "villages_with_clinic")
CLINIC_RATES: dict[str, tuple[str, str]] = {
    "clinic_coverage": ("villages_with_clinic", "villages"),
}

# Mismatch cases (pipelines.cases): per unit and month, cases new this month, open at month end
# (new ones included), open past their due date, resolved (rule stopped firing) and explained
# this month. Counted by the case's village; published once the case table is wired.
CASE_COUNTS: tuple[str, ...] = (
    "cases_new", "cases_open", "cases_overdue", "cases_resolved", "cases_explained",
)
