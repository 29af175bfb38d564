"""``sanji decide``: a steward's link / no_link decision on two records (job ``steward_decision``).

Example::

    sanji decide KEY_A KEY_B --no-link --by 王芳 --note "twins"

The keys must name records of the latest published month; the decision is recorded under the
county's run lock (``assets.county_lock``); a ``--link`` a township's standing 非同一人 covers (the
two records, or the two people it separated: ``pipelines.cases.override.township_answer``) is
refused, naming the case, unless ``--override-township`` (then the decision's note says whose
answer it overrides).
"""

import argparse
from collections.abc import Callable

from dagster import ExecuteInProcessResult

from assets.county_lock import add_wait_option, holding_county_lock
from assets.jobs import check_township_answer, decision_config
from assets.resources import resource_config
from assets.runs import (
    UserError,
    check_records,
    check_warehouse,
    cli_instance,
    county_of,
    run_job,
)
from assets.settings import setting


def cmd_decide(args: argparse.Namespace, report: Callable[[ExecuteInProcessResult], int]) -> int:
    """Check the keys and the township's answers, run ``steward_decision`` under the lock."""
    from pipelines.warehouse import Warehouse

    county = county_of(args.county)
    check_warehouse(args.warehouse or county.warehouse)
    if args.a == args.b:
        msg = "the two record keys are the same: a decision is about two different records"
        raise UserError(msg)
    decision = "link" if args.link else "no_link"
    url = str(args.warehouse or county.warehouse)
    with holding_county_lock(url, county, args.wait, "decision not recorded") as run_id:
        # under the lock: a night publishing in between would read the records in another month
        check_records(url, county.schema or None, (args.a, args.b))
        # a re-executed run's frames are its parent's: the instance knows the parent
        check_township_answer(Warehouse.from_url(url, schema=county.schema or None), args.a,
                              args.b, decision, args.note, args.override_township,
                              args.storage, county.code, cli_instance())
        config = {**resource_config(warehouse=args.warehouse, storage=args.storage),
                  **decision_config(args.a, args.b, decision, args.by, args.note, county.code,
                                    override_township=args.override_township)}
        result = run_job("steward_decision", config, run_id=run_id)
    if not result.success:
        return report(result)
    first, second = sorted((args.a, args.b))
    overrode = " (overriding the township's 非同一人)" if args.override_township else ""
    print(f"county {county.label}: recorded {decision} for {first} / {second}{overrode} "
          "(job steward_decision)")
    return 0


def add_parser(sub, report: Callable[[ExecuteInProcessResult], int]) -> None:
    """Add ``decide`` to the ``sanji`` parser (``report``: ``assets.cli._report_failure``)."""
    decide = sub.add_parser("decide", help="run the job steward_decision: link or separate two "
                                           "records", description="Record a steward's decision "
                            "on two records; the next run applies it.")
    decide.add_argument("a", metavar="KEY_A", help="record_key of one record (uncertain_match)")
    decide.add_argument("b", metavar="KEY_B", help="record_key of the other record")
    choice = decide.add_mutually_exclusive_group(required=True)
    choice.add_argument("--link", action="store_true", help="the two are the same person")
    choice.add_argument("--no-link", action="store_true", help="the two are different people")
    decide.add_argument("--by", required=True, metavar="NAME", help="who decided (recorded)")
    decide.add_argument("--note", default="", help="why, in a few words (recorded)")
    decide.add_argument("--county", default=None, metavar="CODE",
                        help="the county whose records they are (needed only when several "
                             "are configured)")
    decide.add_argument("--warehouse", default=None, metavar="URL",
                        help="the warehouse holding match_decision (default: the county's, "
                             "from the counties file); it must exist")
    decide.add_argument("--override-township", action="store_true",
                        help="--link although a township answered 非同一人 on a case of the "
                             "two records (recorded in the decision's note)")
    decide.add_argument("--storage", default=setting("SANJI_STORAGE"), metavar="FOLDER",
                        help="the runs' intermediate files, where a record id is read as its "
                             "record key (default: $SANJI_STORAGE or .dagster_home/storage)")
    add_wait_option(decide)
    decide.set_defaults(func=lambda a: cmd_decide(a, report))
