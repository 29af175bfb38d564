"""The demo county: realistic, dirty, linked extracts of four departments, with the truth.

`generate_county(people, seed, out)` writes `out/landing/` (what the departments drop) and
`out/truth/` (who each row really is, which fields were damaged and how a correct pipeline
should treat them, and the mismatches planted on purpose). See docs/design.md §1.
"""

from __future__ import annotations

from pipelines.demo.county import DemoSummary, generate_county
from pipelines.demo.dirt import DirtRates

__all__ = ["DemoSummary", "DirtRates", "generate_county"]
