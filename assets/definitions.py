"""The one place where sanji's assets, checks, jobs, schedules, sensors and resources meet."""


from dagster import Definitions, load_asset_checks_from_modules, load_assets_from_modules

from assets import exchange, ingest, jobs, link, publish
from assets.resources import default_resources
from assets.schedules import monthly_export, nightly
from assets.sensors import inbox_sensor, landing_sensor

ASSET_MODULES = (ingest, link, publish, exchange)
all_assets = load_assets_from_modules(ASSET_MODULES)
all_checks = load_asset_checks_from_modules(ASSET_MODULES)

defs = Definitions(
    assets=all_assets,
    asset_checks=all_checks,
    jobs=[jobs.everything_job, jobs.exchange_export_job, jobs.exchange_import_job,
          jobs.rerun_month, jobs.record_match_decision],
    schedules=[nightly, monthly_export],
    sensors=[landing_sensor, inbox_sensor],
    resources=default_resources(),
)
