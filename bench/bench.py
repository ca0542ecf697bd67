#!/usr/bin/env python3
"""Benchmarks on the real book, all measured in one run on this machine; prints ratios.

    python bench/bench.py [REPO]       (default: ../shared/corpus/ai-exchange)

Each step runs in a fresh process (``python -m aixbook …``), so wall time includes
start-up and the peak memory is that process's own (ru_maxrss).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def run(args: list[str], env=None) -> tuple[float, float]:
    """(wall seconds, peak MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(args)}\n{proc.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def bare_weasyprint(repo: str, work: Path) -> tuple[float, float]:
    """WeasyPrint alone on the very document aixbook assembles (same styles, fonts, images)."""
    dump = work / "doc.pickle"
    code = (
        "import pickle,sys; from aixbook.book import load_book; from aixbook.assemble import assemble;"
        f"pickle.dump(assemble(load_book({repo!r})), open({str(dump)!r},'wb'))"
    )
    subprocess.run([PY, "-c", code], check=True, stderr=subprocess.DEVNULL)
    render = (
        "import pickle; from aixbook.render import pdf; pdf.isolate_fontconfig(); from weasyprint import HTML;"
        f"doc=pickle.load(open({str(dump)!r},'rb'));"
        "HTML(string=doc.html, base_url=pdf.BASE_URL, url_fetcher=pdf.make_fetcher(doc.resources))"
        f".write_pdf({str(work / 'bare.pdf')!r}, stylesheets=pdf.stylesheets(), pdf_variant='pdf/ua-1', pdf_tags=True)"
    )
    return run([PY, "-c", render])


def timed_child(code: str) -> float:
    """Seconds printed by a child process that times one step itself (after its set-up)."""
    out = subprocess.run(
        [PY, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    return float(out.stdout.strip().splitlines()[-1])


def epub_render_only(repo: str, work: Path) -> float:
    """render_epub alone on a loaded book (what pandoc does for the whole job: 1.65 s),
    the fastest of three in one process."""
    code = (
        "import time; from aixbook.book import load_book; from aixbook.render.epub import render_epub\n"
        f"book = load_book({repo!r}); times = []\n"
        "for _ in range(3):\n"
        "    t = time.perf_counter()\n"
        f"    render_epub(book, __import__('pathlib').Path({str(work / 'render.epub')!r}))\n"
        "    times.append(time.perf_counter() - t)\n"
        "print(min(times))"
    )
    return timed_child(code)


def hugo_render(repo: str) -> float | None:
    """The test oracle (tests/hugo_oracle.py): real Hugo rendering the book's chapters in one run.
    None when no Hugo binary is available."""
    code = (
        "import sys, time; from pathlib import Path; import yaml\n"
        f"sys.path.insert(0, {str(ROOT / 'tests')!r})\n"
        "from hugo_oracle import hugo_available, render_markdown_with_hugo, site_goldmark_config\n"
        "if not hugo_available():\n    print('nan'); sys.exit()\n"
        f"site = Path({repo!r}) / 'content' / 'ai_exchange'\n"
        "cfg = yaml.safe_load((site / 'hugo.yaml').read_text(encoding='utf-8'))\n"
        "stems = [e['pageRef'].rstrip('/').rsplit('/', 1)[-1]\n"
        "         for e in sorted(cfg['menu']['docs'], key=lambda e: e['weight'])]\n"
        "pages = {s: (site / 'content' / 'docs' / f'{s}.md').read_text(encoding='utf-8') for s in stems}\n"
        "t = time.perf_counter()\n"
        "render_markdown_with_hugo(pages, site_goldmark_config(site / 'hugo.yaml'))\n"
        "print(time.perf_counter() - t)"
    )
    secs = timed_child(code)
    return None if secs != secs else secs


def main() -> None:
    repo = sys.argv[1] if len(sys.argv) > 1 else str(ROOT.parent / "shared" / "corpus" / "ai-exchange")
    work = Path(tempfile.mkdtemp(prefix="aixbook-bench-"))
    out = work / "out"
    aix = [PY, "-m", "aixbook", "-q"]
    try:
        # Three interleaved runs each, the fastest counts: a single run on a 2-core
        # machine varies by more than the overhead being measured.
        fulls, bares = [], []
        for i in range(3):
            # a fresh output folder each time, as a user's first build: the PDF part cache
            # would otherwise make the second and third builds cache hits
            fresh = work / f"full-{i}"
            fulls.append(run([*aix, "build", repo, "-f", "pdf", "-o", str(fresh)]))
            bares.append(bare_weasyprint(repo, work))
        full, full_mb = min(fulls)
        bare, bare_mb = min(bares)
        epub, epub_mb = run([*aix, "build", repo, "-f", "epub", "-o", str(out)])
        epub_render = epub_render_only(repo, work)
        hugo = hugo_render(repo)
        cache = out / ".cache"
        shutil.rmtree(cache, ignore_errors=True)
        cold, _ = run([*aix, "preview", "2", repo, "-o", str(out)])
        warm, _ = run([*aix, "preview", "2", repo, "-o", str(out)])
        section, _ = run([*aix, "preview", "2.2", repo, "-o", str(out)])
        each = {
            n: run([*aix, "preview", n, repo, "-o", str(out)])[0]
            for n in ("0", "1", "3", "4", "5", "6", "references", "index")
        }
        slowest = max(each, key=each.get)
        # One-line edit: a scratch copy of the repository (never inside the project).
        copy = work / "repo"
        shutil.copytree(repo, copy)
        run([*aix, "build", str(copy), "-f", "html", "-o", str(out / "h")])  # fills the cache
        chapter = copy / "content/ai_exchange/content/docs/2_threats_through_use.md"
        chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        html_edit = edit_rebuild(copy, out / "h")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'step':<42}{'seconds':>9}{'ratio':>9}{'peak MB':>9}")
    rows = [
        ("full PDF build (aixbook build -f pdf)", full, 1.0, full_mb),
        ("bare WeasyPrint, same assembled HTML", bare, bare / full, bare_mb),
        ("EPUB build (aixbook build -f epub)", epub, epub / full, epub_mb),
        ("EPUB render alone, book loaded (min of 3)", epub_render, epub_render / full, None),
        ("preview chapter 2, cold cache", cold, cold / full, None),
        ("preview chapter 2, warm cache", warm, warm / full, None),
        (f"preview slowest other chapter ({slowest}), warm", each[slowest], each[slowest] / full, None),
        ("preview section 2.2, warm cache", section, section / full, None),
        ("HTML rebuild after a one-line edit", html_edit, html_edit / full, None),
    ]
    if hugo is not None:
        rows.append(("real Hugo, the chapters (test oracle)", hugo, hugo / full, None))
    for name, secs, ratio, mb in rows:
        print(f"{name:<42}{secs:>9.2f}{ratio:>9.2f}{(f'{mb:.0f}' if mb else ''):>9}")
    print(f"\naixbook overhead over bare WeasyPrint: {(full / bare - 1) * 100:+.1f}% (target < 10%)")
    worst = max(warm, each[slowest])
    print(
        f"warm chapter preview, worst chapter: {worst / full:.0%} of the full build (target <= 35%); "
        f"section: {section / full:.0%} (target <= 10%); HTML rebuild after an edit: {html_edit:.2f} s "
        f"(target <= 0.5 s); EPUB: {epub:.2f} s, its render alone {epub_render:.2f} s "
        f"(pandoc: 1.65 s on this machine kind)"
    )


def edit_rebuild(repo: Path, out: Path) -> float:
    """In-process, as `aixbook serve` does it: reload with the cache, rebuild the one-page HTML."""
    sys.path.insert(0, str(ROOT / "src"))
    import aixbook.markdown  # noqa: F401  (imports are not part of a rebuild)
    from aixbook.book import load_book
    from aixbook.build import output_file, render_to
    from aixbook.cache import ChapterCache

    cache = ChapterCache(out / ".cache")
    start = time.perf_counter()
    book = load_book(repo, cache=cache)
    render_to(book, "html", output_file(out, book, "html"))
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
