#!/usr/bin/env python3
"""``aixbook diff`` against ``aixbook check`` on the real book, measured in one run; prints ratios.

    python bench/bench_diff.py [REPO] [--rounds N]    (default: ../shared/corpus/ai-exchange, 5)

The book is copied to a temporary folder, made a git repository and committed, and one
paragraph of chapter 3 is edited in the working tree. Then, alternating, each in a fresh
process (``python -m aixbook …``, start-up included), with one chapter cache warmed first:

- ``check COPY``: what the pull-request job already runs;
- ``diff REPO COPY``: two site folders (both read from the cache);
- ``diff HEAD --site COPY``: the pull-request case, the revision exported from git and
  parsed (a temporary folder is a new path: no cache entry fits it).

The best time of each is compared (the target is diff < 2 x check).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
GIT = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org", "-c", "commit.gpgsign=false"]


def run(args: list[str], ok=(0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run([PY, "-m", "aixbook", *args], capture_output=True, text=True, env=ENV)
    wall = time.perf_counter() - start
    if proc.returncode not in ok:
        sys.exit(f"failed ({proc.returncode}): aixbook {' '.join(args)}\n{proc.stderr}")
    return wall


def edited_copy(repo: Path, work: Path) -> Path:
    copy = work / "book"
    shutil.copytree(repo, copy)
    for p in [copy, *copy.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    subprocess.run(["git", "add", "-A"], cwd=copy, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "snapshot"], cwd=copy, check=True)
    chapter = next(copy.rglob("3_development_time_threats.md"))
    text = chapter.read_text()
    paragraph = next(p for p in text.split("\n\n")[40:] if p[:1].isalpha() and len(p) > 200)
    chapter.write_text(text.replace(paragraph, paragraph.replace(" ", " really ", 1), 1))
    return copy


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "ai-exchange"))
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="aixbook-bench-diff-") as tmp:
        work = Path(tmp)
        copy = edited_copy(Path(args.repo), work)
        out = str(work / "out")
        steps = {
            "check": (["check", str(copy), "-o", out], (0, 1)),  # the content has errors: exit 1
            "diff folders": (["diff", args.repo, str(copy), "-o", out], (0,)),
            "diff revision": (["diff", "HEAD", "--site", str(copy), "-o", out], (0,)),
        }
        for argv, ok in steps.values():  # warm the cache and the disk
            run(argv, ok)
        best = {name: run(argv, ok) for name, (argv, ok) in steps.items()}
        for _ in range(args.rounds - 1):
            for name, (argv, ok) in steps.items():
                best[name] = min(best[name], run(argv, ok))
    check = best["check"]
    print(f"check                  {check:6.2f} s")
    for name in ("diff folders", "diff revision"):
        print(f"{name:<22} {best[name]:6.2f} s   {best[name] / check:4.2f}x check")


if __name__ == "__main__":
    main()
