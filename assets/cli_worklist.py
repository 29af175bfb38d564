"""``sanji worklist``: the township work lists out, their filled returns in.

Examples::

    sanji worklist --month 2026-10                  # one workbook per township, in the outbox
    sanji worklist import 问题清单_城关镇_2026-10.xlsx  # a filled list back: archived and read

Both run jobs of the definitions (``worklist_export``, ``worklist_import``), recorded in the
project's instance like every ``sanji`` run.
"""

import argparse
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import ExecuteInProcessResult

from assets.county_lock import add_wait_option, holding_county_lock
from assets.runs import UserError, check_month, county_of, export_target, run_job
from assets.settings import partition
from pipelines.domain.county import TIMEZONE
from pipelines.domain.months import Month


def _materialised(result: ExecuteInProcessResult, asset: str) -> dict:
    """The metadata of the run's materialisation of ``asset`` ({} when there is none)."""
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in event.materialization.metadata.items()}
    return {}


def cmd_export(args: argparse.Namespace, overrides: Callable[..., dict],
               report: Callable) -> int:
    """Write the month's work lists; print each path."""
    month, county, outbox = export_target(args)
    result = run_job("worklist_export", overrides(args, outbox=outbox),
                     partition(county.code, month), verbose=args.verbose)
    if not result.success:
        return report(result)
    meta = _materialised(result, "township_worklist")
    paths = [p for p in str(meta.get("paths", "")).splitlines() if p]
    for path in paths:
        print(path)
    print(f"county {county.label}, month {month}: {len(paths)} work list(s), "
          f"{meta.get('cases_listed', 0)} open case(s) (job worklist_export)")
    return 0


def _received(text: str | None) -> datetime | None:
    """``--received YYYY-MM-DD`` as noon that day, county time (None: now)."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        msg = f"--received {text!r}: write the day the list came back as YYYY-MM-DD"
        raise UserError(msg) from exc
    return datetime.combine(day, time(12), ZoneInfo(TIMEZONE))


def cmd_import(args: argparse.Namespace, overrides: Callable[..., dict],
               report: Callable) -> int:
    """Archive a returned list, run ``worklist_import`` for its month, print what it said."""
    from assets.cases import returns_archive
    from assets.resources import LandingFolder
    from pipelines.cases.intake import list_month, receive_worklists

    source = Path(args.file)
    if not source.is_file():
        msg = f"no file {source}: name the township's returned work list (.xlsx or .csv)"
        raise UserError(msg)
    received = _received(args.received)
    county = county_of(args.county)
    found = args.month or list_month(source)
    if found is None:
        msg = (f"{source.name}: its name and title name no month: pass --month YYYY-MM "
               "(the month of the list)")
        raise UserError(msg)
    month = check_month(found)
    archive = returns_archive(LandingFolder(archive=args.archive or ""), county.code)
    url = str(args.warehouse or county.warehouse)
    with holding_county_lock(url, county, args.wait, "not imported") as run_id:
        kept = receive_worklists([source], archive, month, received).archived[0]
        result = run_job("worklist_import", overrides(args), partition(county.code, month),
                         verbose=args.verbose, run_id=run_id)
    if not result.success:
        return report(result)
    meta = _materialised(result, "worklist_return")
    print(f"archived {kept.original_name} for {month} (received {kept.received_at})")
    print(f"answered {meta.get('answered', 0)}, unanswered {meta.get('unanswered', 0)}, "
          f"no_link decisions {meta.get('no_link_decisions', 0)}, "
          f"problems {meta.get('problems', 0)}")
    _print_problems(result)
    applies = Month.parse(kept.received_at[:7])
    print(f"the answers change the cases from {applies}: `sanji run --month {applies}`")
    return 0


def _print_problems(result: ExecuteInProcessResult) -> None:
    """The problem rows the run reported (masked values), at most 20."""
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() != "worklist_return":
            continue
        table = event.materialization.metadata.get("problem_rows")
        for record in (table.value.records if table is not None else [])[:20]:
            row = record.data
            print(f"  {row.get('source_file')} {row.get('sheet') or ''} row "
                  f"{row.get('row_number') or '-'} {row.get('column') or ''}: "
                  f"{row.get('problem')} - {row.get('message')}")


def add_parser(sub, where: Callable, overrides: Callable[..., dict], report: Callable) -> None:
    """Add ``worklist`` (export) and ``worklist import`` to the ``sanji`` parser.

    Args:
        sub: the ``sanji`` sub-parsers.
        where: ``assets.cli._where`` (the shared county, folder and month options).
        overrides: ``assets.cli._overrides`` (run config from the options).
        report: ``assets.cli._report_failure``.
    """
    wl = sub.add_parser("worklist", help="run worklist_export: one work list (问题清单) per "
                        "township into the outbox; `worklist import FILE` reads one back",
                        description="The townships' work lists of open mismatch cases.")
    where(wl, "the month of the cases (default: the current month in Asia/Shanghai)")
    wl.add_argument("--out", default=None, metavar="FOLDER",
                    help="outbox folder (default: the county's, from the counties file)")
    wl.set_defaults(func=lambda a: cmd_export(a, overrides, report), month_default=True)
    wl_sub = wl.add_subparsers(dest="action", required=False, metavar="{import}")
    imp = wl_sub.add_parser("import", help="run worklist_import: archive a returned, filled "
                            "work list and read its answers",
                            description="Archive a township's returned work list by content "
                            "hash and month, read its answers against the month's cases, "
                            "record 非同一人 as no_link decisions and report every row that "
                            "cannot be used.")
    imp.add_argument("file", metavar="FILE", help="the returned .xlsx, .xls, .ods or .csv")
    where(imp, "the month of the list (default: what its name or title says)")
    imp.add_argument("--inbox", default=None, metavar="FOLDER",
                     help="the inbox whose other returned lists are archived too (default: "
                          "the county's, from the counties file)")
    imp.add_argument("--received", default=None, metavar="YYYY-MM-DD",
                     help="the day the list came back (default: today); its answers change "
                          "the cases from that month on")
    add_wait_option(imp)
    imp.set_defaults(func=lambda a: cmd_import(a, overrides, report), month_default=False)
