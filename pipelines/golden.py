"""The golden person: one row per linked person, each field chosen by a stated rule.

Every field is picked from the person's linked records by the same three-step rule, applied in
order until one record wins:

1. **Most trusted department for that field** (``TRUST``):

   - ``id_number``: a *valid* ID (checksum and birth date right) first, then
     poverty > insurance > civil > health.
   - ``name``, ``sex``, ``birth_date``: records with a valid ID first (their sex and birth date
     come from the ID), then poverty > insurance > civil > health.
   - ``village_code``: poverty roster > civil > insurance > health.
   - ``township_code``: the township of the chosen village (``village_code[:9] + "000"``);
     only when no record has a village, the township by the village rule.
   - ``household_id``: poverty roster only (no other extract carries it).

2. **Most recent**, by the record's own date (``RECORD_DATE``: contract date, follow-up date,
   diagnosis date, assistance start date, death date, discharge (else admission) date,
   1 January of the enrolment year); records without a date come after dated ones.
3. **Most frequent** value among the person's records, then the smallest ``record_id`` so the
   choice is deterministic.

Each chosen field carries ``<field>_source`` = ``"<extract>:<record_id>"`` (provenance).
All of it is vectorised: one long frame of the records (only the columns the rule reads),
sorted by person and record_id; per field the three steps are packed into one integer preference key
whose last part is the record's row, every field's minimum per person is taken in ONE hash
group-by over integer person codes, and the winners are gathered by the row the key names
(no per-field group-by, join or sort).
"""

from __future__ import annotations

import polars as pl

from pipelines.domain.extracts import EXTRACTS
from schemas.canonical import COMMON_COLUMNS, table_schema
from schemas.contract import columns
from schemas.published import Person

# The record's own date (most recent wins), per extract; a list is tried left to right.
RECORD_DATE: dict[str, tuple[str, ...]] = {
    "doctor_contract": ("contract_date",),
    "chronic_followup": ("followup_date",),
    "illness_ledger": ("diagnosis_date",),
    "assistance": ("start_date",),
    "death": ("death_date",),
    "settlement": ("discharge_date", "admission_date"),
}

ID_TRUST = ("poverty", "insurance", "civil", "health")
PLACE_TRUST = ("poverty", "civil", "insurance", "health")
# field -> (department trust order, prefer records with a valid ID first)
TRUST: dict[str, tuple[tuple[str, ...], bool]] = {
    "name": (ID_TRUST, True),
    "id_number": (ID_TRUST, True),
    "sex": (ID_TRUST, True),
    "birth_date": (ID_TRUST, True),
    "village_code": (PLACE_TRUST, False),
    "township_code": (PLACE_TRUST, False),
    "household_id": (ID_TRUST, False),
}

PERSON_COLUMNS: tuple[str, ...] = tuple(columns(Person))
# every department an extract comes from, sorted: ``departments`` lists a person's in this order
DEPARTMENTS: tuple[str, ...] = tuple(sorted({spec.department for spec in EXTRACTS.values()}))


def get_table(tables: dict[str, pl.DataFrame], extract: str) -> pl.DataFrame:
    """One extract table, or an empty one with the right schema when it is missing.

    Args:
        tables: extract name -> table.
        extract: a key of ``EXTRACTS``.

    Returns:
        The table (missing schema columns added as typed nulls).
    """
    schema = table_schema(extract)
    df = tables.get(extract)
    if df is None:
        return pl.DataFrame(schema=schema)
    missing = [pl.lit(None, dtype=t).alias(n) for n, t in schema.items() if n not in df.columns]
    return df.with_columns(missing) if missing else df


def record_date(extract: str) -> pl.Expr:
    """The record's own date expression for ``extract`` (null when it has none).

    Args:
        extract: a key of ``EXTRACTS``.

    Returns:
        A pl.Date expression named ``record_date``.
    """
    if extract == "enrolment":
        year = pl.col("enrol_year").str.extract(r"(\d{4})").cast(pl.Int32, strict=False)
        return pl.date(year, 1, 1).alias("record_date")
    cols = RECORD_DATE.get(extract)
    if not cols:
        return pl.lit(None, dtype=pl.Date).alias("record_date")
    return pl.coalesce([pl.col(c) for c in cols]).alias("record_date")


def with_record_date(frame: pl.DataFrame, extract: str) -> pl.DataFrame:
    """``frame`` (one extract's rows) with its ``record_date`` (``record_date``).

    The enrolment year is parsed once per distinct text (a county's half million enrolments
    hold a few years): the same dates as parsing every row, a tenth of the CPU.
    """
    if extract != "enrolment" or "enrol_year" not in frame.columns:
        return frame.with_columns(record_date(extract))
    years = frame.select(pl.col("enrol_year").unique()).with_columns(record_date(extract))
    return frame.with_columns(pl.col("enrol_year").replace_strict(
        years["enrol_year"], years["record_date"], default=None, return_dtype=pl.Date)
        .alias("record_date"))


def linked_records(tables: dict[str, pl.DataFrame], links: pl.DataFrame,
                   columns: tuple[str, ...] = COMMON_COLUMNS) -> pl.DataFrame:
    """``columns`` (of COMMON_COLUMNS) + ``record_date`` of every extract row, with its
    ``person_id``.

    Args:
        tables: extract name -> table.
        links: record_id, record_key, person_id, cluster_size.
        columns: the common columns to keep (all by default; ``record_id`` is always kept).

    Returns:
        One row per linked record (records absent from ``links`` are dropped).
    """
    keep = ["record_id", *(c for c in columns if c != "record_id")]
    parts = [
        with_record_date(get_table(tables, name), name).select(*keep, "record_date")
        for name in EXTRACTS
    ]
    return with_person(pl.concat(parts, how="vertical_relaxed"), links)


def with_person(records: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """``records`` with the ``person_id`` ``links`` gives each (a record without one dropped).

    The link step lists its links in the order of the extract tables, so ``links``' record
    ids are usually ``records``' own, row for row: then (one vectorised comparison) its
    person ids are taken as they stand, else by a join on ``record_id`` (a record id is
    unique, so both give the same rows).
    """
    aligned = aligned_person_ids(records["record_id"], links)
    if aligned is not None:
        return records.with_columns(aligned)
    return records.join(links.select("record_id", "person_id"), on="record_id", how="inner")


# A person id as the link step mints it (``pipelines.link.ids``): "P" and ten lower-case hex
# digits, so the ids' order is that of their hex numbers.
MINTED_ID = r"^P[0-9a-f]{10}$"


_RANK_BITS = 24  # a record id's rank in the one-integer sort key (below 16.7M records)


def by_person_and_record(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by ``person_id``, then ``record_id`` (``frame.sort`` of the two).

    A sort by two string columns compares a row encoding of both; when every person id is
    one the link step mints (``MINTED_ID``) the same order is that of the id's hex number
    (40 bits), then the record id's rank (record ids are unique), packed in one unsigned
    64-bit key: a sort of one integer column (two integer columns still compared a row
    encoding: 0.73 CPU s for 2M records, 0.45 as one key). Any other id (or a null), or more
    records than the key holds: the string sort.
    """
    ids = pl.col("person_id")
    minted = frame.select(ids.str.contains(MINTED_ID).all(ignore_nulls=False)).item()
    if not frame.height or not minted or frame.height >= 1 << _RANK_BITS:
        return frame.sort("person_id", "record_id")
    person = ids.str.slice(1).str.to_integer(base=16).cast(pl.UInt64)
    record = pl.col("record_id").rank("ordinal").cast(pl.UInt64)
    return frame.sort(person * (1 << _RANK_BITS) + record)


def aligned_person_ids(record_ids: pl.Series, links: pl.DataFrame) -> pl.Series | None:
    """``links``' ``person_id`` column when its record ids are ``record_ids``, row for row
    (the order the link step writes them in), else None (then join)."""
    if links.height == record_ids.len() and links["record_id"].equals(record_ids):
        return links["person_id"]
    return None


# Bits of the composite preference key (smaller wins): not-valid | trust | age | rarity | record.
_DAY_BITS, _FREQ_BITS, _RID_BITS = 17, 12, 26
_NO_DATE = (1 << _DAY_BITS) - 1
_EPOCH_1900 = -25567  # 1900-01-01 in days since 1970-01-01


def _preference(valid_first: bool, rank: dict[str, int], freq: str = "_freq") -> pl.Expr:
    """One Int64 per record ordering it by the module rule (smaller is preferred).

    Packs, most significant first: no valid ID (when ``valid_first``), department trust,
    days before 2079 (undated last), fewer occurrences of the value, ``record_id`` order.
    """
    invalid = (~pl.col("id_valid").fill_null(False)).cast(pl.Int64)
    if not valid_first:
        invalid = pl.lit(0, pl.Int64)
    trust = pl.col("department").replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
    days = pl.col("record_date").cast(pl.Int64) - _EPOCH_1900
    age = (_NO_DATE - 1 - days.clip(0, _NO_DATE - 1)).fill_null(_NO_DATE)
    rarity = (1 << _FREQ_BITS) - 1 - pl.col(freq).cast(pl.Int64).clip(0, (1 << _FREQ_BITS) - 1)
    rid = pl.col("_rid").cast(pl.Int64).clip(0, (1 << _RID_BITS) - 1)
    return (
        invalid * (1 << (3 + _DAY_BITS + _FREQ_BITS + _RID_BITS))
        + trust * (1 << (_DAY_BITS + _FREQ_BITS + _RID_BITS))
        + age * (1 << (_FREQ_BITS + _RID_BITS))
        + rarity * (1 << _RID_BITS)
        + rid
    )


# what ``person_source`` reads of ``person_records``, and what every published step reads of
# ``person_links`` (the steps load only these columns)
SOURCE_COLUMNS = ("source_file", "sheet", "row_number", "record_id", "department", "extract")
LINK_COLUMNS = ("record_id", "person_id")
FIELDS = ("name", "id_number", "sex", "birth_date", "village_code", "household_id",
          "township_code")
_NEEDED = ("department", "extract", "id_valid", *FIELDS)
# every column of a record the rule reads (``golden_records``): a person's row is a function of
# these over its records
RULE_COLUMNS = ("record_id", *_NEEDED, "record_date", "person_id")


def columns_read(extract: str) -> tuple[str, ...]:
    """The columns of ``extract`` that ``golden_person`` reads (a step loads only these).

    Args:
        extract: a key of ``EXTRACTS``.

    Returns:
        ``record_id``, the rule's common columns and the record's own date columns.
    """
    dates = ("enrol_year",) if extract == "enrolment" else RECORD_DATE.get(extract, ())
    return ("record_id", *_NEEDED, *dates)


def _key(field: str) -> pl.Expr:
    """``field``'s packed preference key per record (``_preference``); null where the field
    is null. Needs ``_f_<field>``: how many of the person's records hold the same value."""
    order, valid_first = TRUST[field]
    key = _preference(valid_first, {d: i for i, d in enumerate(order)}, f"_f_{field}")
    return pl.when(pl.col(field).is_not_null()).then(key).alias(f"_k_{field}")


def _winners(records: pl.DataFrame, best: pl.DataFrame) -> pl.DataFrame:
    """Each field's value and ``<field>_source`` of the record its smallest key names.

    A key's low ``_RID_BITS`` are the record's ``_rid``, its 1-based row in ``records``, so
    the winner is gathered by position, no second join.
    """
    sources = records["extract"] + ":" + records["record_id"]  # once, gathered per field
    out = []
    for field in FIELDS:
        row = (best[f"_k_{field}"] & ((1 << _RID_BITS) - 1)) - 1  # null: no record has one
        out += [records[field].gather(row).alias(field),
                sources.gather(row).alias(f"{field}_source")]
    return best.select("person_id", "departments", "n_records").with_columns(out)


def golden_person(tables: dict[str, pl.DataFrame], links: pl.DataFrame) -> pl.DataFrame:
    """One row per person with each field chosen by the module's rule, with provenance.

    The records are sorted by person and record id: a person's records are one run (its
    integer code is the run's number), and within it a record's row orders it as its
    record id does, all the last step of the rule compares. One hash group-by over those
    codes takes each field's smallest packed preference key (``_preference``); the key's
    last part names the winning record; the codes' order is the person ids'.

    Args:
        tables: extract name -> table (design.md §2).
        links: record_id, record_key, person_id, cluster_size.

    Returns:
        The ``person`` table: PERSON_COLUMNS (``departments`` sorted and comma-joined).
    """
    return golden_of(by_person_and_record(golden_records(tables, links)))


def golden_records(tables: dict[str, pl.DataFrame], links: pl.DataFrame) -> pl.DataFrame:
    """Every linked record with what the golden rule reads of it (``RULE_COLUMNS``), in the
    extract tables' order (``linked_records``)."""
    return linked_records(tables, links, _NEEDED)


def golden_of(records: pl.DataFrame) -> pl.DataFrame:
    """The ``person`` rows of ``records`` (``golden_records``' frame sorted by
    ``by_person_and_record``): a person's row reads only its own records."""
    if records.height >= 1 << _RID_BITS:
        msg = f"golden_person: {records.height:,} records; at most {(1 << _RID_BITS) - 1:,}"
        raise ValueError(msg)
    best = (
        records.lazy()
        .with_columns(_rid=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
                      _pid=pl.col("person_id").rle_id())
        .with_columns(pl.len().over("_pid", field).alias(f"_f_{field}") for field in FIELDS)
        .with_columns(_key(field) for field in FIELDS)
        .group_by("_pid")
        .agg(
            pl.col("person_id").first(),
            *[(pl.col("department") == d).any().alias(f"_d_{d}") for d in DEPARTMENTS],
            pl.len().cast(pl.Int64).alias("n_records"),
            *[pl.col(f"_k_{field}").min() for field in FIELDS],
        )
        .with_columns(departments=pl.concat_str(
            [pl.when(pl.col(f"_d_{d}")).then(pl.lit(d)) for d in DEPARTMENTS],
            separator=",", ignore_nulls=True))
        .sort("_pid")
        .collect()
    )
    return (
        _winners(records, best)
        .with_columns(
            township_code=pl.coalesce(
                pl.col("village_code").str.slice(0, 9) + pl.lit("000"), pl.col("township_code")
            ),
            township_code_source=pl.when(pl.col("village_code").is_not_null())
            .then(pl.col("village_code_source"))
            .otherwise(pl.col("township_code_source")),
        )
        .select(PERSON_COLUMNS)
    )


def person_source(records: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """Where each person's records came from (file, sheet, row).

    Args:
        records: the ``person_records`` frame (COMMON_COLUMNS).
        links: record_id, record_key, person_id, cluster_size.

    Returns:
        source_file, sheet, row_number, record_id, department, extract, person_id.
    """
    return by_person_and_record(with_person(records.select(SOURCE_COLUMNS), links))
