"""What the person linker does, as data (in the spirit of Splink's settings).

``LinkSettings`` holds the comparisons (each a list of graded ``Level`` s with m/u priors and
a ``confirms`` flag), the blocking rules (each with its key columns) and the thresholds. The
engine in ``link_records`` executes them and refers to levels only by name. The defaults
live in ``pipelines/link/defaults.py``; a county overrides any of them from a mapping or a
YAML file::

    accept_weight: 4.0
    blocking_rules: [id_exact, id_one_off, pinyin_birth, name_unidentified]
    comparisons:
      hospital:
        params: {window_before_days: 30, window_after_days: 120}
        levels:
          in-treatment-window: {m: 0.6, u: 0.0005}

``LinkSettings.from_yaml(path)`` / ``LinkSettings.from_mapping(dict)`` apply it on top of
the defaults; unknown names are errors that list what exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

KEY_COLUMNS: tuple[str, ...] = (
    "id_number", "name", "name_pinyin", "birth_date", "sex", "village_code", "township_code",
    "household_id", "head_name", "hospital", "place", "insurance_no",
)  # fmt: skip
METHODS = ("equal", "id_one_edit")
U_SOURCES = ("random_pairs", "holders")


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Return a read-only copy of ``mapping``."""
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Level:
    """One graded outcome of a comparison, strongest agreement first.

    Attributes:
        name: the level's name (``exact``, ``one-substitution``, ``same-village`` …); the
            comparison function returns levels by these names.
        m: prior P(level | same person); EM refines it when the comparison fits m.
        u: prior P(level | different people); random pairs refine it.
        confirms: agreement strong enough to link a pair automatically; a pair above
            ``accept_weight`` with no confirming level is only ``uncertain`` (twins share
            birth date, household, village and near-identical names).
        description: what the level means, for the docs and the steward.
    """

    name: str
    m: float
    u: float
    confirms: bool = False
    description: str = ""


@dataclass(frozen=True)
class Comparison:
    """One piece of evidence compared on every candidate pair.

    Attributes:
        name: the comparison's name; also the key of its function in
            ``comparisons.COMPARATORS`` and the suffix of ``w_<name>`` in ``pairs``.
        levels: the graded levels, strongest agreement first (the null level, a value
            missing on either side, is implicit and weighs 0).
        description: what is compared, for the docs and ``explain``.
        params: the function's parameters (thresholds, windows).
        fit_m: estimate m by EM on the candidate pairs (else the priors are used).
        u_from: ``random_pairs`` (u from a sample of random record pairs) or ``holders``
            (name frequency: u from how many people with a valid ID hold each name).
    """

    name: str
    levels: tuple[Level, ...]
    description: str = ""
    params: Mapping[str, float] = field(default_factory=dict)
    fit_m: bool = True
    u_from: str = "random_pairs"

    def __post_init__(self) -> None:
        """Freeze ``params`` and check the level names and the u source."""
        object.__setattr__(self, "params", _frozen(self.params))
        names = [lv.name for lv in self.levels]
        if len(set(names)) != len(names) or not names:
            msg = f"comparison {self.name!r}: level names must be unique and present: {names}"
            raise ValueError(msg)
        if self.u_from not in U_SOURCES:
            msg = f"comparison {self.name!r}: u_from {self.u_from!r} not in {list(U_SOURCES)}"
            raise ValueError(msg)

    @property
    def level_names(self) -> tuple[str, ...]:
        """The level names, strongest first."""
        return tuple(lv.name for lv in self.levels)


@dataclass(frozen=True)
class BlockingRule:
    """Records sharing a key are candidate pairs.

    Attributes:
        name: the rule's name (``block_rule`` of the pairs it finds first).
        keys: columns (``KEY_COLUMNS``) whose values, all present and equal, form the key.
        method: ``equal`` (the key) or ``id_one_edit`` (IDs one substitution or adjacent
            swap apart; ``keys`` is ignored).
        unidentified_only: pair only records at least one of which has no valid ID (two
            valid IDs are decided by the IDs themselves).
        description: what the rule catches.
        refine: columns added to the key of a block over ``max_block_size``: such a block
            is split finer instead of skipped (a rare homophone 王舫 inside the huge
            ``wangfang`` block of 王芳); only a block still over the cap is skipped.
    """

    name: str
    keys: tuple[str, ...] = ()
    method: str = "equal"
    unidentified_only: bool = False
    description: str = ""
    refine: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Check the method and the key columns."""
        if self.method not in METHODS:
            msg = f"blocking rule {self.name!r}: method {self.method!r} not in {list(METHODS)}"
            raise ValueError(msg)
        bad = [k for k in self.keys if k not in KEY_COLUMNS]
        if bad or (self.method == "equal" and not self.keys):
            msg = (f"blocking rule {self.name!r}: keys {list(self.keys)} must be one or more of "
                   f"{list(KEY_COLUMNS)}")
            raise ValueError(msg)
        if any(k not in KEY_COLUMNS for k in self.refine):
            msg = (f"blocking rule {self.name!r}: refine {list(self.refine)} must be among "
                   f"{list(KEY_COLUMNS)}")
            raise ValueError(msg)


def _default_comparisons() -> tuple[Comparison, ...]:
    from pipelines.link.defaults import COMPARISONS

    return COMPARISONS


def _default_rules() -> tuple[BlockingRule, ...]:
    from pipelines.link.defaults import BLOCKING_RULES

    return BLOCKING_RULES


@dataclass(frozen=True)
class LinkSettings:
    """Comparisons, blocking rules, thresholds, sampling and model sizes.

    Attributes:
        comparisons: the evidence compared on every candidate pair.
        blocking_rules: applied in order; a pair keeps the name of the first rule found it.
        accept_weight: match weight (log2 odds) at or above which a pair is linked.
        review_weight: match weight at or above which a pair below ``accept_weight`` is
            uncertain (shown to a steward); below it a pair is rejected.
        max_block_size: a block key holding more records is skipped (and counted in
            ``stats["capped_blocks"]``) so one huge block cannot explode the pair count.
        u_sample_pairs: random record pairs drawn to estimate u probabilities.
        em_iterations: EM iterations estimating m probabilities on the candidate pairs.
        seed: seed of the random pair sample.
        require_confirming_level: link automatically only pairs with at least one
            confirming level (``Level.confirms``); others above ``accept_weight`` are
            uncertain.
        candidates_per_record: candidate people listed for a record without a usable ID.
        queue_margin: an uncertain pair leaves the steward queue when one of its records
            is linked by a pair this many bits (log2 odds) stronger.
        refit_days: an incremental night keeps the last full night's model; once that model
            is this many days old the night is full (re-fit) instead.
        refit_new_share: ... and so is a night on which more than this share of the
            records is new or changed (``pipelines.link.incremental``).
        assign_weight: a cluster without a valid ID joins its best person (``assign``) when
            that pair weighs at least this much ...
        assign_margin: ... and beats every other person by this many bits (0: never).
        ambiguous_margin: a record without a valid ID linked into a person is taken out
            again when another person scores within this many bits of it (0: never).

    Examples:
        >>> LinkSettings(accept_weight=10.0, review_weight=2.0).accept_weight
        10.0
    """

    comparisons: tuple[Comparison, ...] = field(default_factory=_default_comparisons)
    blocking_rules: tuple[BlockingRule, ...] = field(default_factory=_default_rules)
    accept_weight: float = 3.0
    review_weight: float = -2.0
    max_block_size: int = 200
    u_sample_pairs: int = 400_000
    em_iterations: int = 12
    seed: int = 42
    require_confirming_level: bool = True
    candidates_per_record: int = 3
    queue_margin: float = 6.0
    refit_days: int = 7
    refit_new_share: float = 0.2
    assign_weight: float = 1.0
    assign_margin: float = 4.0
    ambiguous_margin: float = 3.0

    def __post_init__(self) -> None:
        """Reject settings that cannot work, naming what to write instead."""
        from pipelines.link.comparisons import COMPARATORS

        for c in self.comparisons:
            known = COMPARATORS.get(c.name)
            if known is None:
                msg = f"unknown comparison {c.name!r}; choose from {sorted(COMPARATORS)}"
                raise ValueError(msg)
            if tuple(known.levels) != c.level_names:
                msg = (f"comparison {c.name!r}: levels {list(c.level_names)} must be "
                       f"{list(known.levels)} (its function grades pairs by these names)")
                raise ValueError(msg)
        if self.review_weight > self.accept_weight:
            msg = (f"review_weight {self.review_weight} must not exceed "
                   f"accept_weight {self.accept_weight}")
            raise ValueError(msg)
        if self.max_block_size < 2:
            msg = "max_block_size must be at least 2"
            raise ValueError(msg)

    def comparison(self, name: str) -> Comparison:
        """Return the comparison called ``name``.

        Raises:
            KeyError: when there is none.
        """
        for c in self.comparisons:
            if c.name == name:
                return c
        msg = f"no comparison {name!r}; have {[c.name for c in self.comparisons]}"
        raise KeyError(msg)

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, Any] | None) -> LinkSettings:
        """Return the defaults with ``overrides`` applied (see the module docstring).

        Args:
            overrides: scalar settings by name; ``blocking_rules`` as a list of rule names
                (from the defaults) or mappings (a new rule); ``comparisons`` as a mapping
                name -> {levels: {level: {m, u, confirms}}, params: {...}, fit_m, enabled}.

        Returns:
            The settings.

        Raises:
            ValueError: on an unknown setting, rule, comparison or level.
        """
        base = cls()
        overrides = dict(overrides or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            msg = f"unknown link setting(s) {unknown}; choose from {sorted(known)}"
            raise ValueError(msg)
        if "blocking_rules" in overrides:
            overrides["blocking_rules"] = _rules(overrides["blocking_rules"], base)
        if "comparisons" in overrides:
            overrides["comparisons"] = _comparisons(overrides["comparisons"], base)
        return replace(base, **overrides)

    @classmethod
    def from_yaml(cls, path: str | Path) -> LinkSettings:
        """Return the defaults with the overrides of a YAML file applied."""
        import yaml

        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(data, Mapping):
            msg = f"{path}: link settings must be a mapping of setting -> value"
            raise ValueError(msg)
        return cls.from_mapping(data)


def _rules(spec: Any, base: LinkSettings) -> tuple[BlockingRule, ...]:
    """Return blocking rules from names (defaults) and mappings (new rules)."""
    by_name = {r.name: r for r in base.blocking_rules}
    out = []
    for item in spec:
        if isinstance(item, str):
            if item not in by_name:
                msg = f"unknown blocking rule {item!r}; choose from {list(by_name)} or define it"
                raise ValueError(msg)
            out.append(by_name[item])
        else:
            item = dict(item)
            item["keys"] = tuple(item.get("keys", ()))
            item["refine"] = tuple(item.get("refine", ()))
            out.append(BlockingRule(**item))
    return tuple(out)


def _comparisons(spec: Mapping[str, Any], base: LinkSettings) -> tuple[Comparison, ...]:
    """Return the default comparisons with per-comparison overrides applied."""
    names = [c.name for c in base.comparisons]
    unknown = sorted(set(spec) - set(names))
    if unknown:
        msg = f"unknown comparison(s) {unknown}; choose from {names}"
        raise ValueError(msg)
    out = []
    for c in base.comparisons:
        change = dict(spec.get(c.name) or {})
        if change.pop("enabled", True) is False:
            continue
        levels = change.pop("levels", {}) or {}
        bad = sorted(set(levels) - set(c.level_names))
        if bad:
            msg = f"comparison {c.name!r}: unknown level(s) {bad}; have {list(c.level_names)}"
            raise ValueError(msg)
        new_levels = tuple(replace(lv, **levels.get(lv.name, {})) for lv in c.levels)
        params = {**c.params, **(change.pop("params", {}) or {})}
        out.append(replace(c, levels=new_levels, params=params, **change))
    return tuple(out)
