"""Publishing runs in their own processes (``Worker``); the warehouses are tests/pipelines'."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from publication_workers import Worker


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """Workers started by a test are killed at its end if still running."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.stop()
