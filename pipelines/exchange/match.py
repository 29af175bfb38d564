"""The office's own case list matched to people: its rows carry IDs and names, not person ids.

The illness office returns the list its own system prints: names, full or masked identity
numbers, birth dates, illnesses, never sanji's ``person_id``. Each row is matched to a person of
the golden ``person`` table, strongest evidence first:

1. ``person_id``: the row names a person id of ours (our own workbook sent back);
2. ``id``: its full identity number equals a person's (one person only);
3. otherwise candidates share the name's pinyin (张伟 / 张玮) or the masked ID's visible digits
   (first 6, last 4); each candidate pair is graded with the linker's comparisons
   (``pipelines.link.comparisons``: name exact / homophone / fuzzy, birth date, ID one
   substitution or swap). A pair is accepted when the name is exact or a homophone (fuzzy only
   with both birth date and visible digits agreeing) and the birth date agrees
   (``name_birth``), or a full ID is one typo off (``name_id_typo``), or the visible digits
   agree (``name_masked_id``), and nothing contradicts it (another birth date, other visible
   digits, a different full ID). Among accepted people the one with the row's illness on our
   list wins, then an exact name, a birth date, visible digits; a tie leaves the row
   ``unmatched`` with the number of people who fit.

Full IDs stay in memory: the matched rows are masked like :func:`pipelines.exchange.read_return`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.domain.codes import CODE_LISTS
from pipelines.exchange.returned import _typed, read_return_rows
from pipelines.extracts import HeaderMapping
from pipelines.link.coding import code_records
from pipelines.link.comparisons import compare
from pipelines.link.linker import prepare_records
from pipelines.link.settings import LinkSettings
from pipelines.normalise.dates import parse_date
from pipelines.normalise.ids import normalise_ids
from pipelines.normalise.names import normalise_names
from pipelines.values import map_column
from schemas.canonical import PersonRecords
from schemas.contract import conform
from schemas.exchange import MatchedCase

COMPARED = ("name", "name_pinyin", "id_number", "birth_date", "sex", "village_code",
            "township_code", "household_id")
_MASKED = r"^([0-9]{6})[*＊]{4,}([0-9]{3}[0-9X])$"
GRADED = ("name", "id", "birth")  # the linker's comparisons the office match reuses
NAME_EXACT, NAME_HOMOPHONE, NAME_FUZZY = 0, 1, 2
BIRTH_EXACT, ID_DIFFERENT, BIRTH_DIFFERENT = 0, 3, 3


def _visible(raw: pl.Expr, full: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The first 6 and last 4 characters an ID shows, masked or full."""
    text = raw.str.to_uppercase().str.replace_all(r"\s", "")
    return (pl.coalesce(full.str.slice(0, 6), text.str.extract(_MASKED, 1)),
            pl.coalesce(full.str.slice(-4, 4), text.str.extract(_MASKED, 2)))


def their_people(rows: pl.DataFrame) -> pl.DataFrame:
    """The office's rows as comparable people.

    Args:
        rows: :func:`pipelines.exchange.returned.read_return_rows` (text).

    Returns:
        _t (row position), their_pid, the ``COMPARED`` columns, head6, tail4, illness.
    """
    for col in ("name", "id_masked", "birth_date", "sex", "person_id"):
        if col not in rows.columns:
            rows = rows.with_columns(pl.lit(None, pl.String).alias(col))
    sex, _ = map_column(rows, "sex", CODE_LISTS["sex"])
    people = normalise_ids(
        normalise_names(rows.select("id_masked", "person_id", "illness", "birth_date",
                                    name_raw="name")),
        "id_masked")
    head, tail = _visible(pl.col("id_masked"), pl.col("id_number"))
    return people.select(
        _t=pl.int_range(pl.len(), dtype=pl.UInt32), their_pid="person_id", name="name",
        name_pinyin="name_pinyin", id_number="id_number",
        birth_date=pl.coalesce(parse_date(pl.col("birth_date")), pl.col("id_birth_date")),
        sex=sex, village_code=pl.lit(None, pl.String), township_code=pl.lit(None, pl.String),
        household_id=pl.lit(None, pl.String), head6=head, tail4=tail, illness="illness",
    )


# What the matching reads of the golden ``person`` (its step loads only these columns).
PERSON_COLUMNS: tuple[str, ...] = ("person_id", "name", "id_number", "birth_date", "sex",
                                   "village_code", "township_code", "household_id")


def our_people(person: pl.DataFrame) -> pl.DataFrame:
    """The golden persons as comparable people: _p, person_id, ``COMPARED``, head6, tail4."""
    people = normalise_names(person.select(
        "person_id", "id_number", "birth_date", "sex", "village_code", "township_code",
        "household_id", name_raw="name"))
    head, tail = _visible(pl.lit(None, pl.String), pl.col("id_number"))
    return people.select(*COMPARED, _p=pl.int_range(pl.len(), dtype=pl.UInt32),
                         person_id="person_id", head6=head, tail4=tail)


def _direct(theirs: pl.DataFrame, ours: pl.DataFrame) -> pl.DataFrame:
    """_t -> person_id, match for rows naming our person id, else a full ID of one person."""
    by_pid = (theirs.join(ours.select(their_pid="person_id"), on="their_pid", how="semi")
              .select("_t", person_id="their_pid", match=pl.lit("person_id")))
    by_id = (theirs.join(by_pid, on="_t", how="anti")
             .join(ours.select("person_id", "id_number"), on="id_number")
             .filter(pl.len().over("_t") == 1)
             .select("_t", "person_id", match=pl.lit("id")))
    return pl.concat([by_pid, by_id])


def _candidates(theirs: pl.DataFrame, ours: pl.DataFrame) -> pl.DataFrame:
    """(_t, _p) pairs sharing the name's pinyin or the ID's visible digits."""
    pinyin = theirs.drop_nulls("name_pinyin").join(ours.drop_nulls("name_pinyin"),
                                                   on="name_pinyin").select("_t", "_p")
    digits = (theirs.drop_nulls(["head6", "tail4"])
              .join(ours.drop_nulls(["head6", "tail4"]), on=["head6", "tail4"])
              .select("_t", "_p"))
    return pl.concat([pinyin, digits]).unique()


def _graded(pairs: pl.DataFrame, theirs: pl.DataFrame, ours: pl.DataFrame) -> pl.DataFrame:
    """The pairs with the linker's levels for name, ID and birth date, and digit agreement."""
    records = pl.concat([ours.select(COMPARED), theirs.select(COMPARED)], how="vertical_relaxed")
    records = conform(records.with_columns(  # as the linker's person_records
        record_id=pl.int_range(pl.len()).cast(pl.String), extract=pl.lit("exchange"),
        name_raw=pl.col("name"), id_valid=pl.col("id_number").is_not_null()), PersonRecords)
    coded = code_records(prepare_records(records))
    offset = ours.height
    levels = compare(coded, pairs["_p"].to_numpy(), pairs["_t"].to_numpy() + offset,
                     [c for c in LinkSettings().comparisons if c.name in GRADED])
    visible = (pairs.join(theirs.select("_t", "head6", "tail4"), on="_t", how="left")
               .join(ours.select("_p", o6="head6", o4="tail4"), on="_p", how="left"))
    both = pl.all_horizontal(pl.col("head6", "tail4", "o6", "o4").is_not_null())
    same = (pl.col("head6") == pl.col("o6")) & (pl.col("tail4") == pl.col("o4"))
    return visible.with_columns(
        name_level=pl.Series(levels["name"]), id_level=pl.Series(levels["id"]),
        birth_level=pl.Series(levels["birth"]),
        digits_agree=both & same, digits_conflict=both & ~same,
    ).select("_t", "_p", "name_level", "id_level", "birth_level", "digits_agree",
             "digits_conflict")


def _accepted(graded: pl.DataFrame) -> pl.DataFrame:
    """The pairs the module's rule accepts, with the method and the contradictions checked."""
    name = pl.col("name_level")
    birth = pl.col("birth_level") == BIRTH_EXACT
    digits = pl.col("digits_agree")
    typo = pl.col("id_level").is_in([1, 2])
    name_ok = name.is_in([NAME_EXACT, NAME_HOMOPHONE]) | ((name == NAME_FUZZY) & birth & digits)
    contradicted = (pl.col("digits_conflict") | (pl.col("id_level") == ID_DIFFERENT)
                    | (pl.col("birth_level") == BIRTH_DIFFERENT))
    return graded.filter(name_ok & (birth | digits | typo) & ~contradicted).with_columns(
        match=pl.when(birth).then(pl.lit("name_birth"))
        .when(typo).then(pl.lit("name_id_typo")).otherwise(pl.lit("name_masked_id")),
        name_exact=name == NAME_EXACT, birth_exact=birth,
    )


def _by_person(theirs: pl.DataFrame, ours: pl.DataFrame, cases: pl.DataFrame | None,
               done: pl.DataFrame) -> pl.DataFrame:
    """_t -> person_id, match, match_note for the rows not matched directly."""
    rest = theirs.join(done, on="_t", how="anti")
    pairs = _candidates(rest, ours)
    graded = _graded(pairs, theirs, ours) if pairs.height else pairs.with_columns(
        name_level=pl.lit(0), id_level=pl.lit(0), birth_level=pl.lit(0),
        digits_agree=pl.lit(False), digits_conflict=pl.lit(False))
    ok = (_accepted(graded)
          .join(ours.select("_p", "person_id"), on="_p")
          .join(theirs.select("_t", "illness"), on="_t"))
    listed = (cases.select("person_id", "illness").unique().with_columns(_ill=pl.lit(True))
              if cases is not None else pl.DataFrame(schema={"person_id": pl.String,
                                                             "illness": pl.String,
                                                             "_ill": pl.Boolean}))
    ranked = ok.join(listed, on=["person_id", "illness"], how="left").with_columns(
        score=pl.col("_ill").fill_null(False).cast(pl.Int8) * 8
        + pl.col("name_exact").cast(pl.Int8) * 4 + pl.col("birth_exact").cast(pl.Int8) * 2
        + pl.col("digits_agree").cast(pl.Int8))
    best = ranked.filter(pl.col("score") == pl.col("score").max().over("_t"))
    fit = best.group_by("_t").agg(pl.col("person_id").n_unique().alias("n"),
                                  pl.col("person_id").first(), pl.col("match").first())
    found = fit.filter(pl.col("n") == 1).select("_t", "person_id", "match",
                                                match_note=pl.lit(None, pl.String))
    note = (pl.when(pl.col("_t").is_in(fit["_t"].implode()))
            .then(pl.lit("多人符合，无法确定 / several people fit"))
            .when(pl.col("_t").is_in(pairs["_t"].implode()))
            .then(pl.lit("同名者出生日期或身份证号不符 / name fits, birth date or ID does not"))
            .otherwise(pl.lit("无此姓名或身份证号的人员 / nobody of this name or ID")))
    lost = rest.join(found, on="_t", how="anti").select(
        "_t", person_id=pl.lit(None, pl.String), match=pl.lit("unmatched"), match_note=note)
    return pl.concat([found, lost])


def match_rows(rows: pl.DataFrame, person: pl.DataFrame,
               cases: pl.DataFrame | None = None) -> pl.DataFrame:
    """Give each row of the office's list the person it is about (or say why not).

    Args:
        rows: :func:`pipelines.exchange.returned.read_return_rows` (text, full IDs).
        person: the golden ``person`` table.
        cases: our case list (``illness_cases``: person_id, illness), to prefer the person who
            has the row's illness.

    Returns:
        ``rows`` with ``person_id`` (ours, null when unmatched), ``match`` and ``match_note``.
    """
    theirs, ours = their_people(rows), our_people(person)
    direct = _direct(theirs, ours).with_columns(match_note=pl.lit(None, pl.String))
    found = pl.concat([direct, _by_person(theirs, ours, cases, direct.select("_t"))])
    return (rows.drop("person_id", strict=False)
            .with_columns(_t=pl.int_range(pl.len(), dtype=pl.UInt32))
            .join(found, on="_t", how="left").sort("_t").drop("_t"))


def read_office_return(path: Path, person: pl.DataFrame, cases: pl.DataFrame | None = None,
                       mapping: HeaderMapping | None = None) -> pl.DataFrame:
    """Read the office's own case list and match its rows to people.

    Args:
        path: the returned file (best: its archived copy).
        person: the golden ``person`` table.
        cases: our case list for the month (``illness_cases``).
        mapping: the steward's header mapping.

    Returns:
        ``MatchedCase`` rows (IDs masked): ready for :func:`pipelines.exchange.diff_cases`.

    Raises:
        ValueError: as :func:`pipelines.exchange.read_return`.
    """
    rows, where = read_return_rows(path, mapping)
    matched = match_rows(rows, person, cases)
    typed = _typed(matched, where)
    return conform(typed.with_columns(matched.select("match", "match_note")), MatchedCase)
