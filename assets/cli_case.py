"""``sanji case``: the steward answers a mismatch case directly (job ``case_answer``).

Examples::

    sanji case explain C0123456789a --by 王芳 --note "低保已停，系统未同步"     # explained
    sanji case note C0123456789a --by 王芳 --note "已通知村委会" --result 属实未整改

The answer is archived with the townships' returned lists; the next ``sanji run`` shows the
case ``explained`` (or with the note) in ``mismatch_case``, with who and when.
"""

import argparse
from collections.abc import Callable

from dagster import ExecuteInProcessResult

from assets.county_lock import add_wait_option, holding_county_lock
from assets.runs import UserError, check_warehouse, county_of, run_job
from pipelines.domain.cases import EXPLAINING, FIXED, NOT_FIXED, OTHER


def cmd_case(args: argparse.Namespace, overrides: Callable[..., dict],
             report: Callable[[ExecuteInProcessResult], int]) -> int:
    """Check the case, run ``case_answer``, print what was recorded."""
    from assets.case_answer import answer_case_checks, case_answer_config

    county = county_of(args.county)
    url = args.warehouse or county.warehouse
    check_warehouse(url)
    month = answer_case_checks(url, county.schema or None, args.case_id, args.on)
    if not args.by.strip():
        msg = "--by: name who answers (recorded as the case's status_by)"
        raise UserError(msg)
    config = {**overrides(args), **case_answer_config(
        args.case_id, args.result, args.by, args.note, args.on or "", county.code)}
    with holding_county_lock(url, county, args.wait, "answer not recorded") as run_id:
        result = run_job("case_answer", config, run_id=run_id)
    if not result.success:
        return report(result)
    shown = "explained" if args.result in EXPLAINING else "noted"
    print(f"county {county.label}: case {args.case_id} {shown} ({args.result}) by {args.by} "
          f"(job case_answer); the next `sanji run` (month {month} or later) shows it in "
          "mismatch_case")
    return 0


def add_parser(sub, overrides: Callable[..., dict], report: Callable) -> None:
    """Add ``case explain`` and ``case note`` to the ``sanji`` parser.

    Args:
        sub: the ``sanji`` sub-parsers.
        overrides: ``assets.cli._overrides`` (run config from the options).
        report: ``assets.cli._report_failure``.
    """
    case = sub.add_parser("case", help="run case_answer: explain a mismatch case or note its "
                          "verification", description="A steward's own answer to a case of "
                          "mismatch_case, applied by the next run.")
    actions = case.add_subparsers(dest="action", required=True, metavar="{explain,note}")
    explain = actions.add_parser("explain", help="the case is not a data error (explained)",
                                 description="Mark a case explained: not a data error.")
    note = actions.add_parser("note", help="record a verification note (the case stays open "
                              "until the rule stops firing)",
                              description="Note a verification of a case that is a real "
                              "error (属实未整改 or 属实已整改).")
    for sp, choices, default in ((explain, EXPLAINING, OTHER), (note, (NOT_FIXED, FIXED),
                                                                 NOT_FIXED)):
        sp.add_argument("case_id", metavar="CASE_ID",
                        help="the case (case_id of mismatch_case, 问题编号 of the work list)")
        sp.add_argument("--by", required=True, metavar="NAME", help="who answers (recorded)")
        sp.add_argument("--note", default="", metavar="TEXT", help="why, in a few words")
        sp.add_argument("--result", choices=choices, default=default,
                        help=f"the answer (default: {default})")
        sp.add_argument("--on", default=None, metavar="YYYY-MM-DD",
                        help="the day the answer counts from (default: today); it changes "
                             "the case from that month on")
        sp.add_argument("--county", default=None, metavar="CODE",
                        help="the county of the case (needed only when several are "
                             "configured)")
        sp.add_argument("--warehouse", default=None, metavar="URL",
                        help="the warehouse holding mismatch_case (default: the county's); "
                             "it must exist")
        sp.add_argument("--archive", default=None, metavar="FOLDER",
                        help="the archive root (default: $SANJI_ARCHIVE or "
                             ".dagster_home/archive)")
        add_wait_option(sp)
        sp.set_defaults(func=lambda a: cmd_case(a, overrides, report))
