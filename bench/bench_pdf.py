#!/usr/bin/env python3
"""Issue 10's targets on the real book, measured as ratios in one run on this machine.

    python bench/bench_pdf.py [REPO] [--runs N] [--before SRC]
        (default: ../shared/corpus/ai-exchange, 2 runs; --before: the src/ folder of an
        older checkout, whose `aixbook build -f pdf` is timed in the same run)

Every step runs in a fresh process; the steps are interleaved and each one's fastest run
counts (a single run on a shared 2-core machine varies by more than what is measured).
Memory is the peak, over the run, of the summed PSS of the whole process tree (the build
and its workers; PSS counts pages shared after fork once, not once per process).

    bare    WeasyPrint alone, one process, on the very HTML aixbook assembles (same styles,
            fonts, images), PDF/UA on, none of aixbook's fixes
    cold    `aixbook build -f pdf` with no PDF cache (.cache/pdf removed; the Markdown parse
            cache kept, as in bench.py's full build, which the issue's 1.07x comes from),
            -j 2 and -j 1; and once more with no cache at all
    edit    the same after a one-line edit at the end of chapter 2, cache warm
    preview `aixbook preview 2` after such an edit and unchanged, each a fresh process; and
            `preview 2 --watch`: from the edited file's save to its new PDF on disk (the
            watch notices the change, and lays the chapter out from its last draft with
            its libraries already loaded), as an author waits for it

It also prints the critical path (the slowest part), the parallel efficiency, the stage table
of a fresh build (`build --timings`), an estimate for -j 4 from the parts
times (unless the machine has 4 CPUs, then it measures it) and the PDF sizes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
# As a user runs aixbook: its modules compiled once (an install writes their bytecode; a
# PYTHONDONTWRITEBYTECODE=1 in the shell would compile every module of every run again,
# a tenth of a second each, which no user pays). The warm-up runs write it.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV |= {"PYTHONPATH": str(ROOT / "src"), "SOURCE_DATE_EPOCH": "1764000000"}


def _tree(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, ()))
    return out


def _pss_mb(pid: int) -> float:
    try:
        for line in (Path("/proc") / str(pid) / "smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run(args: list[str], memory: bool = False) -> tuple[float, float]:
    """(wall seconds, peak MB of the process tree) of one command. Memory is sampled only
    when asked: reading every process's page tables 20 times a second takes CPU from the
    build on a 2-core machine, so timed runs are not sampled."""
    peak = [0.0]
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], sum(_pss_mb(p) for p in _tree(proc.pid)))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    if memory:
        sampler.join()
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(args)}\n{err.decode()}")
    return wall, peak[0]


BARE = """
import pickle, sys
from aixbook.render.pdf import weasy
weasy.isolate_fontconfig()
from weasyprint import CSS, HTML
doc = pickle.load(open(sys.argv[1], 'rb'))
fetcher = weasy.make_fetcher(doc.resources)
HTML(string=doc.html, base_url=weasy.BASE_URL, url_fetcher=fetcher).write_pdf(
    sys.argv[2], stylesheets=[CSS(url=weasy.STYLES_URL + 'print.css', url_fetcher=weasy.make_fetcher({}))],
    pdf_variant='pdf/ua-1', pdf_tags=True)
"""


def watched(copy: Path, chapter: Path, out: Path, runs: int) -> list[float]:
    """Seconds from each save of a one-line edit of ``chapter`` to the new PDF that
    `preview 2 --watch` writes for it (a change seen within 5 ms)."""
    pdf = out / "preview" / "2_threats_through_use.pdf"
    proc = subprocess.Popen(
        [PY, "-m", "aixbook", "preview", "2", str(copy), "-o", str(out), "--watch"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=ENV,
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True).start()
    found: list[float] = []
    try:
        deadline = time.monotonic() + 120
        while not any("watching" in line for line in lines):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("preview --watch did not start:\n" + "".join(lines[-5:]))
            time.sleep(0.05)
        for i in range(runs):
            time.sleep(1.5)  # the watch reads its files again after a rebuild, then waits
            before = pdf.stat().st_mtime_ns
            start = time.perf_counter()
            with chapter.open("a", encoding="utf-8") as fh:
                fh.write(f"\nA line for the watch ({i}).\n")
            while pdf.stat().st_mtime_ns == before:
                if time.perf_counter() - start > 120:
                    raise RuntimeError("preview --watch wrote no new PDF:\n" + "".join(lines[-5:]))
                time.sleep(0.005)
            found.append(time.perf_counter() - start)
            print(f"  watch {i + 1}: {found[-1]:.2f} s", file=sys.stderr)
    finally:
        proc.terminate()
        proc.wait(30)
    return found


def makespan(times: list[float], workers: int) -> float:
    """Longest-first on ``workers`` processes, as pool.py schedules them."""
    loads = [0.0] * workers
    for t in sorted(times, reverse=True):
        loads[loads.index(min(loads))] += t
    return max(loads)


def estimate(timings: dict, wall: float, workers: int) -> float:
    """Wall time with ``workers`` processes, from a run's part times: what did not run in
    parallel stays, each round's parallel part is rescheduled."""
    parallel = sum(r["wall"] for r in timings["rounds"])
    rescheduled = sum(makespan([t for _, t in r["parts"]], workers) for r in timings["rounds"])
    return wall - parallel + rescheduled


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("repo", nargs="?", default=str(ROOT.parent / "shared" / "corpus" / "ai-exchange"))
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--before", help="src/ folder of an older aixbook to time alongside")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="aixbook-bench-pdf-"))
    aix = [PY, "-m", "aixbook", "-q", "build"]
    results: dict[str, list[tuple[float, float]]] = {}
    timings: dict[str, dict] = {}
    try:
        dump = work / "doc.pickle"
        subprocess.run(
            [
                PY,
                "-c",
                "import pickle, sys; from aixbook.book import load_book; "
                "from aixbook.assemble import assemble; "
                "pickle.dump(assemble(load_book(sys.argv[1])), open(sys.argv[2], 'wb'))",
                args.repo,
                str(dump),
            ],
            check=True,
            env=ENV,
            stderr=subprocess.DEVNULL,
        )
        copy = work / "repo"
        shutil.copytree(args.repo, copy)
        chapter = copy / "content/ai_exchange/content/docs/2_threats_through_use.md"
        edit_out = work / "edit"
        run([*aix, str(copy), "-f", "pdf", "-o", str(edit_out), "-j", "2"])  # warms the cache
        cpus = len(os.sched_getaffinity(0))

        def cold(jobs: int):
            def step(i):
                out = work / f"j{jobs}"
                shutil.rmtree(out / ".cache" / "pdf", ignore_errors=True)
                result = run([*aix, args.repo, "-f", "pdf", "-o", str(out), "-j", str(jobs)])
                shutil.copytree(out / ".cache" / "pdf", work / f"j{jobs}-timings-{i}")
                return result

            return step

        for jobs in (1, 2, 4):  # the Markdown parse cache, as a second build has it
            run([*aix, args.repo, "-f", "html", "-o", str(work / f"j{jobs}")])
        steps = {
            "bare": lambda i: run([PY, "-c", BARE, str(dump), str(work / "bare.pdf")]),
            "cold -j 2": cold(2),
            "cold -j 1": cold(1),
        }
        if cpus >= 4:
            steps["cold -j 4"] = cold(4)
        steps["cold -j 2, no cache at all"] = lambda i: run(
            [*aix, args.repo, "-f", "pdf", "-o", str(work / f"fresh-{i}"), "-j", "2"]
        )
        if args.before:
            old = [f"PYTHONPATH={args.before}", PY, "-m", "aixbook", "-q", "build"]
            steps["before: one document (--before)"] = lambda i: run(
                ["env", *old, args.repo, "-f", "pdf", "-o", str(work / "before")]
            )

        def edit(i):
            with chapter.open("a", encoding="utf-8") as fh:
                fh.write(f"\nOne more line ({i}).\n")
            return run([*aix, str(copy), "-f", "pdf", "-o", str(edit_out), "-j", "2"])

        steps["edit chapter 2, warm, -j 2"] = edit
        preview = [PY, "-m", "aixbook", "-q", "preview", "2", str(copy), "-o", str(edit_out)]

        def preview_edited(i):
            with chapter.open("a", encoding="utf-8") as fh:
                fh.write(f"\nA line for the preview ({i}).\n")
            return run(preview)

        steps["preview 2 after an edit, warm"] = preview_edited
        steps["preview 2 unchanged, warm"] = lambda i: run(preview)
        for i in range(args.runs):
            for name, step in steps.items():
                results.setdefault(name, []).append(step(i))
                print(f"  run {i + 1}: {name}: {results[name][-1][0]:.1f} s", file=sys.stderr)
        results["preview 2 --watch, save to new PDF"] = [(t, 0.0) for t in watched(copy, chapter, edit_out, args.runs)]
        memory = {
            "bare": run([PY, "-c", BARE, str(dump), str(work / "bare.pdf")], memory=True)[1],
            "cold -j 2": run([*aix, args.repo, "-f", "pdf", "-o", str(work / "mem"), "-j", "2"], memory=True)[1],
        }
        for name, folder in (("cold -j 2", "j2"), ("cold -j 1", "j1")):
            best = min(range(args.runs), key=lambda i: results[name][i][0])
            timings[name] = json.loads((work / f"{folder}-timings-{best}" / "timings.json").read_text())
        timings["edit chapter 2, warm, -j 2"] = json.loads((edit_out / ".cache" / "pdf" / "timings.json").read_text())
        staged = subprocess.run(
            [*aix, args.repo, "-f", "pdf", "-o", str(work / "staged"), "-j", "2", "--timings"],
            env=ENV,
            capture_output=True,
            text=True,
            check=True,
        )
        stage_table = staged.stdout[staged.stdout.index("stage ") :].rstrip()
        sizes = {
            "bare": (work / "bare.pdf").stat().st_size,
            "aixbook": (work / "j2" / "ai-exchange.pdf").stat().st_size,
        }
    finally:
        pass
    bare, _ = min(results["bare"])
    print(f"\n{'step (real book, PDF/UA on)':<40}{'seconds':>9}{'× bare':>9}{'target':>10}")
    targets = {  # issue 20's: a fresh process into a fresh folder, and the edit loop
        "cold -j 2": "≤ 0.50",
        "cold -j 1": "≤ 0.80",
        "cold -j 2, no cache at all": "≤ 0.38",
        "edit chapter 2, warm, -j 2": "≤ 0.10",
        "preview 2 after an edit, warm": "≤ 0.08",
        "preview 2 unchanged, warm": "≤ 0.02",
        "preview 2 --watch, save to new PDF": "≤ 0.08",
        "cold -j 4": "(0.40)",
    }
    for name in results:
        secs, _ = min(results[name])
        print(f"{name:<40}{secs:>9.2f}{secs / bare:>9.2f}{targets.get(name, ''):>10}")
    print(
        f"\npeak memory of the process tree (PSS, a separate run): bare {memory['bare']:.0f} MB, cold -j 2 "
        f"{memory['cold -j 2']:.0f} MB: {memory['cold -j 2'] / memory['bare']:.2f} × bare (target ≤ 1.5)"
    )
    parts = {k: t for r in timings["cold -j 1"]["rounds"] for k, t in r["parts"]}
    slow = max(parts, key=parts.get)
    print(f"critical path (slowest part, -j 1 run): {slow} {parts[slow]:.2f} s = {parts[slow] / bare:.2f} × bare")
    j1, _ = min(results["cold -j 1"])
    j2, _ = min(results["cold -j 2"])
    print(f"parallel efficiency of -j 2 (cold): {j1 / (2 * j2):.0%} ({j1 / j2:.2f}× the speed of -j 1)")
    for w in (2, 4):
        est = estimate(timings["cold -j 1"], j1, w)
        measured = f", measured {min(results[f'cold -j {w}'])[0]:.2f} s" if f"cold -j {w}" in results else ""
        print(f"-j {w} estimated from the -j 1 run's part times: {est:.2f} s = {est / bare:.2f} × bare{measured}")
    t = timings["cold -j 1"]
    print(
        f"-j 1 run: {len(t['rounds'])} rounds of layout {sum(r['wall'] for r in t['rounds']):.2f} s "
        f"(footers {parts.get('footers', 0):.2f} s), combining {t['combine']:.2f} s, preparing "
        f"{t['prepare']:.2f} s, the rest (start, load, assemble) {j1 - t['render']:.2f} s"
    )
    e = timings["edit chapter 2, warm, -j 2"]
    print(f"edit run laid out: {[k for r in e['rounds'] for k, _ in r['parts']]}; combining {e['combine']:.2f} s")
    print(
        f"PDF size: bare WeasyPrint {sizes['bare'] / 1e6:.2f} MB, aixbook {sizes['aixbook'] / 1e6:.2f} MB "
        f"({(sizes['aixbook'] / sizes['bare'] - 1) * 100:+.1f}%)"
    )
    print("\nstages of a fresh build (-j 2, no cache at all, `aixbook build --timings`):")
    print(stage_table)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
