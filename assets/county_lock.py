"""The county's run lock for the writes outside a night: a ``sanji`` command's and a job's.

``sanji decide``, ``sanji case explain / note``, ``sanji worklist import`` and ``sanji exchange
import`` record a decision, archive a returned file and publish ``exchange_diff``: each takes
the lock ``sanji run`` holds for the whole night (``pipelines.warehouse.lock``), before it writes
anything, and holds it while its job runs (the job's op finds the lock this process holds and
writes through it). A night of the county running at that moment makes the command refuse in one
line naming the run, pid and host holding the lock (exit code 2, nothing written), or wait with
``--wait SECONDS``; no night can then publish an older ``exchange_diff`` over the import. A job
started by the daemon, a sensor or the Launchpad takes the lock for its writes itself
(``op_county_lock``), waiting ``OP_WAIT_SECONDS`` for a night, then fails naming it.
"""

import argparse
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from dagster import Failure

from assets.runs import UserError
from pipelines.counties import County
from pipelines.errors import classify, describe
from pipelines.warehouse import Warehouse, WarehouseBusy, county_write_lock

OP_WAIT_SECONDS = 60.0  # a job started by the daemon or the UI waits this long for a night


def add_wait_option(sp: argparse.ArgumentParser) -> None:
    """``--wait SECONDS``: how long to wait for a run of the county holding its run lock."""
    sp.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                    help="wait this long for a run of the same county to finish (default: "
                         "refuse at once)")


@contextmanager
def holding_county_lock(url: str, county: County, wait: float, what: str) -> Iterator[str]:
    """Hold the county's run lock around a command's writes; yields the run id to use.

    Args:
        url: the warehouse (the command's ``--warehouse`` or the county's).
        county: the county.
        wait: seconds to wait for the holder (``--wait``).
        what: what is refused, leading the message (``decision not recorded``).

    Raises:
        UserError: another run holds the lock (one line naming it).
    """
    run_id = str(uuid.uuid4())
    store = Warehouse.at(url, schema=county.schema or None)
    try:
        lock = store.run_lock(run_id, county=county.code, wait_seconds=wait)
    except WarehouseBusy as exc:
        msg = f"{what}: {' '.join(str(exc).split())} (--wait SECONDS waits for it)"
        raise UserError(msg) from None
    except Exception as exc:
        if classify(exc) == "defect":
            raise
        msg = f"{what}: the warehouse {store.where} cannot be reached ({describe(exc)})"
        raise UserError(msg) from None
    with lock:
        yield run_id


@contextmanager
def op_county_lock(warehouse, county: str | None, run_id: str,
                   wait_seconds: float | None = None) -> Iterator[str]:
    """Inside a job's op: the county's run lock around its writes (the one the ``sanji``
    command holds, else taken for the block); yields the county's code.

    Args:
        warehouse: the run's ``WarehouseResource``.
        county: the county code ("" or None: the only county).
        run_id: the run writing.
        wait_seconds: how long to wait for a night of the county (None: ``OP_WAIT_SECONDS``).

    Raises:
        Failure: another run holds the lock (named), not retried.
    """
    wait = OP_WAIT_SECONDS if wait_seconds is None else wait_seconds
    place = warehouse.county(county or None)
    store = Warehouse.at(warehouse.url or place.warehouse, schema=place.schema or None)
    with ExitStack() as held:
        try:
            held.enter_context(county_write_lock(store, run_id, place.code, wait))
        except WarehouseBusy as exc:
            raise Failure(description=f"nothing written: {' '.join(str(exc).split())}",
                          allow_retries=False) from None
        yield place.code
