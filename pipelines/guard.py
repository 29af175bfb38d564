"""Guard against empty and partial nights: tonight's extracts against the last publication.

An extract that was published last night and is missing (no file) or empty (no accepted row)
tonight, or whose accepted rows dropped by more than ``max_drop`` (default 50 %), would silently
remove its people from every published table. ``judge_night`` refuses such a night unless the
steward confirms: ``allow_missing`` names the extracts that may be missing or empty,
``allow_drop`` accepts every drop. An entirely empty landing folder over a good publication is
refused whatever is confirmed: there is nothing to publish, and clearing a county's tables is
not a night's work (delete the warehouse to start again). Every extract gets a decision, also
the accepted ones, so the run can report them and ``publication.guard`` records them.

Extracts are the extract names of ``ingest_accounting`` (the department extracts, ``regions``
and ``village_clinic``); rows are accepted rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass

import polars as pl

from pipelines.domain.identity import mask_ids_in_text

DEFAULT_MAX_DROP = 0.5
REFUSING = frozenset({"missing", "empty", "dropped", "empty_landing"})


class NightRefused(ValueError):
    """The guard refused to publish tonight; ``verdict`` holds every decision."""

    def __init__(self, verdict: NightVerdict) -> None:
        self.verdict = verdict
        super().__init__(verdict.message)


@dataclass(frozen=True)
class NightPolicy:
    """What the steward confirmed for tonight, and the drop threshold.

    Attributes:
        allow_missing: extracts that may be missing or empty tonight.
        allow_drop: accept any drop in rows.
        max_drop: the largest accepted drop, as a share of last night's rows (0 < x <= 1).
    """

    allow_missing: frozenset[str] = frozenset()
    allow_drop: bool = False
    max_drop: float = DEFAULT_MAX_DROP

    def __post_init__(self) -> None:
        if not 0 < self.max_drop <= 1:
            msg = f"max_drop must be a share of rows in (0, 1], got {self.max_drop!r}"
            raise ValueError(msg)


@dataclass(frozen=True)
class ExtractDecision:
    """The guard's decision on one extract: ``verdict`` and why."""

    extract: str
    last_rows: int | None
    tonight_rows: int | None
    verdict: str
    note: str

    @property
    def refuses(self) -> bool:
        """Whether this decision stops the publication."""
        return self.verdict in REFUSING


@dataclass(frozen=True)
class NightVerdict:
    """Every extract's decision; ``refused`` when any of them stops the publication."""

    decisions: tuple[ExtractDecision, ...]
    last_version: int

    @property
    def refused(self) -> bool:
        """Whether tonight must not be published."""
        return any(d.refuses for d in self.decisions)

    @property
    def message(self) -> str:
        """One line per decision, led by the outcome and, when refused, how to confirm."""
        lines = [f"{d.extract}: {d.note}" for d in self.decisions]
        if not self.refused:
            return "publishing tonight: " + "; ".join(lines)
        stops = [d for d in self.decisions if d.refuses]
        confirm = sorted({d.extract for d in stops if d.verdict in ("missing", "empty")})
        how = [" ".join(f"--allow-missing {e}" for e in confirm)] if confirm else []
        how += ["--allow-drop"] if any(d.verdict == "dropped" for d in stops) else []
        tail = (f" To publish anyway, the steward confirms with {' '.join(how)} (in Dagster: "
                "the run config of the asset publication)." if how else "")
        return mask_ids_in_text(
            f"refusing to publish tonight; the previous publication (version "
            f"{self.last_version}) stays as it is. " + "; ".join(
                f"{d.extract}: {d.note}" for d in stops) + "." + tail)

    def records(self) -> tuple[dict, ...]:
        """The decisions as dicts (for ``publication.guard`` and run metadata)."""
        return tuple(asdict(d) for d in self.decisions)

    def frame(self) -> pl.DataFrame:
        """The decisions as a frame (extract, last_rows, tonight_rows, verdict, note)."""
        return pl.DataFrame(list(self.records()), schema={
            "extract": pl.String, "last_rows": pl.Int64, "tonight_rows": pl.Int64,
            "verdict": pl.String, "note": pl.String})


def _decide(extract: str, last: int | None, tonight: int | None,
            policy: NightPolicy) -> ExtractDecision:
    """One extract's decision (``last`` None: not published last time)."""
    if last is None:
        return ExtractDecision(extract, None, tonight, "new",
                               f"new tonight with {tonight or 0} rows")
    allowed = extract in policy.allow_missing
    if tonight is None or tonight == 0:
        kind = "missing" if tonight is None else "empty"
        if last == 0:
            return ExtractDecision(extract, last, tonight, "ok", f"{kind}, as last time")
        what = "no file tonight" if tonight is None else "its files hold no accepted row"
        if allowed:
            return ExtractDecision(extract, last, tonight, f"allowed_{kind}",
                                   f"{what} (last time {last} rows); confirmed by the steward")
        return ExtractDecision(extract, last, tonight, kind,
                               f"{kind}: {what}, last time {last} rows")
    drop = (last - tonight) / last if last else 0.0
    change = f"{last} -> {tonight} rows ({-drop:+.0%})"
    if drop <= policy.max_drop:
        return ExtractDecision(extract, last, tonight, "ok", change)
    if policy.allow_drop:
        return ExtractDecision(extract, last, tonight, "allowed_drop",
                               f"{change}; drop confirmed by the steward")
    return ExtractDecision(extract, last, tonight, "dropped",
                           f"rows dropped {change}, more than {policy.max_drop:.0%}")


def judge_night(last: Mapping[str, int] | None, tonight: Mapping[str, int],
                policy: NightPolicy | None = None, *, last_version: int = 0,
                known: Collection[str] = ()) -> NightVerdict:
    """Decide whether tonight's extracts may replace the last publication.

    Args:
        last: accepted rows per extract at the last publication (None: nothing published yet,
            every extract is ``new``).
        tonight: accepted rows per extract that has a file tonight (0: files but no row).
        policy: the steward's confirmations and the drop threshold.
        last_version: the last publication's version (named in the message).
        known: extract names ``allow_missing`` may name besides those of ``last``/``tonight``.

    Returns:
        The verdict: a decision per extract (``ok``, ``new``, ``missing``, ``empty``,
        ``dropped``, ``allowed_missing``, ``allowed_empty``, ``allowed_drop``, or one
        ``empty_landing`` decision), refused when any decision refuses.

    Raises:
        ValueError: when ``allow_missing`` names an extract nobody knows.
    """
    policy = policy or NightPolicy()
    last = dict(last or {})
    unknown = sorted(policy.allow_missing - set(last) - set(tonight) - set(known))
    if unknown:
        msg = f"allow_missing names unknown extracts {unknown}; known: " \
              f"{sorted({*last, *tonight, *known})}"
        raise ValueError(msg)
    if sum(last.values()) > 0 and not any(tonight.values()):
        note = f"the landing folder holds no accepted row (last time {sum(last.values())} " \
               "rows); an empty night never replaces a good publication"
        return NightVerdict((ExtractDecision("(landing)", sum(last.values()),
                                             sum(tonight.values()), "empty_landing", note),),
                            last_version)
    names = sorted({*last, *tonight})
    return NightVerdict(tuple(_decide(n, last.get(n), tonight.get(n), policy) for n in names),
                        last_version)


@dataclass(frozen=True)
class LandingSnapshot:
    """Tonight's landing as the guard and ``publication`` record it.

    Attributes:
        files: one dict per file and sheet: source_file (IDs masked), sheet, extract, sha256,
            rows_read, rows_accepted.
        extract_rows: accepted rows per extract with a file tonight.
    """

    files: tuple[dict, ...]
    extract_rows: dict[str, int]

    @classmethod
    def from_ingest(cls, files: pl.DataFrame, accounting: pl.DataFrame) -> LandingSnapshot:
        """From ingest's ``files`` (hashes) and ``accounting`` (rows) frames.

        Args:
            files: ``IngestFiles`` rows (source_file, sheet, extract, sha256, rows_read…).
            accounting: ``IngestAccounting`` rows (source_file, sheet, rows_accepted…).

        Returns:
            The snapshot.
        """
        accepted = accounting.group_by("source_file", "sheet").agg(pl.col("rows_accepted").sum())
        joined = (
            files.select("source_file", "sheet", "extract", "sha256", "rows_read")
            .join(accepted, on=["source_file", "sheet"], how="left")
            .with_columns(pl.col("rows_accepted").fill_null(0),
                          mask_ids_in_text(pl.col("source_file")).alias("source_file"))
            .sort("source_file", "sheet")
        )
        per_extract = joined.group_by("extract").agg(pl.col("rows_accepted").sum())
        return cls(tuple(joined.iter_rows(named=True)),
                   dict(per_extract.sort("extract").iter_rows()))
