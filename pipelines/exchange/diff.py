"""Our case list against the office's: what each side has that the other does not."""

from __future__ import annotations

import polars as pl

from schemas.contract import polars_schema
from schemas.exchange import ExchangeDiff

DIFF_SCHEMA = polars_schema(ExchangeDiff)
DIFF_SIDES: dict[str, tuple[str, str | None]] = {
    "only_ours": ("ours_only", None), "only_theirs": ("theirs_only", None),
    "status_differs": ("disagree", "status"), "illness_differs": ("disagree", "illness"),
}
KEY = ["person_id", "illness"]


def _their_side(theirs: pl.DataFrame) -> pl.DataFrame:
    """The office's rows for the join: status, name, ID, township, match and row as ``*_t``."""
    optional = {"match": pl.String, "row_number": pl.Int64}
    for col, dtype in optional.items():
        if col not in theirs.columns:
            theirs = theirs.with_columns(pl.lit(None, dtype).alias(col))
    return theirs.select(
        *KEY, pl.col("status").alias("theirs_status"), pl.col("name").alias("name_t"),
        pl.col("id_masked").alias("id_t"), pl.col("township").alias("township_t"),
        pl.col("match").alias("match"), pl.col("row_number").cast(pl.Int64).alias("their_row"),
        pl.lit(True).alias("in_theirs"))


def diff_cases(ours: pl.DataFrame, theirs: pl.DataFrame, month: str) -> pl.DataFrame:
    """Compare our case list with the office's, keyed by ``person_id`` + ``illness``.

    - ``only_ours`` / ``only_theirs``: a case on one list only (an office row matched to no
      person is ``only_theirs`` with no person id, its ``match`` ``unmatched``);
    - ``status_differs``: same person and illness, different 救治状态;
    - ``illness_differs``: a person with exactly one unmatched case on each side, with
      different illnesses (reported once instead of as one ``only_ours`` + one ``only_theirs``).

    Args:
        ours: from :func:`illness_cases`.
        theirs: from :func:`read_return` or :func:`read_office_return` (with ``match``).
        month: ``YYYY-MM``, copied into the ``month`` column.

    Returns:
        A frame with the columns of ``DIFF_SCHEMA``, one row per difference; ``match`` and
        ``their_row`` say how and where the office's row was found.
    """
    a = ours.select(*KEY, pl.col("status").alias("ours_status"), "name", "id_masked", "township",
                    pl.lit(True).alias("in_ours"))
    both = a.join(_their_side(theirs), on=KEY, how="full", coalesce=True, nulls_equal=False)
    both = both.with_columns(pl.coalesce("name", "name_t").alias("name"),
                             pl.coalesce("id_masked", "id_t").alias("id_masked"),
                             pl.coalesce("township", "township_t").alias("township"))
    in_a, in_b = pl.col("in_ours").fill_null(False), pl.col("in_theirs").fill_null(False)
    status = both.filter(in_a & in_b & pl.col("ours_status").ne_missing(pl.col("theirs_status")))
    status = status.with_columns(
        pl.lit("status_differs").alias("kind"), pl.col("illness").alias("ours_illness"),
        pl.col("illness").alias("theirs_illness"),
    )
    only_a, only_b = both.filter(in_a & ~in_b), both.filter(in_b & ~in_a)
    swapped = _swapped(only_a, only_b)
    swapped_ids = swapped.get_column("person_id").implode()
    rest_a = only_a.filter(~pl.col("person_id").is_in(swapped_ids).fill_null(False))
    rest_b = only_b.filter(~pl.col("person_id").is_in(swapped_ids).fill_null(False))
    frames = [
        status, swapped,
        rest_a.with_columns(pl.lit("only_ours").alias("kind"),
                            pl.col("illness").alias("ours_illness")),
        rest_b.with_columns(pl.lit("only_theirs").alias("kind"),
                            pl.col("illness").alias("theirs_illness")),
    ]
    out = pl.concat([f.select([pl.col(c).cast(t) if c in f.columns else pl.lit(None, t).alias(c)
                               for c, t in DIFF_SCHEMA.items()]) for f in frames])
    out = out.with_columns(
        pl.lit(month).alias("month"),
        pl.concat_str(
            pl.col("kind"), pl.lit(": "), pl.col("ours_illness").fill_null("-"), pl.lit("/"),
            pl.col("ours_status").fill_null("-"), pl.lit(" vs "),
            pl.col("theirs_illness").fill_null("-"), pl.lit("/"),
            pl.col("theirs_status").fill_null("-"),
        ).alias("detail"),
    )
    return _long_form(out).sort("kind", "person_id", "illness", "their_row", nulls_last=True)


def _swapped(only_a: pl.DataFrame, only_b: pl.DataFrame) -> pl.DataFrame:
    """People with exactly one unmatched case on each side: one ``illness_differs`` row."""
    single = pl.len().over("person_id") == 1
    pa = only_a.filter(single & pl.col("person_id").is_not_null())
    pb = only_b.filter(single & pl.col("person_id").is_not_null())
    return pa.select("person_id", pl.col("illness").alias("ours_illness"), "ours_status",
                     "name", "id_masked", "township").join(
        pb.select("person_id", pl.col("illness").alias("theirs_illness"), "theirs_status",
                  "match", "their_row"),
        on="person_id", how="inner",
    ).with_columns(pl.lit("illness_differs").alias("kind"), pl.col("ours_illness").alias("illness"))


def _long_form(diff: pl.DataFrame) -> pl.DataFrame:
    """Add the published columns: side, field, and our / their value of that field."""
    side = pl.col("kind").replace_strict({k: v[0] for k, v in DIFF_SIDES.items()})
    illness = pl.col("kind") == "illness_differs"
    only_theirs = pl.col("kind") == "only_theirs"
    return diff.with_columns(
        side.alias("side"),
        pl.col("kind").replace_strict({k: v[1] for k, v in DIFF_SIDES.items()},
                                      return_dtype=pl.String).alias("field"),
        pl.when(only_theirs).then(None)
        .when(illness).then(pl.col("ours_illness"))
        .otherwise(pl.col("ours_status")).alias("ours"),
        pl.when(illness).then(pl.col("theirs_illness"))
        .otherwise(pl.col("theirs_status")).alias("theirs"),
    ).select(list(DIFF_SCHEMA))
