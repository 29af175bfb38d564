"""Runs started from the command line: jobs of ``defs``, recorded in the project's instance.

A ``sanji`` command executes a job of :data:`assets.definitions.defs` in process, with its
arguments as run config, into the Dagster instance of ``DAGSTER_HOME``; when that is not set
it is the checkout's ``.dagster_home`` (the one ``make ui`` shows), created on first use with
telemetry off. The run carries the job's name (``nightly``, ``steward_decision`` …) and the tag
``sanji/trigger=cli``, as a scheduled or sensor run carries its own trigger.
"""

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from dagster import DagsterInstance, ExecuteInProcessResult, JobDefinition, MultiPartitionKey

from assets.resources import drop_meta
from assets.settings import PROJECT, month_range, setting
from pipelines.counties import CountiesError, County, load_counties
from pipelines.domain.cases import OPEN_STATUSES
from pipelines.domain.identity import mask_ids_in_text
from pipelines.domain.months import Month
from pipelines.landing import MAPPING_FILE, list_landing

if TYPE_CHECKING:
    from pipelines.warehouse import Warehouse

# Telemetry off; runs started from the UI queue one per county (as deploy/dagster.yaml does).
QUIET_DAGSTER_YAML = (
    "telemetry:\n  enabled: false\n"
    "concurrency:\n  runs:\n    tag_concurrency_limits:\n"
    "      - key: dagster/partition/county\n        value:\n"
    "          applyLimitPerUniqueValue: true\n        limit: 1\n"
)
CONSOLE_LEVELS = ("INFO", "DEBUG")  # Dagster's console logger for -v, -vv


class UserError(Exception):
    """A mistake the user can fix: shown as one line with the fix (exit code 2)."""


def check_month(text: str) -> str:
    """The month a run is for, validated against the month partitions.

    Raises:
        UserError: when it is not ``YYYY-MM`` or lies outside the partitions, with the fix.
    """
    first, last = month_range()
    allowed = f"months {first} to {last}"
    try:
        month = Month.parse(text)
    except ValueError as exc:
        msg = f"--month {text!r}: {exc}; this deployment runs {allowed}"
        raise UserError(msg) from exc
    if month < first:
        msg = (f"--month {month} is before the first month {first} ({allowed}): to report it, "
               f"set first_month: \"{month}\" in {setting('SANJI_COUNTIES')} (or "
               f"SANJI_FIRST_MONTH={month})")
        raise UserError(msg)
    if month > last:
        msg = f"--month {month} has not begun yet: the latest month is {last} ({allowed})"
        raise UserError(msg)
    return str(month)


def county_of(code: str | None) -> County:
    """The county a command is for: ``--county``, or the only one configured.

    Raises:
        UserError: for an unknown county, or none named when several are configured.
    """
    try:
        return load_counties(Path(setting("SANJI_COUNTIES"))).county(code)
    except CountiesError as exc:
        raise UserError(str(exc)) from exc


def export_target(args) -> tuple[str, County, Path]:
    """The month, county and outbox of a command that writes workbooks for a county.

    Raises:
        UserError: a bad month or county, or no outbox (``--out``) for the county.
    """
    month = check_month(args.month)
    county = county_of(args.county)
    outbox = Path(args.out) if args.out else county.outbox
    if outbox is None:
        msg = f"county {county.label} has no outbox in the counties file: pass --out FOLDER"
        raise UserError(msg)
    return month, county, Path(outbox)


def check_landing(folder: Path) -> None:
    """Refuse a landing folder that is missing, holds no extract, or has a bad mapping file.

    Raises:
        UserError: naming the folder or file and what to do.
    """
    from yaml import YAMLError

    from pipelines.extracts import HeaderMapping

    if not folder.is_dir():
        msg = (f"landing folder {folder} does not exist: pass --landing FOLDER or set "
               "SANJI_LANDING (`make demo` writes demo/landing)")
        raise UserError(msg)
    listing = list_landing(folder)
    if not listing.data:
        unread = "; ".join(map(str, listing.skipped[:3]))
        msg = (f"no extracts (.csv or .xlsx) in {folder}: copy the departments' files in"
               + (f" (not read: {unread})" if unread else ""))
        raise UserError(mask_ids_in_text(msg))
    mapping = listing.file(MAPPING_FILE)
    if mapping is not None:
        try:
            HeaderMapping.from_yaml(mapping)
        except (ValueError, YAMLError, AttributeError, TypeError) as exc:
            said = " ".join(str(exc).split())[:300] or type(exc).__name__
            msg = f"bad mapping file {mapping}: {said} - fix it or move it out of the folder"
            raise UserError(mask_ids_in_text(msg)) from exc


def check_warehouse(url: str) -> None:
    """Refuse a DuckDB warehouse file that does not exist (a typo would create a new one).

    Raises:
        UserError: naming the path.
    """
    if "://" in url and not url.startswith("duckdb://"):
        return
    path = Path(url.removeprefix("duckdb://"))
    if str(path) != ":memory:" and not path.is_file():
        msg = (f"no warehouse at {path}: run `sanji run` first, or pass --warehouse / set "
               "SANJI_WAREHOUSE to the existing one")
        raise UserError(msg)


def unknown_records(store, keys: tuple[str, str]) -> tuple[str | None, list[str]]:
    """The keys naming no record of the latest month ``store`` published, and that month.

    A key may be a ``record_key`` (``person_id_map``) or a ``record_id`` (``file|sheet|row``,
    ``person_source``), as ``uncertain_match`` shows both.

    Args:
        store: the county's :class:`pipelines.warehouse.Warehouse`.
        keys: the two keys a decision names.

    Returns:
        The latest month (None when nothing was published: every key is unknown) and the
        unknown keys, in the order given.
    """
    if not (store.has_table("county_monthly") and store.has_table("person_id_map")):
        return None, list(keys)
    months = store.read("county_monthly")["month"].drop_nulls()
    if months.is_empty():
        return None, list(keys)
    month = str(months.max())
    known = set(store.read("person_id_map", month=month).filter(
        pl.col("record_key").is_in(list(keys)))["record_key"])
    if store.has_table("person_source"):
        known |= set(store.read("person_source", month=month).filter(
            pl.col("record_id").is_in(list(keys)))["record_id"])
    return month, [k for k in keys if k not in known]


def records_refused(where: str, month: str | None, unknown: list[str]) -> str:
    """What to tell a steward whose decision names unknown records ("" when none)."""
    if month is None:
        return f"nothing published in {where} yet: run `sanji run` first, then decide"
    if not unknown:
        return ""
    named = ", ".join(mask_ids_in_text(k) for k in unknown)
    return (f"{named}: no record of {month} (the latest month in {where}) has this key: copy "
            "record_key_l and record_key_r (or record_id_l / record_id_r) from uncertain_match")


def check_records(url: str, schema: str | None, keys: tuple[str, str]) -> str:
    """Refuse record keys that name no record of the latest month the warehouse published.

    Args:
        url: the warehouse (it exists: :func:`check_warehouse`).
        schema: the county's schema (None: the default one).
        keys: the two keys a decision names.

    Returns:
        The month the keys were found in.

    Raises:
        UserError: naming the unknown keys, the month and where to copy keys from.
    """
    from pipelines.warehouse import Warehouse

    month, unknown = unknown_records(Warehouse.from_url(url, schema=schema), keys)
    refused = records_refused(url, month, unknown)
    if refused:
        raise UserError(refused)
    return str(month)


def ensure_dagster_home(project: Path = PROJECT) -> Path:
    """The Dagster instance folder: ``DAGSTER_HOME``, else ``<project>/.dagster_home``.

    When ``DAGSTER_HOME`` is not set it is set to the project's folder, which is created with a
    ``dagster.yaml`` turning telemetry off (the same file ``make setup`` writes).

    Args:
        project: the checkout.

    Returns:
        The folder, which exists.
    """
    if os.environ.get("DAGSTER_HOME"):
        home = Path(os.environ["DAGSTER_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        return home
    home = project / ".dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    settings = home / "dagster.yaml"
    if not settings.exists():
        settings.write_text(QUIET_DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def cli_instance() -> DagsterInstance:
    """``DAGSTER_HOME``'s instance, one per process: :func:`assets.event_log.cli_instance`."""
    from assets.event_log import cli_instance as instance_of
    return instance_of(ensure_dagster_home())


def run_job(job_name: str, run_config: dict, partition: str | MultiPartitionKey | None = None,
            verbose: int = 0, run_id: str | None = None) -> ExecuteInProcessResult:
    """Execute a job of the definitions in process, recorded in the project's instance.

    Args:
        job_name: a job of ``defs`` (``nightly``, ``rerun_month``, ``steward_decision``,
            ``illness_exchange_export``, ``illness_exchange_import``, ``province``).
        run_config: resources and ops config (:func:`assets.resources.resource_config`).
        partition: the county-month (:func:`assets.settings.partition`), the month of a
            province job, or None for an unpartitioned job.
        verbose: 0 prints one line per step; 1 and 2 add Dagster's events (INFO, DEBUG).
        run_id: the run's id (default: a new one).

    Returns:
        The run's result (failures are not raised: see :func:`failures`).
    """
    instance = cli_instance()
    from assets.definitions import defs

    loggers: dict[str, dict] = {"progress": {}}
    if verbose:
        level = CONSOLE_LEVELS[min(verbose, len(CONSOLE_LEVELS)) - 1]
        loggers["console"] = {"config": {"log_level": level}}
    job = defs.resolve_job_def(job_name)
    return execute_without_capture(job, {**run_config, "loggers": loggers}, instance, partition,
                                   {"sanji/trigger": "cli"}, run_id)


def execute_without_capture(job: JobDefinition, run_config: dict, instance: DagsterInstance,
                            partition: str | MultiPartitionKey | None,
                            tags: dict[str, str],
                            run_id: str | None = None) -> ExecuteInProcessResult:
    """``job.execute_in_process(..., raise_on_error=False)`` without its output capture.

    ``execute_in_process`` keeps every step's output value in memory until the run ends (for
    ``result.output_for_node``), so a night held every frame it made: its memory grew by each
    step's outputs (~0.3 GB a step at 300k residents, 11 GB at 1M). The CLI never reads
    outputs from the result (they are in storage and the warehouse), so the job runs the same
    way through Dagster's own ``core_execute_in_process`` with the capture off (dagster is
    pinned in pyproject.toml; ``tests/assets`` runs the CLI through it).
    """
    try:  # Dagster's private API: a release that moves it falls back to the public one
        from dagster._core.definitions.job_base import InMemoryJob
        from dagster._core.definitions.partitions.context import partition_loading_context
        from dagster._core.execution.execute_in_process import (
            core_execute_in_process,
            merge_run_tags,
        )
    except ImportError:
        warnings.warn("dagster's core_execute_in_process moved: the run keeps every step's "
                      "outputs in memory (execute_in_process)", stacklevel=2)
        return job.execute_in_process(run_config=run_config, instance=instance,
                                      partition_key=partition, raise_on_error=False, tags=tags,
                                      run_id=run_id)
    ephemeral = job.as_ephemeral_job(resource_defs={}, input_values={}, op_selection=[],
                                     asset_selection=[])
    if partition and ephemeral.partitions_def:
        with partition_loading_context(dynamic_partitions_store=instance) as ctx:
            ephemeral.validate_partition_key(partition_key=partition,
                                             selected_asset_keys=set(), context=ctx)
    return core_execute_in_process(
        job=InMemoryJob(job_def=ephemeral), run_config=run_config, instance=instance,
        output_capturing_enabled=False, raise_on_error=False,
        run_tags=merge_run_tags(job_def=job, partition_key=partition, tags=tags,
                                asset_selection=frozenset(), instance=instance,
                                run_config=run_config),
        run_id=run_id, asset_selection=frozenset())


def failures(result: ExecuteInProcessResult) -> list[str]:
    """One line per failed step: the step and the first line of its error, IDs masked."""
    lines = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None and "while loading input" in error.message:
                error = error.cause  # the IO manager's own message, not Dagster's wrapper
            message = error.message.strip().splitlines()[0] if error.message.strip() else ""
            told = event.step_failure_data.user_failure_data
            if told is not None and told.description:  # a Failure: its own words
                message = told.description.strip().splitlines()[0]
            lines.append(f"{event.step_key}: {mask_ids_in_text(message)}")
    return lines or [f"run {result.run_id} did not succeed"]


def _top(frame: pl.DataFrame, column: str, limit: int = 5) -> list[str]:
    """Indented ``value  count`` lines, most first, for at most ``limit`` values."""
    if not frame.height or column not in frame.columns:
        return []
    counted = frame.group_by(pl.col(column).fill_null("(none)")).len("n")
    rows = counted.sort(["n", column], descending=[True, False]).iter_rows()
    lines = [f"    {value:32s} {n}" for value, n in list(rows)[:limit]]
    if counted.height > limit:
        lines.append(f"    … and {counted.height - limit} more")
    return lines


def later_months_of(warehouse: str, county: County, month: str) -> list[str]:
    """The county's published months after ``month``: they stand on it (now stale)."""
    from pipelines.cases.chain import later_months
    from pipelines.warehouse import Warehouse, publications

    store = Warehouse.at(warehouse, schema=county.schema or None)
    return later_months(publications(store), county.code, month)


def summary(warehouse: str, month: str, county: County | None = None,
            job: str = "nightly") -> str:
    """A few lines on what a run produced, read back from the warehouse (no ID numbers): the
    few columns it counts by, and only the row counts of the large tables."""
    from pipelines.warehouse import Warehouse

    store = Warehouse.at(warehouse, schema=(county.schema if county else "") or None)
    with store.holding():  # one connection for the few reads (the run created the schema)
        return "\n".join(_summary_lines(store, warehouse, month, county, job))


def _summary_lines(store: "Warehouse", warehouse: str, month: str, county: County | None,
                   job: str) -> list[str]:
    """The lines of :func:`summary`."""
    present = set(store.tables())

    def table(name: str, *columns: str) -> pl.DataFrame:
        if name not in present:
            return pl.DataFrame()
        return drop_meta(store.read(name, month=month, columns=columns), name)

    def rows(name: str) -> int:
        return store.count(name, month=month) if name in present else 0

    quarantine, accepted = table("quarantine", "check"), rows("person_source")
    mismatch, issues = table("mismatch", "rule"), table("field_issue", "check")
    lines = [
        *([f"county {county.label}"] if county else []),
        f"month {month}: rows read {accepted + quarantine.height}, "
        f"accepted {accepted}, quarantined {quarantine.height}",
        *_top(quarantine, "check"),
        f"field issues {issues.height}",
        *_top(issues, "check"),
        f"people {rows('person')}, uncertain pairs {rows('uncertain_match')}",
        f"mismatches {mismatch.height} by rule:",
        *_top(mismatch, "rule", limit=50),
        *_case_line(table("mismatch_case", "status", "status_month", "overdue"), month),
        f"warehouse: {warehouse}" + (f" (schema {county.schema})" if county and county.schema
                                     else ""),
        f"run recorded in {os.environ.get('DAGSTER_HOME')} (job {job}); {browse_hint()}",
    ]
    return lines


def _case_line(cases: pl.DataFrame, month: str) -> list[str]:
    """One line on the month's cases (mismatch_case), or none before it is published."""
    if not cases.height or "status" not in cases.columns:
        return []
    status = pl.col("status")
    now = pl.col("status_month") == month
    n = cases.select(new=(status == "new").sum(), open=status.is_in(OPEN_STATUSES).sum(),
                     overdue=pl.col("overdue").sum(), resolved=((status == "resolved") & now).sum(),
                     explained=((status == "explained") & now).sum()).row(0, named=True)
    return [f"cases: open {n['open']} (new {n['new']}, overdue {n['overdue']}), resolved "
            f"{n['resolved']} and explained {n['explained']} this month (mismatch_case)"]


def browse_hint() -> str:
    """How to open the UI over the instance the CLI records in."""
    home = Path(os.environ.get("DAGSTER_HOME") or PROJECT / ".dagster_home")
    if home.resolve() == (PROJECT / ".dagster_home").resolve():
        return "browse it: `make ui`, then open http://127.0.0.1:3000"
    return f"browse it: DAGSTER_HOME={home} dagster dev -w {PROJECT / 'workspace.yaml'}"
