"""A run's publication in its own process, for the fault and two-at-once tests.

    python publish_worker.py URL SCHEMA RUN_ID PEOPLE [--kill-at STEP] [--pause-at STEP]
                             [--wait SECONDS] [--landing-people N]

Imports, prints ``ready`` and waits for a ``go`` line on stdin (so tests can start workers ahead
of time), then publishes ``night_tables.run_tables(PEOPLE)`` with ``pipelines.night.publish_night``
(run lock, guard, one transaction). Each step done is printed (``step <name>``); at
``--kill-at`` the process SIGKILLs itself; at ``--pause-at`` it prints ``paused`` and waits for a
``resume`` line. Ends with ``result {json}`` (exit 0), or ``error {json}`` (exit 3 when the
warehouse was busy, 2 otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from night_tables import MONTH, SLICED, landing, run_tables

from pipelines.night import NightRun, publish_night
from pipelines.warehouse import Warehouse, WarehouseBusy


def say(line: str) -> None:
    print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("schema")
    parser.add_argument("run_id")
    parser.add_argument("people", type=int)
    parser.add_argument("--kill-at", default="")
    parser.add_argument("--pause-at", default="")
    parser.add_argument("--wait", type=float, default=10.0)
    parser.add_argument("--landing-people", type=int, default=0)
    args = parser.parse_args()
    wh = Warehouse.from_url(args.url, schema=None if args.schema == "-" else args.schema)
    tables = run_tables(args.people)
    snapshot = landing(args.landing_people or args.people)
    say("ready")
    if sys.stdin.readline().strip() != "go":
        return 1

    def step(name: str) -> None:
        say(f"step {name}")
        if name == args.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if name == args.pause_at:
            say("paused")
            sys.stdin.readline()

    start = time.monotonic()
    try:
        out = publish_night(wh, NightRun(args.run_id, MONTH), tables, snapshot,
                            month_sliced=SLICED, wait_seconds=args.wait, on_step=step)
    except Exception as exc:
        say("error " + json.dumps({"type": type(exc).__name__, "message": str(exc)},
                                  ensure_ascii=False))
        return 3 if isinstance(exc, WarehouseBusy) else 2
    say("result " + json.dumps({"version": out.publication.version, "pid": os.getpid(),
                                "seconds": round(time.monotonic() - start, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
