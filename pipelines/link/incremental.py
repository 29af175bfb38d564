"""Incremental nights: what a night keeps for the next one, and which pairs it scores again.

A night keeps (``LinkState``) the fitted model as data (m/u per level, prior, the day it was
fitted, a hash of the settings), every record's ``record_key`` and *fingerprint*, and the
comparison levels of every scored pair. The next night:

- a record is **clean** when its record_key and fingerprint are both in the kept state, else
  **dirty** (new or changed); records gone are dropped with their pairs;
- blocking runs over all records as usual (it is cheap; cap and rule order stay exact), and
  a candidate pair of two clean records kept from last night takes its kept levels; every
  other candidate (one dirty side, or a pair new among clean records) is compared;
- the kept model weighs all pairs (no re-fit); thresholds, cannot-links and steward
  decisions decide every pair's status; clustering, the exclusivity step and person ids run
  again only in the components of the people graph a change touches (``regroup``), the
  others keeping last night's people, exactly as a full night would give them.

The fingerprint hashes every column the comparisons read plus what they read from the
whole county (how many people hold the record's name and its pinyin, the extracts its
valid ID appears in): a pair's levels are a function of its two records' fingerprints, so
an incremental night gives the same pairs, levels, weights and hence the same people as a
full night with the same model. A full night (model re-fit) runs when asked, when no
compatible state is kept (first night, other settings, other polars), when the model is
``refit_days`` old, or when more than ``refit_new_share`` of the records are dirty.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.link.coding import county_facts
from pipelines.link.facts import FACTS, GROUPS, extracts_of, own_hashes
from pipelines.link.model import Model
from pipelines.link.settings import Comparison, LinkSettings

# 2: pairs keep their first blocking rule, the model the blocks over the cap; 3: records keep
# their own hash, county facts and group hashes (``facts``), the model the night's extracts;
# 4: the pairs as an Arrow IPC file (``STATE_FILES``); 5: the records' numbers too
STATE_VERSION = 5
REFIT_DAYS = 7  # a full re-fit at least weekly
REFIT_NEW_SHARE = 0.2  # ... or when more than this share of the records is new or changed
# what a record keeps of its preparing (``facts``): its own hash, group hashes and facts
GROUP_HASHES = tuple(f"h_{f}" for f in GROUPS)
KEPT_FACTS = ("own", *GROUP_HASHES, *FACTS)
# the state's files. The pairs and the records' numbers (hashes, facts, people) as
# uncompressed Arrow IPC: a tenth of parquet's CPU to write (1M residents: 3.3M pairs 0.38 ->
# 0.04 CPU s; the records' numbers, which lz4 does not shrink, 0.42 -> 0.05), read
# memory-mapped (no copy). The records' text (record keys, person ids) stays parquet, without
# compression (0.26 -> 0.12 CPU s; read from IPC it was copied out of the mapped file, which
# stayed mapped: the step's peak grew ~0.1 GB), nor column statistics: read whole.
STATE_FILES = {"records": "records.parquet", "numbers": "records.arrow", "pairs": "pairs.arrow"}
COLUMN_ORDER = "sanji_records_columns"  # the records' columns in order (parquet metadata)


@dataclass
class LinkState:
    """What a night keeps for the next (written with the run's outputs).

    Attributes:
        model: the fitted model as data: ``m``, ``u`` (comparison -> per level), ``prior``,
            ``fitted_on`` (YYYY-MM-DD), ``settings`` (``settings_hash``), ``polars``,
            ``version``, ``over_cap`` (per blocking rule the hashes of its blocks over
            the cap: ``reblock``), ``extracts`` (the night's, numbering ``id_extracts``).
        records: record_key, fingerprint (UInt64), content (UInt64: ``ids.keys_reusing``),
            own (UInt64: ``facts.own_hashes``), ``h_<fact>`` (UInt32: ``facts.group_hashes``)
            and the county facts (UInt32); row ``k`` is the pairs' ``k``.
        pairs: k_l, k_r (UInt32, positions in ``records``), ``rank`` (UInt8: the pair's first
            blocking rule, 255 for a pair only a steward's decision added),
            ``lv_<comparison>`` (Int8).
        heads: the household heads' raw names as normalised (``names.NAME_SCHEMA``), so the
            next night need not work them out again (``learn_heads``); None: none kept.
    """

    model: dict
    records: pl.DataFrame
    pairs: pl.DataFrame
    heads: pl.DataFrame | None = None

    def write(self, folder: Path) -> None:
        """Write ``model.json`` and the records and pairs (``STATE_FILES``) into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        text = self.records.select(pl.col(pl.String))
        order = json.dumps(self.records.columns)
        partial = folder / ".records.partial"
        text.write_parquet(partial, compression="uncompressed", statistics=False,
                           metadata={COLUMN_ORDER: order})
        partial.replace(folder / STATE_FILES["records"])
        for name, frame in (("numbers", self.records.select(pl.exclude(text.columns))),
                            ("pairs", self.pairs)):
            partial = folder / f".{name}.partial"
            frame.write_ipc(partial, compression="uncompressed")
            partial.replace(folder / STATE_FILES[name])
        if self.heads is not None:  # named by the code that normalised them
            self.heads.write_parquet(folder / f"heads-{names_key()}.parquet", compression="lz4")
        (folder / "model.json").write_text(json.dumps(self.model, indent=1), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> LinkState | None:
        """The state written in ``folder``, None when it holds none (or only part of one)."""
        paths = [folder / n for n in ("model.json", *STATE_FILES.values())]
        if not all(p.is_file() for p in paths):  # (an older state's pairs.parquet: not read)
            return None
        heads = folder / f"heads-{names_key()}.parquet"  # another code's: not read
        return cls(json.loads(paths[0].read_text(encoding="utf-8")),
                   _read_records(paths[1], paths[2]), pl.read_ipc(paths[3]),
                   pl.read_parquet(heads) if heads.is_file() else None)


def _read_records(text: Path, numbers: Path) -> pl.DataFrame:
    """The kept records: their text columns (parquet) beside their numbers (IPC), in the
    order they were written (``COLUMN_ORDER``)."""
    order = pl.read_parquet_metadata(text).get(COLUMN_ORDER)
    if order is None:
        raise ValueError(f"{text}: no column order kept")
    parts = [frame for frame in (pl.read_parquet(text), pl.read_ipc(numbers)) if frame.width]
    return pl.concat(parts, how="horizontal").select(json.loads(order)) if len(parts) > 1 \
        else parts[0]


def names_key() -> str:
    """A short hash of what a normalised name depends on: the code (``pipelines/``, as the
    ingest cache keys its names) and the pypinyin and zhconv versions."""
    from pipelines.ingest.cache import code_version
    from pipelines.normalise.names import names_version

    return hashlib.sha256(f"{code_version()}\n{names_version()}".encode()).hexdigest()[:16]


def learn_heads(state: LinkState | None) -> None:
    """Know the household heads last night normalised (``names.learn_names``): a name's
    normalised form depends on nothing else, so the night works out only new heads."""
    if state is not None and state.heads is not None and state.heads.height:
        from pipelines.normalise.names import learn_names

        learn_names(state.heads)


def settings_hash(s: LinkSettings) -> str:
    """A short hash of everything in the settings that shapes the model and the levels."""
    return hashlib.sha256(repr((s.comparisons, s.blocking_rules, s.max_block_size,
                                s.u_sample_pairs, s.em_iterations, s.seed)).encode()
                          ).hexdigest()[:16]


def model_data(fitted: Model, s: LinkSettings, fitted_on: date) -> dict:
    """The model as JSON-able data (``LinkState.model``)."""
    return {"version": STATE_VERSION, "settings": settings_hash(s), "polars": pl.__version__,
            "fitted_on": fitted_on.isoformat(), "prior": fitted.prior,
            "m": {k: v.tolist() for k, v in fitted.m.items()},
            "u": {k: v.tolist() for k, v in fitted.u.items()}}


def model_of(data: dict, comparisons: tuple[Comparison, ...]) -> Model:
    """The ``Model`` of kept data (checked compatible by ``plan``)."""
    return Model(comparisons=comparisons, prior=float(data["prior"]),
                 m={c.name: np.asarray(data["m"][c.name], dtype=float) for c in comparisons},
                 u={c.name: np.asarray(data["u"][c.name], dtype=float) for c in comparisons})


def fingerprints(rec: pl.DataFrame, facts: pl.DataFrame | None = None,
                 own: pl.Series | None = None) -> pl.Series:
    """Per prepared record, a hash of what its comparisons read (see the module docstring;
    ``facts``: ``coding.county_facts(rec)``, ``own``: ``facts.own_hashes(rec)``, when the
    caller has them)."""
    county = county_facts(rec) if facts is None else facts
    own = own_hashes(rec) if own is None else own
    both = pl.DataFrame([own, *[county[f].cast(pl.Int64) for f in FACTS]])
    return both.hash_rows(seed=17).alias("fingerprint")


def compatible(state: LinkState | None) -> bool:
    """The state is of this state version and polars (its hashes are tonight's)."""
    return state is not None and (state.model.get("version"), state.model.get("polars")) == (
        STATE_VERSION, pl.__version__)


def kept_facts(state: LinkState | None, rec: pl.DataFrame) -> pl.DataFrame | None:
    """The kept records' keys and ``KEPT_FACTS`` when their facts can be reused tonight
    (``facts.facts_reusing``: a compatible state, the same extracts), else None."""
    if not compatible(state) or state.model.get("extracts") != extracts_of(rec):
        return None
    if not {"record_key", *KEPT_FACTS} <= set(state.records.columns):
        return None
    return state.records.select("record_key", *KEPT_FACTS)


def plan(state: LinkState | None, s: LinkSettings, full: bool, today: date,
         current: pl.DataFrame, own_k2i: np.ndarray | None = None
         ) -> tuple[str, str, np.ndarray | None]:
    """Decide the night's mode.

    Args:
        state: the kept state, or None.
        s: the settings.
        full: a full night is asked for (``sanji run --full``, ``LinkConfig.full``).
        today: the day (for the model's age).
        current: per record (position ``i``): record_key, fingerprint.
        own_k2i: per kept record its position tonight when its record_key and own hash are
            there (``facts.matched``), -1 when not, if the caller has it.

    Returns:
        (``incremental`` | ``full``, why, and for incremental per kept record ``k`` its
        current position ``i`` or -1 when it is gone or changed).
    """
    if full:
        return "full", "a full re-link was asked for (--full / LinkConfig.full)", None
    if state is None:
        return "full", "no kept linkage state (first night, or the last run kept none)", None
    m = state.model
    if not compatible(state) or m.get("settings") != settings_hash(s):
        return "full", "the kept state is of other link settings or library versions", None
    age = (today - date.fromisoformat(m["fitted_on"])).days
    if age >= s.refit_days:
        return "full", f"the model was fitted {age} days ago (re-fit every {s.refit_days})", None
    k2i = _clean(state.records, current, own_k2i)
    n_clean = int((k2i >= 0).sum())
    dirty = 1.0 - n_clean / max(current.height, 1)
    if dirty > s.refit_new_share:
        return "full", (f"{dirty:.1%} of the records are new or changed (re-fit above "
                        f"{s.refit_new_share:.0%})"), None
    return "incremental", (f"{current.height - n_clean} new or changed records, "
                           f"model fitted {age} days ago"), k2i


def _clean(kept: pl.DataFrame, current: pl.DataFrame, own_k2i: np.ndarray | None
           ) -> np.ndarray:
    """Per kept record its position tonight when its record_key and fingerprint are there,
    else -1: from the records matched on key and own hash (``own_k2i``) when given, the
    fingerprints compared by position; else joined."""
    if own_k2i is not None:
        k2i, at = own_k2i.copy(), np.flatnonzero(own_k2i >= 0)
        was = kept["fingerprint"].to_numpy()[at]
        k2i[at[was != current["fingerprint"].to_numpy()[own_k2i[at]]]] = -1
        return k2i
    k2i = np.full(kept.height, -1, dtype=np.int64)
    # on the fingerprint (an integer) first, then the keys: a string join over every record
    # costs more
    clean = (kept.with_row_index("k")
             .join(current.with_row_index("i"), on="fingerprint")
             .filter(pl.col("record_key") == pl.col("record_key_right")))
    k2i[clean["k"].to_numpy()] = clean["i"].to_numpy()
    return k2i


def kept_pairs(state: LinkState, k2i: np.ndarray) -> pl.DataFrame:
    """The kept pairs whose two records are clean, at tonight's positions.

    Args:
        state: the kept state.
        k2i: per kept record its current position, -1 when gone or changed (``plan``).

    Returns:
        i_l < i_r (UInt32), ``rank`` (the first blocking rule), ``row`` (in ``state.pairs``).
    """
    if np.array_equal(k2i, np.arange(len(k2i))):  # every kept record clean where it stood
        k = [pl.col("k_l").cast(pl.UInt32), pl.col("k_r").cast(pl.UInt32)]
        return state.pairs.select(  # (records only added after them): the pairs as kept
            pl.min_horizontal(k).alias("i_l"), pl.max_horizontal(k).alias("i_r"), "rank",
            row=pl.int_range(pl.len(), dtype=pl.Int64))
    return _moved_pairs(state, k2i)


def _moved_pairs(state: LinkState, k2i: np.ndarray) -> pl.DataFrame:
    """``kept_pairs`` when kept records are gone, changed or moved: gathered and filtered."""
    il, ir = k2i[state.pairs["k_l"].to_numpy()], k2i[state.pairs["k_r"].to_numpy()]
    ok = (il >= 0) & (ir >= 0)
    return pl.DataFrame({
        "i_l": pl.Series(np.minimum(il, ir)[ok]).cast(pl.UInt32),
        "i_r": pl.Series(np.maximum(il, ir)[ok]).cast(pl.UInt32),
        "rank": state.pairs["rank"].filter(pl.Series(ok)),
        "row": pl.Series(np.flatnonzero(ok)).cast(pl.Int64),
    })


def kept_rows(kept: pl.DataFrame, pairs: pl.DataFrame) -> np.ndarray:
    """Per candidate pair (i_l < i_r) its row in the kept state, -1 when not kept."""
    joined = pairs.select("i_l", "i_r").join(kept.select("i_l", "i_r", "row"),
                                             on=["i_l", "i_r"], how="left", maintain_order="left")
    return joined["row"].fill_null(-1).to_numpy()


def kept_levels(state: LinkState, rows: np.ndarray, names: list[str]
                ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The kept levels of the candidate pairs (``rows``: their rows in the state, -1 when not
    kept): comparison -> levels (-1 where not kept), and per pair whether they were kept."""
    found = rows >= 0
    # one gather of all the level columns (in parallel, over one chunk each: the state is
    # read in many chunks, and a gather per chunked column costs twice as much)
    kept = state.pairs.select([f"lv_{f}" for f in names]).rechunk()[pl.Series(rows[found])]
    levels = {}
    for f in names:
        levels[f] = np.full(len(rows), -1, dtype=np.int8)
        levels[f][found] = kept[f"lv_{f}"].to_numpy()
    return levels, found


def new_state(model: dict, rec: pl.DataFrame, scored: pl.DataFrame, names: list[str],
              rules: list[str], facts: pl.DataFrame) -> LinkState:
    """The state this night keeps: its model, records (with their ``KEPT_FACTS``; ``facts``:
    the county facts) and every scored pair's levels and first blocking rule (``rules``: the
    rules' names in order)."""
    rank = pl.col("block_rule").replace_strict({r: k for k, r in enumerate(rules)},
                                               default=255, return_dtype=pl.UInt8)
    pairs = scored.select(pl.col("i_l").alias("k_l"), pl.col("i_r").alias("k_r"),
                          rank.alias("rank"), *[pl.col(f"lv_{f}").cast(pl.Int8) for f in names])
    kept = rec.select("record_key", "fingerprint", "content", "own", *GROUP_HASHES).with_columns(
        facts.select([pl.col(f).cast(pl.UInt32) for f in FACTS]))
    return LinkState(model, kept, pairs)
