"""This month's ``mismatch_case`` from last month's, this month's mismatches and the answers.

Each month every case is carried forward (the table holds every case ever found), matched to
this month's mismatch rows, and moved along its life:

- **found**: a mismatch row no case matches opens a case ``new`` (``first_seen`` = the month);
- **still found**: a ``new`` case becomes ``open``; an ``open`` one stays open;
- **found again**: a ``resolved`` (or ``merged``) case that fires again is reopened (``open``,
  its ``first_seen`` kept, a new ``due``);
- **explained**: an ``explained`` case that fires again stays explained while its evidence
  (the ``extract:record_key`` set) is unchanged; changed evidence reopens it;
- **gone**: a ``new``/``open`` case whose rule no longer fires is ``resolved`` (销号);
- **merged**: when a case's person no longer exists because linkage merged them into another
  person who has the same case (same rule and key), the case is ``merged`` into that one
  (``merged_into``), which takes the earlier ``first_seen``; without such a case it is resolved.

Matching a row to a case is by (rule, person_id, case_key) first; a row left over is then
matched to a live case left over (same rule and key) sharing evidence records, largest overlap
first, one to one: that is a case whose person id changed between runs (linkage split a person
and the case's records went to the new part), and it keeps its ``case_id`` and ``first_seen``.

Automatic changes are made by ``sanji`` at the month's last day; the township's answers
(:mod:`pipelines.cases.verify`) are applied after. ``due`` is the last day of the month the case
was opened (or reopened) in plus the township's deadline days (``CaseSettings``); an open case
past its due day at the month's end is ``overdue``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.cases.keys import CANDIDATE_COLUMNS, CASE_KEY, candidates, mint_case_ids, split_ids
from pipelines.cases.settings import CaseSettings
from pipelines.cases.verify import apply_verifications
from pipelines.domain.cases import OPEN_STATUSES, SYSTEM
from pipelines.domain.months import Month
from schemas.cases import MismatchCase
from schemas.contract import conform, empty_frame, polars_schema

CASE_SCHEMA = polars_schema(MismatchCase)
STATE_COLUMNS = [c for c in CASE_SCHEMA if c != "month"]
LIVE = (*OPEN_STATUSES, "explained")
CLOSED = ("resolved", "merged")


def previous_cases(previous: pl.DataFrame | None, month: Month) -> pl.DataFrame:
    """Last month's cases in the contract's columns (without ``month``), or none.

    Raises:
        ValueError: when ``previous`` holds rows of ``month`` or later (a rerun must start from
            the month before, not from its own earlier result) or of several months.
    """
    if previous is None:
        return empty_frame(MismatchCase).drop("month")
    months = previous["month"].unique().to_list() if "month" in previous.columns else []
    if len(months) > 1 or any(m is not None and m >= str(month) for m in months):
        msg = (f"previous cases must be one earlier month's mismatch_case, not {sorted(months)} "
               f"for {month} (pass the latest month before {month})")
        raise ValueError(msg)
    return conform(previous, MismatchCase).drop("month")


def _by_evidence(cands: pl.DataFrame, prev: pl.DataFrame) -> pl.DataFrame:
    """Leftover rows to leftover live cases of the same rule and key sharing evidence."""
    on = ["rule", "case_key", "key"]
    ck = cands.select("_cand", "rule", "case_key", key=split_ids("evidence_keys")).explode("key")
    pk = (prev.filter(pl.col("status").is_in(LIVE))
          .select("case_id", "rule", "case_key", "first_seen", key=split_ids("evidence_keys"))
          .explode("key"))
    overlap = (
        ck.drop_nulls("key").join(pk.drop_nulls("key"), on=on, nulls_equal=True)
        .group_by("_cand", "case_id")
        .agg(n=pl.len(), first_seen=pl.col("first_seen").first())
        .sort(["n", "first_seen", "case_id", "_cand"], descending=[True, False, False, False])
    )
    chosen = [pl.DataFrame(schema={"_cand": pl.UInt32, "case_id": pl.String})]
    while overlap.height:  # mutual best first; the top row is always mutual, so this ends
        best_c = overlap.unique("_cand", keep="first", maintain_order=True)
        best_p = overlap.unique("case_id", keep="first", maintain_order=True)
        mutual = best_c.join(best_p.select("_cand", "case_id"), on=["_cand", "case_id"])
        chosen.append(mutual.select("_cand", "case_id"))
        overlap = overlap.filter(~pl.col("_cand").is_in(mutual["_cand"].implode())
                                 & ~pl.col("case_id").is_in(mutual["case_id"].implode()))
    return pl.concat(chosen)


def match_cases(cands: pl.DataFrame, prev: pl.DataFrame) -> pl.DataFrame:
    """_cand -> case_id: by (rule, person_id, case_key), then by shared evidence.

    Args:
        cands: :func:`pipelines.cases.keys.candidates`.
        prev: :func:`previous_cases`.

    Returns:
        _cand, case_id, one to one.
    """
    direct = (cands.select("_cand", *CASE_KEY)
              .join(prev.select("case_id", *CASE_KEY), on=CASE_KEY, nulls_equal=True)
              .select("_cand", "case_id"))
    moved = _by_evidence(cands.join(direct, on="_cand", how="anti"),
                         prev.join(direct, on="case_id", how="anti"))
    return pl.concat([direct, moved.cast(direct.schema)])


def _due(settings: CaseSettings, month_end: date) -> pl.Expr:
    return pl.lit(month_end) + pl.duration(days=settings.days(pl.col("township_code")))


def _continued(prev: pl.DataFrame, cands: pl.DataFrame, pairs: pl.DataFrame, month: Month,
               settings: CaseSettings) -> pl.DataFrame:
    """Cases found again this month, with this month's person, places, detail and evidence."""
    kept = [c for c in STATE_COLUMNS if c not in CANDIDATE_COLUMNS]
    rows = (pairs.join(cands, on="_cand")
            .join(prev.select(*kept, _old_keys="evidence_keys"), on="case_id"))
    was = pl.col("status")
    changed_evidence = pl.col("evidence_keys").ne_missing(pl.col("_old_keys"))
    reopened = was.is_in(CLOSED) | ((was == "explained") & changed_evidence)
    status = pl.when((was == "explained") & ~changed_evidence).then(pl.lit("explained")) \
        .otherwise(pl.lit("open"))
    reason = (pl.when(was.is_in(CLOSED)).then(pl.lit("再次出现 found again"))
              .when(was == "explained")
              .then(pl.lit("说明后证据已变化 evidence changed since explained"))
              .otherwise(pl.lit("仍存在 still found")))
    changed = status != was
    return rows.with_columns(
        status=status,
        status_by=pl.when(changed).then(pl.lit(SYSTEM)).otherwise("status_by"),
        status_at=pl.when(changed).then(pl.lit(month.last_day)).otherwise("status_at"),
        status_month=pl.when(changed).then(pl.lit(str(month))).otherwise("status_month"),
        status_reason=pl.when(changed).then(reason).otherwise("status_reason"),
        due=pl.when(reopened).then(_due(settings, month.last_day)).otherwise("due"),
        last_seen=pl.lit(str(month)),
        merged_into=pl.lit(None, pl.String),
    ).select(STATE_COLUMNS)


def _opened(cands: pl.DataFrame, pairs: pl.DataFrame, taken: set[str], month: Month,
            settings: CaseSettings) -> pl.DataFrame:
    """New cases for the rows no case matched."""
    new = cands.join(pairs, on="_cand", how="anti")
    return new.with_columns(
        case_id=mint_case_ids(new, taken),
        first_seen=pl.lit(str(month)),
        last_seen=pl.lit(str(month)),
        status=pl.lit("new"),
        status_by=pl.lit(SYSTEM),
        status_at=pl.lit(month.last_day),
        status_month=pl.lit(str(month)),
        status_reason=pl.lit("新发现 found"),
        due=_due(settings, month.last_day),
    ).pipe(conform, MismatchCase).drop("month")


def _merge_targets(closing: pl.DataFrame, live: pl.DataFrame,
                   records: pl.DataFrame) -> pl.DataFrame:
    """case_id -> merged_into, for closing cases whose person was merged into one with the case."""
    people = records.select("person_id").unique()
    owner = records.select(key=pl.concat_str("extract", pl.lit(":"), "record_key"),
                           owner="person_id")
    return (
        closing.filter(pl.col("person_id").is_not_null())
        .join(people, on="person_id", how="anti")
        .select("case_id", "rule", "case_key", key=split_ids("evidence_keys"))
        .explode("key")
        .join(owner, on="key")
        .join(live.select("rule", "case_key", owner="person_id", merged_into="case_id"),
              on=["rule", "case_key", "owner"], nulls_equal=True)
        .group_by("case_id")
        .agg(pl.col("merged_into").mode().sort().first())
    )


def _closed(prev: pl.DataFrame, pairs: pl.DataFrame, live: pl.DataFrame, records: pl.DataFrame,
            month: Month) -> pl.DataFrame:
    """Cases not found this month: open ones resolve or merge; closed and explained ones stay."""
    gone = prev.join(pairs, on="case_id", how="anti")
    targets = _merge_targets(gone.filter(pl.col("status").is_in(LIVE)), live, records)
    rows = gone.drop("merged_into").join(targets, on="case_id", how="left")
    merged = pl.col("merged_into").is_not_null()
    resolve = pl.col("status").is_in(OPEN_STATUSES) & ~merged
    changed = merged | resolve
    reason = (pl.when(merged).then(pl.lit("与") + pl.col("merged_into") + pl.lit("合并 merged"))
              .otherwise(pl.lit("规则不再触发 rule no longer fires")))
    return rows.with_columns(
        status=pl.when(merged).then(pl.lit("merged")).when(resolve).then(pl.lit("resolved"))
        .otherwise("status"),
        status_by=pl.when(changed).then(pl.lit(SYSTEM)).otherwise("status_by"),
        status_at=pl.when(changed).then(pl.lit(month.last_day)).otherwise("status_at"),
        status_month=pl.when(changed).then(pl.lit(str(month))).otherwise("status_month"),
        status_reason=pl.when(changed).then(reason).otherwise("status_reason"),
    ).select(STATE_COLUMNS)


def _earliest_first_seen(live: pl.DataFrame, closed: pl.DataFrame) -> pl.DataFrame:
    """A case others were merged into this month takes the earliest of their first_seen."""
    earliest = (closed.filter(pl.col("merged_into").is_not_null())
                .group_by(case_id="merged_into").agg(pl.col("first_seen").min().alias("_m")))
    return (live.join(earliest, on="case_id", how="left")
            .with_columns(first_seen=pl.min_horizontal("first_seen", "_m")).drop("_m"))


def track_cases(previous: pl.DataFrame | None, mismatch: pl.DataFrame, records: pl.DataFrame,
                month: str | Month, verifications: pl.DataFrame | None = None,
                settings: CaseSettings | None = None) -> pl.DataFrame:
    """This month's ``mismatch_case`` table.

    Args:
        previous: the last published ``mismatch_case`` before this month (the month before, or
            the latest earlier month when one is missing); None for the county's first month.
        mismatch: this month's ``mismatch`` table.
        records: record_id, record_key, extract, person_id of this month's linkage
            (:func:`pipelines.cases.keys.case_records`).
        month: the month (``Month`` or ``YYYY-MM``).
        verifications: answers received (``schemas.cases.Verification``); only those newer
            than a case's recorded answer change it, so passing every archived answer received
            by the month's end is safe.
        settings: deadlines (default ``CaseSettings()``).

    Returns:
        ``MismatchCase`` rows: every case ever found, with this month's status.
    """
    month, settings = Month.parse(month), settings or CaseSettings()
    prev = previous_cases(previous, month)
    cands = candidates(mismatch, records)
    pairs = match_cases(cands, prev)
    live = pl.concat([_continued(prev, cands, pairs, month, settings),
                      _opened(cands, pairs, set(prev["case_id"].to_list()), month, settings)])
    closed = _closed(prev, pairs, live, records, month)
    cases = pl.concat([_earliest_first_seen(live, closed), closed])
    if verifications is not None and verifications.height:
        cases = apply_verifications(cases, verifications, month)
    overdue = pl.col("status").is_in(OPEN_STATUSES) & (pl.col("due") < month.last_day)
    return (
        cases.with_columns(month=pl.lit(str(month)), overdue=overdue)
        .pipe(conform, MismatchCase)
        .sort("township_code", "village_code", "rule", "case_id", nulls_last=True)
    )
