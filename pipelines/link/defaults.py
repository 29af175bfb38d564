"""The default comparisons and blocking rules of the person linker (data only).

m and u are priors: EM refines m on the candidate pairs (pairs whose IDs are both valid are
anchors), random record pairs refine u, and ``name_frequency`` takes u from how many people
with a valid ID hold each name. A county overrides any of it through
``LinkSettings.from_mapping`` / ``from_yaml`` (docs/linkage.md).
"""

from __future__ import annotations

from pipelines.link.settings import BlockingRule, Comparison, Level

COMPARISONS: tuple[Comparison, ...] = (
    Comparison("name", (
        Level("exact", 0.85, 2e-4, True, "same normalised name"),
        Level("homophone", 0.05, 5e-5, True, "same toneless pinyin (张伟 / 张玮)"),
        Level("fuzzy", 0.06, 3e-3, False,
              "pinyin similarity >= pinyin_fuzzy, or one character off in 3+ characters"),
        Level("same-surname", 0.025, 0.08, False, "another given name, same surname"),
        Level("different", 0.015, 0.91675, False, "the surnames differ too"),
    ), "the normalised name", {"pinyin_fuzzy": 0.85, "exact_u_from_counts": 1}),
    Comparison("name_frequency", (
        Level("one-holder", 0.5, 0.01, False,
              "the name is held by exactly one person with a valid ID"),
        Level("two-holders", 0.15, 0.05, False, "held by two people with a valid ID"),
        Level("few-holders", 0.15, 0.15, False, "held by 3..few_max people with a valid ID"),
        Level("some-holders", 0.1, 0.3, False, "held by few_max+1..some_max people"),
        Level("many-holders", 0.1, 0.49, False, "held by more (王芳, 张伟)"),
    ), "how many people in the county with a valid ID hold the agreeing name (for a "
       "homophone, its pinyin)",
        {"few_max": 5, "some_max": 20, "unheld_share": 0.05}, u_from="holders"),
    Comparison("id", (
        Level("exact", 0.88, 2e-6, True, "same 18-character ID"),
        Level("one-substitution", 0.05, 2e-7, True, "one digit mistyped"),
        Level("adjacent-swap", 0.03, 2e-8, True, "two neighbouring digits swapped"),
        Level("different", 0.04, 0.9999978, False, "other IDs"),
    ), "the identity number"),
    Comparison("birth", (
        Level("exact", 0.94, 4e-5, False, "same birth date"),
        Level("day-month-swapped", 0.01, 5e-6, False, "day and month swapped"),
        Level("one-part-off", 0.03, 3e-3, False, "one of year, month, day differs"),
        Level("different", 0.02, 0.996955, False, "other birth dates"),
    ), "the birth date"),
    Comparison("sex", (
        Level("same", 0.98, 0.5, False, "same sex"),
        Level("different", 0.02, 0.5, False, "other sex"),
    ), "sex, read off the ID's 17th digit wherever a record carries an 18-character ID "
       "(even one failing its checksum), else the sex column (id_digit: 0 reads the column)",
        {"id_digit": 1}),
    Comparison("place", (
        Level("same-village", 0.88, 3e-3, False, "same village code"),
        Level("same-township", 0.07, 6e-2, False, "same township"),
        Level("same-county", 0.04, 0.837, False, "same county (first 6 digits)"),
        Level("different", 0.01, 0.1, False, "another county"),
    ), "the village (12-digit division code)"),
    Comparison("household", (
        Level("same", 0.97, 1e-3, False, "same poverty-roster household number"),
        Level("different", 0.03, 0.999, False, "other household numbers"),
    ), "the poverty roster's household number"),
    Comparison("insurance_no", (
        Level("same", 0.97, 1e-6, True, "same insurance person number"),
        Level("different", 0.03, 0.999999, False, "other insurance person numbers"),
    ), "the insurance platform's person number (人员编号), carried by enrolment and "
       "settlement rows, with or without an ID"),
    Comparison("household_head", (
        Level("same-head", 0.9, 5e-4, False, "both records name the same household head"),
        Level("similar-head", 0.04, 1e-4, False, "the heads' names sound alike"),
        Level("different-head", 0.06, 0.9994, False, "other heads"),
    ), "the household head named by the poverty roster (户主姓名) and civil assistance (户主)"),
    Comparison("hospital", (
        Level("in-treatment-window", 0.6, 5e-4, False,
              "a settlement at the ledger's designated hospital within the treatment window"),
        Level("same-hospital", 0.3, 0.2, False, "same hospital (two stays, or outside the window)"),
        Level("different-hospital", 0.1, 0.7995, False, "other hospitals"),
    ), "the hospital and dates of the illness ledger (designated hospital, diagnosis date) and "
       "of inpatient settlements (hospital, admission date)",
        {"window_before_days": 30, "window_after_days": 180}),
    Comparison("stay", (
        Level("same-stay", 0.3, 1e-4, False,
              "one stay: same hospital, same admission day (the insurance settlement and the "
              "hospital's own discharge list)"),
        Level("other-stay", 0.7, 0.9999, False, "another stay"),
    ), "two hospital stays (settlements, a hospital's discharge list): the same one or not",
        {"stay_days": 0}),
    Comparison("clinic", (
        Level("clinic-in-village", 0.85, 1e-2, False,
              "the follow-up clinic (虹光村卫生室) is in the other record's village"),
        Level("clinic-in-township", 0.1, 0.1, False, "in the other record's township"),
        Level("clinic-elsewhere", 0.05, 0.89, False, "elsewhere"),
    ), "the village named by a follow-up clinic, for a follow-up whose village is blank"),
    Comparison("other_records", (
        Level("has-others", 0.6, 0.1, False,
              "the valid ID's person has other records in this extract (other stays)"),
        Level("has-none", 0.4, 0.9, False, "the valid ID's person has none"),
    ), "for a record without an ID in an extract that lists a person more than once "
       "(settlements, follow-ups): whether the other record's person (by its valid ID) has "
       "records there too"),
)

BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("id_exact", ("id_number",), description="the normalised 18-character ID"),
    BlockingRule("id_one_off", method="id_one_edit",
                 description="IDs failing their checksum against every ID one substitution or "
                             "one adjacent swap away"),
    BlockingRule("insurance_no", ("insurance_no",),
                 description="the insurance person number (a settlement without an ID and "
                             "its person's enrolment)"),
    BlockingRule("pinyin_birth", ("name_pinyin", "birth_date"),
                 description="homophones (张伟 / 张玮) born the same day"),
    BlockingRule("birth_village", ("birth_date", "place"),
                 description="name typos; the place is the village, or the village a "
                             "follow-up clinic names"),
    BlockingRule("pinyin_village", ("name_pinyin", "place"),
                 description="a wrong birth date; the place is the village, or the village "
                             "a follow-up clinic names"),
    BlockingRule("household_name", ("household_id", "name"),
                 description="one poverty-roster household and name"),
    BlockingRule("head_name", ("head_name", "name"), unidentified_only=True,
                 description="same household head and name, one record without a valid ID"),
    BlockingRule("name_unidentified", ("name_pinyin",), unidentified_only=True,
                 description="same pinyin, one record without a valid ID: settlements carry "
                             "no birth date and no village; a pinyin block over the cap is "
                             "split by the written name",
                 refine=("name",)),
)
