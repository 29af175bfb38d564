"""A run's frames written to their files behind it: on one writer thread, while it goes on.

A step's output is a file (``staging.write_frame``) that the run's later steps read from
memory (``handoff``) and that another process, a re-executed run or the next night reads from
disk. When the run executes in one process (``sanji run``), the step need not wait for the
write: inside :meth:`WriteBehind.enabled` a write is queued on one writer thread (first in,
first written) and the night goes on with the next step on the other core. Elsewhere (a step
in its own process, a test calling the engine) a write is done at once, as before.

Nothing is read half written: each file is written under a temporary name and renamed. A read
of a file still queued is served from memory when the handoff holds its frame, else waits for
its write (:meth:`wait`). Every write is done, or the first failure raised naming its file,
before the run's publication commits and when :meth:`enabled` exits (:meth:`flush`). The
frames queued take at most ``budget_bytes``: a write beyond it waits for the writer first.
A process killed with writes queued leaves those files missing (their temporary names are
removed by the next attempt); its run published nothing, since the publication waits.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

BUDGET_BYTES = 1_500 << 20  # frames queued for the writer at most (estimated sizes)


class WriteFailed(RuntimeError):
    """A frame written behind the run could not be written."""


def partial_of(path: Path) -> Path:
    """The temporary name a file is written under before it is renamed to ``path``."""
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def write_whole(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` the file under its temporary name, then rename it to ``path``."""
    partial = partial_of(path)
    partial.unlink(missing_ok=True)
    try:
        write(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)


class WriteBehind:
    """Files written on one writer thread while the run goes on (see the module).

    Attributes:
        budget_bytes: the most the queued frames may take.
    """

    def __init__(self, budget_bytes: int = BUDGET_BYTES) -> None:
        self.budget_bytes = budget_bytes
        self._lock = threading.Lock()
        self._pending: dict[Path, tuple[Future, int]] = {}
        self._writer: ThreadPoolExecutor | None = None

    @contextmanager
    def enabled(self) -> Iterator[None]:
        """Write behind while inside; every write done (or its failure raised) on leaving."""
        with self._lock:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="sanji-write-behind")
        try:
            yield
        except BaseException:
            with suppress(WriteFailed):  # the error in flight matters more
                self.flush()
            raise
        else:
            self.flush()
        finally:
            with self._lock:
                writer, self._writer = self._writer, None
            writer.shutdown(wait=True)

    def write(self, path: Path, write: Callable[[Path], None], nbytes: int = 0) -> None:
        """Write ``path`` with ``write`` (given the temporary name): queued when enabled
        (``nbytes``: what the frame it writes takes), else at once."""
        path = Path(path)
        self.wait(path)  # an earlier write of the same file is done first
        with self._lock:
            writer = self._writer
        if writer is None:
            write_whole(path, write)
            return
        while self._queued_bytes() + nbytes > self.budget_bytes and self._oldest() is not None:
            self.wait(self._oldest())
        with self._lock:
            self._pending[path] = (writer.submit(write_whole, path, write), nbytes)

    def pending(self, path: Path) -> bool:
        """Whether ``path`` is queued or being written."""
        with self._lock:
            return Path(path) in self._pending

    def wait(self, path: Path) -> None:
        """Return when ``path`` is written (at once when it is not queued).

        Raises:
            WriteFailed: its write failed (named).
        """
        path = Path(path)
        with self._lock:
            found = self._pending.get(path)
        if found is None:
            return
        try:
            found[0].result()
        except Exception as exc:
            raise WriteFailed(f"could not write {path}: {type(exc).__name__}: {exc}") from exc
        finally:
            with self._lock:
                if self._pending.get(path) is found:
                    del self._pending[path]

    def flush(self) -> None:
        """Return when every queued file is written.

        Raises:
            WriteFailed: the first failed write (named); the others are waited for first.
        """
        failures = []
        while (oldest := self._oldest()) is not None:
            try:
                self.wait(oldest)
            except WriteFailed as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    def _oldest(self) -> Path | None:
        with self._lock:
            return next(iter(self._pending), None)

    def _queued_bytes(self) -> int:
        with self._lock:
            return sum(nbytes for _, nbytes in self._pending.values())


WRITES = WriteBehind()  # the process's own (the handoff's frames are the process's too)

__all__ = ["WRITES", "WriteBehind", "WriteFailed", "partial_of", "write_whole"]
