"""Resources: the landing folder, the warehouse, the exchange folders and a clock.

Each is a ``ConfigurableResource``; ``assets/definitions.py`` builds them once with
``dagster.EnvVar`` values, and a run (the CLI, a test, the Launchpad) may override any field
through run config (:func:`resource_config`).

Where a county's files and tables are comes from the counties file (``SANJI_COUNTIES``,
``pipelines.counties``): each resource is asked *for a county* (the run's partition). A field
set in run config (the CLI's ``--landing``, ``--warehouse`` …) overrides the file for that run.
"""

from datetime import date, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import polars as pl
from dagster import ConfigurableResource

from assets.settings import setting
from pipelines.counties import County, Deployment, load_counties
from pipelines.domain.county import TIMEZONE
from pipelines.ingest.cache import CACHE_DIR, IngestCache
from pipelines.landing import Landing, list_landing

# Columns the warehouse adds to a published table; dropped when a table is loaded back
# (``month`` is kept for the tables that carry their own month column). ``county`` is the
# county partition every county-level row is stamped with.
WAREHOUSE_META = ("run_id", "month", "published_at", "county")
OWN_MONTH = ("village_monthly", "township_monthly", "county_monthly", "exchange_diff")


class CountyScoped(ConfigurableResource):
    """A resource that answers per county, from the counties file.

    Attributes:
        counties_file: the counties file ("" for ``SANJI_COUNTIES`` or the checkout's).
    """

    counties_file: str = ""

    def deployment(self) -> Deployment:
        """The counties file, read now (so a run sees the file as it is when it starts)."""
        return load_counties(Path(self.counties_file or setting("SANJI_COUNTIES")))

    def county(self, code: str | None = None) -> County:
        """The county ``code`` (without one: the only county of a one-county deployment)."""
        return self.deployment().county(code)


class LandingFolder(CountyScoped):
    """Where a county's extracts land, and where the files a month read are archived.

    Attributes:
        path: this folder instead of the county's ``landing`` (one run's override).
        archive: the archive root (``SANJI_ARCHIVE``); a county's files go below its code.
        settle_seconds: how long a file must hold still (size and time) before it is read; a
            file last modified longer ago than that is read at once.
        cache: the ingest cache root (default ``$SANJI_STORAGE/ingest-cache``); a county's
            entries go below its code (:mod:`pipelines.ingest.cache`).
        cold: read every file, the cache unused (``sanji run --full``); what is read is kept.
            The link step then links in full too (model re-fit, every pair compared).
    """

    path: str = ""
    archive: str = ""
    settle_seconds: float = 1.0
    cache: str = ""
    cold: bool = False

    def folder(self, county: str | None = None) -> Path:
        """The county's landing folder (or the run's override)."""
        return Path(self.path) if self.path else self.county(county).landing

    def listing(self, county: str | None = None) -> Landing:
        """The county's data files, steward files and skipped entries."""
        return list_landing(self.folder(county))

    def archive_for(self, county: str) -> Path:
        """The county's archive of landing files by content hash."""
        return Path(self.archive or setting("SANJI_ARCHIVE")) / county

    def ingest_cache(self, county: str) -> IngestCache:
        """The county's ingest cache; a cold one (``cold``) finds nothing but keeps all."""
        root = Path(self.cache) if self.cache else Path(setting("SANJI_STORAGE")) / CACHE_DIR
        return IngestCache(root / county, cold=self.cold)


class WarehouseResource(CountyScoped):
    """A county's warehouse (DuckDB path or ``postgresql://`` URL) and schema, from the file.

    Attributes:
        url: this warehouse instead of the counties' (one run's override; schemas are kept).
    """

    url: str = ""

    def open(self, county: str | None = None):
        """A :class:`pipelines.warehouse.Warehouse` on the county's tables."""
        from pipelines.warehouse import Warehouse

        place = self.county(county)
        return Warehouse.from_url(self.url or place.warehouse, schema=place.schema or None)

    def open_province(self):
        """A :class:`pipelines.warehouse.Warehouse` on the province's tables."""
        from pipelines.warehouse import Warehouse

        province = self.deployment().province
        return Warehouse.from_url(self.url or province.warehouse, schema=province.schema)


FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)


def drop_meta(frame: FrameT, table: str = "") -> FrameT:
    """Drop the publishing columns the warehouse adds (run id, month, time, county)."""
    names = frame.collect_schema().names()
    drop = [c for c in WAREHOUSE_META if c in names and not (c == "month" and table in OWN_MONTH)]
    return frame.drop(drop)


class ExchangeFolders(CountyScoped):
    """Where a county's illness-office workbook goes out and comes back (from the file).

    Attributes:
        outbox: this outbox instead of the county's (one run's override).
        inbox: this inbox instead of the county's.
    """

    outbox: str = ""
    inbox: str = ""

    def outbox_for(self, county: str | None = None) -> Path:
        """The county's outbox (or the run's override)."""
        return self._folder(self.outbox, county, "outbox")

    def inbox_for(self, county: str | None = None) -> Path:
        """The county's inbox (or the run's override)."""
        return self._folder(self.inbox, county, "inbox")

    def _folder(self, override: str, county: str | None, which: str) -> Path:
        if override:
            return Path(override)
        place = self.county(county)
        folder = getattr(place, which)
        if folder is None:
            msg = f"county {place.label} has no {which} in {self.deployment().source}"
            raise ValueError(msg)
        return folder


class Clock(ConfigurableResource):
    """Today's date in Asia/Shanghai; ``today`` (YYYY-MM-DD) pins it for tests.

    Attributes:
        today: a pinned date, or "" for the real one.
        warn_days: days before the filing deadline from which open work is a warning
            (``SANJI_DEADLINE_WARN_DAYS``).
    """

    today: str = ""
    warn_days: int = 3

    def date(self) -> date:
        """Today, or the pinned date."""
        if self.today:
            return date.fromisoformat(self.today)
        return datetime.now(ZoneInfo(TIMEZONE)).date()


def resource_config(*, landing: str | Path | None = None, warehouse: str | Path | None = None,
                    storage: str | Path | None = None, outbox: str | Path | None = None,
                    inbox: str | Path | None = None, today: str | None = None,
                    settle_seconds: float | None = None, archive: str | Path | None = None,
                    counties: str | Path | None = None,
                    full: bool | None = None) -> dict[str, dict]:
    """Run config for the resources: only the fields given, each overriding its default.

    Args:
        landing: the landing folder (instead of the county's).
        warehouse: the warehouse path or URL (instead of the county's).
        storage: the folder of the intermediate parquet files.
        outbox: the exchange outbox (instead of the county's).
        inbox: the exchange inbox (instead of the county's).
        today: a pinned date for the clock (``YYYY-MM-DD``).
        settle_seconds: the landing settle time.
        archive: the archive root of the landing files.
        counties: the counties file (instead of ``SANJI_COUNTIES``).
        full: read every landing file, the ingest cache unused (its entries are renewed).

    Returns:
        ``{"resources": {...}}`` to merge into a run config.
    """
    fields = {
        "landing": {"path": landing, "settle_seconds": settle_seconds, "archive": archive,
                    "counties_file": counties, "cold": full or None,
                    "cache": Path(storage) / CACHE_DIR if storage else None},
        "warehouse": {"url": warehouse, "counties_file": counties},
        "io_manager": {"base_dir": storage},
        "warehouse_io_manager": {"staging_dir": storage},
        "exchange_folders": {"outbox": outbox, "inbox": inbox, "counties_file": counties},
        "clock": {"today": today},
    }
    resources = {}
    for key, values in fields.items():
        given = {k: str(v) if isinstance(v, Path) else v for k, v in values.items()
                 if v is not None}
        if given:
            resources[key] = {"config": given}
    return {"resources": resources}
