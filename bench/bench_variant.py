#!/usr/bin/env python3
"""Issue 21, part 4: what PDF/A-2u together with PDF/UA-1 costs against PDF/UA-1 alone.

    python bench/bench_variant.py [REPO] [--runs N] [--jobs J]
        (default: ../shared/corpus/ai-exchange, 3 runs, -j 2)

Each run is a cold `aixbook build -f pdf` (a fresh output folder: no part cache, no parse
cache) in a fresh process, once with ``pdf_variant = "pdf/ua-1"`` and once with
``"pdf/a-2u+ua-1"``, interleaved (the machine is shared: what runs next to a build changes
its wall time by more than what is measured). It prints the CPU time (user + system, the
build and its workers) and wall time of each run, the medians' ratio, and the PDFs' sizes.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SOURCE_DATE_EPOCH": "1764000000"}
VARIANTS = ("pdf/ua-1", "pdf/a-2u+ua-1")


def cold_build(repo: Path, variant: str, jobs: int, work: Path) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, PDF bytes) of one cold build."""
    config = work / "book.toml"
    config.write_text(f'pdf_variant = "{variant}"\noutput_name = "book"\n', encoding="utf-8")
    out = work / "out"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    command = [sys.executable, "-m", "aixbook", "-q", "build", str(repo), "-c", str(config), "-o", str(out)]
    subprocess.run(
        [*command, "-f", "pdf", "-j", str(jobs)],
        env=ENV,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # the real book's own diagnostics
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, (out / "book.pdf").stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "ai-exchange"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    found: dict[str, list[tuple[float, float, int]]] = {v: [] for v in VARIANTS}
    for run in range(args.runs):
        order = VARIANTS if run % 2 == 0 else tuple(reversed(VARIANTS))
        for variant in order:
            with tempfile.TemporaryDirectory(prefix="aixbook-variant-") as work:
                cpu, wall, size = cold_build(Path(args.repo), variant, args.jobs, Path(work))
            found[variant].append((cpu, wall, size))
            print(f"run {run + 1} {variant:14} cpu {cpu:6.2f} s  wall {wall:6.2f} s  {size:,} bytes", flush=True)
    base, combined = (statistics.median(r[0] for r in found[v]) for v in VARIANTS)
    base_wall, combined_wall = (statistics.median(r[1] for r in found[v]) for v in VARIANTS)
    base_size, combined_size = (found[v][0][2] for v in VARIANTS)
    print(f"median CPU: {base:.2f} s → {combined:.2f} s ({combined / base - 1:+.1%})")
    print(f"median wall: {base_wall:.2f} s → {combined_wall:.2f} s ({combined_wall / base_wall - 1:+.1%})")
    print(f"size: {base_size:,} → {combined_size:,} bytes ({combined_size / base_size - 1:+.1%})")


if __name__ == "__main__":
    main()
