"""The mismatches a steward must see (DOMAIN.md), by rule id, in Chinese and English.

The engine binds each id to the function that finds it (``pipelines.rules``; the province's
``cross_county`` rule is found by ``pipelines.province``); the published ``mismatch`` table
accepts exactly these ids.
"""

from __future__ import annotations

RULE_TEXTS: dict[str, tuple[str, str]] = {
    "no_doctor_contract": (
        "监测对象未签约家庭医生", "registered person with no family-doctor contract"
    ),
    "not_insured": ("监测对象未参保", "registered person not insured"),
    "wrong_subsidy": ("参保资助类型与民政身份不符", "insured with the wrong subsidy type"),
    "settlement_not_in_ledger": (
        "大病住院结算但未纳入大病专项救治台账",
        "serious-illness settlement for a registered person missing from the ledger",
    ),
    "ledger_without_settlement": ("台账救治记录无住院结算", "ledger entry with no settlement"),
    "dead_but_active": (
        "已死亡人员仍在其他名单中有效", "dead person still active in another roster"
    ),
    "village_conflict": ("不同部门登记的所在村不一致", "same person in different villages"),
    "assistance_illness_not_monitored": (
        "因病低保特困对象未纳入防返贫监测",
        "低保/特困 recipient with illness hardship not in the monitoring roster",
    ),
    "uncertain_match": ("待确认的疑似同一人", "uncertain match awaiting a decision"),
    "cross_county": (
        "跨县人员: 他县死亡、多县登记或仅在他县参保",
        "same person in another county: dead there, registered there too, or insured only there",
    ),
}
RULE_IDS: tuple[str, ...] = tuple(RULE_TEXTS)
# Rules found by the province over its counties' published tables, not within one county.
PROVINCE_RULES: tuple[str, ...] = ("cross_county",)
