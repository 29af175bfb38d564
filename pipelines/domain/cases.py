"""A problem's life (发现 → 建档 → 整改 → 销号): case statuses and the township's answers.

A *case* is one problem a mismatch rule found: a rule and a person (plus the rule's own
``case_key`` where a person can break it twice). It is found (``new``), stays ``open`` while the
rule keeps firing, is ``resolved`` (销号) when the rule stops firing, or ``explained`` when a
township or the steward says it is no data error. ``merged`` closes the duplicate when linkage
merges two people who each had the same case. A township clerk answers each case on the work
list (问题清单) with one of ``VERIFICATION_RESULTS``.
"""

from __future__ import annotations

CASE_STATUSES: tuple[str, ...] = ("new", "open", "resolved", "explained", "merged")
OPEN_STATUSES: tuple[str, ...] = ("new", "open")
STATUS_ZH: dict[str, str] = {
    "new": "新发现", "open": "未整改", "resolved": "已销号", "explained": "已说明",
    "merged": "已合并",
}
SYSTEM = "sanji"  # status_by of the changes the engine makes itself
TOWNSHIP = "乡镇核实"  # status_by of a township answer that names no clerk

FIXED, NOT_FIXED, NOT_SAME, WRONG_INFO, OTHER = (
    "属实已整改", "属实未整改", "非同一人", "信息有误", "其他")
VERIFICATION_RESULTS: tuple[str, ...] = (FIXED, NOT_FIXED, NOT_SAME, WRONG_INFO, OTHER)
# Answers that close a case as explained (not a data error); 非同一人 becomes a no_link decision,
# the two 属实 answers are noted and the case closes when the rule stops firing.
EXPLAINING: tuple[str, ...] = (WRONG_INFO, OTHER)
# Words clerks write for each answer (compared without spaces and punctuation).
RESULT_WORDS: dict[str, tuple[str, ...]] = {
    FIXED: ("属实已整改", "已整改", "属实整改", "属实,已整改", "已改正", "已纠正", "已处理"),
    NOT_FIXED: ("属实未整改", "未整改", "属实,未整改", "属实", "整改中", "正在整改"),
    NOT_SAME: ("非同一人", "不是同一人", "不同人", "非本人", "不是本人", "两个人"),
    WRONG_INFO: ("信息有误", "信息错误", "数据有误", "数据错误", "信息不符", "误报"),
    OTHER: ("其他", "其它"),
}
# Days after the last day of the month a case was opened in until it is due. 31 gives the
# township the whole following month, whatever its length: a case found in October is due
# 1 December, counts as open in November's report and as overdue from December's.
DEFAULT_DEADLINE_DAYS = 31
