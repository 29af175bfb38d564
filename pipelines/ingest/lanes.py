"""Work on a night's grids on two threads, one extract at a time per thread, results in order.

The grids of one extract depend on each other (a row repeating an earlier grid's row of the
extract is a copy, :mod:`pipelines.ingest.duplicates`), those of different extracts do not:
each extract is a *lane* whose grids are worked on one after the other, and two lanes run at
once (polars and the normalisers spend most of a grid outside the GIL). A grid's work holds
several times its rows' memory while it runs, so a second grid starts beside the first only
while the rows at work stay within :data:`BUDGET` times the largest grid's (the night's peak
stays about one grid's); the largest grid that fits is started first. The results are handed
back in the grids' own order, each as soon as it and those before it are done, so the caller
places them (and writes their cache entries) as reading them one after the other would; an
error is raised when its grid's turn comes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

# Lanes at once: the machine's two cores (a grid's polars work uses both at times already).
WORKERS = 2
# Rows at work at once, as a multiple of the largest grid's rows (1M residents: enrolment's
# 972k rows beside the 380k-row sheet, the peak ~ one thread's; two 1M-row files in turn).
BUDGET = 1.5
T = TypeVar("T")
R = TypeVar("R")


class _Schedule:
    """Which item a free thread takes next: the largest whose lane is free and whose rows fit
    the budget beside the rows at work (any, when nothing is at work)."""

    def __init__(self, lanes: list[list[int]], sizes: list[int], budget: float) -> None:
        self.lanes = [list(reversed(lane)) for lane in lanes]  # next item last
        self.sizes = sizes
        self.budget = budget
        self.busy: set[int] = set()  # lanes at work
        self.rows = 0  # rows at work
        self.stopped = False
        self.changed = threading.Condition()

    def take(self) -> tuple[int, int] | None:
        """(lane, item) to work on, waiting while none fits; None when all are taken."""
        with self.changed:
            while not self.stopped:
                free = [k for k, lane in enumerate(self.lanes) if lane and k not in self.busy]
                if not free and not self.busy:
                    return None
                fits = [k for k in free if not self.busy
                        or self.rows + self.sizes[self.lanes[k][-1]] <= self.budget]
                if fits:
                    k = max(fits, key=lambda k: self.sizes[self.lanes[k][-1]])
                    self.busy.add(k)
                    self.rows += self.sizes[self.lanes[k][-1]]
                    return k, self.lanes[k].pop()
                self.changed.wait()
            return None

    def done(self, lane: int, item: int, failed: bool) -> None:
        """An item is worked on; a failed one ends its lane (nothing after it is needed)."""
        with self.changed:
            self.busy.discard(lane)
            self.rows -= self.sizes[item]
            if failed:
                self.lanes[lane].clear()
            self.changed.notify_all()

    def stop(self) -> None:
        with self.changed:
            self.stopped = True
            self.changed.notify_all()


def in_lanes(items: list[T], lane: Callable[[T], Hashable], work: Callable[[T], R],
             size: Callable[[T], int], workers: int | None = None) -> Iterator[R]:
    """``work(item)`` of each item, yielded in the items' order.

    Args:
        items: the items (grids), in the order their results are wanted.
        lane: an item's lane (its extract): items of one lane are worked on one after the
            other, in order.
        work: what is done per item (it may raise: the error is raised in its turn).
        size: an item's size (rows): what the budget counts, the largest started first.
        workers: threads (default :data:`WORKERS`; 1: each item worked on in this thread
            when its turn comes).

    Yields:
        Each item's result, in order.
    """
    workers = WORKERS if workers is None else workers
    if workers <= 1:
        yield from (work(item) for item in items)
        return
    lanes: dict[Hashable, list[int]] = {}
    for i, item in enumerate(items):
        lanes.setdefault(lane(item), []).append(i)
    sizes = [size(item) for item in items]
    schedule = _Schedule(list(lanes.values()), sizes, BUDGET * max(sizes, default=0))
    futures: list[Future] = [Future() for _ in items]

    def run() -> None:
        while (taken := schedule.take()) is not None:
            k, i = taken
            if not futures[i].set_running_or_notify_cancel():
                schedule.done(k, i, failed=True)
                continue
            try:
                futures[i].set_result(work(items[i]))
            except BaseException as exc:  # handed to the caller in its turn
                futures[i].set_exception(exc)
                schedule.done(k, i, failed=True)
                continue
            schedule.done(k, i, failed=False)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lane")
    try:
        for _ in range(workers):
            pool.submit(run)
        for future in futures:
            yield future.result()
    finally:
        schedule.stop()
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True)
