"""sanji: generate a demo county, run the month, record a decision, exchange with the office.

Each command (but ``demo-data`` and ``check``) executes a job of the Dagster definitions,
recorded in the project's instance (``.dagster_home`` unless ``DAGSTER_HOME`` says otherwise)
under the job's name, so ``make ui`` shows it beside the scheduled and sensor runs.

A command is for one county of the counties file (``SANJI_COUNTIES``, default the checkout's
``counties.yaml`` with the demo county): ``--county CODE``, needed only when several are
configured; its folders and warehouse come from the file unless given as options.

Examples::

    sanji demo-data --people 3000 --seed 7 --out demo [--style national]
    sanji check demo/landing
    sanji run --county 411421 --landing demo/landing --warehouse demo/sanji.duckdb --month 2026-10
    sanji rerun --month 2026-09 [--through-latest]
    sanji decide KEY_A KEY_B --no-link --by 王芳 --note "twins"
    sanji case explain CASE_ID --by 王芳 --note "低保已停，系统未同步"
    sanji exchange export --month 2026-10 --out demo/outbox
    sanji exchange import demo/inbox/回传_2026-10.xlsx --month 2026-10
    sanji province --month 2026-10
    sanji worklist --month 2026-10
    sanji worklist import demo/inbox/问题清单_城关镇_2026-10.xlsx
    sanji prune-runs --keep 10
"""

import argparse
import atexit
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import NoReturn

from dagster import ExecuteInProcessResult

from pipelines.counties import CountiesError
from pipelines.domain.months import Month
from pipelines.warehouse.behind import WRITES, WriteFailed

try:  # the definitions read the counties file when they load: a bad one is a user error
    from assets.county_lock import add_wait_option, holding_county_lock
    from assets.publication import add_night_options, holding_run_lock, night_config
    from assets.resources import resource_config
    from assets.runs import (
        UserError,
        check_landing,
        check_month,
        county_of,
        export_target,
        failures,
        run_job,
        summary,
    )
    from assets.settings import month_range, partition, setting
    COUNTIES_ERROR: CountiesError | None = None
except CountiesError as exc:
    COUNTIES_ERROR = exc


MIN_PEOPLE = 200  # the demo generator's smallest county


def _report_failure(result: ExecuteInProcessResult) -> int:
    print("run failed:\n  " + "\n  ".join(failures(result)), file=sys.stderr)
    return 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from pipelines.demo import generate_county
    from pipelines.demo.national import generate_national_county

    if args.people < MIN_PEOPLE:
        msg = f"--people {args.people}: a demo county has at least {MIN_PEOPLE} residents"
        raise UserError(msg)
    make = generate_national_county if args.style == "national" else generate_county
    result = make(args.people, args.seed, Path(args.out))
    rows = getattr(result, "rows", {})
    print(f"demo county: {args.people} people, {len(rows)} files/sheets, "
          f"{sum(rows.values())} rows -> {Path(args.out) / 'landing'}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from pipelines.check import run_check

    if not Path(args.landing).is_dir():
        msg = f"landing folder {args.landing} does not exist: name the folder holding the extracts"
        raise UserError(msg)
    return run_check(Path(args.landing), Path(args.out) if args.out else None, args.force)


def _overrides(args: argparse.Namespace, **more) -> dict:
    """Run config for the options given (the rest comes from the counties file)."""
    given = {name: getattr(args, name, None) for name in
             ("landing", "warehouse", "storage", "outbox", "inbox", "archive", "full")}
    return resource_config(**{**given, **more})


def _cmd_run(args: argparse.Namespace) -> int:
    month = check_month(args.month)
    county = county_of(args.county)
    check_landing(Path(args.landing) if args.landing else county.landing)
    config = {**_overrides(args), **night_config(args)}
    with holding_run_lock(args, county) as run_id:  # one run of a county at a time
        result = run_job("nightly", config, partition(county.code, month),
                         verbose=args.verbose, run_id=run_id)
    if not result.success:
        return _report_failure(result)
    print(summary(args.warehouse or county.warehouse, month, county))
    return 0


def _cmd_rerun(args: argparse.Namespace) -> int:
    from assets.cli_rerun import cmd_rerun

    return cmd_rerun(args, _overrides, _report_failure)


def _cmd_export(args: argparse.Namespace) -> int:
    from pipelines.exchange.inbox import workbook_name

    month, county, outbox = export_target(args)
    result = run_job("illness_exchange_export", _overrides(args, outbox=outbox),
                     partition(county.code, month), verbose=args.verbose)
    if not result.success:
        return _report_failure(result)
    print(f"wrote {Path(outbox) / workbook_name(month)}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from assets.cases import returns_archive
    from assets.resources import LandingFolder
    from pipelines.exchange.archive import archive_return
    from pipelines.exchange.inbox import file_month
    from pipelines.warehouse import Warehouse

    source = Path(args.file)
    if not source.is_file():
        msg = f"no file {source}: name the office's returned .xlsx or .csv"
        raise UserError(msg)
    county = county_of(args.county)
    month = check_month(args.month or file_month(source) or str(Month.current()))
    url = str(args.warehouse or county.warehouse)
    with holding_county_lock(url, county, args.wait, "not imported") as run_id:
        # archived under its own name for the month; the run reads it there, from an empty inbox
        archive_return(source, returns_archive(LandingFolder(archive=args.archive or ""),
                                               county.code), "office", month)
        inbox = Path(tempfile.mkdtemp(prefix="sanji-inbox-"))
        try:
            result = run_job("illness_exchange_import", _overrides(args, inbox=inbox),
                             partition(county.code, month), verbose=args.verbose,
                             run_id=run_id)
        finally:
            shutil.rmtree(inbox, ignore_errors=True)
    if not result.success:
        return _report_failure(result)
    store = Warehouse.from_url(url, schema=county.schema or None)
    diff = store.read("exchange_diff", month=month)
    by_kind = dict(diff.group_by("kind").len().iter_rows()) if diff.height else {}
    print(f"differences for {month}: {diff.height} {by_kind}")
    return 0


def _cmd_province(args: argparse.Namespace) -> int:
    from pipelines.counties import load_counties
    from pipelines.warehouse import Warehouse

    month = check_month(args.month)
    result = run_job("province", resource_config(warehouse=args.warehouse), month,
                     verbose=args.verbose)
    if not result.success:
        return _report_failure(result)
    province = load_counties(Path(setting("SANJI_COUNTIES"))).province
    store = Warehouse.from_url(args.warehouse or province.warehouse, schema=province.schema)
    people = store.read("cross_county_person", month=month)
    cases = store.read("cross_county_mismatch", month=month)
    totals = store.read("province_monthly", month=month).row(0, named=True)
    print(f"province {province.code} {province.name}, month {month}: "
          f"{totals['counties_reported']} counties reported"
          + (f" (missing {totals['counties_missing']})" if totals["counties_missing"] else ""))
    print(f"people in more than one county {people['id_number'].n_unique()}, "
          f"cases for stewards {cases.height}")
    print(f"warehouse: {args.warehouse or province.warehouse} (schema {province.schema})")
    return 0


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line with where to read more."""

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE; see `PROG --help``` and exit with 2."""
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def _where(sp: argparse.ArgumentParser, month_help: str) -> None:
    """The options every county command shares: county, folders, warehouse, month."""
    sp.add_argument("--county", default=None, metavar="CODE",
                    help="the county (6-digit code) of the counties file ($SANJI_COUNTIES or "
                         "counties.yaml); needed only when several are configured")
    sp.add_argument("--landing", default=None, metavar="FOLDER",
                    help="the departments' landing folder (default: the county's, from the "
                         "counties file)")
    sp.add_argument("--warehouse", default=None, metavar="URL",
                    help="DuckDB file or postgresql:// URL (default: the county's, from the "
                         "counties file)")
    sp.add_argument("--storage", default=setting("SANJI_STORAGE"), metavar="FOLDER",
                    help="intermediate parquet files, one per asset, county and month "
                         "(default: $SANJI_STORAGE or .dagster_home/storage)")
    sp.add_argument("--archive", default=None, metavar="FOLDER",
                    help="the landing files each month read, by content hash (default: "
                         "$SANJI_ARCHIVE or .dagster_home/archive)")
    first, last = month_range()
    sp.add_argument("--month", default=None, metavar="YYYY-MM",
                    help=f"{month_help}; allowed {first} to {last} (first_month in the "
                         "counties file, or SANJI_FIRST_MONTH, sets the start)")
    sp.add_argument("-v", "--verbose", action="count", default=0,
                    help="Dagster's events on the console: -v for INFO, -vv for DEBUG")


def _full_option(run: argparse.ArgumentParser) -> None:
    """``--full``: read every landing file again (the ingest cache unused) and link in full."""
    run.add_argument("--full", action="store_true", default=None,
                     help="a full night: read every landing file again instead of reusing, "
                          "for a file unchanged since the last night, what reading it gave "
                          "then; and link every pair again with a re-fitted model instead of "
                          "only the new and changed records' pairs")


def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="run the job nightly (the whole graph) for a month",
                         description="Ingest, link, publish and exchange for one month.")
    _where(run, "the reporting month (default: the current month in Asia/Shanghai)")
    run.add_argument("--outbox", default=None, metavar="FOLDER",
                     help="where the illness-office workbook is written (default: the "
                          "county's, from the counties file)")
    run.add_argument("--inbox", default=None, metavar="FOLDER",
                     help="where the office's returned file is read (default: the county's, "
                          "from the counties file)")
    add_night_options(run)
    _full_option(run)
    run.set_defaults(func=_cmd_run, month_default=True)
    rerun = sub.add_parser("rerun", help="run the job rerun_month: rebuild a month from its own "
                                         "archived landing files",
                           description="Rebuild and re-publish one month from the files that "
                           "month's run archived (not today's landing); the exchange is left "
                           "alone.")
    _where(rerun, "the month to rebuild (required: YYYY-MM)")
    rerun.add_argument("--through-latest", action="store_true",
                       help="then rebuild every later month the county has published, in "
                            "order (each month's cases stand on the month before)")
    add_night_options(rerun)
    _full_option(rerun)
    rerun.set_defaults(func=_cmd_rerun)


def _check_parser(sub) -> None:
    check = sub.add_parser("check", help="dry run: every recognition decision and problem",
                           description="Read every landing file without linking; report how "
                           "each file, header and value was understood and write a proposed "
                           "sanji_mapping.yaml for the steward to review.")
    check.add_argument("landing", help="the landing folder to check")
    check.add_argument("--out", default=None, metavar="FILE",
                       help="where to write the proposed mapping (default: in the landing "
                       "folder; sanji_mapping.proposed.yaml when the steward has one)")
    check.add_argument("--force", action="store_true",
                       help="replace the steward's sanji_mapping.yaml with the proposal")
    check.set_defaults(func=_cmd_check)


def _exchange_parser(sub) -> None:
    ex = sub.add_parser("exchange", help="the illness-office workbook out (export) and in "
                                         "(import)", description="The monthly exchange with the "
                        "county serious-illness office.")
    ex_sub = ex.add_subparsers(dest="action", required=True, metavar="{export,import}")
    export = ex_sub.add_parser("export", help="run illness_exchange_export: write the month's "
                                              "case workbook to the outbox")
    _where(export, "the month to export (default: the current month in Asia/Shanghai)")
    export.add_argument("--out", default=None, metavar="FOLDER",
                        help="outbox folder (default: the county's, from the counties file)")
    export.set_defaults(func=_cmd_export, month_default=True)
    imp = ex_sub.add_parser("import", help="run illness_exchange_import: read the office's "
                                           "returned file and publish the differences")
    imp.add_argument("file", metavar="FILE", help="the returned .xlsx or .csv")
    _where(imp, "the month the file is for (default: what its name or content says)")
    add_wait_option(imp)
    imp.set_defaults(func=_cmd_import)


def _province_parser(sub) -> None:
    prov = sub.add_parser("province", help="run the job province: people across county lines "
                                           "and the province roll-up for a month",
                          description="After the counties have published a month: who is in "
                          "more than one county, the cases for their stewards, the province's "
                          "monthly figures.")
    prov.add_argument("--month", default=None, metavar="YYYY-MM",
                      help="the month (default: the current month in Asia/Shanghai)")
    prov.add_argument("--warehouse", default=None, metavar="URL",
                      help="one warehouse holding every county's schema and the province's "
                           "(default: each from the counties file)")
    prov.add_argument("-v", "--verbose", action="count", default=0,
                      help="Dagster's events on the console: -v for INFO, -vv for DEBUG")
    prov.set_defaults(func=_cmd_province, month_default=True)


def parser() -> argparse.ArgumentParser:
    """The ``sanji`` argument parser."""
    p = OneLineParser(prog="sanji", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True,
                           metavar="{demo-data,check,run,rerun,decide,case,exchange,"
                                   "worklist,province,prune-runs}")
    demo = sub.add_parser("demo-data", help="write a demo county's landing folder and truth",
                          description="Generate a fictional county's department extracts.")
    demo.add_argument("--people", type=int, default=3000, help="residents (default: 3000)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    demo.add_argument("--out", default="demo", metavar="FOLDER",
                      help="writes FOLDER/landing and FOLDER/truth (default: demo)")
    demo.add_argument("--style", choices=("classic", "national"), default="classic",
                      help="national: the files as the national systems export them")
    demo.set_defaults(func=_cmd_demo)
    _check_parser(sub)
    _run_parser(sub)
    from assets.cli_decide import add_parser as _decide_parser

    _decide_parser(sub, _report_failure)
    _exchange_parser(sub)
    from assets.cli_worklist import add_parser as _worklist_parser

    _worklist_parser(sub, _where, _overrides, _report_failure)
    from assets.cli_case import add_parser as _case_parser

    _case_parser(sub, _overrides, _report_failure)
    _province_parser(sub)
    from assets.cli_prune import add_parser as _prune_parser

    _prune_parser(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sanji`` command line.

    Called without ``argv`` (the ``sanji`` console script, ``python -m assets.cli``), the
    process ends here once the command is done (:func:`_leave`).

    Returns:
        0 on success, 1 when a run failed, 2 on a usage error (one line, no traceback).
    """
    code = _command(argv)
    if argv is None:
        _leave(code)
    return code


def _command(argv: Sequence[str] | None) -> int:
    """The command ``argv`` (default ``sys.argv[1:]``) names, run; its exit code."""
    warnings.filterwarnings("ignore", module="dagster")
    if COUNTIES_ERROR is not None:
        print(f"sanji: error: {COUNTIES_ERROR}", file=sys.stderr)
        return 2
    args = parser().parse_args(argv)
    if getattr(args, "month_default", False) and args.month is None:
        args.month = str(Month.current())
    try:
        with WRITES.enabled():  # in process: a step's files written while the next step runs
            return args.func(args)
    except UserError as exc:
        print(f"sanji: error: {exc}", file=sys.stderr)
        return 2
    except WriteFailed as exc:  # a step's file written behind the run (the disk, not the user)
        print(f"sanji: error: {exc}", file=sys.stderr)
        return 1


def _leave(code: int) -> NoReturn:
    """End the console process with ``code`` without the interpreter's teardown.

    Everything the process holds is closed by then (the warehouse connections after each use,
    the Dagster instance by its ``atexit`` dispose); what is left is Python freeing dagster's,
    polars' and every step's module objects one by one, ~1 CPU s after a night (0.4 s after only
    importing dagster). The ``atexit`` handlers run first (the instance's dispose, logging's
    flush, temporary files' finalisers), then stdout and stderr are flushed.
    """
    atexit._run_exitfuncs()  # what the interpreter would run first
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError):  # a closed pipe (``sanji … | head``): the code still stands
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
