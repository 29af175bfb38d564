"""``sanji``: generate a demo county, run the graph, record a decision, exchange with the office.

Examples::

    sanji demo-data --people 3000 --seed 7 --out demo [--style national]
    sanji check demo/landing
    sanji run --landing demo/landing --warehouse demo/sanji.duckdb --month 2026-10
    sanji decide KEY_A KEY_B --no-link --by 王芳 --note "twins"
    sanji exchange export --month 2026-10 --out demo/outbox
    sanji exchange import demo/inbox/回传_2026-10.xlsx --month 2026-10
"""

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl
from dagster import (
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    colored_console_logger,
    define_asset_job,
    logger,
)

from assets.resources import (
    Clock,
    ExchangeFolders,
    LandingFolder,
    ParquetIOManager,
    WarehouseIOManager,
    WarehouseResource,
    current_month,
    drop_meta,
    env,
)


def graph_resources(landing: str, warehouse: str, storage: str, outbox: str, inbox: str,
                    today: str = "", settle_seconds: float = 1.0) -> dict[str, object]:
    """The resources for one in-process run over the given folders and warehouse."""
    return {
        "landing": LandingFolder(path=landing, settle_seconds=settle_seconds),
        "warehouse": WarehouseResource(url=warehouse),
        "exchange_folders": ExchangeFolders(outbox=outbox, inbox=inbox),
        "clock": Clock(today=today),
        "io_manager": ParquetIOManager(base_dir=storage),
        "warehouse_io_manager": WarehouseIOManager(url=warehouse),
    }


def graph_assets() -> list:
    """Every asset and asset check of the definitions."""
    from assets.definitions import all_assets, all_checks

    return [*all_assets, *all_checks]


def instance() -> DagsterInstance:
    """The Dagster instance of ``DAGSTER_HOME`` when set, else an ephemeral one."""
    return DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()


JOB_NAME = "__ephemeral_asset_job__"  # the name ``dagster.materialize`` gives its job
LOG_LEVELS = ("WARNING", "INFO", "DEBUG")  # console level for -v count 0, 1, 2+


class _StepTimer(logging.Handler):
    """Calls ``report(step, seconds)`` each time a step succeeds."""

    def __init__(self, report: Callable[[str, float], None]) -> None:
        super().__init__(logging.DEBUG)
        self.report, self.started = report, {}

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        if event is None or not event.step_key:
            return
        if event.event_type_value == "STEP_START":
            self.started[event.step_key] = time.perf_counter()
        elif event.event_type_value == "STEP_SUCCESS" and event.step_key in self.started:
            self.report(event.step_key, time.perf_counter() - self.started.pop(event.step_key))


def _progress_logger(report: Callable[[str, float], None]):
    """A Dagster logger that reports each step's wall time through ``report``."""

    @logger(description="sanji: one progress line per finished step")
    def progress(_init_context) -> logging.Logger:
        log = logging.getLogger(f"sanji.progress.{id(report)}")
        log.setLevel(logging.DEBUG)
        log.propagate = False
        log.handlers = [_StepTimer(report)]
        return log

    return progress


def print_progress(step: str, seconds: float) -> None:
    """Print ``step … done in 3.1 s`` to stderr."""
    print(f"{step} … done in {seconds:.1f} s", file=sys.stderr, flush=True)


def run_graph(resources: dict[str, object], month: str, selection=None,
              dagster_instance: DagsterInstance | None = None,
              raise_on_error: bool = True, log_level: str = "WARNING",
              progress: Callable[[str, float], None] | None = None) -> ExecuteInProcessResult:
    """Materialise the graph (or a selection of it) for one month, in process.

    Args:
        resources: from :func:`graph_resources`.
        month: the partition, ``YYYY-MM``.
        selection: an asset selection; None for everything.
        dagster_instance: the instance to record the run in; None for :func:`instance`.
        raise_on_error: raise when a step fails.
        log_level: the console logger's level (``WARNING`` keeps the terminal quiet).
        progress: called with (step, seconds) when a step succeeds; None for no progress.

    Returns:
        The run's result.
    """
    loggers = {"console": colored_console_logger}
    config: dict[str, dict] = {"console": {"config": {"log_level": log_level}}}
    if progress is not None:
        loggers["sanji_progress"] = _progress_logger(progress)
        config["sanji_progress"] = {}
    defs = Definitions(jobs=[define_asset_job(JOB_NAME, selection=selection)],
                       assets=graph_assets(), resources=resources, loggers=loggers)
    return defs.resolve_job_def(JOB_NAME).execute_in_process(
        run_config={"loggers": config}, instance=dagster_instance or instance(),
        partition_key=month, raise_on_error=raise_on_error, tags={"sanji/trigger": "cli"})


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


def summary(warehouse: str, month: str) -> str:
    """A few lines on what a run produced, read back from the warehouse (no ID numbers)."""
    from pipelines.warehouse import Warehouse

    store = Warehouse.from_url(warehouse)

    def table(name: str, by_month: bool = False) -> pl.DataFrame:
        if not store.has_table(name):
            return pl.DataFrame()
        return drop_meta(store.read(name, month=month if by_month else None), name)

    quarantine, sources = table("quarantine"), table("person_source", True)
    mismatch, people = table("mismatch", True), table("person", True)
    issues = table("field_issue")
    lines = [
        f"month {month}: rows read {sources.height + quarantine.height}, "
        f"accepted {sources.height}, quarantined {quarantine.height}",
        *_top(quarantine, "check"),
        f"field issues {issues.height}",
        *_top(issues, "check"),
        f"people {people.height}, uncertain pairs {table('uncertain_match').height}",
        f"mismatches {mismatch.height} by rule:",
        *_top(mismatch, "rule", limit=50),
        f"warehouse: {warehouse}",
        "browse it: `make ui`, then open http://127.0.0.1:3000",
    ]
    return "\n".join(lines)


def _failures(result: ExecuteInProcessResult) -> list[str]:
    """One line per failed step: the step and its error message."""
    return [f"{e.step_key}: {e.step_failure_data.error.message.strip()}"
            for e in result.all_events if e.is_step_failure and e.step_failure_data.error]


def _cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.demo import generate_county
    from pipelines.demo.national import generate_national_county

    make = generate_national_county if args.style == "national" else generate_county
    result = make(args.people, args.seed, Path(args.out))
    rows = getattr(result, "rows", {})
    print(f"demo county: {args.people} people, {len(rows)} files/sheets, "
          f"{sum(rows.values())} rows -> {Path(args.out) / 'landing'}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from pipelines.check import run_check

    return run_check(Path(args.landing), Path(args.out) if args.out else None, args.force)


def _cmd_run(args: argparse.Namespace) -> int:
    resources = graph_resources(args.landing, args.warehouse, args.storage, args.outbox,
                                args.inbox)
    level = LOG_LEVELS[min(args.verbose, len(LOG_LEVELS) - 1)]
    result = run_graph(resources, args.month, raise_on_error=False, log_level=level,
                       progress=print_progress)
    if not result.success:
        print("run failed:\n  " + "\n  ".join(_failures(result)), file=sys.stderr)
        return 1
    print(summary(args.warehouse, args.month))
    return 0


def _cmd_decide(args: argparse.Namespace) -> int:
    from pipelines.link.decisions import decision_row, record_decision

    row = decision_row(args.a, args.b, "link" if args.link else "no_link", args.by, args.note)
    record_decision(WarehouseResource(url=args.warehouse).open(), row)
    print(f"recorded {row['decision'][0]} for {row['record_key_l'][0]} / {row['record_key_r'][0]}")
    return 0


def _inbox_with(source: Path, month: str) -> Path:
    """A temporary inbox holding ``source`` alone, named for ``month``: that file is imported."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="sanji-inbox-"))
    shutil.copy(source, folder / f"回传_{month}{source.suffix.lower()}")
    return folder


def _cmd_exchange(args: argparse.Namespace) -> int:
    import shutil

    from assets.exchange import file_month

    outbox = args.out or env("SANJI_OUTBOX", "demo/outbox")
    inbox = env("SANJI_INBOX", "demo/inbox")
    if args.action == "import":
        args.month = args.month or file_month(Path(args.file)) or current_month()
        inbox = str(_inbox_with(Path(args.file), args.month))
    resources = graph_resources(args.landing, args.warehouse, args.storage, outbox, inbox)
    keys = (["illness_cases", "exchange_workbook"] if args.action == "export"
            else ["office_return", "exchange_diff"])
    try:
        result = run_graph(resources, args.month, selection=keys, raise_on_error=False)
    finally:
        if args.action == "import":
            shutil.rmtree(inbox, ignore_errors=True)
    if not result.success:
        print("failed:\n  " + "\n  ".join(_failures(result)), file=sys.stderr)
        return 1
    if args.action == "export":
        print(f"wrote {Path(outbox) / f'大病救治病例_{args.month}.xlsx'}")
    else:
        from pipelines.warehouse import Warehouse

        diff = Warehouse.from_url(args.warehouse).read("exchange_diff", month=args.month)
        by_kind = dict(diff.group_by("kind").len().iter_rows()) if diff.height else {}
        print(f"differences for {args.month}: {diff.height} {by_kind}")
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``sanji`` argument parser."""
    p = argparse.ArgumentParser(prog="sanji", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser, month: bool = True,
               month_help: str = "YYYY-MM (default: the current month in Asia/Shanghai)") -> None:
        sp.add_argument("--landing", default=env("SANJI_LANDING", "demo/landing"))
        sp.add_argument("--warehouse", default=env("SANJI_WAREHOUSE", "demo/sanji.duckdb"),
                        help="DuckDB path or postgresql:// URL")
        sp.add_argument("--storage", default=env("SANJI_STORAGE", ".dagster_home/storage"))
        if month:
            sp.add_argument("--month", default=current_month(), help=month_help)

    demo = sub.add_parser("demo-data", help="write a demo county's landing folder and truth")
    demo.add_argument("--people", type=int, default=3000)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--out", default="demo")
    demo.add_argument("--style", choices=("classic", "national"), default="classic",
                      help="national: the files as the national systems export them")
    demo.set_defaults(func=_cmd_demo)

    check = sub.add_parser("check", help="dry run: every recognition decision and problem")
    check.add_argument("landing")
    check.add_argument("--out", default=None, help="where to write the proposed mapping")
    check.add_argument("--force", action="store_true",
                       help="replace the steward's sanji_mapping.yaml with the proposal")
    check.set_defaults(func=_cmd_check)

    run = sub.add_parser("run", help="materialise the whole graph for a month")
    common(run)
    run.add_argument("--outbox", default=env("SANJI_OUTBOX", "demo/outbox"))
    run.add_argument("--inbox", default=env("SANJI_INBOX", "demo/inbox"))
    run.add_argument("-v", "--verbose", action="count", default=0,
                     help="Dagster events on the console: -v for INFO, -vv for DEBUG")
    run.set_defaults(func=_cmd_run)

    decide = sub.add_parser("decide", help="record a steward's match decision")
    decide.add_argument("a", help="record_key of one record")
    decide.add_argument("b", help="record_key of the other")
    choice = decide.add_mutually_exclusive_group(required=True)
    choice.add_argument("--link", action="store_true")
    choice.add_argument("--no-link", action="store_true")
    decide.add_argument("--by", required=True)
    decide.add_argument("--note", default="")
    decide.add_argument("--warehouse", default=env("SANJI_WAREHOUSE", "demo/sanji.duckdb"))
    decide.set_defaults(func=_cmd_decide)

    ex = sub.add_parser("exchange", help="illness-office workbook out and in")
    ex_sub = ex.add_subparsers(dest="action", required=True)
    export = ex_sub.add_parser("export")
    common(export)
    export.add_argument("--out", default=None, help="outbox folder")
    imp = ex_sub.add_parser("import")
    imp.add_argument("file")
    common(imp, month_help="YYYY-MM (default: the month the file's name or content states)")
    imp.set_defaults(out=None, month=None)
    ex.set_defaults(func=_cmd_exchange)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sanji`` command line."""
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
