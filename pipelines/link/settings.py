"""Settings of the person linker: blocking rules, thresholds, sampling and model sizes."""

from __future__ import annotations

from dataclasses import dataclass

BLOCKING_RULES: tuple[str, ...] = (
    "id_exact",
    "id_one_off",
    "pinyin_birth",
    "birth_village",
    "pinyin_village",
    "household_name",
)


@dataclass(frozen=True)
class LinkSettings:
    """What the linker does; the engine in ``link_records`` executes it.

    Attributes:
        accept_weight: match weight (log2 odds) at or above which a pair is linked.
        review_weight: match weight at or above which a pair below ``accept_weight`` is
            uncertain (shown to a steward); below it a pair is rejected.
        blocking_rules: names from ``BLOCKING_RULES``, applied in order; a pair keeps the
            name of the first rule that found it.
        max_block_size: a block key holding more records than this is skipped (and counted
            in ``stats["capped_blocks"]``) so one huge block cannot explode the pair count.
        u_sample_pairs: random record pairs drawn to estimate u probabilities.
        em_iterations: EM iterations estimating m probabilities on the candidate pairs.
        name_tf_adjust: adjust the name-exact weight by the name's frequency in the records.
        min_name_tf: floor of a name's term frequency (caps the weight of very rare names).
        seed: seed of the random pair sample.
        require_name_or_id: link automatically only pairs whose names agree (exactly or as
            homophones) or whose IDs agree (exactly or up to one typo); others above
            ``accept_weight`` are uncertain. Guards against twins (same birth date,
            household and village, near-identical names).

    Examples:
        >>> LinkSettings(accept_weight=10.0, review_weight=2.0).accept_weight
        10.0
    """

    accept_weight: float = 3.0
    review_weight: float = -3.0
    blocking_rules: tuple[str, ...] = BLOCKING_RULES
    max_block_size: int = 200
    u_sample_pairs: int = 400_000
    em_iterations: int = 12
    name_tf_adjust: bool = True
    min_name_tf: float = 1e-6
    seed: int = 42
    require_name_or_id: bool = True

    def __post_init__(self) -> None:
        """Reject settings that cannot work, naming what to write instead."""
        unknown = [r for r in self.blocking_rules if r not in BLOCKING_RULES]
        if unknown:
            msg = f"unknown blocking rules {unknown}; choose from {list(BLOCKING_RULES)}"
            raise ValueError(msg)
        if self.review_weight > self.accept_weight:
            msg = (
                f"review_weight {self.review_weight} must not exceed "
                f"accept_weight {self.accept_weight}"
            )
            raise ValueError(msg)
        if self.max_block_size < 2:
            msg = "max_block_size must be at least 2"
            raise ValueError(msg)
