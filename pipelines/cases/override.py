"""A steward's ``link`` over a township's 非同一人: refused unless said so, and recorded.

A township's 非同一人 answer on a case becomes ``no_link`` decisions whose note starts with
:data:`TOWNSHIP_NOTE` (``问题清单 <case_id> 核实: 非同一人``: :mod:`pipelines.cases.verify`).
A later ``link`` of the same two records by the steward would silently undo the township's
door-to-door answer (a later decision on a pair replaces the earlier one), so
:func:`township_no_link` finds that answer still standing and the decision is refused, naming
the case and who answered, unless the steward overrides it explicitly; the override is written
into the decision's note (:func:`override_note`), so the decision log says whose answer the
link replaced. ``sanji decide`` and its job ask :func:`township_answer`, which reads the answer
as one about two people (the records answered on, and once a night has separated them every
record of either person: docs/steward.md §5).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import polars as pl

from pipelines.link.decisions import OVERRIDE_MARK, decision_times, short_reference

TOWNSHIP_NOTE = "问题清单 {case} 核实: 非同一人"
_TOWNSHIP_CASE = re.compile(r"^问题清单 (\S+) 核实: 非同一人")


@dataclass(frozen=True)
class TownshipAnswer:
    """A township's 非同一人 answer standing on a pair of records.

    Attributes:
        case_id: the case answered (问题编号).
        decided_by: the clerk and the returned file (``李干事(问题清单_城关镇_2026-10.xlsx)``).
        decided_at: when the decision was recorded.
    """

    case_id: str
    decided_by: str
    decided_at: str

    def describe(self) -> str:
        """``case C… answered 非同一人 by 李干事(…) on 2026-11-05T…``."""
        return (f"case {self.case_id} answered 非同一人 by {self.decided_by} "
                f"on {self.decided_at[:10]}")


def township_note(case_id: str, note: str | None = None) -> str:
    """The note of a ``no_link`` decision made from a township's 非同一人 answer."""
    return TOWNSHIP_NOTE.format(case=case_id) + (f"; {note}" if note else "")


def township_no_link(log: pl.DataFrame | None, a: str | Iterable[str], b: str | Iterable[str]
                     ) -> TownshipAnswer | None:
    """The township's 非同一人 answer on records ``a`` and ``b`` no later ``link`` replaced.

    Args:
        log: the county's ``match_decision`` table (None: there is none yet).
        a: record key of one record (or the keys it may be: :func:`named_record`).
        b: record key of the other (in either order; or the keys it may be).

    Returns:
        The standing answer (its latest), None when there is none.
    """
    if log is None or log.is_empty():
        return None
    firsts, seconds = ([x] if isinstance(x, str) else list(x) for x in (a, b))
    found = [answer for x, y in ((x, y) for x in firsts for y in seconds if x != y)
             if (answer := _standing(log, x, y)) is not None]
    return max(found, key=lambda answer: answer.decided_at) if found else None


def _standing(log: pl.DataFrame, a: str, b: str) -> TownshipAnswer | None:
    """:func:`township_no_link` for two record keys."""
    left, right = sorted((a.strip(), b.strip()))
    pair = log.filter((pl.col("record_key_l") == left) & (pl.col("record_key_r") == right)
                      ).with_columns(pl.col("decided_at").cast(pl.String)).sort(
        "decided_at", nulls_last=False)
    township = pair.filter((pl.col("decision") == "no_link")
                           & pl.col("note").str.contains(_TOWNSHIP_CASE.pattern))
    if township.is_empty():
        return None
    last = township.row(-1, named=True)
    at = last["decided_at"] or ""
    if not pair.filter((pl.col("decision") == "link") & (pl.col("decided_at") >= at)).is_empty():
        return None  # the steward overrode it already
    found = _TOWNSHIP_CASE.match(last["note"])
    return TownshipAnswer(found[1] if found else "?", last["decided_by"] or "", at)


@dataclass(frozen=True)
class NamedRecord:
    """A record a decision names, as the latest published month knows it.

    Attributes:
        ref: what the steward typed (a record key or a record id).
        keys: its record key; when a record id cannot be told apart among its person's
            records, every key of that person (the check then errs towards the township).
        person: its person id in the month (None: not in the month).
    """

    ref: str
    keys: tuple[str, ...]
    person: str | None


def named_record(ref: str, id_map: pl.DataFrame, source: pl.DataFrame | None = None,
                 uncertain: pl.DataFrame | None = None, links: pl.DataFrame | None = None
                 ) -> NamedRecord:
    """What a decision's record reference names: its record key and its person.

    A record key is itself; a record id (``file|sheet|row``) is the key the published run's
    ``person_links`` (``links``) or ``uncertain_match`` shows beside it, else its person's
    only record, else (a person of several records) any of them.

    Args:
        ref: a record key or record id.
        id_map: the month's ``person_id_map`` (record_key, person_id).
        source: the month's ``person_source`` (record_id, person_id).
        uncertain: the month's ``uncertain_match`` (record_id_l/r, record_key_l/r).
        links: the published run's ``person_links`` (record_id, record_key), when at hand.
    """
    ref = ref.strip()
    own = id_map.filter(pl.col("record_key") == ref)["person_id"]
    if own.len():
        return NamedRecord(ref, (ref,), own[0])
    shown = [f.select(ref="record_id", key="record_key") for f in (links,) if f is not None]
    if uncertain is not None and {"record_key_l", "record_id_l"} <= set(uncertain.columns):
        shown += [uncertain.select(ref=f"record_id_{s}", key=f"record_key_{s}") for s in "lr"]
    key = pl.concat(shown).filter(pl.col("ref") == ref)["key"] if shown else pl.Series([])
    person = source.filter(pl.col("record_id") == ref)["person_id"] if source is not None \
        else pl.Series([], dtype=pl.String)
    person_id = person[0] if person.len() else None
    if key.len():
        if person_id is None:
            of_key = id_map.filter(pl.col("record_key") == key[0])["person_id"]
            person_id = of_key[0] if of_key.len() else None
        return NamedRecord(ref, (str(key[0]),), person_id)
    keys = id_map.filter(pl.col("person_id") == person_id)["record_key"] \
        if person_id is not None else pl.Series([], dtype=pl.String)
    return NamedRecord(ref, tuple(sorted(keys)) or (ref,), person_id)


def township_answer(log: pl.DataFrame | None, a: NamedRecord, b: NamedRecord,
                    id_map: pl.DataFrame, links: pl.DataFrame | None = None
                    ) -> TownshipAnswer | None:
    """The township's standing 非同一人 a ``link`` of ``a`` and ``b`` would undo (its latest).

    The township answered about people: 非同一人 on records x and y says the person behind x
    is not the person behind y. A link of ``a`` and ``b`` goes against it when ``a`` stands
    for x and ``b`` for y (or the other way round), where a record stands for x when it is x,
    or — once a night has applied the answer, so that x and y are two people of the month —
    when it is a record of x's person. So linking two records of one person, or a record of a
    third person, never goes against it; linking another record of either person to the other
    does. While x and y are still one person (the answer is not applied yet) only x and y
    themselves are covered: the month's people are what the township said is wrong.

    Args:
        log: the county's ``match_decision`` table (None: none yet).
        a: one record the decision names (:func:`named_record`).
        b: the other.
        id_map: the month's ``person_id_map`` (record_key, person_id).
        links: the published run's ``person_links`` (record_id, record_key), when at hand: an
            earlier ``link`` the log names by record id counts as the override it was.
    """
    standing = standing_answers(log, _ids_as_keys(links, a, b))
    if standing.is_empty():
        return None
    people = id_map.select("record_key", "person_id")
    rows = standing.join(people.rename({"record_key": "_a", "person_id": "_pa"}), on="_a",
                         how="left").join(
        people.rename({"record_key": "_b", "person_id": "_pb"}), on="_b", how="left")
    found = []
    for row in rows.iter_rows(named=True):  # the county's standing township answers: few
        apart = None not in (row["_pa"], row["_pb"]) and row["_pa"] != row["_pb"]
        x, y = (row["_a"], row["_pa"]), (row["_b"], row["_pb"])
        if (_covers(a, *x, apart) and _covers(b, *y, apart)) or \
                (_covers(a, *y, apart) and _covers(b, *x, apart)):
            found.append(TownshipAnswer(row["case_id"] or "?", row["answered_by"],
                                        row["answered_at"]))
    return max(found, key=lambda answer: answer.decided_at) if found else None


def _ids_as_keys(links: pl.DataFrame | None, *named: NamedRecord) -> pl.DataFrame:
    """record_id -> record_key: ``links``' and the named records' own (a record id resolved)."""
    own = pl.DataFrame({"record_id": [n.ref for n in named if len(n.keys) == 1],
                        "record_key": [n.keys[0] for n in named if len(n.keys) == 1]},
                       schema={"record_id": pl.String, "record_key": pl.String})
    frames = [own] + ([links.select(pl.col("record_id", "record_key").cast(pl.String))]
                      if links is not None else [])
    return pl.concat(frames).unique("record_id", keep="first")


def _covers(named: NamedRecord, key: str, person: str | None, apart: bool) -> bool:
    """Whether ``named`` stands for the answered record ``key`` (of ``person``)."""
    return key in named.keys or (apart and named.person is not None and named.person == person)


def override_note(answer: TownshipAnswer, note: str = "") -> str:
    """The note of a ``link`` that overrides the township's answer (the steward's note after)."""
    said = f"{OVERRIDE_MARK} / overrides the township: {answer.describe()}"
    return said + (f"; {note}" if note else "")


def refusal(answer: TownshipAnswer, flag: str) -> str:
    """Why a ``link`` is refused, in one line, with how to override."""
    return (f"not recorded: a township answered these two records are different people "
            f"({answer.describe()}); to link them anyway, pass {flag} (recorded in the "
            "decision's note)")


def _as_keys(frame: pl.DataFrame, keys: pl.DataFrame | None) -> pl.DataFrame:
    """Add ``_a`` < ``_b``: the pair's record keys (a record id translated through ``keys``)."""
    left, right = pl.col("record_key_l"), pl.col("record_key_r")
    if keys is not None and "record_id" in keys.columns:
        ids = keys.select(ref="record_id", key="record_key").join(
            keys.select(ref="record_key"), on="ref", how="anti").unique("ref")
        for side in ("l", "r"):
            frame = frame.join(ids.rename({"ref": f"record_key_{side}", "key": f"_k{side}"}),
                               on=f"record_key_{side}", how="left", maintain_order="left")
        left, right = pl.coalesce("_kl", left), pl.coalesce("_kr", right)
    frame = frame.with_columns(_a=pl.min_horizontal(left, right),
                               _b=pl.max_horizontal(left, right))
    return frame.drop("_kl", "_kr", strict=False)


def standing_answers(log: pl.DataFrame | None, keys: pl.DataFrame | None = None
                     ) -> pl.DataFrame:
    """Every pair's township 非同一人 answer that no later ``link`` in ``log`` replaced.

    The frame form of :func:`township_no_link` (a ``link`` without a time counts as newest).

    Returns:
        ``_a``, ``_b`` (record keys, ordered), case_id, answered_by, answered_at.
    """
    out = {"_a": pl.String, "_b": pl.String, "case_id": pl.String, "answered_by": pl.String,
           "answered_at": pl.String}
    if log is None or log.is_empty():
        return pl.DataFrame(schema=out)
    log = _as_keys(log, keys).with_columns(
        _at=decision_times(pl.col("decided_at")), decided_at=pl.col("decided_at").cast(pl.String))
    said = log.filter((pl.col("decision") == "no_link")
                      & pl.col("note").str.contains(_TOWNSHIP_CASE.pattern)
                      ).sort("_at", nulls_last=False).unique(["_a", "_b"], keep="last")
    links = log.filter(pl.col("decision") == "link").group_by("_a", "_b").agg(
        _link=pl.col("_at").fill_null(pl.datetime(9999, 1, 1)).max())
    standing = said.join(links, on=["_a", "_b"], how="left").filter(
        pl.col("_link").is_null() | (pl.col("_link") < pl.col("_at")))
    return standing.select(
        "_a", "_b", case_id=pl.col("note").str.extract(_TOWNSHIP_CASE.pattern, 1),
        answered_by=pl.col("decided_by").fill_null(""),
        answered_at=pl.col("decided_at").fill_null(""))


# the last published month's record_key, person_id, or how to read them when needed
People = pl.DataFrame | Callable[[], pl.DataFrame | None] | None


def _overrides(note: pl.Expr) -> pl.Expr:
    """True where a decision's note says it overrides the township (as :func:`override_note`)."""
    return note.fill_null("").str.strip_chars().str.starts_with(OVERRIDE_MARK)


def held_by_township(log: pl.DataFrame | None, landed: pl.DataFrame,
                     keys: pl.DataFrame | None = None, people: People = None
                     ) -> tuple[pl.DataFrame, list[str]]:
    """``decisions.csv``'s rows a township's standing 非同一人 does not refuse, and why the others
    are not applied.

    The township verified on the ground: a ``link`` in ``decisions.csv`` that a township's
    standing 非同一人 covers (no later ``link`` in the log overrode it) is not applied, unless
    its note begins with ``覆盖乡镇核实`` (as ``sanji decide --override-township`` writes it; the
    CSV's ``override_township`` column does the same: ``pipelines.link.decisions``). It covers
    what :func:`township_answer` covers for ``sanji decide``: the two records answered on, or,
    once ``people`` has them apart, any record of one person against any of the other.

    Args:
        log: the county's ``match_decision`` table (None: none yet).
        landed: the CSV's decisions (``MatchDecision`` columns).
        keys: record_key, record_id of the current records, to read a record id as its key.
        people: record_key, person_id of the last published month, or a function returning
            them, called only when a standing answer meets a CSV ``link`` (None: only the
            answered records themselves are covered).

    Returns:
        The rows to apply, and one line per refused row naming the pair (record references
        shortened, IDs masked) and the township's case, who answered and when.
    """
    standing = standing_answers(log, keys)
    if standing.is_empty() or landed.is_empty():
        return landed, []
    rows = _as_keys(landed.with_row_index("_n"), keys)
    links = rows.filter((pl.col("decision") == "link") & ~_overrides(pl.col("note")))
    if links.is_empty():
        return landed, []
    hit = _covered(links, standing, people() if callable(people) else people).sort("_n")
    why = [f"decisions.csv link {short_reference(row['record_key_l'])} / "
           f"{short_reference(row['record_key_r'])} not applied: "
           + TownshipAnswer(row["case_id"] or "?", row["answered_by"],
                            row["answered_at"]).describe()
           for row in hit.iter_rows(named=True)]
    kept = landed.with_row_index("_n").filter(~pl.col("_n").is_in(hit["_n"].implode())).drop("_n")
    return kept, why


def _covered(links: pl.DataFrame, standing: pl.DataFrame, people: pl.DataFrame | None
             ) -> pl.DataFrame:
    """``links``' rows (``_a``, ``_b``) a standing answer covers, with the answer's columns:
    the frame form of :func:`township_answer`'s rule (records, or people once apart)."""
    if people is None or people.is_empty():
        return links.join(standing, on=["_a", "_b"], how="inner")
    person = people.select(pl.col("record_key").cast(pl.String), pl.col("person_id"))
    for side in ("_a", "_b"):
        links = links.join(person.rename({"record_key": side, "person_id": f"{side}_p"}),
                           on=side, how="left")
        standing = standing.join(person.rename({"record_key": side, "person_id": f"{side}_p"}),
                                 on=side, how="left")
    answer = standing.rename({"_a": "_x", "_b": "_y", "_a_p": "_px", "_b_p": "_py"})
    apart = pl.col("_px").is_not_null() & pl.col("_py").is_not_null() \
        & (pl.col("_px") != pl.col("_py"))

    def covers(record: str, answered: str) -> pl.Expr:
        return (pl.col(record) == pl.col(f"_{answered}")) | (
            apart & (pl.col(f"{record}_p") == pl.col(f"_p{answered}")).fill_null(False))

    hit = links.join(answer, how="cross").filter(
        (covers("_a", "x") & covers("_b", "y")) | (covers("_a", "y") & covers("_b", "x")))
    return hit.sort("_n", "answered_at").unique("_n", keep="last", maintain_order=True)
