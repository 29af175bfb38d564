"""``sanji rerun``: rebuild a month from its own archived files (job ``rerun_month``).

Examples::

    sanji rerun --month 2026-10                   # October only; warns if November is stale
    sanji rerun --month 2026-10 --through-latest  # October, then every later published month

A month's cases stand on the month before, so rebuilding a month before the county's latest
published one leaves the later months stale: ``mismatch_case`` warns (one line) naming them, and
``--through-latest`` rebuilds them in order, one ``rerun_month`` run (and run lock) per month.
"""

import argparse
import sys
from collections.abc import Callable

from dagster import ExecuteInProcessResult

from assets.publication import holding_run_lock, night_config
from assets.runs import UserError, check_month, county_of, later_months_of, run_job, summary
from assets.settings import partition


def cmd_rerun(args: argparse.Namespace, overrides: Callable[[argparse.Namespace], dict],
              report: Callable[[ExecuteInProcessResult], int]) -> int:
    """Rebuild ``--month`` (and with ``--through-latest`` each later published month)."""
    if args.month is None:
        msg = "name the month to rebuild: --month YYYY-MM"
        raise UserError(msg)
    month = check_month(args.month)
    county = county_of(args.county)
    store = args.warehouse or county.warehouse
    chain = [month, *(later_months_of(store, county, month) if args.through_latest else [])]
    if len(chain) > 1:
        print(f"rebuilding {', '.join(chain)} in order (--through-latest)")
    for step, this in enumerate(chain):  # month by month: each stands on the one before
        with holding_run_lock(args, county) as run_id:  # one run of a county at a time
            result = run_job("rerun_month", {**overrides(args), **night_config(args)},
                             partition(county.code, this), verbose=args.verbose, run_id=run_id)
        if not result.success:
            if step:
                print(f"rebuilt {', '.join(chain[:step])}; {this} failed, so "
                      f"{', '.join(chain[step:])} still need a rerun", file=sys.stderr)
            return report(result)
        print(summary(store, this, county, job="rerun_month"))
    return 0  # a month left stale was named by mismatch_case's warning
