"""Pandera models of the mapped extract tables: every field text, nullable, required present.

One ``DataFrameModel`` per extract (``RAW_MODELS[name]``) and one for the region table, built
from ``pipelines.fields`` so that a field added there is checked here too.
"""

from __future__ import annotations

import pandera.polars as pa

from pipelines.fields import EXTRACTS, REGION_FIELDS


def _raw_model(name: str, fields: list[str]) -> type[pa.DataFrameModel]:
    """A model with one nullable String column per field (extra columns allowed)."""
    attrs: dict[str, object] = {
        "__annotations__": {f: str for f in fields},
        "__doc__": f"Mapped text columns of the {name} extract.",
        "__module__": __name__,
    }
    attrs.update({f: pa.Field(nullable=True) for f in fields})
    attrs["row_number"] = pa.Field(ge=1)
    attrs["__annotations__"]["row_number"] = int
    attrs["Config"] = type("Config", (), {"strict": False, "coerce": False})
    return type(f"Raw_{name}", (pa.DataFrameModel,), attrs)


RAW_MODELS: dict[str, type[pa.DataFrameModel]] = {
    name: _raw_model(name, list(spec.fields)) for name, spec in EXTRACTS.items()
}
RawRegions = _raw_model("regions", list(REGION_FIELDS))
