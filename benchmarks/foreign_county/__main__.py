"""``python -m benchmarks.foreign_county --people N --seed S --out DIR``."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from benchmarks.foreign_county.generate import default_jobs, generate


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and generate the county."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.foreign_county",
                                     description=__doc__)
    parser.add_argument("--people", type=int, default=10_000, help="residents (default 10000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 9, 30),
                        help="day the extracts are taken (default 2025-09-30)")
    parser.add_argument("--no-libreoffice", action="store_true",
                        help="write the LibreOffice file with xlwt instead")
    parser.add_argument("--jobs", type=int, default=default_jobs(),
                        help="writer processes (default: cores + 1, at most 4)")
    args = parser.parse_args(argv)
    result = generate(args.people, args.seed, args.out, args.as_of, not args.no_libreoffice,
                      args.jobs)
    print(f"{result.people} people, {len(result.files)} files in {result.landing}, "
          f"truth in {result.truth}, {result.seconds:.1f} s")


if __name__ == "__main__":
    main()
