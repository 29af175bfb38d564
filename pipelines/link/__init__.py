"""Person linkage: block, compare, score (Fellegi-Sunter), cluster, stable person ids.

Examples:
    >>> from pipelines.link import LinkSettings, link_records  # doctest: +SKIP
    >>> result = link_records(records, LinkSettings(), decisions=None, previous_ids=None)
    >>> result.links       # record_id, record_key, person_id, cluster_size
    >>> result.uncertain   # pairs for a steward, both records side by side, IDs masked
    >>> result.id_map      # store it; pass it as previous_ids next run
"""

from pipelines.link.linker import LinkResult, link_records
from pipelines.link.settings import BLOCKING_RULES, LinkSettings

__all__ = ["BLOCKING_RULES", "LinkResult", "LinkSettings", "link_records"]
