"""Person linkage: block, compare, score (Fellegi-Sunter), cluster, stable person ids.

Examples:
    >>> from pipelines.link import LinkSettings, link_records  # doctest: +SKIP
    >>> result = link_records(records, LinkSettings(), decisions=None, previous_ids=None)
    >>> result.links       # record_id, record_key, person_id, cluster_size
    >>> result.uncertain   # the steward queue, ranked, both records side by side, IDs masked
    >>> result.candidates  # records without a usable ID: their few candidate people, ranked
    >>> result.id_map      # store it; pass it as previous_ids next run

Settings are data (``LinkSettings``: comparisons, levels with m/u priors, blocking rules,
thresholds); a county overrides them with ``LinkSettings.from_mapping`` / ``from_yaml``.
Evidence beyond the common columns comes from ``record_evidence(tables)``.
"""

from pipelines.link.defaults import BLOCKING_RULES, COMPARISONS
from pipelines.link.evidence import record_evidence
from pipelines.link.linker import LinkResult, link_records, record_keys_of
from pipelines.link.settings import BlockingRule, Comparison, Level, LinkSettings

__all__ = [
    "BLOCKING_RULES",
    "COMPARISONS",
    "BlockingRule",
    "Comparison",
    "Level",
    "LinkResult",
    "LinkSettings",
    "link_records",
    "record_evidence",
    "record_keys_of",
]
