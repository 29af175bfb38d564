"""The county's vocabulary: the one home of the words every stage shares.

Nothing here imports from ``schemas``, the rest of ``pipelines`` or ``assets``: the arrows point
from this package to ``schemas`` (the table contracts), then to the engine, then to the Dagster
wiring (``tests/test_layering.py`` enforces it).

- :mod:`.county` — the county's clock and its departments.
- :mod:`.months` — ``Month``, the reporting month as a value.
- :mod:`.extracts` — the extracts a county lands, their fields and header words.
- :mod:`.codes` — canonical code lists for the categorical values rules and rollups use.
- :mod:`.identity` — the resident identity number's check character and its masking.
- :mod:`.rules` — the mismatch rules a steward sees, by id, in Chinese and English.
- :mod:`.metrics` — the monthly figures published per village, township and county.
- :mod:`.cases` — a problem's life: case statuses and the township's verification answers.
"""
