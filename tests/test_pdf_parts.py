"""Issue 10's acceptance: the release PDF laid out in parts, in parallel, from a cache.

- Nothing changes for the reader: against the book rendered as one WeasyPrint document
  (``render_single``), the same pages, page texts (running heads, footers, contents and
  index numbers included), outline, link destinations, structure elements, metadata.
- ``-j 1`` and ``-j 2`` write the same bytes.
- The cache lays out again exactly what changed, and never trusts a damaged entry.
- A worker that dies fails the build in one line naming its chapter; Ctrl-C/SIGTERM stop
  every worker; the previous PDF stays as it was.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
import pytest

from helpers import CORPUS, EPOCH, SAMPLE, needs_corpus, write_site
from pdf_facts import Facts, differences, link_pages

# Most tests lay the sample (or the real) book out several times, in parts and as one
# document: slow (make test-fast leaves the module out).
pytestmark = pytest.mark.slow


def render(book, target: Path, jobs: int, cache: Path | None = None):
    from aixbook.render import RenderOptions, get_renderer

    return get_renderer("pdf").render(book, target, RenderOptions(jobs=jobs, cache_dir=cache))


@pytest.fixture
def epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


# ------------------------------------------------------------------ same PDF for the reader


@needs_corpus
def test_real_book_reads_as_the_one_document_pdf(real_build, real_single_pdf):
    parts, single = Facts.read(real_build.outputs["pdf"]), Facts.read(real_single_pdf)
    assert differences(single, parts) == []
    assert len(parts.outline) == 226 and max(level for level, _, _ in parts.outline) == 4
    assert parts.structure["/Link"] > 1000 and parts.structure["/Table"] > 50


def test_sample_book_reads_as_the_one_document_pdf(tmp_path, epoch):
    from aixbook.book import load_book
    from aixbook.render.pdf import render_single

    book = load_book(SAMPLE)
    render_single(book, tmp_path / "single.pdf")
    render(book, tmp_path / "parts.pdf", jobs=2)
    assert differences(Facts.read(tmp_path / "single.pdf"), Facts.read(tmp_path / "parts.pdf")) == []


def test_xref_page_numbers_match_the_one_document_pdf(tmp_path, epoch):
    """--xref-pages prints "(p. N)" inside chapters: numbers from other parts, settled by
    laying out again. The same numbers on the same pages; only where a number sits in a
    narrow table column may a line break differ: the one document keeps the column widths
    WeasyPrint measured before the numbers were known, the part measures the real ones."""
    from aixbook.book import load_book
    from aixbook.render.pdf import render_single

    book = load_book(SAMPLE, xref_pages=True)
    render_single(book, tmp_path / "single.pdf")
    result = render(book, tmp_path / "parts.pdf", jobs=2)
    single, parts = Facts.read(tmp_path / "single.pdf"), Facts.read(tmp_path / "parts.pdf")
    assert (parts.pages, parts.texts, parts.outline) == (single.pages, single.texts, single.outline)
    assert link_pages(parts) == link_pages(single)
    assert sum("(p. " in text for text in parts.texts) >= 5
    assert result.pages == single.pages


def test_one_structure_tree_with_renumbered_parent_tree(sample_build):
    with pikepdf.open(sample_build.outputs["pdf"]) as pdf:
        root = pdf.Root.StructTreeRoot
        assert len(root.K) == 1 and pikepdf.Name.Document == root.K[0].S
        nums = root.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        pages = len(pdf.pages)
        assert keys == list(range(len(keys))) and int(root.ParentTreeNextKey) == len(keys)
        for number, page in enumerate(pdf.pages):
            assert int(page.StructParents) == number
            for annot in page.obj.get("/Annots", []):
                key = int(annot.StructParent)
                owner = nums[2 * key + 1]
                assert key >= pages and pikepdf.Name.Link == owner.S
                assert any(getattr(k, "Obj", None) is not None and k.Obj.objgen == annot.objgen for k in owner.K)


# ------------------------------------------------------------------ -j 1 == -j 2


def test_sample_one_and_two_jobs_same_bytes(tmp_path, epoch):
    from aixbook.book import load_book

    book = load_book(SAMPLE)
    render(book, tmp_path / "j1.pdf", jobs=1)
    render(book, tmp_path / "j2.pdf", jobs=2)
    assert (tmp_path / "j1.pdf").read_bytes() == (tmp_path / "j2.pdf").read_bytes()


@needs_corpus
def test_real_book_one_and_two_jobs_same_bytes(real_build, tmp_path, epoch):
    from aixbook.pool import default_jobs

    other = 1 if default_jobs() > 1 else 2  # real_build used the default
    render(real_build.book, tmp_path / "other.pdf", jobs=other)
    assert (tmp_path / "other.pdf").read_bytes() == real_build.outputs["pdf"].read_bytes()


# ------------------------------------------------------------------ the cache

CHAPTER = "## {title}\n\n" + "A paragraph about {title}, long enough to be text. " * 12 + "\n\n[to c](/docs/c/)\n"


def small_site(root: Path) -> Path:
    return write_site(root, {f"docs/{name}.md": CHAPTER.format(title=name.upper()) for name in "abc"})


def chapter_key(book, stem: str) -> str:
    return next(rc.chapter.key for rc in book.chapters if rc.chapter.source.stem == stem)


def test_cache_lays_out_only_what_changed(tmp_path, epoch):
    from aixbook.book import load_book

    site, out = small_site(tmp_path / "s"), tmp_path / "out"
    cache = out / ".cache"
    book = load_book(site)
    first = render(book, out / "a.pdf", jobs=2, cache=cache)
    assert set(first.laid_out) == {"front", "colophon", "toc", *(rc.chapter.key for rc in book.chapters), "footers"}
    assert render(load_book(site), out / "b.pdf", jobs=2, cache=cache).laid_out == []
    assert (out / "a.pdf").read_bytes() == (out / "b.pdf").read_bytes()
    page = site / "content/docs/b.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    edited = load_book(site)
    assert render(edited, out / "c.pdf", jobs=2, cache=cache).laid_out == [chapter_key(edited, "b")]
    render(edited, out / "fresh.pdf", jobs=1)
    assert (out / "c.pdf").read_bytes() == (out / "fresh.pdf").read_bytes()


def test_cache_lays_out_everything_after_a_style_change(tmp_path, epoch, monkeypatch):
    from aixbook.book import load_book
    from aixbook.render.pdf import weasy

    site, cache = small_site(tmp_path / "s"), tmp_path / "out" / ".cache"
    book = load_book(site)
    render(book, tmp_path / "a.pdf", jobs=2, cache=cache)
    styles = tmp_path / "styles"
    shutil.copytree(weasy.STYLES_DIR, styles)
    with (styles / "print.css").open("a", encoding="utf-8") as fh:
        fh.write("\np { color: #111112; }\n")
    monkeypatch.setattr(weasy, "STYLES_DIR", styles)
    again = render(book, tmp_path / "b.pdf", jobs=2, cache=cache)
    assert set(again.laid_out) >= {"front", "toc", *(rc.chapter.key for rc in book.chapters)}


def test_damaged_cache_entries_are_laid_out_again(tmp_path, epoch):
    from aixbook.book import load_book

    site, cache = small_site(tmp_path / "s"), tmp_path / "out" / ".cache"
    book = load_book(site)
    render(book, tmp_path / "a.pdf", jobs=1, cache=cache)
    entries = sorted((cache / "pdf" / "parts").glob("*.part"))
    assert entries
    for entry in entries:  # truncated, as by a full disk or a killed write
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    again = render(book, tmp_path / "b.pdf", jobs=1, cache=cache)
    assert set(again.laid_out) == {"front", "colophon", "toc", *(rc.chapter.key for rc in book.chapters), "footers"}
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_part_cache_rejects_damaged_entries(tmp_path):
    import io

    from aixbook.render.pdf.footers import FooterLayout
    from aixbook.render.pdf.partcache import PartCache

    pdf = io.BytesIO()
    with pikepdf.new() as doc:
        doc.add_blank_page()
        doc.save(pdf)
    layout = FooterLayout("footers", pdf.getvalue(), 1, ["a warning"], {"F1": ("ab" * 32, 0)}, 0.5)
    cache = PartCache(tmp_path)
    cache.put("k", layout)
    assert cache.get("k", FooterLayout) == layout
    path = tmp_path / "parts" / "k.part"
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF  # one flipped bit in the payload
    path.write_bytes(bytes(data))
    assert cache.get("k", FooterLayout) is None and not path.exists() and cache.rejected == 1
    cache.put("k", layout)
    path.write_bytes(path.read_bytes()[:-1])  # truncated
    assert cache.get("k", FooterLayout) is None and cache.rejected == 2


# ------------------------------------------------------------------ failure


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cmdline(pid: int) -> bytes:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def _build_until_workers(out: Path):
    """Start a real-book build with two workers; return it, and the workers alive then, once
    a worker has been laying out for a moment. A worker is a forked child (its command line
    is the build's); other children (ldconfig at WeasyPrint's import, the processes parsing
    the chapters before anything is laid out) come and go, and so do the workers of short
    parts, so only one seen alive for a second once the chapters are parsed (and kept in
    the output's .cache) counts."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aixbook", "build", str(CORPUS), "-f", "pdf", "-o", str(out), "-j", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    own = b""
    first_seen: dict[int, float] = {}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        own = own or _cmdline(proc.pid)
        now = time.monotonic()
        parsed = (out / ".cache").is_dir()
        workers = {c for c in _children(proc.pid) if parsed and own and _cmdline(c) == own and _alive(c)}
        for pid in workers:
            first_seen.setdefault(pid, now)
        if any(now - first_seen[pid] >= 1.0 for pid in workers):
            return proc, workers
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"no worker process stayed a second: {proc.communicate()}")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@needs_corpus
def test_killed_worker_fails_the_build_in_one_line(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "ai-exchange.pdf"
    previous.write_bytes(b"the previous PDF")
    proc, workers = _build_until_workers(out)
    victim = min(w for w in workers if _alive(w))
    os.kill(victim, signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    lines = err.strip().splitlines()
    assert proc.returncode not in (0, 130)
    assert len(lines) == 1, err
    assert "killed by SIGKILL" in lines[0] and (
        "chapter '" in lines[0] or "front page" in lines[0] or "contents" in lines[0]
    )
    assert previous.read_bytes() == b"the previous PDF"
    assert sorted(p.name for p in out.iterdir()) == [".cache", "ai-exchange.pdf"]
    time.sleep(0.5)
    assert not [w for w in workers | _children(proc.pid) if _alive(w)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@needs_corpus
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_build_stops_every_worker(tmp_path, sig):
    out = tmp_path / "out"
    out.mkdir()
    previous = out / "ai-exchange.pdf"
    previous.write_bytes(b"the previous PDF")
    proc, workers = _build_until_workers(out)
    os.kill(proc.pid, sig)
    if sig == signal.SIGINT:  # Ctrl-C reaches the whole process group
        for worker in workers:
            if _alive(worker):
                os.kill(worker, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert previous.read_bytes() == b"the previous PDF"
    assert sorted(p.name for p in out.iterdir()) == [".cache", "ai-exchange.pdf"]
    time.sleep(0.5)
    assert not [w for w in workers if _alive(w)]


def test_untagged_pdf_also_reads_as_the_one_document_pdf(tmp_path, epoch):
    from aixbook.book import load_book
    from aixbook.render.pdf import render_single

    book = load_book(small_site(tmp_path / "s"), pdf_variant="none")
    render_single(book, tmp_path / "single.pdf")
    render(book, tmp_path / "parts.pdf", jobs=2)
    assert differences(Facts.read(tmp_path / "single.pdf"), Facts.read(tmp_path / "parts.pdf")) == []
    with pikepdf.open(tmp_path / "parts.pdf") as pdf:
        assert "/StructTreeRoot" not in pdf.Root


def test_footers_are_chunked_only_where_a_chunk_looks_like_the_book(tmp_path, monkeypatch):
    from aixbook.render.pdf import footers, weasy

    names = ("front",) + ("",) * 199
    jobs = footers.footer_jobs(names, "A4", "en", 2)
    assert [(j.first, len(j.names), j.total) for j in jobs] == [(1, 100, 200), (101, 100, 200)]
    assert 'counter(page) " / " "200"' in footers.print_css_with_total(200)
    assert len(footers.footer_jobs(names, "A4", "en", 1)) == 1
    styles = tmp_path / "styles"
    shutil.copytree(weasy.STYLES_DIR, styles)
    with (styles / "print.css").open("a", encoding="utf-8") as fh:
        fh.write("\n@page :left { margin-left: 30mm; }\n")
    monkeypatch.setattr(weasy, "STYLES_DIR", styles)
    assert len(footers.footer_jobs(names, "A4", "en", 2)) == 1
    # print.css's own :nth(1 of toc) styles only the running head, which footers draw empty;
    # one that styles the footer box would make the chunks differ from the book.
    from aixbook.resources import STYLES_DIR

    shutil.copy(STYLES_DIR / "print.css", styles / "print.css")
    assert ":nth(1 of toc)" in (styles / "print.css").read_text(encoding="utf-8")
    assert len(footers.footer_jobs(names, "A4", "en", 2)) == 2
    with (styles / "print.css").open("a", encoding="utf-8") as fh:
        fh.write("\n@page :nth(3) { @bottom-center { content: none; } }\n")
    assert len(footers.footer_jobs(names, "A4", "en", 2)) == 1


# ------------------------------------------------------------------ the garbage collector


def test_collector_is_paused_for_each_layout_and_back_after(tmp_path, epoch, monkeypatch):
    """Layouts run with Python's cyclic collector off (issue 10's in-process gains); the
    build process gets it back, even when a layout fails."""
    import gc

    from aixbook.book import load_book
    from aixbook.errors import BuildError
    from aixbook.render.pdf import layout, pipeline

    seen = []
    real = layout.lay_out

    def spy(job):
        seen.append(gc.isenabled())
        return real(job)

    monkeypatch.setattr(pipeline, "lay_out", spy)
    site = write_site(tmp_path / "s", {"docs/a.md": "## A\n\ntext\n", "docs/b.md": "## B\n\nmore\n"})
    render(load_book(site), tmp_path / "a.pdf", jobs=1)
    assert seen and not any(seen)
    assert gc.isenabled()

    def broken(job):
        raise RuntimeError("layout failed")

    monkeypatch.setattr(pipeline, "lay_out", broken)
    with pytest.raises(BuildError):
        render(load_book(site), tmp_path / "b.pdf", jobs=1)
    assert gc.isenabled()
