"""Evidence beyond the common columns: household heads, hospitals and dates, clinics, the
insurance person number.

``record_evidence(tables)`` takes it from the typed extract tables (one row per record,
keyed by ``record_id``): the household head named by the poverty roster (户主姓名) and civil
assistance (户主), the ledger's designated hospital and diagnosis date, a settlement's
hospital and admission date, a follow-up's clinic, and the insurance platform's person
number (人员编号) of enrolment and settlement rows. ``attach`` joins it to the prepared
records and derives what the comparisons read: a normalised hospital, the village a clinic
names (虹光村卫生室 -> 虹光村's code, learnt from the records' own village names) and the
sex read off the ID. The comparison functions for this evidence live here too.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import polars as pl

from pipelines.link.coding import NO_DAY, Coded
from pipelines.link.runs import runs
from pipelines.normalise.names import normalise_names

EVIDENCE_COLUMNS: dict[str, pl.DataType] = {
    "head_name": pl.String(), "hospital": pl.String(), "admission_date": pl.Date(),
    "diagnosis_date": pl.Date(), "clinic": pl.String(), "insurance_no": pl.String(),
}
INSURANCE_NO_MIN = 6  # characters: shorter is no person number (a row counter, a code)
VILLAGE_SUFFIX = r"(村民委员会|村委会|社区居民委员会|居民委员会|居委会|社区|行政村|村)$"
CLINIC_SUFFIX = r"(卫生室|卫生所|诊所|医疗室|卫生服务站)$"
HOSPITAL_PREFIX = r"^[^县市省区]{1,6}([县市])"  # 清河县人民医院 -> 县人民医院


def record_evidence(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """Return record_id and the evidence columns of every record of the extract tables.

    Args:
        tables: extract name -> typed extract table (``ingest_landing(...).tables``).

    Returns:
        record_id, head_name (as written), hospital, admission_date, diagnosis_date,
        clinic; null where an extract does not carry the field. The records of the
        tables with evidence, in their order: that of ``person_records`` (an extract
        without evidence left out), so ``attach`` matches them by position, not by a join.
    """
    parts = []
    for table in tables.values():
        have = [c for c in EVIDENCE_COLUMNS if c in table.columns]
        if have and table.height:
            parts.append(table.select("record_id", *have))
    schema = {"record_id": pl.String(), **EVIDENCE_COLUMNS}
    if not parts:
        return pl.DataFrame(schema=schema)
    frame = pl.concat(parts, how="diagonal_relaxed")
    return frame.select(
        [(pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
         for c, t in schema.items()]
    )


def _heads(rec: pl.DataFrame) -> pl.DataFrame:
    """Return the records with head_name normalised like names, and head_pinyin.

    A head written exactly like some record's name is normalised by that record (the first;
    most heads are members too); only the rest go through ``normalise_names``. Worked out
    per distinct head (a few per cent of the records name one) and mapped back by value.
    """
    wanted = rec["head_name"].drop_nulls().unique()  # only names some head has
    known = rec.select(head_raw="name_raw", _h="name", _p="name_pinyin").filter(
        pl.col("head_raw").is_in(wanted.implode()))
    known = known.unique("head_raw", keep="first")
    heads = pl.DataFrame({"head_raw": wanted}).join(known, on="head_raw", how="left")
    rest = heads.filter(pl.col("_h").is_null())
    if rest.height:
        fixed = normalise_names(rest.select("head_raw"), column="head_raw")
        heads = heads.join(fixed.rename({"name": "_h2", "name_pinyin": "_p2"}), on="head_raw",
                           how="left").with_columns(
            _h=pl.coalesce("_h", "_h2"), _p=pl.coalesce("_p", "_p2")).drop("_h2", "_p2")
    head = pl.col("head_name")
    found = rec.select(head_name=by_value(head, heads.select("head_raw", "_h")),
                       head_pinyin=by_value(head, heads.select("head_raw", "_p")))
    return rec.drop("head_name").with_columns(found)  # the two columns last, as always


def heads_known(evidence: pl.DataFrame | None) -> pl.DataFrame | None:
    """The household heads' raw names as this process normalised them (``attach``; the
    names' ``NAME_SCHEMA`` rows), for the next night (``incremental.learn_heads``)."""
    from pipelines.normalise.names import known_names

    known = known_names()
    if evidence is None or known is None or "head_name" not in evidence.columns:
        return None
    heads = evidence["head_name"].drop_nulls().unique()
    return known.filter(pl.col("name_raw").is_in(heads.implode()))


def _village_stems(rec: pl.DataFrame) -> pl.DataFrame:
    """Return stem -> village_code learnt from the records' written village names.

    A stem naming more than one village (two 张庄 in two townships) is left out.
    """
    stem = (
        pl.col("village_raw").str.replace_all(r"\s", "").str.replace(VILLAGE_SUFFIX, "")
    )
    # each written name once (a few thousand), not once per record
    written = rec.select("village_raw", "village_code").unique().filter(
        pl.col("village_code").is_not_null() & ~pl.col("village_raw").str.contains(r"^\d+$")
    ).select(stem=stem, village_code="village_code")
    return (
        written.filter(pl.col("stem").str.len_chars() >= 1)
        .group_by("stem")
        .agg(pl.col("village_code").unique())
        .filter(pl.col("village_code").list.len() == 1)
        .select("stem", clinic_village=pl.col("village_code").list.first())
    )


def by_value(column: pl.Expr, table: pl.DataFrame) -> pl.Expr:
    """``column``'s values mapped by ``table`` (value, new: each value once), null for a
    value it does not hold: a derivation worked out per distinct value, not per record."""
    old, new = table.get_column(table.columns[0]), table.get_column(table.columns[1])
    return column.replace_strict(old, new, default=None, return_dtype=new.dtype)


def _clinic_villages(rec: pl.DataFrame) -> pl.DataFrame:
    """clinic, the village its name names (``_village_stems``), per distinct clinic."""
    clinic_stem = (
        pl.col("clinic").str.replace_all(r"\s", "").str.replace(CLINIC_SUFFIX, "")
        .str.replace(VILLAGE_SUFFIX, "")
    )
    clinics = rec.select(pl.col("clinic").drop_nulls().unique()).with_columns(stem=clinic_stem)
    return clinics.join(_village_stems(rec), on="stem", how="left").select(
        "clinic", "clinic_village")


def _found(rec: pl.DataFrame, evidence: pl.DataFrame) -> pl.DataFrame:
    """Per record the evidence columns of the first evidence row of its record_id: taken by
    position when the evidence lists the records of whole extracts in their order
    (``_positions``); else joined on a hash of the record_id (an integer join costs a
    fraction of a string one) and checked; when two ids share a hash (never seen), joined
    on the ids themselves."""
    cols = [pl.col(c).cast(t) for c, t in EVIDENCE_COLUMNS.items()]
    h = pl.col("record_id").hash(seed=29).alias("_h")
    at = _positions(rec, evidence, h)
    if at is not None:  # 1M residents: 0.8 -> ~0.3 CPU s
        return evidence.select(cols)[at]
    ev = evidence.drop_nulls("record_id").select(h, "record_id", *cols)
    first = ev["_h"].is_first_distinct()
    if not first.all():  # a record_id given twice: its first row
        ev = ev.filter(first)
    found = rec.select(h, _id="record_id").join(ev, on="_h", how="left", maintain_order="left")
    if (found["record_id"] != found["_id"]).any():
        ev = evidence.unique("record_id", keep="first").select("record_id", *cols)
        found = rec.select("record_id").join(ev, on="record_id", how="left",
                                             maintain_order="left")
    return found.drop("_h", "_id", "record_id", strict=False)


def _positions(rec: pl.DataFrame, evidence: pl.DataFrame, h: pl.Expr) -> pl.Series | None:
    """Per record its evidence row (null: none), when ``evidence`` lists, in order, the
    records of whole runs of ``rec``'s extracts (``record_evidence`` of the tables
    ``person_records`` concatenated, an extract without evidence left out) and every id is
    the only one of its value (told by hashes: two ids sharing one count as twice); else
    None. Walks the runs of extracts (a handful), comparing each run's ids at once."""
    if "extract" not in rec.columns or rec.height == 0 or evidence.height > rec.height:
        return None
    ids, theirs = rec.get_column("record_id"), evidence.get_column("record_id")
    if ids.null_count() or rec.select(h.n_unique()).item() != rec.height:  # (a count: cheap)
        return None
    pos, at = np.full(rec.height, -1, dtype=np.int64), 0
    start, length = runs(rec.get_column("extract").rle_id().to_numpy())
    for s, n in zip(start.tolist(), length.tolist(), strict=True):  # runs, not rows
        if at + n <= len(theirs) and theirs[at] == ids[s]:
            if not (theirs.slice(at, n) == ids.slice(s, n)).all():  # slices: no copy
                return None
            pos[s:s + n] = np.arange(at, at + n)
            at += n
    if at != len(theirs):
        return None
    return pl.DataFrame({"at": pos}).select(pl.when(pl.col("at") >= 0).then("at"))["at"]


def attach(rec: pl.DataFrame, evidence: pl.DataFrame | None) -> pl.DataFrame:
    """Return the prepared records with the evidence columns and what derives from them.

    Adds head_name (normalised like names), head_pinyin, hospital (normalised:
    清河县人民医院 -> 县人民医院),
    admission_date, diagnosis_date, clinic_village (the village a follow-up's clinic
    names, only where the record's own village is blank), place (village, else clinic
    village) and sex_id (the ID's sex digit where an 18-character ID is present and not
    Excel-rounded, else sex).

    Args:
        rec: prepared records (``record_id``, common columns).
        evidence: ``record_evidence`` output, or None.
    """
    if evidence is None or evidence.height == 0:
        rec = rec.with_columns(
            [pl.lit(None, dtype=t).alias(c) for c, t in EVIDENCE_COLUMNS.items()]
        )
    else:  # the join's columns added, rec not copied
        rec = pl.concat([rec, _found(rec, evidence)], how="horizontal")
    rec = _heads(rec)
    rec = rec.with_columns(clinic_village=pl.when(pl.col("village_code").is_null()).then(
        by_value(pl.col("clinic"), _clinic_villages(rec))))
    digit = pl.col("id_number").str.slice(16, 1).cast(pl.Int32, strict=False)
    # Excel keeps 15 digits of an ID it held as a number: the sex digit (17th) is lost
    whole = (pl.col("id_number").str.len_chars() == 18) & ~(
        ~pl.col("id_valid") & pl.col("id_number").str.ends_with("000"))
    return rec.with_columns(
        insurance_no=insurance_keys(rec["insurance_no"]),
        hospital=by_value(pl.col("hospital"), rec.select(pl.col("hospital").drop_nulls().unique())
                          .select("hospital", new=pl.col("hospital").str.replace_all(r"\s", "")
                                  .str.replace(HOSPITAL_PREFIX, "${1}"))),
        place=pl.coalesce("village_code", "clinic_village"),
        sex_id=pl.when(whole)
        .then(pl.when(digit % 2 == 1).then(pl.lit("男")).when(digit % 2 == 0).then(pl.lit("女")))
        .otherwise(pl.col("sex")),
    )


def insurance_key(expr: pl.Expr) -> pl.Expr:
    """Return the insurance person number as a key: letters and digits only, upper case;
    null when Excel turned it into a number (4.31E+25, or a float's .0) or it is too short.

    Examples: ``="43122520000000000000000012"`` and ``4312 2520 …`` both give the digits.
    """
    text = expr.cast(pl.String).str.strip_chars()
    destroyed = text.str.contains(r"(?i)^[0-9.]+e[+-]?[0-9]+$|\.0+$").fill_null(False)
    key = text.str.replace_all(r"[^0-9A-Za-z]", "").str.to_uppercase()
    # most numbers are digits only, already their own key (no ``e``, no ``.``): one regex
    digits = text.str.contains(rf"^[0-9]{{{INSURANCE_NO_MIN},}}$")
    return pl.when(digits).then(text).when(~destroyed & (key.str.len_chars() >= INSURANCE_NO_MIN)
                                           ).then(key)


def insurance_keys(numbers: pl.Series) -> pl.Series:
    """``insurance_key`` of a column, the cleaning worked out only for the numbers that are
    not digits alone (a few per cent; the expression computes every branch for every row)."""
    text = numbers.cast(pl.String).str.strip_chars()
    digits = text.str.contains(rf"^[0-9]{{{INSURANCE_NO_MIN},}}$").fill_null(False)
    keys = text.zip_with(digits, pl.Series(values=[None], dtype=pl.String))
    rest = (~digits & text.is_not_null()).arg_true()
    if rest.len() == 0:
        return keys
    cleaned = text.gather(rest).to_frame("t").select(insurance_key(pl.col("t"))).to_series()
    return keys.scatter(rest, cleaned)


def head_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Mapping) -> np.ndarray:
    """Grade household heads: same name, same pinyin, different; null if either is unnamed."""
    a, b = c.head[i], c.head[j]
    pa, pb = c.head_pinyin[i], c.head_pinyin[j]
    level = np.where(a == b, 0, np.where((pa == pb) & (pa >= 0), 1, 2))
    return np.where((a >= 0) & (b >= 0), level, -1).astype(np.int8)


def hospital_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Mapping) -> np.ndarray:
    """Grade hospitals: a settlement at the ledger's hospital within the treatment window,
    the same hospital otherwise, different; null unless both records name a hospital.

    The window runs from ``window_before_days`` before the ledger's diagnosis date to
    ``window_after_days`` after it, and is checked in both directions of the pair.
    """
    a, b = c.hospital[i], c.hospital[j]
    before, after = p.get("window_before_days", 30), p.get("window_after_days", 180)

    def within(ledger: np.ndarray, stay: np.ndarray) -> np.ndarray:
        gap = stay.astype(np.int64) - ledger
        return (ledger != NO_DAY) & (stay != NO_DAY) & (gap >= -before) & (gap <= after)

    window = within(c.diagnosis[i], c.admission[j]) | within(c.diagnosis[j], c.admission[i])
    level = np.where(a == b, np.where(window, 0, 1), 2)
    return np.where((a >= 0) & (b >= 0), level, -1).astype(np.int8)


def stay_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Mapping) -> np.ndarray:
    """Grade two hospital stays: one stay (same hospital, admission days at most
    ``stay_days`` apart: the insurance settlement and the hospital's own discharge list of
    one stay), or not; null unless both records name a hospital and an admission day.

    A comparison of its own, not a level of ``hospital``: where admissions cluster (a county
    hospital, one season) two people share a stay day often enough that the level is weak,
    and a weak strongest level would cap the treatment-window level below it.
    """
    a, b = c.hospital[i], c.hospital[j]
    ai, aj = c.admission[i].astype(np.int64), c.admission[j].astype(np.int64)
    known = (a >= 0) & (b >= 0) & (ai != NO_DAY) & (aj != NO_DAY)
    one = (a == b) & (np.abs(ai - aj) <= p.get("stay_days", 0))
    return np.where(known, np.where(one, 0, 1), -1).astype(np.int8)


def clinic_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Mapping) -> np.ndarray:
    """Grade the village a follow-up's clinic names against the other record's village.

    Only pairs where at least one side's place comes from its clinic (its own village is
    blank) get a level; the ``place`` comparison leaves exactly those pairs null, so the
    same fact is never counted twice.
    """
    ci, cj = c.clinic_village[i], c.clinic_village[j]
    vi = np.where(ci >= 0, ci, c.village[i])
    vj = np.where(cj >= 0, cj, c.village[j])
    ti = np.where(ci >= 0, c.clinic_township[i], c.township[i])
    tj = np.where(cj >= 0, c.clinic_township[j], c.township[j])
    level = np.where(vi == vj, 0, np.where((ti >= 0) & (ti == tj), 1, 2))
    ok = ((ci >= 0) | (cj >= 0)) & (vi >= 0) & (vj >= 0)
    return np.where(ok, level, -1).astype(np.int8)


def other_records_levels(c: Coded, i: np.ndarray, j: np.ndarray, p: Mapping) -> np.ndarray:
    """Grade whether the person of a valid ID has other records in the extract of a record
    without one: has-others, has-none. Only for extracts that list a person more than once
    (a settlement without an ID against someone whose ID appears on other stays); null
    otherwise.
    """
    def side(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = ~c.id_valid[x] & c.multi_row[x] & c.id_valid[y]
        return ok, (c.id_extracts[y] & c.extract_bit[x]) > 0

    ok_l, has_l = side(i, j)
    ok_r, has_r = side(j, i)
    level = np.where(np.where(ok_l, has_l, has_r), 0, 1)
    return np.where(ok_l | ok_r, level, -1).astype(np.int8)
