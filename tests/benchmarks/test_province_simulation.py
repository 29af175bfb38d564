"""The province-night simulation (benchmarks/province.py) behaves like the night it models:
more workers help until the run queue or the warehouse holds the night back, and no night is
shorter than its biggest county's own chain."""

import importlib.util
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "province.py"


@pytest.fixture(scope="module")
def sim():
    spec = importlib.util.spec_from_file_location("sanji_bench_province", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


ROWS = [600_000.0, 1_200_000.0, 2_400_000.0, 900_000.0, 1_500_000.0, 2_000_000.0]


def test_more_workers_shorten_the_night_until_the_run_queue_limits_it(sim):
    one, three, many = (sim.simulate(ROWS, w, 3, 1.4e6) for w in (1, 3, 24))
    assert one["counties_s"] > three["counties_s"] > 0
    assert sim.bottleneck(one) == "workers" and one["worker_use"] > 0.95
    assert many["counties_s"] == pytest.approx(three["counties_s"], rel=0.35)
    assert sim.bottleneck(many) in ("run queue (max_concurrent_runs)",
                                    "the biggest county's own chain (ingest → link → publish)")
    for night in (one, three, many):
        assert night["counties_s"] >= night["longest_county_s"] - sim.DT * 2


def test_a_slow_warehouse_becomes_the_bottleneck(sim):
    slow = sim.simulate(ROWS * 4, 24, 24, 2e5)
    assert sim.bottleneck(slow) == "warehouse writes"
    assert slow["counties_s"] > sim.simulate(ROWS * 4, 24, 24, 1.4e6)["counties_s"]


def test_step_times_follow_the_measured_sizes(sim):
    small, big = sim.MEASURED["sizes"]
    assert sim.seconds("link", small) == pytest.approx(sim.MEASURED["link"][0])
    assert sim.seconds("link", big) == pytest.approx(sim.MEASURED["link"][1])
    assert sim.main(["--counties", "3", "--workers", "2"]) == 0
