"""Pandera models of the mapped extract tables: every field text, nullable, required present.

One ``DataFrameModel`` per extract (``RAW_MODELS[name]``) and one for the region table, built
from ``pipelines.domain.extracts`` so that a field added there is checked here too. Beyond the
columns,
each model checks that ``row_number`` is a unique spreadsheet row (>= 1) and, at frame level,
that a non-empty frame identifies something: some row has a name or an identity number
(a region: a code). Validate the rows below the header without blank and totals rows, lazily.
"""

from __future__ import annotations

from collections.abc import Callable

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from pipelines.domain.extracts import EXTRACTS, REGION_FIELDS

REGION_IDENTITY = ("code",)


def has_identity(columns: tuple[str, ...]) -> Callable[[type, PolarsData], pl.LazyFrame]:
    """A frame-level check: empty, or some row has a non-blank value in one of ``columns``.

    Args:
        columns: the identifying columns.

    Returns:
        The check function (one boolean).
    """

    def check(cls: type, data: PolarsData) -> pl.LazyFrame:
        del cls
        filled = pl.any_horizontal(
            pl.col(c).str.strip_chars().fill_null("").ne("") for c in columns
        )
        return data.lazyframe.select(((pl.len() == 0) | filled.any()).alias("check_output"))

    check.__name__ = f"has_{'_or_'.join(columns)}"
    return check


def _raw_model(name: str, fields: list[str],
               identity: tuple[str, ...] = ()) -> type[pa.DataFrameModel]:
    """A model with one nullable String column per field (extra columns allowed).

    Extract rows without a name or ID are not a schema failure: ingest quarantines each as
    ``no_identity``. A region table, though, must hold some code (``identity``).
    """
    attrs: dict[str, object] = {
        "__annotations__": {f: str for f in fields},
        "__doc__": f"Mapped text columns of the {name} extract.",
        "__module__": __name__,
    }
    attrs.update({f: pa.Field(nullable=True) for f in fields})
    attrs["row_number"] = pa.Field(ge=1, unique=True)
    attrs["__annotations__"]["row_number"] = int
    attrs["Config"] = type("Config", (), {"strict": False, "coerce": False})
    if identity:
        check = has_identity(identity)
        attrs[check.__name__] = pa.dataframe_check(classmethod(check))
    return type(f"Raw_{name}", (pa.DataFrameModel,), attrs)


RAW_MODELS: dict[str, type[pa.DataFrameModel]] = {
    name: _raw_model(name, list(spec.fields)) for name, spec in EXTRACTS.items()
}
RawRegions = _raw_model("regions", list(REGION_FIELDS), REGION_IDENTITY)
