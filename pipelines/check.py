"""``sanji check LANDING``: a dry run that reports every recognition decision and problem at once.

No linkage: every file is read, recognised and normalised by the nightly run's own ingest
(:func:`pipelines.ingest.ingest_landing`), and what a
steward must look at is gathered in one :class:`CheckReport` (one frame per question, and a
text rendering): which header became which field of which extract and how, the files that no
extract fits (with the closest known headers), unknown values with counts, unresolved places
with counts, dates, IDs and amounts rejected by reason, rows set aside. A proposed
``sanji_mapping.yaml`` for the steward to review is written beside it
(:mod:`pipelines.proposal`). The same frames are meant as the ingest asset's metadata in Dagster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.domain.extracts import CLINICS, EXTRACTS
from pipelines.domain.identity import mask_ids_in_text
from pipelines.ingest import MAPPING_FILE, ingest_landing
from pipelines.mapping import HeaderMapping
from pipelines.normalise.places import PLACE_REASONS

UNRECOGNISED_SCHEMA = {"source_file": pl.String, "sheet": pl.String, "check": pl.String,
                       "reason": pl.String, "closest": pl.String}
VALUE_CHECKS = ("value_unknown", "sex_unparseable", "bool_unparseable")


@dataclass
class CheckReport:
    """What ``sanji check`` found in a landing folder (every frame has IDs masked).

    Attributes:
        landing: the folder.
        recognition: every header decision (``pipelines.extracts.recognition_frame``).
        unrecognised: files or sheets set aside whole: source_file, sheet, check, reason,
            closest (known headers near the ones seen).
        values: unknown values: extract, field, code_list, value, rows, files.
        places: unresolved places: extract, check, reason, value, rows.
        rejected: other field problems (dates, IDs, amounts, names): extract, field, check,
            reason, rows.
        set_aside: quarantined rows by file and check: source_file, sheet, check, rows (data
            rows, each once however many lines it spans: :func:`rows_set_aside`).
        accounting: rows read, accepted and quarantined per file and sheet.
        mapping_error: why the steward's mapping could not be used ("" when it could).
        rows_set_aside: the data rows set aside in all (a row caught by two checks once).
    """

    landing: Path
    recognition: pl.DataFrame
    unrecognised: pl.DataFrame
    values: pl.DataFrame
    places: pl.DataFrame
    rejected: pl.DataFrame
    set_aside: pl.DataFrame
    accounting: pl.DataFrame
    mapping_error: str = ""
    mapping: HeaderMapping = field(default_factory=HeaderMapping)
    rows_set_aside: int = 0

    @property
    def problems(self) -> int:
        """How many things need a steward: files, unknown values, places, inferred headers."""
        inferred = self.recognition.filter(pl.col("how") == "inferred").height
        return (self.unrecognised.height + self.values.height + self.places.height + inferred
                + bool(self.mapping_error))


def _mapping(landing: Path, mapping: HeaderMapping | None) -> tuple[HeaderMapping, str]:
    if mapping is not None or not (landing / MAPPING_FILE).exists():
        return mapping or HeaderMapping(), ""
    try:
        return HeaderMapping.from_yaml(landing / MAPPING_FILE), ""
    except (ValueError, OSError) as exc:  # a broken mapping is reported, not fatal
        return HeaderMapping(), mask_ids_in_text(f"{MAPPING_FILE} not used: {exc}")


def check_landing(landing: Path, mapping: HeaderMapping | None = None) -> CheckReport:
    """Read, recognise and normalise every file of a landing folder, and report, in one pass.

    Args:
        landing: the landing folder.
        mapping: the steward mapping; None to use ``landing/sanji_mapping.yaml`` if present
            (a mapping that does not load is reported and left out).

    Returns:
        The report.
    """
    landing = Path(landing)
    mapping, mapping_error = _mapping(landing, mapping)
    ingested = ingest_landing(landing, mapping)
    issue, set_aside = ingested.field_issue, ingested.quarantine
    return CheckReport(
        landing=landing, recognition=ingested.recognition,
        unrecognised=ingested.unrecognised.select(list(UNRECOGNISED_SCHEMA)),
        values=unknown_values(issue), places=unresolved_places(issue, set_aside),
        rejected=rejected_fields(issue),
        set_aside=rows_set_aside(set_aside), accounting=ingested.accounting,
        mapping_error=mapping_error, mapping=mapping,
        rows_set_aside=_distinct_rows(set_aside),
    )


def _rows(row_number: pl.Expr) -> pl.Expr:
    """Distinct data rows by their row number (an entry without one counts once each)."""
    return row_number.drop_nulls().n_unique() + row_number.null_count()


def rows_set_aside(quarantine: pl.DataFrame) -> pl.DataFrame:
    """Quarantined data rows by file, sheet and check, each row once.

    A row is counted by its row number (the record's, as a person sees it), never by the lines
    of the file it spans nor by the entries it has (a row flagged in two columns is one row).
    """
    return (quarantine.group_by("source_file", "sheet", "check")
            .agg(_rows(pl.col("row_number")).cast(pl.Int64).alias("rows"))
            .sort("source_file", "sheet", "check"))


def _distinct_rows(quarantine: pl.DataFrame) -> int:
    """The data rows set aside in all: each (file, sheet, row) once, whatever caught it."""
    per_grid = quarantine.group_by("source_file", "sheet").agg(_rows(pl.col("row_number")))
    return int(per_grid["row_number"].sum() or 0)


def _code_list(extract: str, column: str) -> str:
    """The code list of a field (sex, or the yes/no words of a plain yes/no field)."""
    return "sex" if column == "sex" else EXTRACTS[extract].codes.get(column, "yes_no")


def unknown_values(issues: pl.DataFrame) -> pl.DataFrame:
    """Values no code list knows, with their counts (a list cell counts each unknown part).

    Args:
        issues: field issues.

    Returns:
        extract, field, code_list, value, rows, files — most rows first.
    """
    rows = issues.filter(pl.col("check").is_in(list(VALUE_CHECKS)))
    table = rows.select("extract", "column").unique()
    table = table.with_columns(code_list=pl.Series(
        [_code_list(e, c) for e, c in table.iter_rows()], dtype=pl.String))
    return (
        rows.join(table, on=["extract", "column"])
        .with_columns(pl.col("value_masked").str.split("、").alias("value"))
        .explode("value")
        .group_by("extract", pl.col("column").alias("field"), "code_list", "value")
        .agg(pl.len().alias("rows"), pl.col("source_file").n_unique().alias("files"))
        .sort(["rows", "extract", "field", "value"], descending=[True, False, False, False])
    )


def unresolved_places(issues: pl.DataFrame, set_aside: pl.DataFrame) -> pl.DataFrame:
    """Places the region table does not resolve, with counts (records and clinic rows).

    Args:
        issues: field issues.
        set_aside: quarantined rows (clinics whose village is not found are there).

    Returns:
        extract, check, reason, value, rows — most rows first.
    """
    checks = list(PLACE_REASONS)
    records = issues.filter(pl.col("check").is_in(checks)).select(
        "extract", "check", "reason", pl.col("value_masked").alias("value"))
    clinics = set_aside.filter(pl.col("check").is_in(checks)).select(
        pl.lit(CLINICS).alias("extract"), "check", "reason", pl.col("value_masked").alias("value"))
    return (
        pl.concat([records, clinics]).group_by("extract", "check", "reason", "value")
        .len("rows").sort(["rows", "extract", "value"], descending=[True, False, False])
    )


def rejected_fields(issues: pl.DataFrame) -> pl.DataFrame:
    """Other field problems (dates, IDs, amounts, names, sex conflicts) by reason, counted.

    Args:
        issues: field issues.

    Returns:
        extract, field, check, reason, rows.
    """
    other = ~pl.col("check").is_in([*VALUE_CHECKS, *PLACE_REASONS])
    return (
        issues.filter(other).group_by("extract", pl.col("column").alias("field"), "check",
                                      "reason")
        .len("rows").sort(["extract", "field", "rows"], descending=[False, False, True])
    )


def _decision_lines(rec: pl.DataFrame) -> list[str]:
    """One line per field (columns of a list field together), then the headers not read."""
    lines = []
    read = rec.filter(pl.col("field").is_not_null() & pl.col("how").is_not_null())
    for name, headers, how, note in read.group_by("field", maintain_order=True).agg(
            pl.col("header"), pl.col("how").first(), pl.col("note").first()).iter_rows():
        shown = ", ".join(h for h in headers if h) or "(no column)"
        lines.append(f"    {name} ← {shown} ({how}{': ' + note if note else ''})")
    unread = rec.filter(pl.col("field").is_null())
    for how in ("unused", "duplicate", "unmapped"):
        part = unread.filter(pl.col("how") == how)
        if part.height:
            items = [h if how == "unused" else f"{h} ({n})"
                     for h, n in part.select("header", "note").iter_rows()]
            lines.append(f"    not read, {how}: {'; '.join(items)}")
    return lines


def _section(title: str, frame: pl.DataFrame, line: str, count: str | None = None
             ) -> list[str]:
    """A titled section, one line per row of ``frame``; ``count`` says what the title counts
    (default: the lines)."""
    if frame.height == 0:
        return [f"== {title}: none"]
    return [f"== {title}: {count or frame.height}",
            *(f"  {line.format(**row)}" for row in frame.iter_rows(named=True))]


def report_text(report: CheckReport, proposal: Path | None = None) -> str:
    """The report as text, every section in one pass (IDs masked).

    Args:
        report: a check report.
        proposal: where the proposed mapping was written, if it was.

    Returns:
        The text.
    """
    rec = report.recognition
    grids = rec.filter(pl.col("column").is_null() & pl.col("field").is_null())
    lines = [f"sanji check {report.landing}: {grids.height} files/sheets recognised, "
             f"{report.unrecognised.height} set aside, {report.problems} things to review"]
    if report.mapping_error:
        lines.append(f"!! {report.mapping_error}")
    lines.append(f"== recognised: {grids.height}")
    for file, sheet, extract, row, how, note in grids.select(
            "source_file", "sheet", "extract", "header_row", "how", "note").iter_rows():
        lines.append(f"  {file}{'#' + sheet if sheet else ''}: {extract} ({how}, {note}), "
                     f"header row {row}")
        lines += _decision_lines(rec.filter((pl.col("source_file") == file)
                                            & (pl.col("sheet") == sheet)
                                            & pl.col("how").is_not_null()
                                            & ~(pl.col("column").is_null()
                                                & pl.col("field").is_null())))
    where = pl.col("source_file") + pl.when(pl.col("sheet") != "").then(
        pl.lit("#") + pl.col("sheet")).otherwise(pl.lit(""))
    lines += _section("set aside whole", report.unrecognised.with_columns(where=where),
                      "{where}: {check}: {reason}")
    lines += _section("unknown values", report.values,
                      "{extract}.{field} ({code_list}): {value!r} ×{rows} in {files} file(s)")
    lines += _section("unresolved places", report.places,
                      "{extract} {check}: {value!r} ×{rows}")
    lines += _section("rejected values", report.rejected,
                      "{extract}.{field} {check} ({reason}) ×{rows}")
    lines += _section("rows set aside", report.set_aside.with_columns(where=where),
                      "{where}: {check} ×{rows}", f"{report.rows_set_aside} rows")
    if proposal is not None:
        lines.append(f"proposed mapping written to {proposal}: review it, then run")
    return "\n".join(lines)


def run_check(landing: Path, out: Path | None = None, force: bool = False,
              echo: Callable[[str], None] = print) -> int:
    """``sanji check``: report, write the proposed mapping when there is anything to review.

    Args:
        landing: the landing folder.
        out: where to write the proposal (default: see ``pipelines.proposal.proposal_path``).
        force: allow replacing the steward's ``sanji_mapping.yaml``.
        echo: where the report goes.

    Returns:
        0 when nothing needs a steward, 1 when something does.
    """
    from pipelines.proposal import write_proposal

    report = check_landing(Path(landing))
    path = write_proposal(report, out, force) if report.problems else None
    echo(report_text(report, path))
    return 1 if report.problems else 0
