"""Records as integer codes, so that comparing millions of pairs is numpy indexing.

Every compared column is coded once (a dense code per unique value, -1 for null); strings
are compared later once per unique pair of values. ``Coded`` also carries, per unique name,
how many people with a valid ID hold it (``name_holders``, for ``name_frequency``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.link.runs import runs, sort_order

# Two-character surnames (复姓); any other name's surname is its first character.
COMPOUND_SURNAMES: tuple[str, ...] = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "轩辕", "令狐", "钟离", "闻人", "澹台", "公冶", "太史", "申屠", "端木",
    "百里", "东郭", "南宫", "西门", "独孤", "呼延", "万俟", "赫连", "拓跋", "濮阳", "淳于",
    "单于", "司空", "司寇", "仲孙", "宗政", "第五", "左丘", "谷梁", "羊舌", "微生", "梁丘",
)  # fmt: skip
NO_DAY = np.iinfo(np.int32).min  # a missing date, as days since 1970


@dataclass(frozen=True)
class Coded:
    """Records as integer codes (-1 = null) plus the unique values they point to.

    Attributes:
        name: per record, index into ``names`` (-1 null).
        pinyin: per record, code of the name's pinyin (-1 null).
        id: per record, row of ``id_chars`` (-1 null).
        id_valid: per record, the ID passes its checksum.
        extract_bit: per record, the bit of its extract (1 << extract's code).
        multi_row: per record, its extract may list a person more than once (stays,
            follow-ups).
        id_extracts: per record with a valid ID, the bits of every extract some record
            with that ID comes from (0 without a valid ID).
        year, month, day: per record birth date parts (0 when null).
        has_birth: per record, a birth date is present.
        sex: per record, 0 men / 1 women / -1 unknown: the ID's sex digit where the record
            carries an 18-character ID, else its sex column.
        sex_stated: per record, the record's own sex column as coded (0 / 1 / -1).
        village, township, county, household: per record keys (``keys``, -1 null); the
            county is the first 6 digits of the village (else township) code.
        head, head_pinyin: per record, keys of the household head's name and pinyin.
        hospital: per record, the key of the normalised hospital (-1 null).
        insurance_no: per record, the key of the insurance person number (-1 null).
        admission, diagnosis: per record, settlement admission / ledger diagnosis date as
            days since 1970 (``NO_DAY`` when null).
        clinic_village, clinic_township: per record, keys of the village (and its
            township) a follow-up clinic names, only where the record's own village is
            blank (-1); equal to ``village`` / ``township`` keys of the same code.
        names: unique names.
        name_pinyin: per unique name, its pinyin code (-1 null).
        name_surname: per unique name, its surname code (-1: none, e.g. 买买提·艾力).
        name_lengths: per unique name, its length in characters.
        name_holders: per unique name, the number of distinct valid IDs carrying it.
        pinyin_holders: per unique pinyin, the number of distinct valid IDs carrying it.
        pinyins: unique pinyins.
        name_objects, pinyin_objects: the unique names / pinyins as numpy object arrays
            (cheap to gather for rapidfuzz).
        pinyin_letters: (unique pinyins, 27) letter counts (a..z, other), to bound their
            similarity before computing it.
        pinyin_lengths: per unique pinyin, its length.
        id_chars: (unique IDs, 18) uint8 matrix of ID characters.
    """

    name: np.ndarray
    pinyin: np.ndarray
    id: np.ndarray
    id_valid: np.ndarray
    extract_bit: np.ndarray
    multi_row: np.ndarray
    id_extracts: np.ndarray
    year: np.ndarray
    month: np.ndarray
    day: np.ndarray
    has_birth: np.ndarray
    sex: np.ndarray
    sex_stated: np.ndarray
    village: np.ndarray
    township: np.ndarray
    county: np.ndarray
    household: np.ndarray
    head: np.ndarray
    head_pinyin: np.ndarray
    hospital: np.ndarray
    insurance_no: np.ndarray
    admission: np.ndarray
    diagnosis: np.ndarray
    clinic_village: np.ndarray
    clinic_township: np.ndarray
    names: pl.Series
    name_pinyin: np.ndarray
    name_surname: np.ndarray
    name_lengths: np.ndarray
    name_holders: np.ndarray
    pinyin_holders: np.ndarray
    pinyins: pl.Series
    name_objects: np.ndarray
    pinyin_objects: np.ndarray
    pinyin_letters: np.ndarray
    pinyin_lengths: np.ndarray
    id_chars: np.ndarray


def codes(s: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Return per value a dense code (-1 for null) and the unique values by code."""
    uniq = s.drop_nulls().unique().sort()
    coded = (
        pl.DataFrame({"v": s})
        .join(
            pl.DataFrame({"v": uniq, "c": pl.int_range(len(uniq), eager=True)}),
            on="v",
            how="left",
            maintain_order="left",
        )
        .get_column("c")
        .fill_null(-1)
        .to_numpy()
        .astype(np.int64)
    )
    return coded, uniq


def dense_codes(s: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Return per value a dense code (-1 for null) and the unique values by code, in no
    particular order (``codes`` sorts them): the values grouped by a 64-bit hash, each
    compared with its group's first (``codes`` if two values share a hash)."""
    known = np.flatnonzero(s.is_not_null().to_numpy())
    h = s.gather(known).hash(seed=3).to_numpy()
    order = sort_order(h)
    h = h[order]
    start, size = runs(h)
    rows = known[order]
    firsts = np.repeat(rows[start], size)
    later = np.flatnonzero(rows != firsts)  # a value sharing its hash with an earlier one
    if not (s.gather(rows[later]) == s.gather(firsts[later])).all():
        return codes(s)  # two values of one hash
    out = np.full(len(s), -1, dtype=np.int64)
    out[rows] = np.repeat(np.arange(len(start)), size)
    return out, s.gather(rows[start])


def id_code() -> pl.Expr:
    """Return an 18-character ID as one Int64: int(first 17 digits) * 11 + check value."""
    idn = pl.col("id_number")
    check = idn.str.slice(17, 1)
    value = pl.when(check == "X").then(10).otherwise(check.cast(pl.Int64, strict=False))
    body = idn.str.slice(0, 17).cast(pl.Int64, strict=False)
    ok = (idn.str.len_bytes() == 18) & idn.str.slice(0, 17).str.contains(r"^[0-9]{17}$")
    return pl.when(ok).then(body * 11 + value)


def valid_id_codes(rec: pl.DataFrame) -> pl.Series:
    """Per record its valid ID as one integer (``id_code``: equal integers, equal IDs), null
    for an invalid or missing one; dense codes when a valid ID is not of that form."""
    valid = pl.col("id_valid").fill_null(False) & pl.col("id_number").is_not_null()
    code = rec.select(pl.when(valid).then(id_code())).to_series()
    if code.null_count() > rec.height - rec.select(valid.sum()).item():
        code = pl.Series(dense_codes(rec["id_number"])[0]).replace(-1, None)
        return rec.select(pl.when(valid).then(code)).to_series()
    return code


def keys(s: pl.Series) -> np.ndarray:
    """Return per value a non-negative int64 hash key (-1 for null).

    For columns compared only for equality, where dense codes (and the sort behind them) are
    not needed; equal strings get equal keys in any column (a 63-bit hash: a collision
    would only make two values compare equal, with odds of about n^2 / 2^64).
    """
    h = s.cast(pl.String).hash(seed=11).to_numpy() >> np.uint64(1)
    return np.where(s.is_null().to_numpy(), -1, h.astype(np.int64))


def surname(name: pl.Expr) -> pl.Expr:
    """Return the surname of a name: a compound surname (欧阳) or the first character.

    Names without a surname (minority names written with a middle dot) and names of one
    character give null.

    Args:
        name: normalised names.

    Returns:
        The surname expression.

    Examples:
        >>> pl.select(surname(pl.lit("欧阳娜娜"))).item()
        '欧阳'
    """
    two = name.str.slice(0, 2)
    length = name.str.len_chars()
    return (
        pl.when(name.str.contains("·", literal=True) | (length < 2))
        .then(None)
        .when(two.is_in(COMPOUND_SURNAMES) & (length >= 3))
        .then(two)
        .otherwise(name.str.slice(0, 1))
    )


def _days(s: pl.Series) -> np.ndarray:
    """Return dates as int32 days since 1970, ``NO_DAY`` for null."""
    return s.cast(pl.Date).cast(pl.Int32).fill_null(NO_DAY).to_numpy().astype(np.int32)


def holders(rec: pl.DataFrame, column: str, values: pl.Series) -> np.ndarray:
    """Return per unique value of ``column`` the number of distinct valid IDs carrying it."""
    held = (
        rec.filter(pl.col("id_valid") & pl.col(column).is_not_null())
        .select(column, "id_number")
        .unique()
        .group_by(column)
        .agg(h=pl.len())
    )
    return (
        pl.DataFrame({column: values})
        .join(held, on=column, how="left", maintain_order="left")["h"]
        .fill_null(0)
        .to_numpy()
        .astype(np.int64)
    )


def _letter_counts(pinyins: pl.Series) -> np.ndarray:
    """Return per string its counts of the letters a..z (and of anything else)."""
    width = max(int(pinyins.str.len_chars().max() or 1), 1)
    points = np.array(pinyins.fill_null("").to_list(), dtype=f"<U{width}").view(np.int32)
    points = points.reshape(len(pinyins), width)
    letter = np.where((points >= 97) & (points <= 122), points - 97, 26)
    cell = np.arange(len(pinyins))[:, None] * 27 + letter  # (string, letter) as one number
    counts = np.bincount(cell[points > 0], minlength=len(pinyins) * 27)  # not ufunc.at: 10x
    return counts.reshape(len(pinyins), 27).astype(np.int16)


def _held(rec: pl.DataFrame, held: pl.Series, column: str, values: pl.Series,
          code: np.ndarray | None = None) -> np.ndarray:
    """Per unique value of ``column``, its holders as ``held`` gives them per record (a
    ``county_facts`` column at ``rec``'s rows: one figure for every record of a value).
    ``code``: per record the position of its value in ``values`` (-1 null), when known."""
    if code is not None:  # scattered by code: no join (the last record of a value writes)
        out = np.zeros(len(values), dtype=np.int64)
        at = code >= 0
        out[code[at]] = held.fill_null(0).to_numpy()[at]
        return out
    per = pl.DataFrame({column: rec[column], "h": held}).drop_nulls(column).unique(column)
    return (pl.DataFrame({column: values}).join(per, on=column, how="left",
                                                 maintain_order="left")["h"]
            .fill_null(0).to_numpy().astype(np.int64))


def _name_parts(rec: pl.DataFrame, whole: pl.DataFrame, facts: pl.DataFrame | None) -> dict:
    """Return the name codes and the per-unique-name facts of ``Coded`` (holders counted
    over ``whole``, or read off ``facts``)."""
    name, names = codes(rec["name"])
    one = np.zeros(len(names), dtype=np.int64)  # a record of each name: its pinyin is the
    one[name[name >= 0]] = np.flatnonzero(name >= 0)  # name's (not a unique of 2M rows)
    pin_code, pinyins = codes(rec["name_pinyin"].gather(one))
    pinyin = (
        np.where(name >= 0, pin_code[np.maximum(name, 0)], -1)
        if len(pin_code)
        else np.full(len(name), -1, dtype=np.int64)
    )
    return {
        "name": name, "pinyin": pinyin, "names": names, "name_pinyin": pin_code,
        "name_surname": keys(pl.select(surname(pl.lit(names))).to_series()),
        "name_lengths": names.str.len_chars().to_numpy().astype(np.int64),
        "name_holders": holders(whole, "name", names) if facts is None
        else _held(rec, facts["name_holders"], "name", names, name),
        "pinyin_holders": holders(whole, "name_pinyin", pinyins) if facts is None
        else _held(rec, facts["pinyin_holders"], "name_pinyin", pinyins, pinyin),
        "pinyins": pinyins,
        "name_objects": np.array(names.to_list(), dtype=object),
        "pinyin_objects": np.array(pinyins.to_list(), dtype=object),
        "pinyin_letters": _letter_counts(pinyins),
        "pinyin_lengths": pinyins.str.len_chars().to_numpy().astype(np.int64),
    }


def _extract_bits(rec: pl.DataFrame, whole: pl.DataFrame,
                  facts: pl.DataFrame | None = None) -> dict:
    """Return each record's extract bit and, per valid ID, the extracts it appears in (among
    the records of ``whole``, or read off ``facts``)."""
    uniq = whole["extract"].drop_nulls().unique().sort()
    lookup = pl.DataFrame({"extract": uniq,
                           "bit": pl.Series([1 << k for k in range(len(uniq))], dtype=pl.Int64)})

    def bits(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select("extract", id="id_number", ok="id_valid").join(
            lookup, on="extract", how="left", maintain_order="left").with_columns(
            pl.col("bit").fill_null(0))

    if facts is None:
        per_id = (bits(whole).filter(pl.col("ok")).select("id", "bit").unique()
                  .group_by("id").agg(mask=pl.col("bit").sum()))
        own = bits(rec).join(per_id, on="id", how="left", maintain_order="left")
        mask = own.select(pl.when(pl.col("ok")).then("mask").otherwise(0)).to_series()
    else:
        own, mask = bits(rec), facts["id_extracts"]
    multi = rec["multi_row"] if "multi_row" in rec.columns else pl.Series([True] * rec.height)
    return {"extract_bit": own["bit"].to_numpy().astype(np.int64),
            "multi_row": multi.fill_null(True).to_numpy(),
            "id_extracts": mask.fill_null(0).to_numpy().astype(np.int64)}


def county_facts(rec: pl.DataFrame, extracts: list[str] | None = None,
                 only: tuple[str, ...] = ("name_holders", "pinyin_holders", "id_extracts")
                 ) -> pl.DataFrame:
    """Per record, the county-wide facts its comparisons read (``Coded``'s ``name_holders``,
    ``pinyin_holders`` and ``id_extracts``, counted over ``rec``): how many valid IDs carry
    its name and its pinyin, and the extracts its valid ID appears in (``extracts``, sorted,
    number the bits: by default ``rec``'s own); ``only``: the facts wanted.

    The valid IDs as integers (``valid_id_codes``), counted per name and pinyin, and sorted
    for each ID's extracts (no window over 2M ID strings: most of the time it took)."""
    ids = valid_id_codes(rec)  # null unless valid
    exprs = {}
    for fact, column in (("name_holders", "name"), ("pinyin_holders", "name_pinyin")):
        count = pl.col("_id").drop_nulls().n_unique().over(column)
        exprs[fact] = pl.when(pl.col(column).is_not_null()).then(count).otherwise(0)
    facts = rec.select("name", "name_pinyin", _id=ids)
    if "id_extracts" in only:
        facts = facts.with_columns(id_extracts=pl.Series(_extracts_per_id(rec, ids, extracts)))
        exprs["id_extracts"] = pl.col("id_extracts")
    return facts.select(*[exprs[f].cast(pl.Int64).alias(f) for f in only])


def _extracts_per_id(rec: pl.DataFrame, ids: pl.Series, extracts: list[str] | None
                     ) -> np.ndarray:
    """Per record with a valid ID (``ids``, null for the rest: 0) the bits of every extract
    a record of that ID comes from (``extracts``, sorted, number the bits)."""
    uniq = (rec["extract"].drop_nulls().unique().sort().to_list() if extracts is None
            else extracts)
    bit = rec["extract"].replace_strict({e: 1 << k for k, e in enumerate(uniq)}, default=0,
                                        return_dtype=pl.Int64).to_numpy()
    at = np.flatnonzero(ids.is_not_null().to_numpy())
    code = ids.gather(at).to_numpy()
    order = sort_order(code)
    start, size = runs(code[order])
    out = np.zeros(rec.height, dtype=np.int64)
    if len(at):
        out[at[order]] = np.repeat(np.bitwise_or.reduceat(bit[at[order]], start), size)
    return out


def code_records(rec: pl.DataFrame, whole: pl.DataFrame | None = None,
                 facts: pl.DataFrame | None = None) -> Coded:
    """Return the compared columns of the prepared records as integer codes.

    Args:
        rec: prepared records (``linker.prepare_records``: the person_records columns plus the
            evidence columns head_name, head_pinyin, hospital, admission_date,
            diagnosis_date, clinic_village and the derived sex_id).
        whole: all the night's records when ``rec`` is a part of them (an incremental
            night codes only the records of the pairs it compares): the county-wide facts
            (name holders, each valid ID's extracts) are counted over ``whole``.

    Returns:
        The coded records.
    """
    county = rec.select(pl.coalesce("village_code", "township_code").str.slice(0, 6))
    clinic_town = rec.select(pl.col("clinic_village").str.slice(0, 9) + "000").to_series()
    id_code, ids = dense_codes(rec["id_number"])  # compared for equality only
    raw = np.array(ids.to_list(), dtype="S18")
    birth = rec["birth_date"]
    return Coded(
        **_name_parts(rec, rec if whole is None else whole, facts),
        id=id_code,
        id_valid=rec["id_valid"].to_numpy(),
        **_extract_bits(rec, rec if whole is None else whole, facts),
        year=birth.dt.year().fill_null(0).to_numpy().astype(np.int32),
        month=birth.dt.month().fill_null(0).to_numpy().astype(np.int32),
        day=birth.dt.day().fill_null(0).to_numpy().astype(np.int32),
        has_birth=birth.is_not_null().to_numpy(),
        sex=rec["sex_id"].replace_strict({"男": 0, "女": 1}, default=-1).to_numpy(),
        sex_stated=rec["sex"].replace_strict({"男": 0, "女": 1}, default=-1).to_numpy(),
        village=keys(rec["village_code"]),
        township=keys(rec["township_code"]),
        county=keys(county.to_series()),
        household=keys(rec["household_id"]),
        head=keys(rec["head_name"]),
        head_pinyin=keys(rec["head_pinyin"]),
        hospital=keys(rec["hospital"]),
        insurance_no=keys(rec["insurance_no"]),
        admission=_days(rec["admission_date"]),
        diagnosis=_days(rec["diagnosis_date"]),
        clinic_village=keys(rec["clinic_village"]),
        clinic_township=keys(clinic_town),
        id_chars=raw.view(np.uint8).reshape(len(raw), 18),
    )
