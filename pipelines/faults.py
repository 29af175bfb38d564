"""Pause points: where a fault test stops a run to kill it (``SANJI_PAUSE_AT``).

A run passes named points (a table staged, each step of the publication transaction). When
the environment names one in ``SANJI_PAUSE_AT`` (comma-separated), the process writes its pid
to ``SANJI_PAUSE_FILE`` on reaching it and waits until that file is removed (at most
``SANJI_PAUSE_SECONDS``, default 120): the test kills the process there (SIGKILL) or lets it
go on by removing the file. Unset, a point costs one dictionary lookup. No timing is involved:
the test acts only once the file says the run is at the point.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def pause_point(name: str) -> None:
    """Wait here when ``SANJI_PAUSE_AT`` names ``name`` (see the module)."""
    wanted = os.environ.get("SANJI_PAUSE_AT")
    if not wanted or name not in {w.strip() for w in wanted.split(",")}:
        return
    marker = Path(os.environ.get("SANJI_PAUSE_FILE") or "sanji.paused")
    # written whole then renamed: a watcher that sees the file reads the pid and the point
    partial = marker.with_name(f".{marker.name}.{os.getpid()}")
    partial.write_text(f"{os.getpid()} {name}\n", encoding="utf-8")
    partial.replace(marker)
    deadline = time.monotonic() + float(os.environ.get("SANJI_PAUSE_SECONDS") or 120)
    while marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
