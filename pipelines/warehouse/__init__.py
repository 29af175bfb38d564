"""Publishing frames to a warehouse: DuckDB by default, PostgreSQL by URL.

- ``tables``: :class:`Warehouse` (``from_url``, ``publish`` one table atomically, ``read``,
  ``read_many`` several tables from one committed state, ``append``).
- ``publication``: ``Warehouse.publish_run`` publishes ALL tables of one run in ONE transaction
  and records the run in the ``publication`` table (why one transaction and not versioned
  tables behind views: see that module).
- ``lock``: ``Warehouse.run_lock``, one run at a time per warehouse (and county).
- ``backends``: the DuckDB and PostgreSQL backends and the dtype mapping.
"""

from pipelines.warehouse.backends import POLARS_TYPES, RUN_COLUMNS, SQL_TYPES, to_sql_frame
from pipelines.warehouse.lock import (
    LockHolder,
    RunLock,
    WarehouseBusy,
    county_write_lock,
    held_lock,
)
from pipelines.warehouse.publication import (
    PUBLICATION,
    Publication,
    PublicationConflict,
    RunMeta,
    publications,
)
from pipelines.warehouse.tables import Snapshot, Warehouse

__all__ = ["POLARS_TYPES", "PUBLICATION", "RUN_COLUMNS", "SQL_TYPES", "LockHolder", "Publication",
           "PublicationConflict", "RunLock", "RunMeta", "Snapshot", "Warehouse", "WarehouseBusy",
           "county_write_lock", "held_lock", "publications", "to_sql_frame"]
