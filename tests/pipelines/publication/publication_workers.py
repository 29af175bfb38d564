"""``Worker``: ``publish_worker.py`` in a subprocess, driven line by line from a test."""

from __future__ import annotations

import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pipelines.warehouse import Warehouse

WORKER = Path(__file__).with_name("publish_worker.py")
ROOT = Path(__file__).resolve().parents[3]


def target(wh: Warehouse) -> tuple[str, str]:
    """The worker's URL and schema arguments for a warehouse."""
    if wh.kind == "duckdb":
        return wh._db.path, "-"
    return wh._db.url, wh._db.schema


class Worker:
    """``publish_worker.py`` in a subprocess; its stdout lines arrive on a queue."""

    def __init__(self, wh: Warehouse, run_id: str, people: int, *flags: str) -> None:
        self.run_id = run_id
        self.proc = subprocess.Popen(
            [sys.executable, str(WORKER), *target(wh), run_id, str(people), *flags],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=ROOT)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def expect(self, prefix: str, timeout: float = 60.0) -> str:
        """The next line starting with ``prefix`` (failing on end of output or timeout)."""
        while True:
            line = self._queue.get(timeout=timeout)
            if line is None:
                err = self.proc.stderr.read()
                pytest.fail(f"worker {self.run_id} ended before {prefix!r}: {self.lines} {err}")
            self.lines.append(line)
            if line.startswith(prefix):
                return line

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self, timeout: float = 60.0) -> int:
        """Wait for the process to end; its return code (-9 when killed)."""
        code = self.proc.wait(timeout=timeout)
        while (line := self._queue.get(timeout=timeout)) is not None:
            self.lines.append(line)
        return code

    def steps(self) -> list[str]:
        return [line.removeprefix("step ") for line in self.lines if line.startswith("step ")]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
