"""The full night's link step in two trees, back to back: CPU per stage, peak RSS, and
whether every output is the same.

Usage::

    .venv/bin/python benchmarks/link_same.py --base /tmp/base --sizes 500k,1M [--rounds 2]

``--base`` is another checkout of sanji (e.g. ``git archive main | tar -x -C /tmp/base``).
Per size and round, the base tree then this one each link the cached county's full night
(``link_incremental.inputs``: night 1, no state) in a fresh subprocess (this interpreter,
``PYTHONPATH`` set to the tree), which prints its CPU seconds per stage
(``stats["cpu_seconds"]``), the call's CPU and wall seconds, its peak RSS (the inputs
included), F1 and twins merged, and writes its outputs to a temporary folder. Then the two
are compared: pairs (every column, in order), links, the steward queue, the candidates, the
model's m/u/weights, the prior and the status counts. Never asserts; the machine is shared,
so read CPU seconds and compare within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
OUTPUTS = ("pairs", "links", "uncertain", "candidates")
CHILD = """
import json, resource, sys, time
sys.path.insert(0, {bench!r})
from link_incremental import inputs, quality
from night import county, truth_frames
from pipelines.link import link_records
import pipelines.normalise.names  # imported before the clock, in both trees
records, evidence = inputs({size}, {seed})
cpu, wall = time.process_time(), time.perf_counter()
r = link_records(records, evidence=evidence)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
for name in {outputs!r}:
    getattr(r, name).write_parquet({out!r} + "/" + name + ".parquet")
json.dump({{"model": r.stats["model"], "prior": r.stats["prior"],
           "status": r.stats["status_counts"]}}, open({out!r} + "/stats.json", "w"))
q = quality(r, records, truth_frames(county({size}, {seed}) / "truth"))
print(json.dumps({{"stages": r.stats["cpu_seconds"], "cpu": cpu, "wall": wall, "peak": peak,
                  "quality": q}}))
"""


def run(tree: Path, size: int, seed: int, out: Path) -> dict:
    """One full link in a fresh process of ``tree``; its figures."""
    code = CHILD.format(bench=str(tree / "benchmarks"), size=size, seed=seed, out=str(out),
                        outputs=OUTPUTS)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=tempfile.gettempdir(),
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def same(a: Path, b: Path) -> list[str]:
    """The outputs that differ between two runs' folders (none: the same)."""
    differ = [n for n in OUTPUTS if not pl.read_parquet(a / f"{n}.parquet").equals(
        pl.read_parquet(b / f"{n}.parquet"))]
    sa, sb = (json.loads((x / "stats.json").read_text()) for x in (a, b))
    return differ + [k for k in sa if sa[k] != sb[k]]


def show(name: str, got: dict) -> None:
    stages = ", ".join(f"{k} {v:.2f}" for k, v in got["stages"].items() if k != "total")
    print(f"  {name:5s} CPU {got['cpu']:6.2f} s (wall {got['wall']:5.1f}), peak RSS "
          f"{got['peak']:,.0f} MB; {got['quality']}\n        stages (CPU s): {stages}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(HERE))
    from night import parse_size

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, type=Path, help="the other tree (before)")
    p.add_argument("--sizes", default="500k")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args(argv)
    for size in (parse_size(s) for s in args.sizes.split(",")):
        for k in range(args.rounds):
            print(f"== {size:,} residents, round {k + 1}", flush=True)
            with tempfile.TemporaryDirectory() as tmp:
                folders = {n: Path(tmp) / n for n in ("base", "this")}
                for (name, tree), out in zip((("base", args.base), ("this", HERE.parent)),
                                             folders.values(), strict=True):
                    out.mkdir()
                    show(name, run(tree.resolve(), size, args.seed, out))
                differ = same(folders["base"], folders["this"])
                print(f"  outputs the same: {not differ}" + (f" (differ: {differ})"
                                                            if differ else ""), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
