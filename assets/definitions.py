"""The one place where sanji's assets, checks, jobs, schedules, sensors and resources meet.

``dagster dev`` (``make ui``), the daemon, the code server of a deployment and ``sanji`` (the
CLI) all run jobs from ``defs``. The counties and partitions come from the counties file
(``assets/settings.py``); resources are built once here from ``dagster.EnvVar`` and answer per
county; a run may override any field through run config. ``SANJI_EXECUTOR`` chooses where steps
execute (``assets/executors.py``).
"""

from dagster import (
    Definitions,
    EnvVar,
    colored_console_logger,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from assets import case_answer, cases, exchange, ingest, jobs, link, province, publish, worklists
from assets.executors import chosen_executor
from assets.io_managers import PolarsParquetIOManager, WarehouseIOManager
from assets.loggers import progress
from assets.publication import publication_asset
from assets.resources import Clock, ExchangeFolders, LandingFolder, WarehouseResource
from assets.schedules import monthly_export, nightly
from assets.sensors import inbox_sensor, landing_sensor, province_sensor
from assets.settings import use_local_defaults

ASSET_MODULES = (ingest, link, publish, cases, exchange, worklists, province)
all_assets = load_assets_from_modules(ASSET_MODULES)
all_assets = [*all_assets, publication_asset(all_assets)]  # publishes each run as a whole
all_checks = load_asset_checks_from_modules(ASSET_MODULES)


def resources() -> dict[str, object]:
    """The resources, each field an ``EnvVar`` (resolved when a run starts).

    Each is configured at launch: a run's config may set any one field and keep the others'
    ``EnvVar``; the ``warehouse`` a run configures (the CLI's ``--warehouse``) is the one the
    warehouse IO manager uses, so the URL is held in one place.
    """
    counties = EnvVar("SANJI_COUNTIES")
    warehouse = WarehouseResource.configure_at_launch(counties_file=counties)
    return {
        "landing": LandingFolder.configure_at_launch(counties_file=counties,
                                                     archive=EnvVar("SANJI_ARCHIVE")),
        "warehouse": warehouse,
        "exchange_folders": ExchangeFolders.configure_at_launch(counties_file=counties),
        "clock": Clock.configure_at_launch(warn_days=EnvVar.int("SANJI_DEADLINE_WARN_DAYS")),
        "io_manager": PolarsParquetIOManager.configure_at_launch(
            base_dir=EnvVar("SANJI_STORAGE"), warehouse=warehouse),
        "warehouse_io_manager": WarehouseIOManager.configure_at_launch(
            warehouse=warehouse, staging_dir=EnvVar("SANJI_STORAGE")),
    }


use_local_defaults()
defs = Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[jobs.nightly, jobs.rerun_month, jobs.illness_exchange_export,
          jobs.illness_exchange_import, jobs.steward_decision, case_answer.case_answer,
          jobs.province,
          worklists.worklist_export, worklists.worklist_import],
    schedules=[nightly, monthly_export],
    sensors=[landing_sensor, inbox_sensor, province_sensor, worklists.worklist_sensor],
    resources=resources(),
    loggers={"console": colored_console_logger, "progress": progress},
    executor=chosen_executor(),
)
