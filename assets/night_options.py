"""``sanji run``'s night options: the steward's confirmations, and the run lock it holds.

- :func:`add_night_options`: ``--allow-missing EXTRACT`` (repeatable), ``--allow-drop``,
  ``--max-drop SHARE`` and ``--wait SECONDS``.
- :func:`night_config`: those options as the run config of the asset ``publication``.
- :func:`holding_run_lock`: the county's run lock, held for the whole run; a second run
  refuses at once (or after ``--wait``) with one line naming the run that holds it.
"""

import argparse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from assets.publication import publication_config
from assets.runs import UserError
from pipelines.counties import County
from pipelines.guard import DEFAULT_MAX_DROP
from pipelines.warehouse import Warehouse, WarehouseBusy


def _share(text: str) -> float:
    """A share of rows in (0, 1] (``0.3`` or ``30%``)."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        msg = f"expected a share of rows in (0, 1] such as 0.3 or 30%, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def add_night_options(run: argparse.ArgumentParser) -> None:
    """Add the guard's and the lock's options to ``sanji run``."""
    run.add_argument("--allow-missing", action="append", default=[], metavar="EXTRACT",
                     help="publish although EXTRACT (e.g. death) is missing or empty tonight "
                          "while it was published last time; repeat for several")
    run.add_argument("--allow-drop", action="store_true",
                     help="publish although an extract's rows dropped more than --max-drop")
    run.add_argument("--max-drop", type=_share, default=None, metavar="SHARE",
                     help="the largest drop in an extract's rows published without "
                          f"confirmation (default {DEFAULT_MAX_DROP:.0%})")
    run.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                     help="wait this long for a run of the same county to finish (default: "
                          "refuse at once)")


def night_config(args: argparse.Namespace) -> dict:
    """The run config of ``publication`` for the options given."""
    return publication_config(args.allow_missing, args.allow_drop, args.max_drop)


@contextmanager
def holding_run_lock(args: argparse.Namespace, county: County) -> Iterator[str]:
    """Hold the county's run lock for a whole ``sanji run``; yields the run id to use.

    Raises:
        UserError: another run holds the lock (one line naming it).
    """
    run_id = str(uuid.uuid4())
    store = Warehouse.at(args.warehouse or county.warehouse, schema=county.schema or None)
    try:
        lock = store.run_lock(run_id, county=county.code, wait_seconds=args.wait)
    except WarehouseBusy as exc:
        raise UserError(f"not run: {exc}") from None
    with lock:
        yield run_id
